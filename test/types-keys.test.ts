/**
 * Generic key operations over every type (src/types/keys.ts, src/types/key-ops.ts):
 * - DEL is O(1) on a 10k-element hash (a handful of bytes written), TYPE/EXISTS over every type;
 * - RENAME/RENAMENX/COPY of documents, strings and collections of every element layout (hash, set, list
 *   with its head, zset with both orderings): elements copied under a new generation, the TTL kept, the
 *   source gone (RENAME), durable across reopen and checkpoint;
 * - the EXPIRE family's NX/XX/GT/LT table, a time in the past deleting, TTL/PTTL/EXPIRETIME/PERSIST;
 * - SCAN: stable across leaf splits (many keys, checkpoints and writes during the scan: every key present
 *   for the whole scan is returned), MATCH and TYPE filters, element subkeys never shown;
 * - a seeded differential test against the reference model (sim/redis-model/keys.ts).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { hashes as mh, keys as mk, RedisKeyspace, type RedisValue } from "../sim/redis-model/index.js";
import { FuseDB } from "../src/db.js";
import type { DataType } from "../src/doc/entry.js";
import { positionString, scoreString, TAG } from "../src/types/encoding.js";
import { hset } from "../src/types/hashes.js";
import { ManualClock } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const T0 = 1_700_000_000_000;

async function open(fs = new TestDisk(), clock = new ManualClock(T0), options = {}) {
  return { db: await FuseDB.open({ ...options, dir: "/db", fs, clock }), fs, clock };
}

/** Writes a collection of `type` directly with the Txn API (the other types' modules are not needed). */
async function collection(db: FuseDB, key: string, type: DataType, items: string[]): Promise<void> {
  await db.types.write((tx) => {
    const k = db.types.key(key);
    const meta = { g: tx.newGeneration(), n: items.length, ...(type === "list" ? { h: 5 } : {}) };
    items.forEach((item, i) => {
      if (type === "set") tx.putElement(tx.prefix(k, meta, TAG.set), item, 1);
      if (type === "list") tx.putElement(tx.prefix(k, meta, TAG.list), positionString(5 + i), item);
      if (type === "zset") {
        tx.putElement(tx.prefix(k, meta, TAG.zsetMember), item, i);
        tx.putElement(tx.prefix(k, meta, TAG.zsetScore), `${scoreString(i)}${item}`, 1);
      }
    });
    tx.putTyped(k, type, type === "string" ? items.join("") : meta, "test");
  });
}

/** Every element of a collection as "tag:sub=value" lines, read through the Txn API. */
async function elements(db: FuseDB, key: string): Promise<string[]> {
  return db.types.read((tx) => {
    const k = db.types.key(key);
    const e = tx.live(k);
    if (e?.type === undefined || e.type === "string") return [String(e?.value)];
    const meta = e.value as unknown as { g: number; n: number; h?: number };
    const out: string[] = [`n=${meta.n},h=${meta.h}`];
    for (const tag of Object.values(TAG)) {
      for (const [sub, v] of tx.elements(tx.prefix(k, meta, tag), 100_000)) out.push(`${tag}:${sub}=${v}`);
    }
    return out;
  });
}

/** The model's value of `key` as {@link elements} lines (without the metadata line). */
function modelElements(model: RedisKeyspace, key: string, now: number): string[] {
  const e = model.entry(key, now);
  if (e === undefined) return [];
  const v = e.value;
  if (v.type === "string") return [Buffer.from(v.bytes).toString("latin1")];
  if (v.type === "hash") return [...v.fields].sort().map(([f, x]) => `${TAG.hash}:${f}=${x}`);
  if (v.type === "set") return [...v.members].sort().map((m) => `${TAG.set}:${m}=1`);
  throw new Error(`no ${v.type} in this test`);
}

const keysOf = (page: { items: Buffer[] }) => page.items.map((b) => b.toString("latin1"));

