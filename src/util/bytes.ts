/**
 * Little-endian byte writer and bounds-checked reader shared by the on-disk formats (WAL payloads, segment
 * blocks, manifest). Integers up to 2^53 - 1 are stored as u64 in two u32 halves.
 */
import { Buffer } from "node:buffer";
import { crc32 } from "node:zlib";

/** CRC-32 (IEEE, as zlib) of `data`, continuing from `initial`. Hardware-free but native in node:zlib. */
export function checksum(data: Uint8Array, initial = 0): number {
  return crc32(data, initial) >>> 0;
}

const TWO_32 = 2 ** 32;

/** The little-endian u32 at `at` of `b` (the caller checked the bounds). */
export function u32At(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
    (b[at + 3] as number) * 2 ** 24
  );
}

/** Appends little-endian fields to a growable buffer. */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** Unsigned integer in [0, 2^53). */
  u64(v: number): this {
    this.reserve(8);
    this.buf.writeUInt32LE(v % TWO_32, this.pos);
    this.buf.writeUInt32LE(Math.floor(v / TWO_32), this.pos + 4);
    this.pos += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /**
   * Appends the string `s` as latin1, one byte per char (the bytes `Buffer.from(s, "latin1")` holds, with
   * no buffer of their own).
   */
  latin1(s: string): this {
    this.reserve(s.length);
    this.pos += this.buf.write(s, this.pos, s.length, "latin1");
    return this;
  }

  /** Appends `src[start..end)` (no intermediate view). */
  copyFrom(src: Buffer, start: number, end: number): this {
    this.reserve(end - start);
    this.pos += src.copy(this.buf, this.pos, start, end);
    return this;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /**
   * What was written, as a view of the writer's buffer (no copy): it keeps that whole buffer alive (for a
   * small one, the pool slab it was cut from), so only for short-lived results, such as a WAL record's
   * payload, which lives until its group is written. The writer must not be written to afterwards.
   */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Thrown by {@link ByteReader} when a field runs past the end; format readers turn it into corruption. */
export class ShortReadError extends Error {}

/** Reads little-endian fields from a byte range, never past its end. */
export class ByteReader {
  private readonly buf: Buffer;
  pos: number;
  private readonly end: number;

  constructor(data: Uint8Array, start = 0, end = data.length) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ShortReadError(`need ${n} bytes at ${this.pos}, end ${this.end}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p] as number) | ((b[p + 1] as number) << 8);
  }

  u32(): number {
    this.need(4);
    const v = u32At(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const lo = u32At(this.buf, this.pos);
    const hi = u32At(this.buf, this.pos + 4);
    this.pos += 8;
    if (hi >= 2 ** 21) throw new ShortReadError(`u64 at ${this.pos - 8} exceeds 2^53`);
    return hi * TWO_32 + lo;
  }

  /** The next `n` bytes as a latin1 string (one char per byte: a KeyString), without a view. */
  latin1(n: number): string {
    this.need(n);
    const s = this.buf.toString("latin1", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A copy of the next `n` bytes (`Buffer.allocUnsafe`: small copies share Node's buffer pool instead of
   * each allocating memory of their own, as `Uint8Array.prototype.slice` on a Buffer did, several times slower).
   */
  copy(n: number): Buffer {
    this.need(n);
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Moves past the next `n` bytes. */
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
