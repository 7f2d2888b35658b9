/**
 * Redis 7.0's number rules for the string and hash counters (INCR, INCRBY, DECRBY, HINCRBY, INCRBYFLOAT,
 * HINCRBYFLOAT), restated for the engine:
 *
 * - Integers are Redis's `string2ll`: an optional `-`, then `0` alone or a digit 1-9 and more digits; no `+`,
 *   no spaces, no leading zeros, no `-0`; within the signed 64-bit range (BigInt here).
 * - Floats are Redis's `string2ld` over the x86-64 `long double` (x87 80-bit extended: a 64-bit significand,
 *   denormals down to 2^-16445, overflow at 2^16384): `strtold` must consume the whole text (decimal, hex
 *   `0x1.8p3`, `inf`/`infinity`), no leading space, no NaN, and no overflow or underflow to zero. Sums are
 *   rounded to the same format (nearest, ties to even), and the text stored and replied is glibc's `%.17Lf`
 *   of the exact value with trailing zeros and a bare point removed, `-0` written `0` (Redis's
 *   `ld2string(..., LD_STR_HUMAN)`).
 *
 * Sources: redis.io/commands/incr, /incrbyfloat, /hincrbyfloat; C99 7.20.1.3 (strtold), 7.19.6.1 (%f).
 * The reference model (sim/redis-model/numbers.ts, long-double.ts) restates the same rules independently;
 * test/types-numbers.test.ts checks the two against each other.
 */
import { DataTypeError } from "../errors.js";

/** Bounds of a signed 64-bit integer. */
export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);

/** Redis's reply texts for number errors. */
export const NUMBER_ERRORS = {
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  overflow: "ERR increment or decrement would overflow",
  decrementOverflow: "ERR decrement would overflow",
  nanOrInfinity: "ERR increment would produce NaN or Infinity",
  valueNanOrInfinity: "ERR value is NaN or Infinity",
  hashNotInteger: "ERR hash value is not an integer",
  hashNotFloat: "ERR hash value is not a float",
} as const;

/** Longest text string2ll looks at: 20 chars ("-9223372036854775808"); longer is never an int64. */
const INT64_CHARS_MAX = 20;

/**
 * `text` (a binary string) as Redis's strict 64-bit integer, or undefined if it is not one.
 * Checked character by character (no regular expression), so the rule reads as Redis's `string2ll`.
 */
