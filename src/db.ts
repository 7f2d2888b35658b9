/**
 * FuseDB: the engine's public face. Validates and encodes input, then takes one private path per kind of
 * work (abstract-level's habit): mutations go through `commit`, reads through the leaf.
 *
 * Write path (DESIGN.md durability contract):
 * 1. Mutations are prepared one at a time in call order. Each resolves against the newest state, including
 *    mutations already prepared but not yet durable (the overlay), so same-key mutations inside one group
 *    commit each get their own version and compose in order.
 * 2. The resolved effects become one WAL record (an atomic batch), queued for group commit.
 * 3. Once the record is durable the effects are applied to the leaf's buffer (visible to readers) and
 *    dispatched to subscribers, and only then does the caller's promise resolve. Readers never see the
 *    overlay. In durability mode 'relaxed' step 3 may run before the fdatasync, within a bounded window
 *    (`relaxedUnsyncedMax`); in mode 'memory' there is no file at all (see {@link Durability}).
 */
import type { Entry, Mutation } from "./doc/entry.js";
import { isLive, resolveMutation, validateMutation } from "./doc/entry.js";
import type { Json } from "./doc/json.js";
import type { KeyInput, KeyString } from "./doc/key.js";
import { KEY_BYTES_LIMIT, keyBytes, toKeyString } from "./doc/key.js";
import { assert, ClosedError, CorruptionError, InvalidArgumentError, PoisonedError } from "./errors.js";
import type { Clock } from "./io/clock.js";
import type { DirLock, FileSystem } from "./io/file-system.js";
import { joinPath, parentPath } from "./io/file-system.js";
import type { ChangeEvent, SubscribeOptions, SubscribeTarget } from "./reactive/subscriptions.js";
import { SUBSCRIBER_QUEUE_MAX_DEFAULT, Subscription, SubscriptionHub } from "./reactive/subscriptions.js";
import type { KeyRange } from "./tree/key-range.js";
import type { Manifest } from "./tree/manifest.js";
import { emptyManifest, MANIFEST_FILE, ManifestLog, readManifest } from "./tree/manifest.js";
import { parseSegmentFileName } from "./tree/segment-format.js";
import { SLICE_BYTES_DEFAULT } from "./tree/segment-writer.js";
import {
  type LeafInfo,
  leafOf,
  NOT_IN_MEMORY,
  Tree,
  type TreeHost,
  type TreeOptions,
  type TreeStats,
} from "./tree/tree.js";
import { mark } from "./util/coverage.js";
import { decodeBatch, type Effect, encodeBatch } from "./wal/batch-codec.js";
import type { CommitLog } from "./wal/commit-log.js";
import { RECORD_PAYLOAD_BYTES_MAX, RecordType, WAL_HEAD_FILE } from "./wal/format.js";
import { MemoryLog } from "./wal/memory-log.js";
import { openWalTail, resolveLiveWal, walFilesIn } from "./wal/wal-head.js";
import { recoverWal, type WalRecovery } from "./wal/wal-reader.js";
import { countFilesWhollyBelow, type WalFileInfo, WalWriter, type WalWriterStats } from "./wal/wal-writer.js";

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
  /** Largest key, in bytes. Default 1024, at most 65535 (the formats' u16 key length). */
  keyBytesMax?: number;
  /** Largest document as UTF-8 JSON text, in bytes. Default 1 MiB. */
  valueBytesMax?: number;
  /** WAL file rotation bound. Default 64 MiB. */
  walFileBytesMax?: number;
  /**
   * A checkpoint starts in the background once this many WAL bytes were written since the last automatic
   * one, so the log (and recovery time) stays bounded and expired documents are removed without a manual
   * `checkpoint()`. Driven by WAL size, never by a timer (DESIGN.md, Storage). Default 64 MiB.
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
  /** The manifest log is rewritten as one snapshot once it would pass this size. Default 1 MiB. */
  manifestBytesMax?: number;
}

/** Where and on what the database runs. `fs` and `clock` are the seam (src/io). */
export interface FuseDBConfig extends FuseDBOptions {
  /** Data directory. */
  dir: string;
  fs: FileSystem;
  clock: Clock;
  /** TEST ONLY: breaks the engine on purpose; see {@link UnsafeForTesting}. Never set it in production. */
  unsafeForTesting?: UnsafeForTesting;
}

/**
 * TEST ONLY. Deliberately broken engine variants for the simulator's sensitivity tests (issue 4): each flag
 * turns off one defence, and the oracle must then catch the engine within a bounded number of seeds
 * (test/sim-sensitivity.test.ts). A database opened with any flag set may lose or invent data.
 */
