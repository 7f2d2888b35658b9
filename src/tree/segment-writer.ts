/**
 * Writes a segment (format in segment-format.ts): sorted entries into checksummed blocks, then the sparse
 * index, the bloom filter, then the footer. Atomic publication, as the durability contract asks: write `<name>.tmp`, fdatasync,
 * rename to `<name>`, `syncDir`. Only after that may a manifest name it.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { ByteWriter, checksum } from "../util/bytes.js";
import { buildBloom } from "./bloom.js";
import {
  BLOCK_BYTES_TARGET,
  ENTRY_PUT,
  ENTRY_PUT_EXPIRING,
  ENTRY_TOMBSTONE,
  FOOTER_BYTES,
  SEGMENT_MAGIC,
} from "./segment-format.js";

/** What was written. */
export interface SegmentWriteResult {
  name: string;
  bytes: number;
  entries: number;
  tombstones: number;
  maxLsn: number;
  /** The file's size in bytes. */
  size: number;
  /** The index, bloom filter and footer as written and synced, and where they start. */
  tail: { offset: number; bytes: Uint8Array };
}

/** How a segment is written in bounded slices (DESIGN.md, Storage: scheduler). */
export interface SegmentWriteOptions {
  /** Largest single write, in bytes. Default 256 KiB. */
  sliceBytes?: number;
  /** Awaited after every slice written: lets foreground work run between slices. */
  onSlice?: () => Promise<void> | void;
}

/** Default slice of a background write, in bytes. */
export const SLICE_BYTES_DEFAULT = 256 * 1024;

/** Frames a block payload: length, crc32, payload. */
export function frameBlock(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(checksum(payload), 4);
  out.set(payload, 8);
  return out;
}

/** Encodes one entry into a data block. */
export function encodeEntry(w: ByteWriter, key: KeyString, entry: Entry): void {
  const keyBuf = Buffer.from(key, "latin1");
  const expiring = entry.text !== undefined && entry.expiresAtMs !== undefined;
  w.u8(entry.text === undefined ? ENTRY_TOMBSTONE : expiring ? ENTRY_PUT_EXPIRING : ENTRY_PUT);
  w.u16(keyBuf.length);
  w.bytes(keyBuf);
  w.u64(entry.version);
  w.u64(entry.lsn);
  if (expiring) w.u64(entry.expiresAtMs as number);
  if (entry.text !== undefined) {
    w.u32(entry.text.length);
    w.bytes(entry.text);
  }
}

/**
 * Writes `entries` (strictly ascending by key) as segment `name` in `dir`, atomically and durably. Blocks are
 * encoded and written as they fill, one slice (`sliceBytes`) at a time with `onSlice` awaited in between, so
 * neither the encoding nor the I/O holds the event loop for more than a slice.
 * @throws on I/O errors; the temp file may then remain and is removed by the next recovery.
 */
export async function writeSegment(
  fs: FileSystem,
  dir: string,
  name: string,
  entries: Iterable<[KeyString, Entry]>,
  options: SegmentWriteOptions = {},
): Promise<SegmentWriteResult> {
  const slice = options.sliceBytes ?? SLICE_BYTES_DEFAULT;
  const index = new ByteWriter(256);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;
  let offset = 0;
  let count = 0;
  let tombstones = 0;
  const keys: KeyString[] = [];
  let blocks = 0;
  let maxLsn = 0;
  let prevKey: KeyString | undefined;
  let block = new ByteWriter(BLOCK_BYTES_TARGET + 512);
  let blockFirstKey: KeyString | undefined;

  const tmp = joinPath(dir, `${name}.tmp`);
  const file = await fs.open(tmp, { create: true });
  const writePending = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    await file.write(written, data);
    written += data.length;
    await options.onSlice?.();
  };
  const flushBlock = (): void => {
    if (blockFirstKey === undefined) return;
    const framed = frameBlock(block.finish());
    const keyBuf = Buffer.from(blockFirstKey, "latin1");
    index.u16(keyBuf.length).bytes(keyBuf).u64(offset).u32(framed.length);
    pending.push(framed);
    pendingBytes += framed.length;
    offset += framed.length;
    blocks++;
    block = new ByteWriter(BLOCK_BYTES_TARGET + 512);
    blockFirstKey = undefined;
  };

  let tail: Buffer;
  try {
    await file.truncate(0);
    for (const [key, entry] of entries) {
      assert(prevKey === undefined || prevKey < key, "segment entries are strictly ascending");
      prevKey = key;
      if (blockFirstKey === undefined) blockFirstKey = key;
      encodeEntry(block, key, entry);
      keys.push(key);
      count++;
      if (entry.text === undefined) tombstones++;
      if (entry.lsn > maxLsn) maxLsn = entry.lsn;
      if (block.length >= BLOCK_BYTES_TARGET) flushBlock();
      // Bounded slices: the scheduler lets foreground work run between them.
      if (pendingBytes >= slice) await writePending();
    }
    flushBlock();
    await writePending();

    const indexPayload = new ByteWriter(index.length + 4).u32(blocks).bytes(index.finish()).finish();
    const indexBlock = frameBlock(indexPayload);
    const indexOffset = offset;
    const bloomBlock = frameBlock(buildBloom(keys));
    const bloomOffset = indexOffset + indexBlock.length;
    const footer = new ByteWriter(FOOTER_BYTES)
      .bytes(SEGMENT_MAGIC)
      .u64(indexOffset)
      .u32(indexBlock.length)
      .u64(bloomOffset)
      .u32(bloomBlock.length)
      .u64(count)
      .u64(tombstones)
      .u64(maxLsn)
      .finish();
    tail = Buffer.concat([indexBlock, bloomBlock, footer, u32le(checksum(footer))]);
    await file.write(written, tail);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, joinPath(dir, name));
  await fs.syncDir(dir);
  const size = offset + tail.length;
  return { name, bytes: size, entries: count, tombstones, maxLsn, tail: { offset, bytes: tail }, size };
}

function u32le(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}
