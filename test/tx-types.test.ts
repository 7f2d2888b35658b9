/**
 * Every data type inside a transaction (src/tx/tx-runner.ts, src/tx/tx-state.ts). Invariants checked:
 * - `tx.strings`, `tx.hashes`, `tx.lists`, `tx.sets`, `tx.zsets`, `tx.keys`, `tx.json` read the snapshot
 *   plus the transaction's own writes (a HSET then HGET sees it) and nothing committed after the snapshot;
 * - nothing is visible outside before the commit; the commit is one WAL record holding the document and
 *   typed writes in call order, delivered to subscribers as one group (one LSN) once durable, and a crash
 *   during that commit leaves all of it or none;
 * - snapshot isolation: concurrent HINCRBYs on one hash lose no update (conflict, retry);
 * - 'serializable': a typed read (HGET) of a hash another committer changed conflicts, not under 'snapshot';
 * - a typed write's reads conflict under every isolation (SINTERSTORE's sources);
 * - 'serializable': a key created inside a key scan it made (DBSIZE) is a phantom and conflicts;
 * - savepoints roll typed writes back; a failing typed call leaves the transaction as before it;
 * - `tx.typed(fn, { write })` runs a raw data-type operation; retries rerun it; onCommit hears the LSN;
 *   a blocking pop does not block inside a transaction;
 * - a snapshot's data-type namespaces read at the snapshot and refuse writes.
 */
import { describe, expect, it } from "vitest";
import { faultPlannerOf, RandomCrashPlanner } from "../sim/disk/crash-planner.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { KeyString } from "../src/doc/key.js";
import { TxConflictError } from "../src/errors.js";
import type { ChangeEvent } from "../src/reactive/subscriptions.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** A promise and its resolver: holds transactions between their reads and their commit. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const str = (b: Buffer | undefined): string | undefined => b?.toString("utf8");

async function events(db: FuseDB, n: number, run: () => Promise<unknown>): Promise<ChangeEvent[]> {
  const sub = db.subscribe({ prefix: "" });
  await run();
  const it = sub[Symbol.asyncIterator]();
  const out: ChangeEvent[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as ChangeEvent);
  await sub.return();
  return out;
}

