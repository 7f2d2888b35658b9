/**
 * Reading a WAL file front to back with bounded memory (issue 12 item 8: a file over 4 GiB was read whole
 * and failed with an untyped RangeError). A {@link FileWindow} holds one read of at most
 * `max(WAL_READ_CHUNK_BYTES, one whole record)` bytes, plus the next chunk read ahead while it is decoded
 * (issue 13: reads overlap replay); records are decoded from it in place, and a record that does not fit
 * is read by itself (its length is bounded by `RECORD_PAYLOAD_BYTES_MAX` before it is
 * trusted). {@link findLaterRecord}, the search behind the torn-tail rule, walks the rest of a file the same
 * way, a chunk at a time.
 */
import { assert, detectedCorruption } from "../errors.js";
import type { File } from "../io/file-system.js";
import {
  type DecodeResult,
  decodeRecord,
  HEADER_BYTES,
  isRecordType,
  RECORD_PAYLOAD_BYTES_MAX,
  recordExtent,
  type WalRecord,
} from "./format.js";

/** Bytes read at once while decoding records: 1 MiB. */
export const WAL_READ_CHUNK_BYTES = 1024 * 1024;
/** The most bytes a window ever holds: a chunk, or one record of the largest size. */
export const WAL_WINDOW_BYTES_MAX = Math.max(WAL_READ_CHUNK_BYTES, HEADER_BYTES + RECORD_PAYLOAD_BYTES_MAX);

/** A sliding read window over one file of known size; see the module comment. */
export class FileWindow {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  /**
   * The read of the chunk after the window, started when the window was loaded, so reading the next chunk
   * overlaps decoding this one (replay reads front to back). Its failure is kept, not thrown, until used.
   */
  private ahead:
    | { offset: number; length: number; data: Promise<Uint8Array | { error: unknown }> }
    | undefined;

  /**
   * @param name the file's name, for errors.
   * @param sizeBytes the file's size when recovery looked (reads past it are never made).
   */
  constructor(
    private readonly file: File,
    readonly name: string,
    readonly sizeBytes: number,
    readonly chunkBytes = WAL_READ_CHUNK_BYTES,
  ) {
    assert(chunkBytes >= HEADER_BYTES, "a chunk holds at least a record header");
  }

