/**
 * The row cache: decoded entries keyed by key, the newest visible version of each key it holds, bounded by
 * a byte budget (RocksDB's row cache, LevelDB's table cache one level up). A hot key's reads and the
 * read-before-write of its updates are answered here without the router, a block lookup or I/O.
 *
 * Invariant (kept by the tree, src/tree/tree.ts): an entry held here is the key's newest visible entry.
 * Every applied effect replaces its key's entry here (`set` on apply), and a read fills the cache only if
 * no effect on its key was applied while it ran. Entries never change when they move between buffers and
 * segments (flush, merge, split), so those leave the cache alone. The one change background work makes,
 * an expired document turned into a tombstone of the same version, the tree handles by not answering from
 * (nor filling) the cache for a document expired at the expiry horizon (Tree.cachedRow).
 *
 * Eviction is CLOCK (second chance): rows sit in slots, a hit only sets the row's reference bit, and the
 * hand passing a row clears its bit or, if clear, drops it. Idea: Corbató's CLOCK; the same trade (cheap
 * hits, approximate LRU) as RocksDB's HyperClockCache.
 */
import { type Entry, textBytesOf } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";

/** Estimated memory of one cached row beyond its key and text: map slot, entry object, decoded document header. */
export const ROW_OVERHEAD_BYTES = 128;

/** Counters of the row cache. */
export interface RowCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Estimated bytes held now (see {@link rowCost}). */
  bytes: number;
  /** Budget in bytes (0: the cache is off). */
  bytesMax: number;
  /** Rows held now. */
  rows: number;
}

interface Row {
  readonly key: KeyString;
  entry: Entry;
  cost: number;
  /** Read since the hand last passed it (CLOCK's reference bit). */
  referenced: boolean;
  /** Its slot in the clock. */
  readonly slot: number;
}

/**
 * Estimated bytes a cached row holds: the key, its document once (the tree caches row entries,
 * `rowEntryOf` in src/doc/entry.ts, which hold the text until the first read and then only the decoded
 * document, about the text's size for documents of long strings), plus a fixed overhead. Documents of many
 * tiny fields decode to more than their text; the estimate undercounts them.
 */
export function rowCost(key: KeyString, entry: Entry): number {
  return key.length + textBytesOf(entry) + ROW_OVERHEAD_BYTES;
}

/** Newest entries of hot keys under a byte budget. */
export class RowCache {
  private readonly rows = new Map<KeyString, Row>();
  /** The clock: rows by slot; undefined slots are free (listed in `free`). */
  private readonly slots: (Row | undefined)[] = [];
  private readonly free: number[] = [];
  private hand = 0;
  readonly stats: RowCacheStats;

  /** @param bytesMax budget in bytes; 0 turns the cache off; a row larger than the budget is not cached. */
  constructor(bytesMax: number) {
    this.stats = { hits: 0, misses: 0, evictions: 0, bytes: 0, bytesMax, rows: 0 };
  }

  /** The key's cached entry (its newest), or undefined if it is not cached. */
  get(key: KeyString): Entry | undefined {
    if (this.stats.bytesMax === 0) return undefined;
    const row = this.rows.get(key);
    if (row === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    row.referenced = true;
    return row.entry;
  }

  /**
   * Makes `entry` the key's cached entry (the caller guarantees it is the newest), evicting rows to stay
   * within the budget.
   */
  set(key: KeyString, entry: Entry): void {
    const bytesMax = this.stats.bytesMax;
    if (bytesMax === 0) return;
    const cost = rowCost(key, entry);
    const old = this.rows.get(key);
    if (old !== undefined) {
      this.stats.bytes += cost - old.cost;
      old.entry = entry;
      old.cost = cost;
      old.referenced = true;
    } else {
      if (cost > bytesMax) return;
      const slot = this.free.pop() ?? this.slots.length;
      const row: Row = { key, entry, cost, referenced: false, slot };
      this.slots[slot] = row;
      this.rows.set(key, row);
      this.stats.bytes += cost;
    }
    this.evictOver(bytesMax);
    this.stats.rows = this.rows.size;
  }

  /** Drops the key's row, if any. */
  delete(key: KeyString): void {
    const row = this.rows.get(key);
    if (row === undefined) return;
    this.drop(row);
    this.stats.rows = this.rows.size;
  }

  private drop(row: Row): void {
    this.slots[row.slot] = undefined;
    this.free.push(row.slot);
    this.rows.delete(row.key);
    this.stats.bytes -= row.cost;
  }

  /**
   * Sweeps the hand over the slots, clearing reference bits and dropping unreferenced rows, until the
   * budget holds. Bounded: while over budget some row is held, and two turns of the hand clear every bit
   * and reach it, so each step is one of at most twice the slots per dropped row.
   */
  private evictOver(bytesMax: number): void {
    while (this.stats.bytes > bytesMax) {
      if (this.hand >= this.slots.length) this.hand = 0;
      const row = this.slots[this.hand++];
      if (row === undefined) continue;
      if (row.referenced) {
        row.referenced = false;
        continue;
      }
      this.drop(row);
      this.stats.evictions++;
    }
  }
}
