/**
 * The tree's scheduler (DESIGN.md, "Storage: scheduler"): chooses the next background job and paces the
 * writers, but never does the work itself (the jobs in jobs.ts do), as LevelDB's `VersionSet` picks a
 * compaction that `DBImpl` then runs. It keeps the statistics the choice needs: buffered bytes, the
 * decaying per-leaf write counts behind hot splits, the WAL growth behind continuous checkpoints, the
 * leaves a split could not help, and the writers' backpressure debt.
 *
 * Jobs, most urgent first (the order `pick` tries them in):
 * 1. split: a leaf holding more than `leafBytesMax` of live data, or hot (more than `hotWriteShare` of recent
 *    writes) and over half that size, is rewritten in one pass as as many leaves as make each about half
 *    the bound (at least two; a split also flushes and merges the leaf, so it goes first: until it splits,
 *    every merge of it costs more). Live data: the buffers plus each segment's `liveBytes`, so versions
 *    that replaced older ones in the leaf (an update-heavy leaf's flushes) do not make it split;
 * 2. merge, urgent: a leaf with more than twice `segmentsMax` segments is rewritten as one segment (a hard
 *    bound on read amplification);
 * 3. flush: a leaf's buffer is full (`leafBufferBytes`), or all buffers together pass half their budget
 *    (`bufferBytesMax`): the buffer becomes a new segment of that leaf;
 * 4. merge: a leaf with more than `segmentsMax` segments, or many tombstones, is rewritten as one segment
 *    (without its dead entries);
 * 5. continuous checkpoint: every `checkpointWalBytes / n` bytes of WAL (n leaves holding unflushed data),
 *    the leaf holding the oldest unflushed LSN is flushed, so the WAL above the floor stays near
 *    `checkpointWalBytes` (RocksDB `max_total_wal_size`);
 * 6. merge back: two neighbours together under a third of `leafBytesMax`, neither hot, become one leaf.
 */

import { mark } from "../util/coverage.js";
import type { Leaf } from "./leaf.js";
import type { Router } from "./router.js";
import type { TreeOptions } from "./tree.js";

/** Kinds of background job. */
export type JobKind = "flush" | "merge" | "split" | "hot-split" | "leaf-merge" | "checkpoint";

/** A job the scheduler chose: its kind and the leaves it rewrites (one, or two neighbours for a merge-back). */
export interface JobPlan {
  kind: Exclude<JobKind, "checkpoint">;
  leaves: Leaf[];
  /**
   * Bytes of entries per new leaf for a split (see {@link splitTargetBytes}); Infinity (one leaf) for
   * every other kind.
   */
  targetBytes: number;
}

/**
 * The piece size of a split of `liveBytes` of data: as many pieces as make each about half of
 * `leafBytesMax` (at least two), so the new leaves have room to grow before they split again, and one pass
 * over a leaf far over the bound splits it completely (issue 13, point 3; not repeated halving).
 */
export function splitTargetBytes(liveBytes: number, leafBytesMax: number): number {
  const pieces = Math.max(2, Math.round(liveBytes / (leafBytesMax / 2)));
  return Math.max(1, Math.ceil(liveBytes / pieces));
}

/** The scheduler's knobs: the tree's options that choose work (TreeOptions documents each). */
export type SchedulerOptions = Pick<
  TreeOptions,
  | "leafBufferBytes"
  | "bufferBytesMax"
  | "leafBytesMax"
  | "segmentsMax"
  | "hotWriteShare"
  | "checkpointWalBytes"
>;

/** Writes between halvings of the leaves' recent-write counters. */
export const DECAY_WRITES = 256;

/** What the scheduler learned from one pass over the leaves. */
interface Survey {
  /** The leaf with the largest active buffer, if any buffer holds data. */
  fullest: Leaf | undefined;
  /** The leaf holding the oldest unflushed LSN. */
  oldest: Leaf | undefined;
  /** Recent writes over all leaves. */
  recent: number;
}

