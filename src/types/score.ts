/**
 * Sorted-set scores and range bounds as Redis 7.0 reads them (redis.io/commands/zadd, /zrange):
 * scores are IEEE doubles parsed like C's `strtod` over the whole text (decimal, hex `0x1p3`, `inf`,
 * `infinity`; never NaN), score bounds add a `(` for exclusive and are read by bare strtod (leading spaces
 * skipped, "" is 0, out of range is ±inf or ±0), lex bounds are `[x`, `(x`, `-` and `+`.
 * Replies format scores with `formatDouble` (src/server/resp-writer.ts, Redis 7.0's `%.17g`).
 * Idea: C99 §7.20.1.3 (strtod), restated; the reference model (sim/redis-model/numbers.ts) is the oracle.
 */
import { DataTypeError } from "../errors.js";

/** What strtod made of a whole text: a value, or an ERANGE (`overflow`: ±HUGE_VAL, `underflow`: ±0). */
export type Strtod = { value: number } | { range: "overflow" | "underflow"; neg: boolean };

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/** Double format: the lowest exponent of a last bit (denormals) and of a leading bit before overflow. */
const EXP_LSB_MIN = -1074;
const EXP_TOP_MAX = 1023;
const MANTISSA_BITS = 53;

/**
 * Parses all of `text` as strtod would, or undefined (NaN, spaces, trailing bytes, nothing to parse).
 * Decimal text relies on JavaScript's correctly rounded conversion (as glibc's); hex is rounded here.
 */
export function strtod(text: string): Strtod | undefined {
  const inf = INFINITY.exec(text);
  if (inf) return { value: inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY };
  if (DECIMAL.test(text)) {
    const value = Number(text);
    const neg = text.startsWith("-");
    if (!Number.isFinite(value)) return { range: "overflow", neg };
    const mantissa = text.split(/[eE]/)[0] ?? "";
    if (value === 0 && /[1-9]/.test(mantissa)) return { range: "underflow", neg };
    return { value };
  }
  const hex = HEX.exec(text);
  return hex ? hexValue(hex) : undefined;
}

/** The double of a hex float's parts, rounded to nearest even. */
function hexValue(m: RegExpExecArray): Strtod {
  const neg = m[1] === "-";
  const frac = m[3] ?? m[4] ?? "";
  const digits = `${m[2] ?? ""}${frac}`.replace(/^0+/, "");
  if (digits === "") return { value: neg ? -0 : 0 };
  const exp2 = Number(m[5] ?? "0") - 4 * frac.length;
  const mant = BigInt(`0x${digits}`);
  const bits = mant.toString(2).length;
  const top = exp2 + bits - 1;
  if (top > EXP_TOP_MAX) return { range: "overflow", neg };
  if (top < EXP_LSB_MIN - 2) return { range: "underflow", neg };
  const lsb = Math.max(top - (MANTISSA_BITS - 1), EXP_LSB_MIN);
  const shift = lsb - exp2;
  let q = mant;
  if (shift > 0) {
    q = mant >> BigInt(shift);
    const rest = mant - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  } else if (shift < 0) q = mant << BigInt(-shift);
  const magnitude = Number(q) * 2 ** lsb;
  if (magnitude === 0) return { range: "underflow", neg };
  if (!Number.isFinite(magnitude)) return { range: "overflow", neg };
  return { value: neg ? -magnitude : magnitude };
}

/**
 * A score or weight as ZADD, ZINCRBY and WEIGHTS read it (Redis's getDoubleFromObject): the whole text,
 * no leading space, no NaN, no overflow, no underflow to zero. Undefined when invalid.
 */
export function parseScore(text: string): number | undefined {
  const r = strtod(text);
  return r !== undefined && "value" in r ? r.value : undefined;
}

/** A score range bound: the value and whether it is exclusive (`(`). */
export interface ScoreBound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A lex range bound: below every member (`-`), above every member (`+`), or `[x` / `(x`. */
export type LexBound =
  | { readonly kind: "min" }
  | { readonly kind: "max" }
  | { readonly kind: "value"; readonly value: string; readonly exclusive: boolean };

/**
 * A score bound's text (`1.5`, `(1.5`, `-inf`, `(+inf`) as Redis 7.0's zslParseRange reads it: bare
 * strtod, so leading spaces are skipped, "" (and `(` alone) is 0, overflow is ±inf, underflow ±0.
 * @throws DataTypeError FUSEDB_NOT_FLOAT "ERR min or max is not a float".
 */
export function parseScoreBound(text: string): ScoreBound {
  const exclusive = text.startsWith("(");
  const body = exclusive ? text.slice(1) : text;
  let value: number | undefined;
  if (body === "") value = 0;
  else {
    const r = strtod(body.replace(/^[ \t\n\v\f\r]+/, ""));
    if (r !== undefined && "value" in r) value = r.value;
    else if (r !== undefined) {
      const huge = r.neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      value = r.range === "overflow" ? huge : r.neg ? -0 : 0;
    }
  }
  if (value === undefined) throw new DataTypeError("FUSEDB_NOT_FLOAT", "ERR min or max is not a float");
  return { value, exclusive };
}

/**
 * A lex bound's text (`-`, `+`, `[a`, `(a`; bytes as a binary string).
 * @throws DataTypeError FUSEDB_SYNTAX "ERR min or max not valid string range item".
 */
export function parseLexBound(text: string): LexBound {
  if (text === "-") return { kind: "min" };
  if (text === "+") return { kind: "max" };
  const c = text.charAt(0);
  if (c === "[" || c === "(") return { kind: "value", value: text.slice(1), exclusive: c === "(" };
  throw new DataTypeError("FUSEDB_SYNTAX", "ERR min or max not valid string range item");
}

/** Whether `member` is at or above `min` (lex). */
export function lexAboveMin(member: string, min: LexBound): boolean {
  if (min.kind !== "value") return min.kind === "min";
  return min.exclusive ? member > min.value : member >= min.value;
}

/** Whether `member` is at or below `max` (lex). */
export function lexBelowMax(member: string, max: LexBound): boolean {
  if (max.kind !== "value") return max.kind === "max";
  return max.exclusive ? member < max.value : member <= max.value;
}

/** The score as stored: -0 is 0 (Redis's small encoding keeps integral scores as integers). */
export function storedScore(score: number): number {
  return score === 0 ? 0 : score;
}
