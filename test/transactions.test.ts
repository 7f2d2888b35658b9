/**
 * Transactions and snapshots (src/tx/). Invariants checked:
 * - snapshot isolation prevents lost updates: concurrent read-increment-write transactions end with the
 *   counter equal to the number that committed;
 * - write skew (two doctors on call) gets through snapshot isolation and not 'serializable';
 * - a phantom (a key inserted into a range a transaction scanned) aborts a 'serializable' transaction;
 * - savepoints: rollbackTo forgets the writes made since, release keeps them;
 * - a conflict on every attempt rejects with FUSEDB_TX_CONFLICT after retries + 1 attempts, nothing written;
 * - a crash during a commit leaves all of its writes or none;
 * - a snapshot (and a transaction) never sees a write made after it began, across a checkpoint too;
 * - a snapshot held past snapshotBytesMax gets FUSEDB_SNAPSHOT_TOO_OLD, and writers are never held up;
 * - subscribers see a committed transaction's writes as one group (one LSN), after it is durable.
 */
import { describe, expect, it } from "vitest";
import { faultPlannerOf, RandomCrashPlanner } from "../sim/disk/crash-planner.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { TxConflictError } from "../src/errors.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** A promise and its resolver: a barrier that holds transactions between their reads and their commit. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe("isolation", () => {
  it("snapshot isolation: concurrent increments lose no update", async () => {
    const db = await openMem(new TestDisk());
    await db.set("counter", 0);
    let committed = 0;
    const runs = Array.from({ length: 12 }, () =>
      db
        .transaction(
          async (tx) => {
            const cur = (await tx.get("counter"))?.value as number;
            await tx.set("counter", cur + 1);
          },
          { retries: 30 },
        )
        .then(() => {
          committed++;
        }),
    );
    await Promise.all(runs);
    expect(committed).toBe(12);
    expect((await db.get("counter"))?.value).toBe(12);
    const s = db.stats().snapshots;
    expect(s.txCommitted).toBe(12);
    expect(s.txConflicts).toBeGreaterThan(0); // they did overlap
    expect(s.live).toBe(0);
    expect(s.bytes).toBe(0);
    await db.close();
  });

  /** Two doctors on call; each goes off call if the other is still on. Returns who is on call after. */
  async function doctors(isolation: "snapshot" | "serializable"): Promise<Json[]> {
    const db = await openMem(new TestDisk());
    await db.batch([
      { op: "set", key: "oncall:alice", value: true },
      { op: "set", key: "oncall:bob", value: true },
    ]);
    const bothRead = gate();
    let reads = 0;
    const goOff = (me: string) =>
      db.transaction(
        async (tx) => {
          const on = (await tx.scan({ gte: "oncall:", lt: "oncall;" })).filter((e) => e.value === true);
          if (++reads === 2) bothRead.open();
          await bothRead.wait; // both read before either commits
          if (on.length >= 2) await tx.set(`oncall:${me}`, false);
        },
        { isolation, retries: 5 },
      );
    await Promise.all([goOff("alice"), goOff("bob")]);
    const out = (await db.scan({ gte: "oncall:", lt: "oncall;" })).map((e) => e.value);
    await db.close();
    return out;
  }

  it("write skew gets through snapshot isolation", async () => {
    expect(await doctors("snapshot")).toEqual([false, false]);
  });

  it("'serializable' prevents write skew: one doctor stays on call", async () => {
    const after = await doctors("serializable");
    expect(after.filter((v) => v === true)).toHaveLength(1);
  });

  it("'serializable' aborts a transaction whose scanned range gained a key (phantom)", async () => {
    for (const isolation of ["snapshot", "serializable"] as const) {
      const db = await openMem(new TestDisk());
      await db.set("item:1", 1);
      const scanned = gate();
      const inserted = gate();
      let attempts = 0;
      const count = db.transaction(
        async (tx) => {
          attempts++;
          const n = (await tx.scan({ gte: "item:", lt: "item;" })).length;
          if (attempts === 1) {
            scanned.open();
            await inserted.wait;
          }
          await tx.set("count", n);
        },
        { isolation },
      );
      await scanned.wait;
      await db.set("item:2", 2); // not a key the transaction wrote or point-read
      inserted.open();
      await count;
      expect((await db.get("count"))?.value).toBe(isolation === "serializable" ? 2 : 1);
      expect(attempts).toBe(isolation === "serializable" ? 2 : 1);
      await db.close();
    }
  });

  it("'serializable' aborts a read-only transaction whose read was overwritten before it ended", async () => {
    const db = await openMem(new TestDisk());
    await db.set("a", 1);
    const read = gate();
    const written = gate();
    let attempts = 0;
    const seen = db.transaction(
      async (tx) => {
        attempts++;
        const v = (await tx.get("a"))?.value;
        if (attempts === 1) {
          read.open();
          await written.wait;
        }
        return v;
      },
      { isolation: "serializable" },
    );
    await read.wait;
    await db.set("a", 2);
    written.open();
    expect(await seen).toBe(2);
    expect(attempts).toBe(2);
    await db.close();
  });
});

