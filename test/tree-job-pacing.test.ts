/**
 * Background jobs neither stall the event loop nor repeat work (issue 13, point 3). Invariants: a leaf far
 * over `leafBytesMax` splits in ONE job into as many leaves as its live bytes need (at least three here),
 * each under the bound, with every key readable before and after a reopen; a split whose input is all in
 * memory (the test disk answers reads at once, so nothing else would let the event loop run) yields through
 * the simulated clock at least once per slice of input, without the clock being driven; a leaf whose size
 * is mostly versions that replaced older ones (an update-heavy leaf) is merged, never split; a damaged
 * block in a split's input (read in large runs past the block cache) is a CorruptionError naming the
 * segment and the block's offset, and stops the database (later writes reject with it), never a wrong value.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import { CorruptionError } from "../src/errors.js";
import type { FileSystem } from "../src/io/file-system.js";
import { SLICE_BYTES_DEFAULT } from "../src/tree/segment-writer.js";
import { marksSince, snapshot } from "../src/util/coverage.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const key = (i: number): string => `key-${String(i).padStart(6, "0")}`;
const PAD = "p".repeat(100);

/** Large buffers and leaves: nothing is flushed or split until the test says so. */
const ROOMY: FuseDBOptions = {
  leafBufferBytes: 1 << 28,
  bufferBytesMax: 1 << 29,
  leafBytesMax: 1 << 30,
};

/** Waits (without moving the clock) until no background job runs. */
async function settle(db: FuseDB): Promise<void> {
  for (let i = 0; i < 100_000 && db.stats().tree.running !== undefined; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A database whose one leaf holds `count` keys in one segment, written with ROOMY knobs, then closed. */
async function oneBigLeaf(fs: FileSystem, count: number): Promise<void> {
  const db = await FuseDB.open({ ...ROOMY, dir: DIR, fs, clock: new SimClock(0) });
  for (let i = 0; i < count; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 500); j++)
      batch.push({ op: "set" as const, key: key(j), value: PAD });
    await db.batch(batch);
  }
  await db.checkpoint();
  expect(db.leaves().length).toBe(1);
  await db.close();
}

/** Writes 256 updates (the scheduler looks for work at least every 256 writes) and lets the jobs finish. */
async function nudge(db: FuseDB): Promise<void> {
  for (let i = 0; i < 256; i++) await db.set(key(i), { i });
  await settle(db);
}

describe("background jobs", () => {
  it("split a leaf far over the bound in one job into as many leaves as its live bytes need", async () => {
    const fs = new TestDisk();
    await oneBigLeaf(fs, 4000); // about 500 KB of entries
    const before = snapshot();
    const bound = 64 * 1024;
    const db = await FuseDB.open({ ...ROOMY, leafBytesMax: bound, dir: DIR, fs, clock: new SimClock(0) });
    await nudge(db);
    const leaves = db.leaves();
    expect(db.stats().tree.splits).toBe(1);
    expect(marksSince(before)["tree.split"]).toBe(1);
    // About 500 KB in pieces of about half the bound: far more than the two halves of a halving split.
    expect(leaves.length).toBeGreaterThanOrEqual(3);
    for (const l of leaves) expect(l.dataBytes).toBeLessThan(bound);
    const check = async (d: FuseDB): Promise<void> => {
      for (let i = 0; i < 4000; i++) expect((await d.get(key(i)))?.value).toEqual(i < 256 ? { i } : PAD);
    };
    await check(db);
    await db.close();
    const reopened = await FuseDB.open({
      ...ROOMY,
      leafBytesMax: bound,
      dir: DIR,
      fs,
      clock: new SimClock(0),
    });
    expect(reopened.leaves().map((l) => l.low)).toEqual(leaves.map((l) => l.low));
    await check(reopened);
    await reopened.close();
  });

  it("yield through the simulated clock between slices when their input is all in memory", async () => {
    const fs = new TestDisk();
    const count = 20_000; // about 2.5 MB of entries: ten slices
    await oneBigLeaf(fs, count);
    const clock = new SimClock(0);
    const db = await FuseDB.open({ ...ROOMY, leafBytesMax: 1 << 20, dir: DIR, fs, clock });
    const inputBytes = db.leaves()[0]?.dataBytes ?? 0;
    expect(inputBytes).toBeGreaterThan(8 * SLICE_BYTES_DEFAULT);
    const yields = clock.yields;
    await nudge(db);
    expect(db.stats().tree.splits).toBeGreaterThan(0);
    // No scan runs and the clock is never driven: every yield is a job's, between bounded slices.
    expect(clock.yields - yields).toBeGreaterThanOrEqual(Math.floor(inputBytes / SLICE_BYTES_DEFAULT));
    expect(clock.pendingTimers).toBe(0);
    await db.close();
  });

  it("merge, never split, a leaf whose size is mostly replaced versions", async () => {
    const fs = new TestDisk();
    const bound = 64 * 1024;
    const db = await FuseDB.open({
      leafBufferBytes: 8 * 1024,
      segmentsMax: 8,
      leafBytesMax: bound,
      dir: DIR,
      fs,
      clock: new SimClock(0),
    });
    // 100 keys of about 130 bytes (13 KB live) rewritten 60 times: about 800 KB of versions, up to nine
    // segments of 8 KB before a merge (72 KB, over the bound when stale versions count).
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 100; i++) await db.set(key(i), { round, pad: PAD });
    }
    await settle(db);
    const s = db.stats().tree;
    expect(s.splits).toBe(0);
    expect(s.merges).toBeGreaterThan(0);
    expect(db.leaves().length).toBe(1);
    await db.close();
  });

  it("stop at a damaged block in a split's input, naming the segment and the block", async () => {
    const fs = new TestDisk();
    await oneBigLeaf(fs, 4000);
    const [segment] = fs.paths().filter((p) => p.endsWith(".sst"));
    if (segment === undefined) throw new Error("no segment written");
    const data = fs.bytes(segment);
    const at = 100_000; // inside some data block's payload, past its header
    data[at] = (data[at] as number) ^ 0x5a;
    await fs.setBytes(segment, data);
    const db = await FuseDB.open({ ...ROOMY, leafBytesMax: 64 * 1024, dir: DIR, fs, clock: new SimClock(0) });
    const failure = await nudge(db)
      .then(
        () => db.set(key(0), 0),
        (err: unknown) => err,
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // The damaged block holds keys near key(800): no write here reads it, only the split does. A damaged
    // segment stops the database with the CorruptionError itself.
    expect(failure).toBeInstanceOf(CorruptionError);
    const damage = failure as CorruptionError;
    expect(damage.file).toBe(segment.split("/").pop());
    expect(damage.offset).toBeLessThanOrEqual(at);
    expect(damage.offset).toBeGreaterThan(at - 8192);
    expect(db.stats().tree.splits).toBe(0);
    await db.close().catch(() => undefined);
  });
});
