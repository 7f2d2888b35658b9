/**
 * WAL framing; the grammar is docs/wal-format.md. One module holds the constants, with the arithmetic
 * visible (LevelDB doc/log_format.md).
 *
 *   wal-file    := file-header record*
 *   file-header := magic[8] "FUSEWAL3" | firstLsn u64 | crc32 u32 | slot[2]      (crc32 over magic, firstLsn)
 *   slot        := crc32 u32 | durableLsn u64 | clockFloorMs u64
 *                                       (crc32 over slot index u8, firstLsn u64, durableLsn, clockFloorMs)
 *   record      := crc32 u32 | length u32 | type u8 | lsn u64 | groupDelta u32 | payload[length]
 *   WALHEAD     := magic[8] "FUSEWH01" | newestFirstLsn u64 | crc32 u32          (crc32 over the 16 before)
 *
 * A record's `crc32` covers every byte after itself: length, type, lsn, groupDelta and payload. `groupDelta`
 * is `lsn - firstLsnOfItsGroupCommitWrite`; recovery uses it to tell a torn group-commit write (expected after
 * a crash) from damage to an earlier, durable write (corruption). A slot is rewritten in place with each group
 * commit, alternating between the two, and says up to which LSN the file was durable (acknowledged) before
 * that group: damage that cuts the log below it is corruption, not a tear. A slot also carries the durable clock
floor (src/engine-clock.ts): a "floor only" commit rewrites a slot and fdatasyncs without writing a record,
so making a time durable never consumes an LSN. WALHEAD names the newest WAL file,
 * so a missing newest file is noticed. Files of format 2 (magic "FUSEWAL2", 12-byte slots without the clock
 * floor) are still read, never written.
 */
import { Buffer } from "node:buffer";
import { checksum, u32At } from "../util/bytes.js";

const TWO_32 = 2 ** 32;

function writeU64(out: Buffer, value: number, at: number): void {
  out.writeUInt32LE(value % TWO_32, at);
  out.writeUInt32LE(Math.floor(value / TWO_32), at + 4);
}

function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * TWO_32;
}