describe("keys over every type", () => {
  it("DEL is O(1) on a 10k-element hash; TYPE and EXISTS see every type", async () => {
    const { db } = await open();
    const fields: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) fields[`field-${i}`] = `value-${i}`;
    await db.hashes.hset("big", fields);
    await db.set("doc", { a: 1 });
    await collection(db, "str", "string", ["abc"]);
    await collection(db, "s", "set", ["x", "y"]);
    await collection(db, "l", "list", ["x"]);
    await collection(db, "z", "zset", ["m"]);
    const types = await Promise.all(["big", "doc", "str", "s", "l", "z", "none"].map((k) => db.keys.type(k)));
    expect(types).toEqual(["hash", "json", "string", "set", "list", "zset", "none"]);
    expect(await db.keys.exists(["big", "big", "doc", "nope", "z"])).toBe(4);
    expect(await db.keys.dbsize()).toBe(6);
    const before = db.stats().userBytes;
    expect(await db.keys.del(["big", "big", "nope"])).toBe(1);
    expect(db.stats().userBytes - before).toBeLessThan(64);
    expect(await db.hashes.hlen("big")).toBe(0);
    expect(await db.keys.unlink(["doc", "str", "s", "l", "z"])).toBe(5);
    expect(await db.keys.dbsize()).toBe(0);
    await db.close();
  });

  it("RENAME/RENAMENX/COPY move every layout under a new generation, keep the TTL, survive reopen", async () => {
    const { db: first, fs, clock } = await open();
    let db = first;
    await db.hashes.hset("h", { a: "1", b: "2" });
    await collection(db, "s", "set", ["m1", "m2"]);
    await collection(db, "l", "list", ["e1", "e2", "e3"]);
    await collection(db, "z", "zset", ["p", "q"]);
    await collection(db, "str", "string", ["bytes"]);
    await db.set("doc", [1, 2]);
    const expected = new Map<string, string[]>();
    for (const k of ["h", "s", "l", "z", "str"]) expected.set(k, await elements(db, k));
    await db.keys.expire("h", 100);
    await db.keys.rename("h", "h2");
    await expect(db.keys.rename("h", "h3")).rejects.toMatchObject({ code: "FUSEDB_NO_SUCH_KEY" });
    expect(await db.keys.pttl("h2")).toBe(100_000);
    expect(await db.keys.exists(["h"])).toBe(0);
    expect(await db.keys.renamenx("s", "l")).toBe(false);
    expect(await db.keys.renamenx("s", "s2")).toBe(true);
    await db.keys.rename("l", "z"); // replaces a zset by a list
    await expect(db.keys.copy("z", "z")).rejects.toMatchObject({ code: "FUSEDB_SYNTAX" });
    expect(await db.keys.copy("str", "doc")).toBe(false);
    expect(await db.keys.copy("str", "doc", { replace: true })).toBe(true);
    await collection(db, "zz", "zset", ["p", "q"]);
    expect(await db.keys.copy("zz", "zcopy")).toBe(true);
    await db.keys.rename("s2", "s2"); // to itself: nothing changes
    await db.checkpoint();
    await db.close();
    db = (await open(fs, clock)).db;
    expect(await elements(db, "h2")).toEqual(expected.get("h"));
    expect(await elements(db, "s2")).toEqual(expected.get("s"));
    expect(await elements(db, "z")).toEqual(expected.get("l"));
    expect(await elements(db, "zcopy")).toEqual(expected.get("z"));
    expect(await elements(db, "zz")).toEqual(expected.get("z"));
    expect(await elements(db, "doc")).toEqual(["bytes"]);
    expect(await db.keys.type("doc")).toBe("string");
    expect((await db.hashes.hgetall("h2")).map(([f, v]) => `${f}=${v}`)).toEqual(["a=1", "b=2"]);
    // Changing the copy leaves the original alone (separate generations).
    await db.hashes.hset("h2", { c: "3" });
    await db.keys.copy("h2", "h3");
    await db.hashes.hdel("h3", ["a"]);
    expect(await db.hashes.hlen("h2")).toBe(3);
    expect(await db.hashes.hlen("h3")).toBe(2);
    await db.close();
  });

  it("RENAME of a collection larger than a page copies every element", async () => {
    const { db } = await open();
    const fields: Record<string, string> = {};
    for (let i = 0; i < 3500; i++) fields[`f${i}`] = `${i}`;
    await db.hashes.hset("h", fields);
    await db.checkpoint();
    await db.keys.rename("h", "moved");
    expect(await db.hashes.hlen("moved")).toBe(3500);
    expect((await db.hashes.hgetall("moved")).length).toBe(3500);
    expect(await db.hashes.hlen("h")).toBe(0);
    await db.close();
  });

  it("EXPIRE's NX/XX/GT/LT table; a time in the past deletes; TTL family and PERSIST", async () => {
    const { db, clock } = await open();
    await db.hashes.hset("h", { a: "1" });
    // [condition, ttl before (s, undefined: none), new ttl (s), answer]
    const table: [("NX" | "XX" | "GT" | "LT") | undefined, number | undefined, number, boolean][] = [
      [undefined, undefined, 10, true],
      ["NX", undefined, 10, true],
      ["NX", 5, 10, false],
      ["XX", undefined, 10, false],
      ["XX", 5, 10, true],
      ["GT", undefined, 10, false],
      ["GT", 5, 10, true],
      ["GT", 20, 10, false],
      ["GT", 10, 10, false],
      ["LT", undefined, 10, true],
      ["LT", 5, 10, false],
      ["LT", 20, 10, true],
    ];
    for (const [condition, before, next, answer] of table) {
      await db.keys.persist("h");
      if (before !== undefined) await db.keys.expire("h", before);
      const version = (await db.types.read((tx) => tx.live(db.types.key("h"))))?.version;
      expect(await db.keys.expire("h", next, condition), `${condition} ${before} ${next}`).toBe(answer);
      const after = (await db.types.read((tx) => tx.live(db.types.key("h"))))?.version;
      expect(after).toBe(answer ? (version ?? 0) + 1 : version); // a refusal writes nothing
      expect(await db.keys.ttl("h")).toBe(answer ? next : (before ?? -1));
    }
    expect(await db.keys.expiretime("h")).toBe(Math.floor(T0 / 1000) + 10);
    expect(await db.keys.pexpiretime("h")).toBe(T0 + 10_000);
    clock.advance(400);
    expect(await db.keys.pttl("h")).toBe(9600);
    expect(await db.keys.ttl("h")).toBe(10);
    expect(await db.keys.persist("h")).toBe(true);
    expect(await db.keys.persist("h")).toBe(false);
    expect(await db.keys.ttl("h")).toBe(-1);
    expect(await db.keys.ttl("none")).toBe(-2);
    expect(await db.keys.expire("none", 10)).toBe(false);
    expect(await db.keys.pexpireat("h", clock.now() + 50)).toBe(true);
    clock.advance(50);
    expect(await db.keys.exists(["h"])).toBe(0);
    await db.set("d", 1);
    expect(await db.keys.expire("d", -1)).toBe(true);
    expect(await db.keys.type("d")).toBe("none");
    await db.set("d", 1);
    expect(await db.keys.expireat("d", 1, "XX")).toBe(false); // the condition comes first
    expect(await db.keys.exists(["d"])).toBe(1);
    await expect(db.keys.expire("d", 2 ** 60)).rejects.toMatchObject({ code: "FUSEDB_OVERFLOW" });
    await db.close();
  });

  it("SCAN is stable across leaf splits: every key present for the whole scan is returned", async () => {
    const { db } = await open(new TestDisk(), new ManualClock(T0), {
      leafBufferBytes: 1024,
      leafBytesMax: 4096,
    });
    const present = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const k = `k${String((i * 7919) % 1500).padStart(5, "0")}`;
      if (i % 3 === 0) await db.hashes.hset(k, { f: "v", g: "w" });
      else await db.set(k, { i });
      present.add(k);
    }
    const seen = new Set<string>();
    let cursor = "0";
    let pages = 0;
    do {
      const page = await db.keys.scan(cursor, { count: 37 });
      for (const k of keysOf(page)) seen.add(k);
      cursor = page.cursor;
      // Writes during the scan: new keys (splitting leaves), deletes of keys not in `present`, checkpoints.
      for (let j = 0; j < 20; j++) await db.hashes.hset(`k${pages}-${j}`, { x: "y".repeat(200) });
      if (pages % 5 === 0) await db.checkpoint();
      pages++;
    } while (cursor !== "0" && pages < 10_000);
    for (const k of present) expect(seen.has(k), k).toBe(true);
    expect(db.leaves().length).toBeGreaterThan(3);
    expect([...seen].every((k) => !k.startsWith("\x00\x00"))).toBe(true);
    await db.close();
  });

  it("SCAN MATCH and TYPE filter; element subkeys never appear; a 0x00 key is decoded", async () => {
    const { db } = await open();
    await db.hashes.hset("user:1", { a: "1" });
    await db.hashes.hset("\x00zero", { a: "1" });
    await db.set("user:2", 1);
    await db.set("other", 1);
    const all = async (options: Parameters<FuseDB["keys"]["scan"]>[1]) => {
      const out: string[] = [];
      let cursor = "0";
      do {
        const page = await db.keys.scan(cursor, { count: 2, ...options });
        out.push(...keysOf(page));
        cursor = page.cursor;
      } while (cursor !== "0");
      return out;
    };
    expect(await all({})).toEqual(["\x00zero", "other", "user:1", "user:2"]);
    expect(await all({ match: "user:*" })).toEqual(["user:1", "user:2"]);
    expect(await all({ type: "hash" })).toEqual(["\x00zero", "user:1"]);
    expect(await all({ type: "json", match: "u*" })).toEqual(["user:2"]);
    await expect(db.keys.scan("bogus")).rejects.toMatchObject({ code: "FUSEDB_SYNTAX" });
    await db.close();
  });
});

