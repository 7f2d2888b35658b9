/**
 * Index queries (src/indexes/query.ts) answer exactly what a brute-force scan + filter + sort answers, over
 * random documents of mixed field types (null, booleans, numbers, strings with 0x00 and non-ASCII, arrays:
 * multikey, objects and missing fields: not indexed): eq, gt/gte/lt/lte, string prefix, limit, reverse,
 * each document once. A document that expired is never returned, though background work removed it with
 * no record (its entries stay until a merge). Queries on a missing or unbuilt index get typed errors.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import type { IndexQuery } from "../src/indexes/index-arguments.js";
import type { IndexValue } from "../src/indexes/index-keys.js";
import {
  type BruteQuery,
  bruteForce,
  indexDef,
  recomputedIndex,
  storedIndex,
} from "./helpers/index-oracle.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const SCALARS: IndexValue[] = [
  null,
  false,
  true,
  0,
  -0,
  1,
  -1,
  2.5,
  -2.5,
  1e300,
  -1e-300,
  42,
  "",
  "a",
  "ab",
  "b",
  "é",
  "日本",
  "\u0000x",
  "a\u0000",
  "z",
];

function randomField(rng: Prng): Json | undefined {
  const r = rng.int(10);
  if (r === 0) return undefined;
  if (r === 1) return { nested: rng.pick(SCALARS) };
  if (r <= 3) return Array.from({ length: rng.int(4) }, () => rng.pick(SCALARS));
  return rng.pick(SCALARS);
}

function randomDoc(rng: Prng): Json {
  const f = randomField(rng);
  return f === undefined ? { other: 1 } : { f, other: rng.int(100) };
}

function randomQuery(rng: Prng): BruteQuery {
  const q: BruteQuery = { limit: rng.pick([1, 3, 10, 1000]), reverse: rng.bool() };
  const kind = rng.int(5);
  if (kind === 0) q.eq = rng.pick(SCALARS);
  else if (kind === 1) q.prefix = rng.pick(["", "a", "\u0000", "日", "z"]);
  else if (kind >= 2) {
    if (rng.bool()) q[rng.bool() ? "gt" : "gte"] = rng.pick(SCALARS);
    if (rng.bool()) q[rng.bool() ? "lt" : "lte"] = rng.pick(SCALARS);
  }
  return q;
}

async function answer(db: FuseDB, q: BruteQuery): Promise<string[]> {
  const r = await db.query({ index: "f", ...q } as IndexQuery);
  return r.map((e) => e.key);
}

describe("index queries", () => {
  it("eq, ranges, prefix, limit and reverse equal a brute-force scan over random documents", async () => {
    const seed = testSeed("indexes-query");
    const rng = new Prng(seed);
    const db = await openMem(new TestDisk());
    const before = rng.int(300) + 100;
    for (let i = 0; i < before; i++) await db.set(`u/${rng.int(400)}`, randomDoc(rng));
    await db.set("v/1", { f: 1 }); // outside the prefix
    await db.createIndex({ name: "f", prefix: "u/", path: "f" });
    // Writes while the index builds, then after.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) writes.push(db.set(`u/${rng.int(400)}`, randomDoc(rng)));
    await Promise.all(writes);
    await db.waitForIndex("f");
    for (let i = 0; i < 100; i++) {
      const k = `u/${rng.int(400)}`;
      if (rng.int(4) === 0) await db.delete(k);
      else await db.set(k, randomDoc(rng));
    }
    expect(await storedIndex(db, indexDef(db, "f"))).toEqual(await recomputedIndex(db, "u/", "f"));
    for (let i = 0; i < 200; i++) {
      const q = randomQuery(rng);
      const want = await bruteForce(db, "u/", "f", q);
      expect({ q, got: await answer(db, q) }).toEqual({ q, got: want });
    }
    await db.close();
  });

  it("multikey: a document is found by each element of its array, once per query", async () => {
    const db = await openMem(new TestDisk());
    await db.createIndex({ name: "tags", prefix: "post/", path: "tags" });
    await db.set("post/1", { tags: ["db", "js", "db"] });
    await db.set("post/2", { tags: ["js"] });
    await db.set("post/3", { tags: "db" });
    await db.waitForIndex("tags");
    expect((await db.query({ index: "tags", eq: "db" })).map((e) => e.key)).toEqual(["post/1", "post/3"]);
    expect((await db.query({ index: "tags", eq: "js" })).map((e) => e.key)).toEqual(["post/1", "post/2"]);
    expect((await db.query({ index: "tags", gte: "a" })).map((e) => e.key)).toEqual([
      "post/1",
      "post/3",
      "post/2",
    ]);
    await db.patch("post/1", { tags: ["js"] });
    expect((await db.query({ index: "tags", eq: "db" })).map((e) => e.key)).toEqual(["post/3"]);
    const def = indexDef(db, "tags");
    expect(await storedIndex(db, def)).toEqual(await recomputedIndex(db, "post/", "tags"));
    await db.close();
  });

  it("an expired document is not returned, though it left no record when background work removed it", async () => {
    const clock = new SimClock(0);
    const fs = new TestDisk();
    const db = await FuseDB.open({ dir: DIR, fs, clock });
    await db.createIndex({ name: "n", prefix: "s/", path: "n" });
    await db.set("s/a", { n: 1 }, { ttlMs: 1000 });
    await db.set("s/b", { n: 1 });
    await db.waitForIndex("n");
    expect((await db.query({ index: "n", eq: 1 })).map((e) => e.key)).toEqual(["s/a", "s/b"]);
    clock.advance(2000);
    await db.checkpoint(); // background work turns the expired document into a tombstone
    expect((await db.query({ index: "n", eq: 1 })).map((e) => e.key)).toEqual(["s/b"]);
    await db.set("s/a", { n: 2 });
    expect((await db.query({ index: "n", gte: 0 })).map((e) => [e.key, e.value])).toEqual([
      ["s/b", { n: 1 }],
      ["s/a", { n: 2 }],
    ]);
    await db.close();
  });

  it("typed errors: a missing index, an index still building, bad bounds", async () => {
    const db = await openMem(new TestDisk());
    await expect(db.query({ index: "nope" })).rejects.toMatchObject({ code: "FUSEDB_INDEX_NOT_FOUND" });
    for (let i = 0; i < 600; i++) await db.set(`k/${i}`, { v: i });
    const created = db.createIndex({ name: "v", prefix: "k/", path: "v" });
    await created;
    expect(db.indexes()[0]).toMatchObject({ name: "v", state: "building" });
    await expect(db.query({ index: "v", eq: 1 })).rejects.toMatchObject({ code: "FUSEDB_INDEX_NOT_READY" });
    await db.waitForIndex("v");
    expect(db.indexes()).toEqual([
      { name: "v", prefix: "k/", path: "v", unique: false, state: "ready", indexed: 600 },
    ]);
    await expect(db.query({ index: "v", eq: 1, gt: 0 })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await expect(db.query({ index: "v", eq: Number.NaN })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await expect(db.createIndex({ name: "v", prefix: "k/", path: "w" })).rejects.toMatchObject({
      code: "FUSEDB_INDEX_EXISTS",
    });
    await expect(db.createIndex({ name: "w", prefix: "k/", path: "a..b" })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_PATH",
    });
    await expect(db.dropIndex("w")).rejects.toMatchObject({ code: "FUSEDB_INDEX_NOT_FOUND" });
    await db.close();
  });
});
