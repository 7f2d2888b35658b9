/**
 * WAL record framing; the grammar is docs/wal-format.md. One module holds the constants, with the
 * arithmetic visible (LevelDB doc/log_format.md).
 *
 *   record := crc32 u32 | length u32 | type u8 | lsn u64 | groupDelta u32 | payload[length]
 *
 * `crc32` covers every byte after itself: length, type, lsn, groupDelta and payload. `groupDelta` is
 * `lsn - firstLsnOfItsGroupCommitWrite`; recovery uses it to tell a torn group-commit write (expected after a
 * crash) from damage to an earlier, durable write (corruption).
 */
import { Buffer } from "node:buffer";
import { checksum } from "../util/bytes.js";

/** Bytes before the payload. */
export const HEADER_BYTES = 4 + 4 + 1 + 8 + 4; // crc, length, type, lsn, groupDelta
/** Offset of the first checksummed byte. */
const CRC_FROM = 4;
/** Largest payload a record may carry; checked before anything is allocated. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

/** Record types. */
export const RecordType = {
  /** An atomic batch of resolved mutations (see src/wal/batch-codec.ts). */
  Batch: 1,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

/** A decoded record. `payload` is a view into the buffer it was decoded from. */
export interface WalRecord {
  type: RecordType;
  lsn: number;
  /** LSN of the first record of the group-commit write this record was part of. */
  groupLsn: number;
  payload: Uint8Array;
  /** Byte offset of the record within its file. */
  offset: number;
  /** Total bytes: header plus payload. */
  bytes: number;
}

/** Encodes one record. */
export function encodeRecord(type: RecordType, lsn: number, groupLsn: number, payload: Uint8Array): Buffer {
  if (payload.length > RECORD_PAYLOAD_BYTES_MAX)
    throw new RangeError("payload exceeds RECORD_PAYLOAD_BYTES_MAX");
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt8(type, 8);
  out.writeUInt32LE(lsn % 2 ** 32, 9);
  out.writeUInt32LE(Math.floor(lsn / 2 ** 32), 13);
  out.writeUInt32LE(lsn - groupLsn, 17);
  out.set(payload, HEADER_BYTES);
  out.writeUInt32LE(checksum(out.subarray(CRC_FROM)), 0);
  return out;
}

/** Result of trying to decode a record at an offset. */
export type DecodeResult =
  | { kind: "record"; record: WalRecord }
  /** Nothing left: the offset is exactly the end of the data. */
  | { kind: "end" }
  /** Bytes that are not a valid record: short header, bad length, bad type or checksum mismatch. */
  | { kind: "invalid"; reason: string };

/**
 * Decodes the record at `offset` of `data`, checking the length bound before trusting it.
 * `verifyChecksum` false is the broken "reader that ignores checksums" of the sensitivity tests
 * (recovery mode 'ignore-checksums', src/options.ts); nothing else may pass it.
 */
export function decodeRecord(data: Uint8Array, offset: number, verifyChecksum = true): DecodeResult {
  const left = data.length - offset;
  if (left === 0) return { kind: "end" };
  if (left < HEADER_BYTES) return { kind: "invalid", reason: `${left} bytes, shorter than a record header` };
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const length = buf.readUInt32LE(offset + 4);
  if (length > RECORD_PAYLOAD_BYTES_MAX)
    return { kind: "invalid", reason: `length ${length} over the bound` };
  if (length > left - HEADER_BYTES)
    return { kind: "invalid", reason: `length ${length} runs past end of file` };
  const type = buf.readUInt8(offset + 8);
  const stored = buf.readUInt32LE(offset);
  const actual = checksum(buf.subarray(offset + CRC_FROM, offset + HEADER_BYTES + length));
  if (verifyChecksum && stored !== actual) return { kind: "invalid", reason: "checksum mismatch" };
  if (!KNOWN_TYPES.has(type)) return { kind: "invalid", reason: `unknown record type ${type}` };
  const lsn = buf.readUInt32LE(offset + 9) + buf.readUInt32LE(offset + 13) * 2 ** 32;
  const groupLsn = lsn - buf.readUInt32LE(offset + 17);
  return {
    kind: "record",
    record: {
      type: type as RecordType,
      lsn,
      groupLsn,
      payload: buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length),
      offset,
      bytes: HEADER_BYTES + length,
    },
  };
}

/** WAL file name for a file whose first record has LSN `firstLsn`: `wal-<16 digits>.log`. */
export function walFileName(firstLsn: number): string {
  return `wal-${String(firstLsn).padStart(16, "0")}.log`;
}

/** The first LSN encoded in a WAL file name, or undefined if `name` is not a WAL file name. */
export function parseWalFileName(name: string): number | undefined {
  const m = /^wal-(\d{16})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
