/**
 * The bytes of one simulated file: a growable buffer with a logical size. Writes past the end zero-fill the
 * gap, as a sparse file reads back zeros (POSIX pwrite).
 */

/** Smallest capacity a non-empty image allocates, in bytes. */
const CAPACITY_MIN_BYTES = 64;

/** Whether `value` is a valid byte offset, length or size: a safe integer, not negative. */
export function isByteCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** A file's contents: `size` bytes, zero beyond what was written. */
export class ByteImage {
  private bytes: Uint8Array;
  private sizeBytes: number;

  /** @param initial copied, not kept. */
  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.bytes = new Uint8Array(initial); // a copy even for a Buffer, whose slice() is a view
    this.sizeBytes = initial.length;
  }

  get size(): number {
    return this.sizeBytes;
  }

  /** Up to `length` bytes at `offset` (fewer at end of file), as a copy. */
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.sizeBytes, offset + length);
    if (offset >= end) return new Uint8Array(0);
    return this.bytes.slice(offset, end);
  }

  /** Copies `data` in at `offset`, growing the file; a gap between the old end and `offset` reads as zeros. */
  write(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    this.reserve(end);
    this.bytes.set(data, offset);
    if (end > this.sizeBytes) this.sizeBytes = end;
  }

  /** Sets the size; shrinking zeroes the cut bytes so a later extension reads zeros. */
  truncate(sizeBytes: number): void {
    if (sizeBytes < this.sizeBytes) {
      this.bytes.fill(0, sizeBytes, this.sizeBytes);
    } else {
      this.reserve(sizeBytes);
    }
    this.sizeBytes = sizeBytes;
  }

  /** Flips the bits of `mask` in the byte at `offset`; beyond the end of the file it does nothing. */
  xor(offset: number, mask: number): void {
    if (offset < this.sizeBytes) this.bytes[offset] = (this.bytes[offset] as number) ^ mask;
  }

  /** A copy of the whole contents. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.sizeBytes);
  }

  /** An independent image with the same contents. */
  clone(): ByteImage {
    return new ByteImage(this.bytes.subarray(0, this.sizeBytes));
  }

  private reserve(capacityBytes: number): void {
    if (capacityBytes <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacityBytes, 2 * this.bytes.length, CAPACITY_MIN_BYTES));
    grown.set(this.bytes.subarray(0, this.sizeBytes));
    this.bytes = grown;
  }
}
