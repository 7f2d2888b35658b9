/**
 * Zipf-distributed key ranks for the demo workload. Algorithm: Gray, Sundaresan, Englert, Baclawski,
 * Weinberger, "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as in YCSB's
 * `ZipfianGenerator`. Seeded with seedrandom so a demo run can be replayed from its seed.
 */
import seedrandom from "seedrandom";

/** YCSB's default Zipf constant. */
export const ZIPF_THETA_YCSB = 0.99;

/** Draws ranks in [0, items), rank 0 the most popular. */
export interface Zipf {
  next(): number;
}

/**
 * A YCSB ZipfianGenerator over `items` ranks with skew `theta` (0 < theta < 1), driven by
 * `seedrandom(seed)`. Setup is O(items) (the zeta sum); each draw is O(1).
 * @throws RangeError if `items` < 2 or `theta` is outside (0, 1).
 */
export function createZipf(items: number, seed: string, theta = ZIPF_THETA_YCSB): Zipf {
  if (!Number.isSafeInteger(items) || items < 2)
    throw new RangeError(`zipf: items must be >= 2, got ${items}`);
  if (!(theta > 0 && theta < 1)) throw new RangeError(`zipf: theta must be in (0, 1), got ${theta}`);
  const random = seedrandom(seed);
  const zetaN = zeta(items, theta);
  const alpha = 1 / (1 - theta);
  const eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta(2, theta) / zetaN);
  const halfPowTheta = 0.5 ** theta;
  return {
    next(): number {
      const u = random();
      const uz = u * zetaN;
      if (uz < 1) return 0;
      if (uz < 1 + halfPowTheta) return 1;
      const rank = Math.floor(items * (eta * u - eta + 1) ** alpha);
      return Math.min(rank, items - 1);
    },
  };
}

/** zeta(n, theta) = sum over i in 1..n of 1 / i^theta. */
function zeta(items: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= items; i++) sum += 1 / i ** theta;
  return sum;
}
