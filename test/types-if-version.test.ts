/**
 * Compare-and-set on every data-type write (src/types/write-options.ts, checked once in
 * src/types/runner.ts `write`), with the documents' rule (docs/versions.md):
 * - a table of every write of db.strings, db.hashes, db.lists, db.sets, db.zsets, db.keys (and db.json's
 *   path writes, which had it): `ifVersion` = the primary key's live version succeeds and `onCommit` reports
 *   the key's version after the call (its live version, 0 if not live) and every changed key's new version;
 *   any other version rejects with VersionConflictError (FUSEDB_VERSION_CONFLICT, expected and actual) and
 *   changes nothing: no key's type or version moves and the WAL gains no record;
 * - the primary key is the one the docs name: `source` for SMOVE/LMOVE/RENAME/COPY, `destination` for the
 *   *STORE methods, the first key of DEL's list and MSET's pairs; `ifVersions` checks any keys (objects and
 *   [bytes, version] pairs), keys the call only reads included;
 * - `ifVersion: 0` means "not live": it creates a missing key, and fails on a live one;
 * - after DEL and after expiry the old version conflicts, 0 succeeds, and the new version is above every
 *   version the key had (versions keep growing);
 * - calls issued together holding the same version: exactly one commits (the check sees pending writes);
 * - bad options are refused with FUSEDB_INVALID_ARGUMENT before anything runs;
 * - subscribers' events carry the same new version `onCommit` reports.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  type ChangeEvent,
  FuseDB,
  type TypesWriteInfo,
  type TypesWriteOptions,
  VersionConflictError,
} from "../src/index.js";
import { ManualClock } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const T0 = 1_700_000_000_000;
/** Every key a case may touch: the primary key "k" and the others. */
const NAMES = ["k", "o", "s1", "s2", "z1", "z2"] as const;

async function open(clock = new ManualClock(T0)): Promise<{ db: FuseDB; clock: ManualClock }> {
  return { db: await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock }), clock };
}

/** The key's live version, 0 if it is not live (what `ifVersion` compares with). */
async function liveVersion(db: FuseDB, key: string): Promise<number> {
  return (await db.keys.exists([key])) === 1 ? db.versionOf(key) : 0;
}

/** Every named key's type and version, and the WAL's record count: what a refused call must not move. */
async function snapshot(db: FuseDB): Promise<unknown> {
  const keys: unknown[] = [];
  for (const n of NAMES) keys.push([n, await db.keys.type(n), await db.versionOf(n)]);
  return { keys, records: db.stats().wal.records, durableLsn: db.stats().durableLsn };
}

const str = (db: FuseDB, k = "k") => db.strings.set(k, "10");
const hash = (db: FuseDB, k = "k") => db.hashes.hset(k, { a: "1", n: "5" });
const list = (db: FuseDB, k = "k") => db.lists.rpush(k, ["a", "b", "c"]);
const set = (db: FuseDB, k = "k") => db.sets.sadd(k, ["a", "b"]);
const zset = (db: FuseDB, k = "k") =>
  db.zsets.zadd(k, [
    [1, "a"],
    [2, "b"],
  ]);
const none = async () => undefined;

interface Case {
  name: string;
  setup: (db: FuseDB) => Promise<unknown>;
  call: (db: FuseDB, o: TypesWriteOptions) => Promise<unknown>;
  /** db.json: conditions by `ifVersion` only, the new version in the result (no onCommit). */
  json?: boolean;
  /** The key the call writes, when it is not the primary key (COPY writes its destination). */
  writes?: string;
}

const c = (name: string, setup: Case["setup"], call: Case["call"]): Case => ({ name, setup, call });

