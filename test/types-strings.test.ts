/**
 * Strings in the engine (src/types/strings.ts, string-ops.ts):
 * - Redis's rules as table tests from the redis.io command pages (APPEND, GETRANGE, SETRANGE, STRLEN,
 *   INCR family, INCRBYFLOAT, SET options, GETEX, MSETNX);
 * - binary safety, durability across reopen and checkpoint, TTLs on the engine clock;
 * - WRONGTYPE against other types while SET overwrites any type; an error changes nothing (same version);
 * - the value limit answers Redis's proto-max-bulk-len error;
 * - seeded random library calls agree with the reference model (sim/redis-model/strings.ts).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { strings as model, RedisKeyspace, RedisModelError } from "../sim/redis-model/index.js";
import { FuseDB } from "../src/db.js";
import { openMem } from "./helpers/open-mem.js";
import { DELTAS, FLOATS, INDEXES, VALUES } from "./helpers/redis-diff-alphabet.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const s = (b: Buffer | undefined) => b?.toString("latin1");

async function withClock(): Promise<{ db: FuseDB; clock: SimClock }> {
  const clock = new SimClock(1_000_000);
  const db = await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock });
  return { db, clock };
}

describe("strings: redis.io examples", () => {
  it("APPEND, GETRANGE, SETRANGE, STRLEN", async () => {
    const db = await openMem(new TestDisk());
    const t = db.strings;
    expect(await t.append("mykey", "Hello")).toBe(5);
    expect(await t.append("mykey", " World")).toBe(11);
    expect(s(await t.get("mykey"))).toBe("Hello World");
    await t.set("r", "This is a string");
    expect(s(await t.getrange("r", 0, 3))).toBe("This");
    expect(s(await t.getrange("r", -3, -1))).toBe("ing");
    expect(s(await t.getrange("r", 0, -1))).toBe("This is a string");
    expect(s(await t.getrange("r", 10, 100))).toBe("string");
    expect(s(await t.getrange("r", 0, -100))).toBe("T"); // an end still negative clamps to 0
    expect(s(await t.getrange("r", -1, -5))).toBe("");
    expect(s(await t.getrange("none", 0, -1))).toBe("");
    await t.set("key1", "Hello World");
    expect(await t.setrange("key1", 6, "Redis")).toBe(11);
    expect(s(await t.get("key1"))).toBe("Hello Redis");
    expect(await t.setrange("key2", 6, "Redis")).toBe(11);
    expect(s(await t.get("key2"))).toBe("\x00\x00\x00\x00\x00\x00Redis");
    expect(await t.setrange("key3", 6, "")).toBe(0);
    expect(await t.get("key3")).toBeUndefined();
    expect(await t.strlen("key1")).toBe(11);
    expect(await t.strlen("nonexisting")).toBe(0);
    await expect(t.setrange("key1", -1, "x")).rejects.toMatchObject({ reply: "ERR offset is out of range" });
    await db.close();
  });

  it("INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT", async () => {
    const db = await openMem(new TestDisk());
    const t = db.strings;
    await t.set("mykey", "10");
    expect(await t.incr("mykey")).toBe(11n);
    expect(s(await t.get("mykey"))).toBe("11");
    await t.set("mykey", "10");
    expect(await t.decr("mykey")).toBe(9n);
    await t.set("mykey", "234293482390480948029348230948");
    await expect(t.decr("mykey")).rejects.toMatchObject({
      code: "FUSEDB_NOT_INTEGER",
      reply: "ERR value is not an integer or out of range",
    });
    await t.set("mykey", "10");
    expect(await t.incrby("mykey", 5)).toBe(15n);
    expect(await t.decrby("mykey", 3)).toBe(12n);
    await t.set("max", "9223372036854775807");
    await expect(t.incr("max")).rejects.toMatchObject({ reply: "ERR increment or decrement would overflow" });
    await expect(t.decrby("x", -(2n ** 63n))).rejects.toMatchObject({
      reply: "ERR decrement would overflow",
    });
    await t.set("f", "10.50");
    expect(await t.incrbyfloat("f", "0.1")).toBe("10.6");
    expect(await t.incrbyfloat("f", -5)).toBe("5.6");
    await t.set("f", "5.0e3");
    expect(await t.incrbyfloat("f", "2.0e2")).toBe("5200");
    expect(s(await t.get("f"))).toBe("5200");
    await expect(t.incrbyfloat("f", "+inf")).rejects.toMatchObject({
      reply: "ERR increment would produce NaN or Infinity",
    });
    await t.set("sp", "    11");
    await expect(t.incrbyfloat("sp", 1)).rejects.toMatchObject({ reply: "ERR value is not a valid float" });
    await expect(t.incr("sp")).rejects.toMatchObject({
      reply: "ERR value is not an integer or out of range",
    });
    await db.close();
  });

  it("SET options, SETNX, GETSET, GETDEL, MSET, MSETNX, MGET", async () => {
    const db = await openMem(new TestDisk());
    const t = db.strings;
    expect(await t.set("k", "v1", { xx: true })).toBe(false);
    expect(await t.set("k", "v1", { nx: true })).toBe(true);
    expect(await t.set("k", "v2", { nx: true })).toBe(false);
    expect(s(await t.set("k", "v3", { get: true }))).toBe("v1");
    expect(s(await t.set("k", "v4", { get: true, nx: true }))).toBe("v3");
    expect(s(await t.get("k"))).toBe("v3");
    expect(await t.setnx("k", "x")).toBe(false);
    expect(s(await t.getset("k", "v5"))).toBe("v3");
    expect(s(await t.getdel("k"))).toBe("v5");
    expect(await t.getdel("k")).toBeUndefined();
    await expect(t.set("k", "v", { nx: true, xx: true })).rejects.toMatchObject({
      reply: "ERR syntax error",
    });
    await expect(t.set("k", "v", { keepTtl: true, ex: 1 })).rejects.toMatchObject({
      reply: "ERR syntax error",
    });
    await t.mset({ key1: "Hello", key2: "World" });
    expect((await t.mget(["key1", "key2", "nonexisting"])).map(s)).toEqual(["Hello", "World", undefined]);
    expect(await t.msetnx({ key3: "a", key1: "b" })).toBe(false);
    expect(await t.get("key3")).toBeUndefined();
    expect(
      await t.msetnx([
        ["key3", "a"],
        ["key4", "b"],
      ]),
    ).toBe(true);
    await db.hashes.hset("h", { f: "1" });
    expect((await t.mget(["h", "key4"])).map(s)).toEqual([undefined, "b"]);
    await db.close();
  });
});

describe("strings in the engine", () => {
  it("binary-safe values survive reopen and checkpoint", async () => {
    const fs = new TestDisk();
    let db = await openMem(fs);
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await db.strings.set(bytes, bytes);
    await db.strings.set("n", "1");
    await db.checkpoint();
    await db.strings.incrby("n", 41);
    await db.strings.append(bytes, Buffer.from([0, 255]));
    await db.close();
    db = await openMem(fs);
    expect((await db.strings.get(bytes))?.equals(Buffer.concat([bytes, Buffer.from([0, 255])]))).toBe(true);
    expect(s(await db.strings.get("n"))).toBe("42");
    await db.close();
  });

  it("TTLs on the engine clock: EX/PX/EXAT/PXAT, KEEPTTL, counters keep it, SET clears it, GETEX", async () => {
    const { db, clock } = await withClock();
    const t = db.strings;
    await t.set("a", "1", { ex: 10 });
    expect(await db.ttl("a")).toBe(10_000);
    await t.incr("a");
    await t.append("a", "0");
    expect(await db.ttl("a")).toBe(10_000);
    await t.set("a", "x", { keepTtl: true });
    expect(await db.ttl("a")).toBe(10_000);
    await t.set("a", "y");
    expect(await db.ttl("a")).toBeNull();
    await t.set("b", "1", { pxat: 1_000_500 });
    await t.setex("c", 2, "1");
    await t.psetex("d", 3000, "1");
    expect(await db.ttl("d")).toBe(3000);
    expect(s(await t.getex("a", { px: 700 }))).toBe("y");
    expect(await db.ttl("a")).toBe(700);
    expect(s(await t.getex("a", { persist: true }))).toBe("y");
    expect(await db.ttl("a")).toBeNull();
    expect(s(await t.getex("c", { exat: 1 }))).toBe("1");
    expect(await t.get("c")).toBeUndefined();
    clock.advance(500);
    expect(await t.get("b")).toBeUndefined();
    expect(s(await t.get("d"))).toBe("1");
    for (const bad of [0, -1]) {
      await expect(t.set("e", "1", { ex: bad })).rejects.toMatchObject({
        reply: "ERR invalid expire time in 'set' command",
      });
    }
    await expect(t.setex("e", 0, "1")).rejects.toMatchObject({
      reply: "ERR invalid expire time in 'setex' command",
    });
    await expect(t.set("e", "1", { ex: 10_000_000_000_000_000n })).rejects.toMatchObject({
      code: "FUSEDB_OUT_OF_RANGE",
    });
    expect(await t.getex("absent", { px: -5 })).toBeUndefined(); // absent: null before validation
    await db.close();
  });

  it("WRONGTYPE against other types; SET overwrites any type; errors change nothing", async () => {
    const db = await openMem(new TestDisk());
    await db.hashes.hset("h", { f: "1" });
    await db.set("doc", { x: 1 });
    for (const op of [
      () => db.strings.get("h"),
      () => db.strings.append("h", "x"),
      () => db.strings.incr("doc"),
      () => db.strings.set("h", "v", { get: true }),
      () => db.strings.getrange("h", 0, 1),
    ]) {
      await expect(op()).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    }
    await db.strings.set("n", "abc");
    const before = await db.versionOf("n");
    await expect(db.strings.incr("n")).rejects.toMatchObject({ code: "FUSEDB_NOT_INTEGER" });
    await expect(db.strings.incrbyfloat("n", 1)).rejects.toMatchObject({ code: "FUSEDB_NOT_FLOAT" });
    expect(await db.versionOf("n")).toBe(before);
    expect(await db.strings.set("h", "now a string")).toBe(true);
    expect(s(await db.strings.get("h"))).toBe("now a string");
    expect(await db.hashes.hlen("h").catch((e) => e.code)).toBe("FUSEDB_WRONG_TYPE");
    await db.strings.set("doc", "str");
    expect(s(await db.strings.get("doc"))).toBe("str");
    await db.close();
  });

  it("the value limit answers Redis's proto-max-bulk-len error and changes nothing", async () => {
    const db = await openMem(new TestDisk(), { valueBytesMax: 64 * 1024 });
    const t = db.strings;
    const tooBig = { reply: "ERR string exceeds maximum allowed size (proto-max-bulk-len)" };
    await t.set("k", "abc");
    await expect(t.setrange("k", 64 * 1024, "x")).rejects.toMatchObject(tooBig);
    await expect(t.setrange("k", 536870912, "x")).rejects.toMatchObject(tooBig);
    await expect(t.append("k", "y".repeat(64 * 1024))).rejects.toMatchObject(tooBig);
    // Bytes that JSON escapes (NUL as \u0000) count as stored.
    await expect(t.set("k", Buffer.alloc(20_000))).rejects.toMatchObject({ code: "FUSEDB_VALUE_TOO_LARGE" });
    expect(s(await t.get("k"))).toBe("abc");
    expect(await t.setrange("k", 100, "")).toBe(3);
    await db.close();
  });
});

/** An answer in comparable form: bytes as latin1 text, errors as their Redis reply. */
async function answer(run: () => Promise<unknown> | unknown): Promise<string> {
  const norm = (v: unknown): unknown =>
    v instanceof Uint8Array
      ? Buffer.from(v).toString("latin1")
      : Array.isArray(v)
        ? v.map(norm)
        : typeof v === "bigint"
          ? String(v)
          : v === null
            ? undefined
            : v;
  try {
    return JSON.stringify(norm(await run()) ?? "nil");
  } catch (e) {
    const reply = (e as { reply?: string }).reply ?? (e instanceof RedisModelError ? e.message : undefined);
    if (reply === undefined && (e as { code?: string }).code === "FUSEDB_WRONG_TYPE") return "WRONGTYPE";
    if (e instanceof RedisModelError && e.code === "FUSEDB_WRONG_TYPE") return "WRONGTYPE";
    if (reply === undefined) throw e;
    return reply;
  }
}

