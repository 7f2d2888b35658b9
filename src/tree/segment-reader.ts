/**
 * Reads a segment (format in segment-format.ts). Opening verifies the footer and the index; each data block
 * is verified against its crc32 every time it is read from disk, so damaged data is reported as a
 * `CorruptionError` naming file and offset, never returned as a value. Parsed blocks are kept in the shared
 * {@link BlockCache} (byte budget). A bloom filter lets point lookups skip segments that lack the key.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { decodeEntry } from "../doc/entry-codec.js";
import type { KeyString } from "../doc/key.js";
import { assert, CorruptionError, markCorruption } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { joinPath } from "../io/file-system.js";
import { ByteReader, checksum } from "../util/bytes.js";
import { mark } from "../util/coverage.js";
import type { BlockCache } from "./block-cache.js";
import { bloomMayContain } from "./bloom.js";
import { appendRawBlock, type RawEntry } from "./raw-entry.js";
import {
  BLOCK_BYTES_MAX,
  BLOCK_HEADER_BYTES,
  FOOTER_BYTES,
  FOOTER_CHECKED_BYTES,
  SEGMENT_MAGIC,
} from "./segment-format.js";

interface IndexEntry {
  firstKey: KeyString;
  offset: number;
  length: number;
}

/** A decoded data block: keys ascending, entries parallel. */
export interface Block {
  keys: KeyString[];
  entries: Entry[];
}

/** Marker: answering needs a block read. */
export const NOT_CACHED: unique symbol = Symbol("NOT_CACHED");

/** The cache segments share. */
export type SegmentBlockCache = BlockCache<Block>;

/** An open, verified segment. */
export class SegmentReader {
  /**
   * Bytes this segment adds to its leaf's live data (the scheduler's leaf size): its data bytes unless a
   * job knows better — a flush's estimate of the bytes of keys new to the leaf, so versions that replace
   * older ones are not counted twice.
   */
  liveBytes: number;
  private refs = 1;
  private closing = false;
  private onClosed: (() => Promise<void>) | undefined;
  private readonly id: number;

  private constructor(
    readonly name: string,
    private readonly file: File,
    readonly sizeBytes: number,
    private readonly index: IndexEntry[],
    private readonly bloom: Uint8Array,
    readonly entryCount: number,
    readonly tombstoneCount: number,
    readonly maxLsn: number,
    private readonly cache: SegmentBlockCache,
    private readonly verifyChecksums: boolean,
  ) {
    this.id = cache.newId();
    this.liveBytes = this.dataBytes;
  }

