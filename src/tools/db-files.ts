/**
 * What recovery (src/recovery.ts) and the tools (`fusedb inspect`, `fusedb check`) share, so each rule has
 * one implementation: the directory listing sorted into the engine's kinds of file (by the names of
 * src/wal/format.ts and src/tree/segment-format.ts), which files are orphans, which files the manifest needs,
 * and fence keys shown readably.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../doc/key.js";
import { CorruptionError, markCorruption } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { MANIFEST_FILE, type Manifest } from "../tree/manifest.js";
import { parseSegmentFileName } from "../tree/segment-format.js";
import { WAL_HEAD_FILE } from "../wal/format.js";
import { walFilesIn } from "../wal/wal-head.js";
import { countFilesWhollyBelow, type WalFileInfo } from "../wal/wal-writer.js";

/** A data directory's entries, by kind. */
export interface DbFiles {
  /** Every entry, sorted bytewise. */
  names: string[];
  /** WAL files, sorted by first LSN. */
  walFiles: WalFileInfo[];
  /** Segment files (`seg-<8 digits>.sst`), named in the manifest or not. */
  segmentFiles: string[];
  /** Temp files (`*.tmp`, the lock protocol's `LOCK*` excepted): left by a crash, removed at the next open. */
  tempFiles: string[];
}

/**
 * Lists `dir` and sorts its entries into kinds, as `FuseDB.open` does.
 * @throws on I/O errors (ENOENT if `dir` is missing).
 */
export async function listDbFiles(fs: FileSystem, dir: string): Promise<DbFiles> {
  const names = await fs.list(dir);
  return {
    names,
    walFiles: walFilesIn(names),
    segmentFiles: names.filter((n) => parseSegmentFileName(n) !== undefined),
    tempFiles: names.filter((n) => n.endsWith(".tmp") && !n.startsWith("LOCK")),
  };
}

/** Whether `files` hold WAL or segment files: then a missing MANIFEST is damage, not a new directory. */
export function hasDataFiles(files: DbFiles): boolean {
  return files.walFiles.length > 0 || files.segmentFiles.length > 0 || files.names.includes(WAL_HEAD_FILE);
}

/** Files of a data directory that no state needs; open removes them once recovery succeeded. */
export interface Orphans {
  /** Temp files (`DbFiles.tempFiles`): left by a crash mid-write. */
  tempFiles: string[];
  /** Segment files the manifest does not name, in listing order. */
  segmentFiles: string[];
  /** WAL files wholly at or below the manifest's checkpoint LSN, oldest first. */
  walFiles: WalFileInfo[];
  /** Every orphan in removal order: temp and segment files in listing order, then the WAL files. */
  names: string[];
}

/** The orphans of `files` under `manifest`. Deterministic (listing order). */
export function findOrphans(files: DbFiles, manifest: Manifest): Orphans {
  const live = new Set(manifest.leaves.flatMap((l) => l.segments));
  const segmentFiles = files.segmentFiles.filter((n) => !live.has(n));
  const walFiles = files.walFiles.slice(0, countFilesWhollyBelow(files.walFiles, manifest.checkpointLsn));
  const removable = new Set([...files.tempFiles, ...segmentFiles]);
  const names = files.names.filter((n) => removable.has(n));
  for (const f of walFiles) names.push(f.name);
  return { tempFiles: files.tempFiles, segmentFiles, walFiles, names };
}

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
  files: DbFiles,
): void {
  const present = new Set(files.names);
  const missing = manifest.leaves.flatMap((l) => l.segments).find((n) => !present.has(n));
  // Sorted by first LSN: the oldest file must hold LSN checkpoint + 1 or lie below it.
  const oldest = files.walFiles[0];
  const walGap = oldest !== undefined && oldest.firstLsn > manifest.checkpointLsn + 1;
  if (missing === undefined && !walGap) return;
  const what =
    missing !== undefined
      ? `segment ${missing} is missing`
      : `the WAL starts above LSN ${manifest.checkpointLsn + 1}`;
  if (tornAt !== undefined) {
    markCorruption("manifest");
    throw new CorruptionError(
      MANIFEST_FILE,
      tornAt,
      `final edit unreadable and ${what}: damage, not a torn append`,
    );
  }
  if (missing !== undefined) {
    markCorruption("segment");
    throw new CorruptionError(missing, 0, "segment named in the manifest is missing");
  }
}

/** Control characters, lone surrogates and the replacement character make a key "not printable". */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\uFFFD]/u;

/**
 * A key for people: its UTF-8 text as a JSON string (`"user:42"`) if the bytes are valid UTF-8 with no
 * control characters, else `0x` and its bytes in hex (`0x00ff`).
 */
export function displayKey(key: KeyString): string {
  const bytes = Buffer.from(key, "latin1");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `0x${bytes.toString("hex")}`;
  }
  return UNPRINTABLE.test(text) ? `0x${bytes.toString("hex")}` : JSON.stringify(text);
}

/** The error's message for a report line; a CorruptionError's "corruption in F at offset N: " is dropped. */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { file?: unknown; offset?: unknown };
  const prefix = `corruption in ${String(e.file)} at offset ${String(e.offset)}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}
