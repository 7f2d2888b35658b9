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
