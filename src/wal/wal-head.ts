/**
 * The set of live WAL files, made verifiable (issue 12 item 4: deleting the newest WAL file, or all of them,
 * went unnoticed). `WALHEAD` (grammar in docs/wal-format.md) names the newest WAL file by its first LSN;
 * older files are chained by their LSNs and the manifest's checkpoint says where the chain must reach back
 * to, so a missing file anywhere is found.
 *
 * Protocol (creating a WAL file, at rotation and when a database gets its first one):
 * 1. create the file exclusively, write its header (src/wal/format.ts), fdatasync it, `syncDir`: the file and
 *    its header are durable;
 * 2. write WALHEAD.tmp naming it, fdatasync, rename over WALHEAD, `syncDir`;
 * 3. only then append records to it.
 *
 * Crash windows: before step 2's rename is durable, WALHEAD names the previous file and the new one holds at
 * most its header, so a file past the one WALHEAD names that holds no record is an unused leftover (removed
 * at open); one that holds records is damage. Step 1's `syncDir` comes first, so WALHEAD never names a file
 * whose name a crash lost: a newest file missing is damage. A database with no WALHEAD is one that never got
 * past its first open (no record was ever acknowledged), unless it holds records or a checkpoint: damage.
 * Limit: deleting WALHEAD together with every WAL file of a database that never checkpointed is not noticed.
 *
 * A newest file of format 2 (the previous build's; read, never appended to) gets a format 3 successor at
 * open by the same protocol; an empty one is replaced whole under its name (docs/wal-format.md,
 * "Compatibility").
 */
import { assert, detectedCorruption } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import {
  decodeFileHeader,
  decodeWalHead,
  encodeFileHeader,
  encodeWalHead,
  FILE_HEADER_BYTES,
  FILE_HEADER_BYTES_2,
  fileHeaderBytes,
  parseWalFileName,
  type SlotFloors,
  type SlotValues,
  WAL_HEAD_BYTES,
  WAL_HEAD_FILE,
  walFileName,
  walFormatOf,
} from "./format.js";
import type { WalRecovery } from "./wal-reader.js";
import type { WalFileInfo } from "./wal-writer.js";

/** The WAL files among directory entries `names`, sorted by first LSN. */
export function walFilesIn(names: readonly string[]): WalFileInfo[] {
  return names
    .map((name) => ({ name, firstLsn: parseWalFileName(name) }))
    .filter((f): f is WalFileInfo => f.firstLsn !== undefined)
    .sort((a, b) => a.firstLsn - b.firstLsn);
}

/**
 * The first LSN of the newest WAL file, as WALHEAD in `dir` says; undefined if there is no WALHEAD.
 * @throws CorruptionError naming WALHEAD if it does not verify.
 */
export async function readWalHead(fs: FileSystem, dir: string): Promise<number | undefined> {
  let file: File;
  try {
    file = await fs.open(joinPath(dir, WAL_HEAD_FILE), { readOnly: true });
  } catch (err) {
    if (ioErrorCode(err) === "ENOENT") return undefined;
    throw err;
  }
  let data: Uint8Array;
  try {
    const size = await file.size();
    // Bounded: a valid WALHEAD has a fixed size; one byte more is enough to tell a longer file.
    data = await file.read(0, Math.min(size, WAL_HEAD_BYTES + 1));
  } finally {
    await file.close();
  }
  const got = decodeWalHead(data);
  if (got.kind === "invalid") throw detectedCorruption("wal", WAL_HEAD_FILE, 0, got.reason);
  return got.newestFirstLsn;
}

/**
 * Makes WALHEAD name the WAL file starting at `newestFirstLsn`, durably (step 2 of the protocol). WALHEAD.tmp
 * is created exclusively: open removes one a crash left (a temp file) before anything writes WALHEAD.
 * @throws on I/O errors; WALHEAD then names the old file or the new one.
 */
export async function writeWalHead(fs: FileSystem, dir: string, newestFirstLsn: number): Promise<void> {
  const tmpPath = joinPath(dir, `${WAL_HEAD_FILE}.tmp`);
  const tmp = await fs.open(tmpPath, { create: true, exclusive: true });
  try {
    await tmp.write(0, encodeWalHead(newestFirstLsn));
    await tmp.sync();
  } finally {
    await tmp.close();
  }
  await fs.rename(tmpPath, joinPath(dir, WAL_HEAD_FILE));
  await fs.syncDir(dir);
}

/**
 * Creates the WAL file whose first record will have LSN `firstLsn` and makes it and its header durable (step
 * 1 of the protocol); its slots carry the durable clock floor `clockFloorMs` forward. Returns it open; on
 * failure it is closed.
 * @throws on I/O errors (EEXIST if it exists).
 */
export async function createWalFile(
  fs: FileSystem,
  dir: string,
  firstLsn: number,
  clockFloorMs: number,
): Promise<File> {
  const header = encodeFileHeader(firstLsn, clockFloorMs);
  const check = decodeFileHeader(header);
  assert(check.kind === "header", "a new file header decodes");
  assert(check.header.firstLsn === firstLsn, "a new file header names its first LSN");
  const file = await fs.open(joinPath(dir, walFileName(firstLsn)), { create: true, exclusive: true });
  try {
    await file.write(0, header);
    await file.sync();
    await fs.syncDir(dir);
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  }
  return file;
}

/** The live WAL files at open, per WALHEAD. */
export interface LiveWal {
  /** The WAL files up to the newest one WALHEAD names, oldest first (empty for a database without records). */
  files: WalFileInfo[];
  /** Files that hold no record and lie past the newest (a crash inside step 1 or 2): removed at open. */
  unused: string[];
}

