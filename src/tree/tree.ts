/**
 * The FuseDB leaf tree (DESIGN.md, "Storage"): a router over fence keys to leaves, each leaf with its own
 * buffer and segments, and the background work that keeps them bounded — all of it local to a leaf, none of
 * it global, so no write ever waits behind work on another key range.
 *
 * This file is the tree as the engine sees it; the parts are:
 * - router.ts: the leaves in key order, key lookup and scan routing;
 * - scheduler.ts: which job runs next, and the writers' backpressure (choosing work);
 * - jobs.ts: flush, merge, split, merge-back and checkpoint (doing it), one at a time; rewrite.ts the
 *   one-pass body of a merge, split or merge-back;
 * - publisher.ts: segment files, the manifest edit each job publishes, the WAL floor.
 * Jobs work in bounded slices and yield to the event loop (`yieldToEventLoop`, the Clock's `yield`) between
 * them; writers crossing the buffer budget wait for slices, more of them the closer the budget (gradual
 * backpressure, never a stall). Memory mode has only the router: buffers, no files, no
 * background work.
 */
import { type Entry, rowEntryOf } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { VersionFloor } from "../doc/version-floor.js";
import { assert, ClosedError } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { BlockCache, type BlockCacheStats } from "./block-cache.js";
import { TreeJobs } from "./jobs.js";
import type { KeyRange } from "./key-range.js";
import { Leaf, NOT_IN_MEMORY } from "./leaf.js";
import type { Manifest, ManifestLog } from "./manifest.js";
import { fenceKeyFromHex } from "./manifest-key.js";
import { type FloorRaise, Publisher } from "./publisher.js";
import { leafOf, Router } from "./router.js";
import { RowCache, type RowCacheStats } from "./row-cache.js";
import { type JobKind, type JobPlan, Scheduler } from "./scheduler.js";
import { type Block, SegmentReader } from "./segment-reader.js";
import type { TreeHost } from "./tree-host.js";

export type { FloorRaise, JobKind, TreeHost };
export { leafOf, NOT_IN_MEMORY };

type Pair = [KeyString, Entry];

/** Size knobs of the tree, in bytes unless named otherwise. */
export interface TreeOptions {
  leafBufferBytes: number;
  bufferBytesMax: number;
  leafBytesMax: number;
  segmentsMax: number;
  /** Share of recent writes (0..1] above which a leaf is hot and splits at half of `leafBytesMax`. */
  hotWriteShare: number;
  checkpointWalBytes: number;
  blockCacheBytes: number;
  /** Byte budget of the row cache (src/tree/row-cache.ts); ignored in memory mode, where every row is in memory. */
  rowCacheBytes: number;
  sliceBytes: number;
  /** TEST ONLY (recovery mode `ignore-checksums`): segment reads skip crc32 checks. */
  ignoreChecksums?: boolean;
  /** Entries a scan examines between two yields. Default {@link SCAN_ENTRIES_PER_YIELD}. */
  scanEntriesPerYield?: number;
  /**
   * Lets the event loop run between bounded runs of a scan's work, and between slices of a background
   * job's. Default: a resolved promise, which lets
   * only other promise continuations run; the engine passes its Clock's `yield` (src/options.ts
   * `treeOptions`), which on the real clock lets I/O callbacks and timers run too (real timers may not be
   * used in src/ outside src/io).
   */
  yieldToEventLoop?: () => Promise<void>;
}

/** Default entries a scan examines between two yields. */
export const SCAN_ENTRIES_PER_YIELD = 1024;

/** Counters of background work. */
export interface TreeStats {
  leaves: number;
  segments: number;
  segmentBytes: number;
  bufferedEntries: number;
  bufferedBytes: number;
  flushes: number;
  merges: number;
  splits: number;
  leafMerges: number;
  /** Bytes written into segments. */
  segmentBytesWritten: number;
  /** Bytes appended to or rewritten in the manifest. */
  manifestBytes: number;
  manifestRewrites: number;
  /** Writes that waited for a background slice (backpressure). */
  throttledWrites: number;
  /** The background job running now, if any. */
  running: JobKind | undefined;
  /** No background job is running or queued (see `FuseDBStats.background`). */
  idle: boolean;
  walFilesDeleted: number;
  cache: BlockCacheStats;
  rows: RowCacheStats;
}