function view(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Bytes before the payload. */
export const HEADER_BYTES = 4 + 4 + 1 + 8 + 4; // crc, length, type, lsn, groupDelta
/** Offset of the first checksummed byte. */
const CRC_FROM = 4;
/** Largest payload a record may carry; checked before anything is allocated. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

/** Record types. */
export const RecordType = {
  /** An atomic batch of resolved mutations (see src/wal/batch-codec.ts). Read; no longer written. */
  Batch: 1,
  /** The time of the call, then an atomic batch (src/wal/batch-codec.ts) */
  TimedBatch: 2,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

/** Whether `type` is a record type this reader knows. */
export function isRecordType(type: number): type is RecordType {
  return KNOWN_TYPES.has(type);
}

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

/** Encodes one record. @throws RangeError if the payload exceeds RECORD_PAYLOAD_BYTES_MAX. */
export function encodeRecord(type: RecordType, lsn: number, groupLsn: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  encodeRecordInto(out, 0, type, lsn, groupLsn, payload);
  return out;
}

/**
 * Encodes one record into `out` at `at` (the same bytes {@link encodeRecord} returns) and returns the offset
 * just past it: a group commit writes its records into one buffer sized for the group, with no buffer per
 * record and no join (issue 13, write-path allocations).
 * @throws RangeError if the payload exceeds RECORD_PAYLOAD_BYTES_MAX or the record does not fit in `out`.
 */
export function encodeRecordInto(
  out: Buffer,
  at: number,
  type: RecordType,
  lsn: number,
  groupLsn: number,
  payload: Uint8Array,
): number {
  if (payload.length > RECORD_PAYLOAD_BYTES_MAX)
    throw new RangeError("payload exceeds RECORD_PAYLOAD_BYTES_MAX");
  const end = at + HEADER_BYTES + payload.length;
  if (end > out.length) throw new RangeError("the record does not fit in the buffer");
  out.writeUInt32LE(payload.length, at + 4);
  out.writeUInt8(type, at + 8);
  writeU64(out, lsn, at + 9);
  out.writeUInt32LE(lsn - groupLsn, at + 17);
  out.set(payload, at + HEADER_BYTES);
  out.writeUInt32LE(checksum(out.subarray(at + CRC_FROM, end)), at);
  return end;
}

/** Result of trying to decode a record at an offset. */
export type DecodeResult =
  | { kind: "record"; record: WalRecord }
  /** Nothing left: the offset is exactly the end of the data. */
  | { kind: "end" }
  /** Bytes that are not a valid record: short header, bad length, bad type or checksum mismatch. */
  | { kind: "invalid"; reason: string };

/**
 * Decodes the record at `offset` of `data`, checking the length bound before trusting it. Bytes from `end`
 * on (default: the end of `data`) count as past the end of the file. The payload is a plain view of `data`.
 * `verifyChecksum` false is the broken "reader that ignores checksums" of the sensitivity tests
 * (recovery mode 'ignore-checksums', src/options.ts); nothing else may pass it.
 */
export function decodeRecord(
  data: Uint8Array,
  offset: number,
  verifyChecksum = true,
  end = data.length,
): DecodeResult {
  const left = end - offset;
  if (left === 0) return { kind: "end" };
  if (left < HEADER_BYTES) return { kind: "invalid", reason: `${left} bytes, shorter than a record header` };
  // Fields are read straight from the bytes: replay decodes every record, and a Buffer view per record costs.
  const length = u32At(data, offset + 4);
  if (length > RECORD_PAYLOAD_BYTES_MAX)
    return { kind: "invalid", reason: `length ${length} over the bound` };
  if (length > left - HEADER_BYTES)
    return { kind: "invalid", reason: `length ${length} runs past end of file` };
  const type = data[offset + 8] as number;
  const stored = u32At(data, offset);
  const at = data.byteOffset + offset;
  const actual = checksum(new Uint8Array(data.buffer, at + CRC_FROM, HEADER_BYTES - CRC_FROM + length));
  if (verifyChecksum && stored !== actual) return { kind: "invalid", reason: "checksum mismatch" };
  if (!isRecordType(type)) return { kind: "invalid", reason: `unknown record type ${type}` };
  const lsn = u32At(data, offset + 9) + u32At(data, offset + 13) * TWO_32;
  const groupLsn = lsn - u32At(data, offset + 17);
  return {
    kind: "record",
    record: {
      type,
      lsn,
      groupLsn,
      payload: new Uint8Array(data.buffer, at + HEADER_BYTES, length),
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

/**
 * Bytes to hand {@link decodeRecord} for the record at a file offset, given the first `head` bytes there (at
 * most {@link HEADER_BYTES}, or the bytes from `at` on) and the `leftBytes` from that offset to the end of the file: the whole record
 * when its length is within the bound, else just the header (the length is checked before it is trusted).
 */
export function recordExtent(head: Uint8Array, leftBytes: number, at = 0): number {
  if (head.length - at < HEADER_BYTES) return head.length - at;
  const length = u32At(head, at + 4);
  if (length > RECORD_PAYLOAD_BYTES_MAX) return HEADER_BYTES;
  return Math.min(leftBytes, HEADER_BYTES + length);
}

/**
 * Magic of a WAL file of the format written (format 3: slots carry the clock floor; format 2 had slots
 * without it, format 1 no file header).
 */
export const WAL_MAGIC = Buffer.from("FUSEWAL3", "latin1");
/**
 * Magic of a WAL file of format 2 (the build before the clock floor): still read, never appended to
 * (docs/wal-format.md, "Compatibility").
 */
export const WAL_MAGIC_2 = Buffer.from("FUSEWAL2", "latin1");
/** Bytes of one durable-LSN slot: crc32, durableLsn, clockFloorMs. */
export const SLOT_BYTES = 4 + 8 + 8;
/** Bytes of one format 2 slot: crc32, durableLsn (no clock floor). */
export const SLOT_BYTES_2 = 4 + 8;
/** Offset of slot 0; slot 1 follows it (in both formats). */
const SLOTS_AT = 8 + 8 + 4; // magic, firstLsn, crc
/** Bytes of the file header; the first record starts here. */
export const FILE_HEADER_BYTES = SLOTS_AT + 2 * SLOT_BYTES; // 60
/** Bytes of a format 2 file header; its first record starts here. */
export const FILE_HEADER_BYTES_2 = SLOTS_AT + 2 * SLOT_BYTES_2; // 44

/** The WAL file formats this build reads: 3 (the one it writes) and 2 (read only). */
export type WalFormat = 2 | 3;

/** A slot's index: each group commit rewrites one, alternating. */
export type SlotIndex = 0 | 1;
/** The durable LSN each slot holds, or undefined where a slot does not verify (a torn rewrite). */
export type SlotValues = [number | undefined, number | undefined];
/**
 * The clock floor each slot holds (engine clock ms, src/engine-clock.ts), undefined exactly where the slot
 * does not verify (as in {@link SlotValues}).
 */
export type SlotFloors = [number | undefined, number | undefined];

/** Byte offset of slot `index` in a WAL file of format `format` (default 3, the one written). */
export function slotOffset(index: SlotIndex, format: WalFormat = 3): number {
  return SLOTS_AT + index * (format === 3 ? SLOT_BYTES : SLOT_BYTES_2);
}

/** The crc32 of a slot: binds its index, its file's first LSN and its values. */
function slotCrc(index: SlotIndex, firstLsn: number, durableLsn: number, clockFloorMs: number): number {
  const bytes = Buffer.alloc(1 + 8 + 8 + 8);
  bytes.writeUInt8(index, 0);
  writeU64(bytes, firstLsn, 1);
  writeU64(bytes, durableLsn, 9);
  writeU64(bytes, clockFloorMs, 17);
  return checksum(bytes);
}

/** The crc32 of a format 2 slot: its index (u8), its file's first LSN (u64) and its durable LSN (u64). */
function slotCrc2(index: SlotIndex, firstLsn: number, durableLsn: number): number {
  const bytes = Buffer.alloc(1 + 8 + 8);
  bytes.writeUInt8(index, 0);
  writeU64(bytes, firstLsn, 1);
  writeU64(bytes, durableLsn, 9);
  return checksum(bytes);
}

/**
 * Encodes slot `index` of the file starting at `firstLsn`: every record up to `durableLsn` is durable, and
 * the engine clock reached `clockFloorMs` (a safe integer, engine clock ms).
 * @throws RangeError if `durableLsn` is below `firstLsn - 1` or `clockFloorMs` is not a non-negative safe
 *   integer.
 */
export function encodeSlot(
  index: SlotIndex,
  firstLsn: number,
  durableLsn: number,
  clockFloorMs: number,
): Buffer {
  if (durableLsn < firstLsn - 1) throw new RangeError("a slot never claims below its file's first LSN - 1");
  if (!Number.isSafeInteger(clockFloorMs) || clockFloorMs < 0)
    throw new RangeError("a clock floor is a non-negative safe integer");
  const out = Buffer.alloc(SLOT_BYTES);
  out.writeUInt32LE(slotCrc(index, firstLsn, durableLsn, clockFloorMs), 0);
  writeU64(out, durableLsn, 4);
  writeU64(out, clockFloorMs, 12);
  return out;
}

/**
 * The header of a new WAL file whose first record will get LSN `firstLsn`: both slots say `firstLsn - 1` and
 * carry the clock floor `clockFloorMs` forward from the file before (0 for a new database).
 */
export function encodeFileHeader(firstLsn: number, clockFloorMs = 0): Buffer {
  const out = Buffer.alloc(FILE_HEADER_BYTES);
  WAL_MAGIC.copy(out, 0);
  writeU64(out, firstLsn, 8);
  out.writeUInt32LE(checksum(out.subarray(0, 16)), 16);
  for (const index of [0, 1] as const)
    encodeSlot(index, firstLsn, firstLsn - 1, clockFloorMs).copy(out, slotOffset(index));
  return out;
}

/** A decoded WAL file header. */
export interface FileHeader {
  /** The file's format: 3, or 2 (read only; its slots carry no clock floor, read as 0). */
  format: WalFormat;
  /** Bytes of the header: where the first record starts ({@link FILE_HEADER_BYTES} or `_2`). */
  bytes: number;
  firstLsn: number;
  slots: SlotValues;
  /** Each slot's clock floor (0 in format 2); undefined exactly where `slots` is. */
  floors: SlotFloors;
}

/** Result of decoding a file header: invalid bytes carry the offset of the first bad field. */
export type FileHeaderResult =
  | { kind: "header"; header: FileHeader }
  | { kind: "invalid"; offset: number; reason: string };

/** The format a file's first bytes (its magic) name, or undefined for no format this build reads. */
export function walFormatOf(data: Uint8Array): WalFormat | undefined {
  if (data.length < WAL_MAGIC.length) return undefined;
  const magic = view(data).subarray(0, WAL_MAGIC.length);
  if (magic.equals(WAL_MAGIC)) return 3;
  if (magic.equals(WAL_MAGIC_2)) return 2;
  return undefined;
}

/** Bytes of the file header of a WAL file of format `format`. */
export function fileHeaderBytes(format: WalFormat): number {
  return format === 3 ? FILE_HEADER_BYTES : FILE_HEADER_BYTES_2;
}

/**
 * Decodes the file header at the start of `data` (at least {@link FILE_HEADER_BYTES} bytes, fewer only if the
 * file is shorter): format 3, or format 2 (44 bytes, slots without a clock floor, read as floor 0; the
 * layout of build 01b6411). The fixed part (magic, firstLsn, crc) must verify; a slot whose crc does not
 * match is undefined (a torn rewrite; the other slot holds an older claim). A slot whose crc matches but
 * whose value is impossible, or two slots that both fail, make the header invalid.
 */
export function decodeFileHeader(data: Uint8Array): FileHeaderResult {
  const format = walFormatOf(data);
  const bytes = fileHeaderBytes(format ?? 3);
  if (data.length < bytes)
    return { kind: "invalid", offset: 0, reason: `${data.length} bytes, shorter than a WAL file header` };
  const buf = view(data);
  if (format === undefined)
    return { kind: "invalid", offset: 0, reason: "bad magic (not a WAL file of format 3 or 2)" };
  if (buf.readUInt32LE(16) !== checksum(buf.subarray(0, 16)))
    return { kind: "invalid", offset: 0, reason: "file header checksum mismatch" };
  const firstLsn = readU64(buf, 8);
  if (firstLsn < 1 || !Number.isSafeInteger(firstLsn))
    return { kind: "invalid", offset: 8, reason: `first LSN ${firstLsn} out of range` };
  const slots: SlotValues = [undefined, undefined];
  const floors: SlotFloors = [undefined, undefined];
  for (const index of [0, 1] as const) {
    const at = slotOffset(index, format);
    const value = readU64(buf, at + 4);
    const floor = format === 3 ? readU64(buf, at + 12) : 0;
    const crc = (): number =>
      format === 3 ? slotCrc(index, firstLsn, value, floor) : slotCrc2(index, firstLsn, value);
    // The values are checked before the crc encodes them (a u64 read past 2^53 may not re-encode).
    const valid =
      Number.isSafeInteger(value) && Number.isSafeInteger(floor) && buf.readUInt32LE(at) === crc();
    if (!valid) continue;
    if (value < firstLsn - 1)
      return { kind: "invalid", offset: at, reason: `slot ${index} claims LSN ${value}, below the file` };
    slots[index] = value;
    floors[index] = floor;
  }
  if (slots[0] === undefined && slots[1] === undefined)
    return { kind: "invalid", offset: slotOffset(0), reason: "both durable-LSN slots are damaged" };
  return { kind: "header", header: { format, bytes, firstLsn, slots, floors } };
}

/** The highest clock floor the slots carry (0 if neither verifies). */
export function slotFloor(floors: SlotFloors): number {
  return Math.max(floors[0] ?? 0, floors[1] ?? 0);
}

/** The highest durable LSN the slots claim (-1 if neither verifies). */
export function slotClaim(slots: SlotValues): number {
  return Math.max(slots[0] ?? -1, slots[1] ?? -1);
}

/**
 * The slot to rewrite next: one that does not verify, else the older one (the smaller claim; on equal
 * claims, the smaller clock floor), never the newest. Every rewrite writes the largest claim and floor, so
 * the newest slot holds both maxima and a torn rewrite of the other loses neither.
 */
export function nextSlot(slots: SlotValues, floors: SlotFloors = [0, 0]): SlotIndex {
  const [a, b] = slots;
  if (a === undefined) return 0;
  if (b === undefined) return 1;
  if (a !== b) return a < b ? 0 : 1;
  return (floors[0] ?? 0) <= (floors[1] ?? 0) ? 0 : 1;
}

/** Name of the file that names the newest WAL file. */
export const WAL_HEAD_FILE = "WALHEAD";
const WAL_HEAD_MAGIC = Buffer.from("FUSEWH01", "latin1");
/** Bytes of WALHEAD: magic, newestFirstLsn, crc32. */
export const WAL_HEAD_BYTES = 8 + 8 + 4;

/** WALHEAD's contents when the newest WAL file starts at `newestFirstLsn`. */
export function encodeWalHead(newestFirstLsn: number): Buffer {
  const out = Buffer.alloc(WAL_HEAD_BYTES);
  WAL_HEAD_MAGIC.copy(out, 0);
  writeU64(out, newestFirstLsn, 8);
  out.writeUInt32LE(checksum(out.subarray(0, 16)), 16);
  return out;
}

/** The newest WAL file's first LSN from WALHEAD's bytes, or the reason they are invalid. */
export function decodeWalHead(
  data: Uint8Array,
): { kind: "head"; newestFirstLsn: number } | { kind: "invalid"; reason: string } {
  if (data.length !== WAL_HEAD_BYTES)
    return { kind: "invalid", reason: `${data.length} bytes, not ${WAL_HEAD_BYTES}` };
  const buf = view(data);
  if (!buf.subarray(0, 8).equals(WAL_HEAD_MAGIC)) return { kind: "invalid", reason: "bad magic" };
  if (buf.readUInt32LE(16) !== checksum(buf.subarray(0, 16)))
    return { kind: "invalid", reason: "checksum mismatch" };
  const newestFirstLsn = readU64(buf, 8);
  if (newestFirstLsn < 1 || !Number.isSafeInteger(newestFirstLsn))
    return { kind: "invalid", reason: `first LSN ${newestFirstLsn} out of range` };
  return { kind: "head", newestFirstLsn };
}
