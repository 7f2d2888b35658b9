/**
 * Opening a data directory: lock it, read the manifest, check it against the files present, open the
 * segments it names, replay the WAL above its checkpoint into the leaves' buffers, remove orphans, and hand
 * back what the engine runs on (the lock, the leaves, a fresh manifest log, a WAL writer at the recovered
 * end). The file rules (kinds of file, orphans, the files the manifest needs) are the tools' too:
 * src/tools/db-files.ts.
 *
 * Read-only (`readOnly: true`, {@link recoverReadOnly}): the same reading and replay, through the tools'
 * read-only view of the file system (src/tools/read-only-file-system.ts) and the WAL reader's read-only
 * mode, under a shared lock; nothing is created, removed, cut or rewritten.
 *
 * Order (DESIGN.md, Recovery): nothing is deleted before the state it would be an orphan of is known to
 * recover; a torn final manifest edit is dropped only if the state before it recovers whole.
 */
import { VersionFloor } from "./doc/version-floor.js";
import { assert, CorruptionError, LockedError, markCorruption } from "./errors.js";
import type { DirLock, FileSystem } from "./io/file-system.js";
import { DirLockHeldError, ioErrorCode, joinPath, mkdirDurable } from "./io/file-system.js";
import type { ResolvedOptions } from "./options.js";
import {
  checkManifestAgainstFiles,
  type DbFiles,
  findOrphans,
  hasDataFiles,
  listDbFiles,
} from "./tools/db-files.js";
import { readOnlyFileSystem } from "./tools/read-only-file-system.js";
import type { BlockCache } from "./tree/block-cache.js";
import type { Leaf } from "./tree/leaf.js";
import type { Manifest } from "./tree/manifest.js";
import { emptyManifest, MANIFEST_FILE, ManifestLog, readManifest } from "./tree/manifest.js";
import type { Block } from "./tree/segment-reader.js";
import { type FloorRaise, leafOf, Tree } from "./tree/tree.js";
import { mark } from "./util/coverage.js";
import { decodeBatchRecord, type TimedBatch } from "./wal/batch-codec.js";
import { ReadOnlyLog } from "./wal/read-only-log.js";
import { openWalTail, resolveLiveWal } from "./wal/wal-head.js";
import { recoverWal, type WalRecovery } from "./wal/wal-reader.js";
import { type WalFileInfo, WalWriter } from "./wal/wal-writer.js";

/** What recovery did when the database was opened. */
export interface RecoveryInfo {
  checkpointLsn: number;
  /** WAL records replayed above the checkpoint. */
  replayedRecords: number;
  /** Bytes of those records (headers included): with `durationMs`, the replay rate. */
  replayedBytes: number;
  /** LSN of the last durable record after recovery. */
  lastLsn: number;
  /** The torn tail cut from the last WAL file (read-only: found and left in place), if any. */
  tornTail: WalRecovery["tornTail"];
  /** Orphan files removed (temp files, unreferenced segments, obsolete WAL files); none when read-only. */
  removedFiles: string[];
  /** The durable clock floor recovered: the engine clock started no lower (docs/wal-format.md). */
  clockFloorMs: number;
  /** Clock milliseconds spent in open. */
  durationMs: number;
}

/** The report of an open that recovered nothing (mode 'memory'). */
export function nothingRecovered(): RecoveryInfo {
  return {
    checkpointLsn: 0,
    replayedRecords: 0,
    replayedBytes: 0,
    lastLsn: 0,
    tornTail: undefined,
    removedFiles: [],
    clockFloorMs: 0,
    durationMs: 0,
  };
}

/** A recovered directory, ready for the engine. The caller owns the lock (and releases it on close). */
export interface Recovered {
  lock: DirLock;
  /** The manifest's leaves, their segments open, the WAL above each leaf's flushed LSN in their buffers. */
  leaves: Leaf[];
  cache: BlockCache<Block>;
  /** The dead-version floor: the manifest's, raised by every replayed record. */
  floor: VersionFloor;
  /** The replayed records' raises of the floor, LSN order (the manifest gets them as its floor passes). */
  raises: FloorRaise[];
  /** A fresh manifest log of one snapshot. */
  manifestLog: ManifestLog;
  /** Appends after the last recovered record. */
  wal: WalWriter;
  /** The durable clock floor: the engine clock starts there (docs/wal-format.md, "Clock floor"). */
  clockFloorMs: number;
  /** The report, all but the time spent (the caller's clock measures it). */
  report: Omit<RecoveryInfo, "durationMs">;
}