/** One leaf as `describe` reports it. */
export interface LeafInfo {
  /** Lowest key of the range (the fence key); the range ends at the next leaf's. */
  low: KeyString;
  /** Records at or below this LSN that touched the leaf are in its segments. */
  flushedLsn: number;
  /** LSN of the newest mutation the leaf holds (buffers or segments). */
  seqno: number;
  /** Segment file names, newest first. */
  segments: string[];
  bufferedEntries: number;
  /** Bytes of entries: segments' data blocks plus the buffers' estimate. */
  dataBytes: number;
  /** Writes applied lately (decaying): the write-rate statistic behind hot splits. */
  recentWrites: number;
}

/**
 * A read of one key from segments, in flight. `stale` is set when an effect on the key is applied while it
 * runs: its answer may then be older than the key's newest entry and must not fill the row cache. Reads of
 * the same key join the one in flight while it is not stale.
 */
interface KeyRead {
  readonly done: Promise<Entry | undefined>;
  stale: boolean;
}

/** The files side of a durable tree: its jobs and the publisher they write through. */
interface Background {
  readonly host: TreeHost;
  readonly jobs: TreeJobs;
  readonly publisher: Publisher;
}

/** The router, the leaves and their background work. */
export class Tree {
  private readonly router: Router;
  private readonly scheduler: Scheduler;
  /** Undefined in memory mode (no files: no background work). */
  private readonly background: Background | undefined;
  private jobTail: Promise<void> = Promise.resolve();
  private busy = false;
  /** The job running now (for stats, and for the simulator's crash-inside-a-job marks). */
  private running: JobKind | undefined;
  private stopped = false;
  /** Set by {@link close}: every segment is released, so reads that reach a leaf now stop. */
  private closed = false;
  /** Newest entries of hot keys (see row-cache.ts for its invariant). */
  private readonly rows: RowCache;
  /** Segment reads in flight, by key; bounded by the reads callers started. */
  private readonly reads = new Map<KeyString, KeyRead>();

  private constructor(
    private readonly cache: BlockCache<Block>,
    leaves: Leaf[],
    options: TreeOptions,
    disk: { host: TreeHost; log: ManifestLog; raises: FloorRaise[] } | undefined,
    /**
     * The dead-version floor of the visible records (src/doc/version-floor.ts): raised by `apply`, read by
     * `versionOf` and `inspect`; the edits carry it to the manifest.
     */
    readonly floor: VersionFloor,
    /** The WAL floor of a tree without background work: 0 in memory mode, the manifest's when read-only. */
    private readonly fixedCheckpointLsn = 0,
  ) {
    this.router = new Router(leaves, {
      entriesPerYield: options.scanEntriesPerYield ?? SCAN_ENTRIES_PER_YIELD,
      yieldNow: options.yieldToEventLoop ?? (() => Promise.resolve()),
      closed: () => this.closed,
    });
    this.rows = new RowCache(options.rowCacheBytes);
    const walBytes = disk === undefined ? () => 0 : () => disk.host.walBytesWritten();
    this.scheduler = new Scheduler(this.router, options, walBytes);
    if (disk === undefined) return;
    const yieldNow = options.yieldToEventLoop ?? (() => Promise.resolve());
    const onSlice = (): Promise<void> => {
      this.scheduler.releaseSliceWaiters();
      // Let the event loop run between slices, also when a job's input is all in memory.
      return yieldNow();
    };
    const publisher = new Publisher(
      disk.host,
      disk.log,
      cache,
      this.router,
      {
        sliceBytes: options.sliceBytes,
        onSlice,
        stop: () => {
          this.stopped = true;
        },
        ignoreChecksums: options.ignoreChecksums,
      },
      disk.raises,
    );
    const pacing = { sliceBytes: options.sliceBytes, onSlice };
    const jobs = new TreeJobs(disk.host, this.router, publisher, pacing, (leaf) =>
      this.scheduler.noteUnsplittable(leaf),
    );
    this.background = { host: disk.host, jobs, publisher };
  }

  /** A tree with one leaf and no files (durability 'memory'): buffers only, no background work. */
  static inMemory(options: TreeOptions): Tree {
    // Every row is in the buffer already: no row cache.
    return new Tree(
      new BlockCache(1),
      [new Leaf("", [], 0)],
      { ...options, rowCacheBytes: 0 },
      undefined,
      new VersionFloor(),
    );
  }