/** Chooses background work and paces writers; see the file comment. */
export class Scheduler {
  /** Bytes in all buffers: kept up to date by `noteWrite`, recomputed by every `pick`. */
  private bufferedBytes = 0;
  private writesSinceDecay = 0;
  /** WAL bytes written when the last continuous-checkpoint flush was chosen. */
  private walBytesAtPressure: number;
  /** WAL growth that calls for a continuous-checkpoint flush: `checkpointWalBytes` over the leaves with data. */
  private pressureBytes: number;
  /** Backpressure owed by writers, in slices (deterministic, see `backpressure`). */
  private debt = 0;
  private sliceWaiters: (() => void)[] = [];
  /** Leaves whose content was a single key (a split cannot help), with their size then: retried at 2x. */
  private readonly unsplittable = new WeakMap<Leaf, number>();
  /** Writes that waited for a background slice. */
  throttledWrites = 0;

  constructor(
    private readonly router: Router,
    private readonly options: SchedulerOptions,
    /** WAL bytes written so far (0 forever in memory mode). */
    private readonly walBytesWritten: () => number,
  ) {
    this.pressureBytes = options.checkpointWalBytes;
    this.walBytesAtPressure = walBytesWritten();
    for (const l of router.leaves) this.bufferedBytes += l.bufferedBytes;
  }

  /**
   * Accounts one write that changed `leaf`'s active buffer by `deltaBytes`, and decays the write counters
   * every {@link DECAY_WRITES} writes. Returns whether a job may now be due (the cheap test; `pick` decides).
   */
  noteWrite(leaf: Leaf, deltaBytes: number): boolean {
    this.bufferedBytes += deltaBytes;
    leaf.recentWrites++;
    if (++this.writesSinceDecay >= DECAY_WRITES) {
      this.writesSinceDecay = 0;
      for (const l of this.router.leaves) l.recentWrites /= 2;
    }
    if (leaf.active.sizeBytes >= this.options.leafBufferBytes) return true;
    if (this.bufferedBytes * 2 >= this.options.bufferBytesMax) return true;
    if (this.walBytesWritten() - this.walBytesAtPressure >= this.pressureBytes) return true;
    return this.writesSinceDecay === 0;
  }

  /** The most urgent job, or undefined (the order is the file comment's). O(leaves). */
  pick(): JobPlan | undefined {
    const o = this.options;
    const { fullest, oldest, recent } = this.survey();
    // A leaf past its size bound splits first: the split also flushes and merges it, and until it splits
    // every merge of it costs more than the bound.
    const big = this.splitDue(false, recent);
    if (big) return this.split("split", big);
    const hot = this.splitDue(true, recent);
    if (hot) return this.split("hot-split", hot);
    // Read amplification has a hard bound: twice segmentsMax goes before any flush.
    for (const l of this.router.leaves) {
      if (l.segments.length > 2 * o.segmentsMax) return one("merge", l);
    }
    if (fullest !== undefined) {
      const full = fullest.active.sizeBytes >= o.leafBufferBytes;
      if (full || this.bufferedBytes * 2 >= o.bufferBytesMax) return one("flush", fullest);
    }
    for (const l of this.router.leaves) {
      if (l.segments.length > o.segmentsMax || tombstoneHeavy(l)) return one("merge", l);
    }
    if (oldest !== undefined && this.walBytesWritten() - this.walBytesAtPressure >= this.pressureBytes) {
      this.walBytesAtPressure = this.walBytesWritten();
      return one("flush", oldest);
    }
    return this.mergeBackDue(recent);
  }

  /** Records that a split of `leaf` found a single key: it is tried again only once its size has doubled. */
  noteUnsplittable(leaf: Leaf): void {
    this.unsplittable.set(leaf, Math.max(1, leaf.liveBytes));
  }

  /** A split of `leaf` into pieces of about half the bound, by its live bytes. */
  private split(kind: "split" | "hot-split", leaf: Leaf): JobPlan {
    return { kind, leaves: [leaf], targetBytes: splitTargetBytes(leaf.liveBytes, this.options.leafBytesMax) };
  }

  /**
   * Gradual backpressure: when the buffers hold more than half their budget, a writer waits for one slice
   * of background work with a probability that grows linearly to 1 at the full budget (kept as a
   * deterministic debt, not a random draw). Never waits when no background work runs (`busy` false).
   */
  backpressure(busy: boolean): Promise<void> | undefined {
    const half = this.options.bufferBytesMax / 2;
    if (this.bufferedBytes <= half) return undefined;
    if (!busy) return undefined;
    this.debt += Math.min(1, (this.bufferedBytes - half) / half);
    if (this.debt < 1) return undefined;
    this.debt -= 1;
    this.throttledWrites++;
    mark("tree.backpressure");
    return new Promise((resolve) => this.sliceWaiters.push(resolve));
  }

