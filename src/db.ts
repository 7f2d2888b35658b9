/**
 * FuseDB: the engine's public face. Validates and encodes input, then takes one private path per kind of
 * work (abstract-level's habit): mutations go through the commit pipeline (src/commit-pipeline.ts, which
 * states the write path), reads through the tree. Opening assembles the engine (src/engine.ts) after
 * recovery (src/recovery.ts); argument checks are src/arguments.ts, the knobs src/options.ts, the public
 * shapes src/types.ts.
 */

import { optionsOf, scanArguments, subscribeArguments } from "./arguments.js";
import type { CommitPipeline } from "./commit-pipeline.js";
import type { CapturedMutation, Entry, Mutation } from "./doc/entry.js";
import { captureMutation, isLive } from "./doc/entry.js";
import type { Json } from "./doc/json.js";
import type { KeyInput, KeyString } from "./doc/key.js";
import { keyBytes, toKeyString, userKeyBytes } from "./doc/key.js";
import { assembleEngine, type Engine } from "./engine.js";
import {
  asIoError,
  assert,
  ClosedError,
  InvalidArgumentError,
  ReadOnlyError,
  WrongTypeError,
} from "./errors.js";
import type { IndexInfo, IndexQuery, IndexSpec } from "./indexes/index-arguments.js";
import { Indexes } from "./indexes/indexes.js";
import type { Clock } from "./io/clock.js";
import { JsonPaths } from "./json-paths.js";
import type { Durability, RecoveryMode, ResolvedOptions } from "./options.js";
import type { SubscribeOptions, SubscribeTarget } from "./reactive/subscriptions.js";
import { Subscription, type SubscriptionHub } from "./reactive/subscriptions.js";
import type { RecoveryInfo } from "./recovery.js";
import { runSql, type SqlOptions, type SqlResult } from "./sql/sql.js";
import { scanDocuments } from "./tree/document-scan.js";
import type { KeyRange } from "./tree/key-range.js";
import { type LeafInfo, NOT_IN_MEMORY, type Tree } from "./tree/tree.js";
import { pinReads, runTransaction, type TxHost } from "./tx/run.js";
import { Snapshot } from "./tx/snapshot.js";
import type { Transaction, TransactionOptions } from "./tx/transaction.js";
import { Hashes } from "./types/hashes.js";
import { Keys } from "./types/keys.js";
import { Lists } from "./types/lists.js";
import { PopWaiters } from "./types/pop-waiters.js";
import { TypesRunner } from "./types/runner.js";
import { Sets } from "./types/sets-api.js";
import { Strings } from "./types/strings.js";
import { SortedSets } from "./types/zsets.js";
import type {
  BatchResult,
  ConditionalOptions,
  FuseDBConfig,
  FuseDBStats,
  ScanEntry,
  ScanOptions,
  SetOptions,
  StoredState,
  ValueWriteResult,
  Versioned,
  WriteResult,
} from "./types.js";
import type { CommitLog } from "./wal/commit-log.js";

export type { Durability, FuseDBOptions, RecoveryMode } from "./options.js";
export type { RecoveryInfo } from "./recovery.js";
// The public shapes, for importers of this module (src/index.ts names what the package exports).
export * from "./types.js";

/** The open path with a recovery mode; assigned once, by FuseDB's static block (it reaches the private open). */
let openWithMode: (config: FuseDBConfig, recoveryMode: RecoveryMode) => Promise<FuseDB>;

/**
 * INTERNAL, for the simulator's broken variants only (sim/broken-variants.ts); not exported from
 * src/index.ts. Opens like {@link FuseDB.open} but recovers in `recoveryMode`; anything but 'strict' breaks
 * recovery on purpose and may lose or invent data.
 */
export function openWithRecoveryMode(config: FuseDBConfig, recoveryMode: RecoveryMode): Promise<FuseDB> {
  return openWithMode(config, recoveryMode);
}

/** The database handle. Open it with {@link FuseDB.open} (or `open` from the package root). */
export class FuseDB {
  static {
    openWithMode = (config, recoveryMode) => FuseDB.openWith(config, recoveryMode);
  }