  /**
   * A tree over opened leaves that never changes (a database opened `readOnly`): reads only, no manifest
   * log, no background work; `checkpointLsn` stays `checkpointLsn`, the manifest's. Nothing applies entries to it.
   */
  static readOnly(
    cache: BlockCache<Block>,
    leaves: Leaf[],
    options: TreeOptions,
    checkpointLsn: number,
    floor: VersionFloor,
  ): Tree {
    return new Tree(cache, leaves, options, undefined, floor, checkpointLsn);
  }

  /**
   * Opens every segment `manifest` names (verifying footers, indexes and bloom filters).
   * @throws CorruptionError on a damaged segment; the segments opened so far are released first.
   */
  static async openSegments(
    fs: FileSystem,
    dir: string,
    manifest: Manifest,
    blockCacheBytes: number,
    verifyChecksums = true,
  ): Promise<{ leaves: Leaf[]; cache: BlockCache<Block> }> {
    const cache = new BlockCache<Block>(blockCacheBytes);
    // All segments open at once (issue 13: one after another, each open's reads waited on the last's).
    const opening = manifest.leaves.map((l) =>
      Promise.allSettled(
        l.segments.map((name) => SegmentReader.open(fs, dir, name, cache, undefined, verifyChecksums)),
      ),
    );
    const settled = await Promise.all(opening);
    const opened = settled.flat();
    const failed = opened.find((o) => o.status === "rejected");
    if (failed !== undefined) {
      // The error of the first segment in manifest order that failed, as when they opened one by one.
      for (const o of opened) if (o.status === "fulfilled") await o.value.release();
      throw failed.reason;
    }
    const leaves = manifest.leaves.map((l, i) => {
      const segments: SegmentReader[] = [];
      for (const o of settled[i] ?? []) if (o.status === "fulfilled") segments.push(o.value);
      assert(segments.length === l.segments.length, "every segment of the leaf opened");
      return new Leaf(fenceKeyFromHex(l.low), segments, l.flushedLsn);
    });
    return { leaves, cache };
  }

  /**
   * A tree over opened leaves, publishing through `manifestLog`, with the recovered dead-version `floor`
   * (the manifest's raised by every replayed record) and the `raises` of the replayed records (LSN order:
   * the manifest gets them as the WAL floor passes them). Defaults: a new database.
   */
  static create(
    host: TreeHost,
    manifestLog: ManifestLog,
    cache: BlockCache<Block>,
    leaves: Leaf[],
    options: TreeOptions,
    floor = VersionFloor.of(manifestLog.manifest.deadVersionFloor),
    raises: FloorRaise[] = [],
  ): Tree {
    return new Tree(cache, leaves, options, { host, log: manifestLog, raises }, floor);
  }

  /** The leaf whose range holds `key` (binary search over fence keys). */
  leafFor(key: KeyString): Leaf {
    return this.router.leafFor(key);
  }

  /**
   * Makes a durable effect visible: into its leaf's buffer, and into the dead-version floor (noted for the
   * manifest edit that moves the WAL floor past it); may start background work.
   */
  apply(key: KeyString, entry: Entry): void {
    const bucket = this.floor.raiseBy(key, entry);
    if (bucket !== undefined) this.background?.publisher.noteFloorRaise(entry.lsn, bucket, entry.version);
    const leaf = this.router.leafFor(key);
    const before = leaf.active.sizeBytes;
    leaf.active.set(key, entry);
    leaf.seqno = entry.lsn;
    this.cacheRow(key, entry);
    const read = this.reads.get(key);
    if (read !== undefined) {
      read.stale = true;
      this.reads.delete(key);
    }
    const due = this.scheduler.noteWrite(leaf, leaf.active.sizeBytes - before);
    if (due) this.schedule();
  }

  /**
   * The key's newest entry if memory can answer (the row cache, the leaf's buffers, the bloom filters and
   * cached blocks), else NOT_IN_MEMORY. Synchronous; an entry found outside the row cache is cached there.
   */
  lookupMemory(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const row = this.cachedRow(key);
    if (row !== undefined) return row;
    const found = this.router.leafFor(key).lookupMemory(key);
    if (found !== undefined && found !== NOT_IN_MEMORY) this.cacheRow(key, found);
    return found;
  }

