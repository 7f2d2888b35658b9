/**
 * Bloom filter for a segment's point lookups: a `get` skips a segment whose filter says the key is absent.
 * Idea: LevelDB `util/bloom.cc` — one hash, the probes derived from it by double hashing (Kirsch and
 * Mitzenmacher, "Less Hashing, Same Performance", ESA 2006). 10 bits per key and 6 probes give about a 1%
 * false-positive rate.
 *
 *   filter := probes u8 | bits[n]      (n >= 8 bytes; bit i is byte i>>3, bit i&7)
 *
 * The hash is FNV-1a (32 bit) over the key's bytes (KeyString is latin1: one char per byte), then mixed with
 * the murmur3 finalizer so short keys that differ in one byte spread over the whole filter.
 */
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";

/** Bits per key of a new filter. */
export const BLOOM_BITS_PER_KEY = 10;

/** 32-bit hash of a key's bytes (FNV-1a, murmur3 fmix32). */
export function keyHash(key: KeyString): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Builds a filter over `keys` (any order, duplicates allowed).
 * @param bitsPerKey filter size per key; the probe count follows (bitsPerKey * ln 2, clamped to 1..30).
 */
export function buildBloom(keys: readonly KeyString[], bitsPerKey = BLOOM_BITS_PER_KEY): Uint8Array {
  return buildBloomFromHashes(keys.map(keyHash), bitsPerKey);
}

/**
 * Builds a filter from the keys' {@link keyHash}es (a segment writer hashes each key as it arrives, so the
 * filter costs no pass over the keys at the end).
 */
export function buildBloomFromHashes(hashes: readonly number[], bitsPerKey = BLOOM_BITS_PER_KEY): Uint8Array {
  const filter = emptyBloom(hashes.length, bitsPerKey);
  addToBloom(filter, hashes, 0, hashes.length);
  return filter;
}

/** An empty filter sized for `keys` keys (10 bits each by default): the probe count and zero bits. */
export function emptyBloom(keys: number, bitsPerKey = BLOOM_BITS_PER_KEY): Uint8Array {
  const probes = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
  const bytes = Math.max(8, Math.ceil((keys * bitsPerKey) / 8));
  const out = new Uint8Array(1 + bytes);
  out[0] = probes;
  return out;
}

/**
 * Sets the bits of `hashes[from..to)` in `filter` (from {@link emptyBloom}); a writer adds a large key set
 * in bounded runs, yielding in between.
 */
export function addToBloom(filter: Uint8Array, hashes: readonly number[], from: number, to: number): void {
  const probes = filter[0] ?? 0;
  const bits = (filter.length - 1) * 8;
  assert(probes > 0 && bits > 0, "a filter from emptyBloom has probes and bits");
  // Bounded by the hashes in [from, to) times the probes.
  for (let i = from; i < to; i++) {
    let h = hashes[i] ?? 0;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < probes; j++) {
      const bit = h % bits;
      const at = 1 + (bit >>> 3);
      filter[at] = (filter[at] ?? 0) | (1 << (bit & 7));
      h = (h + delta) >>> 0;
    }
  }
}

/**
 * Whether `key` may be in the set the filter was built from: false means certainly absent. A malformed
 * filter (no probes, no bits) answers true, so damage can only cost a read, never hide a key.
 */
export function bloomMayContain(filter: Uint8Array, key: KeyString): boolean {
  const probes = filter[0] ?? 0;
  const bits = (filter.length - 1) * 8;
  if (probes === 0 || probes > 30 || bits === 0) return true;
  let h = keyHash(key);
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let j = 0; j < probes; j++) {
    const bit = h % bits;
    const byte = filter[1 + (bit >>> 3)];
    assert(byte !== undefined, "a probe lies inside the filter");
    if ((byte & (1 << (bit & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}
