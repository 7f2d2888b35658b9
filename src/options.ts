/**
 * The engine's knobs: what a caller may set, their defaults, their validation, and what the tree takes from
 * them (LevelDB's `include/leveldb/options.h` plays this role).
 */
import { KEY_BYTES_LIMIT } from "./doc/key.js";
import { assert, InvalidArgumentError } from "./errors.js";
import type { Clock } from "./io/clock.js";
import { SUBSCRIBER_QUEUE_MAX_DEFAULT } from "./reactive/subscriptions.js";
import { SLICE_BYTES_DEFAULT } from "./tree/segment-writer.js";
import type { TreeOptions } from "./tree/tree.js";

/**
 * When a mutation is acknowledged, and what a crash may take back (DESIGN.md durability contract, point 9):
 *
 * - `'fsync'` (default): the promise resolves, and readers and subscribers see the mutation, only after
 *   its WAL record is fdatasynced. A crash loses no acknowledged mutation.
 * - `'relaxed'`: the mutation becomes visible and its promise resolves once its record is queued for the WAL
 *   writer, before the fdatasync, as long as fewer than `relaxedUnsyncedMax` acknowledged records are
 *   unsynced; past that bound a call waits for fdatasyncs to catch up (backpressure, no timer). A crash
 *   may lose at most the last `relaxedUnsyncedMax` acknowledged calls (never an earlier one without the
 *   later ones: the recovered state is still a prefix of the commit order), and readers may have seen them.
 * - `'memory'`: no WAL, no segments, no lock; the file system is never touched and everything is lost when
 *   the handle goes away. Versions, TTL, conditional writes and subscriptions work as in the other modes.
 *
 * Idea: MemFlux's durability levels; Redis `appendfsync always | everysec` (here bounded in records, not
 * seconds, so the bound holds under any load and needs no timer).
 */
export type Durability = "fsync" | "relaxed" | "memory";

/**
 * Knobs, all optional. Sizes in bytes. Each numeric option is a positive integer with an upper bound
 * ({@link OPTION_MAX}: e.g. `manifestBytesMax` at most 64 MiB, `groupCommitBytesMax` 256 MiB,
 * `valueBytesMax` 32 MiB); open refuses any other value with FUSEDB_INVALID_ARGUMENT.
 */
export interface FuseDBOptions {
  /** When mutations are acknowledged; see {@link Durability}. Default 'fsync'. */
  durability?: Durability;
  /**
   * Mode 'relaxed' only: most acknowledged records not yet fdatasynced, so the most acknowledged calls a
   * crash may lose. Default 256.
   */
  relaxedUnsyncedMax?: number;
  /** Default queue bound of a subscriber, in events. Default 1024. */
  subscriberQueueMax?: number;
  /**
   * Bytes of old versions (pre-images, src/tx/versions.ts) kept in memory for live snapshots and
   * transactions. Past it the oldest snapshot is released and its next read throws FUSEDB_SNAPSHOT_TOO_OLD.
   * Default 64 MiB.
   */
  snapshotBytesMax?: number;
  /** Largest key, in bytes. Default 1024, at most 65535 (the formats' u16 key length). */
  keyBytesMax?: number;
  /** Largest document as UTF-8 JSON text, in bytes. Default 1 MiB. */
  valueBytesMax?: number;
  /**
   * WAL file rotation bound. Default 8 MiB: a WAL file is deleted only once it lies wholly below the
   * checkpoint, and recovery reads every live file from its start, so this bounds the bytes read below the
   * checkpoint at open (issue 13: a 64 MiB file with the checkpoint near its end cost 200 ms at restart).
   */
  walFileBytesMax?: number;
  /**
   * A checkpoint starts in the background once this many WAL bytes were written since the last automatic
   * one, so the log (and recovery time) stays bounded and expired documents are removed without a manual
   * `checkpoint()`. Driven by WAL size, never by a timer (DESIGN.md, Storage). Default 16 MiB: the WAL
   * replayed at open stays near it (issue 13: at 64 MiB a restart replayed 27 MiB in ~400 ms of CPU; at
   * 16 MiB about 16 MiB in ~190 ms, segments included). Lower trades write amplification for restart time.
   */
  checkpointWalBytes?: number;
  /** Most bytes in one group commit. Default 4 MiB. */
  groupCommitBytesMax?: number;
  /** A leaf's buffer is written out as a new segment once it holds this many bytes. Default 1 MiB. */
  leafBufferBytes?: number;
  /**
   * Memory budget of all buffers together. Past half of it the fullest buffer is flushed and writers start
   * waiting for background slices, gradually more up to the full budget. Default 64 MiB.
   */
  bufferBytesMax?: number;
  /** A leaf larger than this (segments and buffer) splits; it bounds every merge's cost. Default 8 MiB. */
  leafBytesMax?: number;
  /** A leaf with more segments than this has them merged into one. Default 4. */
  segmentsMax?: number;
  /** Byte budget of the block cache shared by all segments. Default 32 MiB. */
  blockCacheBytes?: number;
  /**
   * Byte budget of the row cache: the newest decoded entry of recently read or written keys, so reads of
   * hot keys and the read-before-write of their updates never reach a segment (src/tree/row-cache.ts; the
   * bytes are an estimate: key, the document once (text until first read, then decoded) and a fixed
   * overhead). Counted in `stats().tree.rows`. Not used in durability 'memory', where every entry is in
   * memory anyway. Default 128 MiB (about 100k rows of 1.1 KB YCSB documents, ~1.25 KB each measured: a
   * 100k-record YCSB data set whole).
   */
  rowCacheBytes?: number;
  /** The manifest log is rewritten as one snapshot once it would pass this size. Default 1 MiB. */
  manifestBytesMax?: number;
  /**
   * Open for reading only. Recovery runs in memory and writes nothing: no manifest rewrite, no orphan
   * removal, no torn-tail cut (it is reported in `recovery.tornTail`), no new WAL file, no directory
   * created, no background work — so a database on a full disk or a read-only file system can still be
   * read. `get`, `scan`, `ttl`, `inspect`, `versionOf`, `stats` and `leaves` work; every write, `checkpoint`
   * and `subscribe` rejects with `FUSEDB_READ_ONLY` and changes nothing. The handle sees the state at open.
   *
   * Locking: it takes the directory lock shared (a writer's is exclusive), so any number of read-only
   * handles may be open together, and a writer and a reader exclude each other (FUSEDB_LOCKED): a reader
   * never reads files a writer is changing under it. If the lock cannot be taken because the file system
   * refuses it (EROFS, EACCES, EPERM: a read-only file system without a `LOCK` file, a directory this user
   * may not write), the handle reads without a lock; nothing then keeps a writer out, so do that only for
   * a database no process writes. Not with durability 'memory'. Default false.
   */
  readOnly?: boolean;
}

