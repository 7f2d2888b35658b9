/**
 * The FuseDB leaf tree (DESIGN.md, "Storage"): a router over fence keys to leaves, each leaf with its own
 * buffer and segments, and the background work that keeps them bounded — all of it local to a leaf, none of
 * it global, so no write ever waits behind work on another key range.
 *
 * Background jobs, one at a time, chosen after every job and whenever a write crosses a threshold:
 * 1. split: a leaf holding more than `leafBytesMax` of data, or hot (more than `hotWriteShare` of recent
 *    writes) and over half that size, is rewritten as two leaves at its middle key by bytes (a split also
 *    flushes and merges the leaf, so it goes first: until it splits, every merge of it costs more);
 * 2. merge, urgent: a leaf with more than twice `segmentsMax` segments is rewritten as one segment (a hard
 *    bound on read amplification);
 * 3. flush: a leaf's buffer is full (`leafBufferBytes`), or all buffers together pass half their budget
 *    (`bufferBytesMax`): the buffer becomes a new segment of that leaf;
 * 4. merge: a leaf with more than `segmentsMax` segments is rewritten as one segment;
 * 5. continuous checkpoint: every `checkpointWalBytes / n` bytes of WAL (n leaves holding unflushed data),
 *    the leaf holding the oldest unflushed LSN is flushed, so the WAL above the floor stays near
 *    `checkpointWalBytes` (RocksDB `max_total_wal_size`);
 * 6. merge back: two neighbours together under a third of `leafBytesMax`, neither hot, become one leaf.
 * Every job's cost is bounded by the leaf size bound, and every job publishes its result with one manifest
 * edit (segment durable first, then the edit fdatasynced, then old files and WAL files wholly below the new
 * floor deleted). Segment writes go in slices; writers crossing the buffer budget wait for slices, more of
 * them the closer the budget (gradual backpressure, never a stall).
 *
 * Idea: FuseDB's design; flush/merge bounded per range as in Bigtable tablets and Pebble's L0 sublevels.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { mark } from "../util/coverage.js";
import { BlockCache, type BlockCacheStats } from "./block-cache.js";
import type { KeyRange } from "./key-range.js";
import { expireAt, Leaf, NOT_IN_MEMORY } from "./leaf.js";
import type { LeafManifest, Manifest, ManifestEdit, ManifestLog } from "./manifest.js";
import { segmentFileName } from "./segment-format.js";
import { type Block, SegmentReader } from "./segment-reader.js";
import { type SegmentWriteResult, writeSegment } from "./segment-writer.js";

export { NOT_IN_MEMORY };

type Pair = [KeyString, Entry];

/** Size knobs of the tree, in bytes unless named otherwise. */
export interface TreeOptions {
  leafBufferBytes: number;
  bufferBytesMax: number;
  leafBytesMax: number;
  segmentsMax: number;
  /** Share of recent writes (0..1] above which a leaf is hot and splits at a quarter of `leafBytesMax`. */
  hotWriteShare: number;
  checkpointWalBytes: number;
  blockCacheBytes: number;
  sliceBytes: number;
  /** TEST ONLY (`FuseDBConfig.unsafeForTesting.ignoreChecksums`): segment reads skip crc32 checks. */
  ignoreChecksums?: boolean;
}

/** What the tree needs from the engine around it. */
export interface TreeHost {
  readonly fs: FileSystem;
  readonly dir: string;
  /** Highest LSN whose effects were applied to the tree. */
  appliedLsn(): number;
  /** Resolves once every record up to `lsn` is durable. @throws PoisonedError if the WAL failed. */
  waitDurable(lsn: number): Promise<void>;
  /** Expiry horizon for background removal of expired documents (Clock ms). */
  expiryHorizonMs(): number;
  /** WAL bytes written so far. */
  walBytesWritten(): number;
  /** Forgets WAL files wholly at or below `lsn`; returns their names for deletion. */
  takeWalFilesBelow(lsn: number): string[];
  /** A background job failed: the engine must stop writing (poison). */
  onBackgroundError(err: unknown): void;
}

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
  walFilesDeleted: number;
  cache: BlockCacheStats;
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

