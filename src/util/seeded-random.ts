/**
 * Deterministic randomness for operations that Redis answers at random (ZRANDMEMBER, and any *RANDMEMBER):
 * src/ never reads Math.random, so a call's draws come from a seed made of what the call already has —
 * its key, its LSN (0 for reads) and its clock time — and replaying a call gives the same answer.
 * Idea: mulberry32 (Tommy Ettinger's 32-bit generator) seeded by a 32-bit FNV-1a hash.
 */

/** FNV-1a over the char codes of `parts` joined by NUL: a 32-bit seed. */
export function seedOf(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("\x00");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded stream of integers. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** An integer in [0, maxExclusive), maxExclusive ≥ 1 and below 2^32. */
  int(maxExclusive: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
    return Math.floor(u * maxExclusive);
  }
}
