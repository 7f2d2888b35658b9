/**
 * The row cache and the read paths around it (issue 13). Invariants checked:
 * - Row entries (rowEntryOf): hold their document once, as an owned copy of the text (never a view of a
 *   block) until first read, then decoded; their text, re-encoded after that, is byte for byte the stored
 *   text (documents with escapes, lone surrogates, integer-like keys, -0, large and small numbers).
 * - RowCache: the byte budget holds after every set; a row larger than the budget is not cached; budget 0
 *   turns it off; CLOCK gives a row read since the hand last passed it a second chance; hits, misses and
 *   evictions are counted.
 * - Tree: a segment read that an applied effect on its key overtakes does not fill the row cache (the
 *   newer entry stays what memory answers); concurrent reads of one key share one file read.
 * - Commit pipeline: queued writes of a cold key share one base read started at the call, and still take
 *   effect in call order (versions and values as if run one by one).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { encodeValue } from "../src/doc/encode-value.js";
import { type Entry, entryFromStored, rowEntryOf, textBytesOf } from "../src/doc/entry.js";
import type { Json } from "../src/doc/json.js";
import type { KeyString } from "../src/doc/key.js";
import type { File } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";
import { ROW_OVERHEAD_BYTES, RowCache, rowCost } from "../src/tree/row-cache.js";
import type { TreeOptions } from "../src/tree/tree.js";
import { openMem } from "./helpers/open-mem.js";
import { createTestTree } from "./helpers/test-tree.js";

const entry = (version: number, text = "v", lsn = version): Entry => ({
  version,
  value: text,
  text: Buffer.from(JSON.stringify(text)),
  lsn,
});

/** A disk (no latency, no readSync) whose segment reads can be held at a gate; counts them. */
class GatedDisk extends ForwardingFileSystem {
  segmentReads = 0;
  private gate: Promise<void> | undefined;
  private openGate: () => void = () => undefined;

  constructor() {
    super(new SimFileSystem({ latency: false }));
  }

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.gate = undefined;
    this.openGate();
  }

  protected override wrapFile(file: File): File {
    const disk = this;
    return new (class extends ForwardingFile {
      override async read(offset: number, length: number): Promise<Uint8Array> {
        if (file.path.endsWith(".sst")) {
          disk.segmentReads++;
          await disk.gate;
        }
        return super.read(offset, length);
      }
    })(file);
  }
}

describe("rowEntryOf", () => {
  const docs: Json[] = [
    { field0: "x".repeat(100), n: 1.5e300, small: 5e-324, neg: -0, int: 9007199254740991 },
    {
      "10": "a",
      "2": "b",
      z: ["\u2028", "\ud800", "é€😀", 'q"\\/\n\t\u0001'],
      nested: { a: [null, true, false, []] },
    },
    "just a string",
    42,
    null,
    [{ "": {} }],
  ];

  it("holds an owned copy of the text until read, then the document, and re-encodes the same text", () => {
    for (const doc of docs) {
      const text = new TextEncoder().encode(encodeValue(doc, { valueBytesMax: 1 << 20 }, "value"));
      const block = new Uint8Array(text.length + 20);
      block.set(text, 10);
      const view = block.subarray(10, 10 + text.length);
      const row = rowEntryOf(entryFromStored(3, view, 7, 99, true));
      expect(row.text).toEqual(text);
      expect(row.text?.buffer.byteLength).toBe(text.length);
      expect(textBytesOf(row)).toBe(text.length);
      expect(row).toMatchObject({ version: 3, lsn: 7, expiresAtMs: 99 });
      expect(row.value).toEqual(JSON.parse(new TextDecoder().decode(text)));
      if (typeof row.value === "object" && row.value !== null) expect(Object.isFrozen(row.value)).toBe(true);
      expect(row.text).toEqual(text);
      expect(textBytesOf(row)).toBe(text.length);
      expect(rowEntryOf(row)).toBe(row);
    }
  });

  it("keeps a tombstone as it is and a decoded entry's document without its text", () => {
    const tomb: Entry = { version: 2, value: undefined, text: undefined, lsn: 2 };
    expect(rowEntryOf(tomb)).toBe(tomb);
    const e = entry(1, "doc");
    const row = rowEntryOf(e);
    expect(row.value).toBe(e.value);
    expect([...(row.text ?? [])]).toEqual([...(e.text ?? [])]);
  });
});