/** Kinds of background job. */
export type JobKind = "flush" | "merge" | "split" | "hot-split" | "leaf-merge" | "checkpoint";

/** Writes between halvings of the leaves' recent-write counters. */
const DECAY_WRITES = 256;

/** The router, the leaves and their background work. */
export class Tree {
  private leaves: Leaf[];
  private nextFileNumber: number;
  private checkpointLsn: number;
  private jobTail: Promise<void> = Promise.resolve();
  private busy = false;
  /** The job running now (for stats, and for the simulator's crash-inside-a-job marks). */
  private running: JobKind | undefined;
  private stopped = false;
  private bufferedBytes = 0;
  private writesSinceDecay = 0;
  private walBytesAtPressure = 0;
  private pressureBytes: number;
  private debt = 0;
  private sliceWaiters: (() => void)[] = [];
  /** Deletions of retired segments still running; close waits for them. */
  private readonly removals = new Set<Promise<void>>();
  private readonly counters = {
    flushes: 0,
    merges: 0,
    splits: 0,
    leafMerges: 0,
    segmentBytesWritten: 0,
    throttledWrites: 0,
    walFilesDeleted: 0,
  };

  private constructor(
    private readonly host: TreeHost | undefined,
    private readonly manifestLog: ManifestLog | undefined,
    readonly cache: BlockCache<Block>,
    leaves: Leaf[],
    manifest: Manifest,
    private readonly options: TreeOptions,
  ) {
    this.leaves = leaves;
    this.nextFileNumber = manifest.nextFileNumber;
    this.checkpointLsn = manifest.checkpointLsn;
    this.pressureBytes = options.checkpointWalBytes;
  }

  /** A tree with one leaf and no files (durability 'memory'): buffers only, no background work. */
  static inMemory(options: TreeOptions): Tree {
    const manifest: Manifest = { formatVersion: 2, checkpointLsn: 0, nextFileNumber: 1, leaves: [] };
    return new Tree(undefined, undefined, new BlockCache(1), [new Leaf("", [], 0)], manifest, options);
  }

  /**
   * Opens every segment `manifest` names (verifying footers, indexes and bloom filters).
   * @throws CorruptionError on a damaged segment.
   */
  static async openSegments(
    fs: FileSystem,
    dir: string,
    manifest: Manifest,
    blockCacheBytes: number,
    verifyChecksums = true,
  ): Promise<{ leaves: Leaf[]; cache: BlockCache<Block> }> {
    const cache = new BlockCache<Block>(blockCacheBytes);
    const leaves: Leaf[] = [];
    try {
      for (const l of manifest.leaves) {
        const segments: SegmentReader[] = [];
        leaves.push(new Leaf(fromHex(l.low), segments, l.flushedLsn));
        for (const name of l.segments) {
          segments.push(await SegmentReader.open(fs, dir, name, cache, undefined, verifyChecksums));
        }
      }
    } catch (err) {
      for (const leaf of leaves) for (const s of leaf.segments) await s.release();
      throw err;
    }
    return { leaves, cache };
  }

  /** A tree over opened leaves, publishing through `manifestLog`. */
  static create(
    host: TreeHost,
    manifestLog: ManifestLog,
    cache: BlockCache<Block>,
    leaves: Leaf[],
    options: TreeOptions,
  ): Tree {
    const tree = new Tree(host, manifestLog, cache, leaves, manifestLog.manifest, options);
    tree.bufferedBytes = leaves.reduce((n, l) => n + l.bufferedBytes, 0);
    tree.walBytesAtPressure = host.walBytesWritten();
    return tree;
  }

