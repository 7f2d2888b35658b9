/**
 * WAL files of format 2, as the build before the clock floor (commit 01b6411, its src/wal/format.ts and
 * docs/wal-format.md) wrote them, encoded here byte by byte from that layout so the tests do not lean on
 * the reader they test:
 *
 *   file-header := magic[8] "FUSEWAL2" | firstLsn u64 | headerCrc u32 | slot[0] | slot[1]     // 44 bytes
 *   slot        := slotCrc u32 | durableLsn u64                                                // 12 bytes
 *   headerCrc   = crc32(magic, firstLsn); slotCrc = crc32(index u8, firstLsn u64, durableLsn u64)
 *
 * Records are framed as in format 3 (src/wal/format.ts `encodeRecord`); format 2 wrote only type 1 (Batch,
 * no call time). All integers little-endian, a u64 as two u32 halves, low first.
 */
import { Buffer } from "node:buffer";
import { checksum } from "../../src/util/bytes.js";
import { type Effect, encodeBatch } from "../../src/wal/batch-codec.js";
import { encodeRecord, RecordType } from "../../src/wal/format.js";

/** Bytes of a format 2 file header (records start here); slots at 20 and 32. */
export const V2_HEADER_BYTES = 44;

function u64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(value % 2 ** 32, 0);
  out.writeUInt32LE(Math.floor(value / 2 ** 32), 4);
  return out;
}

/** A format 2 slot: slot `index` of the file starting at `firstLsn` claims `durableLsn`. */
export function v2Slot(index: 0 | 1, firstLsn: number, durableLsn: number): Buffer {
  const crc = checksum(Buffer.concat([Buffer.from([index]), u64(firstLsn), u64(durableLsn)]));
  const out = Buffer.alloc(4);
  out.writeUInt32LE(crc, 0);
  return Buffer.concat([out, u64(durableLsn)]);
}

/** A format 2 file header for `firstLsn` whose slots claim `slots` (both `firstLsn - 1` for a new file). */
export function v2Header(firstLsn: number, slots: [number, number] = [firstLsn - 1, firstLsn - 1]): Buffer {
  const fixed = Buffer.concat([Buffer.from("FUSEWAL2", "latin1"), u64(firstLsn)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(checksum(fixed), 0);
  const out = Buffer.concat([fixed, crc, v2Slot(0, firstLsn, slots[0]), v2Slot(1, firstLsn, slots[1])]);
  if (out.length !== V2_HEADER_BYTES) throw new Error("format 2 header size");
  return out;
}

/**
 * A whole format 2 WAL file starting at `firstLsn`: its header (slots `slots`), then one type-1 Batch record
 * per element of `batches`, at consecutive LSNs, each written as its own group-commit write.
 */
export function v2WalFile(firstLsn: number, slots: [number, number], batches: readonly Effect[][]): Buffer {
  const records = batches.map((effects, i) =>
    encodeRecord(RecordType.Batch, firstLsn + i, firstLsn + i, encodeBatch(effects)),
  );
  return Buffer.concat([v2Header(firstLsn, slots), ...records]);
}
