/**
 * Tombstones are collected and versions still only grow (issue 12 item 12, second half;
 * src/doc/version-floor.ts). Invariants:
 * - after deleting 100k keys, a checkpoint and the merges it makes due, the segments hold no tombstone
 *   (footers' tombstoneCount, through `inspectDatabase`), and `scan({ limit: 1 })` examines too few entries
 *   to yield even once;
 * - delete + re-create after the tombstone was collected gives a version above the deleted one, so an
 *   `ifVersion` of the key's old life fails (no ABA); a never-written key in the same hash bucket starts
 *   above the bucket's dead versions;
 * - the floor is durable: after a crash (the disk's bytes without a close), with the deleted key's record
 *   below the WAL floor or still in the WAL, a re-create gets exactly the version of the uninterrupted run;
 * - a format 2 manifest (before the floor) is read: its dead entries are kept (legacy LSN), so their
 *   versions still count.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import type { Mutation } from "../src/doc/entry.js";
import { floorBucket } from "../src/doc/version-floor.js";
import type { FileSystem } from "../src/io/file-system.js";
import { inspectDatabase } from "../src/tools/inspect.js";
import { readManifest } from "../src/tree/manifest.js";
import { formatTwoManifestFile } from "./helpers/manifest-file.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const KEYS = 100_000;
const BATCH = 1000;
const keyName = (i: number): string => `k${String(i).padStart(6, "0")}`;

/** Tombstones and entries in every segment the manifest names, from their footers. */
async function segmentCounts(fs: FileSystem): Promise<{ tombstones: number; entries: number }> {
  const i = await inspectDatabase(fs, DIR);
  let tombstones = 0;
  let entries = 0;
  for (const leaf of i.leaves) {
    for (const s of leaf.segments) {
      if ("error" in s) throw new Error(`unreadable segment ${s.name}`);
      tombstones += s.tombstoneCount;
      entries += s.entryCount;
    }
  }
  return { tombstones, entries };
}

/**
 * Checkpoints until background work is done: each checkpoint waits for the running job and then lets the
 * scheduler start the next (merges of tombstone-heavy leaves, merge-backs of emptied ones). Bounded.
 */
async function settle(db: FuseDB): Promise<void> {
  let last = "";
  for (let i = 0; i < 1000; i++) {
    await db.checkpoint();
    const t = db.stats().tree;
    const now = `${t.merges}/${t.leafMerges}/${t.flushes}/${t.running ?? "idle"}`;
    if (now === last && t.running === undefined) return;
    last = now;
  }
  throw new Error("background work did not settle");
}

async function open(fs: FileSystem, options: FuseDBOptions = {}, clock = new SimClock(0)): Promise<FuseDB> {
  return FuseDB.open({ dir: DIR, fs, clock, ...options });
}

