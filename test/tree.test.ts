/**
 * The leaf tree (issue 5): bloom filter, block cache, manifest edit log, and the engine over many leaves —
 * reads and scans across fence keys, hot splits, merge-back of shrunken leaves, a data set many times the
 * block cache, WAL bounded by continuous checkpoints, gradual backpressure, recovery from the edit log;
 * the manifest's invariants (sorted fence keys, no segment named twice, file numbers below the counter,
 * non-negative LSNs) are corruption when read back and an assertion when written; a failed explicit
 * checkpoint is handled exactly as a failed background job: the host hears of it and no job runs after it;
 * `stats().background.idle` is false while a job runs, and recovery counts the WAL bytes it replayed.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import type { KeyString } from "../src/doc/key.js";
import { CorruptionError } from "../src/errors.js";
import { BlockCache } from "../src/tree/block-cache.js";
import { bloomMayContain, buildBloom } from "../src/tree/bloom.js";
import {
  applyEdit,
  emptyManifest,
  MANIFEST_FILE,
  ManifestLog,
  parseManifest,
  readManifest,
} from "../src/tree/manifest.js";
import type { TreeOptions } from "../src/tree/tree.js";
import { marksSince, snapshot } from "../src/util/coverage.js";
import { manifestFileBytes } from "./helpers/manifest-file.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";
import { createTestTree } from "./helpers/test-tree.js";

const TINY: FuseDBOptions = {
  leafBufferBytes: 2048,
  leafBytesMax: 8192,
  segmentsMax: 2,
  checkpointWalBytes: 4096,
  walFileBytesMax: 4096,
  manifestBytesMax: 2048,
};

const key = (i: number): string => `key-${String(i).padStart(5, "0")}`;

/** Every write of the background jobs has landed: waits for the tree to go idle. */
async function settle(db: FuseDB): Promise<void> {
  for (let i = 0; i < 10_000 && db.stats().tree.running !== undefined; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe("bloom filter", () => {
  it("never answers no for a key it holds; about 1% false positives at 10 bits per key", () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `user:${i}` as KeyString);
    const filter = buildBloom(keys);
    expect(keys.every((k) => bloomMayContain(filter, k))).toBe(true);
    let fp = 0;
    for (let i = 0; i < 10_000; i++) if (bloomMayContain(filter, `absent:${i}` as KeyString)) fp++;
    expect(fp / 10_000).toBeLessThan(0.03);
    // A malformed filter admits everything: damage costs a read, never a hidden key.
    expect(bloomMayContain(new Uint8Array([0, 0, 0]), "x" as KeyString)).toBe(true);
  });
});

describe("block cache", () => {
  it("stays within its byte budget, evicting least recently used blocks, and drops a closed segment", () => {
    const cache = new BlockCache<string>(100);
    const a = cache.newId();
    const b = cache.newId();
    cache.set(a, 0, "a0", 40);
    cache.set(a, 40, "a40", 40);
    expect(cache.get(a, 0)).toBe("a0"); // a0 is now the most recent
    cache.set(b, 0, "b0", 40);
    expect(cache.stats.bytes).toBeLessThanOrEqual(100);
    expect(cache.get(a, 40)).toBeUndefined();
    expect(cache.get(a, 0)).toBe("a0");
    cache.set(b, 8, "too big", 101);
    expect(cache.get(b, 8)).toBeUndefined();
    cache.dropSegment(a);
    expect(cache.get(a, 0)).toBeUndefined();
    expect(cache.get(b, 0)).toBe("b0");
    expect(cache.stats).toMatchObject({ bytes: 40, blocks: 1, evictions: 1 });
  });
});