const CASES: Case[] = [
  // strings
  c("strings.set", str, (db, o) => db.strings.set("k", "v", o)),
  c("strings.set get", str, (db, o) => db.strings.set("k", "v", { ...o, get: true })),
  c("strings.set nx on a missing key", none, (db, o) => db.strings.set("k", "v", { ...o, nx: true })),
  c("strings.setnx", none, (db, o) => db.strings.setnx("k", "v", o)),
  c("strings.setex", str, (db, o) => db.strings.setex("k", 10, "v", o)),
  c("strings.psetex", str, (db, o) => db.strings.psetex("k", 10_000, "v", o)),
  c("strings.getset", str, (db, o) => db.strings.getset("k", "v", o)),
  c("strings.append", str, (db, o) => db.strings.append("k", "x", o)),
  c("strings.setrange", str, (db, o) => db.strings.setrange("k", 1, "x", o)),
  c("strings.setbit", str, (db, o) => db.strings.setbit("k", 0, 1, o)),
  c("strings.getdel", str, (db, o) => db.strings.getdel("k", o)),
  c("strings.getex", str, (db, o) => db.strings.getex("k", { ...o, ex: 10 })),
  c("strings.incr", str, (db, o) => db.strings.incr("k", o)),
  c("strings.decr", str, (db, o) => db.strings.decr("k", o)),
  c("strings.incrby", str, (db, o) => db.strings.incrby("k", 5, o)),
  c("strings.decrby", str, (db, o) => db.strings.decrby("k", 5, o)),
  c("strings.incrbyfloat", str, (db, o) => db.strings.incrbyfloat("k", 1.5, o)),
  c("strings.mset (first pair)", str, (db, o) =>
    db.strings.mset(
      [
        ["k", "1"],
        ["o", "2"],
      ],
      o,
    ),
  ),
  c("strings.msetnx (first pair)", none, (db, o) => db.strings.msetnx({ k: "1", o: "2" }, o)),
  // hashes
  c("hashes.hset", hash, (db, o) => db.hashes.hset("k", { b: "2" }, o)),
  c("hashes.hsetnx", hash, (db, o) => db.hashes.hsetnx("k", "b", "2", o)),
  c("hashes.hdel", hash, (db, o) => db.hashes.hdel("k", ["a"], o)),
  c("hashes.hincrby", hash, (db, o) => db.hashes.hincrby("k", "n", 2, o)),
  c("hashes.hincrbyfloat", hash, (db, o) => db.hashes.hincrbyfloat("k", "n", 0.5, o)),
  // lists
  c("lists.lpush", list, (db, o) => db.lists.lpush("k", ["x"], o)),
  c("lists.rpush", list, (db, o) => db.lists.rpush("k", "x", o)),
  c("lists.lpushx", list, (db, o) => db.lists.lpushx("k", ["x"], o)),
  c("lists.rpushx", list, (db, o) => db.lists.rpushx("k", ["x"], o)),
  c("lists.lpop", list, (db, o) => db.lists.lpop("k", undefined, o)),
  c("lists.rpop count", list, (db, o) => db.lists.rpop("k", 2, o)),
  c("lists.lset", list, (db, o) => db.lists.lset("k", 0, "z", o)),
  c("lists.linsert", list, (db, o) => db.lists.linsert("k", "before", "b", "z", o)),
  c("lists.lrem", list, (db, o) => db.lists.lrem("k", 0, "a", o)),
  c("lists.ltrim", list, (db, o) => db.lists.ltrim("k", 0, 1, o)),
  c("lists.lmove (source)", list, (db, o) => db.lists.lmove("k", "o", "left", "right", o)),
  // sets
  c("sets.sadd", set, (db, o) => db.sets.sadd("k", ["c"], o)),
  c("sets.srem", set, (db, o) => db.sets.srem("k", ["a"], o)),
  c("sets.spop", set, (db, o) => db.sets.spop("k", undefined, o)),
  c("sets.smove (source)", set, (db, o) => db.sets.smove("k", "o", "a", o)),
  ...(["sinterstore", "sunionstore", "sdiffstore"] as const).map((m) =>
    c(
      `sets.${m} (destination)`,
      async (db) => Promise.all([set(db, "s1"), db.sets.sadd("s2", ["b", "c"]), set(db)]),
      (db, o) => db.sets[m]("k", ["s1", "s2"], o),
    ),
  ),
  // sorted sets
  c("zsets.zadd", zset, (db, o) => db.zsets.zadd("k", [[3, "c"]], o)),
  c("zsets.zadd incr", zset, (db, o) => db.zsets.zadd("k", [[3, "a"]], { ...o, incr: true })),
  c("zsets.zincrby", zset, (db, o) => db.zsets.zincrby("k", 1, "a", o)),
  c("zsets.zrem", zset, (db, o) => db.zsets.zrem("k", ["a"], o)),
  c(
    "zsets.zrangestore (destination)",
    (db) => zset(db, "z2"),
    (db, o) => db.zsets.zrangestore("k", "z2", 0, -1, o),
  ),
  c("zsets.zremrangebyrank", zset, (db, o) => db.zsets.zremrangebyrank("k", 0, 0, o)),
  c("zsets.zremrangebyscore", zset, (db, o) => db.zsets.zremrangebyscore("k", 1, 1, o)),
  c("zsets.zremrangebylex", zset, (db, o) => db.zsets.zremrangebylex("k", "-", "+", o)),
  c("zsets.zpopmin", zset, (db, o) => db.zsets.zpopmin("k", undefined, o)),
  c("zsets.zpopmax", zset, (db, o) => db.zsets.zpopmax("k", 1, o)),
  ...(["zunionstore", "zinterstore"] as const).map((m) =>
    c(
      `zsets.${m} (destination)`,
      (db) => Promise.all([zset(db, "z1"), zset(db, "z2")]),
      (db, o) => db.zsets[m]("k", ["z1", "z2"], o),
    ),
  ),
  c(
    "zsets.zdiffstore (destination)",
    (db) => Promise.all([zset(db, "z1"), db.zsets.zadd("z2", [[1, "a"]])]),
    (db, o) => db.zsets.zdiffstore("k", ["z1", "z2"], o),
  ),
  c("zsets.atomic (ifVersions)", zset, (db, o) =>
    db.zsets.atomic((z) => z.zadd("k", [[5, "e"]]), {
      ifVersions: { k: o.ifVersion ?? -1 },
      onCommit: o.onCommit,
    }),
  ),
  // keys
  c(
    "keys.del (first key)",
    (db) => Promise.all([hash(db), str(db, "o")]),
    (db, o) => db.keys.del(["k", "o"], o),
  ),
  c("keys.unlink", list, (db, o) => db.keys.unlink(["k"], o)),
  c("keys.rename (source)", hash, (db, o) => db.keys.rename("k", "o", o)),
  c("keys.renamenx (source)", set, (db, o) => db.keys.renamenx("k", "o", o)),
  {
    ...c("keys.copy (source)", zset, (db, o) => db.keys.copy("k", "o", { ...o, replace: true })),
    writes: "o",
  },
  c("keys.expire", hash, (db, o) => db.keys.expire("k", 10, undefined, o)),
  c("keys.pexpire", list, (db, o) => db.keys.pexpire("k", 10_000, "NX", o)),
  c("keys.expireat", str, (db, o) => db.keys.expireat("k", T0 / 1000 + 10, undefined, o)),
  c("keys.pexpireat", set, (db, o) => db.keys.pexpireat("k", T0 + 10_000, undefined, o)),
  c(
    "keys.persist",
    (db) => db.strings.setex("k", 10, "v"),
    (db, o) => db.keys.persist("k", o),
  ),
  c(
    "keys.expire of a document",
    (db) => db.set("k", { a: 1 }),
    (db, o) => db.keys.expire("k", 10, undefined, o),
  ),
];

