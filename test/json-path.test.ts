/**
 * Invariants of sub-path operations on JSON documents (src/doc/json-path.ts, src/doc/json-path-write.ts,
 * src/json-paths.ts), in memory mode and on the simulated disk:
 * - semantics: the examples of RedisJSON's command reference (JSON.SET, JSON.GET, JSON.DEL, JSON.NUMINCRBY,
 *   JSON.ARRAPPEND, JSON.MERGE; with the legacy-path examples of the same commands in the ElastiCache/Valkey
 *   reference) give the documents and replies documented there;
 * - (path syntax: test/json-path-syntax.test.ts; a differential model: test/json-path-model.test.ts);
 * - each write is one mutation: version + 1, one WAL record, the key's expiry kept, one subscriber event;
 *   `ifVersion` conflicts reject; a batch of path mutations composes in order in one record;
 * - durability: path writes survive close and reopen, and a fresh process on the disk's bytes;
 * - errors (bad path, nowhere to write, wrong type, absent key, too large, too deep, not finite) carry their
 *   stable code and change nothing: same version, same document, no WAL record;
 * - results are frozen and equal what a later `get` returns.
 */
import { describe, expect, it } from "vitest";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const MODES: [string, FuseDBOptions][] = [
  ["memory", { durability: "memory" }],
  ["simulated disk", {}],
];

type Op =
  | { get: string }
  | { set: string; value: Json }
  | { del: string }
  | { incr: string; by: number }
  | { append: string; values: Json[] }
  | { merge: string; patch: Json };

interface Case {
  /** What the reference shows (command and source). */
  name: string;
  doc: Json;
  op: Op;
  /** The document afterwards (undefined: the key is gone). */
  after: Json | undefined;
  /** For get: the values answered. */
  values?: Json[];
}

