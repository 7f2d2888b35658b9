/**
 * Redis 7.0's number rules, restated from redis.io/commands (INCR: "the string stored at the key ... that
 * can be represented as a 64 bit signed integer"; INCRBYFLOAT; ZADD: "score values should be the string
 * representation of a double precision floating point number. +inf and -inf values are valid values").
 */

import { fail, MSG } from "./errors.js";
import { type LongDouble, parseBinaryFloat } from "./long-double.js";

/** Bounds of a signed 64-bit integer, the range of INCR and friends. */
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

const STRICT_INTEGER = /^(?:0|-?[1-9]\d*)$/;

/**
 * Parses `text` as Redis's strict integer (string2ll): optional `-`, no `+`, no spaces, no leading zeros,
 * no `-0`, within [-2^63, 2^63-1]. Returns undefined otherwise.
 */
export function parseRedisInteger(text: string): bigint | undefined {
  if (!STRICT_INTEGER.test(text)) return undefined;
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** Like {@link parseRedisInteger} but throws "ERR value is not an integer or out of range". */
export function requireRedisInteger(text: string): bigint {
  const v = parseRedisInteger(text);
  return v === undefined ? fail(MSG.notInteger) : v;
}

/** Exact `a + b` or undefined when it leaves the signed 64-bit range. */
export function addInt64(a: bigint, b: bigint): bigint | undefined {
  const sum = a + b;
  return sum < INT64_MIN || sum > INT64_MAX ? undefined : sum;
}

/**
 * Parses `text` as a long double the way INCRBYFLOAT does (string2ld): all of the text, no leading space,
 * no NaN, no under/overflow. Infinity parses (the increment then fails as "NaN or Infinity").
 * Returns "inf" for ±infinity and undefined when the text is not a valid float.
 */
export function parseLongDouble(text: string): LongDouble | "inf" | undefined {
  if (text.length === 0 || text.length >= 5 * 1024) return undefined;
  const p = parseBinaryFloat(text);
  if (p === undefined || "range" in p) return undefined;
  return "inf" in p ? "inf" : p;
}

/** IEEE double: 53 significand bits, smallest denormal 2^-1074, finite below 2^1024. */
const DOUBLE = { bits: 53, expMin: -1074, expMax: 1024 - 53 };

/**
 * Parses `text` as a double the way ZADD scores, WEIGHTS and range bounds are (strtod, whole text): decimal,
 * hex, `inf`/`+inf`/`-inf`/`infinity`; rejects spaces, NaN and values out of range. Undefined when invalid.
 */
export function parseRedisDouble(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const p = parseBinaryFloat(text, DOUBLE);
  if (p === undefined || "range" in p) return undefined;
  return doubleOf(p);
}

/** The double of a parsed finite or infinite value (exact: the value was rounded to a double already). */
function doubleOf(p: LongDouble | { inf: true; neg: boolean }): number {
  if ("inf" in p) return p.neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const magnitude = Number(p.mant) * 2 ** p.exp;
  return p.neg ? -magnitude : magnitude;
}

/**
 * Parses the number of a score range bound (ZRANGE BYSCORE, ZCOUNT, ZREMRANGEBYSCORE; the text after an
 * optional `(`) as Redis 7.0's zslParseRange does: plain `strtod`, which must consume the whole text, and
 * NaN rejected. Unlike ZADD's scores (see {@link parseRedisDouble}) leading whitespace is skipped, an empty
 * text is 0 (strtod converts nothing and stops at the end, so `(` alone is "above 0"), an overflow is ±inf
 * and an underflow ±0. Checked against real Redis 7.0.15 (test/redis-model-differential.test.ts).
 */
export function parseBoundDouble(text: string): number | undefined {
  if (text === "") return 0;
  const p = parseBinaryFloat(text.replace(/^[ \t\n\v\f\r]+/, ""), DOUBLE);
  if (p === undefined) return undefined;
  if (!("range" in p)) return doubleOf(p);
  const magnitude = p.range === "overflow" ? Number.POSITIVE_INFINITY : 0;
  return p.neg ? -magnitude : magnitude;
}

/**
 * Formats a double as Redis 7.0 replies scores (`%.17g`): 17 significant digits, trailing zeros dropped,
 * exponent form when the decimal exponent is below -4 or at least 17; `inf`/`-inf` for infinities.
 */
export function formatRedisDouble(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (Object.is(x, -0)) return "-0";
  const [mant = "0", expText = "0"] = x.toExponential(16).split("e");
  const exp = Number(expText);
  const sign = mant.startsWith("-") ? "-" : "";
  const digits = mant.replace("-", "").replace(".", "");
  if (exp < -4 || exp >= 17) {
    const m = `${digits[0]}.${digits.slice(1)}`.replace(/0+$/, "").replace(/\.$/, "");
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  const whole = exp >= 0 ? digits.slice(0, exp + 1) : "0";
  const frac = exp >= 0 ? digits.slice(exp + 1) : `${"0".repeat(-exp - 1)}${digits}`;
  const trimmed = frac.replace(/0+$/, "");
  return `${sign}${whole}${trimmed ? `.${trimmed}` : ""}`;
}
