/**
 * Segment file format; the grammar is docs/segment-format.md. A segment is an immutable, sorted run of one
 * leaf's entries, written whole, synced, renamed into place and then named in the manifest.
 *
 *   segment := block* indexBlock bloomBlock footer
 *   block   := payloadLength u32 | crc32 u32 | payload          (crc32 over payload)
 *   payload (data)  := entry+                                  (keys strictly ascending)
 *   entry   := kind u8 (1 put, 2 tombstone, 3 put with expiry) | keyLength u16 | key | version u64
 *              | lsn u64 | [expiresAtMs u64]                      (kind 3 only)
 *              | [valueLength u32 | value]                        (value only for puts: kinds 1 and 3)
 *              (src/doc/entry-codec.ts, which the WAL's batches share: they only leave out the lsn)
 *   payload (index) := count u32 | (keyLength u16 | firstKey | offset u64 | length u32)*
 *   payload (bloom) := probes u8 | bits[n]                     (src/tree/bloom.ts; n >= 8)
 *   footer  := magic[8] "FUSESEG2" | indexOffset u64 | indexLength u32 | bloomOffset u64 | bloomLength u32
 *              | entryCount u64 | tombstoneCount u64 | maxLsn u64
 *              | crc32 u32                                      (crc32 over the 56 bytes before it)
 */
import { Buffer } from "node:buffer";

/** Block framing: payload length, crc32. */
export const BLOCK_HEADER_BYTES = 4 + 4; // length, crc
/** Footer: magic, indexOffset, indexLength, bloomOffset, bloomLength, entryCount, tombstoneCount, maxLsn, crc. */
export const FOOTER_BYTES = 8 + 8 + 4 + 8 + 4 + 8 + 8 + 8 + 4; // = 60
/** The footer bytes its crc32 covers: all but the crc itself. */
export const FOOTER_CHECKED_BYTES = FOOTER_BYTES - 4; // = 56
export const SEGMENT_MAGIC = Buffer.from("FUSESEG2", "latin1");
/** Target payload size of a data block, in bytes; a block ends at the first entry past it. */
export const BLOCK_BYTES_TARGET = 4096;
/** Bound on any block's payload, checked before allocation. */
export const BLOCK_BYTES_MAX = 128 * 1024 * 1024;

/** Segment file name for file number `n`. */
export function segmentFileName(n: number): string {
  return `seg-${String(n).padStart(8, "0")}.sst`;
}

/** File number of a segment file name, or undefined. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^seg-(\d{8})\.sst$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