/**
 * How recovery treats damage. Internal: only the simulator's broken variants (sim/broken-variants.ts) pass
 * anything but 'strict', through `openWithRecoveryMode` in src/db.ts (not exported from src/index.ts).
 * - `'strict'`: every checksum is verified; only a torn tail of the last WAL file is cut.
 * - `'ignore-checksums'` (broken): WAL recovery and segment reads accept data whose crc32 does not match.
 * - `'truncate-at-first-bad-record'` (broken): WAL recovery cuts the log at the first invalid record
 *   anywhere, as if every damage were a torn tail.
 * - `'forget-dead-version-floor'` (broken): recovery ignores the manifest's dead-version floor
 *   (docs/versions.md), so a key whose tombstone was collected restarts its versions after a reopen.
 * - `'forget-clock-floor'` (broken): recovery ignores the durable clock floor, so the engine clock starts
 *   at the configured clock even when that stepped back.
 * - `'drop-live-elements'` (broken, not about recovery): background merges drop the elements of live
 *   collections as if their generation were dead (src/types/dead-elements.ts).
 * - `'reuse-generations'` (broken, not about recovery): every new collection takes generation 0, so a
 *   collection recreated under a key sees the elements of the one deleted before (src/types/txn.ts).
 * - `'skip-tx-conflicts'` (broken, not about recovery): transactions commit without their conflict check
 *   (src/tx/transaction.ts), so lost updates and write skew get through; test/tx-history.test.ts must catch it.
 * - `'stale-zset-index'` (broken, not about recovery): a sorted-set member whose score changes keeps its old
 *   entry in the score index too (src/types/zset-index.ts), so ranges by rank or score show it twice.
 * - `'skip-index-deletes'` (broken, not about recovery): a document's delete leaves its secondary-index
 *   entries (src/indexes/maintain.ts): one write path without index maintenance; campaigns with
 *   transactions and indexes must catch it (sim/index-check.ts).
 */
export type RecoveryMode =
  | "strict"
  | "ignore-checksums"
  | "truncate-at-first-bad-record"
  | "forget-dead-version-floor"
  | "forget-clock-floor"
  | "drop-live-elements"
  | "reuse-generations"
  | "skip-tx-conflicts"
  | "stale-zset-index"
  | "skip-index-deletes";

/** Every {@link RecoveryMode}. */
export const RECOVERY_MODES: readonly RecoveryMode[] = [
  "strict",
  "ignore-checksums",
  "truncate-at-first-bad-record",
  "forget-dead-version-floor",
  "forget-clock-floor",
  "drop-live-elements",
  "reuse-generations",
  "skip-tx-conflicts",
  "stale-zset-index",
  "skip-index-deletes",
];

type NumericOption = Exclude<keyof FuseDBOptions, "durability" | "readOnly">;