  /** The leaf whose range holds `key` (binary search over fence keys). */
  leafFor(key: KeyString, leaves: readonly Leaf[] = this.leaves): Leaf {
    return leafOf(leaves, key);
  }

  /** Makes a durable effect visible: into its leaf's buffer; may start background work. */
  apply(key: KeyString, entry: Entry): void {
    const leaf = this.leafFor(key);
    const before = leaf.active.sizeBytes;
    leaf.active.set(key, entry);
    this.bufferedBytes += leaf.active.sizeBytes - before;
    leaf.recentWrites++;
    leaf.seqno = entry.lsn;
    if (++this.writesSinceDecay >= DECAY_WRITES) {
      this.writesSinceDecay = 0;
      for (const l of this.leaves) l.recentWrites /= 2;
    }
    if (this.busy || this.stopped || this.host === undefined) return;
    if (
      leaf.active.sizeBytes >= this.options.leafBufferBytes ||
      this.bufferedBytes * 2 >= this.options.bufferBytesMax ||
      this.host.walBytesWritten() - this.walBytesAtPressure >= this.pressureBytes ||
      this.writesSinceDecay === 0
    ) {
      this.schedule();
    }
  }

  /** The key's newest entry if memory (or the bloom filters) can answer, else NOT_IN_MEMORY. */
  lookupMemory(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    return this.leafFor(key).lookupMemory(key);
  }

  /** The key's newest entry, tombstones included. @throws CorruptionError from a segment. */
  get(key: KeyString): Promise<Entry | undefined> {
    return this.leafFor(key).get(key);
  }