  /**
   * Bytes `[offset, offset + length)` of the file, fewer at its end: a view that stays valid (the window
   * never writes into a buffer it handed out).
   * @throws CorruptionError if the file reads back shorter than its size.
   */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    assert(offset >= 0, "reads start inside the file");
    assert(offset <= this.sizeBytes, "reads start inside the file");
    assert(length <= WAL_WINDOW_BYTES_MAX, "a read is bounded by the largest record");
    const end = Math.min(this.sizeBytes, offset + length);
    const inWindow = offset >= this.start && end <= this.start + this.buf.length;
    if (!inWindow) await this.load(offset, end);
    const view = this.buf.subarray(offset - this.start, end - this.start);
    assert(view.length === end - offset, "the window covers the bytes asked for");
    return view;
  }

  /** Waits for a read started ahead, if any (before the file is changed or closed). */
  async drain(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead !== undefined) await ahead.data;
  }

  /** Starts reading the chunk at `offset`, if the file goes on. */
  private readAhead(offset: number): void {
    assert(this.ahead === undefined, "one read ahead at a time");
    const length = Math.min(this.chunkBytes, this.sizeBytes - offset);
    if (length <= 0) return;
    const data = this.file.read(offset, length).catch((error: unknown) => ({ error }));
    this.ahead = { offset, length, data };
  }

  /**
   * Makes the window cover `[offset, end)`: from the chunk read ahead when it holds them, else by a read of
   * a chunk (or of the whole range, when it is longer), after which the next chunk is read ahead.
   * @throws CorruptionError if the file reads back shorter than its size; the read's error.
   */
  private async load(offset: number, end: number): Promise<void> {
    if (await this.loadFromAhead(offset, end)) return;
    const want = Math.max(end - offset, Math.min(this.chunkBytes, this.sizeBytes - offset));
    const data = await this.file.read(offset, want);
    if (data.length !== want) {
      throw detectedCorruption(
        "wal",
        this.name,
        offset + data.length,
        `short read of ${want} bytes at ${offset}`,
      );
    }
    this.buf = data;
    this.start = offset;
    this.readAhead(offset + want);
  }

  /**
   * Covers `[offset, end)` from the chunk read ahead, if it holds them, alone or after the window's tail:
   * the window becomes that chunk from `offset` on (a view, no copy), or, for a record cut by the window's
   * end, just that record's bytes joined (the chunk stays read ahead for the next call). False otherwise (the
   * read ahead is dropped).
   * @throws the read ahead's error, if it failed and its bytes were needed.
   */
  private async loadFromAhead(offset: number, end: number): Promise<boolean> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead === undefined) return false;
    const got = await ahead.data;
    const aheadEnd = ahead.offset + ahead.length;
    const windowEnd = this.start + this.buf.length;
    const cut = offset < ahead.offset && ahead.offset === windowEnd && offset >= this.start;
    if (end > aheadEnd || (offset < ahead.offset && !cut)) return false;
    if ("error" in got) throw got.error;
    if (got.length !== ahead.length) return false; // a short read: read again, and report it then
    if (!cut) {
      this.buf = got.subarray(offset - ahead.offset);
      this.start = offset;
      this.readAhead(aheadEnd);
      return true;
    }
    const joined = new Uint8Array(end - offset);
    joined.set(this.buf.subarray(offset - this.start), 0);
    joined.set(got.subarray(0, end - ahead.offset), windowEnd - offset);
    this.buf = joined;
    this.start = offset;
    this.ahead = { ...ahead, data: Promise.resolve(got) };
    return true;
  }

  /**
   * {@link recordAt} without a read: the record at `offset` when the window holds it (or "end"), else
   * undefined. Synchronous, so replay awaits only when it must read (issue 13: an await per record was half
   * of a cold process's replay time over small records).
   */
  recordInWindow(offset: number, verifyChecksum: boolean): DecodeResult | undefined {
    const left = this.sizeBytes - offset;
    if (left === 0) return { kind: "end" };
    const got = this.decodeInWindow(offset, left, verifyChecksum);
    if (got === undefined || got.kind !== "record") return got;
    assert(got.record.bytes <= left, "a decoded record lies inside the file");
    got.record.offset = offset;
    return got;
  }

  /** The record at `offset` (its `offset` is the file offset), "end" at the file's end, or why it is invalid. */
  async recordAt(offset: number, verifyChecksum: boolean): Promise<DecodeResult> {
    const left = this.sizeBytes - offset;
    if (left === 0) return { kind: "end" };
    const got =
      this.decodeInWindow(offset, left, verifyChecksum) ??
      (await this.decodeAfterRead(offset, left, verifyChecksum));
    if (got.kind !== "record") return got;
    assert(got.record.bytes <= left, "a decoded record lies inside the file");
    got.record.offset = offset;
    return got;
  }

  /**
   * The record at `offset` decoded in place, when the bytes it needs (its header, then its extent) are in
   * the window already: the common case of replay, with no read and no view but the payload's. Undefined
   * when they are not.
   */
  private decodeInWindow(offset: number, left: number, verifyChecksum: boolean): DecodeResult | undefined {
    const rel = offset - this.start;
    const headBytes = Math.min(left, HEADER_BYTES);
    if (rel < 0 || rel + headBytes > this.buf.length) return undefined;
    const extent = headBytes < HEADER_BYTES ? headBytes : recordExtent(this.buf, left, rel);
    if (rel + extent > this.buf.length) return undefined;
    return decodeRecord(this.buf, rel, verifyChecksum, rel + extent);
  }

  /** The record at `offset`, reading what it needs (header first, so its length is bounded before use). */
  private async decodeAfterRead(
    offset: number,
    left: number,
    verifyChecksum: boolean,
  ): Promise<DecodeResult> {
    const head = await this.bytes(offset, Math.min(left, HEADER_BYTES));
    return decodeRecord(await this.bytes(offset, recordExtent(head, left)), 0, verifyChecksum);
  }
}

/**
 * Whether `rec`, found after damage at the record expected to have LSN `expected`, belongs to the group-commit
 * write that would have held `expected`: that group started at or before it and reaches it. Such a record
 * proves nothing (a torn write may leave later parts of itself intact).
 */
export function isOfTornGroup(rec: WalRecord, expected: number): boolean {
  const startsAtOrBefore = rec.groupLsn <= expected;
  const reaches = rec.lsn >= expected;
  return startsAtOrBefore && reaches;
}

/**
 * Looks for a valid record starting at or after `from` that proves the damaged write before it was durable:
 * one whose LSN is plausible (at least `expected - 1`, its high word that of `expected` or the next) and that
 * is not part of the group write holding `expected` ({@link isOfTornGroup}). Candidate headers are filtered on
 * the bytes of one chunk before a record is decoded, so memory stays bounded by the window.
 */
export async function findLaterRecord(
  win: FileWindow,
  from: number,
  expected: number,
  verifyChecksum: boolean,
): Promise<WalRecord | undefined> {
  const size = win.sizeBytes;
  const hiExpected = Math.floor(expected / 2 ** 32);
  let off = from;
  // Bounded: each pass scans at least one offset and moves past it; the file size bounds the offsets.
  while (off + HEADER_BYTES <= size) {
    const span = Math.min(win.chunkBytes, size - off);
    const chunk = await win.bytes(off, span);
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastCandidate = span - HEADER_BYTES;
    for (let i = 0; i <= lastCandidate; i++) {
      const length = dv.getUint32(i + 4, true);
      if (length > RECORD_PAYLOAD_BYTES_MAX) continue;
      if (off + i + HEADER_BYTES + length > size) continue;
      if (!isRecordType(dv.getUint8(i + 8))) continue;
      const lsnHi = dv.getUint32(i + 13, true);
      if (lsnHi !== hiExpected && lsnHi !== hiExpected + 1) continue;
      const got = await win.recordAt(off + i, verifyChecksum);
      if (got.kind !== "record") continue;
      if (got.record.lsn < expected - 1) continue;
      if (isOfTornGroup(got.record, expected)) continue;
      return got.record;
    }
    off += lastCandidate + 1;
  }
  return undefined;
}