/** A directory recovered read-only: nothing on disk changed. The caller owns the lock, if one was taken. */
export interface RecoveredReadOnly {
  /** The shared lock; undefined if the file system refused to lock (see `FuseDBOptions.readOnly`). */
  lock: DirLock | undefined;
  leaves: Leaf[];
  cache: BlockCache<Block>;
  /** The dead-version floor: the manifest's, raised by every replayed record. */
  floor: VersionFloor;
  /** The manifest's checkpoint LSN. */
  checkpointLsn: number;
  /** The WAL as found; never appended to. */
  wal: ReadOnlyLog;
  /** The durable clock floor, as {@link Recovered}. */
  clockFloorMs: number;
  report: Omit<RecoveryInfo, "durationMs">;
}

/** The manifest, the files, and the leaves and WAL as replayed, before anything is tidied or written. */
interface Replayed {
  manifest: Manifest;
  /** Orphan files in removal order (see `findOrphans`). */
  orphanNames: string[];
  /** The WAL files above the checkpoint, oldest first. */
  liveWal: WalFileInfo[];
  opened: { leaves: Leaf[]; cache: BlockCache<Block> };
  recovered: WalRecovery;
  floor: VersionFloor;
  raises: FloorRaise[];
  /** The durable clock floor: the manifest's, or the newest call time replayed if later. */
  clockFloorMs: number;
}

/**
 * Opens (creating if needed) the database directory `dir` and recovers it.
 * @throws LockedError (FUSEDB_LOCKED) if another process or handle has it open.
 * @throws CorruptionError (FUSEDB_CORRUPTION) naming file and offset if durable data is damaged.
 * @param yieldTurn lets the event loop run one turn (the engine clock's `yield`): the WAL writer gathers
 *   its groups over turns (src/wal/wal-writer.ts). Absent: each group starts with what is queued.
 * @throws the file system's error (the engine reports it as FUSEDB_IO).
 */
