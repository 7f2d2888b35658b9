/**
 * The tree's background jobs (DESIGN.md, "Storage"; docs/segment-format.md, "Background jobs"): flush a
 * leaf's buffer into a new segment; rewrite leaves in one streaming pass (rewrite.ts) — merge one leaf's
 * segments into one, split a leaf into as many leaves as its live bytes need, merge two neighbours back
 * into one — and checkpoint (flush every leaf).
 * The scheduler (scheduler.ts) chooses them; the tree runs one at a time. Every job's cost is bounded by the
 * leaf size bound, and every job publishes its result with one manifest edit (publisher.ts).
 *
 * Each job: take `lsn` = the applied LSN, freeze the leaves' active buffers, wait until the WAL is durable
 * up to `lsn`, write the new segments, publish, and switch in one synchronous step. On a failure before the
 * edit the frozen buffers thaw back and nothing changed.
 *
 * Idea: FuseDB's design; flush/merge bounded per range as in Bigtable tablets and Pebble's L0 sublevels.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { mark } from "../util/coverage.js";
import { expireAt, Leaf } from "./leaf.js";
import type { LeafManifest } from "./manifest.js";
import { fenceKeyToHex } from "./manifest-key.js";
import type { Publisher } from "./publisher.js";
import { JOB_READ_BYTES, type Output, type RewriteSink, rewriteInto } from "./rewrite.js";
import { leafOf, type Router } from "./router.js";
import type { JobPlan } from "./scheduler.js";
import type { SegmentReader } from "./segment-reader.js";
import type { TreeHost } from "./tree-host.js";

type Pair = [KeyString, Entry];

/** What a rewrite does: merge one leaf, split one (`split`, `hot-split`), or merge two back (`leaf-merge`). */
export type RewriteKind = Exclude<JobPlan["kind"], "flush">;

/** How a job paces itself: it lets the event loop run between bounded slices of its work. */
export interface JobPacing {
  /** Bytes of merged entries a rewrite handles between two `onSlice` calls. */
  sliceBytes: number;
  /** Awaited between slices: releases writers waiting for a slice and yields to the event loop. */
  onSlice: () => Promise<void>;
}

/** Keys of a flushed buffer sampled for its estimate of bytes new to the leaf (a bound on the probes). */
const LIVE_SAMPLES_MAX = 256;

/** Counters of jobs done. */
export interface JobCounters {
  flushes: number;
  merges: number;
  splits: number;
  leafMerges: number;
}

/** The jobs of one durable tree. */
export class TreeJobs {
  readonly counters: JobCounters = { flushes: 0, merges: 0, splits: 0, leafMerges: 0 };

  constructor(
    private readonly host: TreeHost,
    private readonly router: Router,
    private readonly publisher: Publisher,
    private readonly pacing: JobPacing,
    /** A split wrote one leaf: the scheduler retries that leaf only once it has doubled. */
    private readonly onUnsplittable: (leaf: Leaf) => void,
  ) {}

  /** Runs a job the scheduler chose. */
  run(plan: JobPlan): Promise<void> {
    if (plan.kind === "flush") {
      const leaf = plan.leaves[0];
      assert(leaf !== undefined, "a flush names its leaf");
      assert(plan.leaves.length === 1, "a flush names one leaf");
      return this.flush(leaf);
    }
    return this.rewrite(plan.leaves, plan.kind, plan.targetBytes);
  }

  /**
   * Flushes every leaf holding buffered data, then publishes the floor. With no writes meanwhile the floor
   * is then the last applied LSN. Resolves with the floor.
   */
  async checkpoint(): Promise<number> {
    // Bounded: each pass flushes a distinct leaf present at the start.
    for (const leaf of [...this.router.leaves]) {
      if (!leaf.retired && leaf.active.size > 0) await this.flush(leaf);
    }
    await this.publisher.publish([], [], [], undefined);
    return this.publisher.checkpointLsn;
  }

  /**
   * Writes `leaf`'s buffer as its newest segment. A leaf with no segment yet holds nothing older than its
   * buffer, so its dead entries are collected (and if nothing else is left, no segment is written).
   */
  private async flush(leaf: Leaf): Promise<void> {
    if (leaf.retired || leaf.active.size === 0) return;
    const lsn = this.host.appliedLsn();
    const frozen = leaf.freeze();
    let reader: SegmentReader | undefined;
    try {
      await this.host.waitDurable(lsn);
      const horizon = this.host.expiryHorizonMs();
      const pairs = frozen.sorted();
      let entries = pairs.map((p) => expireAt(p, horizon));
      if (leaf.segments.length === 0) entries = this.collectDead(entries);
      reader = entries.length === 0 ? undefined : await this.publisher.writeSegment(entries);
      if (reader !== undefined) {
        const share = newShare(pairs, leaf.segments);
        reader.liveBytes = Math.round(reader.dataBytes * share);
        leaf.bufferNewShare = share;
      }
    } catch (err) {
      leaf.thaw();
      throw err;
    }
    const created = reader === undefined ? [] : [reader];
    const add: LeafManifest = {
      low: fenceKeyToHex(leaf.low),
      flushedLsn: lsn,
      segments: [...created, ...leaf.segments].map((s) => s.name),
    };
    await this.publisher.publish([leaf], [add], created, () => {
      leaf.segments = [...created, ...leaf.segments];
      leaf.frozen = undefined;
      leaf.flushedLsn = lsn;
    });
    this.counters.flushes++;
    mark("tree.flush");
  }