  /**
   * Up to `limit` live entries in `range` across leaves, in key order or reverse. Each leaf is read from a
   * consistent snapshot of that leaf; the next leaf is found by key when the previous one is done, so a
   * split or merge meanwhile neither skips nor repeats keys.
   * @throws CorruptionError from a segment.
   */
  async scan(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Promise<Pair[]> {
    const out: Pair[] = [];
    let leaf: Leaf | undefined = reverse ? this.lastLeafFor(range) : this.firstLeafFor(range);
    // The part of `range` not yet scanned: each leaf done moves its start (or, in reverse, its end) past the
    // leaf's range, so a leaf that a merge-back widened meanwhile never yields a key twice.
    let rest: KeyRange = { ...range };
    // Bounded by the leaves in range (and by `limit`).
    while (leaf !== undefined) {
      const high = this.highOf(leaf);
      const low = leaf.low;
      const found = await leaf.scan(clipRange(rest, low, high), limit - out.length, reverse, nowMs);
      for (const p of found) out.push(p);
      if (out.length >= limit) break;
      if (reverse) {
        rest = { ...rest, lt: low };
        delete rest.lte;
        leaf = this.leafBefore(low, rest);
      } else {
        if (high === undefined) break;
        rest = { ...rest, gte: high };
        delete rest.gt;
        leaf = this.leafFrom(high, rest);
      }
    }
    return out;
  }

  /** Counters and sizes. */
  stats(): TreeStats {
    let segments = 0;
    let segmentBytes = 0;
    let bufferedEntries = 0;
    let bufferedBytes = 0;
    for (const l of this.leaves) {
      segments += l.segments.length;
      segmentBytes += l.segmentBytes;
      bufferedEntries += l.active.size + (l.frozen?.size ?? 0);
      bufferedBytes += l.bufferedBytes;
    }
    return {
      leaves: this.leaves.length,
      segments,
      segmentBytes,
      bufferedEntries,
      bufferedBytes,
      ...this.counters,
      running: this.running,
      manifestBytes: this.manifestLog?.bytesWritten ?? 0,
      manifestRewrites: this.manifestLog?.rewrites ?? 0,
      cache: { ...this.cache.stats },
    };
  }

  /** The leaves in key order: range, LSNs, segments and statistics (for tools and `db.leaves()`). */
  describe(): LeafInfo[] {
    return this.leaves.map((l) => ({
      low: l.low,
      flushedLsn: l.flushedLsn,
      seqno: l.seqno,
      segments: l.segments.map((s) => s.name),
      bufferedEntries: l.active.size + (l.frozen?.size ?? 0),
      dataBytes: l.dataBytes,
      recentWrites: l.recentWrites,
    }));
  }

  /** The WAL floor in the manifest: replay starts above it. */
  get floorLsn(): number {
    return this.checkpointLsn;
  }

  /**
   * Gradual backpressure: when the buffers hold more than half their budget, a writer waits for one slice
   * of background work with a probability that grows linearly to 1 at the full budget (kept as a
   * deterministic debt, not a random draw). Never waits when no background work runs.
   */
  backpressure(): Promise<void> | undefined {
    const half = this.options.bufferBytesMax / 2;
    if (this.bufferedBytes <= half || !this.busy) return undefined;
    this.debt += Math.min(1, (this.bufferedBytes - half) / half);
    if (this.debt < 1) return undefined;
    this.debt -= 1;
    this.counters.throttledWrites++;
    mark("tree.backpressure");
    return new Promise((resolve) => this.sliceWaiters.push(resolve));
  }

  /**
   * Flushes every leaf holding buffered data and deletes the WAL files wholly below the new floor. With no
   * writes meanwhile the floor is then the last applied LSN. Resolves with the floor.
   * @throws the background error (the engine is then poisoned).
   */
  checkpoint(): Promise<number> {
    return this.exclusive("checkpoint", async () => {
      assert(this.host !== undefined, "memory mode has no checkpoint");
      // Bounded: each pass flushes a distinct leaf present at the start.
      for (const leaf of [...this.leaves]) {
        if (!leaf.retired && leaf.active.size > 0) await this.flush(leaf);
      }
      await this.publish([], [], undefined);
      return this.checkpointLsn;
    });
  }

  /** Sweeps expired documents in memory mode (there is no background flush to do it). */
  sweepExpired(nowMs: number): void {
    for (const l of this.leaves) l.active.sweepExpired(nowMs);
  }

  /** Waits for the running job, stops scheduling, releases every segment. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.jobTail;
    this.releaseSliceWaiters();
    for (const l of this.leaves) for (const s of l.segments) await s.release();
    await Promise.all([...this.removals]);
    await this.manifestLog?.close();
  }

  // ---- scheduling ----

  /** Starts the next background job if one is due and none runs. */
  private schedule(): void {
    if (this.busy || this.stopped || this.host === undefined) return;
    const picked = this.pickJob();
    if (picked === undefined) return;
    this.busy = true;
    void this.exclusive(picked.kind, picked.run)
      .catch((err: unknown) => {
        this.stopped = true;
        this.host?.onBackgroundError(err);
      })
      .finally(() => {
        this.busy = false;
        this.releaseSliceWaiters();
        this.schedule();
      });
  }

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

  /** The most urgent job, or undefined. O(leaves). */
  private pickJob(): { kind: JobKind; run: () => Promise<void> } | undefined {
    const o = this.options;
    const host = this.host as TreeHost;
    let fullest: Leaf | undefined;
    let oldest: Leaf | undefined;
    let unflushedLeaves = 0;
    let total = 0;
    for (const l of this.leaves) {
      total += l.bufferedBytes;
      if (l.active.size === 0) continue;
      unflushedLeaves++;
      if (fullest === undefined || l.active.sizeBytes > fullest.active.sizeBytes) fullest = l;
      if (oldest === undefined || l.minUnflushedLsn < oldest.minUnflushedLsn) oldest = l;
    }
    this.bufferedBytes = total;
    this.pressureBytes = Math.max(1, Math.floor(o.checkpointWalBytes / Math.max(1, unflushedLeaves)));
    const recent = this.leaves.reduce((n, l) => n + l.recentWrites, 0);
    // A leaf past its size bound splits first: the split also flushes and merges it, and until it splits
    // every merge of it costs more than the bound.
    const splitDue = (hotOnly: boolean): Leaf | undefined =>
      this.leaves.find((l) => {
        const size = l.dataBytes;
        const due = hotOnly ? this.isHot(l, recent) && size * 2 > o.leafBytesMax : size > o.leafBytesMax;
        const stuck = this.unsplittable.get(l);
        return due && (stuck === undefined || size > stuck * 2);
      });
    const big = splitDue(false);
    if (big) return { kind: "split", run: () => this.rewrite([big], true) };
    const hot = splitDue(true);
    if (hot) return { kind: "hot-split", run: () => this.rewrite([hot], true) };
    // Read amplification has a hard bound: twice segmentsMax goes before any flush.
    for (const l of this.leaves) {
      if (l.segments.length > 2 * o.segmentsMax)
        return { kind: "merge", run: () => this.rewrite([l], false) };
    }
    if (fullest && (fullest.active.sizeBytes >= o.leafBufferBytes || total * 2 >= o.bufferBytesMax)) {
      const leaf = fullest;
      return { kind: "flush", run: () => this.flush(leaf) };
    }
    for (const l of this.leaves) {
      if (l.segments.length > o.segmentsMax || tombstoneHeavy(l)) {
        return { kind: "merge", run: () => this.rewrite([l], false) };
      }
    }
    if (oldest && host.walBytesWritten() - this.walBytesAtPressure >= this.pressureBytes) {
      const leaf = oldest;
      this.walBytesAtPressure = host.walBytesWritten();
      return { kind: "flush", run: () => this.flush(leaf) };
    }
    for (let i = 0; i + 1 < this.leaves.length; i++) {
      const a = this.leaves[i] as Leaf;
      const b = this.leaves[i + 1] as Leaf;
      // A third of the bound: halves of a split (over half the bound each) never merge straight back.
      if (
        (a.dataBytes + b.dataBytes) * 3 < o.leafBytesMax &&
        !this.isHot(a, recent) &&
        !this.isHot(b, recent)
      ) {
        return { kind: "leaf-merge", run: () => this.rewrite([a, b], false) };
      }
    }
    return undefined;
  }

  /** Leaves whose content was a single key (a split cannot help), with their size then: retried at 2x. */
  private readonly unsplittable = new WeakMap<Leaf, number>();

  private isHot(leaf: Leaf, recent: number): boolean {
    return recent >= DECAY_WRITES / 2 && leaf.recentWrites > recent * this.options.hotWriteShare;
  }

  private releaseSliceWaiters(): void {
    const waiters = this.sliceWaiters;
    this.sliceWaiters = [];
    for (const w of waiters) w();
  }

  private onSlice = (): Promise<void> => {
    this.releaseSliceWaiters();
    // Yield to the event loop's queued work between slices.
    return Promise.resolve();
  };

  // ---- jobs ----

  /** Writes `leaf`'s buffer as its newest segment. */
  private async flush(leaf: Leaf): Promise<void> {
    const host = this.host as TreeHost;
    if (leaf.retired || leaf.active.size === 0) return;
    const lsn = host.appliedLsn();
    const frozen = leaf.freeze();
    let reader: SegmentReader;
    try {
      await host.waitDurable(lsn);
      const name = this.newFileName();
      const horizon = host.expiryHorizonMs();
      const entries = frozen.sorted().map((p) => expireAt(p, horizon));
      reader = await this.writeAndOpen(name, entries);
    } catch (err) {
      leaf.thaw();
      throw err;
    }
    const add: LeafManifest = {
      low: toHex(leaf.low),
      flushedLsn: lsn,
      segments: [reader.name, ...leaf.segments.map((s) => s.name)],
    };
    await this.publish([leaf], [add], () => {
      leaf.segments = [reader, ...leaf.segments];
      leaf.frozen = undefined;
      leaf.flushedLsn = lsn;
    });
    this.counters.flushes++;
    mark("tree.flush");
  }

  /**
   * Rewrites adjacent `leaves` (their frozen buffers and all segments) as one leaf, or with `split` as two
   * leaves at the middle key by bytes. Writes arriving meanwhile stay in the active buffers and move to the
   * new leaves. Bounded by the leaves' size.
   */
  private async rewrite(leaves: Leaf[], split: boolean): Promise<void> {
    const host = this.host as TreeHost;
    if (leaves.some((l) => l.retired)) return;
    const lsn = host.appliedLsn();
    for (const l of leaves) l.freeze();
    const outputs: { low: KeyString; reader: SegmentReader | undefined }[] = [];
    try {
      await host.waitDurable(lsn);
      const horizon = host.expiryHorizonMs();
      const content: Pair[] = [];
      for (const l of leaves) for (const p of await l.frozenContent(horizon)) content.push(p);
      const parts: { low: KeyString; entries: Pair[] }[] = [
        { low: (leaves[0] as Leaf).low, entries: content },
      ];
      if (split) {
        const at = middleByBytes(content);
        if (at > 0) {
          parts[0] = { low: (leaves[0] as Leaf).low, entries: content.slice(0, at) };
          parts.push({ low: (content[at] as Pair)[0], entries: content.slice(at) });
        } else {
          mark("tree.unsplittable");
        }
      }
      for (const part of parts) {
        const reader =
          part.entries.length === 0 ? undefined : await this.writeAndOpen(this.newFileName(), part.entries);
        outputs.push({ low: part.low, reader });
      }
    } catch (err) {
      for (const o of outputs) await o.reader?.release();
      for (const l of leaves) l.thaw();
      throw err;
    }
    const add: LeafManifest[] = outputs.map((o) => ({
      low: toHex(o.low),
      flushedLsn: lsn,
      segments: o.reader ? [o.reader.name] : [],
    }));
    const fresh = outputs.map((o) => new Leaf(o.low, o.reader ? [o.reader] : [], lsn));
    await this.publish(leaves, add, () => {
      // Writes since the freeze move to the new leaves; the router switches in the same synchronous step.
      for (const old of leaves) {
        for (const [key, entry] of old.active.sorted()) this.leafFor(key, fresh).active.set(key, entry);
        old.retired = true;
        old.frozen = undefined;
        for (const s of old.segments) {
          const removal = this.retireSegment(s);
          this.removals.add(removal);
          void removal.then(() => this.removals.delete(removal));
        }
        old.segments = [];
      }
      const first = this.leaves.indexOf(leaves[0] as Leaf);
      assert(first >= 0, "rewritten leaves are in the router");
      const seqno = Math.max(...leaves.map((l) => l.seqno));
      for (const f of fresh) {
        f.recentWrites = (leaves[0] as Leaf).recentWrites / 2;
        f.seqno = seqno;
      }
      this.leaves.splice(first, leaves.length, ...fresh);
      // A split that found a single key (one huge document) cannot help: remember the new leaf's size, and
      // try again only once it has doubled — otherwise the same leaf would be rewritten forever.
      const only = fresh[0] as Leaf;
      if (split && fresh.length === 1) this.unsplittable.set(only, Math.max(1, only.dataBytes));
    });
    if (leaves.length > 1) this.counters.leafMerges++;
    else if (fresh.length > 1) this.counters.splits++;
    else this.counters.merges++;
    mark(
      leaves.length > 1
        ? "tree.leaf-merge"
        : fresh.length > 1
          ? `tree.${this.running ?? "split"}`
          : "tree.merge",
    );
  }

  /**
   * Appends one manifest edit replacing `removed` by `add` with the new floor, then runs `commit` (the
   * in-memory switch) and deletes WAL files wholly below the floor.
   * @throws on I/O errors (the caller's job fails and the engine stops writing).
   */
  private async publish(
    removed: Leaf[],
    add: LeafManifest[],
    commit: (() => void) | undefined,
  ): Promise<void> {
    const host = this.host as TreeHost;
    const log = this.manifestLog as ManifestLog;
    const floor = this.floorAfter(removed, add);
    assert(floor >= this.checkpointLsn, "the WAL floor never goes back");
    if (
      removed.length > 0 ||
      floor > this.checkpointLsn ||
      this.nextFileNumber > log.manifest.nextFileNumber
    ) {
      const edit: ManifestEdit = {
        checkpointLsn: floor,
        nextFileNumber: this.nextFileNumber,
        remove: removed.map((l) => toHex(l.low)),
        add,
      };
      try {
        await log.append(edit);
      } catch (err) {
        // The manifest on disk is now uncertain (old or new): stop writing; a reopen recovers from it.
        this.stopped = true;
        host.onBackgroundError(err);
        throw err;
      }
    }
    commit?.();
    this.checkpointLsn = floor;
    const obsolete = host.takeWalFilesBelow(floor);
    // No syncDir: a deleted WAL file that comes back after a crash lies wholly below the durable floor and
    // is removed again by the next open.
    for (const name of obsolete) await host.fs.remove(joinPath(host.dir, name));
    this.counters.walFilesDeleted += obsolete.length;
    if (obsolete.length > 0) mark("tree.wal-deleted", obsolete.length);
  }

  /**
   * The WAL floor once `removed` leaves are replaced by leaves flushed per `add`: one below the lowest LSN
   * still only in memory (frozen buffers of `removed` excluded: they are in the new segments), at most the
   * applied LSN, and never above the durable one (host.waitDurable ran for every frozen LSN).
   */
  private floorAfter(removed: Leaf[], add: LeafManifest[]): number {
    const host = this.host as TreeHost;
    let low = host.appliedLsn() + 1;
    for (const l of this.leaves) {
      const m = removed.includes(l) ? l.active.minLsn : l.minUnflushedLsn;
      if (m < low) low = m;
    }
    void add;
    return Math.max(this.checkpointLsn, low - 1);
  }

  private newFileName(): string {
    return segmentFileName(this.nextFileNumber++);
  }

  private async writeAndOpen(name: string, entries: Pair[]): Promise<SegmentReader> {
    const host = this.host as TreeHost;
    let written: SegmentWriteResult;
    try {
      written = await writeSegment(host.fs, host.dir, name, entries, {
        sliceBytes: this.options.sliceBytes,
        onSlice: this.onSlice,
      });
    } catch (err) {
      // Best effort: a leftover temp file is also removed by the next open.
      await host.fs.remove(joinPath(host.dir, `${name}.tmp`)).catch(() => undefined);
      throw err;
    }
    this.counters.segmentBytesWritten += written.bytes;
    const verify = this.options.ignoreChecksums !== true;
    return SegmentReader.open(host.fs, host.dir, name, this.cache, written, verify);
  }

  private async retireSegment(s: SegmentReader): Promise<void> {
    const host = this.host as TreeHost;
    try {
      await s.retire(() => host.fs.remove(joinPath(host.dir, s.name)));
    } catch {
      // An undeleted obsolete segment is an orphan: the next open removes it.
    }
  }

  // ---- scan routing ----

  /** The end of `leaf`'s range (the next leaf's low), found by binary search; undefined for the last. */
  private highOf(leaf: Leaf): KeyString | undefined {
    const i = this.indexAtOrAbove(leaf.low);
    return this.leaves[i] === leaf ? this.leaves[i + 1]?.low : undefined;
  }

  /** Index of the first leaf whose low is at or above `low` (binary search over fence keys). */
  private indexAtOrAbove(low: KeyString): number {
    let lo = 0;
    let hi = this.leaves.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.leaves[mid] as Leaf).low < low) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstLeafFor(range: KeyRange): Leaf {
    const from = range.gt ?? range.gte;
    return from === undefined ? (this.leaves[0] as Leaf) : this.leafFor(from);
  }

