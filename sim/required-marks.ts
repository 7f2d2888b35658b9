/**
 * The coverage marks (src/util/coverage.ts) the simulator's CI campaigns must hit: what proves that the
 * paths a campaign claims to test were taken. test/sim-coverage.test.ts and test/sim-tree-coverage.test.ts
 * require them; `fusedb sim` reports the required ones never hit. docs/fault-model.md says what each means.
 */

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
 * split jobs, manifest edits and rewrites, WAL deletion, backpressure, recovery skipping flushed records and
 * ignoring a torn manifest edit, and a crash inside each kind of job. (Hot splits and merge-backs need
 * skewed or shrinking data; test/tree.test.ts drives them.)
 */
export const TREE_MARKS: readonly string[] = [
  "tree.flush",
  "tree.merge",
  "tree.split",
  "tree.wal-deleted",
  "tree.backpressure",
  "manifest.edit",
  "manifest.rewrite",
  "recovery.replay-skipped-flushed",
  "recovery.manifest-torn-edit",
  "crash.during.flush",
  "crash.during.merge",
  "crash.during.split",
];
