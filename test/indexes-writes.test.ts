/**
 * Index maintenance on every write path (src/indexes/maintain.ts through the pipeline's write hook): after
 * random set (with TTL), patch, incr, delete, expire, batch, JSON path writes, and data-type commands over
 * document keys (SET of a string, DEL, RENAME, COPY), the stored index equals the index recomputed from the
 * documents. Unique indexes refuse a violating write with IndexError FUSEDB_UNIQUE_VIOLATION and change
 * nothing (no WAL byte, same document); a unique build over duplicates fails with a typed state and error.
 * A build while writers go on ends consistent, and writers are not held back by it.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { FuseError } from "../src/errors.js";
import { indexDef, recomputedIndex, storedIndex } from "./helpers/index-oracle.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const VALUES: Json[] = [null, true, 1, 2, -3.5, "a", "b", "x\u0000", ["a", 1], [2, "b", "a"], { o: 1 }];

async function check(db: FuseDB, name: string, prefix: string, path: string): Promise<void> {
  expect(await storedIndex(db, indexDef(db, name))).toEqual(await recomputedIndex(db, prefix, path));
}

/** One random write over keys u/0..u/19 (some fail with typed errors: they must change nothing). */
async function randomWrite(db: FuseDB, rng: Prng): Promise<void> {
  const k = `u/${rng.int(20)}`;
  const k2 = `u/${rng.int(20)}`;
  const v = (): Json => rng.pick(VALUES);
  const ops: (() => Promise<unknown>)[] = [
    () => db.set(k, { e: v(), n: rng.int(9) }),
    () => db.set(k, { e: v() }, { ttlMs: 1_000_000 }),
    () => db.set(k, rng.int(5)),
    () => db.patch(k, { e: rng.bool() ? null : v() }),
    () => db.incr(k, 2),
    () => db.delete(k),
    () => db.expire(k, 1_000_000),
    () =>
      db.batch([
        { op: "set", key: k, value: { e: v() } },
        { op: "patch", key: k2, patch: { e: v() } },
        { op: "delete", key: `u/${rng.int(20)}` },
      ]),
    () => db.json.set(k, "$.e", v()),
    () => db.json.delete(k, "$.e"),
    () => db.json.append(k, "$.e", [v()]),
    () => db.strings.set(k, "plain"),
    () => db.keys.del([k]),
    () => db.keys.rename(k, k2),
    () => db.keys.copy(k, k2, { replace: true }),
  ];
  try {
    await rng.pick(ops)();
  } catch (err) {
    if (!(err instanceof FuseError)) throw err;
  }
}

describe("index maintenance", () => {
  it("every write path keeps the stored index equal to the recomputed one", async () => {
    const seed = testSeed("indexes-writes");
    const rng = new Prng(seed);
    const db = await openMem(new TestDisk());
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    await db.waitForIndex("e");
    for (let i = 0; i < 400; i++) {
      await randomWrite(db, rng);
      if (i % 20 === 19) await check(db, "e", "u/", "e");
    }
    await db.close();
  });

  it("a build while writers go on ends consistent", async () => {
    const seed = testSeed("indexes-build-concurrent");
    const rng = new Prng(seed);
    const db = await openMem(new TestDisk());
    for (let i = 0; i < 2000; i++) await db.set(`u/${i}`, { e: i % 7 });
    await db.createIndex({ name: "e", prefix: "u/", path: "e" });
    const states = new Set<string>();
    const writers = [0, 1, 2].map(async () => {
      for (let i = 0; i < 150; i++) {
        const k = `u/${rng.int(2100)}`;
        await (rng.int(5) === 0 ? db.delete(k) : db.set(k, { e: rng.pick(VALUES) }));
        states.add(db.indexes()[0]?.state ?? "none");
      }
    });
    await Promise.all([...writers, db.waitForIndex("e")]);
    // Writers committed while the build was running: the build did not hold them back until it ended.
    expect(states.has("building")).toBe(true);
    expect(db.indexes()[0]).toMatchObject({ state: "ready" });
    await check(db, "e", "u/", "e");
    await db.close();
  });

  it("a unique index refuses a second live holder of a value with a typed error that changes nothing", async () => {
    const clock = new SimClock(0);
    const db = await FuseDB.open({ dir: DIR, fs: new TestDisk(), clock });
    await db.createIndex({ name: "email", prefix: "user/", path: "email", unique: true });
    await db.waitForIndex("email");
    await db.set("user/a", { email: "a@x" });
    await db.set("user/b", { email: "b@x" });
    const before = { b: await db.get("user/b"), c: await db.get("user/c"), wal: db.stats().wal.bytesWritten };
    const refused = [
      () => db.set("user/b", { email: "a@x" }),
      () => db.patch("user/b", { email: "a@x" }),
      () => db.json.set("user/b", "$.email", "a@x"),
      () => db.set("user/c", { email: ["z@x", "a@x"] }),
      () =>
        db.batch([
          { op: "set", key: "user/c", value: { email: "c@x" } },
          { op: "set", key: "user/b", value: { email: "a@x" } },
        ]),
      () =>
        db.batch([
          { op: "set", key: "user/c", value: { email: "n@x" } },
          { op: "set", key: "user/d", value: { email: "n@x" } },
        ]),
    ];
    for (const write of refused) {
      await expect(write()).rejects.toMatchObject({ code: "FUSEDB_UNIQUE_VIOLATION", index: "email" });
    }
    await expect(db.set("user/b", { email: "a@x" })).rejects.toMatchObject({ key: "user/a" });
    expect({
      b: await db.get("user/b"),
      c: await db.get("user/c"),
      wal: db.stats().wal.bytesWritten,
    }).toEqual(before);
    // Allowed: rewriting one's own value, swapping values in one batch, taking a deleted or expired one's.
    await db.set("user/a", { email: "a@x", name: "A" });
    await db.batch([
      { op: "set", key: "user/a", value: { email: "b@x" } },
      { op: "set", key: "user/b", value: { email: "a@x" } },
    ]);
    await db.delete("user/a");
    await db.set("user/c", { email: "b@x" });
    await db.set("user/t", { email: "t@x" }, { ttlMs: 100 });
    clock.advance(200);
    await db.set("user/u", { email: "t@x" });
    expect((await db.query({ index: "email", eq: "t@x" })).map((e) => e.key)).toEqual(["user/u"]);
    await db.close();
  });

  it("a unique build over existing duplicates fails with a typed state and error; writes go on", async () => {
    const db = await openMem(new TestDisk());
    for (let i = 0; i < 700; i++) await db.set(`user/${i}`, { email: `e${i}@x` });
    await db.set("user/dup", { email: "e650@x" });
    await db.createIndex({ name: "email", prefix: "user/", path: "email", unique: true });
    await expect(db.waitForIndex("email")).rejects.toMatchObject({ code: "FUSEDB_UNIQUE_VIOLATION" });
    expect(db.indexes()[0]).toMatchObject({ state: "failed", error: expect.stringContaining("email") });
    await expect(db.query({ index: "email", eq: "e1@x" })).rejects.toMatchObject({
      code: "FUSEDB_INDEX_NOT_READY",
    });
    await db.set("user/dup", { email: "e650@x", more: 1 });
    await db.dropIndex("email");
    await db.delete("user/dup");
    await db.createIndex({ name: "email", prefix: "user/", path: "email", unique: true });
    await db.waitForIndex("email");
    expect((await db.query({ index: "email", eq: "e650@x" })).map((e) => e.key)).toEqual(["user/650"]);
    await check(db, "email", "user/", "email");
    await db.close();
  });
});