  private lastLeafFor(range: KeyRange): Leaf {
    const to = range.lt ?? range.lte;
    if (to === undefined) return this.leaves[this.leaves.length - 1] as Leaf;
    const leaf = this.leafFor(to);
    // With `lt`, a leaf starting exactly at the bound holds nothing in range.
    return range.lt !== undefined && leaf.low === to && to !== "" ? (this.leafBefore(to, {}) ?? leaf) : leaf;
  }

  /** The leaf holding `high` (the previous leaf's end), unless past the range's end. */
  private leafFrom(high: KeyString | undefined, range: KeyRange): Leaf | undefined {
    if (high === undefined) return undefined;
    if ((range.lt !== undefined && high >= range.lt) || (range.lte !== undefined && high > range.lte))
      return undefined;
    return this.leafFor(high);
  }

  /** The leaf holding the keys just below `low`, unless past the range's start. */
  private leafBefore(low: KeyString, range: KeyRange): Leaf | undefined {
    if (low === "") return undefined;
    if ((range.gt !== undefined && low <= range.gt) || (range.gte !== undefined && low <= range.gte))
      return undefined;
    return this.leaves[this.indexAtOrAbove(low) - 1];
  }
}

/** The leaf whose range holds `key`, in leaves sorted by low key (the router's binary search). */
export function leafOf(leaves: readonly Leaf[], key: KeyString): Leaf {
  let lo = 0;
  let hi = leaves.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((leaves[mid] as Leaf).low <= key) lo = mid + 1;
    else hi = mid;
  }
  return leaves[lo - 1] as Leaf;
}

