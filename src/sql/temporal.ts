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
    const t = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, (mi as number) - offMin, s));
    [y, mo, d, h, mi, s] = [
      t.getUTCFullYear(),
      t.getUTCMonth() + 1,
      t.getUTCDate(),
      t.getUTCHours(),
      t.getUTCMinutes(),
      t.getUTCSeconds(),
    ];
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
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
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
  const ms = Date.UTC(get(1), get(2) - 1, get(3), get(4), get(5), get(6));
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
      return new Date(ms).getUTCDay();
    case "doy":
      return Math.round((ms - Date.UTC(get(1), 0, 1)) / 86_400_000) + 1;
    case "quarter":
      return Math.floor((get(2) - 1) / 3) + 1;
    case "epoch":
      return ms / 1000 + frac;
    default:
      throw new SqlError("22023", `unit "${f}" not recognized for type timestamp`);
  }
}
