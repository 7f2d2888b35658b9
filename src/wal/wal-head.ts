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
  parseWalFileName,
  type SlotFloors,
  type SlotValues,
  WAL_HEAD_BYTES,
  WAL_HEAD_FILE,
  walFileName,
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

/** Names of the files of `files` larger than a file header (that is, holding at least part of a record). */
async function filesHoldingRecords(
  fs: FileSystem,
  dir: string,
  files: readonly WalFileInfo[],
): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const file = await fs.open(joinPath(dir, f.name), { readOnly: true });
    try {
      if ((await file.size()) > FILE_HEADER_BYTES) out.push(f.name);
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
 * Opens the last of the live files `live` for appending after `recovered`, or, if there is none, creates the
 * first one (at the LSN after the last recovered, its slots carrying `clockFloorMs`, the floor recovered)
 * and makes WALHEAD name it, adding it to `live`.
 */
export async function openWalTail(
  fs: FileSystem,
  dir: string,
  live: WalFileInfo[],
  recovered: WalRecovery,
  clockFloorMs: number,
): Promise<WalTail> {
  const last = live[live.length - 1];
  if (last !== undefined) {
    const slots = recovered.lastFileSlots;
    const floors = recovered.lastFileFloors;
    assert(slots !== undefined && floors !== undefined, "recovery read the last file's slots");
    const file = await fs.open(joinPath(dir, last.name));
    return { file, offsetBytes: recovered.lastFileBytes, slots, floors };
  }
  const firstLsn = recovered.lastLsn + 1;
  const file = await createWalFile(fs, dir, firstLsn, clockFloorMs);
  try {
    await writeWalHead(fs, dir, firstLsn);
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  }
  live.push({ name: walFileName(firstLsn), firstLsn });
  return {
    file,
    offsetBytes: FILE_HEADER_BYTES,
    slots: [firstLsn - 1, firstLsn - 1],
    floors: [clockFloorMs, clockFloorMs],
  };
}
