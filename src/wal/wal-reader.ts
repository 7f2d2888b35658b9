/**
 * WAL recovery: reads every live WAL file in LSN order and hands each record above the checkpoint to the
 * caller (DESIGN.md durability contract, points 5 and 6).
 *
 * - Records must carry consecutive LSNs, starting in each file at the LSN its name says.
 * - An invalid record at offset X of the last file, at an LSN above the checkpoint, with no valid record after
 *   it from a later group-commit write, is a torn tail: it is cut off durably (truncate to X, fdatasync) and
 *   reported.
 * - Any other invalid bytes are corruption: a `CorruptionError` naming file and offset. Nothing is dropped
 *   silently. A valid record after X whose group started at or before the expected LSN belongs to the same
 *   (never acknowledged) torn group write; one from a later group proves the damaged group was durable.
 *
 * Known limit (as LevelDB's and RocksDB's tolerate-tail modes): damage inside the final group-commit write
 * cannot be told apart from a tear of that write, so it is cut as a torn tail.
 */
import { CorruptionError, markCorruption } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { mark } from "../util/coverage.js";
import { decodeRecord, HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX, type WalRecord } from "./format.js";
import type { WalFileInfo } from "./wal-writer.js";

/** What recovery found in the WAL. */
export interface WalRecovery {
  /** Live files, oldest first. */
  files: WalFileInfo[];
  /** Valid bytes in the last file (after any cut). */
  lastFileBytes: number;
  /** LSN of the last valid record, or `fromLsn - 1` if none. */
  lastLsn: number;
  /** Records replayed (LSN above the checkpoint). */
  replayed: number;
  /** The torn tail that was cut (only found, with `readOnly`), if any. */
  tornTail?: { file: string; offset: number; droppedBytes: number; reason: string };
}

/**
 * Deliberately broken recovery, for sensitivity tests only (`FuseDBConfig.unsafeForTesting`): each flag
 * turns off one defence, so the simulator can prove its oracle notices. Never set in production.
 */