// db.json's path writes: the same condition through the document API (issue 14's other half).
const doc = (db: FuseDB) => db.set("k", { a: 1, arr: [1] });
const JSON_CASES: Case[] = [
  { name: "json.set", setup: doc, call: (db, o) => db.json.set("k", "$.a", 2, o), json: true },
  { name: "json.delete", setup: doc, call: (db, o) => db.json.delete("k", "$.a", o), json: true },
  { name: "json.incr", setup: doc, call: (db, o) => db.json.incr("k", "$.a", 1, o), json: true },
  { name: "json.append", setup: doc, call: (db, o) => db.json.append("k", "$.arr", [2], o), json: true },
  { name: "json.merge", setup: doc, call: (db, o) => db.json.merge("k", "$", { b: 1 }, o), json: true },
];

describe("ifVersion on every data-type write", () => {
  it.each([...CASES, ...JSON_CASES].map((x) => [x.name, x] as const))(
    "%s: a mismatch changes nothing; the live version commits",
    async (_name, t) => {
      const { db } = await open();
      await t.setup(db);
      const v = await liveVersion(db, "k");
      const before = await snapshot(db);
      for (const wrong of [v + 1, v === 0 ? 7 : v - 1]) {
        const err = await t.call(db, { ifVersion: wrong }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(VersionConflictError);
        expect(err).toMatchObject({ code: "FUSEDB_VERSION_CONFLICT", expected: wrong, actual: v });
        expect(await snapshot(db)).toEqual(before);
      }
      const infos: TypesWriteInfo[] = [];
      const answer = await t.call(db, {
        ifVersion: v,
        ...(t.json ? {} : { onCommit: (i) => infos.push(i) }),
      });
      const after = await liveVersion(db, "k");
      if (t.writes === undefined) expect(after).not.toBe(v); // every other call changes its primary key
      expect(db.stats().wal.records).toBeGreaterThan((before as { records: number }).records);
      if (t.json) {
        expect((answer as { version: number }).version).toBe(after);
      } else {
        expect(infos).toHaveLength(1);
        const info = infos[0] as TypesWriteInfo;
        expect(info.version ?? after).toBe(after);
        expect(info.lsn).toBe(db.stats().durableLsn);
        const changed = new Map(info.changed.map((x) => [x.key.toString("latin1"), x.version]));
        for (const [key, version] of changed) expect(await db.versionOf(key)).toBe(version);
        expect(changed.has(t.writes ?? "k")).toBe(true);
      }
      await db.close();
    },
  );

  it("ifVersion 0: creates a missing key of each type, refuses a live one", async () => {
    const { db } = await open();
    const creators: [string, (o: TypesWriteOptions) => Promise<unknown>][] = [
      ["s", (o) => db.strings.set("s", "v", o)],
      ["n", (o) => db.strings.incrby("n", 3, o)],
      ["h", (o) => db.hashes.hset("h", { a: "1" }, o)],
      ["l", (o) => db.lists.lpush("l", ["a"], o)],
      ["t", (o) => db.sets.sadd("t", ["a"], o)],
      ["z", (o) => db.zsets.zadd("z", [[1, "a"]], o)],
    ];
    for (const [key, create] of creators) {
      await create({ ifVersion: 0 });
      expect(await db.keys.exists([key]), key).toBe(1);
      const v = await db.versionOf(key);
      await expect(create({ ifVersion: 0 }), key).rejects.toMatchObject({
        code: "FUSEDB_VERSION_CONFLICT",
        expected: 0,
        actual: v,
      });
      expect(await db.versionOf(key), key).toBe(v);
    }
    await db.close();
  });

  it("after DEL and after expiry: the old version conflicts, 0 succeeds, versions keep growing", async () => {
    const { db, clock } = await open();
    const writes: [string, (key: string, o?: TypesWriteOptions) => Promise<unknown>][] = [
      ["string", (key, o) => db.strings.append(key, "x", o)],
      ["hash", (key, o) => db.hashes.hset(key, { a: "1" }, o)],
      ["list", (key, o) => db.lists.rpush(key, ["a"], o)],
      ["set", (key, o) => db.sets.sadd(key, ["a"], o)],
      ["zset", (key, o) => db.zsets.zadd(key, [[1, "a"]], o)],
    ];
    for (const [type, write] of writes) {
      for (const end of ["del", "expiry"] as const) {
        const key = `${type}-${end}`;
        await write(key);
        await write(key, { ifVersion: await db.versionOf(key) });
        const old = await db.versionOf(key);
        if (end === "del") expect(await db.keys.del([key])).toBe(1);
        else {
          await db.keys.pexpire(key, 100);
          clock.advance(100);
        }
        expect(await db.keys.exists([key])).toBe(0);
        await expect(write(key, { ifVersion: old + 1 }), key).rejects.toMatchObject({ actual: 0 });
        await expect(write(key, { ifVersion: old }), key).rejects.toMatchObject({ actual: 0 });
        let info: TypesWriteInfo | undefined;
        await write(key, { ifVersion: 0, onCommit: (i) => (info = i) });
        expect(await db.keys.type(key)).toBe(type);
        expect(info?.version).toBe(await db.versionOf(key));
        expect(info?.version ?? 0, key).toBeGreaterThan(old + 1); // above the write and the delete/expire
      }
    }
    // A delete reports version 0 to pass next, and the tombstone's version among the changes.
    let info: TypesWriteInfo | undefined;
    await db.hashes.hset("h", { a: "1" });
    const v = await db.versionOf("h");
    await db.hashes.hdel("h", ["a"], { ifVersion: v, onCommit: (i) => (info = i) });
    expect(info?.version).toBe(0);
    expect(info?.changed).toEqual([{ key: Buffer.from("h"), version: v + 1 }]);
    await db.close();
  });

  it("ifVersions: conditions on any keys, read-only ones included, as an object or [bytes, version] pairs", async () => {
    const { db } = await open();
    await set(db, "s1");
    await set(db, "o");
    const bin = Buffer.from([0xff, 0x00, 0x01]);
    await db.sets.sadd(bin, ["b"]);
    const [s1, o, b] = [await db.versionOf("s1"), await db.versionOf("o"), await db.versionOf(bin)];
    const before = await snapshot(db);
    // SMOVE's destination, with the source's ifVersion right: the destination's condition fails.
    await expect(
      db.sets.smove("s1", "o", "a", { ifVersion: s1, ifVersions: { o: o + 1 } }),
    ).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT", expected: o + 1, actual: o });
    // SINTERSTORE's sources are only read; a condition on one still guards the call.
    await expect(db.sets.sinterstore("k", ["s1", bin], { ifVersions: [[bin, b + 1]] })).rejects.toMatchObject(
      {
        actual: b,
      },
    );
    expect(await snapshot(db)).toEqual(before);
    expect(await db.sets.smove("s1", "o", "a", { ifVersion: s1, ifVersions: [["o", o]] })).toBe(true);
    expect(await db.sets.sinterstore("k", ["o", bin], { ifVersions: [[bin, b]], ifVersion: 0 })).toBe(1);
    await db.close();
  });

  it("two calls holding the same version, issued together: exactly one commits (pending writes count)", async () => {
    const { db } = await open();
    await list(db);
    const v = await db.versionOf("k");
    const calls = [
      db.lists.rpush("k", ["x"], { ifVersion: v }),
      db.hashes.hset("k", { a: "1" }, { ifVersion: v }), // would be WRONGTYPE: the conflict is found first
      db.lists.lpop("k", undefined, { ifVersion: v }),
      db.keys.del(["k"], { ifVersion: v }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
    for (const r of settled.slice(1)) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ expected: v, actual: v + 1 });
    }
    expect(await db.lists.lrange("k", 0, -1)).toEqual(["a", "b", "c", "x"].map((e) => Buffer.from(e)));
    await db.close();
  });

  it("refuses bad options before anything runs", async () => {
    const { db } = await open();
    await hash(db);
    const before = await snapshot(db);
    const bad: unknown[] = [
      { ifVersion: -1 },
      { ifVersion: 1.5 },
      { ifVersion: "1" },
      { ifVersions: 3 },
      { ifVersions: [["k"]] },
      { ifVersions: { k: -2 } },
      { onCommit: 1 },
      "ifVersion",
    ];
    const refused = (f: () => Promise<unknown>) =>
      expect((async () => f())()).rejects.toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
    for (const o of bad) await refused(() => db.hashes.hset("k", { b: "1" }, o as TypesWriteOptions));
    await refused(() => db.zsets.atomic((z) => z.zcard("k"), { ifVersion: 1 } as TypesWriteOptions));
    expect(await snapshot(db)).toEqual(before);
    await db.close();
  });

  it("subscribers' events carry the new version onCommit reports", async () => {
    const { db } = await open();
    const sub = db.subscribe({ prefix: "" });
    const infos: TypesWriteInfo[] = [];
    const onCommit = (i: TypesWriteInfo) => infos.push(i);
    await db.hashes.hset("h", { a: "1" }, { ifVersion: 0, onCommit });
    await db.lists.rpush("l", ["x"], { onCommit });
    await db.sets.smove("nope", "t", "m", { onCommit }); // changes nothing
    await db.sets.sadd("t", ["m"], { onCommit });
    await db.sets.smove("t", "u", "m", { ifVersion: await db.versionOf("t"), onCommit });
    await db.keys.rename("h", "h2", { onCommit });
    const expected = infos.flatMap((i) =>
      i.changed.map((x) => ({ key: x.key.toString(), version: x.version, lsn: i.lsn })),
    );
    expect(infos[2]).toEqual({ lsn: undefined, version: 0, changed: [] });
    const events: ChangeEvent[] = [];
    for await (const e of sub) {
      events.push(e);
      if (events.length === expected.length) break;
    }
    expect(events.map((e) => ({ key: e.key, version: e.version, lsn: e.lsn }))).toEqual(expected);
    expect(events.map((e) => `${e.key}:${e.type}:${e.op}`)).toEqual([
      "h:hash:hset",
      "l:list:rpush",
      "t:set:sadd",
      "t:set:srem",
      "u:set:sadd",
      "h2:hash:rename_to",
      "h:hash:rename_from",
    ]);
    await db.close();
  });
});
