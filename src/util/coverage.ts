/**
 * Coverage marks: named counters the engine bumps on its recovery paths and fault reactions, and the
 * simulator bumps for each fault class it injects, so a campaign can prove that every path it claims to test
 * was actually taken (TigerBeetle's `testing/marks.zig`; SQLite's `testcase()` macro). Deterministic: no
 * wall time, no randomness, just a module-level map of counts.
 *
 * The counters are process-wide. A campaign reads them as the difference of two {@link snapshot}s, so
 * campaigns run one after another attribute each mark to the right run; campaigns interleaved in one
 * process would share their counts.
 */

/** Every mark's count since the process started (or the last {@link reset}). */
const counts = new Map<string, number>();

/**
 * Counts `times` (default one) passages through the path called `name` (kebab-case, dotted by layer:
 * `wal.torn-tail-cut`).
 */
export function mark(name: string, times = 1): void {
  counts.set(name, (counts.get(name) ?? 0) + times);
}

/** A copy of every count, names sorted. */
export function snapshot(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...counts.keys()].sort()) out[name] = counts.get(name) as number;
  return out;
}

/** Counts now minus those in `before` (a {@link snapshot}), omitting marks that did not move. */
export function marksSince(before: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(snapshot())) {
    const delta = n - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

/** Forgets every count (tests only). */
export function reset(): void {
  counts.clear();
}

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