export interface WalReaderUnsafe {
  /** Accept records whose crc32 does not match (a reader that ignores checksums). */
  ignoreChecksums?: boolean;
  /**
   * Treat the first invalid record anywhere as the end of the log: cut the file there, drop every later
   * file from the live list, and go on, instead of telling a torn tail from corruption.
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

/**
 * Replays WAL files `names` (sorted by first LSN) in `dir`, calling `onRecord` for every record whose LSN is
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
  const verifyChecksum = unsafe.ignoreChecksums !== true;
  const result: WalRecovery = { files, lastFileBytes: 0, lastLsn: checkpointLsn, replayed: 0 };
  const first = files[0];
  if (first === undefined) return result;
  if (first.firstLsn > checkpointLsn + 1) {
    markCorruption("wal");
    throw new CorruptionError(
      first.name,
      0,
      `WAL starts at LSN ${first.firstLsn}; checkpoint is ${checkpointLsn}`,
      { missing: true },
    );
  }
  let expected = first.firstLsn;
  for (let i = 0; i < files.length; i++) {
    const info = files[i] as WalFileInfo;
    const isLast = i === files.length - 1;
    if (info.firstLsn !== expected) {
      markCorruption("wal");
      throw new CorruptionError(info.name, 0, `expected first LSN ${expected}, name says ${info.firstLsn}`, {
        missing: true,
      });
    }
    const path = joinPath(dir, info.name);
    const file = await fs.open(path, { readOnly });
    try {
      const size = await file.size();
      const data = await file.read(0, size);
      if (data.length !== size) {
        markCorruption("wal");
        throw new CorruptionError(info.name, data.length, `short read of ${size} bytes`);
      }
      let offset = 0;
      // Bounded: each iteration advances offset by at least HEADER_BYTES or leaves the loop.
      for (;;) {
        const got = decodeRecord(data, offset, verifyChecksum);
        if (got.kind === "end") break;
        if (got.kind === "invalid" && unsafe.truncateAtFirstBadRecord === true) {
          // Broken on purpose: every bad record is taken for a torn tail, and later files are forgotten.
          await file.truncate(offset);
          await file.sync();
          result.tornTail = { file: info.name, offset, droppedBytes: size - offset, reason: got.reason };
          files.splice(i + 1);
          result.lastFileBytes = offset;
          break;
        }
        if (got.kind === "invalid") {
          const later = findLaterRecord(data, offset + 1, expected, verifyChecksum);
          if (!isLast) {
            markCorruption("wal");
            throw new CorruptionError(info.name, offset, `${got.reason} in a sealed WAL file`);
          }
          if (expected <= checkpointLsn) {
            // The checkpoint covers LSN `expected`, so its record was durable: damage, not a tear.
            markCorruption("wal");
            throw new CorruptionError(
              info.name,
              offset,
              `${got.reason} at LSN ${expected}, at or below checkpoint ${checkpointLsn}`,
            );
          }
          if (later && !(later.groupLsn <= expected && later.lsn >= expected)) {
            markCorruption("wal");
            throw new CorruptionError(
              info.name,
              offset,
              `${got.reason}, followed by a valid record (LSN ${later.lsn}) at offset ${later.offset}`,
            );
          }
          if (!readOnly) {
            await file.truncate(offset); // made durable below, with the rest of the recovered end
            mark("wal.torn-tail-cut");
          }
          result.tornTail = { file: info.name, offset, droppedBytes: size - offset, reason: got.reason };
          break;
        }
        const rec = got.record;
        if (rec.lsn !== expected) {
          markCorruption("wal");
          throw new CorruptionError(info.name, offset, `LSN ${rec.lsn} where ${expected} was expected`);
        }
        if (rec.lsn > checkpointLsn) {
          onRecord(rec, info.name);
          result.replayed++;
        }
        result.lastLsn = rec.lsn;
        expected++;
        offset += rec.bytes;
      }
      if (isLast) {
        result.lastFileBytes = offset;
        // The end recovery decided becomes durable before anything is appended: a torn tail just cut, or a
        // failed group a previous process cut only in the page cache (after an fsync error), whose stale
        // records would otherwise come back after a power loss behind new records reusing their LSNs.
        if (!readOnly) await file.sync();
      }
    } finally {
      await file.close();
    }
  }
  // Every WAL name recovery relied on becomes durable before anything is appended: after a restart without a
  // reboot, a file created just before a failed directory fsync is visible but may not survive a crash.
  if (!readOnly) await fs.syncDir(dir);
  return result;
}

/**
 * Looks for a valid record starting after `from` that proves the damaged write at `from - 1` was durable: one
 * whose LSN is plausible (at least `expected - 1`, at most 2^32 beyond) and that is not part of the group
 * write starting at or before `expected` (records of that torn group are skipped, not taken as the answer).
 * Candidate headers are filtered cheaply before the checksum is computed.
 */
function findLaterRecord(
  data: Uint8Array,
  from: number,
  expected: number,
  verifyChecksum: boolean,
): WalRecord | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // Bounded: one pass over the remaining bytes.
  for (let off = from; off + HEADER_BYTES <= data.length; off++) {
    const length = view.getUint32(off + 4, true);
    if (length > RECORD_PAYLOAD_BYTES_MAX || off + HEADER_BYTES + length > data.length) continue;
    const lsnHi = view.getUint32(off + 13, true);
    if (lsnHi !== Math.floor(expected / 2 ** 32) && lsnHi !== Math.floor(expected / 2 ** 32) + 1) continue;
    const got = decodeRecord(data, off, verifyChecksum);
    if (got.kind !== "record" || got.record.lsn < expected - 1) continue;
    // A record of the torn group itself proves nothing; keep looking for one of a later group behind it.
    if (got.record.groupLsn <= expected && got.record.lsn >= expected) continue;
    return got.record;
  }
  return undefined;
}
