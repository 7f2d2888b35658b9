/**
 * SQL types and values. A type is PostgreSQL's name for it as `format_type` prints it ('integer',
 * 'character varying', 'timestamp without time zone', 'integer[]', ...). A value, inside the executor:
 *
 *   null | number (smallint, integer, real, double precision) | bigint (bigint) | Decimal (numeric)
 *   | string (text, varchar, uuid, date, time, timestamp, timestamptz: PostgreSQL's output text)
 *   | boolean | Uint8Array (bytea) | SqlJson (json, jsonb) | SqlValue[] (arrays)
 *
 * Casts follow PostgreSQL's input rules and errors (22P02 invalid text, 22003 out of range, 22001 too long).
 */
import { SqlError } from "../errors.js";
import { Decimal } from "./decimal.js";
import { castTemporal, isTemporal } from "./temporal.js";

/** A JSON value inside SQL (json/jsonb), boxed so it is never mistaken for an array value. */
export class SqlJson {
  constructor(readonly v: unknown) {}
}

/** A value inside the executor; see the module comment. */
export type SqlValue =
  | null
  | number
  | bigint
  | Decimal
  | string
  | boolean
  | Uint8Array
  | SqlJson
  | SqlValue[];

/** A column's or expression's type, as PostgreSQL names it; a modifier (length, precision) apart. */
export type SqlType = string;

/** Type modifiers: VARCHAR(n) length, NUMERIC(p, s) precision and scale. */
export interface TypeMod {
  length?: number;
  precision?: number;
  scale?: number;
}

const ALIASES: Record<string, SqlType> = {
  INT: "integer",
  INT4: "integer",
  INTEGER: "integer",
  SERIAL: "integer",
  INT2: "smallint",
  SMALLINT: "smallint",
  INT8: "bigint",
  BIGINT: "bigint",
  BIGSERIAL: "bigint",
  REAL: "real",
  FLOAT4: "real",
  FLOAT: "double precision",
  FLOAT8: "double precision",
  DOUBLE: "double precision",
  "DOUBLE PRECISION": "double precision",
  NUMERIC: "numeric",
  DECIMAL: "numeric",
  TEXT: "text",
  VARCHAR: "character varying",
  "CHARACTER VARYING": "character varying",
  CHAR: "character varying",
  CHARACTER: "character varying",
  BOOLEAN: "boolean",
  BOOL: "boolean",
  BYTEA: "bytea",
  UUID: "uuid",
  DATE: "date",
  TIME: "time without time zone",
  TIMESTAMP: "timestamp without time zone",
  TIMESTAMPTZ: "timestamp with time zone",
  "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
  "TIMESTAMP WITHOUT TIME ZONE": "timestamp without time zone",
  JSON: "json",
  JSONB: "jsonb",
};

/** PostgreSQL's type name for a parser data type (`VARCHAR`, `INT4`, `INTEGER[]`). @throws SqlError 42704. */
export function typeName(dataType: string): SqlType {
  const upper = dataType.trim().toUpperCase().replace(/\s+/g, " ");
  if (upper.endsWith("[]")) return `${typeName(upper.slice(0, -2))}[]`;
  const t = ALIASES[upper];
  if (t === undefined) throw new SqlError("42704", `type "${dataType.toLowerCase()}" does not exist`);
  return t;
}

export const INT_TYPES = new Set(["smallint", "integer", "bigint"]);
export const FLOAT_TYPES = new Set(["real", "double precision"]);
export const STRING_TYPES = new Set(["text", "character varying", "unknown"]);

/** Whether values of the type are numbers of any kind. */
export function isNumericType(t: SqlType): boolean {
  return INT_TYPES.has(t) || FLOAT_TYPES.has(t) || t === "numeric";
}

const INT_RANGE: Record<string, [number, number]> = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
};

/** `n` as a value of integer type `t`, range-checked. @throws SqlError 22003. */
export function intValue(n: number | bigint, t: SqlType): number | bigint {
  if (t === "bigint") {
    const b = typeof n === "bigint" ? n : BigInt(n);
    if (b < -(2n ** 63n) || b >= 2n ** 63n) throw new SqlError("22003", "bigint out of range");
    return b;
  }
  const range = INT_RANGE[t] as [number, number];
  const v = Number(n);
  if (v < range[0] || v > range[1]) throw new SqlError("22003", `${t} out of range`);
  return v;
}