  /** Lets every writer waiting for a slice go (after each slice, and when a job ends). */
  releaseSliceWaiters(): void {
    const waiters = this.sliceWaiters;
    this.sliceWaiters = [];
    for (const w of waiters) w();
  }

  /** Buffered bytes, fullest and oldest leaf, and recent writes; refreshes the WAL pressure bound. */
  private survey(): Survey {
    let fullest: Leaf | undefined;
    let oldest: Leaf | undefined;
    let unflushedLeaves = 0;
    let total = 0;
    let recent = 0;
    for (const l of this.router.leaves) {
      recent += l.recentWrites;
      total += l.bufferedBytes;
      if (l.active.size === 0) continue;
      unflushedLeaves++;
      if (fullest === undefined || l.active.sizeBytes > fullest.active.sizeBytes) fullest = l;
      if (oldest === undefined || l.minUnflushedLsn < oldest.minUnflushedLsn) oldest = l;
    }
    this.bufferedBytes = total;
    const perLeaf = Math.floor(this.options.checkpointWalBytes / Math.max(1, unflushedLeaves));
    this.pressureBytes = Math.max(1, perLeaf);
    return { fullest, oldest, recent };
  }

  /**
   * The first leaf due for a split (over the bound; with `hotOnly`, hot and over half of it), by live bytes:
   * versions that replaced older ones in the same leaf do not make it split.
   */
  private splitDue(hotOnly: boolean, recent: number): Leaf | undefined {
    const bound = this.options.leafBytesMax;
    return this.router.leaves.find((l) => {
      const size = l.liveBytes;
      const due = hotOnly ? this.isHot(l, recent) && size * 2 > bound : size > bound;
      if (!due) return false;
      const stuck = this.unsplittable.get(l);
      return stuck === undefined || size > stuck * 2;
    });
  }

  /** Two neighbours together under a third of the bound, neither hot (pieces of a split never qualify). */
  private mergeBackDue(recent: number): JobPlan | undefined {
    const leaves = this.router.leaves;
    // Bounded by the leaves.
    for (let i = 1; i < leaves.length; i++) {
      const a = leaves[i - 1];
      const b = leaves[i];
      if (a === undefined || b === undefined) continue;
      // A third of the bound: pieces of a split (about half the bound each, a short last piece joined to the
      // one before it) never merge straight back.
      if ((a.liveBytes + b.liveBytes) * 3 >= this.options.leafBytesMax) continue;
      if (this.isHot(a, recent)) continue;
      if (this.isHot(b, recent)) continue;
      return { kind: "leaf-merge", leaves: [a, b], targetBytes: Number.POSITIVE_INFINITY };
    }
    return undefined;
  }

  private isHot(leaf: Leaf, recent: number): boolean {
    return recent >= DECAY_WRITES / 2 && leaf.recentWrites > recent * this.options.hotWriteShare;
  }
}

/** A job over one leaf that writes one leaf (a flush or a merge). */
function one(kind: "flush" | "merge", leaf: Leaf): JobPlan {
  return { kind, leaves: [leaf], targetBytes: Number.POSITIVE_INFINITY };
}

/**
 * Whether a leaf's segments hold many tombstones (more than a quarter of their entries) spread over several
 * segments: merging them drops every tombstone (the dead-version floor keeps versions growing without them,
 * src/doc/version-floor.ts) and the older versions under them, so the leaf shrinks by at least that quarter
 * and scans stop stepping over them. (Tombstones a format 2 engine wrote are kept; with one segment left the
 * leaf is not chosen again.)
 */
function tombstoneHeavy(leaf: Leaf): boolean {
  if (leaf.segments.length < 2) return false;
  let entries = 0;
  let tombstones = 0;
  for (const s of leaf.segments) {
    entries += s.entryCount;
    tombstones += s.tombstoneCount;
  }
  return tombstones * 4 > entries;
}
