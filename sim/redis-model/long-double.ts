/**
 * Exact emulation of the x86-64 `long double` (x87 80-bit extended: 64-bit significand, exponents down to the
 * 2^-16445 denormals, overflow at 2^16384) that Redis 7.0 uses for INCRBYFLOAT and HINCRBYFLOAT, so the model
 * reproduces Redis's digits rather than those of IEEE doubles. Values are `sign · mant · 2^exp` with BigInt
 * arithmetic: parsing rounds the exact decimal (or hex) value to nearest-even like glibc's strtold, addition
 * rounds the exact sum, and formatting is glibc's `%.17Lf` on the exact binary value.
 * Source of the rules: redis.io/commands/incrbyfloat ("precision of the output is fixed at 17 digits after
 * the decimal point"), and C99 §7.20.1.3 (strtold) / §7.19.6.1 (%f).
 */

/** A finite long double `(-1)^neg · mant · 2^exp`, `mant < 2^64`; `mant = 0n` is a (signed) zero. */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
}

/** A binary floating format: significand bits, smallest exponent of the last bit, largest exponent. */
interface BinaryFormat {
  bits: number;
  expMin: number;
  expMax: number;
}

/** x87 extended: 64 significand bits; denormal floor 2^(-16382-63); finite values below 2^16384. */
const X87: BinaryFormat = { bits: 64, expMin: -16382 - 63, expMax: 16384 - 64 };

/** Result of rounding: a finite value, or overflow to infinity. */
export type Rounded = LongDouble | "overflow";

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds `num/den · 2^scale` (num, den > 0n) to the nearest `fmt` value, ties to even. */
function roundRational(neg: boolean, num: bigint, den: bigint, scale: number, fmt: BinaryFormat): Rounded {
  if (num === 0n) return { neg, mant: 0n, exp: 0 };
  // Pick e so that the quotient num/den · 2^(scale-e) has exactly fmt.bits bits (or fewer at the floor).
  let e = scale + bitLength(num) - bitLength(den) - fmt.bits;
  const quotient = (at: number): [bigint, bigint, bigint] => {
    const shift = scale - at;
    const n = shift >= 0 ? num << BigInt(shift) : num;
    const d = shift >= 0 ? den : den << BigInt(-shift);
    return [n / d, n % d, d];
  };
  let [q, r, d] = quotient(e);
  if (bitLength(q) > fmt.bits) [q, r, d] = quotient(++e);
  if (bitLength(q) < fmt.bits) [q, r, d] = quotient(--e);
  if (e < fmt.expMin) {
    e = fmt.expMin;
    [q, r, d] = quotient(e);
  }
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
  if (bitLength(q) > fmt.bits) {
    q >>= 1n;
    e += 1;
  }
  if (e > fmt.expMax) return "overflow";
  return { neg, mant: q, exp: e };
}

const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/** Parsed text: a finite value, ±infinity, or a value strtold would flag with ERANGE (over/underflow). */
export type ParsedFloat =
  | LongDouble
  | { inf: true; neg: boolean }
  | { range: "overflow" | "underflow"; neg: boolean };

/**
 * Parses `text` as strtold would, consuming all of it: decimal, hex (`0x1.8p3`) or `inf`/`infinity`.
 * Returns undefined for anything else (including leading/trailing spaces and `nan`), `range: "overflow"`
 * when the value is too large and `range: "underflow"` when a nonzero value rounds to zero. `fmt` defaults to x87 extended.
 */
export function parseBinaryFloat(text: string, fmt: BinaryFormat = X87): ParsedFloat | undefined {
  const inf = INFINITY.exec(text);
  if (inf) return { inf: true, neg: inf[1] === "-" };
  const dec = DECIMAL.exec(text);
  const hex = dec ? null : HEX.exec(text);
  const m = dec ?? hex;
  if (!m) return undefined;
  const neg = m[1] === "-";
  const intDigits = m[2] ?? "";
  const fracDigits = m[3] ?? m[4] ?? "";
  const expText = m[5] ?? "0";
  const radix = dec ? 10 : 16;
  const digits = `${intDigits}${fracDigits}`.replace(/^0+/, "");
  if (digits === "") return { neg, mant: 0n, exp: 0 };
  // Exponents beyond any representable value (|e| ≫ 16384 bits) are decided without building huge numbers.
  const expNum = Number(expText);
  // Decimal digits (or bits, for hex) before the point once the leading zeros are gone; ±6000 decimal
  // digits and ±20000 bits are well past x87's range (about 1e±4951, 2^±16445).
  const lead = expNum - (dec ? 1 : 4) * fracDigits.length + (dec ? 1 : 4) * digits.length;
  const bound = dec ? 6000 : 20000;
  if (lead > bound) return { range: "overflow", neg };
  if (lead < -bound) return { range: "underflow", neg };
  const mantissa = BigInt(`${radix === 16 ? "0x" : ""}${digits}`);
  let r: Rounded;
  if (dec) {
    const e10 = expNum - fracDigits.length;
    r =
      e10 >= 0
        ? roundRational(neg, mantissa * 10n ** BigInt(e10), 1n, 0, fmt)
        : roundRational(neg, mantissa, 10n ** BigInt(-e10), 0, fmt);
  } else {
    r = roundRational(neg, mantissa, 1n, expNum - 4 * fracDigits.length, fmt);
  }
  if (r === "overflow") return { range: "overflow", neg };
  if (r.mant === 0n) return { range: "underflow", neg };
  return r;
}

/** Exact sum rounded to x87 extended; "overflow" when it exceeds the largest finite value. */
export function addLongDouble(a: LongDouble, b: LongDouble): Rounded {
  const low = Math.min(a.exp, b.exp);
  const av = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - low);
  const bv = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - low);
  const sum = av + bv;
  if (sum === 0n) return { neg: a.neg && b.neg && a.mant === 0n && b.mant === 0n, mant: 0n, exp: 0 };
  return roundRational(sum < 0n, sum < 0n ? -sum : sum, 1n, low, X87);
}

/**
 * Redis's "human" long double text (`ld2string` LD_STR_HUMAN): glibc `%.17Lf` (17 digits after the point,
 * exact value rounded half-to-even), then trailing zeros and a bare point trimmed, and "-0" written "0".
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  const scaled = v.mant * 10n ** 17n;
  let q: bigint;
  if (v.exp >= 0) {
    q = scaled << BigInt(v.exp);
  } else {
    const den = 1n << BigInt(-v.exp);
    q = scaled / den;
    const twice = 2n * (scaled % den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(18, "0");
  let text = `${v.neg ? "-" : ""}${digits.slice(0, -17)}.${digits.slice(-17)}`;
  text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}
