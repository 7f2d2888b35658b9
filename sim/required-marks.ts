/**
 * The coverage marks (src/util/coverage.ts) the simulator's CI campaigns must hit: what proves that the
 * paths a campaign claims to test were taken. test/sim-coverage.test.ts and test/sim-tree-coverage.test.ts
 * require them; `fusedb sim` reports the required ones never hit. docs/fault-model.md says what each means.
 */
import { TYPED_MIX } from "./typed-ops.js";

/**
 * The marks a fault-injecting CI campaign must hit at least once each: the engine's reactions to faults
 * and the fault classes the simulator injects. docs/fault-model.md lists what each one means.
 */
export const REQUIRED_MARKS: readonly string[] = [
  // Engine: recovery paths and fault reactions.
  "wal.torn-tail-cut",
  "corruption.detected",
  "corruption.wal",
  "corruption.segment",
  "corruption.manifest",
  "segment.checksum-mismatch",
  "poison.fsync.EIO",
  "poison.write.EIO",
  "poison.write.ENOSPC",
  // Simulator: injected fault classes.
  "fault.write-eio",
  "fault.write-enospc",
  "fault.short-write",
  "fault.fsync-eio",
  "fault.read-eio",
  "fault.bit-flip",
  "fault.bit-rot",
  "fault.misdirected-write",
  "fault.rot-probe",
  "fault.crash-torn-write",
  "fault.crash-dropped-write",
  "fault.crash-junk-sector",
];

/**
 * The leaf tree's paths (issue 5) a toy-knob CI campaign must take at least once each: flush, merge and
 * split jobs, manifest edits and rewrites, WAL deletion, backpressure, tombstones and expired documents
 * collected (issue 12 item 12: the dead-version floor keeps versions growing), recovery skipping flushed
 * records and ignoring a torn manifest edit, and a crash inside each kind of job. (Hot splits and merge-backs need
 * skewed or shrinking data; test/tree.test.ts drives them.)
 */
export const TREE_MARKS: readonly string[] = [
  "tree.flush",
  "tree.merge",
  "tree.split",
  "tree.wal-deleted",
  "tree.backpressure",
  "tree.tombstone-collected",
  "manifest.edit",
  "manifest.rewrite",
  "recovery.replay-skipped-flushed",
  "recovery.manifest-torn-edit",
  "crash.during.flush",
  "crash.during.merge",
  "crash.during.split",
];

/**
 * Rare fault sequences (issue 12; sim/campaign-sequences.ts) a CI campaign must reach in at least
 * {@link SEQUENCE_SEEDS_MIN} seeds each, so the recovery code written for them runs in CI: a restart after a
 * poisoned write followed by a power loss, and a failed directory fsync followed by a crash.
 */
export const SEQUENCE_MARKS: readonly string[] = [
  "campaign.poison-restart-power-loss",
  "campaign.dir-fsync-eio-crash",
];

/**
 * The data types' paths (issue 14) a CI campaign must take at least once each: each type's writes, a
 * change of many elements in one record, the O(1) delete and expiry of a whole collection (by a document
 * delete or expire, or by a data-type call: a store over it, the last member removed, DEL, RENAME over it),
 * per collection type, background merges dropping the elements of dead generations of each collection
 * type, a crash among writes of many elements (of lists and sorted sets among them), a crash inside a merge
 * that was dropping dead elements, and a random choice (SPOP) resolved by the engine's answer. Plus
 * {@link TYPED_COMMAND_MARKS}. test/sim-coverage.test.ts requires them.
 */
export const TYPES_MARKS: readonly string[] = [
  "types.string.write",
  "types.hash.write",
  "types.list.write",
  "types.set.write",
  "types.zset.write",
  "types.multi-element-change",
  "types.delete-collection",
  "types.expire-collection",
  "types.delete-generation",
  "types.hash.delete-generation",
  "types.list.delete-generation",
  "types.set.delete-generation",
  "types.zset.delete-generation",
  "types.dead-elements-dropped",
  "types.hash.dead-elements-dropped",
  "types.list.dead-elements-dropped",
  "types.set.dead-elements-dropped",
  "types.zset.dead-elements-dropped",
  "crash.during.multi-element-write",
  "crash.during.multi-element-write.list",
  "crash.during.multi-element-write.zset",
  "crash.during.dead-element-drop",
  "oracle.choice-replayed",
];

/**
 * One mark per data-type command the campaigns draw (sim/typed-oracle.ts marks `typed.<command>` when the
 * oracle checks one of its answers): every command of every type was run and judged at least once.
 */
export const TYPED_COMMAND_MARKS: readonly string[] = Object.keys(TYPED_MIX).map((cmd) => `typed.${cmd}`);

/** Seeds of a CI campaign (`cov-0..299`) that must reach each {@link SEQUENCE_MARKS} entry. */
export const SEQUENCE_SEEDS_MIN = 5;

/**
 * The transaction, snapshot and index paths (issue 16) the campaigns with transactions
 * (test/sim-tx-campaign.test.ts) must take at least once each: commits under both isolations checked by the
 * oracle, conflicts and retries (and retries running out), savepoints rolled back to and released,
 * transfers, read-only serializable commits, snapshot readers reading after later writes, the epoch's
 * history checked with Adya's graph, indexes created (unique too) and dropped, queries judged, a unique
 * index's refusal explained by the model, every index compared with its recomputation after recoveries,
 * and crashes inside transaction commits and inside index builds.
 */
export const TX_MARKS: readonly string[] = [
  "txsim.committed.snapshot",
  "txsim.committed.serializable",
  "txsim.commit-checked.snapshot",
  "txsim.commit-checked.serializable",
  "txsim.conflict",
  "txsim.retry",
  "txsim.retries-exhausted",
  "txsim.rollback-to",
  "txsim.release",
  "txsim.transfer",
  "txsim.read-only-serializable",
  "txsim.snapshot-reads-checked",
  "txsim.snapshot-read-after-write",
  "txsim.history-checked",
  "txsim.index-create",
  "txsim.index-create-unique",
  "txsim.index-drop",
  "txsim.query-checked",
  "txsim.unique-refused",
  "txsim.index-checked-after-recovery",
  "crash.during.tx-commit",
  "crash.during.index-build",
];