export interface UnsafeForTesting {
  /** The WAL writer acknowledges a group commit once its write returns, before the fdatasync. */
  ackBeforeSync?: boolean;
  /** WAL recovery and segment reads accept data whose crc32 does not match. */
  ignoreChecksums?: boolean;
  /** WAL recovery cuts the log at the first invalid record anywhere, as if every damage were a torn tail. */
  truncateAtFirstBadRecord?: boolean;
}

/** A document and its version, as `get` returns it. The value is deep-frozen. */
export interface Versioned {
  value: Json;
  version: number;
  /** Absolute expiry in Clock milliseconds, if the document has one (see `ttl`). */
  expiresAtMs?: number;
}

/**
 * A key's stored state as `inspect` returns it, ignoring expiry: a tombstone has `value` undefined. Expired
 * documents may still appear until background work turns them into tombstones (same version).
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

/** What recovery did when the database was opened. */
export interface RecoveryInfo {
  checkpointLsn: number;
  /** WAL records replayed above the checkpoint. */
  replayedRecords: number;
  /** LSN of the last durable record after recovery. */
  lastLsn: number;
  tornTail: WalRecovery["tornTail"];
  /** Orphan files removed (temp files, unreferenced segments, obsolete WAL files). */
  removedFiles: string[];
  /** Clock milliseconds spent in open. */
  durationMs: number;
}

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
  /** Bytes of keys and documents written by the caller's mutations. */
  userBytes: number;
  /**
   * Bytes written to disk (WAL, segments, manifest) per byte of user data; 0 before any write. Whole
   * records and blocks, not device pages.
   */
  writeAmplification: number;
}

type NumericOption = Exclude<keyof FuseDBOptions, "durability">;

const DEFAULTS: Required<Pick<FuseDBOptions, NumericOption>> = {
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  walFileBytesMax: 64 * 1024 * 1024,
  checkpointWalBytes: 64 * 1024 * 1024,
  groupCommitBytesMax: 4 * 1024 * 1024,
  leafBufferBytes: 1024 * 1024,
  bufferBytesMax: 64 * 1024 * 1024,
  leafBytesMax: 8 * 1024 * 1024,
  segmentsMax: 4,
  blockCacheBytes: 32 * 1024 * 1024,
  manifestBytesMax: 1024 * 1024,
  relaxedUnsyncedMax: 256,
  subscriberQueueMax: SUBSCRIBER_QUEUE_MAX_DEFAULT,
};

interface Prepared<T> {
  /** Resolves when the caller may be acknowledged (durable, or visible in mode 'relaxed'). */
  acked: Promise<void>;
  value: T;
}

/** A record appended to the log and not yet visible, in LSN order. */
interface Unapplied {
  lsn: number;
  effects: Effect[];
  durable: boolean;
  visible: () => void;
}

/** The database handle. Open it with {@link FuseDB.open} (or `open` from the package root). */
export class FuseDB {
  private readonly overlay = new Map<KeyString, Entry>();
  private prepTail: Promise<void> = Promise.resolve();
  private prepQueued = 0;
  /**
   * Call times of the calls queued for prepare, oldest first (FIFO, bounded by the calls in flight). Expired
   * documents are turned into tombstones only up to the oldest of them, so a queued call still resolves on
   * what was live at its call time.
   */
  private readonly queuedCallMs: number[] = [];
  private closed = false;
  private userBytes = 0;
  private poisonError: PoisonedError | CorruptionError | undefined;
  private appliedLsn: number;
  /** Records appended but not yet visible, LSN order. Bounded by the calls in flight. */
  private readonly unapplied: (Unapplied | undefined)[] = [];
  private head = 0;
  /** Mode 'relaxed': records visible (acknowledged) but not yet durable; at most relaxedUnsyncedMax. */
  private visibleUnsynced = 0;
  private readonly hub = new SubscriptionHub();

  private constructor(
    private readonly clock: Clock,
    readonly dir: string,
    private readonly options: ResolvedOptions,
    private readonly lock: DirLock | undefined,
    private readonly tree: Tree,
    private readonly wal: CommitLog,
    /** What recovery did at open. */
    readonly recovery: RecoveryInfo,
  ) {
    this.appliedLsn = wal.durableLsn;
  }

  /** The durability mode this handle runs in. */
  get durability(): Durability {
    return this.options.durability;
  }

