/**
 * Skewed key choice for workloads. Algorithm: Gray, Sundaresan, Englert, Baclawski, Weinberger, "Quickly
 * Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as in YCSB's `ZipfianGenerator` and
 * `ScrambledZipfianGenerator`.
 */
import type { Prng } from "./prng.js";

/** YCSB's default Zipf constant. */
export const ZIPF_THETA_DEFAULT = 0.99;

/** Bound on the item count whose zeta is computed by summation (one `Math.pow` per item). */
const ZETA_ITEMS_MAX = 100_000_000;

/** YCSB's scrambled variant draws from this many items, then hashes into the real range. */
const SCRAMBLE_ITEMS = 10_000_000_000;
/** zeta(SCRAMBLE_ITEMS, 0.99), precomputed by YCSB so the scrambled generator starts at once. */
const SCRAMBLE_ZETA_AT_DEFAULT_THETA = 26.46902820178302;

/** zeta(n, theta) = sum over i in 1..n of 1 / i^theta. */
function zeta(items: number, theta: number): number {
  if (items > ZETA_ITEMS_MAX) throw new RangeError(`zeta: ${items} items exceeds ${ZETA_ITEMS_MAX}`);
  let sum = 0;
  for (let i = 1; i <= items; i++) sum += 1 / i ** theta;
  return sum;
}

/** The Gray et al. generator over [0, items): item 0 most popular. Each draw consumes one `prng.next()`. */
class ZipfCore {
  private readonly alpha: number;
  private readonly eta: number;
  private readonly halfPowTheta: number;

  constructor(
    private readonly prng: Prng,
    private readonly items: number,
    theta: number,
    private readonly zetaN: number,
  ) {
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta(2, theta) / zetaN);
    this.halfPowTheta = 0.5 ** theta;
  }

  next(): number {
    const u = this.prng.next();
    const uz = u * this.zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + this.halfPowTheta) return Math.min(1, this.items - 1);
    const item = Math.floor(this.items * (this.eta * u - this.eta + 1) ** this.alpha);
    return Math.min(item, this.items - 1);
  }
}

const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** YCSB's `Utils.fnvhash64`: FNV-1a over the 8 little-endian bytes of a long, absolute value as signed. */
export function fnvHash64(value: number): bigint {
  let v = BigInt.asUintN(64, BigInt(value));
  let hash = FNV64_OFFSET_BASIS;
  for (let i = 0; i < 8; i++) {
    hash ^= v & 0xffn;
    hash = (hash * FNV64_PRIME) & MASK64;
    v >>= 8n;
  }
  const signed = BigInt.asIntN(64, hash);
  return signed < 0n ? -signed : signed;
}

/**
 * Zipf-distributed integers in [0, items), YCSB's `ZipfianGenerator`, theta 0.99 by default. The k-th most
 * popular item is drawn with probability (1/k^theta) / zeta(n, theta): at n = 1000 the top item takes about
 * 13% of draws. Scrambled at the default theta, n is YCSB's 1e10, so the top item takes about 3.8%.
 *
 * Unscrambled, item 0 is the most popular, item 1 the next, and so on; construction sums zeta over `items`.
 * Scrambled (YCSB `ScrambledZipfianGenerator`), the popular items are spread over the range by an FNV-1a
 * hash: at the default theta it draws from YCSB's 1e10-item generator with the precomputed zeta, then takes
 * the hash modulo `items`; at another theta it draws from an `items`-item generator instead (YCSB would sum
 * zeta over 1e10 items). Hash collisions leave some items never chosen, as in YCSB.
 *
 * Each draw consumes exactly one `prng.next()`.
 * @throws RangeError unless `items` is a positive integer (at most 1e8 when zeta must be summed) and
 *   `0 < theta < 1`.
 */
export class Zipf {
  readonly items: number;
  readonly theta: number;
  readonly scrambled: boolean;
  private readonly core: ZipfCore;

  constructor(prng: Prng, items: number, theta = ZIPF_THETA_DEFAULT, scrambled = false) {
    if (!Number.isSafeInteger(items) || items <= 0) throw new RangeError(`Zipf: bad item count ${items}`);
    if (!(theta > 0 && theta < 1)) throw new RangeError(`Zipf: theta must be in (0, 1), got ${theta}`);
    this.items = items;
    this.theta = theta;
    this.scrambled = scrambled;
    this.core =
      scrambled && theta === ZIPF_THETA_DEFAULT
        ? new ZipfCore(prng, SCRAMBLE_ITEMS, theta, SCRAMBLE_ZETA_AT_DEFAULT_THETA)
        : new ZipfCore(prng, items, theta, zeta(items, theta));
  }

  /** The next item, an integer in [0, items). */
  next(): number {
    const drawn = this.core.next();
    return this.scrambled ? Number(fnvHash64(drawn) % BigInt(this.items)) : drawn;
  }
}
