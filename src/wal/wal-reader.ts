/**
 * WAL recovery: reads every live WAL file in LSN order and hands each record above the checkpoint to the
 * caller (DESIGN.md durability contract, points 5 and 6). Files are read through a bounded window
 * (src/wal/wal-window.ts), never whole.
 *
 * - Each file starts with its header (docs/wal-format.md): magic, its first LSN (which must match its name)
 *   and two durable-LSN slots, of which at least one verifies. Format 3 is read, and format 2 (slots
 *   without a clock floor: floor 0), whose records are framed alike.
 * - Records must carry consecutive LSNs, starting in each file at the LSN its name says.
 * - An invalid record at offset X of the last file, at an LSN above the checkpoint and above what the file's
 *   slots claim durable, with no valid record after it from a later group-commit write, is a torn tail: it
 *   is cut off durably (truncate to X, fdatasync) and reported.
 * - Any other invalid bytes are corruption: a `CorruptionError` naming file and offset. Nothing is dropped
 *   silently. A valid record after X whose group started at or before the expected LSN belongs to the same
 *   (never acknowledged) torn group write; one from a later group proves the damaged group was durable; so
 *   does a slot claiming its LSN durable (damage wider than the final group, issue 12 item 6), and so does a
 *   file that ends, cleanly or not, below its slots' claim (a truncated file).
 *
 * Known limit (as LevelDB's and RocksDB's tolerate-tail modes): damage to the newest acknowledged group-commit
 * write alone (with any torn write after it) cannot be told from a tear, so it is cut as a torn tail; the
 * slot written with a group claims only what was durable before it.
 */
import { assert, detectedCorruption } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { mark } from "../util/coverage.js";
import {
  decodeFileHeader,
  FILE_HEADER_BYTES,
  type SlotFloors,
  type SlotValues,
  slotClaim,
  slotFloor,
  type WalFormat,
  type WalRecord,
} from "./format.js";
import { FileWindow, findLaterRecord } from "./wal-window.js";
import type { WalFileInfo } from "./wal-writer.js";

/** What recovery found in the WAL. */
export interface WalRecovery {
  /** Live files, oldest first. */
  files: WalFileInfo[];
  /** Valid bytes in the last file (after any cut), its header included. */
  lastFileBytes: number;
  /** The last file's durable-LSN slots as read (undefined when there are no files). */
  lastFileSlots: SlotValues | undefined;
  /** The last file's slots' clock floors as read (undefined when there are no files). */
  lastFileFloors: SlotFloors | undefined;
  /**
   * The last file's format (undefined when there are no files): a writer appends to a format 3 file only,
   * and starts a new one after a format 2 tail (src/wal/wal-head.ts `openWalTail`).
   */
  lastFileFormat: WalFormat | undefined;
  /** The highest clock floor any live file's slots carry (0 if none): the engine clock starts no lower. */
  clockFloorMs: number;
  /** LSN of the last valid record, or `fromLsn - 1` if none. */
  lastLsn: number;
  /** Records replayed (LSN above the checkpoint). */
  replayed: number;
  /** Bytes of the records replayed, headers included (the WAL recovery actually had to apply). */
  replayedBytes: number;
  /** The torn tail that was cut (only found, with `readOnly`), if any. */
  tornTail?: { file: string; offset: number; droppedBytes: number; reason: string };
}

/**
 * Deliberately broken recovery, for sensitivity tests only (the internal recovery mode, src/options.ts `RecoveryMode`): each flag
 * turns off one defence, so the simulator can prove its oracle notices. Never set in production.
 */
export interface WalReaderUnsafe {
  /** Accept records whose crc32 does not match (a reader that ignores checksums). */
  ignoreChecksums?: boolean;
  /**
   * Treat the first invalid record anywhere as the end of the log: cut the file there, drop every later
   * file from the live list, and go on, instead of telling a torn tail from corruption (the slots' claims
   * are ignored too).
   */
  truncateAtFirstBadRecord?: boolean;
}

/** How {@link recoverWal} may touch the files. */
export interface WalRecoverMode {
  /**
   * Change nothing: a torn tail is reported in `tornTail` but not cut (`fusedb check`, src/tools/check.ts).
   * Default false.
   */
  readOnly?: boolean;
}

/** One recovery's fixed inputs and running state, shared by the per-file steps. */
interface Recovery {
  readonly checkpointLsn: number;
  readonly onRecord: (record: WalRecord, file: string) => void;
  readonly unsafe: WalReaderUnsafe;
  readonly readOnly: boolean;
  readonly verifyChecksum: boolean;
  readonly result: WalRecovery;
  /** The LSN the next record must carry. */
  expected: number;
}

