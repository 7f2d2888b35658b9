/**
 * The dead-version floor (issue 12 item 12): what lets background work drop tombstones and expired documents
 * while every key's version still only grows across delete and re-create (so `ifVersion` is never fooled:
 * no ABA).
 *
 * Keys are hashed into {@link FLOOR_BUCKETS} buckets. Bucket b's floor R[b] is at least the version of every
 * entry of a key in b that is dead or can become dead without another write: a tombstone, or a document with
 * an expiry. Each such effect raises R[b] to its version when its call is resolved (in commit order), and
 * again when its WAL record is replayed. A write to a key that is not live (absent, deleted or expired) gets
 * version `max(stored version, R[b]) + 1`; a write to a live key gets its version + 1. A dead entry's version
 * is at most R[b], so the answer is the same whether its tombstone is still stored or was collected: any job
 * that covers every older version of a key may drop it. The floor depends only on the commit order, never on
 * layout or timing, and is durable (the manifest's `deadVersionFloor`, plus WAL replay above its floor).
 *
 * Idea: a per-range "generation floor" as in FoundationDB's version-stamped ranges and Cassandra's
 * gc_grace tombstone collection, here made exact and layout-free by keeping one counter per hash bucket.
 */
import type { Entry } from "./entry.js";
import { isInternalKey, type KeyString } from "./key.js";

/** Buckets of the floor (a power of two). Changing it changes which versions fresh keys get: a format change. */
export const FLOOR_BUCKETS = 4096;

const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/**
 * The bucket of `key` (a KeyString: one char per byte): FNV-1a 32 over its bytes, folded to 12 bits
 * (`(h ^ (h >>> 16)) mod FLOOR_BUCKETS`). Stable across versions: it is part of the manifest's meaning.
 */
export function floorBucket(key: KeyString): number {
  let h = FNV32_OFFSET_BASIS;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return ((h ^ (h >>> 16)) >>> 0) % FLOOR_BUCKETS;
}

/**
 * Whether `entry` is dead, or can become dead without another write (it has an expiry). Reads `text`, not
 * `value`: a replayed document is parsed only when first read (issue 13), and replay asks this of every
 * record.
 */
export function mayDie(entry: Entry): boolean {
  return entry.text === undefined || entry.expiresAtMs !== undefined;
}

/** One bucket's floor, as the manifest stores it: `[bucket, floor]`. */
export type FloorPair = [number, number];

/** The floors of every bucket (all zero at first). */
export class VersionFloor {
  private readonly floors = new Float64Array(FLOOR_BUCKETS);

  /** A floor holding `pairs` (each floor raised to its pair's value). */
  static of(pairs: readonly FloorPair[]): VersionFloor {
    const f = new VersionFloor();
    for (const [b, v] of pairs) f.raiseBucket(b, v);
    return f;
  }

  /** A copy (the pipeline's resolving floor starts as the recovered one). */
  copy(): VersionFloor {
    const f = new VersionFloor();
    f.floors.set(this.floors);
    return f;
  }

  /** The floor of `key`'s bucket. */
  get(key: KeyString): number {
    return this.floors[floorBucket(key)] as number;
  }

  /**
   * Raises the floor of `key`'s bucket by `entry` if it may die (see {@link mayDie}). Returns the bucket if
   * the floor went up, else undefined.
   */
  raiseBy(key: KeyString, entry: Entry): number | undefined {
    // Internal subkeys (collection elements) have no versions of their own: the collection's is its key's.
    if (!mayDie(entry) || isInternalKey(key)) return undefined;
    const b = floorBucket(key);
    return this.raiseBucket(b, entry.version) ? b : undefined;
  }

  /** Raises bucket `b`'s floor to at least `version`; whether it went up. */
  raiseBucket(b: number, version: number): boolean {
    if ((this.floors[b] as number) >= version) return false;
    this.floors[b] = version;
    return true;
  }

  /** Every nonzero bucket as `[bucket, floor]`, buckets ascending (the manifest's sparse form). */
  pairs(): FloorPair[] {
    const out: FloorPair[] = [];
    for (let b = 0; b < FLOOR_BUCKETS; b++) {
      const v = this.floors[b] as number;
      if (v > 0) out.push([b, v]);
    }
    return out;
  }
}
