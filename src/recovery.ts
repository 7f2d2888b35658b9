/**
 * Opening a data directory: lock it, read the manifest, check it against the files present, open the
 * segments it names, replay the WAL above its checkpoint into the leaves' buffers, remove orphans, and hand
 * back what the engine runs on (the lock, the leaves, a fresh manifest log, a WAL writer at the recovered
 * end). The file rules (kinds of file, orphans, the files the manifest needs) are the tools' too:
 * src/tools/db-files.ts.
 *
 * Order (DESIGN.md, Recovery): nothing is deleted before the state it would be an orphan of is known to
 * recover; a torn final manifest edit is dropped only if the state before it recovers whole.
 */
import { CorruptionError, LockedError, markCorruption } from "./errors.js";
import type { DirLock, FileSystem } from "./io/file-system.js";
import { DirLockHeldError, joinPath, mkdirDurable } from "./io/file-system.js";
import type { ResolvedOptions } from "./options.js";
import {
  checkManifestAgainstFiles,
  type DbFiles,
  findOrphans,
  hasDataFiles,
  listDbFiles,
} from "./tools/db-files.js";
import type { BlockCache } from "./tree/block-cache.js";
import type { Leaf } from "./tree/leaf.js";
import type { Manifest } from "./tree/manifest.js";
import { emptyManifest, MANIFEST_FILE, ManifestLog, readManifest } from "./tree/manifest.js";
import type { Block } from "./tree/segment-reader.js";
import { leafOf, Tree } from "./tree/tree.js";
import { mark } from "./util/coverage.js";
import { decodeBatch, type Effect } from "./wal/batch-codec.js";
import { openWalTail, resolveLiveWal } from "./wal/wal-head.js";
import { recoverWal, type WalRecovery } from "./wal/wal-reader.js";
import { type WalFileInfo, WalWriter } from "./wal/wal-writer.js";

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

/** The report of an open that recovered nothing (mode 'memory'). */
export function nothingRecovered(): RecoveryInfo {
  return {
    checkpointLsn: 0,
    replayedRecords: 0,
    lastLsn: 0,
    tornTail: undefined,
    removedFiles: [],
    durationMs: 0,
  };
}

/** A recovered directory, ready for the engine. The caller owns the lock (and releases it on close). */
export interface Recovered {
  lock: DirLock;
  /** The manifest's leaves, their segments open, the WAL above each leaf's flushed LSN in their buffers. */
  leaves: Leaf[];
  cache: BlockCache<Block>;
  /** A fresh manifest log of one snapshot. */
  manifestLog: ManifestLog;
  /** Appends after the last recovered record. */
  wal: WalWriter;
  /** The report, all but the time spent (the caller's clock measures it). */
  report: Omit<RecoveryInfo, "durationMs">;
}

/** The leaves and the WAL as replayed, before the writer exists. */
interface Replayed {
  opened: { leaves: Leaf[]; cache: BlockCache<Block> };
  recovered: WalRecovery;
  manifestLog: ManifestLog;
}

/**
 * Opens (creating if needed) the database directory `dir` and recovers it.
 * @throws LockedError (FUSEDB_LOCKED) if another process or handle has it open.
 * @throws CorruptionError (FUSEDB_CORRUPTION) naming file and offset if durable data is damaged.
 */
export async function recover(fs: FileSystem, dir: string, options: ResolvedOptions): Promise<Recovered> {
  // Every directory created on the way is durable: each new entry's parent is synced (the seam's contract).
  await mkdirDurable(fs, dir);
  const lock = await fs.lock(dir).catch((err: unknown) => {
    throw err instanceof DirLockHeldError ? new LockedError(dir, err.holder, { cause: err }) : err;
  });
  try {
    return await recoverLocked(fs, dir, options, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function recoverLocked(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  lock: DirLock,
): Promise<Recovered> {
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
  // WALHEAD names the newest WAL file: a missing one is damage; files past it that hold no record are
  // leftovers of a rotation a crash interrupted (src/wal/wal-head.ts).
  const headed = await resolveLiveWal(fs, dir, files.walFiles, {
    checkpointLsn: manifest.checkpointLsn,
    hasSegments: manifest.leaves.some((l) => l.segments.length > 0),
  });
  const live: DbFiles = { ...files, walFiles: headed.files };
  checkManifestAgainstFiles(manifest, read?.tornAt, live);
  // Orphans are only listed now and deleted once recovery succeeded: nothing goes before the state it would
  // be an orphan of is known to recover.
  const orphans = findOrphans(live, manifest);
  const removed = [...orphans.names, ...headed.unused];
  const liveWal = headed.files.slice(orphans.walFiles.length);
  const replayed = await replayAndTidy(fs, dir, options, manifest, read?.tornAt, liveWal, removed);
  const { recovered } = replayed;
  const wal = await openWalWriter(fs, dir, options, liveWal, recovered);
  return {
    lock,
    leaves: replayed.opened.leaves,
    cache: replayed.opened.cache,
    manifestLog: replayed.manifestLog,
    wal,
    report: {
      checkpointLsn: manifest.checkpointLsn,
      replayedRecords: recovered.replayed,
      lastLsn: recovered.lastLsn,
      tornTail: recovered.tornTail,
      removedFiles: removed,
    },
  };
}

/**
 * Opens the segments, replays the WAL, then removes the orphans and starts a fresh manifest log. On failure
 * every opened segment is released; a failure that a torn final manifest edit cannot explain names MANIFEST.
 */
async function replayAndTidy(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  manifest: Manifest,
  tornAt: number | undefined,
  liveWal: WalFileInfo[],
  orphanNames: readonly string[],
): Promise<Replayed> {
  let opened: Replayed["opened"] | undefined;
  try {
    const verify = options.recoveryMode !== "ignore-checksums";
    opened = await Tree.openSegments(fs, dir, manifest, options.blockCacheBytes, verify);
    const recovered = await replayWal(fs, dir, options, manifest.checkpointLsn, liveWal, opened.leaves);
    for (const name of orphanNames) await fs.remove(joinPath(dir, name));
    if (orphanNames.length > 0) await fs.syncDir(dir);
    // A fresh log of one snapshot: a torn final edit never stays in front of new ones.
    const manifestLog = await ManifestLog.create(fs, dir, manifest, options.manifestBytesMax);
    return { opened, recovered, manifestLog };
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
 * records up to its flushed LSN).
 * @throws CorruptionError on damage, on an undecodable batch, or when the WAL ends before the checkpoint.
 */
async function replayWal(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  checkpointLsn: number,
  liveWal: WalFileInfo[],
  leaves: Leaf[],
): Promise<WalRecovery> {
  const recovered = await recoverWal(
    fs,
    dir,
    liveWal,
    checkpointLsn,
    (record, file) => {
      let effects: Effect[];
      try {
        effects = decodeBatch(record.payload, record.lsn);
      } catch (err) {
        markCorruption("wal");
        throw new CorruptionError(file, record.offset, `bad batch payload: ${(err as Error).message}`);
      }
      for (const { key, entry } of effects) {
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
  return recovered;
}

/** A WAL writer appending after the recovered end: the last live file, or a new one (made durable). */
async function openWalWriter(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  liveWal: WalFileInfo[],
  recovered: WalRecovery,
): Promise<WalWriter> {
  const nextLsn = recovered.lastLsn + 1;
  const tail = await openWalTail(fs, dir, liveWal, recovered);
  return new WalWriter(fs, dir, tail, liveWal, nextLsn, {
    fileBytesMax: options.walFileBytesMax,
    groupBytesMax: options.groupCommitBytesMax,
  });
}
