/**
 * Index queries in snapshots and transactions (src/indexes/query-at.ts, src/tx/snapshot-query.ts).
 * Invariants checked:
 * - `snapshot.query` answers as `db.query` answered when the snapshot was taken, whatever is written after
 *   (an insert into the range, a value moved out of it, a delete), and an index created after the snapshot
 *   is not there;
 * - `tx.query` answers at the snapshot with the transaction's own document writes on top (an insert, a
 *   value moved, a delete, a document replaced by a data type), in index order, with limit and reverse,
 *   equal to a brute-force sort of the transaction's view;
 * - no phantoms over index ranges: under 'serializable' a concurrent insert into (or removal from) the
 *   queried range makes the transaction conflict; one outside the range does not; 'snapshot' lets it through.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import type { FuseDB } from "../src/db.js";
import { TxConflictError } from "../src/errors.js";
import type { ScanEntry } from "../src/types.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const keysOf = (found: ScanEntry[]): string[] => found.map((e) => e.key);

async function players(): Promise<FuseDB> {
  const db = await openMem(new TestDisk());
  await db.batch(
    [5, 12, 20, 33, 41].map((score, i) => ({ op: "set" as const, key: `p:${i}`, value: { score } })),
  );
  await db.createIndex({ name: "by-score", prefix: "p:", path: "score" });
  await db.waitForIndex("by-score");
  return db;
}

describe("snapshot.query", () => {
  it("answers at the snapshot, whatever is written after", async () => {
    const db = await players();
    const q = { index: "by-score", gte: 10, lt: 40 };
    // Right after waitForIndex (which once resolved before the build's last record was visible).
    const before = keysOf(await db.query(q));
    expect(before).toEqual(["p:1", "p:2", "p:3"]);
    const snap = db.snapshot();
    await db.set("p:9", { score: 15 }); // insert into the range
    await db.set("p:1", { score: 99 }); // moved out of it
    await db.delete("p:2");
    await db.createIndex({ name: "late", prefix: "p:", path: "score" });
    await db.waitForIndex("late");
    expect(keysOf(await db.query(q))).toEqual(["p:9", "p:3"]);
    expect(keysOf(await snap.query(q))).toEqual(before);
    expect(keysOf(await snap.query({ ...q, reverse: true, limit: 2 }))).toEqual(["p:3", "p:2"]);
    expect((await snap.query({ index: "by-score", eq: 12 }))[0]?.value).toEqual({ score: 12 });
    await expect(snap.query({ index: "late", gte: 0 })).rejects.toMatchObject({
      code: "FUSEDB_INDEX_NOT_FOUND",
    });
    await snap.close();
    await db.close();
  });
});

describe("tx.query", () => {
  it("sees the transaction's own writes over the snapshot, in index order (seeded, against brute force)", async () => {
    const seed = testSeed("tx-index-query");
    const rng = new Prng(seed);
    const db = await openMem(new TestDisk());
    await db.createIndex({ name: "by-v", prefix: "d:", path: "v" });
    for (let i = 0; i < 40; i++) await db.set(`d:${i}`, { v: rng.int(20) });
    await db.waitForIndex("by-v");
    for (let round = 0; round < 15; round++) {
      await db.transaction(async (tx) => {
        for (let w = 0; w < 6; w++) {
          const key = `d:${rng.int(45)}`;
          const r = rng.int(4);
          if (r === 0) await tx.delete(key);
          else if (r === 1) await tx.strings.set(key, "not a document");
          else {
            await tx.delete(key); // it may hold a string now: a document set on it would be WRONGTYPE
            await tx.set(key, { v: rng.int(20) });
          }
        }
        const lo = rng.int(20);
        const hi = lo + rng.int(10);
        const limit = 1 + rng.int(12);
        const reverse = rng.int(2) === 1;
        const all = (await tx.scan({ gte: "d:", lt: "d;", limit: 1000 }))
          .filter((e) => {
            const v = (e.value as { v?: unknown } | null)?.v;
            return typeof v === "number" && v >= lo && v < hi;
          })
          .sort((a, b) => {
            const d = (a.value as { v: number }).v - (b.value as { v: number }).v;
            return d !== 0 ? d : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
          });
        if (reverse) all.reverse();
        const want = all.slice(0, limit).map((e) => [e.key, e.value]);
        const got = await tx.query({ index: "by-v", gte: lo, lt: hi, limit, reverse });
        expect(
          got.map((e) => [e.key, e.value]),
          `seed ${seed} round ${round}`,
        ).toEqual(want);
      });
    }
    await db.close();
  });
});

describe("no phantoms over index ranges", () => {
  async function race(
    isolation: "snapshot" | "serializable",
    concurrent: (db: FuseDB) => Promise<unknown>,
  ): Promise<"committed" | "conflict"> {
    const db = await players();
    const queried = gate();
    const wrote = gate();
    const done = db.transaction(
      async (tx) => {
        const top = await tx.query({ index: "by-score", gte: 10, lt: 30 }).finally(queried.open);
        await wrote.wait;
        await tx.set("report", top.length);
      },
      { isolation, retries: 0 },
    );
    await queried.wait;
    await concurrent(db);
    wrote.open();
    try {
      await done;
      return "committed";
    } catch (err) {
      expect(err).toBeInstanceOf(TxConflictError);
      expect(await db.get("report")).toBeUndefined();
      return "conflict";
    } finally {
      await db.close();
    }
  }

  it("'serializable': a concurrent insert into the queried range conflicts", async () => {
    expect(await race("serializable", (db) => db.set("p:new", { score: 25 }))).toBe("conflict");
  });

  it("'serializable': a value moved out of the range conflicts", async () => {
    expect(await race("serializable", (db) => db.set("p:1", { score: 1 }))).toBe("conflict");
  });

  it("'serializable': an insert outside the range does not", async () => {
    expect(await race("serializable", (db) => db.set("p:new", { score: 35 }))).toBe("committed");
  });

  it("'snapshot': the insert gets through (write skew and phantoms are allowed)", async () => {
    expect(await race("snapshot", (db) => db.set("p:new", { score: 25 }))).toBe("committed");
  });
});
