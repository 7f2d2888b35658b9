/**
 * How long simulated I/O takes, in virtual milliseconds. Each call draws a uniform integer from its class's
 * inclusive range on the disk's PRNG stream, so concurrent calls complete in a seed-dependent order
 * (FoundationDB sim2 delays every disk completion by a random amount for the same reason).
 */

/** An inclusive [min, max] range of virtual milliseconds; both integers, `0 <= min <= max`. */
export type LatencyRangeMs = readonly [number, number];

/** Latency per class of call. */
export interface LatencyProfile {
  /** `File.read`, `File.size`. */
  readonly readMs: LatencyRangeMs;
  /** `File.write`, `File.truncate`. */
  readonly writeMs: LatencyRangeMs;
  /** `File.sync`, `FileSystem.syncDir`. */
  readonly syncMs: LatencyRangeMs;
  /** Everything else: open, close, list, exists, rename, remove, mkdir, lock, release. */
  readonly metaMs: LatencyRangeMs;
}

/** Small ranges: enough to reorder concurrent calls without stretching virtual time. */
export const LATENCY_DEFAULT: LatencyProfile = {
  readMs: [0, 3],
  writeMs: [0, 3],
  syncMs: [1, 10],
  metaMs: [0, 3],
};

/** Which range a call draws from. */
export type LatencyClass = "read" | "write" | "sync" | "meta";

/** The range of `cls` in `profile`. */
export function latencyRange(profile: LatencyProfile, cls: LatencyClass): LatencyRangeMs {
  switch (cls) {
    case "read":
      return profile.readMs;
    case "write":
      return profile.writeMs;
    case "sync":
      return profile.syncMs;
    case "meta":
      return profile.metaMs;
  }
}
