/**
 * A leaf's mutable buffer (FuseDB "buffer", LevelDB "memtable"): the newest durable entry of each key that
 * changed since the leaf's last flush. A later mutation of the same key replaces its entry in place, so an
 * increment or patch never leaves an operand chain behind.
 */
import type { Entry } from "../doc/entry.js";
import { expiredToTombstone, isLive } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { inRange, type KeyRange } from "./key-range.js";

/** Approximate per-entry overhead of the Map slot and the entry object, in bytes. */
const ENTRY_OVERHEAD_BYTES = 64;

/** Newest entry per key, with a running byte estimate. */
export class MemBuffer {
  private readonly map = new Map<KeyString, Entry>();
  private bytes = 0;
  /** Keys in ascending order, rebuilt lazily after a new key arrives (updates of known keys keep it). */
  private sortedKeys: KeyString[] | undefined = [];
  private lowLsn = Number.POSITIVE_INFINITY;

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Estimated memory held, in bytes. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * Lowest LSN of any entry ever stored here (Infinity when empty): every WAL record below it that touched
   * this buffer's keys is older than the buffer. Conservative after overwrites, which is safe for the WAL
   * floor (it can only keep more WAL).
   */
  get minLsn(): number {
    return this.map.size === 0 ? Number.POSITIVE_INFINITY : this.lowLsn;
  }

  get(key: KeyString): Entry | undefined {
    return this.map.get(key);
  }

  /** Stores `entry` as the newest version of `key`. */
  set(key: KeyString, entry: Entry): void {
    const old = this.map.get(key);
    if (old) this.bytes -= cost(key, old);
    else this.sortedKeys = undefined;
    if (entry.lsn < this.lowLsn) this.lowLsn = entry.lsn;
    this.map.set(key, entry);
    this.bytes += cost(key, entry);
  }

  /** Entries whose key lies in `range`, in no particular order. */
  *entriesIn(range: KeyRange): Generator<[KeyString, Entry]> {
    for (const pair of this.map) if (inRange(pair[0], range)) yield pair;
  }

  /**
   * The keys in ascending order: a shared array, valid until the next `set` of a new key, that the caller
   * must not modify. Sorting happens only after new keys arrived, so hot-key workloads scan without sorting.
   */
  keys(): readonly KeyString[] {
    if (this.sortedKeys === undefined) this.sortedKeys = [...this.map.keys()].sort(compareKeys);
    return this.sortedKeys;
  }

  /**
   * Replaces every document expired at `nowMs` by a tombstone of the same version, freeing its value.
   * Returns how many were replaced. Bounded by the buffer's size.
   */
  sweepExpired(nowMs: number): number {
    let swept = 0;
    for (const [key, entry] of this.map) {
      if (entry.value === undefined || isLive(entry, nowMs)) continue;
      this.set(key, expiredToTombstone(entry));
      swept++;
    }
    return swept;
  }

  /** Entries in ascending key order (a new array). */
  sorted(): [KeyString, Entry][] {
    return this.keys().map((k) => {
      const entry = this.map.get(k);
      assert(entry !== undefined, "the sorted keys are the buffer's keys");
      return [k, entry];
    });
  }
}

/** Bytewise order of KeyStrings (latin1: one char per byte). */
export function compareKeys(a: KeyString, b: KeyString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cost(key: KeyString, entry: Entry): number {
  return key.length + (entry.text?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
}
