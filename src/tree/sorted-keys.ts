/**
 * The keys of a leaf's buffer in ascending order, kept sorted as keys arrive (src/tree/mem-buffer.ts), so a
 * scan right after a write seeks and walks without sorting the buffer again.
 *
 * Shape: a list of sorted chunks ("B-tree-ish array chunks"), each holding at most
 * {@link CHUNK_KEYS_MAX} keys, with every key of a chunk below every key of the next. An insert finds its
 * chunk by binary search over the chunks' last keys, then its slot in the chunk by binary search, and
 * splices it in (a memmove of at most CHUNK_KEYS_MAX slots); a full chunk splits in two halves. Keys
 * arriving in ascending order (a split's redistribution, a sequential load) append to the last chunk.
 * A seek is two binary searches; a walk reads contiguous arrays. Keys are never removed (a buffer holds a
 * key until its flush; a deletion is a tombstone entry).
 *
 * Why this shape: inserts are O(log n + CHUNK_KEYS_MAX) with a small constant, a scan costs O(log n) to
 * start and O(1) per key, memory is one array slot per key plus one array per chunk, and nothing in it is
 * random (a skip list needs a random source, which the determinism seam forbids outside a seeded PRNG) or
 * rebalanced beyond a split. Idea: Grant Jenks's Python `sortedcontainers.SortedList` (a list of sorted
 * sublists with a load factor), which measured faster than balanced trees and skip lists in CPython for the
 * same reasons: few objects, contiguous memory, memmove inserts.
 *
 * Invariant: chunks are non-empty, each sorted strictly ascending, and chunk i's last key is below chunk
 * i+1's first key; `lasts[i]` is chunk i's last key; `count` is the total number of keys.
 */
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";

/** Keys a chunk holds at most before it splits in two. */
export const CHUNK_KEYS_MAX = 512;

/** A position in a {@link SortedKeys}: chunk index and slot within the chunk. */
export interface KeyPosition {
  chunk: number;
  slot: number;
}

/** A sorted set of keys (see the module comment). */
export class SortedKeys {
  private readonly chunks: KeyString[][] = [];
  /** Last key of each chunk, parallel to `chunks`: the binary search over chunks reads only this. */
  private readonly lasts: KeyString[] = [];
  private count = 0;
  /** Bumped by every insert: a walk that sees it change seeks again from the last key it read. */
  private changes = 0;

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** How many inserts have happened (a walk compares it to know whether positions moved). */
  get version(): number {
    return this.changes;
  }

  /** Adds `key`, which the caller knows is not held yet. O(log n + CHUNK_KEYS_MAX). */
  insert(key: KeyString): void {
    this.changes++;
    this.count++;
    const lastChunk = this.chunks.length - 1;
    const tail = this.chunks[lastChunk];
    if (tail === undefined) {
      this.chunks.push([key]);
      this.lasts.push(key);
      return;
    }
    // The first chunk whose last key is above `key` (keys above every chunk go to the last one).
    let c = upperBoundOf(this.lasts, key);
    if (c > lastChunk) c = lastChunk;
    const chunk = this.chunks[c] as KeyString[];
    const slot = upperBoundOf(chunk, key);
    assert(chunk[slot - 1] !== key, "an inserted key is new");
    if (slot === chunk.length) {
      chunk.push(key);
      this.lasts[c] = key;
    } else chunk.splice(slot, 0, key);
    if (chunk.length > CHUNK_KEYS_MAX) this.split(c);
  }

  /** The first position whose key is at or above `key` (past the end if none). O(log n). */
  lowerBound(key: KeyString): KeyPosition {
    let c = lowerBoundOf(this.lasts, key);
    if (c >= this.chunks.length) return this.end();
    const chunk = this.chunks[c] as KeyString[];
    const slot = lowerBoundOf(chunk, key);
    if (slot < chunk.length) return { chunk: c, slot };
    c++;
    return c < this.chunks.length ? { chunk: c, slot: 0 } : this.end();
  }

  /** The last position whose key is at or below `key` (before the start, chunk -1, if none). O(log n). */
  lastAtOrBelow(key: KeyString): KeyPosition {
    const c = upperBoundOf(this.lasts, key);
    const chunk = this.chunks[c];
    if (chunk !== undefined) {
      const slot = upperBoundOf(chunk, key) - 1;
      if (slot >= 0) return { chunk: c, slot };
    }
    // Every key of chunk c (if any) is above `key`: the answer is the previous chunk's last key.
    return this.before(c);
  }

  /** The first position (past the end when empty). */
  first(): KeyPosition {
    return this.chunks.length === 0 ? this.end() : { chunk: 0, slot: 0 };
  }

  /** The last position (before the start when empty). */
  last(): KeyPosition {
    return this.before(this.chunks.length);
  }

  /** The key at `at`, or undefined when `at` is past either end. */
  keyAt(at: KeyPosition): KeyString | undefined {
    return this.chunks[at.chunk]?.[at.slot];
  }

  /** Moves `at` one key up (towards past the end). */
  next(at: KeyPosition): void {
    const chunk = this.chunks[at.chunk];
    if (chunk === undefined) return;
    if (++at.slot < chunk.length) return;
    at.chunk++;
    at.slot = 0;
  }

  /** Moves `at` one key down (towards before the start). */
  prev(at: KeyPosition): void {
    if (at.slot > 0) {
      at.slot--;
      return;
    }
    const p = this.before(at.chunk);
    at.chunk = p.chunk;
    at.slot = p.slot;
  }

  /** Every key in ascending order (a new array). */
  toArray(): KeyString[] {
    const out: KeyString[] = [];
    for (const chunk of this.chunks) for (const k of chunk) out.push(k);
    return out;
  }

  /** The last position of chunk `c - 1`, or before the start when `c` is 0. */
  private before(c: number): KeyPosition {
    const prev = this.chunks[c - 1];
    return prev === undefined ? { chunk: -1, slot: 0 } : { chunk: c - 1, slot: prev.length - 1 };
  }

  private end(): KeyPosition {
    return { chunk: this.chunks.length, slot: 0 };
  }

  /** Splits the over-full chunk `c` into two halves. */
  private split(c: number): void {
    const chunk = this.chunks[c] as KeyString[];
    const upper = chunk.splice(chunk.length >>> 1);
    this.chunks.splice(c + 1, 0, upper);
    this.lasts.splice(c, 1, chunk[chunk.length - 1] as KeyString, upper[upper.length - 1] as KeyString);
  }
}

/** Index of the first element at or above `key` in the ascending `keys`. */
function lowerBoundOf(keys: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = keys.length;
  // Bounded: the interval halves every step.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as KeyString) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element above `key` in the ascending `keys`. */
function upperBoundOf(keys: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = keys.length;
  // Bounded: the interval halves every step.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as KeyString) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