describe("Txn savepoints", () => {
  it("rollbackTo forgets the writes, operations and creations made after the savepoint", async () => {
    const { db } = await open();
    await db.hashes.hset("h", { a: "1" });
    const lsn = db.stats().durableLsn;
    const answer = await db.types.write((tx) => {
      const k = db.types.key("h");
      const sp = tx.savepoint();
      hset(tx, k, [["b", "2"]]);
      hset(tx, db.types.key("new"), [["x", "1"]]);
      tx.deleteKey(db.types.key("h"), "del");
      tx.rollbackTo(sp);
      expect(tx.changed).toBe(false);
      hset(tx, k, [["c", "3"]]);
      return tx.effects().length;
    });
    expect(answer).toBe(2); // c's element and h's metadata only
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect((await db.hashes.hgetall("h")).map(([f]) => f.toString())).toEqual(["a", "c"]);
    expect(await db.keys.exists(["new"])).toBe(0);
    await db.close();
  });
});

describe("differential against the reference model", () => {
  it("random sequences of key operations answer as sim/redis-model/keys.ts", async () => {
    const seed = testSeed("types-keys differential");
    const rng = new Prng(seed);
    const { db, clock } = await open();
    const model = new RedisKeyspace();
    const names = ["a", "b", "c", "d", "e"];
    const pick = () => names[rng.int(names.length)] as string;
    const conds = [undefined, "NX", "XX", "GT", "LT"] as const;
    const log: string[] = [];
    for (let step = 0; step < 400; step++) {
      const now = clock.now();
      const r = rng.int(14);
      const [k1, k2] = [pick(), pick()];
      let got: unknown;
      let want: unknown;
      const run = async (engine: () => Promise<unknown>, ref: () => unknown) => {
        try {
          want = ref();
        } catch (err) {
          want = `error ${(err as Error).message}`;
        }
        try {
          got = await engine();
        } catch (err) {
          got = `error ${(err as { reply?: string }).reply ?? (err as Error).message}`;
        }
      };
      if (r === 0) {
        const f = `f${rng.int(3)}`;
        await run(
          () => db.hashes.hset(k1, { [f]: "v" }),
          () => mh.hset(model, k1, [[f, "v"]], now),
        );
      } else if (r === 1)
        await run(
          () => db.keys.del([k1, k2]),
          () => mk.del(model, [...new Set([k1, k2])], now),
        );
      else if (r === 2)
        await run(
          () => db.keys.exists([k1, k2, k1]),
          () => mk.exists(model, [k1, k2, k1], now),
        );
      else if (r === 3)
        await run(
          () => db.keys.type(k1),
          () => mk.type(model, k1, now),
        );
      else if (r === 4) {
        const nx = rng.int(2) === 0;
        await run(
          async () => {
            if (nx) return (await db.keys.renamenx(k1, k2)) ? 1 : 0;
            await db.keys.rename(k1, k2);
            return "OK";
          },
          () => mk.rename(model, k1, k2, nx, now),
        );
      } else if (r === 5) {
        const replace = rng.int(2) === 0;
        await run(
          async () => ((await db.keys.copy(k1, k2, { replace })) ? 1 : 0),
          () => mk.copy(model, k1, k2, replace, now),
        );
      } else if (r === 6) {
        const ms = rng.int(3000) - 500;
        const c = conds[rng.int(conds.length)];
        const flags = c === undefined ? {} : { [c.toLowerCase()]: true };
        await run(
          async () => ((await db.keys.pexpire(k1, ms, c)) ? 1 : 0),
          () => mk.expire(model, k1, { unit: "px", amount: ms }, flags, now),
        );
      } else if (r === 7)
        await run(
          () => db.keys.pttl(k1),
          () => mk.ttl(model, k1, true, now),
        );
      else if (r === 8)
        await run(
          async () => ((await db.keys.persist(k1)) ? 1 : 0),
          () => mk.persist(model, k1, now),
        );
      else if (r === 9)
        await run(
          () => db.keys.dbsize(),
          () => mk.dbsize(model, now),
        );
      else if (r === 11) {
        // A set or a string over whatever the key held (its TTL kept), written with the Txn API.
        const type = rng.int(2) === 0 ? "set" : "string";
        const items = [...new Set([`m${rng.int(4)}`, `m${rng.int(4)}`])].sort();
        await run(
          () => collection(db, k1, type, items),
          () => {
            const value =
              type === "set"
                ? { type, members: new Set(items) }
                : { type, bytes: new Uint8Array(Buffer.from(items.join(""), "latin1")) };
            model.put(k1, value as RedisValue, now, true);
            return undefined;
          },
        );
      } else if (r === 12) {
        await run(
          () =>
            elements(db, k1).then((lines) =>
              lines[0] === "undefined" ? [] : lines.slice(lines[0]?.startsWith("n=") ? 1 : 0),
            ),
          () => modelElements(model, k1, now),
        );
      } else {
        await run(
          async () => {
            const out: string[] = [];
            let cursor = "0";
            do {
              const page = await db.keys.scan(cursor, { count: 2 });
              out.push(...keysOf(page));
              cursor = page.cursor;
            } while (cursor !== "0");
            return out;
          },
          () => mk.scanKeys(model, {}, now),
        );
      }
      log.push(`${step} op${r} ${k1} ${k2} -> ${JSON.stringify(got)}`);
      expect(got, `seed ${seed}\n${log.slice(-8).join("\n")}`).toEqual(want);
      if (rng.int(4) === 0) clock.advance(rng.int(400));
      if (rng.int(50) === 0) await db.checkpoint();
    }
    await db.close();
  });
});