describe("RowCache", () => {
  it("keeps its budget, skips rows larger than it, and is off at 0", () => {
    const one = rowCost("k0", entry(1));
    const cache = new RowCache(3 * one);
    for (let i = 0; i < 10; i++) {
      cache.set(`k${i}`, entry(1));
      expect(cache.stats.bytes).toBeLessThanOrEqual(3 * one);
    }
    expect(cache.stats).toMatchObject({ rows: 3, evictions: 7 });
    expect(cache.get("k9")?.version).toBe(1);
    expect(cache.get("k0")).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    cache.set("big", entry(1, "x".repeat(3 * one)));
    expect(cache.get("big")).toBeUndefined();
    const off = new RowCache(0);
    off.set("k", entry(1));
    expect(off.get("k")).toBeUndefined();
    expect(off.stats).toMatchObject({ rows: 0, bytes: 0, misses: 0 });
    expect(one).toBe(2 + 3 + ROW_OVERHEAD_BYTES);
  });

  it("gives a row read since the hand passed it a second chance (CLOCK); a set replaces in place", () => {
    const one = rowCost("k0", entry(1));
    const cache = new RowCache(3 * one);
    for (const k of ["k0", "k1", "k2"]) cache.set(k, entry(1));
    expect(cache.get("k0")?.version).toBe(1);
    cache.set("k3", entry(1)); // k0 was read: k1, the oldest unread row, goes
    expect(cache.get("k1")).toBeUndefined();
    expect(cache.get("k0")?.version).toBe(1);
    cache.set("k0", entry(2));
    expect(cache.get("k0")?.version).toBe(2);
    expect(cache.stats.rows).toBe(3);
  });
});

describe("reads around the row cache", () => {
  it("a segment read overtaken by an apply of its key does not fill the cache; reads of one key share one file read", async () => {
    const disk = new GatedDisk();
    const options: TreeOptions = {
      leafBufferBytes: 1 << 20,
      bufferBytesMax: 1 << 30,
      leafBytesMax: 1 << 30,
      segmentsMax: 4,
      hotWriteShare: 0.25,
      checkpointWalBytes: 1 << 30,
      blockCacheBytes: 1,
      rowCacheBytes: 4 * rowCost("key-00", entry(1)),
      sliceBytes: 1 << 12,
    };
    const { tree, apply } = await createTestTree(disk, options, (err) => {
      throw err;
    });
    const put = (k: string, version: number): void => apply(k, entry(version, `v${version}`));
    const k = "key-00" as KeyString;
    put(k, 1);
    for (let i = 1; i < 20; i++) put(`key-${String(i).padStart(2, "0")}`, 1); // evicts k's row
    await tree.checkpoint(); // everything in a segment, buffers empty
    expect(tree.lookupMemory(k)).toBeTypeOf("symbol"); // NOT_IN_MEMORY: a get must read the segment

    disk.hold();
    const reads = disk.segmentReads;
    const first = tree.get(k);
    const second = tree.get(k);
    expect(disk.segmentReads).toBe(reads + 1);
    put(k, 2); // applied while the read is held
    disk.release();
    expect((await first)?.version).toBe(1); // the read's own snapshot: allowed for a read concurrent with a write
    expect((await second)?.version).toBe(1);
    expect((await tree.get(k))?.version).toBe(2);
    const after = tree.lookupMemory(k);
    expect(after !== undefined && typeof after === "object" ? after.version : after).toBe(2);
    await tree.close();
  });

  it("queued writes of a cold key share one base read begun at the call and take effect in call order", async () => {
    const disk = new GatedDisk();
    const knobs = { blockCacheBytes: 1 };
    const db = await openMem(disk, knobs);
    await db.set("n", 10);
    await db.checkpoint();
    await db.close();
    const reopened = await openMem(disk, knobs); // fresh caches: "n" is only in a segment
    disk.hold();
    const reads = disk.segmentReads;
    const calls = [reopened.incr("n"), reopened.incr("n", 5), reopened.set("n", 1), reopened.incr("n")];
    expect(disk.segmentReads).toBe(reads + 1);
    disk.release();
    const results = await Promise.all(calls);
    expect(results.map((r) => r.version)).toEqual([2, 3, 4, 5]);
    expect(
      [results[0], results[1], results[3]].map((r) =>
        r !== undefined && "value" in r ? r.value : undefined,
      ),
    ).toEqual([11, 16, 2]);
    expect(await reopened.get("n")).toEqual({ value: 2, version: 5 });
    await reopened.close();
  });
});
