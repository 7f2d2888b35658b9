/**
 * The binary encoding of one entry (a key's new state), shared by the WAL's batch payloads
 * (docs/wal-format.md, `effect`) and the segments' data blocks (docs/segment-format.md, `entry`). The two
 * differ in one field only: a segment stores each entry's LSN, while a batch's entries all take the LSN of
 * the WAL record that holds them.
 *
 *   entry := kind u8 | keyLength u16 | key[keyLength] | version u64
 *            | [lsn u64]                                    (segments only)
 *            | [expiresAtMs u64]                            (kinds 3 and 5: absolute Clock ms)
 *            | [dataType u8]                                (kinds 4 and 5)
 *            | [valueLength u32 | value[valueLength]]       (kinds 1, 3, 4, 5: UTF-8 JSON)
 *   kind  := 1 (put) | 2 (tombstone) | 3 (put with expiry)
 *          | 4 (typed put) | 5 (typed put with expiry)
 *   dataType := 1 string | 2 hash | 3 list | 4 set | 5 zset   (the key's Redis type; its metadata as JSON)
 *
 * A put without expiry is written as kind 1, so data written before expiries existed reads unchanged; a
 * JSON document is written exactly as before data types existed (kinds 1-3), so old files read unchanged.
 */
import type { ByteReader, ByteWriter } from "../util/bytes.js";
import type { DataType, Entry } from "./entry.js";
import { entryFromStored } from "./entry.js";
import type { KeyString } from "./key.js";

/** A put: the key holds a document. */
export const ENTRY_PUT = 1;
/** A tombstone: the key was deleted (or expired); its version is remembered. */
export const ENTRY_TOMBSTONE = 2;
/** A put with an absolute expiry (Clock ms), stored before the value. */
export const ENTRY_PUT_EXPIRING = 3;

/** A put of a key holding a Redis data type (its metadata, or a string's bytes, as JSON). */
export const ENTRY_TYPED_PUT = 4;
/** A typed put with an absolute expiry. */
export const ENTRY_TYPED_PUT_EXPIRING = 5;

/** The dataType byte of each data type, and back (index = byte). */
const DATA_TYPE_CODES: readonly (DataType | undefined)[] = [
  undefined,
  "string",
  "hash",
  "list",
  "set",
  "zset",
];

function dataTypeCode(type: DataType): number {
  return DATA_TYPE_CODES.indexOf(type);
}

function dataTypeOf(code: number): DataType {
  const type = DATA_TYPE_CODES[code];
  if (type === undefined) throw new Error(`unknown data type ${code}`);
  return type;
}

/** Whether an entry of `kind` carries an expiry. */
function hasExpiry(kind: number): boolean {
  return kind === ENTRY_PUT_EXPIRING || kind === ENTRY_TYPED_PUT_EXPIRING;
}

/** Whether an entry of `kind` carries a value (every kind but the tombstone). @throws on an unknown kind. */
function hasValue(kind: number): boolean {
  if (kind === ENTRY_TOMBSTONE) return false;
  if (kind < ENTRY_PUT || kind > ENTRY_TYPED_PUT_EXPIRING) throw new Error(`unknown entry kind ${kind}`);
  return true;
}

/** The smallest entry without an LSN (a tombstone of an empty key): kind, keyLength, version. */
export const ENTRY_BYTES_MIN = 1 + 2 + 8;
/** The LSN field a segment adds to every entry. */
export const ENTRY_LSN_BYTES = 8;

/** The kind byte of `entry`. */
export function entryKind(entry: Entry): number {
  if (entry.text === undefined) return ENTRY_TOMBSTONE;
  if (entry.type !== undefined) {
    return entry.expiresAtMs === undefined ? ENTRY_TYPED_PUT : ENTRY_TYPED_PUT_EXPIRING;
  }
  return entry.expiresAtMs === undefined ? ENTRY_PUT : ENTRY_PUT_EXPIRING;
}

/**
 * Appends `key`'s `entry` to `w`; with `storesLsn` (segments) the entry's LSN follows the version.
 * Keys are latin1 KeyStrings (one byte per char) of at most 65535 bytes.
 */
export function encodeEntry(w: ByteWriter, key: KeyString, entry: Entry, storesLsn: boolean): void {
  // A tombstone never carries an expiry (kind 2 has no such field).
  const expiresAtMs = entry.text === undefined ? undefined : entry.expiresAtMs;
  w.u8(entryKind(entry));
  // A key string is latin1, one char per byte (src/doc/key.ts): written straight into the writer.
  w.u16(key.length);
  w.latin1(key);
  w.u64(entry.version);
  if (storesLsn) w.u64(entry.lsn);
  if (expiresAtMs !== undefined) w.u64(expiresAtMs);
  if (entry.text !== undefined && entry.type !== undefined) w.u8(dataTypeCode(entry.type));
  if (entry.text !== undefined) {
    w.u32(entry.text.length);
    w.bytes(entry.text);
  }
}

/**
 * Reads one entry from `r`. `recordLsn` undefined means the LSN is stored in the entry (segments); a number
 * is the LSN of the WAL record every entry of the batch takes. With `lazy` the document is decoded on first
 * use (see `entryFromStored`). The value bytes are copied out of `r`'s buffer unless `copyValue` is false
 * (default: not `lazy`): then the text is a view that keeps that whole buffer alive (segment blocks: a
 * cached block's payload, one allocation per block, not one per entry; WAL replay, src/wal/batch-codec.ts).
 * @throws Error on an unknown kind or a field past the end (ShortReadError), or (not `lazy`) on text that is
 *   not JSON; the format's reader names the file and offset in a CorruptionError.
 */
export function decodeEntry(
  r: ByteReader,
  recordLsn: number | undefined,
  lazy: boolean,
  copyValue = !lazy,
): [KeyString, Entry] {
  const kind = r.u8();
  const valued = hasValue(kind);
  const key = r.latin1(r.u16());
  const version = r.u64();
  const lsn = recordLsn ?? r.u64();
  let text: Uint8Array | undefined;
  let expiresAtMs: number | undefined;
  let type: DataType | undefined;
  if (hasExpiry(kind)) expiresAtMs = r.u64();
  if (kind >= ENTRY_TYPED_PUT) type = dataTypeOf(r.u8());
  if (valued) {
    const length = r.u32();
    text = copyValue ? r.copy(length) : r.bytes(length);
  }
  return [key, entryFromStored(version, text, lsn, expiresAtMs, lazy, type)];
}

/** One segment entry's fields as {@link skimEntry} reads them: everything but the document itself. */
export interface EntryHeader {
  kind: number;
  key: KeyString;
  version: number;
  lsn: number;
  /** Absolute expiry (Clock ms), kinds 3 and 5 only. */
  expiresAtMs: number | undefined;
}

/**
 * Reads one segment entry (with its LSN) from `r` without decoding or copying its document: `r` ends past
 * the value, so the entry's encoding is the bytes between the position before and after the call (what
 * merges and splits copy as they are). Same checks as {@link decodeEntry} except the JSON text.
 * @throws Error on an unknown kind or a field past the end (ShortReadError).
 */
export function skimEntry(r: ByteReader): EntryHeader {
  const kind = r.u8();
  const valued = hasValue(kind);
  const key = r.latin1(r.u16());
  const version = r.u64();
  const lsn = r.u64();
  let expiresAtMs: number | undefined;
  if (hasExpiry(kind)) expiresAtMs = r.u64();
  if (kind >= ENTRY_TYPED_PUT) dataTypeOf(r.u8());
  if (valued) r.skip(r.u32());
  return { kind, key, version, lsn, expiresAtMs };
}
