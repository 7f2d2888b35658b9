/**
 * What one simulated disk instance has done, for tests and reports.
 *
 * Invariant: a call's counter moves only when the call completes successfully (`failures` when it completes
 * with an error), never at issue, so calls a crash cuts short count nothing; `crashes` moves at `crash()` and
 * is carried from an instance to the one its `crash()` returns.
 */

/**
 * What one instance has done, counted at successful completion. Byte counts are in bytes. `crashes` counts
 * power losses in this disk's lineage: the instance `crash()` returns starts with the crashed one's count.
 */
export interface SimDiskCounters {
  opens: number;
  closes: number;
  reads: number;
  bytesRead: number;
  writes: number;
  bytesWritten: number;
  truncates: number;
  syncs: number;
  dirSyncs: number;
  renames: number;
  removes: number;
  mkdirs: number;
  lists: number;
  locks: number;
  /** Calls that completed with an error (crashed-instance rejections excluded). */
  failures: number;
  crashes: number;
}

/** All counters at zero. */
export function zeroCounters(): SimDiskCounters {
  return {
    opens: 0,
    closes: 0,
    reads: 0,
    bytesRead: 0,
    writes: 0,
    bytesWritten: 0,
    truncates: 0,
    syncs: 0,
    dirSyncs: 0,
    renames: 0,
    removes: 0,
    mkdirs: 0,
    lists: 0,
    locks: 0,
    failures: 0,
    crashes: 0,
  };
}