/**
 * Rounds to the nearest integer, ties to even, as C's `rint` does in PostgreSQL's round(double precision) and
 * its float-to-integer casts (`-2.5` → `-2`; NUMERIC rounds ties away from zero instead, see Decimal.round).
 * Keeps the sign of zero; infinities and NaN pass through. (`Math.round` sends ties towards +infinity.)
 */
export function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The numeric value of `v` as a Decimal. */
export function toDecimal(v: SqlValue): Decimal {
  if (v instanceof Decimal) return v;
  if (typeof v === "number" || typeof v === "bigint") return Decimal.of(v);
  if (typeof v === "string") return Decimal.parse(v);
  throw new SqlError("42804", "value is not numeric");
}

/**
 * `v` converted to type `to` (with modifier `mod`), as an explicit CAST or an assignment to a column does.
 * @throws SqlError 22P02 (text that is not of the type), 22003 (out of range), 22001 (too long for
 *   varchar(n)), 42846 (no such cast).
 */
export function castValue(v: SqlValue, to: SqlType, mod: TypeMod = {}): SqlValue {
  if (v === null) return null;
  if (to.endsWith("[]")) {
    if (!Array.isArray(v)) throw new SqlError("42846", `cannot cast to ${to}`);
    return v.map((x) => castValue(x, to.slice(0, -2), mod));
  }
  switch (to) {
    case "smallint":
    case "integer":
    case "bigint":
      return intValue(toInteger(v, to), to);
    case "real":
    case "double precision": {
      const f = toFloat(v);
      return to === "real" ? Math.fround(f) : f;
    }
    case "numeric": {
      const d = toDecimal(typeof v === "boolean" ? noCast(v, to) : v);
      return mod.scale !== undefined || mod.precision !== undefined ? fitNumeric(d, mod) : d;
    }
    case "text":
    case "character varying": {
      const s = textOf(v);
      if (mod.length !== undefined && [...s].length > mod.length) {
        throw new SqlError("22001", `value too long for type character varying(${mod.length})`);
      }
      return s;
    }
    case "boolean":
      return toBoolean(v);
    case "bytea":
      if (v instanceof Uint8Array) return v;
      if (typeof v === "string") return parseBytea(v);
      return noCast(v, to);
    case "uuid": {
      const s = textOf(v).toLowerCase();
      const hex = s.replace(/^\{|\}$/g, "").replaceAll("-", "");
      if (!/^[0-9a-f]{32}$/.test(hex))
        throw new SqlError("22P02", `invalid input syntax for type uuid: "${s}"`);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case "json":
    case "jsonb":
      if (v instanceof SqlJson) return v;
      if (typeof v === "string") {
        try {
          return new SqlJson(JSON.parse(v));
        } catch {
          throw new SqlError("22P02", "invalid input syntax for type json");
        }
      }
      return noCast(v, to);
    default:
      if (isTemporal(to)) {
        if (typeof v !== "string") return noCast(v, to);
        return castTemporal(v, to);
      }
      return noCast(v, to);
  }
}

function noCast(v: SqlValue, to: SqlType): never {
  throw new SqlError("42846", `cannot cast type ${typeOfValue(v)} to ${to}`);
}

/** NUMERIC(p, s): rounded to s digits, at most p - s before the point. @throws SqlError 22003. */
function fitNumeric(d: Decimal, mod: TypeMod): Decimal {
  const r = d.round(mod.scale ?? 0);
  if (mod.precision !== undefined) {
    const intDigits = (r.units < 0n ? -r.units : r.units).toString().length - r.scale;
    if (r.units !== 0n && intDigits > mod.precision - (mod.scale ?? 0)) {
      throw new SqlError("22003", "numeric field overflow");
    }
  }
  return r;
}

function toInteger(v: SqlValue, to: SqlType): number | bigint {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new SqlError("22003", `${to} out of range`);
    return rint(v);
  }
  if (typeof v === "bigint") return v;
  if (v instanceof Decimal) return v.round(0).units;
  if (typeof v === "boolean" && to === "integer") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim();
    if (!/^[+-]?\d+$/.test(s)) throw new SqlError("22P02", `invalid input syntax for type ${to}: "${v}"`);
    return BigInt(s);
  }
  return noCast(v, to);
}