describe("data types inside a transaction", () => {
  it("every namespace reads its own writes, writes nothing before commit, commits one record in call order", async () => {
    const db = await openMem(new TestDisk());
    await db.hashes.hset("h", { old: "1" });
    const inside: Record<string, unknown> = {};
    const evs = await events(db, 6, () =>
      db.transaction(async (tx) => {
        await tx.set("doc", { n: 1 });
        expect(await tx.hashes.hset("h", { f: "v" })).toBe(1);
        inside.hget = str(await tx.hashes.hget("h", "f"));
        inside.hlen = await tx.hashes.hlen("h");
        await tx.strings.set("s", "x");
        inside.append = await tx.strings.append("s", "yz");
        inside.get = str(await tx.strings.get("s"));
        await tx.lists.rpush("l", ["a", "b", "c"]);
        inside.lpop = str(await tx.lists.lpop("l"));
        inside.lrange = (await tx.lists.lrange("l", 0, -1)).map(str);
        await tx.sets.sadd("set", ["m1", "m2"]);
        inside.sismember = await tx.sets.sismember("set", "m2");
        await tx.zsets.zadd("z", [
          [2, "b"],
          [1, "a"],
        ]);
        inside.zrange = (await tx.zsets.zrange("z", 0, -1)).map(([m]) => str(m));
        inside.type = await tx.keys.type("z");
        await tx.json.set("doc", "$.m", 5);
        inside.json = (await tx.get("doc"))?.value;
        inside.exists = await tx.keys.exists(["s", "nope"]);
        await tx.keys.expire("s", 100);
        inside.ttl = await tx.keys.ttl("s");
        // Nothing is visible outside the transaction before it commits.
        inside.outside = [await db.get("doc"), str(await db.hashes.hget("h", "f")), await db.keys.type("z")];
      }),
    );
    expect(inside).toEqual({
      hget: "v",
      hlen: 2,
      append: 3,
      get: "xyz",
      lpop: "a",
      lrange: ["b", "c"],
      sismember: true,
      zrange: ["a", "b"],
      type: "zset",
      json: { n: 1, m: 5 },
      exists: 1,
      ttl: 100,
      outside: [undefined, undefined, "none"],
    });
    // After: everything, as the transaction saw it.
    expect((await db.get("doc"))?.value).toEqual({ n: 1, m: 5 });
    expect(str(await db.hashes.hget("h", "f"))).toBe("v");
    expect(str(await db.hashes.hget("h", "old"))).toBe("1");
    expect(str(await db.strings.get("s"))).toBe("xyz");
    expect((await db.lists.lrange("l", 0, -1)).map(str)).toEqual(["b", "c"]);
    expect((await db.sets.smembers("set")).map(str).sort()).toEqual(["m1", "m2"]);
    expect((await db.zsets.zrange("z", 0, -1)).map(([m]) => str(m))).toEqual(["a", "b"]);
    expect(await db.keys.ttl("s")).toBe(100);
    // One record, one group, keys in the order the transaction first wrote them.
    expect(new Set(evs.map((e) => e.lsn)).size).toBe(1);
    expect(evs.slice(0, 6).map((e) => e.key)).toEqual(["doc", "h", "s", "l", "set", "z"]);
    expect(evs[1]?.op).toBe("hset");
    expect(evs[1]?.type).toBe("hash");
    await db.close();
  });

  it("subscribers get the documents and typed keys of a commit as one group, once durable", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    const sub = db.subscribe({ prefix: "" });
    const hold = fs.holdSync();
    const done = db.transaction(async (tx) => {
      await tx.zsets.zadd("board", [[10, "ann"]]);
      await tx.set("doc", { n: 1 });
      await tx.sets.sadd("tags", ["a"]);
    });
    await hold.entered;
    expect(await db.zsets.zcard("board")).toBe(0); // not durable: not visible
    hold.release();
    await done;
    const it = sub[Symbol.asyncIterator]();
    const got: ChangeEvent[] = [];
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as ChangeEvent);
    expect(got.map((e) => [e.key, e.type, e.op])).toEqual([
      ["board", "zset", "zadd"],
      ["doc", "json", undefined],
      ["tags", "set", "sadd"],
    ]);
    expect(new Set(got.map((e) => e.lsn)).size).toBe(1);
    await sub.return();
    await db.close();
  });

  it("a crash during a commit of documents and data types leaves all of it or none (12 seeds)", async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const fs = new TestDisk();
      const db = await openMem(fs);
      await db.hashes.hset("h", { base: "1" });
      const hold = fs.holdSync();
      const commit = db.transaction(async (tx) => {
        for (let i = 0; i < 4; i++) await tx.hashes.hset("h", { [`f${i}`]: "x".repeat(300 + i) });
        await tx.lists.rpush("l", ["y".repeat(400), "z"]);
        await tx.set("doc", { big: "d".repeat(500) });
        await tx.hashes.hincrby("h", "base", 1);
      });
      commit.catch(() => undefined);
      await hold.entered; // the record is written, its fdatasync not done
      const image = fs.sim.crash(faultPlannerOf(new RandomCrashPlanner(0.5), new Prng(seed)));
      const again = await FuseDB.open({ dir: "/db", fs: image, clock: new SimClock(0) });
      const state = [
        await again.hashes.hlen("h"),
        str(await again.hashes.hget("h", "base")),
        await again.lists.llen("l"),
        (await again.get("doc")) !== undefined,
      ];
      const all = JSON.stringify(state) === JSON.stringify([5, "2", 2, true]);
      const none = JSON.stringify(state) === JSON.stringify([1, "1", 0, false]);
      expect(all || none, `seed ${seed}: ${JSON.stringify(state)}`).toBe(true);
      outcomes.add(all ? "all" : "none");
      await again.close();
    }
    console.log(`typed crash during commit, 12 seeds: outcomes ${[...outcomes].join(", ")}`);
  });

  it("reads see the snapshot: a typed write committed after it began is not seen", async () => {
    const db = await openMem(new TestDisk());
    await db.hashes.hset("h", { f: "old" });
    await db.lists.rpush("l", ["x"]);
    const began = gate();
    const wrote = gate();
    const seen = db.transaction(async (tx) => {
      const a = str(await tx.hashes.hget("h", "f"));
      began.open();
      await wrote.wait;
      return [a, str(await tx.hashes.hget("h", "f")), await tx.lists.llen("l"), await tx.keys.exists(["n"])];
    });
    await began.wait;
    await db.hashes.hset("h", { f: "new" });
    await db.lists.rpush("l", ["y", "z"]);
    await db.strings.set("n", "1");
    wrote.open();
    expect(await seen).toEqual(["old", "old", 1, 0]);
    await db.close();
  });

  it("snapshot isolation: concurrent HINCRBYs lose no update", async () => {
    const db = await openMem(new TestDisk());
    const runs = Array.from({ length: 10 }, () =>
      db.transaction(
        async (tx) => {
          const cur = Number(str(await tx.hashes.hget("acct", "n")) ?? "0");
          await tx.hashes.hset("acct", { n: String(cur + 1) });
        },
        { retries: 40 },
      ),
    );
    await Promise.all(runs);
    expect(str(await db.hashes.hget("acct", "n"))).toBe("10");
    expect(db.stats().snapshots.txConflicts).toBeGreaterThan(0);
    await db.close();
  });

  it("'serializable': a hash read and changed by a later committer conflicts; 'snapshot' lets it through", async () => {
    for (const isolation of ["snapshot", "serializable"] as const) {
      const db = await openMem(new TestDisk());
      await db.hashes.hset("limits", { max: "5" });
      const read = gate();
      const changed = gate();
      const done = db.transaction(
        async (tx) => {
          const max = str(await tx.hashes.hget("limits", "max"));
          read.open();
          await changed.wait;
          await tx.strings.set("decision", `max=${max}`);
        },
        { isolation, retries: 0 },
      );
      await read.wait;
      await db.hashes.hset("limits", { max: "1" });
      changed.open();
      if (isolation === "snapshot") {
        await done;
        expect(str(await db.strings.get("decision"))).toBe("max=5");
      } else {
        await expect(done).rejects.toBeInstanceOf(TxConflictError);
        expect(await db.strings.get("decision")).toBeUndefined();
      }
      await db.close();
    }
  });

  it("'serializable': a key created inside a key scan it made (DBSIZE) is a phantom; 'snapshot' lets it through", async () => {
    for (const isolation of ["snapshot", "serializable"] as const) {
      const db = await openMem(new TestDisk());
      await db.strings.set("a", "1");
      const counted = gate();
      const created = gate();
      const done = db.transaction(
        async (tx) => {
          const n = await tx.keys.dbsize();
          counted.open();
          await created.wait;
          await tx.strings.set("count", String(n));
        },
        { isolation, retries: 0 },
      );
      await counted.wait;
      await db.hashes.hset("zzz", { f: "v" });
      created.open();
      if (isolation === "snapshot") await done;
      else await expect(done).rejects.toBeInstanceOf(TxConflictError);
      await db.close();
    }
  });

  it("a typed write's sources conflict under snapshot isolation too (SINTERSTORE)", async () => {
    const db = await openMem(new TestDisk());
    await db.sets.sadd("a", ["1", "2", "3"]);
    await db.sets.sadd("b", ["2", "3"]);
    const stored = gate();
    const changed = gate();
    let attempts = 0;
    const done = db.transaction(
      async (tx) => {
        attempts++;
        const count = await tx.sets.sinterstore("dest", ["a", "b"]);
        if (attempts === 1) {
          stored.open();
          await changed.wait;
        }
        return count;
      },
      { retries: 1 },
    );
    await stored.wait;
    await db.sets.srem("b", ["2"]);
    changed.open();
    expect(await done).toBe(1); // what the committed attempt computed: b lost "2" before it
    expect(attempts).toBe(2);
    expect((await db.sets.smembers("dest")).map(str)).toEqual(["3"]);
    await db.close();
  });

  it("savepoints roll typed writes back; a failing typed call changes nothing", async () => {
    const db = await openMem(new TestDisk());
    await db.transaction(async (tx) => {
      await tx.hashes.hset("h", { keep: "1" });
      tx.savepoint("sp");
      await tx.hashes.hset("h", { drop: "1" });
      await tx.lists.rpush("gone", ["x"]);
      expect(await tx.hashes.hlen("h")).toBe(2);
      tx.rollbackTo("sp");
      expect(await tx.hashes.hlen("h")).toBe(1);
      expect(await tx.keys.exists(["gone"])).toBe(0);
      await tx.set("doc", 1);
      await expect(tx.hashes.hset("doc", { f: "v" })).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
      await tx.zsets.zadd("z", [[1, "m"]]);
    });
    expect(await db.hashes.hgetall("h")).toEqual([[Buffer.from("keep"), Buffer.from("1")]]);
    expect(await db.keys.exists(["gone"])).toBe(0);
    expect((await db.get("doc"))?.value).toBe(1);
    expect(await db.zsets.zcard("z")).toBe(1);
    await db.close();
  });

  it("tx.typed runs a raw operation; retries rerun it; onCommit hears the LSN; blocking pops do not block", async () => {
    const db = await openMem(new TestDisk());
    await db.lists.rpush("q", ["job"]);
    const infos: (number | undefined)[] = [];
    const lsn = await db.transaction(async (tx) => {
      const k = "k" as KeyString;
      const before = await tx.typed((t) => t.typeOf(k), { write: false });
      const version = await tx.typed((t) => t.mutate(k, { op: "set", key: "k", value: 7 }).version, {
        write: true,
      });
      const after = await tx.typed((t) => t.typeOf(k), { write: false });
      const popped = await tx.lists.blpop(["empty", "q"], 0);
      const none = await tx.lists.brpop("empty", 0);
      await tx.strings.set("s", "v", { onCommit: (i) => infos.push(i.lsn) });
      return { before, version, after, popped: popped?.map(str), none };
    });
    expect(lsn).toEqual({
      before: undefined,
      version: 1,
      after: "json",
      popped: ["q", "job"],
      none: undefined,
    });
    expect((await db.get("k"))?.value).toBe(7);
    expect(await db.lists.llen("q")).toBe(0);
    expect(infos).toHaveLength(1);
    expect(infos[0]).toBeGreaterThan(0);
    await expect(db.transaction((tx) => tx.typed(undefined as never, { write: true }))).rejects.toMatchObject(
      {
        code: "FUSEDB_INVALID_ARGUMENT",
      },
    );
    await db.close();
  });

  it("a snapshot's data-type namespaces read at the snapshot and refuse writes", async () => {
    const db = await openMem(new TestDisk());
    await db.hashes.hset("h", { a: "1" });
    await db.zsets.zadd("z", [[1, "m"]]);
    const snap = db.snapshot();
    await db.hashes.hset("h", { a: "2", b: "3" });
    await db.zsets.zadd("z", [[5, "n"]]);
    await db.keys.del(["z"]);
    await db.strings.set("s", "new");
    expect((await snap.hashes.hgetall("h")).map(([f, v]) => `${str(f)}=${str(v)}`)).toEqual(["a=1"]);
    expect((await snap.zsets.zrange("z", 0, -1)).map(([m, sc]) => `${str(m)}:${sc}`)).toEqual(["m:1"]);
    expect(await snap.keys.exists(["s", "h", "z"])).toBe(2);
    expect(await snap.keys.dbsize()).toBe(2);
    await expect(snap.hashes.hset("h", { c: "4" })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await snap.close();
    await expect(snap.hashes.hgetall("h")).rejects.toMatchObject({ code: "FUSEDB_CLOSED" });
    await db.close();
  });
});
