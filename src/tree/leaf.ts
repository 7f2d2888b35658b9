/**
 * A leaf (FuseDB, DESIGN.md "Storage"): a key range [low, next leaf's low) with a mutable buffer, at most one
 * frozen buffer being written out, its immutable segments (newest first), the LSN up to which its keys are in
 * those segments, and write statistics. Read order: active buffer, frozen buffer, segments newest first.
 * A reader takes a snapshot of these synchronously and holds references on the segments it reads, so a
 * flush, merge or split that finishes meanwhile never pulls a file from under it.
 */
import type { Entry } from "../doc/entry.js";
import { expiredToTombstone } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import type { KeyRange } from "./key-range.js";
import { startKey } from "./key-range.js";
import { LeafScan, type ScanPacer, type ScanSource, SegmentCursor } from "./leaf-scan.js";
import { MemBuffer } from "./mem-buffer.js";
import { type RawEntry, rawFromPairs } from "./raw-entry.js";
import { NOT_CACHED, type SegmentReader } from "./segment-reader.js";

/** Marker: the buffers do not know the key; segments must be read. */
export const NOT_IN_MEMORY: unique symbol = Symbol("NOT_IN_MEMORY");

type Pair = [KeyString, Entry];

/** One leaf of the tree. */
export class Leaf {
  active = new MemBuffer();
  frozen: MemBuffer | undefined;
  /** Writes applied lately (halved periodically by the tree): the hot-range signal for splits. */
  recentWrites = 0;
  /** Replaced by a split or merge: the router no longer points here. */
  retired = false;
  /** LSN of the newest mutation the leaf holds, in its buffers or segments. */
  seqno: number;

  constructor(
    /** Lowest key of the range ("" for the first leaf). */
    readonly low: KeyString,
    /** Segments, newest first. */
    public segments: SegmentReader[],
    /** Every record at or below this LSN that touched the leaf's keys is in `segments`. */
    public flushedLsn: number,
  ) {
    this.seqno = segments.reduce((m, s) => Math.max(m, s.maxLsn), 0);
  }