// From the RedisJSON command reference (redis.io/docs/latest/commands/json.*), and for legacy paths the
// ElastiCache/Valkey JSON reference, which documents the restricted syntax with the same examples.
const CASES: Case[] = [
  { name: "SET replace $.a", doc: { a: 2 }, op: { set: "$.a", value: 3 }, after: { a: 3 } },
  { name: "SET add $.b", doc: { a: 2 }, op: { set: "$.b", value: 8 }, after: { a: 2, b: 8 } },
  {
    name: "SET multi-paths $..a",
    doc: { f1: { a: 1 }, f2: { a: 2 } },
    op: { set: "$..a", value: 3 },
    after: { f1: { a: 3 }, f2: { a: 3 } },
  },
  {
    name: "SET $.a.* (Valkey)",
    doc: { a: { a: 1, b: 2, c: 3 } },
    op: { set: "$.a.*", value: 0 },
    after: { a: { a: 0, b: 0, c: 0 } },
  },
  {
    name: "SET $.a[*] (Valkey)",
    doc: { a: [1, 2, 3, 4, 5] },
    op: { set: "$.a[*]", value: 0 },
    after: { a: [0, 0, 0, 0, 0] },
  },
  {
    name: "SET legacy .c.a",
    doc: { c: { a: 1, b: 2 }, e: [1, 2, 3, 4, 5] },
    op: { set: ".c.a", value: 0 },
    after: { c: { a: 0, b: 2 }, e: [1, 2, 3, 4, 5] },
  },
  {
    name: "SET legacy .e[-1]",
    doc: { c: { a: 1, b: 2 }, e: [1, 2, 3, 4, 5] },
    op: { set: ".e[-1]", value: 0 },
    after: { c: { a: 1, b: 2 }, e: [1, 2, 3, 4, 0] },
  },
  { name: "SET root .", doc: { a: 1 }, op: { set: ".", value: [1] }, after: [1] },
  {
    name: "GET $..b",
    doc: { a: 2, b: 3, nested: { a: 4, b: null } },
    op: { get: "$..b" },
    after: { a: 2, b: 3, nested: { a: 4, b: null } },
    values: [3, null],
  },
  {
    name: "GET legacy ..a (first match)",
    doc: { a: 2, b: 3, nested: { a: 4, b: null } },
    op: { get: "..a" },
    after: { a: 2, b: 3, nested: { a: 4, b: null } },
    values: [2],
  },
  {
    name: "GET $ (root)",
    doc: { a: 2 },
    op: { get: "$" },
    after: { a: 2 },
    values: [{ a: 2 }],
  },
  {
    name: "DEL $..a",
    doc: { a: 1, nested: { a: 2, b: 3 } },
    op: { del: "$..a" },
    after: { nested: { b: 3 } },
  },
  {
    name: "DEL $.d.* (Valkey)",
    doc: { a: {}, b: { a: 1 }, d: { a: 1, b: 2, c: 3 }, e: [1, 2, 3, 4, 5] },
    op: { del: "$.d.*" },
    after: { a: {}, b: { a: 1 }, d: {}, e: [1, 2, 3, 4, 5] },
  },
  {
    name: "DEL $.e[*] (Valkey)",
    doc: { d: {}, e: [1, 2, 3, 4, 5] },
    op: { del: "$.e[*]" },
    after: { d: {}, e: [] },
  },
  {
    name: "DEL legacy .d.* (Valkey)",
    doc: { c: { a: 1 }, d: { a: 1, b: 2, c: 3 } },
    op: { del: ".d.*" },
    after: { c: { a: 1 }, d: {} },
  },
  { name: "DEL nonexisting path is ignored", doc: { a: 1 }, op: { del: "$.x" }, after: { a: 1 } },
  { name: "DEL root deletes the key", doc: { a: 1 }, op: { del: "$" }, after: undefined },
  {
    name: "NUMINCRBY $.a on a string (null reply, no change)",
    doc: { a: "b", b: [{ a: 2 }, { a: 5 }, { a: "c" }] },
    op: { incr: "$.a", by: 2 },
    after: { a: "b", b: [{ a: 2 }, { a: 5 }, { a: "c" }] },
  },
  {
    name: "NUMINCRBY $..a",
    doc: { a: "b", b: [{ a: 2 }, { a: 5 }, { a: "c" }] },
    op: { incr: "$..a", by: 2 },
    after: { a: "b", b: [{ a: 4 }, { a: 7 }, { a: "c" }] },
  },
  {
    name: "NUMINCRBY $.d[*] (Valkey)",
    doc: { a: [], b: [1], c: [1, 2], d: [1, 2, 3] },
    op: { incr: "$.d[*]", by: 10 },
    after: { a: [], b: [1], c: [1, 2], d: [11, 12, 13] },
  },
  { name: "NUMINCRBY a float", doc: { n: 1 }, op: { incr: ".n", by: 0.5 }, after: { n: 1.5 } },
  {
    name: "ARRAPPEND $.colors",
    doc: { name: "headphones", colors: ["black", "silver"] },
    op: { append: "$.colors", values: ["blue"] },
    after: { name: "headphones", colors: ["black", "silver", "blue"] },
  },
  {
    name: "ARRAPPEND $[*] (Valkey)",
    doc: [[], ["a"], ["a", "b"]],
    op: { append: "$[*]", values: ["c"] },
    after: [["c"], ["a", "c"], ["a", "b", "c"]],
  },
  {
    name: "ARRAPPEND legacy [-1] (Valkey)",
    doc: [[], ["a"], ["a", "b"]],
    op: { append: "[-1]", values: ["c"] },
    after: [[], ["a"], ["a", "b", "c"]],
  },
  {
    name: "ARRAPPEND skips non-arrays in a query",
    doc: { a: [1], b: "x" },
    op: { append: "$.*", values: [2, 3] },
    after: { a: [1, 2, 3], b: "x" },
  },
  { name: "MERGE creates $.b", doc: { a: 2 }, op: { merge: "$.b", patch: 8 }, after: { a: 2, b: 8 } },
  { name: "MERGE replaces $.a", doc: { a: 2 }, op: { merge: "$.a", patch: 3 }, after: { a: 3 } },
  { name: "MERGE deletes on null", doc: { a: 2 }, op: { merge: "$", patch: { a: null } }, after: {} },
  {
    name: "MERGE replaces an array",
    doc: { a: [2, 4, 6, 8] },
    op: { merge: "$.a", patch: [10, 12] },
    after: { a: [10, 12] },
  },
  {
    name: "MERGE multi-paths",
    doc: { f1: { a: 1 }, f2: { a: 2 } },
    op: { merge: "$", patch: { f1: null, f2: { a: 3, b: 4 }, f3: [2, 4, 6] } },
    after: { f2: { a: 3, b: 4 }, f3: [2, 4, 6] },
  },
  {
    name: "MERGE null at a path deletes it",
    doc: { a: 1, b: 2 },
    op: { merge: "$.a", patch: null },
    after: { b: 2 },
  },
];