  /**
   * The key's row, unless background work may have turned it into a tombstone since it was cached: a
   * document expired at the expiry horizon (every sweep so far used a horizon no later than today's: it
   * never goes back). Such a row is dropped, and the leaf answers with exactly what it holds.
   */
  private cachedRow(key: KeyString): Entry | undefined {
    const row = this.rows.get(key);
    if (row === undefined || !this.maySweep(row)) return row;
    this.rows.delete(key);
    return undefined;
  }

  /**
   * Caches `entry` as the key's row (the caller knows it is the newest); if a sweep may change it, the key
   * gets no row at all (an older one must not stay).
   */
  private cacheRow(key: KeyString, entry: Entry): void {
    if (this.maySweep(entry)) this.rows.delete(key);
    else this.rows.set(key, rowEntryOf(entry));
  }

  /** Whether background work may turn `entry` into a tombstone (expired at the horizon; never without jobs). */
  private maySweep(entry: Entry): boolean {
    const at = entry.expiresAtMs;
    if (at === undefined || entry.value === undefined || this.background === undefined) return false;
    return at <= this.background.host.expiryHorizonMs();
  }

  /**
   * The key's newest entry without waiting: as {@link lookupMemory}, then blocks read on the calling thread
   * where the files offer `readSync` (NodeFileSystem's default); NOT_IN_MEMORY if an asynchronous read is
   * needed. What it finds is cached in the row cache. @throws CorruptionError; the file system's error;
   * ClosedError once the tree closed (its segments are released: a read must not reach them, seed ci-732).
   */
  readNow(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    if (this.closed) throw new ClosedError();
    const row = this.cachedRow(key);
    if (row !== undefined) return row;
    const found = this.router.leafFor(key).getNow(key);
    if (found !== undefined && found !== NOT_IN_MEMORY) this.cacheRow(key, found);
    return found;
  }

  /**
   * The key's newest entry, tombstones included: a settled promise when {@link readNow} answers, else a
   * segment read (joined with one already in flight for the key, if no effect on it was applied since
   * that began). @throws CorruptionError from a segment; the file system's error; ClosedError (rejected)
   * once the tree closed.
   */
  get(key: KeyString): Promise<Entry | undefined> {
    let found: Entry | undefined | typeof NOT_IN_MEMORY;
    try {
      found = this.readNow(key);
    } catch (err) {
      return Promise.reject(err);
    }
    if (found !== NOT_IN_MEMORY) return Promise.resolve(found);
    const running = this.reads.get(key);
    if (running !== undefined) return running.done;
    const done = this.router.leafFor(key).get(key);
    const read: KeyRead = { done, stale: false };
    this.reads.set(key, read);
    const settle = (): void => {
      if (this.reads.get(key) === read) this.reads.delete(key);
    };
    done.then((entry) => {
      settle();
      if (!read.stale && entry !== undefined) this.cacheRow(key, entry);
    }, settle);
    return done;
  }

