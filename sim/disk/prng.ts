/**
 * The simulator's only source of randomness: a seeded stream that splits into named, independent streams.
 * Idea: FoundationDB's `deterministicRandom()` and TigerBeetle's per-subsystem PRNGs in the VOPR, where one
 * root seed replays a whole run.
 */
import seedrandom from "seedrandom";

/**
 * A deterministic pseudo-random stream over `seedrandom`'s ARC4 generator. The same seed gives the same
 * sequence on every machine and Node version.
 *
 * `fork(name)` derives a stream from the root seed and the name only (seed string `${seed}/${name}`), never
 * from how much this stream has drawn, so a change in one subsystem's draws (workload, disk, faults, knobs)
 * does not reshuffle another's.
 */
export class Prng {
  /** The seed string this stream was built from. */
  readonly seed: string;
  private readonly rng: seedrandom.PRNG;

  /** @param seed any string or integer; integers become their decimal string. */
  constructor(seed: string | number) {
    this.seed = String(seed);
    this.rng = seedrandom(this.seed);
  }

  /** A float in [0, 1) with 53 bits of randomness. */
  next(): number {
    return this.rng.double();
  }

  /**
   * An integer in [0, maxExclusive).
   * @throws RangeError unless `maxExclusive` is a positive safe integer.
   */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Prng.int: maxExclusive must be a positive safe integer, got ${maxExclusive}`);
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /**
   * An integer in [lo, hiInclusive].
   * @throws RangeError unless both are safe integers with `lo <= hiInclusive`.
   */
  range(lo: number, hiInclusive: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiInclusive) || lo > hiInclusive) {
      throw new RangeError(`Prng.range: need integers lo <= hi, got [${lo}, ${hiInclusive}]`);
    }
    return lo + this.int(hiInclusive - lo + 1);
  }

  /** True with probability `p` (0 never, 1 always). Draws once even when `p` is 0 or 1. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /**
   * A uniformly chosen element.
   * @throws RangeError on an empty array.
   */
  pick<T>(array: readonly T[]): T {
    if (array.length === 0) throw new RangeError("Prng.pick: empty array");
    return array[this.int(array.length)] as T;
  }

  /** Shuffles `array` in place (Fisher-Yates, Knuth vol. 2 Algorithm P) and returns it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i] as T;
      array[i] = array[j] as T;
      array[j] = tmp;
    }
    return array;
  }

  /** An independent stream named `name`, derived from this stream's seed alone (not from its position). */
  fork(name: string): Prng {
    return new Prng(`${this.seed}/${name}`);
  }
}

// Workload generators draw from a Prng; they live in their own file and are re-exported here for callers
// that import every random tool from one place.
export { ZIPF_THETA_DEFAULT, Zipf } from "./zipf.js";
