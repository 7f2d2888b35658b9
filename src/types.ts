/**
 * The public shapes of the engine's API: its configuration, what reads and writes take and return, and its
 * counters. The facade (src/db.ts) re-exports them; src/index.ts exports them from the package root.
 */
import type { Json } from "./doc/json.js";
import type { KeyInput } from "./doc/key.js";
import type { Clock } from "./io/clock.js";
import type { FileSystem } from "./io/file-system.js";
import type { FuseDBOptions } from "./options.js";
import type { TreeStats } from "./tree/tree.js";
import type { SnapshotStats } from "./tx/versions.js";
import type { WalWriterStats } from "./wal/wal-writer.js";

/** Where and on what the database runs. `fs` and `clock` are the seam (src/io). */
export interface FuseDBConfig extends FuseDBOptions {
  /** Data directory. */
  dir: string;
  fs: FileSystem;
  clock: Clock;
}

/** A document and its version, as `get` returns it. The value is deep-frozen. */
export interface Versioned {
  value: Json;
  version: number;
  /** Absolute expiry in Clock milliseconds, if the document has one (see `ttl`). */
  expiresAtMs?: number;
}

/**
 * A key's state as `inspect` returns it: a live document as stored; a key that is not live (deleted,
 * expired, or never written but in a hash bucket with dead versions) with `value` undefined and its dead
 * version (docs/versions.md). The same whatever background work has collected.
 */
export interface StoredState {
  version: number;
  value: Json | undefined;
  expiresAtMs?: number;
}

/** Options of `set`. */
export interface SetOptions {
  /** Expire the document this many Clock milliseconds after the call (a positive integer). */
  ttlMs?: number;
  /** Conditional write: the key's current live version must be this (0: the key must not exist). */
  ifVersion?: number;
}

/** Options of `delete`, `patch`, `incr` and `expire`. */
export interface ConditionalOptions {
  /** Conditional write: the key's current live version must be this (0: the key must not exist). */
  ifVersion?: number;
}

/** What a single-key mutation resolves to once durable. */
export interface WriteResult {
  /** The key's new version. */
  version: number;
  /** LSN of the WAL record that holds the mutation. */
  lsn: number;
}

/** What `incr` and `patch` resolve to: the new document too. */
export interface ValueWriteResult extends WriteResult {
  value: Json;
}

/** What `db.json.get` resolves to: the values at a path, and the document's version and expiry. */
export interface PathValues {
  /** Every node a `$` query selects (possibly none), or the one value a dot path addresses. Frozen. */
  values: Json[];
  version: number;
  expiresAtMs?: number;
}

/** What `db.json.delete` resolves to: the new document, or undefined if the key was deleted. */
export interface PathWriteResult extends WriteResult {
  value: Json | undefined;
}

/** What `batch` resolves to: one result per mutation, in order, all in one WAL record. */
export interface BatchResult {
  lsn: number;
  results: { version: number; value: Json | undefined }[];
}

/** Bounds of a scan: at most one of `gt`/`gte` and one of `lt`/`lte`; keys as strings (UTF-8) or bytes. */
export interface ScanOptions {
  gt?: KeyInput;
  gte?: KeyInput;
  lt?: KeyInput;
  lte?: KeyInput;
  /** Most entries returned. Default 1000, at most {@link SCAN_LIMIT_MAX}. */
  limit?: number;
  /** Descending key order. Default false. */
  reverse?: boolean;
}

/** One entry of a scan. `key` is the UTF-8 reading of `keyBytes`. */
export interface ScanEntry extends Versioned {
  key: string;
  keyBytes: Uint8Array;
}

/** Upper bound on `ScanOptions.limit`: scans are bounded (DESIGN.md, non-goal: analytical scans). */
export const SCAN_LIMIT_MAX = 100_000;

/** Counters for `stats()`. */
export interface FuseDBStats {
  wal: WalWriterStats;
  durableLsn: number;
  /** The WAL floor: recovery replays above it. */
  checkpointLsn: number;
  bufferedEntries: number;
  bufferedBytes: number;
  segmentBytes: number;
  walFiles: number;
  /** Live subscriptions. */
  subscribers: number;
  /** Leaves, segments and background work (flushes, merges, splits), block cache counters. */
  tree: TreeStats;
  /**
   * Background work (flushes, merges, splits, continuous checkpoints). `idle`: no job is running or queued.
   * Jobs become due only as writes are applied, so with no writes an idle database stays idle; a benchmark
   * polls it after a bulk load to measure only once the load's follow-up work has settled. Always true in
   * memory and read-only modes (no background work).
   */
  background: { idle: boolean };
  /** Bytes of keys and documents written by the caller's mutations. */
  userBytes: number;
  /**
   * Bytes written to disk (WAL, segments, manifest) per byte of user data; 0 before any write. Whole
   * records and blocks, not device pages.
   */
  writeAmplification: number;
  /** Live snapshots and transactions, the old versions they pin, and transaction outcomes (src/tx/versions.ts). */
  snapshots: SnapshotStats;
}