  /**
   * Opens segment `name` in `dir` and verifies its footer and index. `verifyChecksums` false is the broken
   * "reader that ignores checksums" of the sensitivity tests (recovery mode `ignore-checksums`) only.
   * @throws CorruptionError on a bad footer, index or size.
   */
  static async open(
    fs: FileSystem,
    dir: string,
    name: string,
    cache: SegmentBlockCache,
    written?: { size: number; tail: { offset: number; bytes: Uint8Array } },
    verifyChecksums = true,
  ): Promise<SegmentReader> {
    const file = await fs.open(joinPath(dir, name));
    try {
      const size = written?.size ?? (await file.size());
      if (size < FOOTER_BYTES) throw segmentCorruption(name, 0, `segment of ${size} bytes has no footer`);
      // The footer, index and bloom lie at the end of the file. A segment just written (and synced) by this
      // process gives them from the bytes written; any other is read from its end in one read of up to
      // TAIL_READ_BYTES (and one more for a larger index and bloom, below), not one read each (issue 13:
      // open's fixed costs). Data blocks are still read from the file and verified on every load.
      let tail = written?.tail ?? (await readRange(file, name, Math.max(0, size - TAIL_READ_BYTES), size));
      const source: Pick<File, "read"> = {
        read: (offset, length) => {
          if (offset < tail.offset) return file.read(offset, length);
          return Promise.resolve(tail.bytes.subarray(offset - tail.offset, offset - tail.offset + length));
        },
      };
      const footerAt = size - FOOTER_BYTES;
      const footer = await source.read(footerAt, FOOTER_BYTES);
      if (footer.length !== FOOTER_BYTES) throw segmentCorruption(name, footerAt, "short footer read");
      // Verify the crc before parsing: a damaged u64 field must be reported as corruption, not a parse error.
      const footerCrc = new ByteReader(footer, FOOTER_CHECKED_BYTES).u32();
      if (verifyChecksums && checksum(footer.subarray(0, FOOTER_CHECKED_BYTES)) !== footerCrc) {
        throw segmentCorruption(name, footerAt, "footer checksum mismatch");
      }
      const r = new ByteReader(footer);
      const magic = r.bytes(8);
      const indexOffset = r.u64();
      const indexLength = r.u32();
      const bloomOffset = r.u64();
      const bloomLength = r.u32();
      const entryCount = r.u64();
      const tombstoneCount = r.u64();
      const maxLsn = r.u64();
      if (!magic.equals(SEGMENT_MAGIC)) throw segmentCorruption(name, footerAt, "bad magic");
      if (indexOffset + indexLength !== bloomOffset || bloomOffset + bloomLength !== footerAt) {
        throw segmentCorruption(
          name,
          footerAt,
          `index at ${indexOffset}+${indexLength}, bloom at ${bloomOffset}+${bloomLength} do not end at footer`,
        );
      }
      if (written === undefined && indexOffset < tail.offset) {
        // An index and bloom larger than the first read: the rest of them in one more read.
        const before = await readRange(file, name, indexOffset, tail.offset);
        tail = { offset: indexOffset, bytes: Buffer.concat([before.bytes, tail.bytes]) };
      }
      const payload = await readBlock(source, name, indexOffset, indexLength, verifyChecksums);
      const index = parseIndex(payload, name, indexOffset);
      const bloom = Uint8Array.prototype.slice.call(
        await readBlock(source, name, bloomOffset, bloomLength, verifyChecksums),
      );
      return new SegmentReader(
        name,
        file,
        size,
        index,
        bloom,
        entryCount,
        tombstoneCount,
        maxLsn,
        cache,
        verifyChecksums,
      );
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Takes a reference; `release` gives it back. The file closes when the last reference is released. */
  retain(): void {
    assert(this.refs > 0, "retain after close");
    this.refs++;
  }

  /** Gives back a reference (the opener holds the first). */
  async release(): Promise<void> {
    assert(this.refs > 0, "release without retain");
    this.refs--;
    if (this.refs === 0 && !this.closing) {
      this.closing = true;
      this.cache.dropSegment(this.id);
      await this.file.close();
      await this.onClosed?.();
    }
  }

  /**
   * Gives back the opener's reference of a segment that a durable manifest edit no longer names; `remove`
   * (deleting the file) runs once the last reader released it.
   */
  retire(remove: () => Promise<void>): Promise<void> {
    this.onClosed = remove;
    return this.release();
  }

  /**
   * The entry for `key`, tombstones included, or undefined if this segment has none.
   * @throws CorruptionError if the block holding it is damaged.
   */
  async get(key: KeyString): Promise<Entry | undefined> {
    if (!this.mayContain(key)) return undefined;
    const b = this.blockFor(key);
    if (b < 0) return undefined;
    const block = await this.loadBlock(b);
    const i = lowerBound(block.keys, key);
    return block.keys[i] === key ? block.entries[i] : undefined;
  }

  /** Every entry in key order (for merges and checks). @throws CorruptionError on a damaged block. */
  async *entries(): AsyncGenerator<[KeyString, Entry]> {
    for (let b = 0; b < this.index.length; b++) {
      const block = await this.loadBlock(b);
      for (let i = 0; i < block.keys.length; i++) yield blockPair(block, i);
    }
  }

  /**
   * Every entry in key order as raw entries (raw-entry.ts), for a background job: read in runs of whole
   * blocks of about `readBytes` (one large sequential read each, at least one block), past the block cache
   * (no fill, no eviction of hot blocks). Every block is checked as {@link loadBlock} checks it, and keys
   * must ascend across blocks too. One array per read.
   * @throws CorruptionError on a damaged block.
   */
  async *rawRuns(readBytes: number): AsyncGenerator<RawEntry[]> {
    let prev: KeyString | undefined;
    // Bounded by the blocks: every run takes at least one.
    for (let b = 0; b < this.index.length; ) {
      const first = this.indexAt(b);
      if (first.length < BLOCK_HEADER_BYTES || first.length > BLOCK_BYTES_MAX) {
        throw segmentCorruption(this.name, first.offset, `block length ${first.length} out of bounds`);
      }
      let end = b + 1;
      let length = first.length;
      for (let next = this.index[end]; next !== undefined && length + next.length <= readBytes; ) {
        length += next.length;
        next = this.index[++end];
      }
      const data = await this.file.read(first.offset, length);
      if (data.length !== length) throw segmentCorruption(this.name, first.offset, "short block read");
      const out: RawEntry[] = [];
      for (; b < end; b++) {
        const ix = this.indexAt(b);
        const at = ix.offset - first.offset;
        const payload = checkFrame(
          data.subarray(at, at + ix.length),
          this.name,
          ix.offset,
          this.verifyChecksums,
        );
        try {
          prev = appendRawBlock(payload, ix.firstKey, prev, out);
        } catch (err) {
          throw segmentCorruption(this.name, ix.offset, `bad block: ${(err as Error).message}`);
        }
      }
      yield out;
    }
  }

  /**
   * The entry for `key` (tombstones included; undefined if this segment has none) without waiting: from the
   * cache, or read on the calling thread if the file offers `readSync`; {@link NOT_CACHED} if the block
   * would need an asynchronous read.
   * @throws CorruptionError if the block holding it is damaged; the file system's error.
   */
  getNow(key: KeyString): Entry | undefined | typeof NOT_CACHED {
    if (!this.mayContain(key)) return undefined;
    const b = this.blockFor(key);
    if (b < 0) return undefined;
    const block = this.blockNow(b);
    if (block === NOT_CACHED) return NOT_CACHED;
    const i = lowerBound(block.keys, key);
    return block.keys[i] === key ? block.entries[i] : undefined;
  }

  /**
   * Block `b` without waiting: from the cache, or read (and verified, and cached) on the calling thread if
   * the file offers `readSync`; {@link NOT_CACHED} if it would need an asynchronous read.
   * @throws CorruptionError if the block is damaged; the file system's error.
   */
  blockNow(b: number): Block | typeof NOT_CACHED {
    const ix = this.indexAt(b);
    const cached = this.cache.get(this.id, ix.offset);
    if (cached !== undefined) return cached;
    if (this.file.readSync === undefined) return NOT_CACHED;
    checkBlockLength(this.name, ix.offset, ix.length);
    const data = this.file.readSync(ix.offset, ix.length);
    return this.admitBlock(ix, verifyBlock(data, this.name, ix.offset, ix.length, this.verifyChecksums));
  }

  /** Block `b` if the cache holds it (made most recent), else undefined; reads nothing. */
  cachedBlock(b: number): Block | undefined {
    return this.cache.get(this.id, this.indexAt(b).offset, false);
  }

  /**
   * The entry for `key` if the answer needs no I/O: undefined when the bloom filter or the index rules the
   * key out or its block is cached without it; {@link NOT_CACHED} when the block would have to be read.
   */
  peek(key: KeyString): Entry | undefined | typeof NOT_CACHED {
    if (!this.mayContain(key)) return undefined;
    const b = this.blockFor(key);
    if (b < 0) return undefined;
    const block = this.cache.get(this.id, this.indexAt(b).offset, false);
    if (block === undefined) return NOT_CACHED;
    const i = lowerBound(block.keys, key);
    return block.keys[i] === key ? block.entries[i] : undefined;
  }

  /** Whether the bloom filter admits `key` (false: certainly absent). */
  mayContain(key: KeyString): boolean {
    return bloomMayContain(this.bloom, key);
  }

  /** The lowest and highest key, from the index and the last block (undefined if empty). */
  get firstKey(): KeyString | undefined {
    return this.index[0]?.firstKey;
  }

  /** Bytes of the data blocks (the file without index, bloom filter and footer). */
  get dataBytes(): number {
    const last = this.index[this.index.length - 1];
    return last === undefined ? 0 : last.offset + last.length;
  }

  /** Number of data blocks. */
  get blockCount(): number {
    return this.index.length;
  }

  /** The first key of block `b` (from the index, in memory: no read). */
  blockFirstKey(b: number): KeyString {
    return this.indexAt(b).firstKey;
  }

  /** Index of the last block whose first key is at or below `key` (-1: `key` is below every block). */
  blockFor(key: KeyString): number {
    let lo = 0;
    let hi = this.index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.indexAt(mid).firstKey <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private indexAt(b: number): IndexEntry {
    const ix = this.index[b];
    // The message is built only on failure: the index search runs this once per step of every read.
    if (ix === undefined) assert(false, `block ${b} of ${this.index.length} is indexed`);
    return ix;
  }

  /** Block `b`, from the cache or read (verified, then cached). @throws CorruptionError; the file system's error. */
  async loadBlock(b: number): Promise<Block> {
    const ix = this.indexAt(b);
    const cached = this.cache.get(this.id, ix.offset);
    if (cached) return cached;
    const payload = await readBlock(this.file, this.name, ix.offset, ix.length, this.verifyChecksums);
    return this.admitBlock(ix, payload);
  }

  /** Parses the verified `payload` of the block at `ix`, checks it against the index and caches it. */
  private admitBlock(ix: IndexEntry, payload: Uint8Array): Block {
    const block = parseBlock(payload, this.name, ix.offset);
    if (block.keys[0] !== ix.firstKey)
      throw segmentCorruption(this.name, ix.offset, "block first key ≠ index");
    // Cost: the payload plus a per-entry estimate for the parsed objects.
    this.cache.set(this.id, ix.offset, block, payload.length + 96 * block.keys.length);
    return block;
  }
}

/** Bytes a segment's open reads from its end at first: the footer, and the index and bloom of most segments. */
const TAIL_READ_BYTES = 64 * 1024;

/**
 * Bytes `[start, end)` of segment `name`, with the offset they start at.
 * @throws CorruptionError if the file reads back shorter.
 */
async function readRange(
  file: Pick<File, "read">,
  name: string,
  start: number,
  end: number,
): Promise<{ offset: number; bytes: Uint8Array }> {
  const bytes = await file.read(start, end - start);
  if (bytes.length !== end - start) throw segmentCorruption(name, start + bytes.length, "short read");
  return { offset: start, bytes };
}

/** @throws CorruptionError if a block length from the index or footer is out of bounds (before reading). */
function checkBlockLength(name: string, offset: number, length: number): void {
  if (length < BLOCK_HEADER_BYTES || length > BLOCK_BYTES_MAX) {
    throw segmentCorruption(name, offset, `block length ${length} out of bounds`);
  }
}

async function readBlock(
  file: Pick<File, "read">,
  name: string,
  offset: number,
  length: number,
  verifyChecksum: boolean,
): Promise<Uint8Array> {
  checkBlockLength(name, offset, length);
  return verifyBlock(await file.read(offset, length), name, offset, length, verifyChecksum);
}

/** The payload of the block `data` read at `offset`, its length and checksum verified. @throws CorruptionError */
function verifyBlock(
  data: Uint8Array,
  name: string,
  offset: number,
  length: number,
  verifyChecksum: boolean,
): Uint8Array {
  if (data.length !== length) throw segmentCorruption(name, offset, "short block read");
  return checkFrame(data, name, offset, verifyChecksum);
}

/** The payload of the framed block `data` read at `offset`, after its length field and crc are checked. */
function checkFrame(data: Uint8Array, name: string, offset: number, verifyChecksum: boolean): Uint8Array {
  const length = data.length;
  if (length < BLOCK_HEADER_BYTES || length > BLOCK_BYTES_MAX) {
    throw segmentCorruption(name, offset, `block length ${length} out of bounds`);
  }
  const r = new ByteReader(data);
  const payloadLength = r.u32();
  const crc = r.u32();
  if (payloadLength !== length - BLOCK_HEADER_BYTES) {
    throw segmentCorruption(name, offset, `block says ${payloadLength} bytes, index says ${length}`);
  }
  const payload = data.subarray(BLOCK_HEADER_BYTES);
  if (verifyChecksum && checksum(payload) !== crc) {
    mark("segment.checksum-mismatch");
    throw segmentCorruption(name, offset, "block checksum mismatch");
  }
  return payload;
}

function parseIndex(payload: Uint8Array, name: string, offset: number): IndexEntry[] {
  try {
    const r = new ByteReader(payload);
    const count = r.u32();
    if (count * 14 > r.remaining) throw new Error(`index count ${count} too large`);
    const out: IndexEntry[] = [];
    for (let i = 0; i < count; i++) {
      const firstKey = r.latin1(r.u16());
      const blockOffset = r.u64();
      const length = r.u32();
      const prev = out[out.length - 1];
      if (prev && !(prev.firstKey < firstKey && prev.offset + prev.length === blockOffset)) {
        throw new Error(`index entry ${i} out of order`);
      }
      out.push({ firstKey, offset: blockOffset, length });
    }
    if (r.remaining !== 0) throw new Error("trailing bytes in index");
    return out;
  } catch (err) {
    if (err instanceof CorruptionError) throw err;
    throw segmentCorruption(name, offset, `bad index: ${(err as Error).message}`);
  }
}

function parseBlock(payload: Uint8Array, name: string, offset: number): Block {
  try {
    const r = new ByteReader(payload);
    const keys: KeyString[] = [];
    const entries: Entry[] = [];
    // Bounded: each iteration consumes at least ENTRY_BYTES_MIN + ENTRY_LSN_BYTES = 19 bytes (entry-codec.ts).
    while (r.remaining > 0) {
      const [key, entry] = decodeEntry(r, undefined, true);
      const prev = keys[keys.length - 1];
      if (prev !== undefined && !(prev < key)) throw new Error("keys out of order");
      keys.push(key);
      entries.push(entry);
    }
    if (keys.length === 0) throw new Error("empty block");
    return { keys, entries };
  } catch (err) {
    throw segmentCorruption(name, offset, `bad block: ${(err as Error).message}`);
  }
}

/** A CorruptionError for damage in segment `name`, counted (coverage marks) here, where it is detected. */
function segmentCorruption(name: string, offset: number, reason: string): CorruptionError {
  markCorruption("segment");
  return new CorruptionError(name, offset, reason);
}

/** Entry `i` of a decoded block (keys and entries are parallel arrays). */
function blockPair(block: Block, i: number): [KeyString, Entry] {
  const key = block.keys[i];
  const entry = block.entries[i];
  assert(key !== undefined, "an entry index lies inside its block");
  assert(entry !== undefined, "a block's keys and entries are parallel");
  return [key, entry];
}

/** Index of the first element >= key in a sorted array. */
export function lowerBound(keys: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = keys[mid];
    assert(at !== undefined, "mid lies inside the array");
    if (at < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