/**
 * Replays WAL files `files` (sorted by first LSN) in `dir`, calling `onRecord` for every record whose LSN is
 * above `checkpointLsn`, in LSN order. `unsafe` breaks recovery on purpose (sensitivity tests only); with
 * `mode.readOnly` files are opened read-only and nothing is cut.
 * @throws CorruptionError on damage that is not a torn tail, on an LSN gap, or when the WAL does not reach back
 *   to `checkpointLsn + 1`.
 */
export async function recoverWal(
  fs: FileSystem,
  dir: string,
  files: WalFileInfo[],
  checkpointLsn: number,
  onRecord: (record: WalRecord, file: string) => void,
  unsafe: WalReaderUnsafe = {},
  mode: WalRecoverMode = {},
): Promise<WalRecovery> {
  const readOnly = mode.readOnly === true;
  const result: WalRecovery = {
    files,
    lastFileBytes: 0,
    lastFileSlots: undefined,
    lastFileFloors: undefined,
    lastFileFormat: undefined,
    clockFloorMs: 0,
    lastLsn: checkpointLsn,
    replayed: 0,
    replayedBytes: 0,
  };
  const first = files[0];
  if (first === undefined) return result;
  if (first.firstLsn > checkpointLsn + 1) {
    throw detectedCorruption(
      "wal",
      first.name,
      0,
      `WAL starts at LSN ${first.firstLsn}; checkpoint is ${checkpointLsn}`,
      { missing: true },
    );
  }
  const r: Recovery = {
    checkpointLsn,
    onRecord,
    unsafe,
    readOnly,
    verifyChecksum: unsafe.ignoreChecksums !== true,
    result,
    expected: first.firstLsn,
  };
  for (let i = 0; i < files.length; i++) {
    const info = files[i];
    assert(info !== undefined, "the index lies inside the file list");
    if (info.firstLsn !== r.expected) {
      throw detectedCorruption(
        "wal",
        info.name,
        0,
        `expected first LSN ${r.expected}, name says ${info.firstLsn}`,
        {
          missing: true,
        },
      );
    }
    const file = await fs.open(joinPath(dir, info.name), { readOnly });
    try {
      const forgetLater = await recoverFile(r, file, info, i === files.length - 1);
      if (forgetLater) files.splice(i + 1);
    } finally {
      await file.close();
    }
  }
  assert(result.lastLsn === r.expected - 1, "the last LSN is the one before the next expected");
  // Every WAL name recovery relied on (and WALHEAD, src/wal/wal-head.ts) becomes durable before anything is
  // appended: after a restart without a reboot, a file created or renamed just before a failed directory
  // fsync is visible but may not survive a crash.
  if (!readOnly) await fs.syncDir(dir);
  return result;
}

/**
 * Recovers one file: header, then records. Returns true when the broken `truncateAtFirstBadRecord` cut it
 * and every later file must be forgotten.
 */
async function recoverFile(r: Recovery, file: File, info: WalFileInfo, isLast: boolean): Promise<boolean> {
  const size = await file.size();
  const win = new FileWindow(file, info.name, size);
  try {
    return await recoverRecords(r, file, win, info, isLast);
  } finally {
    await win.drain(); // no read of the file is left in flight when it is closed
  }
}