describe("manifest edit log", () => {
  const snap = emptyManifest();
  const edit1 = {
    checkpointLsn: 5,
    nextFileNumber: 3,
    remove: [""],
    add: [
      { low: "", flushedLsn: 5, segments: ["seg-00000001.sst"] },
      { low: "6b", flushedLsn: 5, segments: ["seg-00000002.sst"] },
    ],
  };
  const edit2 = {
    checkpointLsn: 9,
    nextFileNumber: 4,
    remove: ["6b"],
    add: [{ low: "6b", flushedLsn: 9, segments: ["seg-00000003.sst", "seg-00000002.sst"] }],
  };

  it("replays a snapshot and its edits", () => {
    const read = parseManifest(manifestFileBytes([{ snapshot: snap }, { edit: edit1 }, { edit: edit2 }]));
    expect(read.edits).toBe(2);
    expect(read.tornAt).toBeUndefined();
    expect(read.manifest).toEqual(applyEdit(applyEdit(snap, edit1), edit2));
    expect(read.manifest.leaves.map((l) => l.low)).toEqual(["", "6b"]);
  });

  it("ignores a torn final edit, but a damaged edit followed by a valid one is corruption", () => {
    const whole = manifestFileBytes([{ snapshot: snap }, { edit: edit1 }, { edit: edit2 }]);
    for (let cut = 1; cut < 20; cut++) {
      const read = parseManifest(whole.subarray(0, whole.length - cut));
      expect(read.tornAt).toBeDefined();
      expect(read.manifest).toEqual(applyEdit(snap, edit1));
    }
    const flipped = Buffer.from(whole);
    const secondRecord = manifestFileBytes([{ snapshot: snap }]).length + 12;
    flipped[secondRecord] = (flipped[secondRecord] as number) ^ 0x04;
    expect(() => parseManifest(flipped)).toThrow(CorruptionError);
    // An edit that does not fit the state (removes an unknown leaf) is corruption too.
    const bad = manifestFileBytes([{ snapshot: snap }, { edit: { ...edit2, remove: ["99"] } }]);
    expect(() => parseManifest(bad)).toThrow(CorruptionError);
  });

  it("states its invariants on both sides: corruption when read back, an assertion when written", async () => {
    const twice = { ...edit2, add: [{ low: "6b", flushedLsn: 9, segments: ["seg-00000001.sst"] }] };
    const numbered = { ...edit2, nextFileNumber: 3 };
    const negative = { ...edit2, add: [{ low: "6b", flushedLsn: -1, segments: [] }] };
    for (const [edit, what] of [
      [twice, /segment seg-00000001.sst is named twice/],
      [numbered, /not below the file counter 3/],
      [negative, /flushedLsn is negative/],
    ] as const) {
      const bytes = manifestFileBytes([{ snapshot: snap }, { edit: edit1 }, { edit }]);
      expect(() => parseManifest(bytes)).toThrow(what);
    }
    const fs = new TestDisk();
    await fs.mkdir(DIR);
    const log = await ManifestLog.create(fs, DIR, applyEdit(snap, edit1), 1 << 20);
    await expect(log.append(twice)).rejects.toThrow(/fusedb assertion failed: .*named twice/);
    await expect(log.append({ ...edit2, checkpointLsn: 1 })).rejects.toThrow(/assertion failed: .*goes back/);
    await log.append(edit2);
    expect((await readManifest(fs, DIR))?.manifest).toEqual(applyEdit(applyEdit(snap, edit1), edit2));
    await log.close();
  });
});

