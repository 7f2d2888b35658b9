/**
 * The scan of one leaf (src/tree/leaf.ts): a k-way merge of the leaf's sorted sources — the active buffer,
 * the frozen buffer, then the segments newest first — each key once, from the newest source holding it,
 * filtered to the live entries of the range, up to a limit.
 *
 * The merge itself is synchronous and resumable: it runs until it is done, until it has examined the
 * entries its caller allowed, or until a segment source needs a block that is not in the block cache
 * (`NEED_BLOCK`). Two drivers run it (leaf.ts): the synchronous scan (`Leaf.scanNow`), which loads such a
 * block on the calling thread where the file offers `readSync` and otherwise gives up (the caller takes the
 * asynchronous path), and the asynchronous scan (`Leaf.scan`), which awaits the block and yields to the
 * event loop between bounded runs ({@link ScanPacer}). One merge, two ways to wait: an answer from memory
 * costs no promise at all. Idea: LevelDB's MergingIterator over a memtable iterator and table iterators,
 * with the asynchronous block read lifted out of the iterator the way Pebble's iterators report
 * "would block" for a non-blocking read of the cache.
 */
import type { Entry } from "../doc/entry.js";
import { isLive } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { inRange, type KeyRange, pastEnd } from "./key-range.js";
import { type Block, lowerBound, NOT_CACHED, type SegmentReader } from "./segment-reader.js";

type Pair = [KeyString, Entry];

/** Marker: the source's next entry lies in a block that must be loaded first. */
export const NEED_BLOCK: unique symbol = Symbol("need-block");

/** A sorted source of a leaf scan (ascending, or descending for a reverse scan). */
export interface ScanSource {
  /** The current entry, undefined at the end, or NEED_BLOCK (then `loadNow` or `load` first). */
  head(): Pair | undefined | typeof NEED_BLOCK;
  /** Moves past the current entry (only after `head` returned one). */
  advance(): void;
  /** Loads the needed block without waiting (block cache, or `readSync`); false if it needs an async read. */
  loadNow?(): boolean;
  /** Loads the needed block. @throws CorruptionError; the file system's error. */
  load?(): Promise<void>;
}

/**
 * A walk over a segment's entries from the block that may hold `from`, seeking `from` inside that block.
 * Holds the block it walks, so an eviction from the block cache meanwhile changes nothing.
 */
export class SegmentCursor implements ScanSource {
  /** Index of the block the walk is in (-1 or blockCount: done). */
  private b: number;
  private block: Block | undefined;
  private slot = 0;
  /** Whether the next block entered is the first (the one `from` is sought in). */
  private first = true;

  /**
   * @param end a forward walk's end (`range.lt`, or `range.lte` with `endInclusive`): a block whose first key
   *   (known from the index) lies past it is never read, so a scan of a range the segment does not reach
   *   costs no I/O (the index catalog read at open, a scan of the internal range below every user key).
   */
  constructor(
    private readonly segment: SegmentReader,
    private readonly from: KeyString | undefined,
    private readonly reverse: boolean,
    private readonly end?: KeyString,
    private readonly endInclusive = false,
  ) {
    const n = segment.blockCount;
    if (from === undefined) this.b = reverse ? n - 1 : 0;
    else if (reverse) this.b = segment.blockFor(from);
    else this.b = Math.max(0, segment.blockFor(from));
  }

  head(): Pair | undefined | typeof NEED_BLOCK {
    // Bounded by the blocks: every round enters one or moves past one.
    for (;;) {
      if (this.b < 0 || this.b >= this.segment.blockCount) return undefined;
      let block = this.block;
      if (block === undefined && this.pastEnd()) return undefined;
      if (block === undefined) {
        const cached = this.segment.cachedBlock(this.b);
        if (cached === undefined) return NEED_BLOCK;
        block = this.enter(cached);
      }
      const key = block.keys[this.slot];
      if (key !== undefined) return [key, block.entries[this.slot] as Entry];
      this.leaveBlock();
    }
  }

  advance(): void {
    assert(this.block !== undefined, "advance follows a head inside a block");
    this.slot += this.reverse ? -1 : 1;
    if (this.slot < 0 || this.slot >= this.block.keys.length) this.leaveBlock();
  }

  loadNow(): boolean {
    const block = this.segment.blockNow(this.b);
    if (block === NOT_CACHED) return false;
    this.enter(block);
    return true;
  }

  async load(): Promise<void> {
    this.enter(await this.segment.loadBlock(this.b));
  }

