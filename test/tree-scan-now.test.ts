/**
 * Scans answered from memory (issue 14: src/tree/leaf-scan.ts, sorted-keys.ts, `Tree.scanNow`). Invariants:
 * - SortedKeys (the buffer's key order) agrees with a sorted array under random inserts: order, size,
 *   `lowerBound`, `lastAtOrBelow` and walks both ways (seeded, seed printed);
 * - a buffer walk that sees keys arrive meanwhile returns every key present at its start exactly once, in
 *   order, and never goes backwards;
 * - differential (seeded, seed printed): on a tree with many leaves, flushed segments, merges, tombstones
 *   and expired entries, `Tree.scanNow` — when it answers — gives exactly what `Tree.scan` gives and what a
 *   model of the newest entries says, forwards and in reverse, for random bounds and limits; with
 *   `readSync` and a budget that covers the range it always answers; without `readSync` and with a cold
 *   block cache it declines rather than wait, and answers once an asynchronous scan has warmed the cache;
 * - the synchronous scan examines at most `scanEntriesPerYield` entries: past that it declines.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { Entry } from "../src/doc/entry.js";
import { isLive } from "../src/doc/entry.js";
import type { KeyString } from "../src/doc/key.js";
import type { KeyRange } from "../src/tree/key-range.js";
import { inRange } from "../src/tree/key-range.js";
import { MemBuffer } from "../src/tree/mem-buffer.js";
import { SortedKeys } from "../src/tree/sorted-keys.js";
import { NOT_IN_MEMORY, type Tree, type TreeOptions } from "../src/tree/tree.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";
import { createTestTree } from "./helpers/test-tree.js";

const enc = new TextEncoder();

function entryOf(value: number | undefined, version: number, expiresAtMs?: number): Omit<Entry, "lsn"> {
  if (value === undefined) return { version, value: undefined, text: undefined };
  const e = { version, value, text: enc.encode(String(value)) };
  return expiresAtMs === undefined ? e : { ...e, expiresAtMs };
}

/** What identifies an entry's version (segments decode entries into another shape). */
const brief = (e: Entry | undefined) => ({ lsn: e?.lsn, version: e?.version, value: e?.value });

const keyOf = (i: number): string => `k${String(i).padStart(4, "0")}`;

describe("SortedKeys", () => {
  it("agrees with a sorted array under random inserts", () => {
    const seed = testSeed("sorted-keys");
    const rng = new Prng(seed);
    for (let round = 0; round < 4; round++) {
      const keys = new SortedKeys();
      const model = new Set<string>();
      const n = [10, 600, 3000, 6000][round] as number;
      // Mostly random keys, some runs ascending (a split's redistribution, a sequential load).
      let next = 0;
      for (let i = 0; i < n; i++) {
        const k = rng.bool(0.3) ? keyOf(5000 + next++) : keyOf(rng.int(5000));
        if (model.has(k)) continue;
        model.add(k);
        keys.insert(k);
      }
      const sorted = [...model].sort();
      expect(keys.size).toBe(sorted.length);
      expect(keys.toArray()).toEqual(sorted);
      for (let q = 0; q < 200; q++) {
        const probe = rng.bool(0.5) ? keyOf(rng.int(5000 + next + 2)) : `${keyOf(rng.int(5000))}x`;
        const lo = sorted.findIndex((k) => k >= probe);
        expect(keys.keyAt(keys.lowerBound(probe))).toBe(lo < 0 ? undefined : sorted[lo]);
        const below = sorted.filter((k) => k <= probe);
        expect(keys.keyAt(keys.lastAtOrBelow(probe))).toBe(below[below.length - 1]);
      }
      const up: string[] = [];
      for (let at = keys.first(); keys.keyAt(at) !== undefined; keys.next(at))
        up.push(keys.keyAt(at) as string);
      expect(up).toEqual(sorted);
      const down: string[] = [];
      for (let at = keys.last(); keys.keyAt(at) !== undefined; keys.prev(at))
        down.push(keys.keyAt(at) as string);
      expect(down).toEqual([...sorted].reverse());
    }
  });

  it("a buffer walk sees each key present at its start once, in order, while keys arrive", () => {
    const seed = testSeed("buffer-cursor");
    const rng = new Prng(seed);
    for (const reverse of [false, true]) {
      const buffer = new MemBuffer();
      let lsn = 0;
      const put = (k: string): void => buffer.set(k as KeyString, { ...entryOf(1, 1), lsn: ++lsn });
      for (let i = 0; i < 2000; i += 2) put(keyOf(i));
      const before = buffer.sorted().map(([k]) => k);
      const cursor = buffer.cursor(undefined, reverse);
      const seen: string[] = [];
      // Bounded: 1000 keys at the start and at most 1000 arriving.
      for (let h = cursor.head(); h !== undefined; h = cursor.head()) {
        seen.push(h[0]);
        cursor.advance();
        if (rng.bool(0.5)) {
          const k = keyOf(rng.int(1000) * 2 + 1);
          if (buffer.get(k as KeyString) === undefined) put(k);
        }
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort((a, b) => (reverse ? (a < b ? 1 : -1) : a < b ? -1 : 1)));
      for (const k of before) expect(seen).toContain(k);
    }
  });
});

const BASE: TreeOptions = {
  leafBufferBytes: 1500,
  bufferBytesMax: 1 << 20,
  leafBytesMax: 6000,
  segmentsMax: 3,
  hotWriteShare: 1,
  checkpointWalBytes: 1 << 30,
  blockCacheBytes: 1 << 20,
  rowCacheBytes: 0,
  sliceBytes: 1 << 12,
  scanEntriesPerYield: 1 << 20,
};

