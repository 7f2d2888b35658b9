/**
 * fusedb: an embedded, durable key-value engine for small, hot, mutable state (counters, rate limits,
 * sessions, quotas, small JSON documents). See README.md and docs/.
 *
 * @example
 * ```ts
 * import { open } from "fusedb";
 * const db = await open("./data");
 * await db.incr("hits");                 // resolves once durable
 * console.log(await db.get("hits"));     // { value: 1, version: 1 }
 * await db.close();
 * ```
 */
import { optionsOf } from "./arguments.js";
import { FuseDB, type FuseDBOptions } from "./db.js";
import { InvalidArgumentError } from "./errors.js";
import type { Clock } from "./io/clock.js";
import type { FileSystem } from "./io/file-system.js";
import { SystemClock } from "./io/node-clock.js";
import { NodeFileSystem } from "./io/node-file-system.js";

export type {
  BatchResult,
  ConditionalOptions,
  Durability,
  FuseDBConfig,
  FuseDBOptions,
  FuseDBStats,
  PathValues,
  PathWriteResult,
  RecoveryInfo,
  ScanEntry,
  ScanOptions,
  SetOptions,
  StoredState,
  ValueWriteResult,
  Versioned,
  WriteResult,
} from "./db.js";
export { FuseDB, SCAN_LIMIT_MAX } from "./db.js";
export type { Conditional, Entry, Mutation } from "./doc/entry.js";
export type { Json } from "./doc/json.js";
export type { JsonPath } from "./doc/json-path.js";
export { PATH_CHARS_MAX, parsePath, queryPath } from "./doc/json-path.js";
export type { PathMutation } from "./doc/json-path-write.js";
export type { KeyInput } from "./doc/key.js";
export { applyMergePatch } from "./doc/merge-patch.js";
export * from "./errors.js";
export type { IndexInfo, IndexQuery, IndexSpec, IndexValue } from "./indexes/index-arguments.js";
export type { Clock } from "./io/clock.js";
export type { DirLock, File, FileSystem, LockOptions, OpenOptions } from "./io/file-system.js";
export { DirLockHeldError } from "./io/file-system.js";
export { SystemClock } from "./io/node-clock.js";
export { NodeFileSystem, type NodeFileSystemOptions } from "./io/node-file-system.js";
export type { JsonPaths } from "./json-paths.js";
export type { ChangeEvent, SubscribeOptions, SubscribeTarget } from "./reactive/subscriptions.js";
export { SUBSCRIBER_QUEUE_MAX_DEFAULT, Subscription } from "./reactive/subscriptions.js";
export type { SqlResult } from "./sql/sql.js";
export type { BlockCacheStats } from "./tree/block-cache.js";
export type { RowCacheStats } from "./tree/row-cache.js";
export type { JobKind, LeafInfo, TreeStats } from "./tree/tree.js";
export type { Snapshot } from "./tx/snapshot.js";
export type { Isolation, Transaction, TransactionOptions } from "./tx/transaction.js";
export type { SnapshotStats } from "./tx/versions.js";
export { Hashes } from "./types/hashes.js";
export type { ExpireCondition, KeyType } from "./types/key-ops.js";
export { type KeyScanOptions, Keys } from "./types/keys.js";
export type { ListEnd } from "./types/list-ops.js";
export type { BlockingOptions } from "./types/lists.js";
export { Lists } from "./types/lists.js";
export type { BytesInput } from "./types/runner.js";
export type { ScanPage } from "./types/scan-cursor.js";
export { Sets } from "./types/sets-api.js";
export { type StringGetExOptions, type StringSetOptions, Strings } from "./types/strings.js";
export type { TypesWriteInfo, TypesWriteOptions } from "./types/write-options.js";
export type { ZAddFlags } from "./types/zset-ops.js";
export {
  type ScoreBoundInput,
  SortedSets,
  type ZAddInput,
  type ZCombineOptions,
  type ZMember,
  type ZRangeOptions,
  ZsetTxn,
} from "./types/zsets.js";

/** Options of {@link open}: the engine's knobs, plus optional `fs` and `clock` (default: the real ones). */
export interface OpenDBOptions extends FuseDBOptions {
  fs?: FileSystem;
  clock?: Clock;
  /** With the default real disk: read blocks synchronously (see {@link NodeFileSystemOptions}). Default true. */
  syncReads?: boolean;
}

/**
 * Opens (or creates) the database in directory `dir` on the real disk, unless `options.fs` says otherwise.
 * With `durability: 'memory'` nothing touches the disk and `dir` is only a name.
 * With `readOnly: true` it opens an existing database for reading and writes nothing (see
 * {@link FuseDBOptions.readOnly}).
 * @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT) for bad options; LockedError if another process has
 *   it open; CorruptionError if durable data is damaged; IoError (FUSEDB_IO) if the file system fails.
 */
export async function open(dir: string, options: OpenDBOptions = {}): Promise<FuseDB> {
  const { syncReads, fs, clock, ...knobs } = optionsOf(options, "open options");
  if (syncReads !== undefined && typeof syncReads !== "boolean") {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "syncReads must be a boolean");
  }
  return FuseDB.open({
    ...knobs,
    dir,
    fs: fs === undefined ? new NodeFileSystem({ syncReads }) : fs,
    clock: clock === undefined ? new SystemClock() : clock,
  });
}
