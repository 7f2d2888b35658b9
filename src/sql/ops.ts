/**
 * Operators on SQL values with PostgreSQL's typing: the result type of arithmetic (smallint < integer <
 * bigint < numeric < double precision, with `real` op `real` staying real), integer overflow as an error
 * (22003), integer division truncating, division by zero 22012; comparison across numeric types; text in
 * code point order (the "C" collation, PGlite's default). NULL handling (three-valued logic) is the
 * caller's: these functions take non-null operands.
 */
import { SqlError } from "../errors.js";
import { Decimal } from "./decimal.js";
import {
  castValue,
  FLOAT_TYPES,
  INT_TYPES,
  intValue,
  isNumericType,
  SqlJson,
  type SqlType,
  type SqlValue,
  textOf,
  toDecimal,
} from "./values.js";

const RANK: Record<string, number> = {
  smallint: 1,
  integer: 2,
  bigint: 3,
  numeric: 4,
  real: 5,
  "double precision": 6,
};

/** The common type two numeric operands are computed in. */
export function numericResultType(a: SqlType, b: SqlType): SqlType {
  if (a === "unknown") return b === "unknown" ? "integer" : b;
  if (b === "unknown") return a;
  const ra = RANK[a] ?? 0;
  const rb = RANK[b] ?? 0;
  if (ra === 0 || rb === 0) {
    throw new SqlError("42883", `operator does not exist: ${a} and ${b}`);
  }
  if (a === "real" && b === "real") return "real";
  if ((a === "real" && rb <= 4) || (b === "real" && ra <= 4)) return "double precision";
  return ra >= rb ? a : b;
}

/** `a op b` for non-null numeric operands, computed in type `t` (from {@link numericResultType}). */
export function arith(op: string, a: SqlValue, b: SqlValue, t: SqlType): SqlValue {
  if (INT_TYPES.has(t)) {
    const x = BigInt(castValue(a, "bigint") as bigint);
    const y = BigInt(castValue(b, "bigint") as bigint);
    let r: bigint;
    switch (op) {
      case "+":
        r = x + y;
        break;
      case "-":
        r = x - y;
        break;
      case "*":
        r = x * y;
        break;
      case "/":
        if (y === 0n) throw new SqlError("22012", "division by zero");
        r = x / y;
        break;
      case "%":
        if (y === 0n) throw new SqlError("22012", "division by zero");
        r = x % y;
        break;
      default:
        throw new SqlError("42883", `operator does not exist: ${t} ${op} ${t}`);
    }
    return intValue(r, t);
  }
  if (t === "numeric") {
    const x = toDecimal(a);
    const y = toDecimal(b);
    switch (op) {
      case "+":
        return x.add(y);
      case "-":
        return x.sub(y);
      case "*":
        return x.mul(y);
      case "/":
        return x.div(y);
      case "%":
        return x.mod(y);
      default:
        throw new SqlError("42883", `operator does not exist: numeric ${op} numeric`);
    }
  }
  if (FLOAT_TYPES.has(t)) {
    const x = castValue(a, "double precision") as number;
    const y = castValue(b, "double precision") as number;
    let r: number;
    switch (op) {
      case "+":
        r = x + y;
        break;
      case "-":
        r = x - y;
        break;
      case "*":
        r = x * y;
        break;
      case "/":
        if (y === 0) throw new SqlError("22012", "division by zero");
        r = x / y;
        break;
      case "%":
        throw new SqlError("42883", `operator does not exist: ${t} % ${t}`);
      default:
        throw new SqlError("42883", `operator does not exist: ${t} ${op} ${t}`);
    }
    if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y)) {
      throw new SqlError("22003", "value out of range: overflow");
    }
    return t === "real" ? Math.fround(r) : r;
  }
  throw new SqlError("42883", `operator does not exist: ${t} ${op} ${t}`);
}

/** Unary minus. */
export function negate(v: SqlValue, t: SqlType): SqlValue {
  if (typeof v === "bigint") return intValue(-v, "bigint");
  if (typeof v === "number") return INT_TYPES.has(t) ? intValue(-v, t) : -v;
  if (v instanceof Decimal) return v.neg();
  throw new SqlError("42883", `operator does not exist: - ${t}`);
}

/**
 * Orders two non-null values: negative, zero or positive. Numbers of any type compare by value (NaN above
 * every number, as PostgreSQL orders floats); text by code point; booleans false < true; bytea bytewise;
 * arrays element by element (NULL elements last).
 * @throws SqlError 42883 for values that cannot be compared.
 */
export function compareValues(a: SqlValue, b: SqlValue): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (isNum(a) && isNum(b)) {
    if (typeof a === "number" && !Number.isInteger(a)) return compareValues(a, Number(textOf(b)));
    if (typeof b === "number" && !Number.isInteger(b)) return compareValues(Number(textOf(a)), b);
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    return toDecimal(a).cmp(toDecimal(b));
  }
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i] as SqlValue;
      const y = b[i] as SqlValue;
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      const c = compareValues(x, y);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a instanceof SqlJson && b instanceof SqlJson) {
    const x = JSON.stringify(a.v);
    const y = JSON.stringify(b.v);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && isNum(b)) return compareValues(castValue(a, "numeric"), b);
  if (isNum(a) && typeof b === "string") return compareValues(a, castValue(b, "numeric"));
  throw new SqlError("42883", "operator does not exist: cannot compare these types");
}

function isNum(v: SqlValue): v is number | bigint | Decimal {
  return typeof v === "number" || typeof v === "bigint" || v instanceof Decimal;
}

/** Whether two types can be compared (numeric with numeric, text with text, same type otherwise). */
export function comparable(a: SqlType, b: SqlType): boolean {
  if (a === "unknown" || b === "unknown" || a === b) return true;
  if (isNumericType(a) && isNumericType(b)) return true;
  const text = (t: SqlType): boolean => t === "text" || t === "character varying";
  return text(a) && text(b);
}

/** SQL LIKE (ILIKE with `fold`): `%` any run, `_` one character, `\` escapes. */
export function like(s: string, pattern: string, fold: boolean): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i] as string);
    } else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, fold ? "iu" : "u").test(s);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