describe("strings against the reference model", () => {
  it("seeded random calls give the model's answers", async () => {
    const r = new Prng(testSeed("types-strings differential"));
    const db = await openMem(new TestDisk());
    const ks = new RedisKeyspace();
    const t = db.strings;
    const b = (v: string) => Buffer.from(v, "latin1");
    const KEYS = ["k1", "k2", "k3"];
    for (let i = 0; i < 600; i++) {
      const k = r.pick(KEYS) as string;
      const v = r.pick(VALUES) as string;
      const [s0, e0] = [r.pick(INDEXES) as number, r.pick(INDEXES) as number];
      const d = BigInt(r.pick(DELTAS) as string);
      const f = r.pick(FLOATS) as string;
      const bytes = model.asciiBytes(v);
      // [call, engine, model]: both sides get the same drawn arguments.
      const calls: [string, () => unknown, () => unknown][] = [
        ["get", () => t.get(k), () => model.get(ks, k, 0)],
        ["set", () => t.set(k, b(v)), () => model.set(ks, k, bytes, {}, 0) === "OK"],
        ["setnx", () => t.setnx(k, b(v)), () => model.set(ks, k, bytes, { nx: true }, 0) === "OK"],
        ["getset", () => t.getset(k, b(v)), () => model.set(ks, k, bytes, { get: true }, 0)],
        ["append", () => t.append(k, b(v)), () => model.append(ks, k, bytes, 0)],
        ["strlen", () => t.strlen(k), () => model.strlen(ks, k, 0)],
        ["getdel", () => t.getdel(k), () => model.getdel(ks, k, 0)],
        ["getrange", () => t.getrange(k, s0, e0), () => model.getrange(ks, k, s0, e0, 0)],
        ["incrby", () => t.incrby(k, d), () => model.incrBy(ks, k, d, 0)],
        ["incrbyfloat", () => t.incrbyfloat(k, f), () => model.incrByFloat(ks, k, f, 0)],
        ["mget", () => t.mget(KEYS), () => model.mget(ks, KEYS, 0)],
      ];
      const [name, engine, expected] = r.pick(calls) as [string, () => unknown, () => unknown];
      const mine = await answer(engine);
      expect(mine, `call ${i}: ${name} ${k} ${JSON.stringify([v, s0, e0, String(d), f])}`).toBe(
        await answer(expected),
      );
    }
    await db.close();
  });
});