export function string2ll(text: string): bigint | undefined {
  const n = text.length;
  if (n === 0 || n > INT64_CHARS_MAX) return undefined;
  const negative = text.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  if (start === n) return undefined;
  const first = text.charCodeAt(start);
  if (first === 0x30) return n === 1 ? 0n : undefined;
  if (first < 0x31 || first > 0x39) return undefined;
  for (let i = start + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** Like {@link string2ll}, throwing `ERR value is not an integer or out of range`. @throws DataTypeError. */
export function requireInt64(text: string, reply: string = NUMBER_ERRORS.notInteger): bigint {
  const v = string2ll(text);
  if (v === undefined) throw new DataTypeError("FUSEDB_NOT_INTEGER", reply);
  return v;
}

/** `a + b` exactly, or undefined if it leaves the signed 64-bit range (Redis's overflow check). */
export function addInt64(a: bigint, b: bigint): bigint | undefined {
  const sum = a + b;
  return sum > INT64_MAX || sum < INT64_MIN ? undefined : sum;
}

/**
 * `a + b`. @throws DataTypeError FUSEDB_OVERFLOW `ERR increment or decrement would overflow` outside int64.
 */
export function incrementInt64(a: bigint, b: bigint): bigint {
  const sum = addInt64(a, b);
  if (sum === undefined) throw new DataTypeError("FUSEDB_OVERFLOW", NUMBER_ERRORS.overflow);
  return sum;
}

/** A finite x87 extended value: `(-1)^negative · significand · 2^exponent`, significand < 2^64. */
export interface Extended {
  readonly negative: boolean;
  readonly significand: bigint;
  readonly exponent: number;
}

/** x87 extended: 64 significand bits, lowest bit weight 2^-16445, every finite value below 2^16384. */
const SIGNIFICAND_BITS = 64;
const LOWEST_EXPONENT = -16445;
const TOP_EXPONENT = 16384;

/** Longest text string2ld takes: its buffer is MAX_LONG_DOUBLE_CHARS = 5 * 1024 bytes with the NUL. */
const FLOAT_CHARS_MAX = 5 * 1024 - 1;

const ZERO: Extended = { negative: false, significand: 0n, exponent: 0 };

/** Bits of a non-negative integer (0 for 0). */
function bits(n: bigint): number {
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(Number.parseInt(hex.charAt(0), 16));
}

/**
 * Rounds `magnitude · 2^exponent` to x87 extended, nearest with ties to even. Returns "overflow" at 2^16384
 * and above. A zero result keeps the sign.
 */
function roundExtended(negative: boolean, magnitude: bigint, exponent: number): Extended | "overflow" {
  if (magnitude === 0n) return { negative, significand: 0n, exponent: 0 };
  let target = Math.max(exponent + bits(magnitude) - SIGNIFICAND_BITS, LOWEST_EXPONENT);
  let sig = magnitude;
  if (target > exponent) {
    const drop = BigInt(target - exponent);
    const kept = magnitude >> drop;
    const rest = magnitude - (kept << drop);
    const half = 1n << (drop - 1n);
    const up = rest > half || (rest === half && (kept & 1n) === 1n);
    sig = up ? kept + 1n : kept;
    if (bits(sig) > SIGNIFICAND_BITS) {
      sig >>= 1n;
      target += 1;
    }
  } else {
    sig = magnitude << BigInt(exponent - target);
  }
  if (target + bits(sig) > TOP_EXPONENT) return "overflow";
  return { negative, significand: sig, exponent: target };
}

const DECIMAL_FLOAT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITE_FLOAT = /^[+-]?(?:inf|infinity)$/i;

/** Digits past which a decimal exponent surely over- or underflows x87 (about 10^±4951). */
const DECIMAL_EXPONENT_BOUND = 5000;
/** Bits past which a hex exponent surely over- or underflows x87 (2^16384, 2^-16445). */
const BINARY_EXPONENT_BOUND = 17000;

/** Parsed float text: a finite value, an infinity, or a value strtold rejects with ERANGE. */
export type ParsedExtended = Extended | "infinity" | "range";

/**
 * `text` as strtold reads all of it, or undefined for text strtold stops inside of (or NaN).
 * Overflow, and a nonzero value that rounds to zero, are "range" (strtold's ERANGE with HUGE_VAL or 0).
 */
export function parseExtended(text: string): ParsedExtended | undefined {
  if (INFINITE_FLOAT.test(text)) return "infinity";
  const hex = HEX_FLOAT.exec(text);
  const m = hex ?? DECIMAL_FLOAT.exec(text);
  if (m === null) return undefined;
  const negative = m[1] === "-";
  const whole = m[2] ?? "";
  const fraction = m[3] ?? "";
  if (whole.length + fraction.length === 0) return undefined;
  const digits = (whole + fraction).replace(/^0+/, "");
  if (digits === "") return { negative, significand: 0n, exponent: 0 };
  const exp = Number(m[4] ?? "0");
  if (hex !== null) {
    const binaryExp = exp - 4 * fraction.length;
    const lead = binaryExp + 4 * digits.length;
    if (lead > BINARY_EXPONENT_BOUND) return "range";
    if (lead < -BINARY_EXPONENT_BOUND) return "range";
    return settle(roundExtended(negative, BigInt(`0x${digits}`), binaryExp));
  }
  const decimalExp = exp - fraction.length;
  const lead = decimalExp + digits.length;
  if (lead > DECIMAL_EXPONENT_BOUND || lead < -DECIMAL_EXPONENT_BOUND) return "range";
  const mantissa = BigInt(digits);
  if (decimalExp >= 0) return settle(roundExtended(negative, mantissa * 10n ** BigInt(decimalExp), 0));
  // mantissa / 10^k: a quotient with at least 66 bits (64 kept, a round bit, a guard bit) and a sticky tail.
  const divisor = 10n ** BigInt(-decimalExp);
  const shift = Math.max(0, SIGNIFICAND_BITS + 2 + bits(divisor) - bits(mantissa));
  const scaled = mantissa << BigInt(shift);
  const quotient = scaled / divisor;
  const sticky = quotient * divisor !== scaled;
  // A nonzero remainder lies below the quotient's last bit: one extra low bit set to 1 stands for it (the
  // rounding drops at least 3 bits, so the bit decides only between "exactly half" and "above half").
  return settle(roundExtended(negative, (quotient << 1n) | (sticky ? 1n : 0n), -shift - 1));
}

/** Overflow and underflow to zero are strtold's ERANGE. */
function settle(r: Extended | "overflow"): ParsedExtended {
  if (r === "overflow" || r.significand === 0n) return "range";
  return r;
}

/** The exact sum rounded to x87 extended, or "overflow". */
export function addExtended(a: Extended, b: Extended): Extended | "overflow" {
  const low = Math.min(a.exponent, b.exponent);
  const av = (a.negative ? -a.significand : a.significand) << BigInt(a.exponent - low);
  const bv = (b.negative ? -b.significand : b.significand) << BigInt(b.exponent - low);
  const sum = av + bv;
  if (sum === 0n) {
    // IEEE: x + (-x) is +0 when rounding to nearest; -0 + -0 is -0.
    return { negative: a.negative && b.negative, significand: 0n, exponent: 0 };
  }
  return roundExtended(sum < 0n, sum < 0n ? -sum : sum, low);
}

/** Digits after the point of Redis's human long double text (`%.17Lf`). */
const HUMAN_DECIMALS = 17;

/**
 * Redis's human text of a long double (ld2string LD_STR_HUMAN): `%.17Lf` of the exact value (rounded half to
 * even), trailing zeros and then a bare point removed, `-0` as `0`.
 */
export function formatExtended(v: Extended): string {
  const scale = 10n ** BigInt(HUMAN_DECIMALS);
  let units: bigint;
  if (v.exponent >= 0) units = (v.significand << BigInt(v.exponent)) * scale;
  else {
    const exact = v.significand * scale;
    const drop = BigInt(-v.exponent);
    units = exact >> drop;
    const rest = exact - (units << drop);
    const half = 1n << (drop - 1n);
    if (rest > half || (rest === half && (units & 1n) === 1n)) units += 1n;
  }
  const s = units.toString();
  const whole = s.length > HUMAN_DECIMALS ? s.slice(0, s.length - HUMAN_DECIMALS) : "0";
  const fraction = s.slice(-HUMAN_DECIMALS).padStart(HUMAN_DECIMALS, "0").replace(/0+$/, "");
  const body = fraction === "" ? whole : `${whole}.${fraction}`;
  return v.negative && body !== "0" ? `-${body}` : body;
}

/**
 * `text` as string2ld accepts it, for a float increment or a stored value: "infinity" for ±inf (accepted by
 * the parse; the caller's sum then fails), undefined when not a valid float.
 */
export function string2ld(text: string): Extended | "infinity" | undefined {
  if (text.length === 0 || text.length > FLOAT_CHARS_MAX) return undefined;
  const p = parseExtended(text);
  return p === "range" ? undefined : p;
}

/**
 * INCRBYFLOAT/HINCRBYFLOAT's sum: `current` (undefined: absent, 0) plus `increment`, both texts.
 * `notFloat` is the reply for a current value that does not parse (INCRBYFLOAT: "ERR value is not a valid
 * float"; HINCRBYFLOAT: "ERR hash value is not a float"). Returns the text to store and reply.
 * @throws DataTypeError FUSEDB_NOT_FLOAT, or FUSEDB_NAN "ERR increment would produce NaN or Infinity".
 */
export function incrementFloatText(
  current: string | undefined,
  increment: string,
  notFloat: string = NUMBER_ERRORS.notFloat,
): string {
  const old = current === undefined ? ZERO : string2ld(current);
  if (old === undefined) throw new DataTypeError("FUSEDB_NOT_FLOAT", notFloat);
  const incr = string2ld(increment);
  if (incr === undefined) throw new DataTypeError("FUSEDB_NOT_FLOAT", NUMBER_ERRORS.notFloat);
  if (old === "infinity" || incr === "infinity") {
    throw new DataTypeError("FUSEDB_NAN", NUMBER_ERRORS.nanOrInfinity);
  }
  const sum = addExtended(old, incr);
  if (sum === "overflow") throw new DataTypeError("FUSEDB_NAN", NUMBER_ERRORS.nanOrInfinity);
  return formatExtended(sum);
}
