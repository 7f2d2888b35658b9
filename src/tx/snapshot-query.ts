/**
 * Index queries at a snapshot (`snapshot.query`, `tx.query`): the snapshot as a restartable view
 * (src/types/view.ts) over its reads (src/tx/snapshot-reads.ts), and the query of src/indexes/query-at.ts run
 * on it, with a transaction's own writes on top.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { type IndexQuery, indexQuery } from "../indexes/index-arguments.js";
import { scanEntryOf } from "../indexes/query.js";
import { indexAt, queryAt } from "../indexes/query-at.js";
import type { KeyRange } from "../tree/key-range.js";
import { NOT_IN_MEMORY } from "../tree/tree.js";
import { CachingView, NOT_NOW, type StateView } from "../types/view.js";
import type { ScanEntry } from "../types.js";
import type { SnapshotReads } from "./snapshot-reads.js";

export { scanEntryOf };

/**
 * The snapshot of `reads` as a view: every kind of key, as it was at the snapshot. What it reads is cached
 * (a snapshot never changes). Its reads throw SnapshotTooOldError, IoError, CorruptionError.
 */
export function snapshotView(reads: SnapshotReads): CachingView {
  return new CachingView({
    now: (k) => {
      const e = reads.entryNow(k);
      return e === NOT_IN_MEMORY ? NOT_NOW : e;
    },
    read: (k) => reads.entry(k),
    scan: (req) => reads.rawScan({ gte: req.gte, lt: req.lt }, req.limit, req.reverse),
  });
}

/**
 * A data-type read's answer that depends on a time above the durable clock floor waits until that time is
 * durable, as the database's reads do (src/types/runner.ts `dependsOnTime`): a key read live at the floor
 * with an expiry at or before `atMs`, or (`usedTime`: a TTL was answered) any expiry above the floor.
 */
export async function answerTimeOf(
  pipeline: { clockFloorMs(): number; answerTime(nowMs: number): Promise<unknown> },
  atMs: number,
  gets: ReadonlyMap<KeyString, Entry | undefined>,
  usedTime: boolean,
): Promise<void> {
  const floorMs = pipeline.clockFloorMs();
  if (atMs <= floorMs) return;
  for (const e of gets.values()) {
    const at = e?.value === undefined ? undefined : e.expiresAtMs;
    if (at !== undefined && at > floorMs && (usedTime || at <= atMs)) {
      await pipeline.answerTime(atMs);
      return;
    }
  }
}

/** The time of a snapshot's answers: its clock time, and the pipeline's durable clock floor. */
export interface SnapshotTime {
  readonly nowMs: number;
  clockFloorMs(): number;
  /** Makes `nowMs` durable (src/commit-pipeline.ts `answerTime`). */
  answerTime(): Promise<unknown>;
}

/**
 * Answers `q` at the snapshot `onSnapshot` runs on (a function of a view, rerun after each read), with
 * `own` (a transaction's writes) on top. Resolves with the documents and the index entries covered.
 * @throws InvalidArgumentError for a bad query; IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY
 *   (not ready at the snapshot); the snapshot's read errors.
 */
export async function queryAtSnapshot(
  q: IndexQuery,
  onSnapshot: <T>(fn: (view: StateView) => T) => Promise<T>,
  own: ReadonlyMap<KeyString, Entry>,
  time: SnapshotTime,
): Promise<{ entries: ScanEntry[]; covered: KeyRange }> {
  const { name, range, limit, reverse } = indexQuery(q);
  // Expiry decides which documents answer: make the snapshot's time durable first, as its scans do.
  if (time.nowMs > time.clockFloorMs()) await time.answerTime();
  const found = await onSnapshot((view) =>
    queryAt(view, own, indexAt(view, name), range, limit, reverse, time.nowMs),
  );
  return { entries: found.found.map(([k, e]) => scanEntryOf(k, e)), covered: found.covered };
}