  /**
   * Opens (creating if needed) the database in `config.dir`, recovering from its WAL and segments.
   * @throws LockedError (FUSEDB_LOCKED) if another process or handle has it open.
   * @throws CorruptionError (FUSEDB_CORRUPTION) naming file and offset if durable data is damaged.
   */
  static async open(config: FuseDBConfig): Promise<FuseDB> {
    const options = resolveOptions(config);
    const { fs, clock, dir } = config;
    const started = clock.now();
    if (options.durability === "memory") {
      const recovery: RecoveryInfo = {
        checkpointLsn: 0,
        replayedRecords: 0,
        lastLsn: 0,
        tornTail: undefined,
        removedFiles: [],
        durationMs: 0,
      };
      const tree = Tree.inMemory(treeOptions(options));
      return new FuseDB(clock, dir, options, undefined, tree, new MemoryLog(), recovery);
    }
    if (!(await fs.exists(dir))) {
      // A new directory's entry is durable only once its parent is synced (the seam's contract).
      await fs.mkdir(dir);
      await fs.syncDir(parentPath(dir));
    }
    const lock = await fs.lock(dir);
    try {
      const read = await readManifest(fs, dir);
      let manifest = read?.manifest;
      const names = await fs.list(dir);
      const walFiles = walFilesIn(names);
      if (!manifest) {
        const dataFiles = walFiles.length > 0 || names.includes(WAL_HEAD_FILE);
        if (dataFiles || names.some((n) => parseSegmentFileName(n) !== undefined)) {
          throw new CorruptionError(MANIFEST_FILE, 0, "missing, but WAL or segment files exist");
        }
        manifest = emptyManifest();
      }
      // WALHEAD names the newest WAL file: a missing one is damage; files past it that hold no record are
      // leftovers of a rotation a crash interrupted (src/wal/wal-head.ts).
      const headed = await resolveLiveWal(fs, dir, walFiles, {
        checkpointLsn: manifest.checkpointLsn,
        hasSegments: manifest.leaves.some((l) => l.segments.length > 0),
      });
      checkManifestAgainstFiles(manifest, read?.tornAt, names, headed.files);
      // Orphans are only listed now and deleted once recovery succeeded: nothing goes before the state it
      // would be an orphan of is known to recover.
      const removedFiles = [...findOrphans(names, manifest, headed.files), ...headed.unused];
      const liveWal = headed.files.filter((f) => !removedFiles.includes(f.name));

      let opened: Awaited<ReturnType<typeof Tree.openSegments>> | undefined;
      let recovered: WalRecovery;
      let manifestLog: ManifestLog;
      try {
        opened = await Tree.openSegments(
          fs,
          dir,
          manifest,
          options.blockCacheBytes,
          options.unsafeForTesting.ignoreChecksums !== true,
        );
        const leaves = opened.leaves;
        const checkpointLsn = manifest.checkpointLsn;
        recovered = await recoverWal(
          fs,
          dir,
          liveWal,
          checkpointLsn,
          (record, file) => {
            let effects: Effect[];
            try {
              effects = decodeBatch(record.payload, record.lsn);
            } catch (err) {
              throw new CorruptionError(file, record.offset, `bad batch payload: ${(err as Error).message}`);
            }
            // A leaf's segments already hold its records up to its flushed LSN.
            for (const { key, entry } of effects) {
              const leaf = leafOf(leaves, key);
              if (entry.lsn > leaf.flushedLsn) {
                leaf.active.set(key, entry);
                leaf.seqno = Math.max(leaf.seqno, entry.lsn);
              } else mark("recovery.replay-skipped-flushed");
            }
          },
          options.unsafeForTesting,
        );
        if (recovered.lastLsn < checkpointLsn) {
          throw new CorruptionError(
            liveWal[liveWal.length - 1]?.name ?? MANIFEST_FILE,
            recovered.lastFileBytes,
            `WAL ends at LSN ${recovered.lastLsn}, before checkpoint ${checkpointLsn}`,
            { missing: true },
          );
        }
        for (const name of removedFiles) await fs.remove(joinPath(dir, name));
        if (removedFiles.length > 0) await fs.syncDir(dir);
        // A fresh log of one snapshot: a torn final edit never stays in front of new ones.
        manifestLog = await ManifestLog.create(fs, dir, manifest, options.manifestBytesMax);
      } catch (err) {
        for (const leaf of opened?.leaves ?? []) for (const seg of leaf.segments) await seg.release();
        const tornAt = read?.tornAt;
        if (tornAt !== undefined && err instanceof CorruptionError && err.missing) {
          // Files are deleted only after an edit is durable, so the state before a torn final edit never
          // misses a WAL file or record: if it does, that edit was damaged, not torn. (Checksum damage in a
          // file is reported as that file's.)
          throw new CorruptionError(
            MANIFEST_FILE,
            tornAt,
            `final edit unreadable, and the state before it does not recover (${err.message}): damage, not a torn append`,
          );
        }
        throw err;
      }
      const nextLsn = recovered.lastLsn + 1;
      const tail = await openWalTail(fs, dir, liveWal, recovered);
      const wal = new WalWriter(fs, dir, tail, liveWal, nextLsn, {
        fileBytesMax: options.walFileBytesMax,
        groupBytesMax: options.groupCommitBytesMax,
        ackBeforeSync: options.unsafeForTesting.ackBeforeSync,
      });
      const recovery: RecoveryInfo = {
        checkpointLsn: manifest.checkpointLsn,
        replayedRecords: recovered.replayed,
        lastLsn: recovered.lastLsn,
        tornTail: recovered.tornTail,
        removedFiles,
        durationMs: clock.now() - started,
      };
      const hooks = {
        applied: (): number => wal.durableLsn,
        horizon: (): number => clock.now(),
        failed: (_err: unknown): void => undefined,
      };
      const host: TreeHost = {
        fs,
        dir,
        appliedLsn: () => hooks.applied(),
        waitDurable: (lsn) => wal.waitDurable(lsn),
        expiryHorizonMs: () => hooks.horizon(),
        walBytesWritten: () => wal.stats.bytesWritten,
        takeWalFilesBelow: (lsn) => wal.takeFilesBelow(lsn),
        onBackgroundError: (err) => hooks.failed(err),
      };
      const tree = Tree.create(host, manifestLog, opened.cache, opened.leaves, treeOptions(options));
      const db = new FuseDB(clock, dir, options, lock, tree, wal, recovery);
      hooks.applied = () => db.appliedLsn;
      hooks.horizon = () => db.expiryHorizonMs();
      hooks.failed = (err) => {
        db.poisonError ??= err instanceof CorruptionError ? err : (db.wal.poisoned ?? new PoisonedError(err));
      };
      return db;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * The document stored under `key` and its version, or undefined if the key is missing, deleted or expired
   * (`clock.now() >= expiresAtMs`). Sees exactly the mutations that are durable (mode 'fsync').
   * @throws InvalidArgumentError for a bad key; ClosedError; CorruptionError if the data read is damaged.
   */
  async get(key: KeyInput): Promise<Versioned | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.tree.get(k);
    if (!isLive(entry, this.clock.now())) return undefined;
    return versioned(entry.value, entry);
  }

  /**
   * Remaining time to live of `key` in Clock milliseconds (at least 1); `null` if the document has no
   * expiry; `undefined` if the key is missing, deleted or expired. (Redis TTL answers -1 and -2 for the last
   * two; here they are typed.)
   * @throws InvalidArgumentError for a bad key; ClosedError; CorruptionError on damaged data.
   */
  async ttl(key: KeyInput): Promise<number | null | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.tree.get(k);
    const now = this.clock.now();
    if (!isLive(entry, now)) return undefined;
    return entry.expiresAtMs === undefined ? null : entry.expiresAtMs - now;
  }