  /**
   * Up to `limit` live entries in `range` across leaves, in key order or reverse; see {@link Router.scan}.
   * @throws CorruptionError from a segment.
   */
  scan(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Promise<Pair[]> {
    return this.router.scan(range, limit, reverse, nowMs);
  }

  /**
   * {@link scan} without waiting: the same answer, read in one synchronous run from the buffers, cached
   * blocks and blocks read on the calling thread where the files offer `readSync`; NOT_IN_MEMORY if a block
   * needs an asynchronous read or the scan would examine more than `scanEntriesPerYield` entries (see
   * {@link Router.scanNow}). @throws CorruptionError; the file system's error; ClosedError after close.
   */
  scanNow(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Pair[] | typeof NOT_IN_MEMORY {
    return this.router.scanNow(range, limit, reverse, nowMs);
  }

  /** Counters and sizes. */
  stats(): TreeStats {
    let segments = 0;
    let segmentBytes = 0;
    let bufferedEntries = 0;
    let bufferedBytes = 0;
    for (const l of this.router.leaves) {
      segments += l.segments.length;
      segmentBytes += l.segmentBytes;
      bufferedEntries += l.active.size + (l.frozen?.size ?? 0);
      bufferedBytes += l.bufferedBytes;
    }
    const jobs = this.background?.jobs.counters;
    const publisher = this.background?.publisher;
    return {
      leaves: this.router.leaves.length,
      segments,
      segmentBytes,
      bufferedEntries,
      bufferedBytes,
      flushes: jobs?.flushes ?? 0,
      merges: jobs?.merges ?? 0,
      splits: jobs?.splits ?? 0,
      leafMerges: jobs?.leafMerges ?? 0,
      segmentBytesWritten: publisher?.segmentBytesWritten ?? 0,
      throttledWrites: this.scheduler.throttledWrites,
      walFilesDeleted: publisher?.walFilesDeleted ?? 0,
      running: this.running,
      idle: !this.busy && this.running === undefined,
      manifestBytes: publisher?.manifestBytes ?? 0,
      manifestRewrites: publisher?.manifestRewrites ?? 0,
      cache: { ...this.cache.stats },
      rows: { ...this.rows.stats },
    };
  }

  /** The leaves in key order: range, LSNs, segments and statistics (for tools and `db.leaves()`). */
  describe(): LeafInfo[] {
    return this.router.leaves.map((l) => ({
      low: l.low,
      flushedLsn: l.flushedLsn,
      seqno: l.seqno,
      segments: l.segments.map((s) => s.name),
      bufferedEntries: l.active.size + (l.frozen?.size ?? 0),
      dataBytes: l.dataBytes,
      recentWrites: l.recentWrites,
    }));
  }

  /** The WAL floor in the manifest: replay starts above it (0 in memory mode). */
  get checkpointLsn(): number {
    return this.background?.publisher.checkpointLsn ?? this.fixedCheckpointLsn;
  }

  /** Gradual backpressure (see {@link Scheduler.backpressure}): a promise to await, or undefined. */
  backpressure(): Promise<void> | undefined {
    return this.scheduler.backpressure(this.busy);
  }

  /**
   * Flushes every leaf holding buffered data and deletes the WAL files wholly below the new floor. With no
   * writes meanwhile the floor is then the last applied LSN. Resolves with the floor.
   * @throws the job's error, after handling it exactly as a failed background job's: scheduling stops and
   *   the host hears of it (`onBackgroundError`: the engine is then poisoned).
   */
  checkpoint(): Promise<number> {
    const background = this.background;
    assert(background !== undefined, "memory and read-only trees have no checkpoint");
    return this.exclusive("checkpoint", () => background.jobs.checkpoint()).then(
      (lsn) => {
        // The flushes may have made merges due (a leaf's tombstones now over its older segments).
        this.schedule();
        return lsn;
      },
      (err: unknown) => {
        this.failed(background, err);
        throw err;
      },
    );
  }

  /** Sweeps expired documents in memory mode (there is no background flush to do it). */
  sweepExpired(nowMs: number): void {
    for (const l of this.router.leaves) l.active.sweepExpired(nowMs);
  }

  /** Waits for the running job, stops scheduling, releases every segment. */
  async close(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    await this.jobTail;
    this.scheduler.releaseSliceWaiters();
    for (const l of this.router.leaves) for (const s of l.segments) await s.release();
    await this.background?.publisher.close();
  }

  /** Starts the next background job if one is due and none runs. */
  private schedule(): void {
    const background = this.background;
    if (background === undefined) return;
    if (this.busy) return;
    if (this.stopped) return;
    const plan: JobPlan | undefined = this.scheduler.pick();
    if (plan === undefined) return;
    this.busy = true;
    void this.exclusive(plan.kind, () => background.jobs.run(plan))
      .catch((err: unknown) => this.failed(background, err))
      .finally(() => {
        this.busy = false;
        this.scheduler.releaseSliceWaiters();
        this.schedule();
      });
  }

  /**
   * A job failed (background or an explicit checkpoint): no job is scheduled any more, writers waiting for
   * slices go on (to the poison), and the host is told, so the engine stops writing.
   */
  private failed(background: Background, err: unknown): void {
    this.stopped = true;
    this.scheduler.releaseSliceWaiters();
    background.host.onBackgroundError(err);
  }

  /** Runs `fn` after every job queued before it, with `kind` as the running job. */
  private exclusive<T>(kind: JobKind, fn: () => Promise<T>): Promise<T> {
    const run = this.jobTail.then(async () => {
      this.running = kind;
      try {
        return await fn();
      } finally {
        this.running = undefined;
      }
    });
    this.jobTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
