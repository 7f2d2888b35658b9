/**
 * Deterministic randomness for HRANDFIELD (SPOP, SRANDMEMBER and ZRANDMEMBER draw from `Txn.draw`). Nothing
 * outside the engine's own state seeds it: each database's runner holds a {@link SeedSequence} (a counter stepped by
 * the golden ratio and mixed, as SplitMix), and each call takes one seed from it *before* its operation
 * runs, so an operation rerun after a read (src/types/view.ts) draws the same numbers, and a database
 * given the same calls in the same order draws the same answers. Each operation draws from a
 * {@link randomSource} of its seed (mulberry32). Idea: SplitMix64 (Steele et al., OOPSLA 2014), reduced to
 * 32 bits; mulberry32 (Tommy Ettinger).
 */

/** A source of uniform integers in [0, maxExclusive). */
export interface RandomSource {
  int(maxExclusive: number): number;
}

const GOLDEN_32 = 0x9e3779b9;

/** SplitMix's finaliser on 32 bits. */
function mix(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seeds of one database's calls, one per call (see the module comment). */
export class SeedSequence {
  private state: number;
  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  /** The next call's seed. */
  next(): number {
    this.state = (this.state + GOLDEN_32) >>> 0;
    return mix(this.state);
  }
}

/** A mulberry32 stream from `seed`. */
export function randomSource(seed: number): RandomSource {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return { int: (maxExclusive) => Math.floor(next() * maxExclusive) };
}