describe("engine over many leaves", () => {
  it("splits, serves gets and bounded scans across fence keys, and recovers the same state", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, TINY);
    const model = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const k = key((i * 7919) % 1000);
      const { value } = await db.incr(k, i % 5);
      model.set(k, value as number);
      if (i % 97 === 0) {
        await db.delete(k);
        model.delete(k);
      }
    }
    await settle(db);
    const leaves = db.leaves();
    expect(leaves.length).toBeGreaterThan(3);
    expect(db.stats().tree.splits).toBeGreaterThan(0);
    const sorted = [...model.keys()].sort();
    const check = async (d: FuseDB): Promise<void> => {
      for (const [k, v] of model) expect((await d.get(k))?.value).toBe(v);
      expect((await d.scan({ limit: 100_000 })).map((e) => e.key)).toEqual(sorted);
      expect((await d.scan({ limit: 100_000, reverse: true })).map((e) => e.key)).toEqual(
        [...sorted].reverse(),
      );
      // Bounds exactly on every fence key, both directions, small limits that end inside a leaf.
      for (const leaf of d.leaves().slice(1)) {
        const fence = Buffer.from(leaf.low).toString("utf8");
        const expectRange = (lo: (k: string) => boolean, hi: (k: string) => boolean) =>
          sorted.filter((k) => lo(k) && hi(k));
        expect((await d.scan({ gte: fence, limit: 7 })).map((e) => e.key)).toEqual(
          expectRange(
            (k) => k >= fence,
            () => true,
          ).slice(0, 7),
        );
        expect((await d.scan({ gt: fence, limit: 7 })).map((e) => e.key)).toEqual(
          expectRange(
            (k) => k > fence,
            () => true,
          ).slice(0, 7),
        );
        expect((await d.scan({ lt: fence, limit: 7, reverse: true })).map((e) => e.key)).toEqual(
          expectRange(
            () => true,
            (k) => k < fence,
          )
            .reverse()
            .slice(0, 7),
        );
        expect((await d.scan({ lte: fence, limit: 7, reverse: true })).map((e) => e.key)).toEqual(
          expectRange(
            () => true,
            (k) => k <= fence,
          )
            .reverse()
            .slice(0, 7),
        );
        expect((await d.scan({ gt: key(100), lt: fence, limit: 1000 })).map((e) => e.key)).toEqual(
          expectRange(
            (k) => k > key(100),
            (k) => k < fence,
          ),
        );
      }
    };
    await check(db);
    await db.close();
    const reopened = await openMem(fs, TINY);
    expect(reopened.leaves().map((l) => Buffer.from(l.low).toString("hex"))).toEqual(
      leaves.map((l) => Buffer.from(l.low).toString("hex")),
    );
    await check(reopened);
    await reopened.close();
  });

  it("bounds the WAL: continuous per-leaf checkpoints delete files wholly below the floor", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { ...TINY, walFileBytesMax: 1024, checkpointWalBytes: 2048 });
    for (let i = 0; i < 3000; i++) await db.set(key(i % 300), { i, pad: "x".repeat(40) });
    await settle(db);
    const s = db.stats();
    expect(s.tree.walFilesDeleted).toBeGreaterThan(50);
    expect(s.walFiles).toBeLessThan(12);
    expect(s.checkpointLsn).toBeGreaterThan(2500);
    // Each leaf keeps at most twice segmentsMax segments (the urgent-merge bound).
    await db.close();
    const reopened = await openMem(fs, TINY);
    expect(reopened.recovery.replayedRecords).toBeLessThan(600);
    for (let i = 2700; i < 3000; i++) expect((await reopened.get(key(i % 300)))?.value).toMatchObject({ i });
    await reopened.close();
  });

  it("reports background work as not idle while a job runs and idle once it settled; recovery reports the bytes it replayed", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, TINY);
    let sawBusy = false;
    // Bounded: 2000 writes; TINY buffers start a job every few writes.
    for (let i = 0; i < 2000 && !sawBusy; i++) {
      await db.set(key(i % 200), { i, pad: "x".repeat(40) });
      const s = db.stats();
      if (s.tree.running !== undefined) {
        expect(s.background.idle).toBe(false);
        sawBusy = true;
      }
    }
    expect(sawBusy).toBe(true);
    await settle(db);
    expect(db.stats().background.idle).toBe(true);
    // A few writes that fit the buffers stay in the WAL for recovery to replay.
    for (let i = 0; i < 5; i++) await db.set(key(i), { i, pad: "y".repeat(40) });
    await db.close();
    const reopened = await openMem(fs, TINY);
    const r = reopened.recovery;
    expect(r.replayedRecords).toBeGreaterThan(0);
    // Every replayed record is one set of ~60 bytes of key and document plus its header.
    expect(r.replayedBytes).toBeGreaterThan(r.replayedRecords * 60);
    expect(reopened.stats().background.idle).toBe(true);
    await reopened.close();
    const again = await openMem(fs, TINY);
    await again.checkpoint();
    await again.close();
    const clean = await openMem(fs, TINY);
    expect(clean.recovery).toMatchObject({ replayedRecords: 0, replayedBytes: 0 });
    await clean.close();
  });

  it("splits a hot leaf before it reaches the size bound", async () => {
    const before = snapshot();
    const fs = new TestDisk();
    const db = await openMem(fs, { ...TINY, leafBytesMax: 64 * 1024 });
    // A cold, wide range and a hot, narrow one; the hot leaf passes half the bound but not the bound.
    for (let i = 0; i < 200; i++) await db.set(`cold-${String(i).padStart(4, "0")}`, "c".repeat(100));
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 60; i++)
        await db.set(`hot-${String(i).padStart(3, "0")}`, { round, pad: "h".repeat(500) });
    }
    await settle(db);
    expect(marksSince(before)["tree.hot-split"] ?? 0).toBeGreaterThan(0);
    expect(db.leaves().length).toBeGreaterThan(1);
    for (let i = 0; i < 60; i++)
      expect((await db.get(`hot-${String(i).padStart(3, "0")}`))?.value).toMatchObject({ round: 29 });
    await db.close();
  });

  it("merges neighbours back when their data shrinks, and recovers the merged leaf", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { ...TINY, leafBytesMax: 16 * 1024 });
    for (let i = 0; i < 200; i++) await db.set(key(i), "v".repeat(1000));
    await settle(db);
    const wide = db.leaves().length;
    expect(wide).toBeGreaterThan(4);
    // Shrink every document to a few bytes; flushes and merges rewrite the leaves small.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) await db.set(key(i), round);
      await db.checkpoint();
      await settle(db);
    }
    expect(db.stats().tree.leafMerges).toBeGreaterThan(0);
    expect(db.leaves().length).toBeLessThan(wide);
    await db.close();
    const reopened = await openMem(fs, TINY);
    for (let i = 0; i < 200; i++) expect((await reopened.get(key(i)))?.value).toBe(2);
    await reopened.close();
  });

  it("serves a data set many times its block cache, within the cache's byte budget", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, {
      leafBufferBytes: 64 * 1024,
      leafBytesMax: 256 * 1024,
      blockCacheBytes: 32 * 1024,
      // The block cache is under test: a row cache holding every document would answer every read.
      rowCacheBytes: 1,
    });
    for (let i = 0; i < 4000; i++) await db.set(key(i), { i, pad: "p".repeat(200) });
    await db.checkpoint();
    await settle(db);
    expect(db.stats().segmentBytes).toBeGreaterThan(20 * 32 * 1024);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 4000; i += 3) expect((await db.get(key(i)))?.value).toMatchObject({ i });
    }
    const cache = db.stats().tree.cache;
    expect(cache.bytes).toBeLessThanOrEqual(32 * 1024);
    expect(cache.evictions).toBeGreaterThan(0);
    expect(cache.misses).toBeGreaterThan(0);
    // Absent keys are answered by the bloom filters, mostly without reading a block.
    const missesBefore = db.stats().tree.cache.misses;
    for (let i = 0; i < 1000; i++) expect(await db.get(`absent-${i}`)).toBeUndefined();
    expect(db.stats().tree.cache.misses - missesBefore).toBeLessThan(100);
    await db.close();
  });

  it("throttles writers gradually past half the buffer budget, and never stalls them", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, {
      leafBufferBytes: 4096,
      bufferBytesMax: 16 * 1024,
      leafBytesMax: 32 * 1024,
    });
    let issued = 0;
    // Waves of concurrent writers: calls made while the buffers are past half their budget wait for a slice.
    for (let wave = 0; wave < 60; wave++) {
      const writes: Promise<unknown>[] = [];
      for (let j = 0; j < 50; j++, issued++)
        writes.push(db.set(key((issued * 37) % 1000), { issued, pad: "b".repeat(60) }));
      await Promise.all(writes);
    }
    await settle(db);
    const s = db.stats();
    expect(s.tree.throttledWrites).toBeGreaterThan(0);
    expect(s.tree.throttledWrites).toBeLessThan(issued);
    expect(s.bufferedBytes).toBeLessThan(16 * 1024 * 2);
    await db.close();
  });

  it("a damaged final manifest edit is either a safe torn tail or reported as MANIFEST damage, never wrong data", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { ...TINY, manifestBytesMax: 1 << 20 });
    const model = new Map<string, number>();
    const outcomes = { safe: 0, detected: 0 };
    for (let i = 0; i < 3000; i++) {
      await db.set(key(i % 400), i);
      model.set(key(i % 400), i);
      if (i % 150 !== 149) continue;
      await settle(db);
      const copy = fs.copy();
      const path = `${DIR}/${MANIFEST_FILE}`;
      const bytes = copy.bytes(path);
      // Flip a bit in the last record's body: it then looks like a torn append.
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x10;
      await copy.setBytes(path, bytes);
      const opened = await openMem(copy, TINY).catch((e: unknown) => e);
      if (opened instanceof CorruptionError) {
        expect(opened).toMatchObject({ file: MANIFEST_FILE });
        outcomes.detected++;
        continue;
      }
      const d = opened as FuseDB;
      outcomes.safe++;
      for (const [k, v] of model) expect((await d.get(k))?.value).toBe(v);
      await d.close();
    }
    await db.close();
    expect(outcomes.detected).toBeGreaterThan(0);
    console.log(
      `damaged final manifest edit: ${outcomes.detected} detected, ${outcomes.safe} safe torn tails`,
    );
  });
});