describe("savepoints and retries", () => {
  it("rollbackTo forgets the writes made since; release keeps them", async () => {
    const db = await openMem(new TestDisk());
    await db.set("x", 1);
    await db.transaction(async (tx) => {
      await tx.set("a", 1);
      tx.savepoint("s1");
      await tx.set("b", 2);
      await tx.incr("x", 10);
      expect((await tx.get("x"))?.value).toBe(11);
      tx.rollbackTo("s1");
      expect(await tx.get("b")).toBeUndefined();
      expect((await tx.get("x"))?.value).toBe(1);
      await tx.set("c", 3);
      tx.savepoint("s2");
      await tx.set("d", 4);
      tx.release("s2");
      expect(() => tx.rollbackTo("s2")).toThrow(expect.objectContaining({ code: "FUSEDB_INVALID_ARGUMENT" }));
      expect((await tx.scan()).map((e) => e.key)).toEqual(["a", "c", "d", "x"]);
    });
    const all = await db.scan();
    expect(all.map((e) => [e.key, e.value])).toEqual([
      ["a", 1],
      ["c", 3],
      ["d", 4],
      ["x", 1],
    ]);
    await db.close();
  });

  it("a conflict on every attempt rejects with FUSEDB_TX_CONFLICT and writes nothing", async () => {
    const db = await openMem(new TestDisk());
    await db.set("k", 0);
    let attempts = 0;
    const err = await db
      .transaction(
        async (tx) => {
          attempts++;
          await tx.set("other", attempts);
          const v = (await tx.get("k"))?.value as number;
          await db.set("k", v + 100); // a write committed after this attempt's snapshot
          await tx.set("k", v + 1);
        },
        { retries: 3 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TxConflictError);
    expect(err).toMatchObject({ code: "FUSEDB_TX_CONFLICT", attempts: 4, key: "k" });
    expect(attempts).toBe(4);
    expect(await db.get("other")).toBeUndefined();
    expect((await db.get("k"))?.value).toBe(400);
    await db.close();
  });

  it("a retry waits until the write it lost to is visible (no retry storm inside one fdatasync)", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("c", 0);
    const hold = fs.holdSync();
    const outside = db.incr("c"); // appended, its fdatasync held: after every new snapshot until durable
    await hold.entered;
    let attempts = 0;
    const tx = db.transaction(
      async (t) => {
        attempts++;
        const v = (await t.get("c"))?.value as number;
        await t.set("c", v + 10);
      },
      { retries: 2 },
    );
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(attempts).toBe(1); // the second attempt waits for the held write instead of losing again
    hold.release();
    await outside;
    await tx;
    expect(attempts).toBe(2);
    expect((await db.get("c"))?.value).toBe(11);
    await db.close();
  });

  it("an error thrown by the callback writes nothing and is not retried", async () => {
    const db = await openMem(new TestDisk());
    let attempts = 0;
    await expect(
      db.transaction(async (tx) => {
        attempts++;
        await tx.set("a", 1);
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(attempts).toBe(1);
    expect(await db.get("a")).toBeUndefined();
    await expect(db.transaction(async () => 1, { retries: -1 })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await expect(db.transaction(async () => 1, { isolation: "strict" as "snapshot" })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await db.close();
  });
});

describe("every write path and kind of change conflicts", () => {
  it("a data-type command, an expire and a lapse of time each conflict with a write of the same key", async () => {
    const clock = new SimClock(0);
    const db = await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock });
    const outsiders: [string, (k: string) => Promise<unknown>][] = [
      ["strings.set", (k) => db.strings.set(k, "now a string")],
      ["keys.del", (k) => db.keys.del([k])],
      ["keys.persist", (k) => db.keys.persist(k)],
      ["expire", (k) => db.expire(k, 5000)],
      ["time", async () => clock.advance(2000)], // the document expires: no record, still a change
    ];
    for (const [name, outside] of outsiders) {
      const k = `doc:${name}`;
      await db.set(k, { n: 1 }, { ttlMs: 1000 });
      const err = await db
        .transaction(
          async (tx) => {
            const v = await tx.get(k);
            await outside(k);
            await tx.patch(k, { n: ((v?.value as { n?: number } | undefined)?.n ?? 0) + 1 });
          },
          { retries: 0 },
        )
        .catch((e: unknown) => e);
      expect(err, name).toMatchObject({ code: "FUSEDB_TX_CONFLICT" });
    }
    await db.close();
  });

  it("path mutations and expire inside a transaction", async () => {
    const db = await openMem(new TestDisk());
    await db.set("user", { name: "a", tags: [] });
    await db.transaction(async (tx) => {
      await tx.batch([
        { op: "setPath", key: "user", path: "$.name", value: "b" },
        { op: "appendPath", key: "user", path: "$.tags", values: ["x"] },
      ]);
      await tx.expire("user", 60_000);
      expect((await tx.get("user"))?.value).toEqual({ name: "b", tags: ["x"] });
      await expect(tx.batch([{ op: "incr", key: "user" }])).rejects.toMatchObject({
        code: "FUSEDB_TYPE_MISMATCH",
      });
    });
    expect(await db.get("user")).toEqual({
      value: { name: "b", tags: ["x"] },
      version: 4,
      expiresAtMs: 60_000,
    });
    await db.close();
  });
});

describe("durability", () => {
  it("a crash during a commit leaves all of its writes or none", async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const fs = new TestDisk();
      const db = await openMem(fs);
      await db.set("base", 1);
      const hold = fs.holdSync();
      const commit = db.transaction(async (tx) => {
        for (let i = 0; i < 6; i++) await tx.set(`k${i}`, "x".repeat(300 + i));
        await tx.incr("base");
      });
      commit.catch(() => undefined);
      await hold.entered; // the record is written, its fdatasync not done
      const image = fs.sim.crash(faultPlannerOf(new RandomCrashPlanner(0.5), new Prng(seed)));
      const again = await FuseDB.open({ dir: "/db", fs: image, clock: new SimClock(0) });
      const present = [];
      for (let i = 0; i < 6; i++) present.push((await again.get(`k${i}`)) !== undefined);
      const base = (await again.get("base"))?.value;
      const all = present.every(Boolean) && base === 2;
      const none = present.every((p) => !p) && base === 1;
      expect(all || none, `seed ${seed}: ${present} base ${base}`).toBe(true);
      outcomes.add(all ? "all" : "none");
      await again.close();
    }
    console.log(`crash during commit, 12 seeds: outcomes ${[...outcomes].join(", ")}`);
  });

  it("subscribers get a committed transaction's writes as one group, once durable", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    const sub = db.subscribe({ prefix: "acct:" });
    const hold = fs.holdSync();
    const done = db.transaction(async (tx) => {
      await tx.set("acct:a", 90);
      await tx.set("acct:b", 110);
    });
    await hold.entered;
    expect(await db.get("acct:a")).toBeUndefined(); // not durable: not visible
    hold.release();
    await done;
    const it = sub[Symbol.asyncIterator]();
    const e1 = await it.next();
    const e2 = await it.next();
    expect([e1.value.key, e2.value.key]).toEqual(["acct:a", "acct:b"]);
    expect(e1.value.lsn).toBe(e2.value.lsn);
    await sub.return();
    await db.close();
  });
});

