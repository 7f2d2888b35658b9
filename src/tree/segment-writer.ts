/**
 * Writes a segment (format in segment-format.ts): sorted entries into checksummed blocks, then the sparse
 * index, the bloom filter, then the footer. Atomic publication, as the durability contract asks: write
 * `<name>.tmp`, fdatasync, rename to `<name>`, `syncDir`. Only after that may a manifest name it. Entries
 * arrive decoded (a flush: `writeSegment`) or as their encodings (a merge or split: `SegmentStream.addRaw`,
 * copied as they are); the work between two `onSlice` awaits is bounded (a slice of blocks, or 16k keys of
 * the bloom filter).
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { encodeEntry } from "../doc/entry-codec.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { ByteWriter, checksum } from "../util/bytes.js";
import { addToBloom, emptyBloom, keyHash } from "./bloom.js";
import type { RawEntry } from "./raw-entry.js";
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

/** Keys whose bloom filter bits are set between two slices. */
const BLOOM_KEYS_PER_SLICE = 16 * 1024;

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
  const stream = await SegmentStream.create(fs, dir, name, options);
  try {
    for (const [key, entry] of entries) {
      stream.add(key, entry);
      // Bounded slices: the scheduler lets foreground work run between them.
      await stream.writeSlice();
    }
  } catch (err) {
    await stream.abort();
    throw err;
  }
  return stream.finish();
}

/**
 * A segment being written, entry by entry (a background job feeds it as it merges): `<name>.tmp` is open,
 * framed blocks go out a slice at a time (`writeSlice`), and `finish` writes the index, bloom filter and
 * footer, fdatasyncs, renames to `<name>` and syncs the directory. Only after `finish` may a manifest name
 * it. On any failure the caller calls `abort` (closes the file; the temp file is removed by the caller or
 * by the next open).
 */
export class SegmentStream {
  private readonly builder = new SegmentBuilder();
  private written = 0;
  private closed = false;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    readonly name: string,
    private readonly file: File,
    private readonly options: SegmentWriteOptions,
  ) {}

  /** Opens (creates or empties) `<name>.tmp` in `dir`. @throws on I/O errors. */
  static async create(
    fs: FileSystem,
    dir: string,
    name: string,
    options: SegmentWriteOptions = {},
  ): Promise<SegmentStream> {
    const file = await fs.open(joinPath(dir, `${name}.tmp`), { create: true });
    const stream = new SegmentStream(fs, dir, name, file, options);
    try {
      await file.truncate(0);
    } catch (err) {
      await stream.abort();
      throw err;
    }
    return stream;
  }

  /** Bytes of the entries added so far (their encodings, without block framing). */
  get entryBytes(): number {
    return this.builder.entryBytes;
  }

  /** Entries added so far. */
  get entries(): number {
    return this.builder.entries;
  }

  /** Encodes one entry; its key must be above every key added before. */
  add(key: KeyString, entry: Entry): void {
    this.builder.add(key, entry);
  }

  /** Appends one entry's segment encoding as it is; its key must be above every key added before. */
  addRaw(raw: RawEntry): void {
    this.builder.addRaw(raw);
  }

  /**
   * Writes the framed blocks once a slice (`sliceBytes`) is pending (with `all`, whatever is pending), then
   * awaits `onSlice`. @throws on I/O errors.
   */
  async writeSlice(all = false): Promise<void> {
    const slice = this.options.sliceBytes ?? SLICE_BYTES_DEFAULT;
    if (this.builder.pendingBytes < (all ? 1 : slice)) return;
    const data = this.builder.takePending();
    if (data === undefined) return;
    await this.file.write(this.written, data);
    this.written += data.length;
    await this.options.onSlice?.();
  }

  /** Writes the rest, the tail, fdatasyncs, closes and publishes the file under its name. @throws on I/O. */
  async finish(): Promise<SegmentWriteResult> {
    const builder = this.builder;
    let tail: Buffer;
    try {
      builder.endBlock();
      await this.writeSlice(true);
      assert(this.written === builder.dataBytes, "every data block is written before the tail");
      // The bloom filter's bits are set in bounded runs, with `onSlice` between them.
      const bloom = emptyBloom(builder.entries);
      for (let i = 0; i < builder.hashes.length; i += BLOOM_KEYS_PER_SLICE) {
        addToBloom(bloom, builder.hashes, i, Math.min(builder.hashes.length, i + BLOOM_KEYS_PER_SLICE));
        if (i + BLOOM_KEYS_PER_SLICE < builder.hashes.length) await this.options.onSlice?.();
      }
      tail = builder.tail(bloom);
      await this.file.write(this.written, tail);
      await this.file.sync();
    } finally {
      await this.abort();
    }
    const { fs, dir, name } = this;
    await fs.rename(joinPath(dir, `${name}.tmp`), joinPath(dir, name));
    await fs.syncDir(dir);
    const size = this.written + tail.length;
    const { entries, tombstones, maxLsn } = builder;
    return {
      name,
      bytes: size,
      entries,
      tombstones,
      maxLsn,
      tail: { offset: this.written, bytes: tail },
      size,
    };
  }

  /** Closes the temp file if still open (it stays on disk). Never throws twice for one stream. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}

/**
 * The encoding half of {@link writeSegment}: frames data blocks as entries arrive, and builds the index,
 * the bloom filter and the footer. Framed blocks wait in `pending` until the writer takes them.
 */