/** {@link recoverFile} through its read window `win`. */
async function recoverRecords(
  r: Recovery,
  file: File,
  win: FileWindow,
  info: WalFileInfo,
  isLast: boolean,
): Promise<boolean> {
  const size = win.sizeBytes;
  const header = decodeFileHeader(await win.bytes(0, FILE_HEADER_BYTES));
  if (header.kind === "invalid") throw detectedCorruption("wal", info.name, header.offset, header.reason);
  if (header.header.firstLsn !== info.firstLsn) {
    throw detectedCorruption(
      "wal",
      info.name,
      8,
      `header says first LSN ${header.header.firstLsn}, the name ${info.firstLsn}`,
    );
  }
  const claimed = slotClaim(header.header.slots);
  r.result.clockFloorMs = Math.max(r.result.clockFloorMs, slotFloor(header.header.floors));
  assert(claimed >= info.firstLsn - 1, "a verified slot claims at least the LSN before its file");
  let offset = header.header.bytes; // format 2 headers are shorter
  let forgetLater = false;
  // Bounded: each iteration advances offset by at least HEADER_BYTES or leaves the loop.
  for (;;) {
    // In the window (nearly always): no await. Else read, then decode.
    const got =
      win.recordInWindow(offset, r.verifyChecksum) ?? (await win.recordAt(offset, r.verifyChecksum));
    if (got.kind === "end") {
      checkClaimReached(r, info.name, offset, claimed);
      break;
    }
    if (got.kind === "invalid") {
      await win.drain(); // the file changes below: no read of it in flight
      if (r.unsafe.truncateAtFirstBadRecord === true) {
        header.header.slots = await cutAtFirstBadRecord(
          r,
          file,
          info.name,
          header.header.slots,
          offset,
          got.reason,
        );
        forgetLater = true;
        isLast = true;
        break;
      }
      await rejectUnlessTorn(r, win, offset, got.reason, isLast, claimed);
      if (!r.readOnly) {
        await file.truncate(offset); // made durable below, with the rest of the recovered end
        mark("wal.torn-tail-cut");
      }
      r.result.tornTail = { file: info.name, offset, droppedBytes: size - offset, reason: got.reason };
      break;
    }
    const rec = got.record;
    assert(rec.offset === offset, "a record is decoded where it starts");
    if (rec.lsn !== r.expected) {
      throw detectedCorruption("wal", info.name, offset, `LSN ${rec.lsn} where ${r.expected} was expected`);
    }
    if (rec.lsn > r.checkpointLsn) {
      r.onRecord(rec, info.name);
      r.result.replayed++;
      r.result.replayedBytes += rec.bytes;
    }
    r.result.lastLsn = rec.lsn;
    r.expected++;
    offset += rec.bytes;
    assert(offset <= size, "records lie inside the file");
  }
  if (isLast) {
    r.result.lastFileBytes = offset;
    r.result.lastFileSlots = header.header.slots;
    r.result.lastFileFloors = header.header.floors;
    r.result.lastFileFormat = header.header.format;
    // The end recovery decided becomes durable before anything is appended: a torn tail just cut, or a
    // failed group a previous process cut only in the page cache (after an fsync error), whose stale
    // records would otherwise come back after a power loss behind new records reusing their LSNs.
    if (!r.readOnly) await file.sync();
  }
  return forgetLater;
}

/**
 * Broken on purpose (`truncateAtFirstBadRecord`, sensitivity tests only): takes any bad record for a torn
 * tail, cuts the file there durably, and returns its slots with every claim past the cut forgotten, so the
 * broken engine goes on writing (the caller forgets the later files).
 */
async function cutAtFirstBadRecord(
  r: Recovery,
  file: File,
  name: string,
  slots: SlotValues,
  offset: number,
  reason: string,
): Promise<SlotValues> {
  const size = await file.size();
  await file.truncate(offset);
  await file.sync();
  r.result.tornTail = { file: name, offset, droppedBytes: size - offset, reason };
  const cutAt = r.expected - 1;
  const [a, b] = slots;
  return [a === undefined ? a : Math.min(a, cutAt), b === undefined ? b : Math.min(b, cutAt)];
}

/**
 * A file that ends (its last record valid) below what its slots claim durable lost acknowledged records: it
 * was cut short, which no crash does (issue 12 item 6). The broken `truncateAtFirstBadRecord` skips this.
 */
function checkClaimReached(r: Recovery, name: string, offset: number, claimed: number): void {
  if (r.unsafe.truncateAtFirstBadRecord === true) return;
  if (r.expected - 1 >= claimed) return;
  throw detectedCorruption(
    "wal",
    name,
    offset,
    `ends at LSN ${r.expected - 1}, but its header says LSN ${claimed} was durable: acknowledged records are missing`,
  );
}

/**
 * Decides whether invalid bytes at `offset` (where LSN `r.expected` should be) are a torn tail; throws the
 * CorruptionError that says why not, if they are not.
 */
async function rejectUnlessTorn(
  r: Recovery,
  win: FileWindow,
  offset: number,
  reason: string,
  isLast: boolean,
  claimed: number,
): Promise<void> {
  if (!isLast) throw detectedCorruption("wal", win.name, offset, `${reason} in a sealed WAL file`);
  if (r.expected <= r.checkpointLsn) {
    // The checkpoint covers LSN `expected`, so its record was durable: damage, not a tear.
    throw detectedCorruption(
      "wal",
      win.name,
      offset,
      `${reason} at LSN ${r.expected}, at or below checkpoint ${r.checkpointLsn}`,
    );
  }
  const later = await findLaterRecord(win, offset + 1, r.expected, r.verifyChecksum);
  if (later !== undefined) {
    throw detectedCorruption(
      "wal",
      win.name,
      offset,
      `${reason}, followed by a valid record (LSN ${later.lsn}) at offset ${later.offset}`,
    );
  }
  if (r.expected <= claimed) {
    // A later group's slot says this LSN was durable before that group was written, though no record of
    // that group survived: damage wider than the final group-commit write, not a tear.
    throw detectedCorruption(
      "wal",
      win.name,
      offset,
      `${reason} at LSN ${r.expected}, which the file header says was durable (up to LSN ${claimed})`,
    );
  }
}