/** What the manifest says that bears on the WAL: whether any record was ever checkpointed. */
export interface CheckpointState {
  checkpointLsn: number;
  hasSegments: boolean;
}

/**
 * Verifies the WAL files `walFiles` (sorted) of `dir` against WALHEAD; see the module comment.
 * @throws CorruptionError naming the missing newest file, WALHEAD (missing while the database holds data, or
 *   damaged), or a file past the newest that holds records.
 */
export async function resolveLiveWal(
  fs: FileSystem,
  dir: string,
  walFiles: readonly WalFileInfo[],
  state: CheckpointState,
): Promise<LiveWal> {
  const head = await readWalHead(fs, dir);
  if (head === undefined) {
    const holding = await filesHoldingRecords(fs, dir, walFiles);
    const neverUsed = state.checkpointLsn === 0 && !state.hasSegments && holding.length === 0;
    if (neverUsed) return { files: [], unused: walFiles.map((f) => f.name) };
    const what = holding.length > 0 ? `${holding[0]} holds records` : `checkpoint LSN ${state.checkpointLsn}`;
    throw detectedCorruption("wal", WAL_HEAD_FILE, 0, `missing, but the database holds data (${what})`);
  }
  if (!walFiles.some((f) => f.firstLsn === head)) {
    throw detectedCorruption(
      "wal",
      walFileName(head),
      0,
      `the newest WAL file, named by ${WAL_HEAD_FILE}, is missing`,
    );
  }
  const past = walFiles.filter((f) => f.firstLsn > head);
  const holding = await filesHoldingRecords(fs, dir, past);
  if (holding[0] !== undefined) {
    throw detectedCorruption(
      "wal",
      holding[0],
      FILE_HEADER_BYTES,
      `holds records but lies past ${walFileName(head)}, the newest WAL file ${WAL_HEAD_FILE} names`,
    );
  }
  return { files: walFiles.filter((f) => f.firstLsn <= head), unused: past.map((f) => f.name) };
}

/**
 * Names of the files of `files` larger than their file header (that is, holding at least part of a record):
 * a format 2 file's header is shorter; bytes of no known format count as 60 header bytes.
 */
async function filesHoldingRecords(
  fs: FileSystem,
  dir: string,
  files: readonly WalFileInfo[],
): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const file = await fs.open(joinPath(dir, f.name), { readOnly: true });
    try {
      const size = await file.size();
      const magic = size > FILE_HEADER_BYTES_2 ? await file.read(0, 8) : new Uint8Array(0);
      if (size > fileHeaderBytes(walFormatOf(magic) ?? 3)) out.push(f.name);
    } finally {
      await file.close();
    }
  }
  return out;
}

/** Where appending resumes: the open last WAL file, its valid end and its slots. */
export interface WalTail {
  file: File;
  offsetBytes: number;
  slots: SlotValues;
  /** The slots' clock floors. */
  floors: SlotFloors;
}

/**
 * Opens the last of the live files `live` for appending after `recovered`. If there is none, or it is of
 * format 2 (never appended to: docs/wal-format.md, "Compatibility"), starts a format 3 file at the LSN after
 * the last recovered, its slots carrying `clockFloorMs` (the floor recovered), following the protocol above
 * (WALHEAD names it once its header is durable), and adds it to `live`. A format 2 tail that holds no record
 * has that very name: it is replaced whole instead ({@link replaceEmptyWalFile}).
 * @throws on I/O errors.
 */
export async function openWalTail(
  fs: FileSystem,
  dir: string,
  live: WalFileInfo[],
  recovered: WalRecovery,
  clockFloorMs: number,
): Promise<WalTail> {
  const last = live[live.length - 1];
  const firstLsn = recovered.lastLsn + 1;
  if (last !== undefined && recovered.lastFileFormat === 3) {
    const slots = recovered.lastFileSlots;
    const floors = recovered.lastFileFloors;
    assert(slots !== undefined && floors !== undefined, "recovery read the last file's slots");
    const file = await fs.open(joinPath(dir, last.name));
    return { file, offsetBytes: recovered.lastFileBytes, slots, floors };
  }
  let file: File;
  if (last !== undefined && last.firstLsn === firstLsn) {
    assert(recovered.lastFileFormat === 2, "only a format 2 tail is left for a new file");
    file = await replaceEmptyWalFile(fs, dir, firstLsn, clockFloorMs);
  } else {
    file = await createWalFile(fs, dir, firstLsn, clockFloorMs);
    try {
      await writeWalHead(fs, dir, firstLsn);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
    live.push({ name: walFileName(firstLsn), firstLsn });
  }
  return {
    file,
    offsetBytes: FILE_HEADER_BYTES,
    slots: [firstLsn - 1, firstLsn - 1],
    floors: [clockFloorMs, clockFloorMs],
  };
}

/**
 * Replaces the newest WAL file, of format 2 and holding no record (its records were torn, or it never got
 * one), with a format 3 file of the same name: the new header goes to `<name>.tmp` (created exclusively;
 * open removes one a crash left), fdatasync, rename over the file, `syncDir`. WALHEAD names that file all
 * along, and whichever of the two a crash leaves is a valid empty newest file. Returns it open.
 * @throws on I/O errors.
 */
async function replaceEmptyWalFile(
  fs: FileSystem,
  dir: string,
  firstLsn: number,
  clockFloorMs: number,
): Promise<File> {
  const path = joinPath(dir, walFileName(firstLsn));
  const tmp = await fs.open(`${path}.tmp`, { create: true, exclusive: true });
  try {
    await tmp.write(0, encodeFileHeader(firstLsn, clockFloorMs));
    await tmp.sync();
  } finally {
    await tmp.close();
  }
  await fs.rename(`${path}.tmp`, path);
  await fs.syncDir(dir);
  return fs.open(path);
}