  /** Bytes in segments. */
  get segmentBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.sizeBytes;
    return n;
  }

  /**
   * Share (0..1) of the last flushed buffer's bytes whose keys were new to the leaf (jobs.ts `newShare`):
   * the share of the buffers now that {@link liveBytes} counts. 1 until the leaf's first flush.
   */
  bufferNewShare = 1;

  /**
   * Bytes of live data, the scheduler's leaf size: the buffers' estimate (times {@link bufferNewShare}) plus
   * what each segment adds (its `liveBytes`), so versions that replace older ones in the leaf (an
   * update-heavy leaf's buffers and flushes) are not counted twice where a job could tell.
   */
  get liveBytes(): number {
    let n = this.bufferedBytes * this.bufferNewShare;
    for (const s of this.segments) n += s.liveBytes;
    return n;
  }

  /** Bytes of entries: segments' data blocks (no index, bloom or footer) plus the buffers' estimate. */
  get dataBytes(): number {
    let n = this.bufferedBytes;
    for (const s of this.segments) n += s.dataBytes;
    return n;
  }

  /** Estimated bytes in the buffers. */
  get bufferedBytes(): number {
    return this.active.sizeBytes + (this.frozen?.sizeBytes ?? 0);
  }

  /** Lowest LSN held only in memory (Infinity if the buffers are empty). */
  get minUnflushedLsn(): number {
    return Math.min(this.active.minLsn, this.frozen?.minLsn ?? Number.POSITIVE_INFINITY);
  }

  /**
   * The key's newest entry if memory can answer (tombstones included), else NOT_IN_MEMORY: the buffers, then
   * each segment newest first as far as its bloom filter and the cached blocks answer without I/O.
   */
  lookupMemory(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const r = this.probe(key);
    return typeof r === "number" ? NOT_IN_MEMORY : r;
  }

  /**
   * The key's newest entry (tombstones included) without waiting: memory, else blocks read on the calling
   * thread where the files offer `readSync`; NOT_IN_MEMORY if a segment needs an asynchronous read.
   * Synchronous, so no segment can go away meanwhile. @throws CorruptionError; the file system's error.
   */
  getNow(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const a = this.active.get(key);
    if (a) return a;
    const f = this.frozen?.get(key);
    if (f) return f;
    for (const segment of this.segments) {
      const e = segment.getNow(key);
      if (e === NOT_CACHED) return NOT_IN_MEMORY;
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** The key's newest entry, tombstones included. @throws CorruptionError from a segment. */
  async get(key: KeyString): Promise<Entry | undefined> {
    const r = this.probe(key);
    if (typeof r !== "number") return r;
    // Only the segments from the first one whose block is not cached: the newer ones already said no.
    const segments = this.segments.slice(r);
    for (const s of segments) s.retain();
    try {
      for (const s of segments) {
        const e = await s.get(key);
        if (e) return e;
      }
      return undefined;
    } finally {
      for (const s of segments) await s.release();
    }
  }

  /**
   * What memory knows of `key`: its entry (or undefined: certainly absent), or the index of the first
   * segment that must be read from disk. Synchronous, so the answer and the segment list agree.
   */
  private probe(key: KeyString): Entry | undefined | number {
    const a = this.active.get(key);
    if (a) return a;
    const f = this.frozen?.get(key);
    if (f) return f;
    let i = 0;
    for (const segment of this.segments) {
      const e = segment.peek(key);
      if (e === NOT_CACHED) return i;
      if (e !== undefined) return e;
      i++;
    }
    return undefined;
  }

  /**
   * Up to `limit` live entries (tombstones and entries expired at `nowMs` skipped) within `range`, in key
   * order or reverse, newest first per key (leaf-scan.ts). The caller clips `range` to the leaf. Every entry
   * examined, live or not, is counted on `pacer`, which yields to the event loop between bounded runs of
   * work; blocks the cache lacks are read asynchronously.
   * @throws CorruptionError from a segment.
   */
  async scan(
    range: KeyRange,
    limit: number,
    reverse: boolean,
    nowMs: number,
    pacer: ScanPacer,
  ): Promise<Pair[]> {
    const segments = [...this.segments];
    for (const s of segments) s.retain();
    try {
      const scan = new LeafScan(this.scanSources(range, reverse, segments), range, limit, reverse, nowMs);
      // Bounded by the entries examined and the blocks loaded: every round does one or the other.
      for (;;) {
        const pause = pacer.spend(scan.run(pacer.room));
        if (pause !== undefined) await pause;
        if (scan.finished) return scan.out;
        await scan.takeBlocked()?.load?.();
      }
    } finally {
      for (const s of segments) await s.release();
    }
  }

  /**
   * {@link scan} without waiting: the same answer, from the buffers, cached blocks and blocks read on the
   * calling thread where the files offer `readSync`; NOT_IN_MEMORY if a block needs an asynchronous read or
   * the scan would examine more than `budget.entries` entries (what it examined is taken from it).
   * Synchronous, so no segment can go away meanwhile. @throws CorruptionError; the file system's error.
   */
  scanNow(
    range: KeyRange,
    limit: number,
    reverse: boolean,
    nowMs: number,
    budget: { entries: number },
  ): Pair[] | typeof NOT_IN_MEMORY {
    const scan = new LeafScan(this.scanSources(range, reverse, this.segments), range, limit, reverse, nowMs);
    // Bounded by the budget and the blocks: every round examines entries or loads a block.
    for (;;) {
      budget.entries -= scan.run(budget.entries);
      if (scan.finished) return scan.out;
      const blocked = scan.takeBlocked();
      if (blocked?.loadNow?.() !== true) return NOT_IN_MEMORY;
    }
  }

  /** The sources of a scan from `range`'s start: buffers, then `segments` (newest first). */
  private scanSources(range: KeyRange, reverse: boolean, segments: readonly SegmentReader[]): ScanSource[] {
    const from = startKey(range, reverse);
    const sources: ScanSource[] = [this.active.cursor(from, reverse)];
    if (this.frozen !== undefined) sources.push(this.frozen.cursor(from, reverse));
    const end = range.lt ?? range.lte;
    const inclusive = range.lt === undefined && range.lte !== undefined;
    for (const s of segments) sources.push(new SegmentCursor(s, from, reverse, end, inclusive));
    return sources;
  }

  /** Moves the active buffer to frozen (for a flush) and starts a new active buffer. */
  freeze(): MemBuffer {
    assert(this.frozen === undefined, "one flush at a time per leaf");
    const frozen = this.active;
    this.frozen = frozen;
    this.active = new MemBuffer();
    return frozen;
  }

  /** Undoes `freeze` after a failed flush: frozen entries return under the newer active ones. */
  thaw(): void {
    const frozen = this.frozen;
    if (frozen === undefined) return;
    for (const [key, entry] of frozen.sorted()) {
      if (!this.active.get(key)) this.active.set(key, entry);
    }
    this.frozen = undefined;
  }

  /**
   * A rewrite's input (rewrite.ts): the frozen buffer, encoded in runs of {@link MEMORY_RUN_ENTRIES}, then
   * every segment newest first, read in runs of about `readBytes` past the block cache. The active buffer
   * is not included: it holds writes newer than the freeze.
   */
  rewriteSources(readBytes: number): AsyncIterator<RawEntry[]>[] {
    return [
      ...(this.frozen ? [memoryRuns(this.frozen)] : []),
      ...this.segments.map((s) => s.rawRuns(readBytes)),
    ];
  }
}

/** Entries a frozen buffer contributes to a rewrite per run (a bound on encoding work between yields). */
export const MEMORY_RUN_ENTRIES = 1024;

/** A frozen buffer's entries in key order, encoded a run at a time. */
async function* memoryRuns(buffer: MemBuffer): AsyncGenerator<RawEntry[]> {
  const pairs = buffer.sorted();
  // Bounded by the buffer's entries.
  for (let i = 0; i < pairs.length; i += MEMORY_RUN_ENTRIES) {
    yield rawFromPairs(pairs.slice(i, i + MEMORY_RUN_ENTRIES));
  }
}

/** `pair` with an expired document turned into a tombstone of the same version. */
export function expireAt(pair: Pair, nowMs: number): Pair {
  const [key, entry] = pair;
  // `text` and `expiresAtMs` only: reading `value` would parse a lazily decoded document.
  const expired = entry.text !== undefined && entry.expiresAtMs !== undefined && nowMs >= entry.expiresAtMs;
  return expired ? [key, expiredToTombstone(entry)] : pair;
}