  /** Whether block `b`, not yet entered, starts past a forward walk's end (so none of its keys is wanted). */
  private pastEnd(): boolean {
    if (this.reverse || this.end === undefined) return false;
    const first = this.segment.blockFirstKey(this.b);
    return this.endInclusive ? first > this.end : first >= this.end;
  }

  /** Starts walking `block` (block `b`): at its first (last) entry, or at `from` in the first block. */
  private enter(block: Block): Block {
    this.block = block;
    const from = this.first ? this.from : undefined;
    this.first = false;
    if (!this.reverse) this.slot = from === undefined ? 0 : lowerBound(block.keys, from);
    else if (from === undefined) this.slot = block.keys.length - 1;
    else {
      // The last key at or below `from`.
      const at = lowerBound(block.keys, from);
      this.slot = block.keys[at] === from ? at : at - 1;
    }
    return block;
  }

  private leaveBlock(): void {
    this.block = undefined;
    this.b += this.reverse ? -1 : 1;
  }
}

/** The state of one leaf's scan: see the module comment. */
export class LeafScan {
  /** Live entries found so far, in scan order. */
  readonly out: Pair[] = [];
  /** Set once the scan is complete (`out` is the answer). */
  finished = false;
  /** The source that stopped the last run for a block, until taken. */
  private blocked: ScanSource | undefined;
  /** The sources' current entries of the step being taken (reused across steps). */
  private readonly heads: (Pair | undefined)[];

  constructor(
    private readonly sources: readonly ScanSource[],
    private readonly range: KeyRange,
    private readonly limit: number,
    private readonly reverse: boolean,
    private readonly nowMs: number,
  ) {
    this.heads = sources.map(() => undefined);
    if (limit <= 0) this.finished = true;
  }

  /**
   * Examines at most `budget` entries (tombstones, expired and out-of-range ones included) and returns how
   * many it examined. Stops early when the scan is finished, or when a source needs a block (then
   * {@link takeBlocked} names it; nothing of the step was consumed, so the next run resumes there).
   */
  run(budget: number): number {
    let examined = 0;
    // Bounded by `budget`.
    while (!this.finished && examined < budget) {
      // The smallest head key (largest in reverse); the first source holding it is the newest.
      let pair: Pair | undefined;
      for (let i = 0; i < this.sources.length; i++) {
        const h = (this.sources[i] as ScanSource).head();
        if (h === NEED_BLOCK) {
          this.blocked = this.sources[i];
          return examined;
        }
        this.heads[i] = h;
        if (h === undefined) continue;
        if (pair === undefined || (this.reverse ? h[0] > pair[0] : h[0] < pair[0])) pair = h;
      }
      if (pair === undefined) {
        this.finished = true;
        break;
      }
      examined++;
      const [key, entry] = pair;
      for (let i = 0; i < this.sources.length; i++) {
        if (this.heads[i]?.[0] === key) (this.sources[i] as ScanSource).advance();
      }
      if (pastEnd(key, this.range, this.reverse)) {
        this.finished = true;
        break;
      }
      if (!inRange(key, this.range) || !isLive(entry, this.nowMs)) continue;
      this.out.push(pair);
      if (this.out.length >= this.limit) this.finished = true;
    }
    return examined;
  }

  /** The source that needs a block before the scan can go on (undefined: none), forgotten once taken. */
  takeBlocked(): ScanSource | undefined {
    const s = this.blocked;
    this.blocked = undefined;
    return s;
  }
}

/**
 * Bounds a scan's work between yields: a scan examines at most `room` entries (tombstones, expired and
 * out-of-range entries included) and then `spend`s them, which every `entriesPerYield` entries returns
 * `yieldNow()` to await — so a scan that skips many tombstones for a small `limit` never holds the event
 * loop for more than that many entries. Otherwise it returns undefined (no promise, no microtask).
 */
export class ScanPacer {
  private sinceYield = 0;
  /** Yields made so far. */
  yields = 0;

  constructor(
    private readonly entriesPerYield: number,
    private readonly yieldNow: () => Promise<void>,
  ) {
    assert(Number.isSafeInteger(entriesPerYield), "entriesPerYield is an integer");
    assert(entriesPerYield >= 1, "entriesPerYield is at least 1");
  }

  /** Entries that may be examined before the next yield (at least 1). */
  get room(): number {
    return this.entriesPerYield - this.sinceYield;
  }

  /** Counts `n` entries examined (at most `room`); a promise to await when it is time to yield. */
  spend(n: number): Promise<void> | undefined {
    assert(n <= this.room, "a run examines at most the room it was given");
    this.sinceYield += n;
    if (this.sinceYield < this.entriesPerYield) return undefined;
    this.sinceYield = 0;
    this.yields++;
    return this.yieldNow();
  }
}