describe("snapshots", () => {
  it("never see a later write: set, delete, incr, new keys, expiry, across a checkpoint", async () => {
    const clock = new SimClock(0);
    const db = await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock });
    await db.batch([
      { op: "set", key: "a", value: 1 },
      { op: "set", key: "b", value: 2 },
      { op: "set", key: "t", value: "ttl", ttlMs: 100 },
    ]);
    const snap = db.snapshot();
    await db.incr("a", 5);
    await db.delete("b");
    await db.set("c", 3);
    await db.checkpoint();
    clock.advance(200); // t expires after the snapshot's time
    await db.set("a", 100);
    expect((await snap.get("a"))?.value).toBe(1);
    expect((await snap.get("b"))?.value).toBe(2);
    expect(await snap.get("c")).toBeUndefined();
    expect((await snap.get("t"))?.value).toBe("ttl");
    expect((await snap.scan()).map((e) => [e.key, e.value])).toEqual([
      ["a", 1],
      ["b", 2],
      ["t", "ttl"],
    ]);
    expect((await snap.scan({ limit: 1, reverse: true })).map((e) => e.key)).toEqual(["t"]);
    expect(await db.get("t")).toBeUndefined();
    expect(db.stats().snapshots.live).toBe(1);
    await snap.close();
    expect(db.stats().snapshots).toMatchObject({ live: 0, versions: 0, bytes: 0 });
    await expect(snap.get("a")).rejects.toMatchObject({ code: "FUSEDB_CLOSED" });
    await db.close();
  });

  it("a transaction reads its snapshot plus its own writes", async () => {
    const db = await openMem(new TestDisk());
    await db.set("a", { n: 1 });
    await db.transaction(async (tx) => {
      await db.set("a", { n: 2 }); // after the snapshot: not seen (and a conflict only if written here)
      await db.set("z", 1);
      expect((await tx.get("a"))?.value).toEqual({ n: 1 });
      expect(await tx.get("z")).toBeUndefined();
      await tx.patch("b", { x: 1 });
      expect((await tx.scan()).map((e) => e.key)).toEqual(["a", "b"]);
    });
    expect((await db.get("b"))?.value).toEqual({ x: 1 });
    await db.close();
  });

  it("a snapshot held past snapshotBytesMax gets FUSEDB_SNAPSHOT_TOO_OLD; writers go on", async () => {
    const db = await openMem(new TestDisk(), { snapshotBytesMax: 4096 });
    await db.set("k0", "start");
    await using old = db.snapshot();
    for (let i = 0; i < 40; i++) await db.set(`k${i % 4}`, "v".repeat(100));
    await expect(old.get("k0")).rejects.toMatchObject({ code: "FUSEDB_SNAPSHOT_TOO_OLD" });
    await expect(old.scan()).rejects.toMatchObject({ code: "FUSEDB_SNAPSHOT_TOO_OLD" });
    const s = db.stats().snapshots;
    expect(s.tooOld).toBe(1);
    expect(s.live).toBe(0);
    expect(s.bytes).toBe(0);
    const fresh = db.snapshot();
    expect((await fresh.get("k0"))?.value).toBe("v".repeat(100));
    await fresh.close();
    await db.close();
  });
});