describe("a failed explicit checkpoint", () => {
  it("stops the tree's jobs and reports to the host, as a failed background job does", async () => {
    const disk = new TestDisk();
    const errors: unknown[] = [];
    const options: TreeOptions = {
      leafBufferBytes: 2048,
      bufferBytesMax: 1 << 20,
      leafBytesMax: 1 << 20,
      segmentsMax: 4,
      hotWriteShare: 0.25,
      checkpointWalBytes: 1 << 30,
      blockCacheBytes: 1 << 16,
      rowCacheBytes: 4096,
      sliceBytes: 1 << 12,
    };
    const { tree, apply } = await createTestTree(disk, options, (err) => {
      errors.push(err);
    });
    const put = (k: string): void => apply(k, { version: 1, value: "v", text: Buffer.from('"v"') });
    for (let i = 0; i < 5; i++) put(key(i));
    disk.faults.failSync = (path) => path.endsWith(".tmp");
    const failure = await tree.checkpoint().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ code: "EIO" });
    expect(errors).toEqual([failure]);
    // Past the leaf's buffer bound a flush would be due: none starts, nothing more is written.
    const writes = disk.writeCalls.length;
    for (let i = 5; i < 200; i++) put(key(i));
    expect(tree.stats().running).toBeUndefined();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(disk.writeCalls.length).toBe(writes);
    expect(tree.stats().flushes).toBe(0);
    await tree.close();
  });
});
