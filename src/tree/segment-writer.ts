/**
 * Writes a segment (format in segment-format.ts): sorted entries into checksummed blocks, then the sparse
 * index, the bloom filter, then the footer. Atomic publication, as the durability contract asks: write `<name>.tmp`, fdatasync,
 * rename to `<name>`, `syncDir`. Only after that may a manifest name it.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { encodeEntry } from "../doc/entry-codec.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { ByteWriter, checksum } from "../util/bytes.js";
import { buildBloom } from "./bloom.js";
import {
  BLOCK_BYTES_TARGET,
  BLOCK_HEADER_BYTES,
  FOOTER_CHECKED_BYTES,
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
  const out = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(checksum(payload), 4);
  out.set(payload, BLOCK_HEADER_BYTES);
  return out;
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
  const builder = new SegmentBuilder();
  let written = 0;
  const tmp = joinPath(dir, `${name}.tmp`);
  const file = await fs.open(tmp, { create: true });
  const writePending = async (): Promise<void> => {
    const data = builder.takePending();
    if (data === undefined) return;
    await file.write(written, data);
    written += data.length;
    await options.onSlice?.();
  };
  let tail: Buffer;
  try {
    await file.truncate(0);
    for (const [key, entry] of entries) {
      builder.add(key, entry);
      // Bounded slices: the scheduler lets foreground work run between them.
      if (builder.pendingBytes >= slice) await writePending();
    }
    builder.endBlock();
    await writePending();
    assert(written === builder.dataBytes, "every data block is written before the tail");
    tail = builder.tail();
    await file.write(written, tail);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, joinPath(dir, name));
  await fs.syncDir(dir);
  const { entries: count, tombstones, maxLsn } = builder;
  const size = written + tail.length;
  return {
    name,
    bytes: size,
    entries: count,
    tombstones,
    maxLsn,
    tail: { offset: written, bytes: tail },
    size,
  };
}

/**
 * The encoding half of {@link writeSegment}: frames data blocks as entries arrive, and builds the index,
 * the bloom filter and the footer. Framed blocks wait in `pending` until the writer takes them.
 */
class SegmentBuilder {
  entries = 0;
  tombstones = 0;
  maxLsn = 0;
  /** Bytes of framed blocks not yet taken by the writer. */
  pendingBytes = 0;
  /** Bytes of every data block framed so far (the offset of the next one). */
  dataBytes = 0;
  private pending: Buffer[] = [];
  private readonly index = new ByteWriter(256);
  private blocks = 0;
  private readonly keys: KeyString[] = [];
  private block = new ByteWriter(BLOCK_BYTES_TARGET + 512);
  private blockFirstKey: KeyString | undefined;

  /** Encodes one entry; its key must be above every key added before. */
  add(key: KeyString, entry: Entry): void {
    const prev = this.keys[this.keys.length - 1];
    assert(prev === undefined || prev < key, "segment entries are strictly ascending");
    if (this.blockFirstKey === undefined) this.blockFirstKey = key;
    encodeEntry(this.block, key, entry, true);
    this.keys.push(key);
    this.entries++;
    if (entry.text === undefined) this.tombstones++;
    if (entry.lsn > this.maxLsn) this.maxLsn = entry.lsn;
    if (this.block.length >= BLOCK_BYTES_TARGET) this.endBlock();
  }

  /** Frames the block being filled, if it holds any entry, and indexes it. */
  endBlock(): void {
    if (this.blockFirstKey === undefined) return;
    const framed = frameBlock(this.block.finish());
    const keyBuf = Buffer.from(this.blockFirstKey, "latin1");
    this.index.u16(keyBuf.length).bytes(keyBuf).u64(this.dataBytes).u32(framed.length);
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.dataBytes += framed.length;
    this.blocks++;
    this.block = new ByteWriter(BLOCK_BYTES_TARGET + 512);
    this.blockFirstKey = undefined;
  }

  /** The framed blocks not yet written, as one buffer; undefined if none. */
  takePending(): Buffer | undefined {
    if (this.pendingBytes === 0) return undefined;
    const first = this.pending[0];
    const data = this.pending.length === 1 && first !== undefined ? first : Buffer.concat(this.pending);
    assert(data.length === this.pendingBytes, "pending bytes match the blocks pending");
    this.pending = [];
    this.pendingBytes = 0;
    return data;
  }

  /** The index block, bloom block and footer (with its crc32), once every data block was taken. */
  tail(): Buffer {
    assert(this.blockFirstKey === undefined, "the last data block is framed before the tail");
    assert(this.pendingBytes === 0, "every data block is taken before the tail");
    const indexPayload = new ByteWriter(this.index.length + 4)
      .u32(this.blocks)
      .bytes(this.index.finish())
      .finish();
    const indexBlock = frameBlock(indexPayload);
    const indexOffset = this.dataBytes;
    const bloomBlock = frameBlock(buildBloom(this.keys));
    const bloomOffset = indexOffset + indexBlock.length;
    const footer = new ByteWriter(FOOTER_CHECKED_BYTES)
      .bytes(SEGMENT_MAGIC)
      .u64(indexOffset)
      .u32(indexBlock.length)
      .u64(bloomOffset)
      .u32(bloomBlock.length)
      .u64(this.entries)
      .u64(this.tombstones)
      .u64(this.maxLsn)
      .finish();
    assert(footer.length === FOOTER_CHECKED_BYTES, "the footer before its crc is FOOTER_CHECKED_BYTES long");
    return Buffer.concat([indexBlock, bloomBlock, footer, u32le(checksum(footer))]);
  }
}

function u32le(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}
