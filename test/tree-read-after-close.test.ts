/**
 * Point reads after `Tree.close` (seed ci-732). Invariant: once the tree closed, every read — `readNow`,
 * `get`, `scanNow`, `scan` — stops with ClosedError and never reaches a segment, whose reference close
 * released (before the fix, `get` of a key in a flushed segment failed the assertion "retain after close":
 * a typed read's validation pass re-read its keys after the engine closed the tree on a restart).
 */
import { describe, expect, it } from "vitest";
import type { Entry } from "../src/doc/entry.js";
import { ClosedError } from "../src/errors.js";
import type { TreeOptions } from "../src/tree/tree.js";
import { TestDisk } from "./helpers/sim-disk.js";
import { createTestTree } from "./helpers/test-tree.js";

const enc = new TextEncoder();
const entryOf = (value: number): Omit<Entry, "lsn"> => ({
  version: 1,
  value,
  text: enc.encode(String(value)),
});
const keyOf = (i: number): string => `k${String(i).padStart(4, "0")}`;

const OPTIONS: TreeOptions = {
  leafBufferBytes: 1500,
  bufferBytesMax: 1 << 20,
  leafBytesMax: 1 << 20,
  segmentsMax: 8,
  hotWriteShare: 1,
  checkpointWalBytes: 1 << 30,
  blockCacheBytes: 1 << 20,
  rowCacheBytes: 0,
  sliceBytes: 1 << 12,
  scanEntriesPerYield: 1 << 20,
};

describe("Tree reads after close", () => {
  it("reject with ClosedError instead of reaching released segments", async () => {
    const t = await createTestTree(new TestDisk(), OPTIONS, (err) => {
      throw err;
    });
    for (let i = 0; i < 200; i++) t.apply(keyOf(i), entryOf(i));
    // Bounded: let the flushes run until no job is queued.
    for (let i = 0; i < 10_000 && !t.tree.stats().idle; i++) await new Promise((r) => setImmediate(r));
    expect(t.tree.stats().segments).toBeGreaterThan(0);
    // Read while open: the key lives in a segment.
    const k = keyOf(3);
    expect((await t.tree.get(k as never))?.value).toBe(3);
    await t.tree.close();
    await expect(t.tree.get(k as never)).rejects.toBeInstanceOf(ClosedError);
    expect(() => t.tree.readNow(k as never)).toThrow(ClosedError);
    expect(() => t.tree.scanNow({}, 10, false, 0)).toThrow(ClosedError);
    await expect(t.tree.scan({}, 10, false, 0)).rejects.toBeInstanceOf(ClosedError);
  });
});