async function apply(
  db: FuseDB,
  key: string,
  op: Op,
): Promise<{ value: Json | undefined; version?: number }> {
  if ("get" in op) {
    const r = await db.json.get(key, op.get);
    return { value: r?.values };
  }
  if ("set" in op) return db.json.set(key, op.set, op.value);
  if ("del" in op) return db.json.delete(key, op.del);
  if ("incr" in op) return db.json.incr(key, op.incr, op.by);
  if ("append" in op) return db.json.append(key, op.append, op.values);
  return db.json.merge(key, op.merge, op.patch);
}

function wrongCode(code: string): (err: unknown) => never {
  return (err) => {
    expect(err).toMatchObject({ code });
    throw err;
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

describe.each(MODES)("RedisJSON reference examples (%s)", (_mode, options) => {
  it.each(CASES)("$name", async ({ doc, op, after, values }) => {
    const db = await openMem(new TestDisk(), options);
    await db.set("doc", doc);
    const records = db.stats().wal.records;
    const r = await apply(db, "doc", op);
    if ("get" in op) {
      expect(r.value).toEqual(values);
      expect(db.stats().wal.records).toBe(records);
      expect(await db.get("doc")).toEqual({ value: doc, version: 1 });
    } else {
      expect(r).toMatchObject({ version: 2 });
      expect(r.value).toEqual(after);
      if (r.value !== undefined && typeof r.value === "object" && r.value !== null) {
        expect(Object.isFrozen(r.value)).toBe(true);
      }
      expect(db.stats().wal.records).toBe(records + 1);
      const got = await db.get("doc");
      expect(got === undefined ? undefined : got.value).toEqual(after);
      expect(await db.versionOf("doc")).toBe(2);
    }
    await db.close();
  });
});

describe.each(MODES)("one write, one version (%s)", (_mode, options) => {
  it("keeps the expiry, emits one event, honours ifVersion", async () => {
    const db = await openMem(new TestDisk(), options);
    await db.set("s", { n: 1, list: [] }, { ttlMs: 1000 });
    const expiresAtMs = (await db.get("s"))?.expiresAtMs;
    expect(expiresAtMs).toBe(1000);
    const sub = db.subscribe("s");
    const events = sub[Symbol.asyncIterator]();
    await db.json.incr("s", "$.n", 1);
    await db.json.append("s", ".list", ["x"]);
    await db.json.merge("s", "$", { m: { a: 1 } });
    await db.json.set("s", "$.m.a", 2);
    await db.json.delete("s", "$.m");
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push((await events.next()).value);
    expect(seen.map((e) => [e.kind, e.version, e.expiresAtMs])).toEqual(
      [2, 3, 4, 5, 6].map((v) => ["put", v, 1000]),
    );
    expect(seen[4].value).toEqual({ n: 2, list: ["x"] });
    expect(await db.get("s")).toEqual({ value: { n: 2, list: ["x"] }, version: 6, expiresAtMs: 1000 });

    await expectCode(db.json.set("s", "$.n", 0, { ifVersion: 5 }), "FUSEDB_VERSION_CONFLICT");
    expect(await db.json.set("s", "$.n", 0, { ifVersion: 6 })).toMatchObject({ version: 7 });
    expect((await db.json.delete("s", "$", { ifVersion: 7 })).value).toBeUndefined();
    expect((await events.next()).value).toMatchObject({ kind: "put", version: 7 });
    expect((await events.next()).value).toMatchObject({ kind: "delete", version: 8 });
    expect(await db.get("s")).toBeUndefined();
    await sub.return();
    await db.close();
  });

  it("a batch of path mutations composes in order in one WAL record", async () => {
    const db = await openMem(new TestDisk(), options);
    const records = db.stats().wal.records;
    const r = await db.batch([
      { op: "setPath", key: "b", path: "$", value: { hits: 0, log: [] } },
      { op: "incrPath", key: "b", path: "hits", delta: 5 },
      { op: "appendPath", key: "b", path: "$.log", values: ["one"] },
      { op: "mergePath", key: "b", path: ".", patch: { done: true } },
      { op: "deletePath", key: "b", path: "$.log[0]" },
    ]);
    expect(r.results.map((x) => x.version)).toEqual([1, 2, 3, 4, 5]);
    expect(r.results[4]?.value).toEqual({ hits: 5, log: [], done: true });
    expect(db.stats().wal.records).toBe(records + 1);
    await db.close();
  });
});

describe("absent keys", () => {
  it("get answers undefined; set and merge create at the root only; delete writes a tombstone", async () => {
    const db = await openMem(new TestDisk(), { durability: "memory" });
    expect(await db.json.get("k", "$")).toBeUndefined();
    expect(await db.json.delete("k", "$.a")).toMatchObject({ version: 1, value: undefined });
    expect(await db.get("k")).toBeUndefined();
    expect(await db.json.set("k", "$", { a: 1 })).toMatchObject({ version: 2, value: { a: 1 } });
    expect(await db.json.merge("m", ".", { a: null, b: 2 })).toMatchObject({ version: 1, value: { b: 2 } });
    expect(await db.json.set("k", "$.a ['x']", 1).catch((e) => e.code)).toBe("FUSEDB_PATH_NOT_FOUND");
    expect(await db.json.set("k", "$ ['b']", 1)).toMatchObject({ version: 3, value: { a: 1, b: 1 } });
    await db.close();
  });
});

describe("durability on the simulated disk", () => {
  it("path writes survive close and reopen, and a fresh process on the disk's bytes", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.json.set("d", "$", { a: { b: [1] } });
    await db.json.append("d", "$.a.b", [2]);
    await db.json.incr("d", "a.b[0]", 41);
    await db.json.merge("d", "$.a", { c: "x" });
    await db.json.delete("d", "$.a.b[1]");
    const want = { value: { a: { b: [42], c: "x" } }, version: 5 };
    expect(await db.get("d")).toEqual(want);
    const crashed = await openMem(fs.copy());
    expect(await crashed.get("d")).toEqual(want);
    await crashed.close();
    await db.checkpoint();
    await db.json.set("d", "a.c", "y");
    await db.close();
    const again = await openMem(fs);
    expect(await again.get("d")).toEqual({ value: { a: { b: [42], c: "y" } }, version: 6 });
    await again.close();
  });
});

describe.each(MODES)("errors change nothing (%s)", (_mode, options) => {
  const cases: [string, (db: FuseDB) => Promise<unknown>, string][] = [
    ["bad path syntax", (db) => db.json.set("k", "$.a[", 1), "FUSEDB_INVALID_PATH"],
    ["bad legacy path", (db) => db.json.get("k", "a...b"), "FUSEDB_INVALID_PATH"],
    ["set under a missing parent ($)", (db) => db.json.set("k", "$.x.y", 1), "FUSEDB_PATH_NOT_FOUND"],
    ["set under a missing parent (legacy)", (db) => db.json.set("k", ".x.y", 1), "FUSEDB_PATH_NOT_FOUND"],
    ["set past an array's end", (db) => db.json.set("k", "list[5]", 1), "FUSEDB_PATH_NOT_FOUND"],
    ["set a member of a number", (db) => db.json.set("k", "n.x", 1), "FUSEDB_PATH_NOT_FOUND"],
    [
      "set a wildcard with nothing selected",
      (db) => db.json.set("k", "$.none[*]", 1),
      "FUSEDB_PATH_NOT_FOUND",
    ],
    ["get a missing legacy path", (db) => db.json.get("k", ".nope"), "FUSEDB_PATH_NOT_FOUND"],
    ["incr a string (legacy)", (db) => db.json.incr("k", ".s", 1), "FUSEDB_TYPE_MISMATCH"],
    ["incr a missing legacy path", (db) => db.json.incr("k", ".nope", 1), "FUSEDB_PATH_NOT_FOUND"],
    [
      "incr to infinity",
      (db) =>
        db.batch([
          { op: "incrPath", key: "k", path: "$.n", delta: 1.7e308 },
          { op: "incrPath", key: "k", path: "$.n", delta: 1.7e308 },
        ]),
      "FUSEDB_OUT_OF_RANGE",
    ],
    ["incr by NaN", (db) => db.json.incr("k", "$.n", Number.NaN), "FUSEDB_INVALID_ARGUMENT"],
    ["append to a number (legacy)", (db) => db.json.append("k", "n", [1]), "FUSEDB_TYPE_MISMATCH"],
    ["append nothing", (db) => db.json.append("k", "list", []), "FUSEDB_INVALID_ARGUMENT"],
    [
      "append a non-JSON value",
      (db) => db.json.append("k", "list", [undefined as unknown as Json]),
      "FUSEDB_INVALID_JSON",
    ],
    ["merge under a missing parent", (db) => db.json.merge("k", "$.x.y", { a: 1 }), "FUSEDB_PATH_NOT_FOUND"],
    ["incr an absent key", (db) => db.json.incr("absent", "$.n", 1), "FUSEDB_NOT_FOUND"],
    ["append to an absent key", (db) => db.json.append("absent", "$", [1]), "FUSEDB_NOT_FOUND"],
    ["set below the root of an absent key", (db) => db.json.set("absent", "$.a", 1), "FUSEDB_PATH_NOT_FOUND"],
    [
      "too large after a multi-location set",
      (db) => db.json.set("k", "$..*", "x".repeat(300)),
      "FUSEDB_VALUE_TOO_LARGE",
    ],
    ["nested past the depth limit", (db) => db.json.set("k", "$.deep", nested(128)), "FUSEDB_INVALID_JSON"],
    [
      "a batch with one bad path mutation",
      (db) =>
        db.batch([
          { op: "setPath", key: "k", path: "$.n", value: 2 },
          { op: "incrPath", key: "k", path: ".s" },
        ]),
      "FUSEDB_TYPE_MISMATCH",
    ],
  ];

  it.each(cases)("%s", async (_name, call, code) => {
    const db = await openMem(new TestDisk(), { ...options, valueBytesMax: 1024 });
    const doc = { n: 1, s: "str", list: [1, 2], deep: {} };
    await db.set("k", doc);
    const records = db.stats().wal.records;
    await expect(call(db).catch(wrongCode(code))).rejects.toMatchObject({ code });
    expect(await db.get("k")).toEqual({ value: doc, version: 1 });
    expect(await db.versionOf("absent")).toBe(0);
    expect(db.stats().wal.records).toBe(records);
    await db.close();
  });
});

/** An array nested `levels` deep: `[[...[]...]]`. */
function nested(levels: number): Json {
  let v: Json = [];
  for (let i = 1; i < levels; i++) v = [v];
  return v;
}