  private readonly clock: Clock;
  /** Data directory. */
  readonly dir: string;
  private readonly options: ResolvedOptions;
  private readonly wal: CommitLog;
  private readonly hub: SubscriptionHub;
  private readonly pipeline: CommitPipeline;
  private readonly tree: Tree;
  /** What recovery did at open. */
  readonly recovery: RecoveryInfo;
  /**
   * @internal The runner of data-type operations, for the RESP server: several operations of any types in
   * one atomic call (`write(tx => ...)`, MULTI/EXEC) over the pure operations of src/types/.
   */
  readonly types: TypesRunner;
  /** Hashes (Redis's hash commands): src/types/hashes.ts. */
  readonly hashes: Hashes;
  /** Sets (Redis's set commands): src/types/sets-api.ts. */
  readonly sets: Sets;
  /** Reads and writes at a path inside a document: RFC 9535 `$` queries and dot paths (src/json-paths.ts). */
  readonly json: JsonPaths;
  /** Generic key operations over every type (DEL, TYPE, RENAME, EXPIRE, SCAN, ...): src/types/keys.ts. */
  readonly keys: Keys;
  /** Strings (Redis's string commands): src/types/strings.ts. */
  readonly strings: Strings;
  /** Lists (Redis's list commands, blocking pops included): src/types/lists.ts. */
  readonly lists: Lists;
  /** @internal Blocking pops on lists and sorted sets (the server's BLPOP, BZPOPMIN, ...): src/types/pop-waiters.ts. */
  readonly popWaiters: PopWaiters;
  /** Sorted sets (Redis's sorted-set commands): src/types/zsets.ts. */
  readonly zsets: SortedSets;
  /** Secondary indexes on JSON fields (src/indexes/indexes.ts, docs/indexes.md). */
  private readonly indexing: Indexes;

  private constructor(private readonly engine: Engine) {
    this.clock = engine.clock;
    this.dir = engine.dir;
    this.options = engine.options;
    this.wal = engine.wal;
    this.hub = engine.hub;
    this.pipeline = engine.pipeline;
    this.tree = engine.pipeline.tree;
    this.recovery = engine.recovery;
    const run = new TypesRunner(this.pipeline, this.clock, this.options, this.dir);
    this.types = run;
    this.hashes = new Hashes(run);
    this.sets = new Sets(run);
    const valueBytesMax = this.options.valueBytesMax;
    this.json = new JsonPaths({ get: (k) => this.get(k), batch: (m) => this.batch(m), valueBytesMax });
    this.keys = new Keys(run);
    this.strings = new Strings(run);
    this.popWaiters = new PopWaiters(run, this.clock);
    this.hub.watch(this.popWaiters.onEffects);
    this.lists = new Lists(run, this.popWaiters);
    this.zsets = new SortedSets(run);
    this.indexing = new Indexes(this.pipeline, run, this.options);
  }

  /** The durability mode this handle runs in. */
  get durability(): Durability {
    return this.options.durability;
  }

  /** Whether this handle was opened with `readOnly: true` (see {@link FuseDBOptions.readOnly}). */
  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /**
   * Opens (creating if needed) the database in `config.dir`, recovering from its WAL and segments; with
   * `readOnly: true`, opens an existing one for reading without writing anything.
   * @throws LockedError (FUSEDB_LOCKED) if another process or handle has it open (a writer excludes
   *   everyone; read-only handles exclude writers).
   * @throws CorruptionError (FUSEDB_CORRUPTION) naming file and offset if durable data is damaged.
   * @throws IoError (FUSEDB_IO) if the file system fails (the OS error as `cause`: ENOSPC, EROFS, EACCES,
   *   ENOTDIR, EISDIR, ENOENT for a read-only open of a missing directory, ...).
   */
  static open(config: FuseDBConfig): Promise<FuseDB> {
    return FuseDB.openWith(config, "strict");
  }

  private static async openWith(config: FuseDBConfig, recoveryMode: RecoveryMode): Promise<FuseDB> {
    const db = new FuseDB(await assembleEngine(config, recoveryMode));
    try {
      await db.indexing.load();
    } catch (err) {
      await db.close().catch(() => undefined);
      throw asIoError(err, `open of ${config.dir} failed`);
    }
    return db;
  }