export async function recover(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  yieldTurn?: () => Promise<void>,
): Promise<Recovered> {
  assert(!options.readOnly, "a read-only open recovers with recoverReadOnly");
  // Every directory created on the way is durable: each new entry's parent is synced (the seam's contract).
  await mkdirDurable(fs, dir);
  const lock = await fs.lock(dir).catch((err: unknown) => {
    throw err instanceof DirLockHeldError ? new LockedError(dir, err.holder, { cause: err }) : err;
  });
  try {
    return await recoverLocked(fs, dir, options, lock, yieldTurn);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Recovers the database in `dir` without changing anything on disk (`readOnly: true`): under a shared lock
 * (or none, if the file system refuses one; see `FuseDBOptions.readOnly`), through a read-only view of `fs`,
 * replaying the WAL in the reader's read-only mode (a torn tail is reported, not cut). Orphans stay.
 * @throws LockedError (FUSEDB_LOCKED) if a writer has it open; CorruptionError as {@link recover}; the file
 *   system's error (a missing directory: ENOENT).
 */
export async function recoverReadOnly(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
): Promise<RecoveredReadOnly> {
  assert(options.readOnly, "recoverReadOnly serves read-only opens");
  const lock = await lockShared(fs, dir);
  try {
    const state = await replay(readOnlyFileSystem(fs), dir, options, true);
    const { recovered } = state;
    return {
      lock,
      leaves: state.opened.leaves,
      cache: state.opened.cache,
      floor: state.floor,
      checkpointLsn: state.manifest.checkpointLsn,
      wal: new ReadOnlyLog(recovered.lastLsn, state.liveWal, state.clockFloorMs),
      clockFloorMs: state.clockFloorMs,
      report: {
        checkpointLsn: state.manifest.checkpointLsn,
        replayedRecords: recovered.replayed,
        replayedBytes: recovered.replayedBytes,
        lastLsn: recovered.lastLsn,
        tornTail: recovered.tornTail,
        removedFiles: [],
        clockFloorMs: state.clockFloorMs,
      },
    };
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

/** Codes with which a file system refuses a lock for want of write access: a reader then reads unlocked. */
const LOCK_REFUSED = new Set(["EROFS", "EACCES", "EPERM"]);

/** The shared lock of a read-only open, or undefined if the file system refuses to lock `dir` for us. */
async function lockShared(fs: FileSystem, dir: string): Promise<DirLock | undefined> {
  try {
    return await fs.lock(dir, { shared: true });
  } catch (err) {
    if (err instanceof DirLockHeldError) throw new LockedError(dir, err.holder, { cause: err });
    if (!LOCK_REFUSED.has(ioErrorCode(err) ?? "")) throw err;
    mark("recovery.read-only-unlocked");
    return undefined;
  }
}

async function recoverLocked(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  lock: DirLock,
  yieldTurn: (() => Promise<void>) | undefined,
): Promise<Recovered> {
  const state = await replay(fs, dir, options, false);
  const { recovered, opened, clockFloorMs } = state;
  // The snapshot carries the floor, so it outlives the WAL files that held it.
  const manifest: Manifest = { ...state.manifest, clockFloorMs };
  try {
    for (const name of state.orphanNames) await fs.remove(joinPath(dir, name));
    if (state.orphanNames.length > 0) await fs.syncDir(dir);
    // A fresh log of one snapshot: a torn final edit never stays in front of new ones.
    const manifestLog = await ManifestLog.create(fs, dir, manifest, options.manifestBytesMax);
    const wal = await openWalWriter(fs, dir, options, state.liveWal, recovered, clockFloorMs, yieldTurn);
    return {
      lock,
      leaves: opened.leaves,
      cache: opened.cache,
      floor: state.floor,
      raises: state.raises,
      manifestLog,
      wal,
      clockFloorMs,
      report: {
        checkpointLsn: manifest.checkpointLsn,
        replayedRecords: recovered.replayed,
        replayedBytes: recovered.replayedBytes,
        lastLsn: recovered.lastLsn,
        tornTail: recovered.tornTail,
        removedFiles: state.orphanNames,
        clockFloorMs,
      },
    };
  } catch (err) {
    for (const leaf of opened.leaves) for (const seg of leaf.segments) await seg.release();
    throw err;
  }
}

/**
 * Reads the manifest and the directory, opens the segments and replays the WAL (read-only: without
 * cutting a torn tail or syncing). Lists the orphans; removes nothing. On failure every opened segment is
 * released; a failure that a torn final manifest edit cannot explain names MANIFEST.
 */
async function replay(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  readOnly: boolean,
): Promise<Replayed> {
  const read = await readManifest(fs, dir);
  const files = await listDbFiles(fs, dir);
  let manifest = read?.manifest;
  if (manifest === undefined) {
    if (hasDataFiles(files)) {
      markCorruption("manifest");
      throw new CorruptionError(MANIFEST_FILE, 0, "missing, but WAL or segment files exist");
    }
    manifest = emptyManifest();
  }
  const tornAt = read?.tornAt;
  // WALHEAD names the newest WAL file: a missing one is damage; files past it that hold no record are
  // leftovers of a rotation a crash interrupted (src/wal/wal-head.ts).
  const headed = await resolveLiveWal(fs, dir, files.walFiles, {
    checkpointLsn: manifest.checkpointLsn,
    hasSegments: manifest.leaves.some((l) => l.segments.length > 0),
  });
  const live: DbFiles = { ...files, walFiles: headed.files };
  checkManifestAgainstFiles(manifest, tornAt, live);
  // Orphans are only listed here; a writer deletes them once recovery succeeded: nothing goes before the
  // state it would be an orphan of is known to recover.
  const orphans = findOrphans(live, manifest);
  const orphanNames = [...orphans.names, ...headed.unused];
  const liveWal = headed.files.slice(orphans.walFiles.length);
  let opened: Replayed["opened"] | undefined;
  try {
    const verify = options.recoveryMode !== "ignore-checksums";
    opened = await Tree.openSegments(fs, dir, manifest, options.blockCacheBytes, verify);
    // Broken variant 'forget-dead-version-floor' (sensitivity tests only): the manifest's floor is lost.
    const forget = options.recoveryMode === "forget-dead-version-floor";
    const floor = VersionFloor.of(forget ? [] : manifest.deadVersionFloor);
    const raises: FloorRaise[] = [];
    const recovered = await replayWal(
      fs,
      dir,
      options,
      manifest.checkpointLsn,
      liveWal,
      { leaves: opened.leaves, floor, raises },
      readOnly,
    );
    const clockFloorMs =
      options.recoveryMode === "forget-clock-floor"
        ? 0
        : Math.max(manifest.clockFloorMs ?? 0, recovered.clockFloorMs);
    return { manifest, orphanNames, liveWal, opened, recovered, floor, raises, clockFloorMs };
  } catch (err) {
    for (const leaf of opened?.leaves ?? []) for (const seg of leaf.segments) await seg.release();
    if (tornAt !== undefined && err instanceof CorruptionError && err.missing) {
      // Files are deleted only after an edit is durable, so the state before a torn final edit never
      // misses a WAL file or record: if it does, that edit was damaged, not torn. (Checksum damage in a
      // file is reported as that file's.)
      markCorruption("manifest");
      throw new CorruptionError(
        MANIFEST_FILE,
        tornAt,
        `final edit unreadable, and the state before it does not recover (${err.message}): damage, not a torn append`,
      );
    }
    throw err;
  }
}

/**
 * Replays the WAL above `checkpointLsn` into the leaves' buffers (a leaf's segments already hold its
 * records up to its flushed LSN), and every replayed record (flushed or not) into the dead-version floor,
 * noting each raise in `raises`: the manifest's floor holds only the records at or below its checkpoint.
 * @throws CorruptionError on damage, on an undecodable batch, or when the WAL ends before the checkpoint.
 */
async function replayWal(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  checkpointLsn: number,
  liveWal: WalFileInfo[],
  into: { leaves: Leaf[]; floor: VersionFloor; raises: FloorRaise[] },
  readOnly: boolean,
): Promise<WalRecovery> {
  const { leaves, floor, raises } = into;
  // The newest call time replayed: the engine clock starts no lower (src/engine-clock.ts).
  let callMsMax = 0;
  const recovered = await recoverWal(
    fs,
    dir,
    liveWal,
    checkpointLsn,
    (record, file) => {
      let batch: TimedBatch;
      try {
        // Lazy: the JSON of a replayed value is parsed when it is first read (the record's crc covered it).
        batch = decodeBatchRecord(record.type, record.payload, record.lsn, true);
      } catch (err) {
        markCorruption("wal");
        throw new CorruptionError(file, record.offset, `bad batch payload: ${(err as Error).message}`);
      }
      callMsMax = Math.max(callMsMax, batch.callMs);
      for (const { key, entry } of batch.effects) {
        const bucket = floor.raiseBy(key, entry);
        if (bucket !== undefined) raises.push([record.lsn, bucket, entry.version]);
        const leaf = leafOf(leaves, key);
        if (entry.lsn > leaf.flushedLsn) {
          leaf.active.set(key, entry);
          leaf.seqno = Math.max(leaf.seqno, entry.lsn);
        } else mark("recovery.replay-skipped-flushed");
      }
    },
    {
      ignoreChecksums: options.recoveryMode === "ignore-checksums",
      truncateAtFirstBadRecord: options.recoveryMode === "truncate-at-first-bad-record",
    },
    { readOnly },
  );
  if (recovered.lastLsn < checkpointLsn) {
    markCorruption("wal");
    throw new CorruptionError(
      liveWal[liveWal.length - 1]?.name ?? MANIFEST_FILE,
      recovered.lastFileBytes,
      `WAL ends at LSN ${recovered.lastLsn}, before checkpoint ${checkpointLsn}`,
      { missing: true },
    );
  }
  // A flush publishes a leaf's flushed LSN only once the WAL is durable up to it, so the WAL reaches every
  // leaf's flushed LSN. If it ends below one, acknowledged records of other leaves are gone from it (damage
  // cut as a tear): the state would be no prefix of the commit order.
  const flushedMax = leaves.reduce((max, leaf) => Math.max(max, leaf.flushedLsn), 0);
  if (recovered.lastLsn < flushedMax) {
    markCorruption("wal");
    throw new CorruptionError(
      liveWal[liveWal.length - 1]?.name ?? MANIFEST_FILE,
      recovered.lastFileBytes,
      `WAL ends at LSN ${recovered.lastLsn}, before a leaf's flushed LSN ${flushedMax}`,
      { missing: true },
    );
  }
  // The WAL's floor: the largest of its slots' floors (floor-only commits) and the call times replayed.
  return { ...recovered, clockFloorMs: Math.max(recovered.clockFloorMs, callMsMax) };
}

/** A WAL writer appending after the recovered end: the last live file, or a new one (made durable). */
async function openWalWriter(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  liveWal: WalFileInfo[],
  recovered: WalRecovery,
  clockFloorMs: number,
  yieldTurn: (() => Promise<void>) | undefined,
): Promise<WalWriter> {
  const nextLsn = recovered.lastLsn + 1;
  const tail = await openWalTail(fs, dir, liveWal, recovered, clockFloorMs);
  const writerOptions = {
    fileBytesMax: options.walFileBytesMax,
    groupBytesMax: options.groupCommitBytesMax,
    yieldTurn,
  };
  return new WalWriter(fs, dir, tail, liveWal, nextLsn, writerOptions, clockFloorMs);
}