const DEFAULTS: Required<Pick<FuseDBOptions, NumericOption>> = {
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  walFileBytesMax: 8 * 1024 * 1024,
  checkpointWalBytes: 16 * 1024 * 1024,
  groupCommitBytesMax: 4 * 1024 * 1024,
  leafBufferBytes: 1024 * 1024,
  bufferBytesMax: 64 * 1024 * 1024,
  leafBytesMax: 8 * 1024 * 1024,
  segmentsMax: 4,
  blockCacheBytes: 32 * 1024 * 1024,
  rowCacheBytes: 128 * 1024 * 1024,
  manifestBytesMax: 1024 * 1024,
  relaxedUnsyncedMax: 256,
  subscriberQueueMax: SUBSCRIBER_QUEUE_MAX_DEFAULT,
  snapshotBytesMax: 64 * 1024 * 1024,
};

/** Options with every default filled in, and the recovery mode of the open path that resolved them. */
export type ResolvedOptions = Required<FuseDBOptions> & { readonly recoveryMode: RecoveryMode };

/**
 * Validates the knobs of `o` and fills in the defaults.
 * @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT) naming the first bad option.
 */
export function resolveOptions(o: FuseDBOptions, recoveryMode: RecoveryMode): ResolvedOptions {
  const durability = o.durability ?? "fsync";
  if (durability !== "fsync" && durability !== "relaxed" && durability !== "memory") {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      `option durability must be 'fsync', 'relaxed' or 'memory'`,
    );
  }
  assert(RECOVERY_MODES.includes(recoveryMode), "a known recovery mode");
  const readOnly = o.readOnly ?? false;
  if (typeof readOnly !== "boolean") {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "option readOnly must be a boolean");
  }
  if (readOnly && durability === "memory") {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      "option readOnly needs a database on disk (durability 'fsync' or 'relaxed'), not 'memory'",
    );
  }
  const out: ResolvedOptions = { ...DEFAULTS, durability, readOnly, recoveryMode };
  for (const name of Object.keys(DEFAULTS) as NumericOption[]) {
    const v = o[name];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `option ${name} must be a positive integer`);
    }
    const max = OPTION_MAX[name];
    if (v > max) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `option ${name} must be <= ${max}`);
    }
    out[name] = v;
  }
  return out;
}

/** Sizes past which nothing is gained and offsets or counters stop being exact: 1 TiB. */
const SIZE_LIMIT = 2 ** 40;

/**
 * Upper bound of every numeric option, checked at open (issue 12 item 8): a value the engine could not honour
 * is refused with FUSEDB_INVALID_ARGUMENT instead of failing later. Counts are only positive.
 */
export const OPTION_MAX: Readonly<Record<NumericOption, number>> = {
  // The formats store a key's length as a u16.
  keyBytesMax: KEY_BYTES_LIMIT,
  // A document must fit one WAL record (64 MiB) with the largest key, and one segment block (128 MiB).
  valueBytesMax: 32 * 1024 * 1024,
  // WAL files are read in bounded chunks (src/wal/wal-window.ts), so only offsets bound them.
  walFileBytesMax: SIZE_LIMIT,
  checkpointWalBytes: SIZE_LIMIT,
  // A group is encoded into one buffer and written with one call.
  groupCommitBytesMax: 256 * 1024 * 1024,
  leafBufferBytes: SIZE_LIMIT,
  bufferBytesMax: SIZE_LIMIT,
  leafBytesMax: SIZE_LIMIT,
  blockCacheBytes: SIZE_LIMIT,
  rowCacheBytes: SIZE_LIMIT,
  // The manifest reader refuses a MANIFEST over 64 MiB (src/tree/manifest.ts, BODY_BYTES_MAX).
  manifestBytesMax: 64 * 1024 * 1024,
  segmentsMax: Number.MAX_SAFE_INTEGER,
  relaxedUnsyncedMax: Number.MAX_SAFE_INTEGER,
  subscriberQueueMax: Number.MAX_SAFE_INTEGER,
  snapshotBytesMax: SIZE_LIMIT,
};

/** The tree's knobs from the engine's options; a scan yields to the event loop through `clock`. */
export function treeOptions(o: ResolvedOptions, clock: Clock): TreeOptions {
  return {
    yieldToEventLoop: () => clock.yield(),
    leafBufferBytes: o.leafBufferBytes,
    bufferBytesMax: o.bufferBytesMax,
    leafBytesMax: o.leafBytesMax,
    segmentsMax: o.segmentsMax,
    hotWriteShare: 0.25,
    checkpointWalBytes: o.checkpointWalBytes,
    blockCacheBytes: o.blockCacheBytes,
    rowCacheBytes: o.rowCacheBytes,
    sliceBytes: SLICE_BYTES_DEFAULT,
    ignoreChecksums: o.recoveryMode === "ignore-checksums",
  };
}