function toFloat(v: SqlValue): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Decimal) return v.toNumber();
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "nan") return Number.NaN;
    if (s === "infinity" || s === "+infinity" || s === "inf") return Number.POSITIVE_INFINITY;
    if (s === "-infinity" || s === "-inf") return Number.NEGATIVE_INFINITY;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) {
      throw new SqlError("22P02", `invalid input syntax for type double precision: "${v}"`);
    }
    return Number(s);
  }
  return noCast(v, "double precision");
}

function toBoolean(v: SqlValue): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isInteger(v)) return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["t", "true", "y", "yes", "on", "1"].includes(s)) return true;
    if (["f", "false", "n", "no", "off", "0"].includes(s)) return false;
    throw new SqlError("22P02", `invalid input syntax for type boolean: "${v}"`);
  }
  return noCast(v, "boolean");
}

/** PostgreSQL's bytea input: `\x` hex, else the escape format (backslash octal). */
function parseBytea(s: string): Uint8Array {
  if (s.startsWith("\\x")) {
    const hex = s.slice(2);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new SqlError("22P02", "invalid hexadecimal data");
    return Uint8Array.from(Buffer.from(hex, "hex"));
  }
  return Uint8Array.from(Buffer.from(s.replace(/\\\\/g, "\\"), "utf8"));
}

/** The text form of a value, as PostgreSQL prints it (a cast to text). */
export function textOf(v: SqlValue): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return floatText(v);
  if (typeof v === "bigint" || v instanceof Decimal) return v.toString();
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString("hex")}`;
  if (v instanceof SqlJson) return jsonbText(v.v);
  return `{${v.map((x) => (x === null ? "NULL" : textOf(x))).join(",")}}`;
}

/**
 * PostgreSQL's jsonb output text: `{"a": 1, "b": [1, 2]}` (a space after `:` and `,`), object keys in
 * jsonb's stored order (shorter keys first, then bytewise), duplicate keys already merged by JSON.parse.
 */
export function jsonbText(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(", ")}]`;
  const keys = Object.keys(v).sort((a, b) => {
    const la = Buffer.byteLength(a);
    const lb = Buffer.byteLength(b);
    return la !== lb ? la - lb : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(", ")}}`;
}

/**
 * PostgreSQL's float8 output (shortest round-trip text; exponent from 1e15 and below 1e-4); with `real`,
 * float4's (exponent from 1e6).
 */
export function floatText(n: number, real = false): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(n, -0)) return "-0";
  const a = Math.abs(n);
  if (a !== 0 && (a >= (real ? 1e6 : 1e15) || a < 1e-4)) {
    const [m, e] = n.toExponential().split("e") as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(n);
}

/** The type of a value without context (for messages and untyped literals). */
export function typeOfValue(v: SqlValue): SqlType {
  if (v === null) return "unknown";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "double precision";
  if (typeof v === "bigint") return "bigint";
  if (v instanceof Decimal) return "numeric";
  if (typeof v === "string") return "text";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof Uint8Array) return "bytea";
  if (v instanceof SqlJson) return "jsonb";
  return "unknown[]";
}

/** The shortest decimal that reads back as the same float4 (PostgreSQL's `real` output), as a number. */
export function shortestReal(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/**
 * A result value as `db.sql` hands it out (see docs/sql.md): numeric as text, JSON unboxed, `real` as the
 * shortest decimal of its float4 (what PostgreSQL prints: 0.1, not 0.10000000149011612).
 */
export function outputValue(v: SqlValue, type?: SqlType): unknown {
  if (type === "real" && typeof v === "number") return shortestReal(v);
  if (v instanceof Decimal) return v.toString();
  if (v instanceof SqlJson) return v.v;
  if (Array.isArray(v)) return v.map((x) => outputValue(x, type?.replace(/\[\]$/, "")));
  return v;
}