  /**
   * Rewrites adjacent `leaves` (their frozen buffers and all segments) in one pass (rewrite.ts): as one leaf,
   * or for a split as pieces of about `targetBytes`. Writes arriving meanwhile stay in the active buffers
   * and move to the new leaves. Bounded by the leaves' size; yields between slices.
   */
  private async rewrite(leaves: Leaf[], kind: RewriteKind, targetBytes: number): Promise<void> {
    const first = leaves[0];
    assert(first !== undefined, "a rewrite names its leaves");
    if (leaves.some((l) => l.retired)) return;
    const lsn = this.host.appliedLsn();
    for (const l of leaves) l.freeze();
    const outputs: Output[] = [];
    const split = kind === "split" || kind === "hot-split";
    try {
      await this.host.waitDurable(lsn);
      const publisher = this.publisher;
      const horizonMs = this.host.expiryHorizonMs();
      const sink: RewriteSink = {
        low: first.low,
        targetBytes: split ? targetBytes : Number.POSITIVE_INFINITY,
        horizonMs,
        isDead: this.host.deadElements?.(lsn, horizonMs),
        // The rewrite covers every version of its keys older than the active buffers: dead ones can go.
        legacyLsn: publisher.legacyLsn,
        sliceBytes: this.pacing.sliceBytes,
        onSlice: this.pacing.onSlice,
        create: () => publisher.createSegment(),
        finish: (stream) => publisher.finishSegment(stream),
        discard: (stream) => publisher.discardSegment(stream),
      };
      await rewriteInto(
        leaves.flatMap((l) => l.rewriteSources(JOB_READ_BYTES)),
        sink,
        outputs,
      );
    } catch (err) {
      for (const o of outputs) await o.reader?.release();
      for (const l of leaves) l.thaw();
      throw err;
    }
    const add: LeafManifest[] = outputs.map((o) => ({
      low: fenceKeyToHex(o.low),
      flushedLsn: lsn,
      segments: o.reader ? [o.reader.name] : [],
    }));
    const fresh = outputs.map((o) => new Leaf(o.low, o.reader ? [o.reader] : [], lsn));
    const created = outputs.flatMap((o) => (o.reader ? [o.reader] : []));
    await this.publisher.publish(leaves, add, created, () => this.switchTo(leaves, fresh, split));
    if (leaves.length > 1) {
      this.counters.leafMerges++;
      mark("tree.leaf-merge");
    } else if (fresh.length > 1) {
      this.counters.splits++;
      mark(`tree.${kind}`);
    } else {
      this.counters.merges++;
      mark("tree.merge");
    }
  }

  /**
   * `entries` without their dead ones (tombstones, including expired documents already turned into
   * tombstones), for a job whose content holds every version of its keys older than the active buffers.
   * Safe because a dead entry's version is at most its bucket's dead-version floor (src/doc/version-floor.ts):
   * the key's next version is the same with or without it. Entries at or below the manifest's legacy LSN
   * (written before the floor existed) are kept.
   */
  private collectDead(entries: Pair[]): Pair[] {
    const legacyLsn = this.publisher.legacyLsn;
    // `text`, not `value`: reading `value` would parse a lazily decoded document.
    const kept = entries.filter(([, e]) => e.text !== undefined || e.lsn <= legacyLsn);
    const collected = entries.length - kept.length;
    if (collected > 0) mark("tree.tombstone-collected", collected);
    return kept;
  }

  /** The synchronous switch of a rewrite: writes since the freeze move to `fresh`, which replaces `old`. */
  private switchTo(old: Leaf[], fresh: Leaf[], split: boolean): void {
    const first = old[0];
    assert(first !== undefined, "a rewrite names its leaves");
    for (const leaf of old) {
      for (const [key, entry] of leaf.active.sorted()) leafOf(fresh, key).active.set(key, entry);
      leaf.retired = true;
      leaf.frozen = undefined;
      this.publisher.retire(leaf.segments);
      leaf.segments = [];
    }
    const seqno = Math.max(...old.map((l) => l.seqno));
    // The old leaves' recent writes, shared evenly: a merge keeps its leaf's rate (halving it on every
    // merge hid a hot leaf from the scheduler), a split's pieces share it.
    let writes = 0;
    for (const l of old) writes += l.recentWrites;
    for (const f of fresh) {
      f.recentWrites = writes / fresh.length;
      f.seqno = seqno;
    }
    this.router.replace(old, fresh);
    // A split that wrote one leaf (a single huge document, or less live data than the leaf's estimate)
    // cannot help yet: remember the new leaf's size, and try again only once it has doubled — otherwise the
    // same leaf would be rewritten forever.
    const only = fresh[0];
    if (split && fresh.length === 1 && only !== undefined) {
      mark("tree.unsplittable");
      this.onUnsplittable(only);
    }
  }
}

/**
 * The share (0..1) of a flushed buffer's bytes whose keys no older segment of the leaf holds (by their
 * bloom filters, on an evenly spaced sample of at most {@link LIVE_SAMPLES_MAX} keys): the part of the new
 * segment that adds to the leaf's live data rather than replacing versions already in it. Bloom false
 * positives (about 1%) count a new key as a replacement.
 */
function newShare(pairs: readonly Pair[], older: readonly SegmentReader[]): number {
  if (older.length === 0 || pairs.length === 0) return 1;
  const step = Math.max(1, Math.floor(pairs.length / LIVE_SAMPLES_MAX));
  let all = 0;
  let fresh = 0;
  // Bounded by LIVE_SAMPLES_MAX samples (plus one) times the older segments.
  for (let i = 0; i < pairs.length; i += step) {
    const pair = pairs[i];
    assert(pair !== undefined, "a sample index lies inside the pairs");
    const [key, entry] = pair;
    const bytes = key.length + (entry.text?.length ?? 0) + 24;
    all += bytes;
    if (!older.some((s) => s.mayContain(key))) fresh += bytes;
  }
  return all === 0 ? 1 : fresh / all;
}