const KEYS = 400;

/** What the tree must answer: the newest entry per key, live at `nowMs`, within `range`, limited. */
function expected(
  model: Map<string, Entry>,
  range: KeyRange,
  limit: number,
  reverse: boolean,
  nowMs: number,
): string[] {
  const keys = [...model.keys()].filter((k) => inRange(k, range) && isLive(model.get(k), nowMs)).sort();
  if (reverse) keys.reverse();
  return keys.slice(0, limit);
}

function randomRange(rng: Prng): KeyRange {
  const a = keyOf(rng.int(KEYS + 10));
  const b = keyOf(rng.int(KEYS + 10));
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  const range: KeyRange = {};
  if (rng.bool(0.8)) range[rng.bool() ? "gte" : "gt"] = lo;
  if (rng.bool(0.8)) range[rng.bool() ? "lt" : "lte"] = hi;
  return range;
}

/** Lets the tree's background jobs run until none is queued (bounded). */
async function settle(tree: Tree): Promise<void> {
  for (let i = 0; i < 10_000 && !tree.stats().idle; i++) await new Promise((r) => setImmediate(r));
}

describe("Tree.scanNow", () => {
  for (const syncReads of [true, false]) {
    it(`answers like Tree.scan and the model (${syncReads ? "readSync on, tiny block cache" : "readSync off"})`, async () => {
      const seed = testSeed(`scan-now-${syncReads ? "sync" : "async"}`);
      const rng = new Prng(seed);
      // The simulated disk itself: the test disk's forwarding wrapper (like every fault wrapper) offers no
      // `readSync`, so that its hooks see every read.
      const disk = new SimFileSystem({ latency: false, syncReads });
      const options = { ...BASE, blockCacheBytes: syncReads ? 4096 : 1 << 20 };
      const t = await createTestTree(disk, options, (err) => {
        throw err;
      });
      const model = new Map<string, Entry>();
      let lsn = 0;
      let answeredNow = 0;
      let declined = 0;
      for (let step = 0; step < 3000; step++) {
        const k = keyOf(rng.int(KEYS));
        const version = (model.get(k)?.version ?? 0) + 1;
        const r = rng.int(10);
        const e =
          r < 2 ? entryOf(undefined, version) : entryOf(step, version, r < 3 ? rng.int(200) : undefined);
        t.apply(k, e);
        model.set(k, { ...e, lsn: ++lsn });
        if (rng.bool(0.05)) await settle(t.tree);
        if (rng.bool(0.9)) continue;
        // Without readSync, the cache check below needs the segments to stay as the async scan left them.
        if (!syncReads) await settle(t.tree);
        for (let q = 0; q < 5; q++) {
          const range = randomRange(rng);
          const limit = rng.bool(0.3) ? 1 + rng.int(5) : 1000;
          const reverse = rng.bool();
          const nowMs = rng.int(200);
          const want = expected(model, range, limit, reverse, nowMs);
          const now = t.tree.scanNow(range, limit, reverse, nowMs);
          if (now === NOT_IN_MEMORY) {
            declined++;
            expect(syncReads, "with readSync and room in the budget a scan always answers").toBe(false);
          } else {
            answeredNow++;
            expect(now.map(([key]) => key)).toEqual(want);
            for (const [key, entry] of now) expect(brief(entry)).toEqual(brief(model.get(key)));
          }
          const waited = await t.tree.scan(range, limit, reverse, nowMs);
          expect(waited.map(([key]) => key)).toEqual(want);
          // The asynchronous scan left its blocks in the (large) cache: memory answers the same scan now.
          if (!syncReads) expect(t.tree.scanNow(range, limit, reverse, nowMs)).not.toBe(NOT_IN_MEMORY);
        }
      }
      const stats = t.tree.stats();
      console.log(
        `seed ${seed}: ${answeredNow} answered now, ${declined} declined; leaves ${stats.leaves}, segments ${stats.segments}, flushes ${stats.flushes}, merges ${stats.merges}, splits ${stats.splits}`,
      );
      expect(stats.flushes).toBeGreaterThan(0);
      expect(stats.merges + stats.splits).toBeGreaterThan(0);
      expect(answeredNow).toBeGreaterThan(0);
      if (!syncReads) expect(declined).toBeGreaterThan(0);
      await settle(t.tree);
      await t.tree.close();
    });
  }

  it("declines a scan that would examine more than scanEntriesPerYield entries", async () => {
    const t = await createTestTree(
      new TestDisk(),
      { ...BASE, leafBufferBytes: 1 << 20, scanEntriesPerYield: 100 },
      (err) => {
        throw err;
      },
    );
    for (let i = 0; i < 150; i++) t.apply(keyOf(i), entryOf(i < 120 ? undefined : i, 1));
    // 120 tombstones before the first live key: 121 entries examined for one answer.
    expect(t.tree.scanNow({}, 1, false, 0)).toBe(NOT_IN_MEMORY);
    expect((await t.tree.scan({}, 1, false, 0)).map(([k]) => k)).toEqual([keyOf(120)]);
    // From the last key down, the first is live: one entry examined.
    expect(t.tree.scanNow({}, 1, true, 0)).toEqual([[keyOf(149), expect.objectContaining({ value: 149 })]]);
    await t.tree.close();
  });
});
