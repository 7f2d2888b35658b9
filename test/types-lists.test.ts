/**
 * Lists in the engine (src/types/lists.ts, list-ops.ts, list-edits.ts, pop-waiters.ts). Invariants:
 * - Redis 7.0's answers on the tricky cases, as tables from redis.io (LPOS, LRANGE's negative indexes,
 *   LINSERT, LREM, LTRIM) and pop counts (0, negative, absent key);
 * - a list survives reopen and checkpoint; WRONGTYPE both ways; an error changes nothing (same version);
 * - cost: LPUSH/RPOP on a 10k-element list write a few small entries (userBytes), LTRIM/LREM write only
 *   what they remove or move;
 * - seeded random sequences give the reference model's answers (sim/redis-model/lists.ts; seed printed);
 * - blocking pops are served oldest first, each once, when a push becomes durable; their timeout runs on
 *   the engine's clock (a SimClock the test moves), an abort or close ends them; under random waiters,
 *   pushes and pops (seed printed) no element is lost or taken twice and every push to a key with a
 *   waiter is taken at once (this check fails when the wake-up hook is disabled: tried by hand).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { lists as model, RedisKeyspace } from "../sim/redis-model/index.js";
import { FuseDB } from "../src/db.js";
import { randomListStep } from "./helpers/list-random-step.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const s = (b: Buffer | undefined) => b?.toString("latin1");
const all = (bs: Buffer[] | undefined) => bs?.map((b) => b.toString("latin1"));

async function filled(items: string[], key = "l") {
  const db = await openMem(new TestDisk());
  if (items.length > 0) await db.lists.rpush(key, items);
  return db;
}

describe("lists: Redis's documented answers", () => {
  it("LPOS (redis.io examples, RANK/COUNT/MAXLEN and their errors)", async () => {
    const db = await filled(["a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3"]);
    expect(await db.lists.lpos("l", "3")).toBe(6);
    expect(await db.lists.lpos("l", "3", { count: 0, rank: 2 })).toEqual([8, 9, 10]);
    await db.lists.ltrim("l", 1, 0);
    await db.lists.rpush("l", ["a", "b", "c", "1", "2", "3", "c", "c"]);
    const table: [{ rank?: number; count?: number; maxlen?: number }, unknown][] = [
      [{}, 2],
      [{ rank: 2 }, 6],
      [{ rank: -1 }, 7],
      [{ count: 2 }, [2, 6]],
      [{ rank: -1, count: 2 }, [7, 6]],
      [{ count: 0 }, [2, 6, 7]],
      [{ count: 0, maxlen: 3 }, [2]],
      [{ rank: -1, maxlen: 1 }, 7],
      [{ rank: -1, maxlen: 2, count: 0 }, [7, 6]],
      [{ rank: 4 }, undefined],
      [{ rank: 4, count: 1 }, []],
    ];
    for (const [opts, want] of table) expect(await db.lists.lpos("l", "c", opts as never)).toEqual(want);
    expect(await db.lists.lpos("nokey", "c")).toBe(undefined);
    expect(await db.lists.lpos("nokey", "c", { count: 0 })).toEqual([]);
    await expect(db.lists.lpos("l", "c", { rank: 0 })).rejects.toMatchObject({
      code: "FUSEDB_SYNTAX",
      reply: expect.stringMatching(/^ERR RANK can't be zero/),
    });
    await expect(db.lists.lpos("l", "c", { count: -1 })).rejects.toMatchObject({
      reply: "ERR COUNT can't be negative",
    });
    await expect(db.lists.lpos("l", "c", { maxlen: -1 })).rejects.toMatchObject({
      reply: "ERR MAXLEN can't be negative",
    });
    await db.close();
  });

  it("LRANGE with negative and out-of-range indexes; LINDEX; LSET errors", async () => {
    const db = await filled(["one", "two", "three"]);
    const table: [number, number, string[]][] = [
      [0, 0, ["one"]],
      [-3, 2, ["one", "two", "three"]],
      [-100, 100, ["one", "two", "three"]],
      [5, 10, []],
      [-1, -1, ["three"]],
      [2, 1, []],
      [-2, -3, []],
      [1, -1, ["two", "three"]],
      [-5, -3, ["one"]],
    ];
    for (const [a, b, want] of table) expect(all(await db.lists.lrange("l", a, b))).toEqual(want);
    expect(s(await db.lists.lindex("l", -1))).toBe("three");
    expect(s(await db.lists.lindex("l", 3))).toBe(undefined);
    await db.lists.lset("l", -2, "TWO");
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["one", "TWO", "three"]);
    await expect(db.lists.lset("l", 3, "x")).rejects.toMatchObject({
      code: "FUSEDB_INDEX_OUT_OF_RANGE",
      reply: "ERR index out of range",
    });
    await expect(db.lists.lset("nokey", 0, "x")).rejects.toMatchObject({
      code: "FUSEDB_NO_SUCH_KEY",
      reply: "ERR no such key",
    });
    await db.close();
  });

  it("LINSERT before/after near either end, missing pivot and key", async () => {
    const db = await filled(["Hello", "World"]);
    expect(await db.lists.linsert("l", "before", "World", "There")).toBe(3);
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["Hello", "There", "World"]);
    expect(await db.lists.linsert("l", "after", "World", "!")).toBe(4);
    expect(await db.lists.linsert("l", "before", "Hello", "<")).toBe(5);
    expect(await db.lists.linsert("l", "after", "Hello", ",")).toBe(6);
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["<", "Hello", ",", "There", "World", "!"]);
    expect(await db.lists.linsert("l", "before", "nope", "x")).toBe(-1);
    expect(await db.lists.linsert("nokey", "before", "World", "x")).toBe(0);
    expect(await db.lists.llen("nokey")).toBe(0);
    await db.close();
  });

  it("LREM from the head, the tail, and all; LTRIM edge cases", async () => {
    const db = await filled(["hello", "hello", "foo", "hello"]);
    expect(await db.lists.lrem("l", -2, "hello")).toBe(2);
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["hello", "foo"]);
    await db.lists.rpush("m", ["a", "x", "b", "x", "c", "x", "d"]);
    expect(await db.lists.lrem("m", 2, "x")).toBe(2);
    expect(all(await db.lists.lrange("m", 0, -1))).toEqual(["a", "b", "c", "x", "d"]);
    expect(await db.lists.lrem("m", 0, "x")).toBe(1);
    expect(await db.lists.lrem("m", 0, "zz")).toBe(0);
    expect(all(await db.lists.lrange("m", 0, -1))).toEqual(["a", "b", "c", "d"]);
    expect(await db.lists.lrem("l", 0, "hello")).toBe(1);
    expect(await db.lists.lrem("l", 0, "foo")).toBe(1);
    expect(await db.lists.llen("l")).toBe(0);
    await db.lists.ltrim("m", 1, -1);
    expect(all(await db.lists.lrange("m", 0, -1))).toEqual(["b", "c", "d"]);
    await db.lists.ltrim("m", -100, 100);
    expect(all(await db.lists.lrange("m", 0, -1))).toEqual(["b", "c", "d"]);
    await db.lists.ltrim("m", 1, 1);
    expect(all(await db.lists.lrange("m", 0, -1))).toEqual(["c"]);
    await db.lists.ltrim("m", 5, 10);
    expect(await db.lists.llen("m")).toBe(0);
    await db.lists.ltrim("nokey", 0, 1);
    await db.close();
  });

  it("LPOP/RPOP counts: absent key, 0, larger than the list, negative; the list goes with its last element", async () => {
    const db = await filled(["a", "b", "c"]);
    expect(await db.lists.lpop("nokey")).toBe(undefined);
    expect(await db.lists.lpop("nokey", 2)).toBe(undefined);
    expect(await db.lists.lpop("l", 0)).toEqual([]);
    await expect(db.lists.rpop("l", -1)).rejects.toMatchObject({
      code: "FUSEDB_NEGATIVE",
      reply: "ERR value is out of range, must be positive",
    });
    expect(all(await db.lists.rpop("l", 2))).toEqual(["c", "b"]);
    expect(all(await db.lists.lpop("l", 10))).toEqual(["a"]);
    expect(await db.lists.lpop("l", 0)).toBe(undefined);
    expect(await db.lists.lpushx("l", "x")).toBe(0);
    expect(await db.lists.lpush("l", ["a", "b", "c"])).toBe(3);
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["c", "b", "a"]);
    expect(await db.lists.rpushx("l", ["z"])).toBe(4);
    expect(s(await db.lists.lmove("l", "l", "left", "right"))).toBe("c");
    expect(s(await db.lists.lmove("l", "d", "right", "left"))).toBe("c");
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(["b", "a", "z"]);
    expect(await db.lists.lmove("nokey", "d", "right", "left")).toBe(undefined);
    await db.close();
  });
});

describe("lists: storage", () => {
  it("survives checkpoint and reopen; WRONGTYPE both ways; errors change nothing", async () => {
    const fs = new TestDisk();
    let db = await openMem(fs);
    await db.lists.rpush("l", ["b", "c"]);
    await db.lists.lpush("l", "a");
    await db.checkpoint();
    await db.lists.rpush("l", ["d", "\xff\x00"]);
    await db.lists.lrem("l", 1, "c");
    await db.close();
    db = await openMem(fs);
    expect(all(await db.lists.lrange("l", 0, -1))).toEqual(
      ["a", "b", "d", "ÿ\x00"].map((x) => Buffer.from(x).toString("latin1")),
    );
    await db.set("doc", { x: 1 });
    await expect(db.lists.rpush("doc", "x")).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    await expect(db.lists.lmove("l", "doc", "left", "left")).rejects.toMatchObject({
      code: "FUSEDB_WRONG_TYPE",
    });
    await expect(db.get("l")).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    const before = db.stats().userBytes;
    await expect(db.lists.lset("l", 99, "x")).rejects.toMatchObject({ code: "FUSEDB_INDEX_OUT_OF_RANGE" });
    await expect(db.lists.lmove("l", "doc", "left", "left")).rejects.toMatchObject({
      code: "FUSEDB_WRONG_TYPE",
    });
    expect(db.stats().userBytes).toBe(before);
    expect(await db.lists.llen("l")).toBe(4);
    expect((await db.scan()).map((e) => e.key)).toEqual(["doc"]);
    await db.close();
  });

  it("costs: pushes and pops on a 10k list write a few entries; LTRIM and LREM write what they remove", async () => {
    const db = await openMem(new TestDisk());
    for (let i = 0; i < 10; i++) {
      await db.lists.rpush(
        "l",
        Array.from({ length: 1000 }, (_, j) => `e${i * 1000 + j}`),
      );
    }
    const cost = async (f: () => Promise<unknown>) => {
      const before = db.stats().userBytes;
      await f();
      return db.stats().userBytes - before;
    };
    const pushBytes = await cost(() => db.lists.lpush("l", "x"));
    expect(pushBytes).toBeLessThan(120);
    expect(await cost(() => db.lists.rpop("l"))).toBeLessThan(120);
    expect(await cost(() => db.lists.lset("l", 5000, "y"))).toBeLessThan(120);
    expect(await cost(() => db.lists.ltrim("l", 3, -1))).toBeLessThan(4 * 120);
    // LREM of an element near the head moves only the elements before it.
    expect(await cost(() => db.lists.lrem("l", 1, "e10"))).toBeLessThan(12 * 120);
    expect(await db.lists.llen("l")).toBe(9996);
    expect(s(await db.lists.lindex("l", 0))).toBe("e2");
    expect(s(await db.lists.lindex("l", -1))).toBe("e9998");
    expect(await cost(() => db.delete("l"))).toBeLessThan(20);
    await db.close();
  });
});

describe("lists: against the reference model", () => {
  it("seeded random sequences answer as sim/redis-model/lists.ts", async () => {
    const seed = testSeed("types-lists differential");
    const r = new Prng(seed);
    for (let run = 0; run < 4; run++) {
      const fs = new TestDisk();
      let db = await openMem(fs);
      const ks = new RedisKeyspace();
      for (let step = 0; step < 400; step++) {
        const [what, got, want] = await randomListStep(db, ks, r);
        expect(got, `seed ${seed} run ${run} step ${step}: ${what}`).toBe(want);
        if (r.bool(0.01)) await db.checkpoint();
        if (r.bool(0.01)) {
          await db.close();
          db = await openMem(fs);
        }
      }
      for (const k of ["k1", "k2", "k3"]) {
        expect(all(await db.lists.lrange(k, 0, -1)), `seed ${seed} final ${k}`).toEqual(
          model.lrange(ks, k, 0, -1, 0),
        );
      }
      await db.close();
    }
  });
});

describe("lists: blocking pops", () => {
  async function openTimed() {
    const clock = new SimClock(1_000_000);
    const db = await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock });
    return { db, clock };
  }
  const settle = async () => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };

  it("serves waiters oldest first, one element each, when pushes become durable", {
    timeout: 20_000,
  }, async () => {
    const { db } = await openTimed();
    const got: string[] = [];
    const w = (name: string, p: Promise<[Buffer, Buffer] | undefined>) =>
      p.then((v) => got.push(`${name}:${v ? `${s(v[0])}=${s(v[1])}` : "timeout"}`));
    const w1 = w("w1", db.lists.blpop("q", 0));
    await settle();
    const w2 = w("w2", db.lists.brpop(["other", "q"], 0));
    await settle();
    const w3 = w("w3", db.lists.blpop(["q"], 0));
    await settle();
    expect(db.lists.blocked).toBe(3);
    await db.lists.rpush("q", ["a", "b"]);
    await Promise.all([w1, w2]);
    await settle();
    expect(got).toEqual(["w1:q=a", "w2:q=b"]);
    expect(await db.lists.llen("q")).toBe(0);
    expect(db.lists.blocked).toBe(1);
    await db.lists.rpush("other", "c");
    await settle();
    expect(got).toEqual(["w1:q=a", "w2:q=b"]); // w3 waits on q only
    await db.lists.lpush("q", "d");
    await w3;
    expect(got).toEqual(["w1:q=a", "w2:q=b", "w3:q=d"]);
    expect(db.lists.blocked).toBe(0);
    // A non-empty list answers at once, from the first non-empty key in order.
    await db.lists.rpush("q", "e");
    expect((await db.lists.blpop(["empty", "other", "q"], 1))?.map((b) => s(b))).toEqual(["other", "c"]);
    await db.close();
  });

  it("times out on the engine's clock; abort and close end waits; BLMOVE moves when served", async () => {
    const { db, clock } = await openTimed();
    let result: unknown = "pending";
    const p = db.lists.blpop("q", 1.5).then((v) => {
      result = v;
    });
    await settle();
    clock.advance(1499);
    await settle();
    expect(result).toBe("pending");
    clock.advance(1);
    await p;
    expect(result).toBe(undefined);
    expect(clock.pendingTimers).toBe(0);
    await expect(db.lists.blpop("q", -1)).rejects.toMatchObject({ reply: "ERR timeout is negative" });
    const ac = new AbortController();
    const aborted = db.lists.brpop("q", 0, { signal: ac.signal });
    await settle();
    ac.abort();
    expect(await aborted).toBe(undefined);
    const moved = db.lists.blmove("src", "dst", "right", "left", 10);
    await settle();
    await db.lists.rpush("src", ["x", "y"]);
    expect(s(await moved)).toBe("y");
    expect(all(await db.lists.lrange("dst", 0, -1))).toEqual(["y"]);
    expect(clock.pendingTimers).toBe(0);
    const closing = db.lists.blpop("never", 0);
    await settle();
    await db.close();
    await expect(closing).rejects.toMatchObject({ code: "FUSEDB_CLOSED" });
  });

  it("random waiters, pushes and pops: nothing lost or served twice, no waiter left beside an element", async () => {
    const seed = testSeed("types-lists blocking");
    const r = new Prng(seed);
    const { db } = await openTimed();
    const keys = ["q1", "q2", "q3"];
    const pushed: string[] = [];
    const taken: string[] = [];
    const waiting = new Map<number, string[]>();
    let next = 0;
    for (let step = 0; step < 300; step++) {
      const roll = r.int(10);
      if (roll < 4) {
        const id = next++;
        const ks = keys.filter(() => r.bool(0.5));
        const mine = ks.length === 0 ? ["q1"] : ks;
        waiting.set(id, mine);
        const pop = r.bool() ? db.lists.blpop(mine, 0) : db.lists.brpop(mine, 0);
        void pop.then(
          (v) => {
            if (v) taken.push(s(v[1]) as string);
            waiting.delete(id);
          },
          () => waiting.delete(id),
        );
      } else if (roll < 7) {
        const xs = Array.from({ length: 1 + r.int(2) }, () => `e${next++}`);
        pushed.push(...xs);
        const k = r.pick(keys);
        const done = r.bool() ? db.lists.rpush(k, xs) : db.lists.lpush(k, xs);
        if (r.bool(0.7)) await done;
      } else if (roll < 9) {
        const got = await db.lists.lpop(r.pick(keys), 2);
        taken.push(...(all(got) ?? []));
      } else await settle();
    }
    await settle();
    // Every waiter left is woken by a push to one of its keys: each element pushed now is taken at once.
    for (let round = 0; round < 200 && waiting.size > 0; round++) {
      const [, ks] = waiting.entries().next().value as [number, string[]];
      const k = r.pick(ks);
      const e = `e${next++}`;
      pushed.push(e);
      await db.lists.rpush(k, e);
      await settle();
      expect(await db.lists.llen(k), `seed ${seed}: a push to ${k} woke no waiter`).toBe(0);
    }
    const left: string[] = [];
    for (const k of keys) left.push(...(all(await db.lists.lrange(k, 0, -1)) ?? []));

    expect([...taken, ...left].sort(), `seed ${seed}`).toEqual([...pushed].sort());
    for (const [id, ks] of waiting) {
      for (const k of ks) expect(await db.lists.llen(k), `seed ${seed} waiter ${id} on ${k}`).toBe(0);
    }
    expect(db.lists.blocked, `seed ${seed}`).toBe(waiting.size);
    await db.close();
  });
});
