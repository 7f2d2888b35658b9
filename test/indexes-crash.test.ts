/**
 * Indexes across crashes and drops: after a crash at a random point among concurrent writes (the simulated
 * disk keeps what was synced and a seeded share of the rest), the recovered index equals the index
 * recomputed from the recovered documents; a build interrupted by a crash resumes at open and ends
 * consistent; the catalog (definitions, states) survives restarts; dropping an index of 10k entries is one
 * small WAL record, and the merges that follow drop its entries, never the documents'; entries of documents
 * that expired (removed by background work with no record) are dropped by merges too, and a document written
 * again with the same value after expiring is found.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { indexDef, recomputedIndex, storedIndex } from "./helpers/index-oracle.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { segmentEntries, settle } from "./helpers/settle.js";
import { TestDisk } from "./helpers/sim-disk.js";

async function consistent(db: FuseDB): Promise<void> {
  expect(await storedIndex(db, indexDef(db, "e"))).toEqual(await recomputedIndex(db, "u/", "e"));
}

function randomWrite(db: FuseDB, rng: Prng): Promise<unknown> {
  const k = `u/${rng.int(60)}`;
  const v: Json = rng.pick([1, 2, "a", "b", null, [1, "a"], ["c", 2, 3]]);
  switch (rng.int(5)) {
    case 0:
      return db.delete(k);
    case 1:
      return db.patch(k, { e: v });
    case 2:
      return db.batch([
        { op: "set", key: k, value: { e: v } },
        { op: "set", key: `u/${rng.int(60)}`, value: { e: rng.int(4) } },
      ]);
    case 3:
      return db.json.set(k, "$", { e: v, n: rng.int(3) });
    default:
      return db.set(k, { e: v });
  }
}

describe("indexes across crashes", () => {
  it("after a crash among concurrent writes the recovered index equals the recomputed one", async () => {
    const seed = testSeed("indexes-crash");
    const rng = new Prng(seed);
    let fs = new TestDisk();
    let db = await openMem(fs);
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    for (let round = 0; round < 12; round++) {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 20 + rng.int(40); i++) writes.push(randomWrite(db, rng).catch(() => undefined));
      for (let i = rng.int(30); i > 0; i--) await Promise.resolve();
      const image = new TestDisk(fs.sim.crash(rng.fork(`crash${round}`)));
      await Promise.all(writes);
      await db.close().catch(() => undefined); // the old disk has crashed
      fs = image;
      db = await openMem(fs);
      expect(db.indexes().map((i) => i.name)).toEqual(["e"]);
      await db.waitForIndex("e");
      await consistent(db);
    }
    await db.close();
  });

  it("a build interrupted by a crash resumes at open and ends consistent", async () => {
    const seed = testSeed("indexes-crash-build");
    const rng = new Prng(seed);
    const fs = new TestDisk();
    const db = await openMem(fs);
    for (let i = 0; i < 3000; i += 500) {
      await db.batch(
        Array.from({ length: 500 }, (_, j) => ({
          op: "set" as const,
          key: `u/${i + j}`,
          value: { e: (i + j) % 9 },
        })),
      );
    }
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    for (let i = 0; i < 3 + rng.int(5); i++) await db.set(`u/${rng.int(3000)}`, { e: "w" });
    expect(db.indexes()[0]?.state).toBe("building");
    const image = new TestDisk(fs.sim.crash(rng.fork("crash")));
    await db.close().catch(() => undefined); // the old disk has crashed
    const reopened = await openMem(image);
    const info = reopened.indexes()[0];
    expect(info?.state).toBe("building");
    expect(info?.indexed).toBeLessThan(3000);
    await reopened.waitForIndex("e");
    await consistent(reopened);
    await reopened.close();
  });

  it("dropping a 10k-entry index is one small record; merges then drop its entries, not the documents", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { segmentsMax: 1 });
    const DOCS = 10_000;
    for (let i = 0; i < DOCS; i += 1000) {
      await db.batch(
        Array.from({ length: 1000 }, (_, j) => ({
          op: "set" as const,
          key: `u/${i + j}`,
          value: { e: i + j },
        })),
      );
    }
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    await db.waitForIndex("e");
    await settle(db);
    expect(await segmentEntries(fs)).toBeGreaterThanOrEqual(2 * DOCS);
    const before = db.stats().wal.bytesWritten;
    await db.dropIndex("e");
    expect(db.stats().wal.bytesWritten - before).toBeLessThan(200);
    expect(db.indexes()).toEqual([]);
    await expect(db.query({ index: "e", eq: 1 })).rejects.toMatchObject({ code: "FUSEDB_INDEX_NOT_FOUND" });
    await settle(db);
    const entries = await segmentEntries(fs);
    expect(entries).toBeGreaterThanOrEqual(DOCS);
    expect(entries).toBeLessThan(DOCS + 10);
    // A new index of the same name is a new generation: it sees none of the old entries.
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    await db.waitForIndex("e");
    expect((await db.query({ index: "e", gte: 9998 })).map((d) => d.key)).toEqual(["u/9998", "u/9999"]);
    await db.close();
    const reopened = await openMem(fs);
    expect(reopened.indexes()).toMatchObject([{ name: "e", state: "ready", indexed: DOCS }]);
    await consistent(reopened);
    await reopened.close();
  }, 120_000);

  it("merges drop the entries of expired documents; one written again with its old value is found", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(0);
    const db = await FuseDB.open({ dir: DIR, fs, clock, segmentsMax: 1 });
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    for (let i = 0; i < 200; i++) await db.set(`u/${i}`, { e: i % 5 }, i % 2 === 0 ? { ttlMs: 1000 } : {});
    await settle(db);
    clock.advance(2000);
    // A merge decides on what memory holds (else it keeps the entry: a later merge decides), so the documents
    // are read first; and merges run only where writes land: new documents give the index new segments. A
    // few rounds, as merges go.
    const def = indexDef(db, "e");
    let extra = -1;
    for (let round = 0; round < 5 && extra !== 0; round++) {
      for (let i = 0; i < 200; i++) await db.get(`u/${i}`);
      for (let i = 0; i < 20; i++) await db.set(`u/${200 + round * 20 + i}`, { e: 7 });
      await settle(db);
      extra = (await storedIndex(db, def)).length - (await recomputedIndex(db, "u/", "e")).length;
    }
    // The 100 expired documents' entries are gone from the segments, the others' kept.
    expect(await storedIndex(db, def)).toEqual(await recomputedIndex(db, "u/", "e"));
    expect(await segmentEntries(fs)).toBeLessThan(2 * 200 + 10 + 2 * 100);
    await db.set("u/0", { e: 0 });
    expect((await db.query({ index: "e", eq: 0, limit: 3 })).map((d) => d.key)).toEqual([
      "u/0",
      "u/105",
      "u/115",
    ]);
    await consistent(db);
    await db.close();
  }, 60_000);
});
