/**
 * Random draws from a collection's elements, shared by HRANDFIELD (src/types/hashes.ts) and SRANDMEMBER /
 * SPOP (src/types/sets.ts). A collection of at most {@link RANDOM_UNIFORM_ELEMENTS_MAX} elements is read
 * whole and drawn from uniformly; a larger one from a window of that many consecutive elements (or as many
 * as asked for, if more) starting at a random point between its first and last element, so one operation
 * reads a bounded number of elements, at the cost of uniformity on large collections (Redis's own draws
 * from large hashes and sets are not uniform either: redis.io/commands/srandmember). The randomness comes
 * only from the caller's {@link RandomSource} (deterministic: src/types/random.ts).
 */
import type { Json } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import type { RandomSource } from "./random.js";
import { ELEMENTS_PER_READ } from "./scan-cursor.js";
import type { Txn } from "./txn.js";

/** Elements up to which a draw reads the whole collection and is uniform. */
export const RANDOM_UNIFORM_ELEMENTS_MAX = ELEMENTS_PER_READ;
/** Most draws a negative count may ask for (Redis has no bound; a reply this big is a mistake). */
export const RANDOM_DRAWS_MAX = 1_000_000;

/** The call's own deterministic draws (Txn.draw) as a {@link RandomSource}. */
export function txRandom(tx: Txn): RandomSource {
  return { int: (maxExclusive) => tx.draw(maxExclusive) };
}

/**
 * The elements (sub, value) a draw picks from among the `n` elements under `prefix`: all of them, or a
 * window of max({@link RANDOM_UNIFORM_ELEMENTS_MAX}, `want`) consecutive ones from a random point, wrapping
 * to the first element. @throws NeedRead.
 */
export function drawPool(
  tx: Txn,
  prefix: KeyString,
  n: number,
  want: number,
  rng: RandomSource,
): [string, Json][] {
  if (n <= RANDOM_UNIFORM_ELEMENTS_MAX) return tx.elements(prefix, n);
  const size = Math.min(n, Math.max(RANDOM_UNIFORM_ELEMENTS_MAX, want));
  const first = tx.elements(prefix, 1)[0]?.[0] ?? "";
  const last = tx.elements(prefix, 1, true)[0]?.[0] ?? "";
  let common = 0;
  while (common < first.length && first[common] === last[common]) common++;
  const lo = first.charCodeAt(common) || 0;
  const hi = last.charCodeAt(common) || 0;
  let from = last.slice(0, common) + String.fromCharCode(lo + rng.int(hi - lo + 1));
  for (let i = 0; i < 3; i++) from += String.fromCharCode(rng.int(256));
  const window = tx.elements(prefix, size, false, from);
  if (window.length < size) window.push(...tx.elements(prefix, size - window.length, false, undefined, from));
  return window;
}

/**
 * Refuses a negative `count` asking for more than {@link RANDOM_DRAWS_MAX} draws, before anything is read.
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE ("ERR value is out of range").
 */
export function checkDraws(count: number): void {
  if (-count > RANDOM_DRAWS_MAX) throw new DataTypeError("FUSEDB_OUT_OF_RANGE", "ERR value is out of range");
}

/**
 * Draws from `pool`: with a negative `count`, |count| picks that may repeat; with a positive one, that
 * many distinct picks (the first places of a Fisher-Yates shuffle; the pool is reordered), or the whole
 * pool if it has no more. The caller checks `count` with {@link checkDraws} first.
 */
export function drawFrom<T>(pool: T[], count: number, rng: RandomSource): T[] {
  if (pool.length === 0) return [];
  if (count < 0) return Array.from({ length: -count }, () => pool[rng.int(pool.length)] as T);
  const picks = Math.min(count, pool.length);
  for (let i = 0; i < picks; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, picks);
}
