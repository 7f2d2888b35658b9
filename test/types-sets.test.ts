/**
 * Sets in the engine (src/types/sets.ts, sets-api.ts) and over RESP (src/server/commands/set-commands.ts):
 * - a seeded differential run against the Redis reference model (sim/redis-model/sets.ts) over random
 *   SADD/SREM/SMOVE/S*STORE/SPOP sequences on a few keys (members, cardinalities, replies; SPOP's choice
 *   is the engine's and replayed into the model), with checkpoints and a reopen in the middle;
 * - SPOP/SRANDMEMBER: distinct members, negative counts repeat, an emptied set stops existing;
 * - WRONGTYPE changes nothing; SADD to a 10k-member set writes a few entries, not the set;
 * - SSCAN over RESP returns every member once, with integer cursors.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { sets as model, RedisKeyspace } from "../sim/redis-model/index.js";
import { FuseDB } from "../src/db.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const str = (bs: Buffer[]) => bs.map((b) => b.toString("latin1"));

describe("sets", () => {
  it("agree with the reference model over random command sequences (seeded)", async () => {
    const seed = testSeed("types-sets differential");
    const rng = new Prng(seed);
    const fs = new TestDisk();
    let db = await FuseDB.open({ dir: DIR, fs, clock: new SimClock(0) });
    const ks = new RedisKeyspace();
    const keys = ["a", "b", "c"];
    const member = () => `m${rng.int(12)}`;
    const some = () => Array.from({ length: 1 + rng.int(4) }, member);
    const key = () => keys[rng.int(keys.length)] as string;
    for (let step = 0; step < 400; step++) {
      const r = rng.int(10);
      const k = key();
      if (r < 3) {
        const ms = some();
        expect(await db.sets.sadd(k, ms)).toBe(model.sadd(ks, k, ms, 0));
      } else if (r < 5) {
        const ms = some();
        expect(await db.sets.srem(k, ms)).toBe(model.srem(ks, k, ms, 0));
      } else if (r < 6) {
        const [src, dst, m] = [k, key(), member()];
        expect(await db.sets.smove(src, dst, m)).toBe(model.smove(ks, src, dst, m, 0) === 1);
      } else if (r < 7) {
        const which = (["sinterstore", "sunionstore", "sdiffstore"] as const)[rng.int(3)] as "sinterstore";
        const srcs = [key(), key()];
        const op = which === "sinterstore" ? "inter" : which === "sunionstore" ? "union" : "diff";
        expect(await db.sets[which](k, srcs)).toBe(model.sstore(ks, op, k, srcs, 0));
      } else if (r < 8) {
        const popped = str(await db.sets.spop(k, rng.int(3)));
        // The engine chose; the model removes the same members.
        const before = model.smembers(ks, k, 0);
        for (const m of popped) expect(before).toContain(m);
        model.srem(ks, k, popped, 0);
      } else if (r < 9) {
        const srcs = [key(), key(), key()];
        expect(str(await db.sets.sinter(srcs))).toEqual(model.sinter(ks, srcs, 0));
        expect(str(await db.sets.sunion(srcs))).toEqual(model.sunion(ks, srcs, 0));
        expect(str(await db.sets.sdiff(srcs))).toEqual(model.sdiff(ks, srcs, 0));
      } else if (step % 50 === 9) {
        await db.close();
        db = await FuseDB.open({ dir: DIR, fs, clock: new SimClock(0) });
      } else {
        await db.checkpoint();
      }
      expect(str(await db.sets.smembers(k)), `seed ${seed} step ${step}`).toEqual(model.smembers(ks, k, 0));
      expect(await db.sets.scard(k)).toBe(model.scard(ks, k, 0));
    }
    await db.close();
  });

  it("SPOP and SRANDMEMBER pick distinct members (repeats only for a negative count); an emptied set is gone", async () => {
    const db = await openMem(new TestDisk());
    await db.sets.sadd("s", ["a", "b", "c", "d", "e"]);
    const some = str(await db.sets.srandmember("s", 3));
    expect(new Set(some).size).toBe(3);
    expect(str(await db.sets.srandmember("s", 10)).sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect((await db.sets.srandmember("s", -12)).length).toBe(12);
    const popped = str(await db.sets.spop("s", 4));
    expect(new Set(popped).size).toBe(4);
    expect(await db.sets.scard("s")).toBe(1);
    expect(await db.sets.spop("s")).toBeDefined();
    expect(await db.sets.spop("s")).toBeUndefined();
    expect(await db.sets.scard("s")).toBe(0);
    await expect(db.sets.spop("s", -1)).rejects.toMatchObject({ code: "FUSEDB_INDEX_OUT_OF_RANGE" });
    await db.close();
  });

  it("SPOP and SRANDMEMBER spread over members that share a prefix", async () => {
    const db = await openMem(new TestDisk());
    await db.sets.sadd(
      "users",
      Array.from({ length: 8 }, (_, i) => `user:${i + 1}`),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(String(await db.sets.srandmember("users")));
    expect(seen.size).toBeGreaterThanOrEqual(5);
    const popped = new Set<string>();
    for (let i = 0; i < 4; i++) popped.add(String(await db.sets.spop("users")));
    expect(popped.size).toBe(4);
    await db.close();
  });

  it("WRONGTYPE changes nothing; SADD to a 10k-member set writes a few entries", async () => {
    const db = await openMem(new TestDisk());
    await db.set("doc", 1);
    await db.sets.sadd("s", ["x"]);
    await expect(db.sets.smove("s", "doc", "x")).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    expect(str(await db.sets.smembers("s"))).toEqual(["x"]);
    const big = Array.from({ length: 10_000 }, (_, i) => `member-${i}`);
    await db.sets.sadd("big", big);
    const before = db.stats().userBytes;
    expect(await db.sets.sadd("big", ["one-more"])).toBe(1);
    expect(db.stats().userBytes - before).toBeLessThan(200);
    expect(await db.sets.scard("big")).toBe(10_001);
    await db.close();
  });

  it("over RESP: Redis's replies; SSCAN returns every member once with integer cursors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const ms = Array.from({ length: 40 }, (_, i) => `m${i}`);
    expect(await call(c, "SADD", "s", ...ms, "m0")).toBe(40);
    expect(await call(c, "SCARD", "s")).toBe(40);
    expect(await call(c, "SISMEMBER", "s", "m3")).toBe(1);
    expect(await call(c, "SMISMEMBER", "s", "m3", "zz")).toEqual([1, 0]);
    expect(errorOf(await call(c, "SPOP", "s", "-1"))).toBe("ERR value is out of range, must be positive");
    expect(errorOf(await call(c, "SINTERCARD", "0", "s"))).toBe("ERR numkeys should be greater than 0");
    expect(await call(c, "SINTERCARD", "1", "s", "LIMIT", "5")).toBe(5);
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, page] = (await call(c, "SSCAN", "s", cursor, "COUNT", "7")) as [string, string[]];
      expect(next).toMatch(/^[0-9]+$/);
      seen.push(...page);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual([...ms].sort());
    await call(c, "SET", "str", "v").catch(() => undefined);
    expect(await call(c, "SUNIONSTORE", "dst", "s", "nothing")).toBe(40);
    expect(await call(c, "SMOVE", "nothing", "s", "m1")).toBe(0);
  });
});