  /**
   * The document stored under `key` and its version, or undefined if the key is missing, deleted or expired
   * (`clock.now() >= expiresAtMs`). Sees exactly the mutations that are durable (mode 'fsync').
   * @throws InvalidArgumentError for a bad key; ClosedError; CorruptionError if the data read is damaged;
   *   IoError (FUSEDB_IO, the OS error as its cause) if a read fails; PoisonedError when the answer depends on
   *   a time above the durable clock floor and the database, poisoned, cannot make it durable.
   */
  get(key: KeyInput): Promise<Versioned | undefined> {
    // No async frame: a key memory or a synchronous block read answers costs one settled promise (unless the
    // answer depends on a time above the durable clock floor: rare, see readTime).
    let k: KeyString;
    let found: Entry | undefined | typeof NOT_IN_MEMORY;
    try {
      k = this.key(key);
      this.assertOpen();
      found = this.tree.readNow(k);
    } catch (err) {
      return Promise.reject(asIoError(err, `read from ${this.dir} failed`));
    }
    if (found !== NOT_IN_MEMORY) {
      try {
        return Promise.resolve(this.live(found));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.read(this.tree.get(k)).then((entry) => this.live(entry));
  }

  /**
   * Remaining time to live of `key` in Clock milliseconds (at least 1); `null` if the document has no
   * expiry; `undefined` if the key is missing, deleted or expired. (Redis TTL answers -1 and -2 for the last
   * two; here they are typed.)
   * @throws InvalidArgumentError for a bad key; ClosedError; CorruptionError on damaged data; IoError;
   *   PoisonedError as `get`.
   */
  async ttl(key: KeyInput): Promise<number | null | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.read(this.tree.get(k));
    const now = await this.readTime(entry, true);
    if (!isLive(entry, now)) return undefined;
    return entry.expiresAtMs === undefined ? null : entry.expiresAtMs - now;
  }

  /**
   * The time a read of `entry` answers at: the engine clock, once the answer cannot change after a restart
   * whose clock stepped back. Only a document live at the durable clock floor whose answer depends on a
   * later time (`get`: expired now; `ttl`: its remaining time) makes the pipeline make now durable first
   * (a clock floor in a WAL header slot: no record, no LSN). A document already expired at the floor, or
   * without an expiry, answers at once, with no promise (the ordinary read path stays synchronous).
   */
  private readTime(entry: Entry | undefined, ttl: boolean): number | Promise<number> {
    const nowMs = this.clock.now();
    const expiresAtMs = entry?.value === undefined ? undefined : entry.expiresAtMs;
    if (expiresAtMs === undefined) return nowMs;
    const floorMs = this.pipeline.clockFloorMs();
    // Expired at the floor (expiresAtMs <= floorMs): expired at every later time too, whatever a restart finds.
    if (nowMs <= floorMs || expiresAtMs <= floorMs) return nowMs;
    if (!ttl && expiresAtMs > nowMs) return nowMs; // live now; live at the floor too
    return this.pipeline.answerTime(nowMs);
  }

  /**
   * The key's state for tools and checkers (the simulator compares it with its model): a live document as
   * stored (version, value, expiry); for a key that is not live (deleted, expired, or never written), its
   * dead version ({@link versionOf}) with no value; undefined if that is 0. Layout-free: the same whether
   * background work has collected a tombstone or expired document yet. Sees exactly what `get` sees.
   */
  async inspect(key: KeyInput): Promise<StoredState | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.read(this.tree.get(k));
    if (isLive(entry, this.clock.now())) {
      const out: StoredState = { version: entry.version, value: entry.value };
      if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
      return out;
    }
    const version = this.deadVersion(k, entry);
    return version === 0 ? undefined : { version, value: undefined };
  }

