/**
 * Exact decimals for SQL NUMERIC: an unscaled bigint and a decimal scale (value = units / 10^scale). The
 * scale is the *display scale* PostgreSQL keeps (dscale): `1.50` has scale 2 and prints as `1.50`. Sums,
 * differences and products are exact with PostgreSQL's result scales (max, max, sum); quotients follow
 * PostgreSQL's `select_div_scale` (src/backend/utils/adt/numeric.c: at least 16 significant digits, at
 * least either input's scale), rounded half away from zero, so `AVG` and `/` print as PostgreSQL prints.
 */
import { SqlError } from "../errors.js";

const NBASE = 10_000n;
/** PostgreSQL's NUMERIC_MIN_SIG_DIGITS and DEC_DIGITS (digits per base-10000 digit). */
const MIN_SIG_DIGITS = 16;
const DEC_DIGITS = 4;
const MAX_DISPLAY_SCALE = 1000;

/** An exact decimal number; immutable. */
export class Decimal {
  constructor(
    readonly units: bigint,
    readonly scale: number,
  ) {}

  /** Parses decimal text (`-12.340`, `1e3`, `.5`). @throws SqlError 22P02 on anything else. */
  static parse(text: string): Decimal {
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
      throw new SqlError("22P02", `invalid input syntax for type numeric: "${text}"`);
    }
    const frac = m[3] ?? "";
    let units = BigInt(`${m[2] || "0"}${frac}`);
    let scale = frac.length;
    const exp = m[4] === undefined ? 0 : Number(m[4]);
    if (exp > 0) {
      const shift = Math.min(exp, scale);
      scale -= shift;
      units *= 10n ** BigInt(exp - shift);
      // digits moved left of the point keep no fraction
    } else if (exp < 0) scale -= exp;
    return new Decimal(m[1] === "-" ? -units : units, scale);
  }

  /** An exact decimal of a JS number (integers exactly; fractions through their shortest text). */
  static of(n: number | bigint): Decimal {
    if (typeof n === "bigint") return new Decimal(n, 0);
    if (Number.isInteger(n)) return new Decimal(BigInt(n), 0);
    if (!Number.isFinite(n)) throw new SqlError("22P02", `cannot convert ${n} to numeric`);
    return Decimal.parse(String(n));
  }

  rescale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.units * 10n ** BigInt(scale - this.scale), scale);
    return new Decimal(divRound(this.units, 10n ** BigInt(this.scale - scale)), scale);
  }

  add(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s).units + o.rescale(s).units, s);
  }

  sub(o: Decimal): Decimal {
    return this.add(o.neg());
  }

  neg(): Decimal {
    return new Decimal(-this.units, this.scale);
  }

  mul(o: Decimal): Decimal {
    return new Decimal(this.units * o.units, this.scale + o.scale);
  }

  /** The quotient at PostgreSQL's division scale. @throws SqlError 22012 on a zero divisor. */
  div(o: Decimal): Decimal {
    if (o.units === 0n) throw new SqlError("22012", "division by zero");
    const scale = divScale(this, o);
    // units / 10^s1 / (o.units / 10^s2) at `scale`: (units * 10^(scale + s2 - s1)) / o.units, rounded
    const exp = scale + o.scale - this.scale;
    const num = exp >= 0 ? this.units * 10n ** BigInt(exp) : this.units;
    const den = exp >= 0 ? o.units : o.units * 10n ** BigInt(-exp);
    return new Decimal(divRound(num, den), scale);
  }

  /** Remainder with the dividend's sign (PostgreSQL's `%`). @throws SqlError 22012 on a zero divisor. */
  mod(o: Decimal): Decimal {
    if (o.units === 0n) throw new SqlError("22012", "division by zero");
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s).units % o.rescale(s).units, s);
  }

  cmp(o: Decimal): number {
    const s = Math.max(this.scale, o.scale);
    const a = this.rescale(s).units;
    const b = o.rescale(s).units;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  sign(): number {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }

  /** Rounded half away from zero to `digits` fraction digits (negative: to tens, hundreds, ...). */
  round(digits: number): Decimal {
    if (digits >= this.scale) return this.rescale(digits);
    if (digits >= 0) return this.rescale(digits);
    const p = 10n ** BigInt(-digits);
    return new Decimal(divRound(this.rescale(0).units, p) * p, 0);
  }

  /** Towards minus infinity (`up`: plus infinity), scale 0. */
  floorCeil(up: boolean): Decimal {
    const p = 10n ** BigInt(this.scale);
    let q = this.units / p;
    const r = this.units % p;
    if (r !== 0n && r > 0n === up) q += up ? 1n : -1n;
    return new Decimal(q, 0);
  }

  /** Truncated towards zero to an integer. */
  trunc(): bigint {
    return this.units / 10n ** BigInt(this.scale);
  }

  toNumber(): number {
    return Number(this.toString());
  }

  /** PostgreSQL's output: every digit of the display scale, no exponent. */
  toString(): string {
    const neg = this.units < 0n;
    const digits = (neg ? -this.units : this.units).toString().padStart(this.scale + 1, "0");
    const int = digits.slice(0, digits.length - this.scale);
    const frac = digits.slice(digits.length - this.scale);
    return `${neg ? "-" : ""}${int}${this.scale > 0 ? `.${frac}` : ""}`;
  }
}

/** a / b rounded half away from zero. */
function divRound(a: bigint, b: bigint): bigint {
  const neg = a < 0n !== b < 0n;
  const aa = a < 0n ? -a : a;
  const bb = b < 0n ? -b : b;
  let q = aa / bb;
  if ((aa % bb) * 2n >= bb) q += 1n;
  return neg ? -q : q;
}

/** The weight and first digit of |d| in base 10000, as PostgreSQL's numeric holds it. */
function firstDigit(d: Decimal): { weight: number; first: bigint } {
  let u = d.units < 0n ? -d.units : d.units;
  if (u === 0n) return { weight: 0, first: 0n };
  // align the scale to a multiple of 4 so base-10000 digits line up with the decimal point
  const pad = (DEC_DIGITS - (d.scale % DEC_DIGITS)) % DEC_DIGITS;
  u *= 10n ** BigInt(pad);
  const fracDigits = (d.scale + pad) / DEC_DIGITS;
  let n = 0;
  while (u >= NBASE) {
    u /= NBASE;
    n++;
  }
  return { weight: n - fracDigits, first: u };
}

/** PostgreSQL's select_div_scale. */
function divScale(a: Decimal, b: Decimal): number {
  const x = firstDigit(a);
  const y = firstDigit(b);
  let qweight = x.weight - y.weight;
  if (x.first <= y.first) qweight--;
  let scale = MIN_SIG_DIGITS - qweight * DEC_DIGITS;
  scale = Math.max(scale, a.scale, b.scale, 0);
  return Math.min(scale, MAX_DISPLAY_SCALE);
}
