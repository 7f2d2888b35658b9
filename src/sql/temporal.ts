/**
 * Dates and times as PostgreSQL's default output (DateStyle ISO, TimeZone UTC) prints them, held as that
 * text so ordering is string order for years 1..9999:
 *
 *   date        YYYY-MM-DD
 *   time        HH:MM:SS[.ffffff]
 *   timestamp   YYYY-MM-DD HH:MM:SS[.ffffff]
 *   timestamptz YYYY-MM-DD HH:MM:SS[.ffffff]+00
 *
 * Input: ISO 8601 forms (`2024-01-31`, `2024-01-31T10:00:00Z`, `2024-01-31 10:00:00.5+02`). A zone on a
 * timestamptz input is converted to UTC; on a timestamp it is ignored (as PostgreSQL does).
 */
import { SqlError } from "../errors.js";

const TEMPORAL = new Set([
  "date",
  "time without time zone",
  "timestamp without time zone",
  "timestamp with time zone",
]);

/** Whether `t` is one of the date and time types. */
export function isTemporal(t: string): boolean {
  return TEMPORAL.has(t);
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; no Date, no clock). */
export function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Milliseconds since the epoch as timestamptz text at microsecond precision (NOW()). */
export function timestamptzOfMs(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  const [y, mo, d] = civilFromDays(days);
  const h = Math.floor(rest / 3_600_000);
  const mi = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const frac = rest % 1000;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}${frac === 0 ? "" : fraction(pad(frac, 3))}+00`;
}

const RE =
  /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;
const TIME_RE = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*$/;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function fraction(f: string | undefined): string {
  if (f === undefined) return "";
  const t = f.padEnd(6, "0").replace(/0+$/, "");
  return t === "" ? "" : `.${t}`;
}

/** `text` as a value of temporal type `to`. @throws SqlError 22007 (bad syntax) or 22008 (out of range). */
export function castTemporal(text: string, to: string): string {
  if (to === "time without time zone") {
    const m = TIME_RE.exec(text) ?? timeOfTimestamp(text);
    if (m === null) throw bad(text, "time");
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (h > 24 || mi > 59 || s > 59)
      throw new SqlError("22008", `date/time field value out of range: "${text}"`);
    return `${pad(h)}:${pad(mi)}:${pad(s)}${fraction(m[4])}`;
  }
  const lower = text.trim().toLowerCase();
  if (lower === "epoch") return castTemporal("1970-01-01 00:00:00+00", to);
  const m = RE.exec(text);
  if (m === null) throw bad(text, to === "date" ? "date" : to.replace(" without time zone", ""));
  let [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? 0, m[5] ?? 0, m[6] ?? 0].map(Number) as number[];
  const frac = m[7];
  check(y as number, mo as number, d as number, h as number, mi as number, s as number, text);
  if (to === "date") return `${pad(y as number, 4)}-${pad(mo as number)}-${pad(d as number)}`;
  if (to === "timestamp with time zone" && m[8] !== undefined && m[8].toUpperCase() !== "Z") {
    const z = m[8];
    const sign = z[0] === "-" ? -1 : 1;
    const digits = z.slice(1).replace(":", "");
    const offMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
    const minutes =
      daysFromCivil(y as number, mo as number, d as number) * 1440 +
      (h as number) * 60 +
      (mi as number) -
      offMin;
    const day = Math.floor(minutes / 1440);
    [y, mo, d] = civilFromDays(day);
    h = Math.floor((minutes - day * 1440) / 60);
    mi = (minutes - day * 1440) % 60;
  }
  const base = `${pad(y as number, 4)}-${pad(mo as number)}-${pad(d as number)} ${pad(h as number)}:${pad(mi as number)}:${pad(s as number)}${fraction(frac)}`;
  return to === "timestamp with time zone" ? `${base}+00` : base;
}

function timeOfTimestamp(text: string): RegExpExecArray | null {
  const m = RE.exec(text);
  if (m === null || m[4] === undefined) return null;
  return TIME_RE.exec(`${m[4]}:${m[5]}:${m[6] ?? "00"}${m[7] !== undefined ? `.${m[7]}` : ""}`);
}

function check(y: number, mo: number, d: number, h: number, mi: number, s: number, text: string): void {
  const days =
    mo >= 1 && mo <= 12
      ? daysFromCivil(mo === 12 ? y + 1 : y, mo === 12 ? 1 : mo + 1, 1) - daysFromCivil(y, mo, 1)
      : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 60) {
    throw new SqlError("22008", `date/time field value out of range: "${text}"`);
  }
}

function bad(text: string, type: string): SqlError {
  return new SqlError("22007", `invalid input syntax for type ${type}: "${text}"`);
}

/** The parts of a temporal text, for DATE_PART/EXTRACT. @throws SqlError 22023 for an unknown field. */
export function datePart(field: string, text: string): number {
  const m = RE.exec(text.replace(/\+00$/, "")) ?? null;
  const t = m === null ? TIME_RE.exec(text) : null;
  const f = field.toLowerCase();
  const get = (i: number): number => Number((m ?? [])[i] ?? 0);
  if (t !== null) {
    const parts: Record<string, number> = {
      hour: Number(t[1]),
      minute: Number(t[2]),
      second: Number(t[3] ?? 0),
    };
    const v = parts[f];
    if (v === undefined) throw new SqlError("22023", `unit "${f}" not supported for type time`);
    return v;
  }
  if (m === null) throw new SqlError("22007", `invalid input syntax for type timestamp: "${text}"`);
  const dayNo = daysFromCivil(get(1), get(2), get(3));
  const ms = dayNo * DAY_MS + get(4) * 3_600_000 + get(5) * 60_000 + get(6) * 1000;
  const frac = Number(`0.${m[7] ?? "0"}`);
  switch (f) {
    case "year":
      return get(1);
    case "month":
      return get(2);
    case "day":
      return get(3);
    case "hour":
      return get(4);
    case "minute":
      return get(5);
    case "second":
      return get(6) + frac;
    case "dow":
      return (((dayNo + 4) % 7) + 7) % 7;
    case "doy":
      return dayNo - daysFromCivil(get(1), 1, 1) + 1;
    case "quarter":
      return Math.floor((get(2) - 1) / 3) + 1;
    case "epoch":
      return ms / 1000 + frac;
    default:
      throw new SqlError("22023", `unit "${f}" not recognized for type timestamp`);
  }
}
