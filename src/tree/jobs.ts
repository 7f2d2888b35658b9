/**
 * The tree's background jobs (DESIGN.md, "Storage"; docs/segment-format.md, "Background jobs"): flush a
 * leaf's buffer into a new segment; rewrite leaves — merge one leaf's segments into one, split a leaf in
 * two at its middle key by bytes, merge two neighbours back into one — and checkpoint (flush every leaf).
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
import { leafOf, type Router } from "./router.js";
import type { JobPlan } from "./scheduler.js";
import type { SegmentReader } from "./segment-reader.js";
import type { TreeHost } from "./tree-host.js";

type Pair = [KeyString, Entry];

/** What a rewrite does: merge one leaf, split one (`split`, `hot-split`), or merge two back (`leaf-merge`). */
export type RewriteKind = Exclude<JobPlan["kind"], "flush">;

/** One leaf a rewrite produces: its fence key and its one segment (none if it holds no entries). */
interface Output {
  low: KeyString;
  reader: SegmentReader | undefined;
}

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
    /** A split found a single key: the scheduler retries that leaf only once it has doubled. */
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
    return this.rewrite(plan.leaves, plan.kind);
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
      let entries = frozen.sorted().map((p) => expireAt(p, horizon));
      if (leaf.segments.length === 0) entries = this.collectDead(entries);
      reader = entries.length === 0 ? undefined : await this.publisher.writeSegment(entries);
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
   * Rewrites adjacent `leaves` (their frozen buffers and all segments) as one leaf, or for a split as two
   * leaves at the middle key by bytes. Writes arriving meanwhile stay in the active buffers and move to the
   * new leaves. Bounded by the leaves' size.
   */
  private async rewrite(leaves: Leaf[], kind: RewriteKind): Promise<void> {
    const first = leaves[0];
    assert(first !== undefined, "a rewrite names its leaves");
    if (leaves.some((l) => l.retired)) return;
    const lsn = this.host.appliedLsn();
    for (const l of leaves) l.freeze();
    const outputs: Output[] = [];
    try {
      await this.host.waitDurable(lsn);
      const horizon = this.host.expiryHorizonMs();
      const content: Pair[] = [];
      for (const l of leaves) for (const p of await l.frozenContent(horizon)) content.push(p);
      // The rewrite covers every version of its keys older than the active buffers: dead ones can go.
      const live = this.collectDead(content);
      for (const part of splitParts(first.low, live, kind === "split" || kind === "hot-split")) {
        const reader =
          part.entries.length === 0 ? undefined : await this.publisher.writeSegment(part.entries);
        outputs.push({ low: part.low, reader });
      }
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
    await this.publisher.publish(leaves, add, created, () => this.switchTo(leaves, fresh, kind));
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
    const kept = entries.filter(([, e]) => e.value !== undefined || e.lsn <= legacyLsn);
    const collected = entries.length - kept.length;
    if (collected > 0) mark("tree.tombstone-collected", collected);
    return kept;
  }

  /** The synchronous switch of a rewrite: writes since the freeze move to `fresh`, which replaces `old`. */
  private switchTo(old: Leaf[], fresh: Leaf[], kind: RewriteKind): void {
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
    for (const f of fresh) {
      f.recentWrites = first.recentWrites / 2;
      f.seqno = seqno;
    }
    this.router.replace(old, fresh);
    // A split that found a single key (one huge document) cannot help: remember the new leaf's size, and
    // try again only once it has doubled — otherwise the same leaf would be rewritten forever.
    const only = fresh[0];
    const split = kind === "split" || kind === "hot-split";
    if (split && fresh.length === 1 && only !== undefined) this.onUnsplittable(only);
  }
}

/**
 * The leaves a rewrite of `content` (the leaves' whole content, ascending) produces: one from `low`, or
 * with `split` two halves at the middle key by bytes (one, marked, if the content is a single key).
 */
function splitParts(low: KeyString, content: Pair[], split: boolean): { low: KeyString; entries: Pair[] }[] {
  if (!split) return [{ low, entries: content }];
  const at = middleByBytes(content);
  const second = content[at];
  if (at === 0 || second === undefined) {
    mark("tree.unsplittable");
    return [{ low, entries: content }];
  }
  return [
    { low, entries: content.slice(0, at) },
    { low: second[0], entries: content.slice(at) },
  ];
}

/** Index where the second half starts so both halves hold about the same bytes (0: cannot split). */
function middleByBytes(entries: Pair[]): number {
  if (entries.length < 2) return 0;
  let total = 0;
  for (const [k, e] of entries) total += k.length + (e.text?.length ?? 0) + 24;
  let acc = 0;
  let taken = 0;
  // Bounded by the entries.
  for (const [k, e] of entries) {
    acc += k.length + (e.text?.length ?? 0) + 24;
    taken++;
    if (acc * 2 >= total) return Math.min(Math.max(1, taken), entries.length - 1);
  }
  return entries.length - 1;
}