describe("tombstone collection", () => {
  it("deleting 100k keys leaves no tombstone in the segments after a checkpoint and merge; scan({ limit: 1 }) then does not yield", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(0);
    const db = await open(fs, {}, clock);
    for (const op of ["set", "delete"] as const) {
      for (let i = 0; i < KEYS; i += BATCH) {
        const batch: Mutation[] = [];
        for (let j = i; j < i + BATCH; j++) {
          batch.push(op === "set" ? { op, key: keyName(j), value: j } : { op, key: keyName(j) });
        }
        await db.batch(batch);
      }
      // The sets reach segments first, so the deletes' tombstones land over older data.
      await db.checkpoint();
    }
    await db.set("z", 1);
    await settle(db);
    const counts = await segmentCounts(fs);
    expect(counts.tombstones).toBe(0);
    expect(counts.entries).toBeLessThan(10);
    const before = clock.yields;
    expect((await db.scan({ limit: 1 })).map((e) => e.key)).toEqual(["z"]);
    // Fewer than scanEntriesPerYield (1024) entries examined: the 100k tombstones are gone.
    expect(clock.yields - before).toBe(0);
    // Every deleted key's next version still follows its delete (version 2).
    expect(await db.versionOf(keyName(77))).toBeGreaterThanOrEqual(2);
    expect((await db.set(keyName(77), "back")).version).toBeGreaterThan(2);
    await db.close();
  }, 120_000);

  it("re-creating a key whose tombstone was collected gives a higher version; the old life's ifVersion fails", async () => {
    const fs = new TestDisk();
    const db = await open(fs, { segmentsMax: 1 });
    expect((await db.set("k", "old")).version).toBe(1);
    expect((await db.set("k", "older")).version).toBe(2);
    // A client read version 2 here.
    await db.checkpoint();
    expect((await db.delete("k")).version).toBe(3);
    await settle(db);
    expect(await segmentCounts(fs)).toEqual({ tombstones: 0, entries: 0 });
    expect(await db.inspect("k")).toEqual({ version: 3, value: undefined });
    expect(await db.versionOf("k")).toBe(3);
    expect((await db.set("k", "new", { ifVersion: 0 })).version).toBe(4);
    await expect(db.set("k", "stale", { ifVersion: 2 })).rejects.toMatchObject({
      code: "FUSEDB_VERSION_CONFLICT",
    });
    await expect(db.delete("k", { ifVersion: 3 })).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    expect(await db.get("k")).toEqual({ value: "new", version: 4 });
    // A never-written key of the same bucket starts above the bucket's dead versions.
    const twin = bucketTwin("k");
    expect(await db.versionOf(twin)).toBe(3);
    expect((await db.set(twin, 1)).version).toBe(4);
    // Other buckets are untouched: a fresh key starts at 1.
    expect((await db.set("fresh", 1)).version).toBe(floorBucket("fresh") === floorBucket("k") ? 4 : 1);
    await db.close();
  });

  it("an expired document is collected too, and its key's next version follows it", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(0);
    const db = await open(fs, { segmentsMax: 1 }, clock);
    await db.set("t", 1);
    await db.checkpoint();
    expect((await db.set("t", 2, { ttlMs: 10 })).version).toBe(2);
    clock.advance(20);
    // Background expiry never runs above the durable clock floor (docs/wal-format.md, "The clock floor"):
    // this read, which sees the document expired, makes now durable first.
    expect(await db.get("t")).toBeUndefined();
    await settle(db);
    expect(await segmentCounts(fs)).toEqual({ tombstones: 0, entries: 0 });
    expect(await db.inspect("t")).toEqual({ version: 2, value: undefined });
    expect((await db.incr("t")).version).toBe(3);
    await db.close();
  });

  it("the floor survives a crash: re-create versions equal the uninterrupted run's", async () => {
    /** Deletes `a` (collected, below the WAL floor) and `b` (only in the WAL); optionally crashes. */
    const run = async (crash: boolean): Promise<{ a: number; b: number; tombstones: number }> => {
      const fs = new TestDisk();
      let db = await open(fs, { segmentsMax: 1 });
      for (let i = 0; i < 3; i++) await db.set("a", i);
      await db.set("b", "x");
      await db.checkpoint();
      await db.delete("a");
      await settle(db);
      const { tombstones } = await segmentCounts(fs);
      await db.delete("b");
      if (crash) {
        // A process crash after the acknowledgement: the disk as it is, never closed.
        db = await open(fs.copy(), { segmentsMax: 1 });
      }
      const a = (await db.set("a", "again")).version;
      const b = (await db.set("b", "again")).version;
      await db.close();
      return { a, b, tombstones };
    };
    const whole = await run(false);
    const crashed = await run(true);
    expect(whole).toEqual({ a: 5, b: 3, tombstones: 0 });
    expect(crashed).toEqual(whole);
  });

  it("reads a format 2 manifest: the dead entries it names are kept, so re-created versions still grow", async () => {
    const fs = new TestDisk();
    let db = await open(fs);
    // Enough live keys that one tombstone does not make the leaf due for a merge yet.
    for (const k of ["a", "b", "c", "d", "e"]) await db.set(k, 1);
    await db.checkpoint();
    expect((await db.delete("a")).version).toBe(2);
    await db.checkpoint();
    await db.close();
    // As a format 2 engine wrote it: no floor, no legacy LSN (the tombstone of "a" is in a segment).
    const m = (await readManifest(fs, DIR))?.manifest;
    if (m === undefined) throw new Error("no manifest");
    expect(m.deadVersionFloor).toEqual([[floorBucket("a"), 2]]);
    await fs.setBytes(`${DIR}/MANIFEST`, formatTwoManifestFile(m, m.checkpointLsn));
    db = await open(fs, { segmentsMax: 1 });
    const upgraded = (await readManifest(fs, DIR))?.manifest;
    expect(upgraded).toMatchObject({ formatVersion: 3, deadVersionFloor: [], legacyLsn: 6 });
    await settle(db);
    expect(db.stats().tree.merges).toBeGreaterThan(0);
    // The merge kept the legacy tombstone: its version still counts.
    expect((await segmentCounts(fs)).tombstones).toBe(1);
    expect((await db.set("a", "again")).version).toBe(3);
    await db.close();
  });
});

/** A key other than `key` in the same floor bucket (found by counting up). */
function bucketTwin(key: string): string {
  const b = floorBucket(key);
  // Bounded: about one key in 4096 matches.
  for (let i = 0; i < 1_000_000; i++) {
    const k = `twin${i}`;
    if (floorBucket(k) === b) return k;
  }
  throw new Error("no twin");
}