  /**
   * The key's stored state regardless of expiry, tombstones included; undefined if it never existed. For
   * tools and checkers: the simulator compares it with its model. Sees exactly what `get` sees.
   */
  async inspect(key: KeyInput): Promise<StoredState | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.tree.get(k);
    if (entry === undefined) return undefined;
    const out: StoredState = { version: entry.version, value: entry.value };
    if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
    return out;
  }

  /**
   * The key's current version, counting deletes and expiries: 0 if it never existed, the tombstone's (or
   * the expired document's) version otherwise. Sees exactly the durable mutations. Useful for checkers;
   * for a conditional write pass `get(key)?.version ?? 0` as `ifVersion`.
   */
  async versionOf(key: KeyInput): Promise<number> {
    const k = this.key(key);
    this.assertOpen();
    return (await this.tree.get(k))?.version ?? 0;
  }

  /**
   * Up to `limit` live documents with keys inside the bounds, in bytewise key order (or reverse). Sees
   * exactly the durable mutations, like `get`.
   * @throws InvalidArgumentError for bad bounds or limit; ClosedError; CorruptionError on damaged data.
   */
  async scan(options: ScanOptions = {}): Promise<ScanEntry[]> {
    const limit = options.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `scan limit must be 1..${SCAN_LIMIT_MAX}`);
    }
    if (
      (options.gt !== undefined && options.gte !== undefined) ||
      (options.lt !== undefined && options.lte !== undefined)
    ) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "scan takes at most one lower and one upper bound",
      );
    }
    const range: KeyRange = {};
    if (options.gt !== undefined) range.gt = this.key(options.gt);
    if (options.gte !== undefined) range.gte = this.key(options.gte);
    if (options.lt !== undefined) range.lt = this.key(options.lt);
    if (options.lte !== undefined) range.lte = this.key(options.lte);
    this.assertOpen();
    const found = await this.tree.scan(range, limit, options.reverse === true, this.clock.now());
    return found.map(([k, entry]) => {
      const bytes = keyBytes(k);
      return { key: bytes.toString("utf8"), keyBytes: bytes, ...versioned(entry.value as Json, entry) };
    });
  }

  /**
   * Stores `value` under `key`. Resolves once durable. With `ttlMs` the document expires that many Clock
   * milliseconds after the call (absolute time, logged, so recovery agrees); without it, any earlier expiry
   * is cleared (Redis SET). With `ifVersion` it is a compare-and-set.
   * @throws VersionConflictError (FUSEDB_VERSION_CONFLICT); InvalidArgumentError (FUSEDB_INVALID_JSON,
   *   FUSEDB_KEY_TOO_LARGE, FUSEDB_VALUE_TOO_LARGE, FUSEDB_INVALID_ARGUMENT for a bad ttlMs, ...);
   *   PoisonedError; ClosedError.
   */
  async set(key: KeyInput, value: Json, options: SetOptions = {}): Promise<WriteResult> {
    const r = await this.commit([
      { op: "set", key, value, ttlMs: options.ttlMs, ifVersion: options.ifVersion },
    ]);
    return { version: (r.results[0] as BatchResult["results"][number]).version, lsn: r.lsn };
  }

  /**
   * Deletes `key` by writing a versioned tombstone (its version grows by one). Resolves once durable.
   * @throws VersionConflictError if `ifVersion` is given and does not match.
   */
  async delete(key: KeyInput, options: ConditionalOptions = {}): Promise<WriteResult> {
    const r = await this.commit([{ op: "delete", key, ifVersion: options.ifVersion }]);
    return { version: (r.results[0] as BatchResult["results"][number]).version, lsn: r.lsn };
  }

  /**
   * Applies an RFC 7396 JSON Merge Patch to the document under `key` (a missing or expired key patches `{}`
   * when the patch is an object). Keeps the document's expiry. Resolves with the new document once durable.
   * @throws VersionConflictError if `ifVersion` is given and does not match.
   */
  async patch(key: KeyInput, patch: Json, options: ConditionalOptions = {}): Promise<ValueWriteResult> {
    return single(await this.commit([{ op: "patch", key, patch, ifVersion: options.ifVersion }]));
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
    return single(await this.commit([{ op: "incr", key, delta, ifVersion: options.ifVersion }]));
  }

  /**
   * Sets the live document under `key` to expire `ms` Clock milliseconds after the call (Redis EXPIRE, in
   * milliseconds). A mutation like any other: the version grows by one and subscribers get a "put" event.
   * @throws NotFoundError (FUSEDB_NOT_FOUND) if the key is missing, deleted or expired; InvalidArgumentError
   *   if `ms` is not a positive safe integer; VersionConflictError if `ifVersion` does not match.
   */
  async expire(key: KeyInput, ms: number, options: ConditionalOptions = {}): Promise<WriteResult> {
    const r = await this.commit([{ op: "expire", key, ms, ifVersion: options.ifVersion }]);
    return { version: (r.results[0] as BatchResult["results"][number]).version, lsn: r.lsn };
  }

  /**
   * Subscribes to changes of one key, or of every key starting with `prefix` (bytewise). Returns an async
   * iterator of {@link ChangeEvent}s in commit order, from the next committed change on; see
   * src/reactive/subscriptions.ts for eviction (FUSEDB_SLOW_SUBSCRIBER) and unsubscription.
   * @throws InvalidArgumentError for a bad key, prefix or queueMax; ClosedError.
   */
  subscribe(target: SubscribeTarget<KeyInput>, options: SubscribeOptions = {}): Subscription {
    const queueMax = options.queueMax ?? this.options.subscriberQueueMax;
    if (!Number.isSafeInteger(queueMax) || queueMax < 1) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "queueMax must be a positive integer");
    }
    const isPrefix = typeof target === "object" && target !== null && "prefix" in target;
    const match = isPrefix
      ? { prefix: this.prefix((target as { prefix: KeyInput }).prefix) }
      : { key: this.key(target) };
    this.assertOpen();
    return new Subscription(this.hub, match, queueMax, options.signal);
  }

  /**
   * Applies `mutations` atomically: one WAL record, all or nothing, even across a crash. Mutations of the
   * same key compose in order, each with its own version. If any mutation is invalid or any `ifVersion`
   * conflicts, none is applied and the call rejects with that mutation's error.
   */
  async batch(mutations: readonly Mutation[]): Promise<BatchResult> {
    if (!Array.isArray(mutations) || mutations.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "batch needs a non-empty array of mutations");
    }
    return this.commit(mutations);
  }

  /**
   * Writes the buffer into a new segment (temp file, fdatasync, rename, syncDir), records the checkpoint
   * LSN in the manifest the same way, then deletes the WAL files that lie wholly below it.
   * Writes go on while it runs. Resolves with the checkpoint LSN.
   */
  async checkpoint(): Promise<{ lsn: number }> {
    this.assertWritable();
    if (this.options.durability === "memory") {
      // Nothing to write: background work is the removal of expired documents.
      this.tree.sweepExpired(this.expiryHorizonMs());
      return { lsn: this.appliedLsn };
    }
    await this.wal.rotate();
    try {
      return { lsn: await this.tree.checkpoint() };
    } catch (err) {
      // A failed manifest edit poisoned the database: report that, not the raw I/O error.
      throw this.poisonError ?? err;
    }
  }

  /** Counters: WAL activity, LSNs, buffer and file sizes. */
  stats(): FuseDBStats {
    const tree = this.tree.stats();
    const written = this.wal.stats.bytesWritten + tree.segmentBytesWritten + tree.manifestBytes;
    return {
      wal: { ...this.wal.stats },
      durableLsn: this.wal.durableLsn,
      checkpointLsn: this.tree.floorLsn,
      bufferedEntries: tree.bufferedEntries,
      bufferedBytes: tree.bufferedBytes,
      segmentBytes: tree.segmentBytes,
      walFiles: this.wal.liveFiles().length,
      subscribers: this.hub.size,
      tree,
      userBytes: this.userBytes,
      writeAmplification: this.userBytes === 0 ? 0 : written / this.userBytes,
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
   * queued events), and releases the directory lock.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.prepTail;
    await this.tree.close();
    await this.wal.close();
    this.hub.closeAll();
    await this.lock?.release();
  }

  // ---- the one write path ----

  private async commit(mutations: readonly Mutation[]): Promise<BatchResult> {
    const keys = mutations.map((m) => {
      if (typeof m !== "object" || m === null) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a mutation must be an object");
      }
      validateMutation(m);
      return this.key(m.key);
    });
    this.assertWritable();
    // The time of the call: expiries are relative to it, and so is "expired" while resolving. Calls are
    // prepared in call order and the clock never goes back, so resolution times follow commit order.
    const nowMs = this.clock.now();
    let prepared: Prepared<BatchResult>;
    // Gradual backpressure (buffers past half their budget): the call waits for a slice of background work
    // inside the prepare queue, so calls still take effect in call order.
    const throttle = this.tree.backpressure();
    if (
      throttle === undefined &&
      this.prepQueued === 0 &&
      keys.every((k) => this.lookupPendingMemory(k) !== NOT_IN_MEMORY)
    ) {
      // Fast path: nothing queued ahead and memory knows every key.
      prepared = this.prepare(mutations, keys, new Map(), nowMs);
    } else {
      prepared = await this.enqueuePrepare(mutations, keys, nowMs, throttle);
    }
    await prepared.acked;
    return prepared.value;
  }

  private enqueuePrepare(
    mutations: readonly Mutation[],
    keys: KeyString[],
    nowMs: number,
    throttle?: Promise<void>,
  ): Promise<Prepared<BatchResult>> {
    this.prepQueued++;
    this.queuedCallMs.push(nowMs);
    const run = this.prepTail.then(async () => {
      try {
        await throttle;
        const bases = new Map<KeyString, Entry | undefined>();
        // Re-check after every read: a flush that finished meanwhile may have moved a key from the frozen
        // buffer into the segment. Bounded: each pass reads at least one new key, or ends.
        try {
          for (;;) {
            const missing = keys.filter(
              (k) => !bases.has(k) && this.lookupPendingMemory(k) === NOT_IN_MEMORY,
            );
            if (missing.length === 0) break;
            for (const k of missing) bases.set(k, await this.tree.get(k));
          }
        } catch (err) {
          // The call cannot resolve. Calls take effect in call order, so none after it may either: a damaged
          // or unreadable base stops writes (FUSEDB_CORRUPTION, or FUSEDB_POISONED naming the I/O error).
          this.poisonError ??= err instanceof CorruptionError ? err : new PoisonedError(err);
          throw err;
        }
        this.assertWritable();
        return this.prepare(mutations, keys, bases, nowMs);
      } finally {
        this.prepQueued--;
        this.queuedCallMs.shift();
      }
    });
    this.prepTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Synchronous: resolves every mutation, appends the record, updates the overlay. Throws → no change. */
  private prepare(
    mutations: readonly Mutation[],
    keys: KeyString[],
    bases: Map<KeyString, Entry | undefined>,
    nowMs: number,
  ): Prepared<BatchResult> {
    const lsn = this.wal.nextLsnPreview;
    const latest = new Map<KeyString, Entry | undefined>();
    const effects: Effect[] = [];
    const results: BatchResult["results"] = [];
    for (let i = 0; i < mutations.length; i++) {
      const k = keys[i] as KeyString;
      const current = latest.has(k) ? latest.get(k) : this.baseFor(k, bases);
      const next = resolveMutation(current, mutations[i] as Mutation, lsn, this.options, nowMs);
      latest.set(k, next);
      results.push({ version: next.version, value: next.value });
    }
    // One effect per key: the last state wins; versions already count every step.
    for (const [key, entry] of latest) effects.push({ key, entry: entry as Entry });
    let bytes = 0;
    for (const { key, entry } of effects) bytes += key.length + (entry.text?.length ?? 0);
    const payload = encodeBatch(effects);
    if (payload.length > RECORD_PAYLOAD_BYTES_MAX) {
      throw new InvalidArgumentError(
        "FUSEDB_VALUE_TOO_LARGE",
        `batch of ${payload.length} bytes is too large`,
      );
    }
    let visible = (): void => undefined;
    const becameVisible = new Promise<void>((resolve) => {
      visible = resolve;
    });
    const record: Unapplied = { lsn, effects, durable: false, visible };
    const appended = this.wal.append(RecordType.Batch, payload, () => this.onDurable(record));
    assert(appended.lsn === lsn, "LSN preview matches the appended record");
    this.unapplied.push(record);
    this.userBytes += bytes;
    for (const { key, entry } of effects) this.overlay.set(key, entry);
    if (this.options.durability !== "relaxed") return { acked: appended.durable, value: { lsn, results } };
    this.pump();
    // Relaxed: acknowledged once visible, or rejected if the log fails first. A failure after the
    // acknowledgement is the documented loss window; later calls see the poison.
    const acked = Promise.race([becameVisible, appended.durable.then(() => becameVisible)]);
    return { acked, value: { lsn, results } };
  }

  /** The log made `record` durable (LSN order). */
  private onDurable(record: Unapplied): void {
    record.durable = true;
    if (record.lsn <= this.appliedLsn) {
      this.visibleUnsynced--;
      return;
    }
    this.pump();
    assert(record.lsn <= this.appliedLsn, "a durable record is visible");
  }

  /**
   * Makes records visible in LSN order: every durable one, and in mode 'relaxed' also undurable ones while
   * fewer than `relaxedUnsyncedMax` visible records are unsynced (and no checkpoint holds them back).
   * Bounded by the records appended.
   */
  private pump(): void {
    const relaxed = this.options.durability === "relaxed";
    for (;;) {
      const next = this.unapplied[this.head];
      if (next === undefined) break;
      if (!next.durable) {
        const early =
          relaxed &&
          this.wal.poisoned === undefined &&
          this.visibleUnsynced < this.options.relaxedUnsyncedMax;
        if (!early) break;
        this.visibleUnsynced++;
      }
      this.unapplied[this.head++] = undefined;
      this.apply(next.lsn, next.effects);
      next.visible();
    }
    if (this.head > 1024 && this.head * 2 > this.unapplied.length) {
      this.unapplied.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Makes one record's effects visible to readers and subscribers. */
  private apply(lsn: number, effects: Effect[]): void {
    assert(lsn === this.appliedLsn + 1, "records become visible in LSN order");
    this.appliedLsn = lsn;
    for (const { key, entry } of effects) {
      this.tree.apply(key, entry);
      if (this.overlay.get(key)?.lsn === lsn) this.overlay.delete(key);
    }
    this.hub.dispatch(lsn, effects);
  }

  private lookupPendingMemory(k: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const pending = this.overlay.get(k);
    if (pending) return pending;
    return this.tree.lookupMemory(k);
  }

  private baseFor(k: KeyString, bases: Map<KeyString, Entry | undefined>): Entry | undefined {
    const mem = this.lookupPendingMemory(k);
    if (mem !== NOT_IN_MEMORY) return mem;
    assert(bases.has(k), "a key memory cannot answer was read before prepare");
    return bases.get(k);
  }

  /**
   * Expiry horizon for background work: no older than any queued call's time (see queuedCallMs), since a
   * queued call still resolves on what was live at its call time; later calls are newer.
   */
  private expiryHorizonMs(): number {
    return Math.min(this.clock.now(), this.queuedCallMs[0] ?? Number.POSITIVE_INFINITY);
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

  private assertOpen(): void {
    if (this.closed) throw new ClosedError();
  }

  private assertWritable(): void {
    this.assertOpen();
    const poisoned = this.poisonError ?? this.wal.poisoned;
    if (poisoned) throw poisoned;
  }
}

function versioned(value: Json, entry: Entry): Versioned {
  const out: Versioned = { value, version: entry.version };
  if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
  return out;
}

function single(r: BatchResult): ValueWriteResult {
  const first = r.results[0];
  assert(first !== undefined && first.value !== undefined, "a patch or incr result holds a value");
  return { value: first.value, version: first.version, lsn: r.lsn };
}

/** The tree's knobs from the engine's options. */
function treeOptions(o: ResolvedOptions): TreeOptions {
  return {
    leafBufferBytes: o.leafBufferBytes,
    bufferBytesMax: o.bufferBytesMax,
    leafBytesMax: o.leafBytesMax,
    segmentsMax: o.segmentsMax,
    hotWriteShare: 0.25,
    checkpointWalBytes: o.checkpointWalBytes,
    blockCacheBytes: o.blockCacheBytes,
    sliceBytes: SLICE_BYTES_DEFAULT,
    ignoreChecksums: o.unsafeForTesting.ignoreChecksums,
  };
}

/** Options with every default filled in. */
type ResolvedOptions = Required<FuseDBOptions> & { unsafeForTesting: UnsafeForTesting };

function resolveOptions(o: FuseDBConfig): ResolvedOptions {
  const durability = o.durability ?? "fsync";
  if (durability !== "fsync" && durability !== "relaxed" && durability !== "memory") {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      `option durability must be 'fsync', 'relaxed' or 'memory'`,
    );
  }
  const out: ResolvedOptions = { ...DEFAULTS, durability, unsafeForTesting: o.unsafeForTesting ?? {} };
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
  // The manifest reader refuses a MANIFEST over 64 MiB (src/tree/manifest.ts, BODY_BYTES_MAX).
  manifestBytesMax: 64 * 1024 * 1024,
  segmentsMax: Number.MAX_SAFE_INTEGER,
  relaxedUnsyncedMax: Number.MAX_SAFE_INTEGER,
  subscriberQueueMax: Number.MAX_SAFE_INTEGER,
};

/**
 * The files the manifest relies on must exist: its segments, and the WAL from just above its checkpoint LSN
 * (files below it may be gone). When they do not, and the manifest's final edit was unreadable, that edit
 * was not a torn (never synced) append — files were deleted only after it was durable — but damage of
 * durable data: a CorruptionError names the manifest, not the file found missing.
 * @throws CorruptionError naming MANIFEST (or the missing segment).
 */
export function checkManifestAgainstFiles(
  manifest: Manifest,
  tornAt: number | undefined,
  names: readonly string[],
  walFiles: readonly WalFileInfo[],
): void {
  const present = new Set(names);
  const missing = manifest.leaves.flatMap((l) => l.segments).find((n) => !present.has(n));
  // Sorted by first LSN: the oldest file must hold LSN checkpoint + 1 or lie below it.
  const walGap = walFiles.length > 0 && (walFiles[0] as WalFileInfo).firstLsn > manifest.checkpointLsn + 1;
  if (missing === undefined && !walGap) return;
  const what =
    missing !== undefined
      ? `segment ${missing} is missing`
      : `the WAL starts above LSN ${manifest.checkpointLsn + 1}`;
  if (tornAt !== undefined) {
    throw new CorruptionError(
      MANIFEST_FILE,
      tornAt,
      `final edit unreadable and ${what}: damage, not a torn append`,
    );
  }
  if (missing !== undefined)
    throw new CorruptionError(missing, 0, "segment named in the manifest is missing");
}

/** Temp files, unreferenced segments and WAL files wholly below the checkpoint: removed after recovery. Deterministic. */
function findOrphans(names: string[], manifest: Manifest, walFiles: WalFileInfo[]): string[] {
  const live = new Set(manifest.leaves.flatMap((l) => l.segments));
  const orphans: string[] = [];
  for (const name of names) {
    const orphanSegment = parseSegmentFileName(name) !== undefined && !live.has(name);
    // LOCK* files belong to the file system's lock protocol, not to the engine.
    if ((name.endsWith(".tmp") && !name.startsWith("LOCK")) || orphanSegment) orphans.push(name);
  }
  for (const f of walFiles.slice(0, countFilesWhollyBelow(walFiles, manifest.checkpointLsn)))
    orphans.push(f.name);
  return orphans;
}
