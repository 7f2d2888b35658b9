/**
 * A leaf (FuseDB): a key range with a mutable buffer, at most one frozen buffer being flushed, and its
 * immutable segments. With one leaf this is roadmap step 1; the router over many leaves builds on it.
 * Read order: active buffer, then frozen buffer, then the segment, newest first.
 */
import type { Entry } from "../doc/entry.js";
import { expiredToTombstone, isLive } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { inRange, type KeyRange, pastEnd, startKey } from "./key-range.js";
import { MemBuffer } from "./mem-buffer.js";
import type { SegmentReader } from "./segment-reader.js";

/** Marker: the buffers do not know the key; the segment must be read. */
export const NOT_IN_MEMORY: unique symbol = Symbol("NOT_IN_MEMORY");

/** One leaf of the tree. */
export class Leaf {
  active = new MemBuffer();
  frozen: MemBuffer | undefined;

  constructor(
    /** Lowest key of the range ("" for the first leaf). */
    readonly low: KeyString,
    public segment: SegmentReader | undefined,
  ) {}

  /** The key's newest entry if memory can answer (tombstones included), else NOT_IN_MEMORY. */
  lookupMemory(key: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const a = this.active.get(key);
    if (a) return a;
    const f = this.frozen?.get(key);
    if (f) return f;
    return this.segment ? NOT_IN_MEMORY : undefined;
  }

  /** The key's newest durable entry, tombstones included. @throws CorruptionError from the segment. */
  async get(key: KeyString): Promise<Entry | undefined> {
    const mem = this.lookupMemory(key);
    if (mem !== NOT_IN_MEMORY) return mem;
    const segment = this.segment;
    assert(segment !== undefined, "NOT_IN_MEMORY implies a segment");
    segment.retain();
    try {
      return await segment.get(key);
    } finally {
      await segment.release();
    }
  }

  /**
   * Up to `limit` live entries (tombstones and entries expired at `nowMs` skipped) within `range`, in key
   * order or reverse: the buffers merged over the segment, newest first per key.
   * @throws CorruptionError from the segment.
   */
  async scan(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Promise<[KeyString, Entry][]> {
    const mem = new Map<KeyString, Entry>();
    for (const buffer of [this.frozen, this.active]) {
      if (!buffer) continue;
      for (const [key, entry] of buffer.entriesIn(range)) mem.set(key, entry);
    }
    const memSorted = [...mem.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (reverse) memSorted.reverse();
    const before = (a: KeyString, b: KeyString): boolean => (reverse ? a > b : a < b);
    const out: [KeyString, Entry][] = [];
    const emit = (key: KeyString, entry: Entry): boolean => {
      if (isLive(entry, nowMs)) out.push([key, entry]);
      return out.length >= limit;
    };
    let i = 0;
    const segment = this.segment;
    if (segment) {
      segment.retain();
      try {
        for await (const [key, entry] of segment.range(startKey(range, reverse), reverse)) {
          if (pastEnd(key, range, reverse)) break;
          if (!inRange(key, range)) continue;
          // Bounded by the number of buffered entries in range.
          while (i < memSorted.length && before((memSorted[i] as [KeyString, Entry])[0], key)) {
            const [k, e] = memSorted[i++] as [KeyString, Entry];
            if (emit(k, e)) return out;
          }
          const m = memSorted[i];
          if (m !== undefined && m[0] === key) {
            i++;
            if (emit(key, m[1])) return out;
          } else if (emit(key, entry)) {
            return out;
          }
        }
      } finally {
        await segment.release();
      }
    }
    while (i < memSorted.length && out.length < limit) {
      const [k, e] = memSorted[i++] as [KeyString, Entry];
      emit(k, e);
    }
    return out;
  }

  /** Moves the active buffer to frozen (for a flush) and starts a new active buffer. */
  freeze(): MemBuffer {
    assert(this.frozen === undefined, "one flush at a time per leaf");
    const frozen = this.active;
    this.frozen = frozen;
    this.active = new MemBuffer();
    return frozen;
  }

  /** Undoes `freeze` after a failed flush: frozen entries return under the newer active ones. */
  thaw(): void {
    const frozen = this.frozen;
    assert(frozen !== undefined, "thaw needs a frozen buffer");
    for (const [key, entry] of frozen.sorted()) {
      if (!this.active.get(key)) this.active.set(key, entry);
    }
    this.frozen = undefined;
  }

  /**
   * Entries of frozen merged over the segment, in key order: the content of the next segment. Entries
   * expired at `nowMs` become tombstones with the same version (background removal of expired keys).
   */
  async mergedForFlush(nowMs: number): Promise<[KeyString, Entry][]> {
    const frozen = this.frozen;
    assert(frozen !== undefined, "flush needs a frozen buffer");
    const mem = frozen.sorted();
    const out: [KeyString, Entry][] = [];
    let i = 0;
    if (this.segment) {
      for await (const [key, entry] of this.segment.entries()) {
        // Bounded by the frozen buffer's size.
        while (i < mem.length && (mem[i] as [KeyString, Entry])[0] < key)
          out.push(mem[i++] as [KeyString, Entry]);
        if (i < mem.length && (mem[i] as [KeyString, Entry])[0] === key)
          out.push(mem[i++] as [KeyString, Entry]);
        else out.push([key, entry]);
      }
    }
    while (i < mem.length) out.push(mem[i++] as [KeyString, Entry]);
    for (let j = 0; j < out.length; j++) {
      const [key, entry] = out[j] as [KeyString, Entry];
      if (entry.value !== undefined && !isLive(entry, nowMs)) out[j] = [key, expiredToTombstone(entry)];
    }
    return out;
  }
}