/** `range` intersected with the leaf range [low, high). */
function clipRange(range: KeyRange, low: KeyString, high: KeyString | undefined): KeyRange {
  const out: KeyRange = {};
  const lower = range.gt ?? range.gte;
  if (lower === undefined || lower < low) {
    if (low !== "") out.gte = low;
  } else if (range.gt !== undefined) out.gt = range.gt;
  else out.gte = lower;
  const upper = range.lt ?? range.lte;
  if (high !== undefined && (upper === undefined || upper >= high)) out.lt = high;
  else if (range.lt !== undefined) out.lt = range.lt;
  else if (range.lte !== undefined) out.lte = range.lte;
  return out;
}

/**
 * Whether a leaf's segments are mostly tombstones spread over several segments: merging them keeps one
 * tombstone per key (tombstones themselves stay, so versions keep growing) and drops the older versions
 * under them.
 */
function tombstoneHeavy(leaf: Leaf): boolean {
  if (leaf.segments.length < 2) return false;
  let entries = 0;
  let tombstones = 0;
  for (const s of leaf.segments) {
    entries += s.entryCount;
    tombstones += s.tombstoneCount;
  }
  return tombstones * 2 > entries;
}

/** Index where the second half starts so both halves hold about the same bytes (0: cannot split). */
function middleByBytes(entries: Pair[]): number {
  if (entries.length < 2) return 0;
  let total = 0;
  for (const [k, e] of entries) total += k.length + (e.text?.length ?? 0) + 24;
  let acc = 0;
  for (let i = 0; i < entries.length; i++) {
    const [k, e] = entries[i] as Pair;
    acc += k.length + (e.text?.length ?? 0) + 24;
    if (acc * 2 >= total) return Math.min(Math.max(1, i + 1), entries.length - 1);
  }
  return entries.length - 1;
}

/** Hex of a key's bytes (the manifest's fence-key encoding). */
export function toHex(key: KeyString): string {
  return Buffer.from(key, "latin1").toString("hex");
}

/** A fence key from its hex encoding. */
export function fromHex(hex: string): KeyString {
  return Buffer.from(hex, "hex").toString("latin1") as KeyString;
}