  /**
   * The version the key's next write follows (it gets this + 1): a live key's version; for a key that is not
   * live (deleted, expired, or never written), the largest of its last version and the dead-version floor of
   * its hash bucket (src/doc/version-floor.ts), so 0 only if neither the key nor its bucket ever saw a delete
   * or an expiry and the key was never written. Sees exactly the durable mutations. Useful for checkers;
   * for a conditional write pass `get(key)?.version ?? 0` as `ifVersion`.
   */
  async versionOf(key: KeyInput): Promise<number> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.read(this.tree.get(k));
    return isLive(entry, this.clock.now()) ? entry.version : this.deadVersion(k, entry);
  }

  /** The version a key that is not live follows: its stored one or its bucket's dead-version floor. */
  private deadVersion(k: KeyString, entry: Entry | undefined): number {
    return Math.max(entry?.version ?? 0, this.tree.floor.get(k));
  }

  /**
   * Up to `limit` live documents with keys inside the bounds, in bytewise key order (or reverse). Sees
   * exactly the durable mutations, like `get`.
   * @throws InvalidArgumentError for bad bounds or limit; ClosedError; CorruptionError on damaged data;
   *   IoError (FUSEDB_IO) if a read fails; PoisonedError as `get`.
   */
  async scan(options: ScanOptions = {}): Promise<ScanEntry[]> {
    const { range, limit, reverse } = scanArguments(options, (k) => this.key(k));
    this.assertOpen();
    // Scanned at the durable clock floor: if no document found expires by now, the answer is the same at
    // both times; otherwise now is made durable first (see readTime) and the scan repeated at it.
    const floorMs = this.pipeline.clockFloorMs();
    let found = await this.documentsIn(range, limit, reverse, floorMs);
    const nowMs = this.clock.now();
    if (found.some(([, entry]) => !isLive(entry, nowMs))) {
      const atMs = await this.pipeline.answerTime(nowMs);
      this.assertOpen(); // the handle may have closed while the floor was made durable
      found = await this.documentsIn(range, limit, reverse, atMs);
    }
    return found.map(([k, entry]) => {
      const bytes = userKeyBytes(k);
      return { key: bytes.toString("utf8"), keyBytes: bytes, ...versioned(entry.value as Json, entry) };
    });
  }

  /**
   * Up to `limit` JSON documents of `range` at `atMs`: keys of other data types are skipped, and the
   * internal subkeys (src/doc/key.ts) jumped over in one step, however many elements they hold.
   */
  private async documentsIn(
    range: KeyRange,
    limit: number,
    reverse: boolean,
    atMs: number,
  ): Promise<[KeyString, Entry][]> {
    return scanDocuments(
      (r, want, rev) => this.read(this.tree.scan(r, want, rev, atMs)),
      range,
      limit,
      reverse,
    );
  }

  /**
   * Stores `value` under `key`. Resolves once durable. With `ttlMs` the document expires that many Clock
   * milliseconds after the call (absolute time, logged, so recovery agrees); without it, any earlier expiry
   * is cleared (Redis SET). With `ifVersion` it is a compare-and-set. `value` and `options` are copied when
   * the call is made: changing them afterwards changes nothing.
   * @throws VersionConflictError (FUSEDB_VERSION_CONFLICT); InvalidArgumentError (FUSEDB_INVALID_JSON,
   *   FUSEDB_KEY_TOO_LARGE, FUSEDB_VALUE_TOO_LARGE, FUSEDB_INVALID_ARGUMENT for a bad ttlMs, ...);
   *   PoisonedError; ClosedError; ReadOnlyError (FUSEDB_READ_ONLY) on a read-only handle (as every write:
   *   a valid write there changes nothing).
   */
  async set(key: KeyInput, value: Json, options: SetOptions = {}): Promise<WriteResult> {
    const { ttlMs, ifVersion } = optionsOf(options, "set options");
    const r = await this.commit([{ op: "set", key, value, ttlMs, ifVersion }]);
    return { version: firstResult(r).version, lsn: r.lsn };
  }

  /**
   * Deletes `key` by writing a versioned tombstone (its version grows by one). Resolves once durable.
   * @throws VersionConflictError if `ifVersion` is given and does not match.
   */
  async delete(key: KeyInput, options: ConditionalOptions = {}): Promise<WriteResult> {
    const { ifVersion } = optionsOf(options, "delete options");
    const r = await this.commit([{ op: "delete", key, ifVersion }]);
    return { version: firstResult(r).version, lsn: r.lsn };
  }

  /**
   * Applies an RFC 7396 JSON Merge Patch to the document under `key` (a missing or expired key patches `{}`
   * when the patch is an object). Keeps the document's expiry. Resolves with the new document once durable.
   * @throws VersionConflictError if `ifVersion` is given and does not match.
   */
  async patch(key: KeyInput, patch: Json, options: ConditionalOptions = {}): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "patch options");
    return single(await this.commit([{ op: "patch", key, patch, ifVersion }]));
  }

  /**
   * Adds the integer `delta` (default 1) to the number under `key` (a missing, deleted or expired key counts
   * as 0, without expiry). Keeps a live document's expiry, so a counter set with `ttlMs` resets when it
   * expires (a fixed-window rate limiter).
   * @throws InvalidArgumentError FUSEDB_TYPE_MISMATCH if the value is not an integer, FUSEDB_OUT_OF_RANGE if
   *   the result leaves the safe-integer range, FUSEDB_INVALID_ARGUMENT if `delta` is not a safe integer;
   *   VersionConflictError if `ifVersion` is given and does not match.
   */
  async incr(key: KeyInput, delta = 1, options: ConditionalOptions = {}): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "incr options");
    return single(await this.commit([{ op: "incr", key, delta, ifVersion }]));
  }

  /**
   * Sets the live document under `key` to expire `ms` Clock milliseconds after the call (Redis EXPIRE, in
   * milliseconds). A mutation like any other: the version grows by one and subscribers get a "put" event.
   * @throws NotFoundError (FUSEDB_NOT_FOUND) if the key is missing, deleted or expired; InvalidArgumentError
   *   if `ms` is not a positive safe integer; VersionConflictError if `ifVersion` does not match.
   */
  async expire(key: KeyInput, ms: number, options: ConditionalOptions = {}): Promise<WriteResult> {
    const { ifVersion } = optionsOf(options, "expire options");
    const r = await this.commit([{ op: "expire", key, ms, ifVersion }]);
    return { version: firstResult(r).version, lsn: r.lsn };
  }

  /**
   * Subscribes to changes of one key, or of every key starting with `prefix` (bytewise). Returns an async
   * iterator of {@link ChangeEvent}s in commit order, from the next committed change on; see
   * src/reactive/subscriptions.ts for eviction (FUSEDB_SLOW_SUBSCRIBER) and unsubscription.
   * @throws InvalidArgumentError for a bad key, prefix or queueMax; ClosedError; ReadOnlyError
   *   (FUSEDB_READ_ONLY) on a read-only handle, where nothing ever changes.
   */
  subscribe(target: SubscribeTarget<KeyInput>, options: SubscribeOptions = {}): Subscription {
    const { queueMax, signal } = subscribeArguments(options, this.options.subscriberQueueMax);
    const isPrefix = typeof target === "object" && target !== null && "prefix" in target;
    const match = isPrefix
      ? { prefix: this.prefix((target as { prefix: KeyInput }).prefix) }
      : { key: this.key(target) };
    this.assertOpen();
    if (this.options.readOnly) throw new ReadOnlyError("subscribe");
    return new Subscription(this.hub, match, queueMax, signal);
  }

  /**
   * Applies `mutations` atomically: one WAL record, all or nothing, even across a crash. Mutations of the
   * same key compose in order, each with its own version. If any mutation is invalid or any `ifVersion`
   * conflicts, none is applied and the call rejects with that mutation's error. The array, the mutations and
   * their documents are copied when the call is made.
   */
  async batch(mutations: readonly Mutation[]): Promise<BatchResult> {
    if (!Array.isArray(mutations) || mutations.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "batch needs a non-empty array of mutations");
    }
    return this.commit(mutations);
  }

  /**
   * Runs `fn` as one transaction (src/tx/transaction.ts, docs/transactions.md): its reads see one snapshot
   * (the visible state when the attempt began) plus its own writes; its writes are buffered and committed as
   * one WAL record, acknowledged after fdatasync, all or nothing. A conflict with a transaction or write
   * committed after the snapshot (snapshot isolation: a key both wrote; 'serializable': also a key or
   * scanned range it read) reruns `fn` on a new snapshot, up to `retries` times (default 10), so `fn` must be
   * safe to run again. Resolves with `fn`'s result.
   * @throws TxConflictError (FUSEDB_TX_CONFLICT) after the last attempt, nothing written; whatever `fn` or a
   *   write throws (nothing written); SnapshotTooOldError; InvalidArgumentError for bad options; the
   *   errors of every write at commit (ClosedError, PoisonedError, ReadOnlyError, ...).
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    return runTransaction(this.txHost(), fn, options);
  }

  /**
   * Runs one SQL statement (or several separated by `;`) with parameters `$1..` or `?` (src/sql/,
   * docs/sql.md), in one transaction: atomic, durable at commit like any write.
   * @throws SqlError (`FUSEDB_SQL`, PostgreSQL's SQLSTATE in `sqlState`): nothing was written; the errors
   *   of `transaction` (TxConflictError after retries, ClosedError, ...).
   */
  sql(text: string, params?: readonly unknown[], options?: SqlOptions): Promise<SqlResult> {
    const host = {
      transaction: <T>(fn: (tx: Transaction) => Promise<T>) => this.transaction(fn),
      nowMs: () => this.clock.now(),
    };
    return runSql(host, text, params, options);
  }

  /**
   * A read-only view at this point (src/tx/snapshot.ts): `get` and `scan` answer as they would have now,
   * whatever is written later. Close it (or `await using`) to release the versions it pins; held past
   * `snapshotBytesMax` of versions, its reads throw SnapshotTooOldError (FUSEDB_SNAPSHOT_TOO_OLD).
   * @throws ClosedError after close.
   */
  snapshot(): Snapshot {
    return new Snapshot(this.pipeline, pinReads(this.txHost()), this.options.keyBytesMax);
  }

  private txHost(): TxHost {
    return { pipeline: this.pipeline, clock: this.clock, options: this.options, dir: this.dir };
  }

  /**
   * Writes the buffer into a new segment (temp file, fdatasync, rename, syncDir), records the checkpoint
   * LSN in the manifest the same way, then deletes the WAL files that lie wholly below it.
   * Writes go on while it runs. Resolves with the checkpoint LSN.
   * @throws PoisonedError (FUSEDB_POISONED, the I/O error as its cause) if any of its writes fails: the
   *   database stops writing, as after the same failure in a background flush; ClosedError; ReadOnlyError
   *   (FUSEDB_READ_ONLY) on a read-only handle.
   */
  async checkpoint(): Promise<{ lsn: number }> {
    this.pipeline.assertWritable("checkpoint");
    if (this.options.durability === "memory") {
      // Nothing to write: background work is the removal of expired documents.
      this.tree.sweepExpired(this.pipeline.expiryHorizonMs());
      return { lsn: this.pipeline.appliedLsn };
    }
    await this.wal.rotate();
    try {
      return { lsn: await this.tree.checkpoint() };
    } catch (err) {
      // Exactly as a failed background job: the database stops writing, and the caller learns why.
      throw this.pipeline.poison(err);
    }
  }

  // ---- secondary indexes (src/indexes/, docs/indexes.md) ----

  /**
   * Indexes the JSON field at dot path `path` of every document whose key starts with `prefix` (array
   * fields: each element). Resolves once the definition is durable; existing documents are indexed in the
   * background (`indexes()` reports the state, {@link waitForIndex} waits), every write from now on keeps the
   * index in the same WAL record as the document. `unique`: a write giving two live documents one value
   * rejects with IndexError FUSEDB_UNIQUE_VIOLATION and changes nothing.
   * @throws InvalidArgumentError for a bad spec; IndexError FUSEDB_INDEX_EXISTS; the errors of every write.
   */
  createIndex(spec: IndexSpec): Promise<IndexInfo> {
    return this.indexing.create(spec);
  }

  /** Drops an index in O(1) (one small record). @throws IndexError FUSEDB_INDEX_NOT_FOUND. */
  dropIndex(name: string): Promise<void> {
    return this.indexing.drop(name);
  }

  /** Every index with its state (`building`, `ready`, `failed`) and build progress. */
  indexes(): IndexInfo[] {
    return this.indexing.list();
  }

  /** Resolves once the index is built. @throws IndexError (FUSEDB_UNIQUE_VIOLATION: the build failed). */
  waitForIndex(name: string): Promise<IndexInfo> {
    return this.indexing.waitReady(name);
  }

  /**
   * Documents found through an index, in index order (value, then key; `reverse` for descending), each once:
   * `eq`, `prefix` (strings) or bounds `gt`/`gte`/`lt`/`lte`, at most `limit` (default 100).
   * @throws InvalidArgumentError; IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY; read errors.
   */
  query(q: IndexQuery): Promise<ScanEntry[]> {
    return this.indexing.query(q);
  }

  /** Counters: WAL activity, LSNs, buffer and file sizes. */
  stats(): FuseDBStats {
    const tree = this.tree.stats();
    const written = this.wal.stats.bytesWritten + tree.segmentBytesWritten + tree.manifestBytes;
    return {
      wal: { ...this.wal.stats },
      durableLsn: this.wal.durableLsn,
      checkpointLsn: this.tree.checkpointLsn,
      bufferedEntries: tree.bufferedEntries,
      bufferedBytes: tree.bufferedBytes,
      segmentBytes: tree.segmentBytes,
      walFiles: this.wal.liveFiles().length,
      subscribers: this.hub.size,
      tree,
      background: { idle: tree.idle },
      userBytes: this.pipeline.userBytes,
      writeAmplification: this.pipeline.userBytes === 0 ? 0 : written / this.pipeline.userBytes,
      snapshots: this.pipeline.versions.stats(),
    };
  }

  /**
   * The leaves in key order: fence key (bytes), flushed LSN, seqno, segment files, buffered entries, data
   * bytes and recent writes. A snapshot for tools and tests; it changes as background work runs.
   */
  leaves(): (Omit<LeafInfo, "low"> & { low: Uint8Array })[] {
    return this.tree.describe().map((l) => ({ ...l, low: keyBytes(l.low) }));
  }

  /**
   * Stops accepting work (later calls throw ClosedError), settles every pending operation (each resolves or
   * rejects; in mode 'relaxed' every acknowledged record is fdatasynced), ends every subscription (after its
   * queued events), ends blocked list pops with ClosedError, and releases the directory lock.
   * @throws IoError (FUSEDB_IO) if closing a file fails.
   */
  async close(): Promise<void> {
    if (this.pipeline.closed) return;
    this.popWaiters.close(); // blocked pops end with ClosedError (those in flight settle with the pipeline)
    await this.pipeline.close();
    try {
      await this.tree.close();
      await this.wal.close();
      this.hub.closeAll();
      await this.engine.lock?.release();
    } catch (err) {
      throw asIoError(err, `close of ${this.dir} failed`);
    }
  }

  // ---- the one write path ----

  /**
   * Validates and captures every mutation and its key now, at the call (the caller may change its objects
   * as soon as the call returns), then hands them to the commit pipeline. Throws synchronously on bad input:
   * every caller is an async method, so the caller's promise rejects.
   */
  private commit(mutations: readonly Mutation[]): Promise<BatchResult> {
    const captured: CapturedMutation[] = [];
    const keys: KeyString[] = [];
    for (const m of mutations) {
      if (typeof m !== "object" || m === null) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a mutation must be an object");
      }
      const { key, mutation } = captureMutation(m, this.options);
      keys.push(this.key(key));
      captured.push(mutation);
    }
    return this.pipeline.commit(captured, keys);
  }

  // ---- guards ----

  private key(key: unknown): KeyString {
    return toKeyString(key, this.options.keyBytesMax);
  }

  /** A subscription prefix: a key, or the empty string (every key). */
  private prefix(prefix: unknown): KeyString {
    if (prefix === "" || (prefix instanceof Uint8Array && prefix.length === 0)) return "";
    return this.key(prefix);
  }

  /** What `get` answers for a stored entry: its document and version if live at the clock's now. */
  /** `entry` as `get` answers it, at the time {@link readTime} allows (a promise only when that waits). */
  private live(entry: Entry | undefined): Versioned | undefined | Promise<Versioned | undefined> {
    const at = this.readTime(entry, false);
    if (typeof at !== "number") return at.then((t) => liveAt(entry, t));
    return liveAt(entry, at);
  }

  private assertOpen(): void {
    if (this.pipeline.closed) throw new ClosedError();
  }

  /** The outcome of a read of the tree, an I/O failure reported as IoError (FUSEDB_IO, the OS error as cause). */
  private read<T>(reading: Promise<T>): Promise<T> {
    // One handler on the read's own promise (no async frame): this is on every get and scan.
    return reading.catch((err: unknown) => {
      throw asIoError(err, `read from ${this.dir} failed`);
    });
  }
}

function versioned(value: Json, entry: Entry): Versioned {
  const out: Versioned = { value, version: entry.version };
  if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
  return out;
}

/** The result of a single-mutation call. */
function firstResult(r: BatchResult): BatchResult["results"][number] {
  const first = r.results[0];
  assert(first !== undefined, "a single mutation has one result");
  return first;
}

function single(r: BatchResult): ValueWriteResult {
  const first = firstResult(r);
  assert(first.value !== undefined, "a patch or incr result holds a value");
  return { value: first.value, version: first.version, lsn: r.lsn };
}

/**
 * A live document's answer at `nowMs`, else undefined.
 * @throws WrongTypeError (FUSEDB_WRONG_TYPE) if the key holds another data type.
 */
function liveAt(entry: Entry | undefined, nowMs: number): Versioned | undefined {
  if (!isLive(entry, nowMs)) return undefined;
  if (entry.type !== undefined) throw new WrongTypeError(entry.type, "json document");
  return versioned(entry.value, entry);
}