class SegmentBuilder {
  entries = 0;
  /** Bytes of the entries' encodings added (no framing). */
  entryBytes = 0;
  tombstones = 0;
  maxLsn = 0;
  /** Bytes of framed blocks not yet taken by the writer. */
  pendingBytes = 0;
  /** Bytes of every data block framed so far (the offset of the next one). */
  dataBytes = 0;
  private pending: Buffer[] = [];
  private readonly index = new ByteWriter(256);
  private blocks = 0;
  /** The keys' bloom hashes, in order (the filter is built from them at the end). */
  readonly hashes: number[] = [];
  private lastKey: KeyString | undefined;
  private block = new ByteWriter(BLOCK_BYTES_TARGET + 512);
  private blockFirstKey: KeyString | undefined;

  /** Encodes one entry; its key must be above every key added before. */
  add(key: KeyString, entry: Entry): void {
    const before = this.begin(key);
    encodeEntry(this.block, key, entry, true);
    this.end(key, entry.text === undefined, entry.lsn, this.block.length - before);
  }

  /** Appends one entry's encoding as it is (a merge's copy); its key must be above every key added before. */
  addRaw(raw: RawEntry): void {
    this.begin(raw.key);
    this.block.copyFrom(raw.data, raw.start, raw.end);
    this.end(raw.key, raw.tombstone, raw.lsn, raw.end - raw.start);
  }

  /** Checks the order and starts a block if none is open; returns the block's length before the entry. */
  private begin(key: KeyString): number {
    const prev = this.lastKey;
    assert(prev === undefined || prev < key, "segment entries are strictly ascending");
    if (this.blockFirstKey === undefined) this.blockFirstKey = key;
    return this.block.length;
  }

  /** Counts the entry just encoded and ends the block once it reaches its target size. */
  private end(key: KeyString, tombstone: boolean, lsn: number, bytes: number): void {
    this.lastKey = key;
    this.hashes.push(keyHash(key));
    this.entries++;
    this.entryBytes += bytes;
    if (tombstone) this.tombstones++;
    if (lsn > this.maxLsn) this.maxLsn = lsn;
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

  /**
   * The index block, bloom block (`bloom`: the filter over every key added) and footer (with its crc32),
   * once every data block was taken.
   */
  tail(bloom: Uint8Array): Buffer {
    assert(this.blockFirstKey === undefined, "the last data block is framed before the tail");
    assert(this.pendingBytes === 0, "every data block is taken before the tail");
    const indexPayload = new ByteWriter(this.index.length + 4)
      .u32(this.blocks)
      .bytes(this.index.finish())
      .finish();
    const indexBlock = frameBlock(indexPayload);
    const indexOffset = this.dataBytes;
    const bloomBlock = frameBlock(bloom);
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
