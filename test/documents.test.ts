/**
 * Invariants of the document API (src/db.ts, src/doc/entry.ts):
 * - versions: a key starts at version 1 and every mutation adds exactly 1, deletes included; a set after a
 *   delete continues the count; versionOf reports tombstone versions and 0 for a key never written;
 *   versions survive a checkpoint and a reopen;
 * - mutations issued concurrently on one key (without awaiting) get distinct, consecutive versions in call
 *   order, and incr results count 1..n;
 * - a batch is atomic: one invalid mutation rejects the whole batch and changes nothing (no version bump);
 *   several mutations of one key in a batch compose in order, each with its own version;
 * - incr errors: non-integer value → FUSEDB_TYPE_MISMATCH, safe-integer overflow → FUSEDB_OUT_OF_RANGE,
 *   non-integer delta → FUSEDB_INVALID_ARGUMENT; none changes anything;
 * - limits and validation: FUSEDB_KEY_TOO_LARGE, FUSEDB_VALUE_TOO_LARGE, FUSEDB_INVALID_JSON, empty keys,
 *   string keys that are not valid UTF-16 (lone surrogates), keyBytesMax above the formats' u16 key length;
 * - keys are ordered bytewise (UTF-8 bytes, not UTF-16 code units) in scans;
 * - scan honours gt/gte/lt/lte, limit and reverse exactly like a sorted Map model, before and after
 *   checkpoints (fast-check, seed printed);
 * - patch and incr results are frozen and equal (value, field order) what their stored text decodes to;
 * - use after close → FUSEDB_CLOSED;
 * - visibility after durability: a read never sees a write whose WAL sync has not completed.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FuseDB, ScanOptions } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

async function fresh(options = {}): Promise<{ fs: TestDisk; db: FuseDB }> {
  const fs = new TestDisk();
  return { fs, db: await openMem(fs, options) };
}

describe("versions", () => {
  it("start at 1 and grow by 1 on every mutation, deletes included", async () => {
    const { fs, db } = await fresh();
    expect(await db.versionOf("k")).toBe(0);
    expect(await db.set("k", 1)).toMatchObject({ version: 1 });
    expect(await db.set("k", 2)).toMatchObject({ version: 2 });
    expect(await db.patch("k", { a: 1 })).toMatchObject({ version: 3, value: { a: 1 } });
    expect(await db.delete("k")).toMatchObject({ version: 4 });
    expect(await db.get("k")).toBeUndefined();
    expect(await db.versionOf("k")).toBe(4);
    expect(await db.set("k", "again")).toMatchObject({ version: 5 });
    expect(await db.get("k")).toEqual({ value: "again", version: 5 });
    // A delete of a missing key writes a tombstone with version 1.
    expect(await db.delete("never")).toMatchObject({ version: 1 });
    expect(await db.versionOf("never")).toBe(1);
    expect(await db.incr("never")).toMatchObject({ version: 2, value: 1 });

    // Versions survive a checkpoint (tombstones in the segment) and a reopen.
    await db.delete("k");
    await db.checkpoint();
    expect(await db.versionOf("k")).toBe(6);
    await db.close();
    const again = await openMem(fs);
    expect(await again.versionOf("k")).toBe(6);
    expect(await again.get("k")).toBeUndefined();
    expect(await again.set("k", 0)).toMatchObject({ version: 7 });
    expect(await again.versionOf("never")).toBe(2);
    await again.close();
  });

  it("100 incr issued without awaiting get versions 1..100 and values 1..100", async () => {
    const { db } = await fresh();
    const pending: Promise<{ version: number; value: Json }>[] = [];
    for (let i = 0; i < 100; i++) pending.push(db.incr("c"));
    const results = await Promise.all(pending);
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(results.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await db.get("c")).toEqual({ value: 100, version: 100 });
    const { wal } = db.stats();
    expect(wal.records).toBe(100);
    // Group commit: the 100 records shared far fewer fdatasyncs than one each.
    expect(wal.syncs).toBeLessThanOrEqual(2);
    await db.close();
  });
});

describe("batch", () => {
  it("an invalid mutation rejects the whole batch and changes nothing", async () => {
    const { db } = await fresh();
    await db.set("s", "a string");
    await db.set("n", 1);
    const lsnBefore = db.stats().durableLsn;
    await expectCode(
      db.batch([
        { op: "set", key: "new", value: 1 },
        { op: "incr", key: "n" },
        { op: "incr", key: "s" },
      ]),
      "FUSEDB_TYPE_MISMATCH",
    );
    await expectCode(
      db.batch([
        { op: "incr", key: "n" },
        { op: "set", key: "bad", value: Number.NaN },
      ]),
      "FUSEDB_INVALID_JSON",
    );
    await expectCode(
      db.batch([
        { op: "incr", key: "n" },
        { op: "set", key: "", value: 1 },
      ]),
      "FUSEDB_INVALID_ARGUMENT",
    );
    await expectCode(
      db.batch([
        { op: "incr", key: "n" },
        { op: "nope", key: "n" } as unknown as { op: "delete"; key: string },
      ]),
      "FUSEDB_INVALID_ARGUMENT",
    );
    await expectCode(db.batch([]), "FUSEDB_INVALID_ARGUMENT");
    expect(await db.get("new")).toBeUndefined();
    expect(await db.versionOf("new")).toBe(0);
    expect(await db.get("n")).toEqual({ value: 1, version: 1 });
    expect(await db.get("s")).toEqual({ value: "a string", version: 1 });
    expect(db.stats().durableLsn).toBe(lsnBefore);
    // The engine is still usable and versions continue where they were.
    expect(await db.incr("n")).toMatchObject({ value: 2, version: 2 });
    await db.close();
  });

  it("several mutations of one key compose in order, each with its own version, in one record", async () => {
    const { fs, db } = await fresh();
    await db.set("x", "old");
    const r = await db.batch([
      { op: "set", key: "doc", value: { a: 1 } },
      { op: "patch", key: "doc", patch: { b: 2 } },
      { op: "incr", key: "n" },
      { op: "incr", key: "n", delta: 5 },
      { op: "delete", key: "x" },
      { op: "set", key: "x", value: "new" },
      { op: "patch", key: "doc", patch: { a: null } },
    ]);
    expect(r.results).toEqual([
      { version: 1, value: { a: 1 } },
      { version: 2, value: { a: 1, b: 2 } },
      { version: 1, value: 1 },
      { version: 2, value: 6 },
      { version: 2, value: undefined },
      { version: 3, value: "new" },
      { version: 3, value: { b: 2 } },
    ]);
    expect(r.lsn).toBe(2);
    expect(db.stats().wal.records).toBe(2);
    const expectState = async (d: FuseDB): Promise<void> => {
      expect(await d.get("doc")).toEqual({ value: { b: 2 }, version: 3 });
      expect(await d.get("n")).toEqual({ value: 6, version: 2 });
      expect(await d.get("x")).toEqual({ value: "new", version: 3 });
    };
    await expectState(db);
    await db.close();
    const again = await openMem(fs);
    await expectState(again);
    await again.close();
  });
});

describe("incr", () => {
  it("rejects non-integers, overflow and bad deltas without changing anything", async () => {
    const { db } = await fresh();
    await db.set("str", "3");
    await db.set("float", 1.5);
    await db.set("obj", { n: 1 });
    await db.set("max", Number.MAX_SAFE_INTEGER);
    await db.set("min", Number.MIN_SAFE_INTEGER);
    await db.set("ok", 10);
    for (const key of ["str", "float", "obj"]) await expectCode(db.incr(key), "FUSEDB_TYPE_MISMATCH");
    await expectCode(db.incr("max"), "FUSEDB_OUT_OF_RANGE");
    await expectCode(db.incr("min", -1), "FUSEDB_OUT_OF_RANGE");
    await expectCode(db.incr("ok", Number.MAX_SAFE_INTEGER), "FUSEDB_OUT_OF_RANGE");
    for (const delta of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expectCode(db.incr("ok", delta), "FUSEDB_INVALID_ARGUMENT");
    }
    await expectCode(db.incr("ok", "1" as unknown as number), "FUSEDB_INVALID_ARGUMENT");
    for (const key of ["str", "float", "obj", "max", "min", "ok"]) expect(await db.versionOf(key)).toBe(1);
    expect(await db.get("ok")).toEqual({ value: 10, version: 1 });
    expect(await db.incr("max", -1)).toMatchObject({ value: Number.MAX_SAFE_INTEGER - 1, version: 2 });
    expect(await db.incr("ok", -20)).toMatchObject({ value: -10, version: 2 });
    expect(await db.incr("ok", 0)).toMatchObject({ value: -10, version: 3 });
    await db.close();
  });
});

describe("validation and limits", () => {
  it("enforces key and value size limits in bytes", async () => {
    const { db } = await fresh({ keyBytesMax: 8, valueBytesMax: 32 });
    await db.set("12345678", 1);
    await expectCode(db.set("123456789", 1), "FUSEDB_KEY_TOO_LARGE");
    await expectCode(db.set("ééééé", 1), "FUSEDB_KEY_TOO_LARGE"); // 5 chars, 10 UTF-8 bytes
    await expectCode(db.set(new Uint8Array(9), 1), "FUSEDB_KEY_TOO_LARGE");
    await expectCode(db.get("123456789"), "FUSEDB_KEY_TOO_LARGE");
    await expectCode(db.scan({ gte: "123456789" }), "FUSEDB_KEY_TOO_LARGE");
    await db.set("v", "x".repeat(30)); // 32 bytes of JSON text
    await expectCode(db.set("v", "x".repeat(31)), "FUSEDB_VALUE_TOO_LARGE");
    await expectCode(db.set("w", "é".repeat(16)), "FUSEDB_VALUE_TOO_LARGE"); // 34 bytes
    await db.set("p", { a: "x".repeat(10) });
    await expectCode(db.patch("p", { b: "y".repeat(20) }), "FUSEDB_VALUE_TOO_LARGE");
    expect(await db.get("v")).toEqual({ value: "x".repeat(30), version: 1 });
    expect(await db.versionOf("w")).toBe(0);
    expect(await db.get("p")).toEqual({ value: { a: "x".repeat(10) }, version: 1 });
    await db.close();
  });

  it("rejects values that are not JSON documents", async () => {
    const { db } = await fresh();
    class Point {
      x = 1;
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cyclicArray: unknown[] = [1];
    cyclicArray.push(cyclicArray);
    const bad: unknown[] = [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      () => 1,
      Symbol("s"),
      10n,
      cyclic,
      cyclicArray,
      new Point(),
      new Date(0),
      new Map(),
      { nested: { deep: undefined } },
      [1, () => 2],
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [1, , 3],
    ];
    for (const value of bad) {
      await expectCode(db.set("k", value as Json), "FUSEDB_INVALID_JSON");
      await expectCode(db.patch("k", value as Json), "FUSEDB_INVALID_JSON");
    }
    expect(await db.versionOf("k")).toBe(0);
    // A shared (not cyclic) sub-object is fine, and objects with a null prototype are plain.
    const shared = { s: 1 };
    const nullProto = Object.assign(Object.create(null) as Record<string, Json>, { a: 1 });
    await db.set("k", { x: shared, y: shared, z: nullProto });
    expect(await db.get("k")).toEqual({ value: { x: { s: 1 }, y: { s: 1 }, z: { a: 1 } }, version: 1 });
    await db.close();
  });

  it("rejects string keys with lone surrogates (not UTF-8), so distinct strings never alias one key", async () => {
    const { db } = await fresh();
    // Buffer/TextEncoder would turn every lone surrogate into U+FFFD, making these one key.
    for (const key of ["\ud800", "\udfff", "a\ud83d", "\ude00b", "\ude00\ud83d"]) {
      await expectCode(db.set(key, 1), "FUSEDB_INVALID_ARGUMENT");
      await expectCode(db.get(key), "FUSEDB_INVALID_ARGUMENT");
      await expectCode(db.scan({ gte: key }), "FUSEDB_INVALID_ARGUMENT");
    }
    expect(await db.versionOf("\ufffd")).toBe(0);
    // Well-formed pairs and U+FFFD itself are ordinary keys.
    await db.set("\ud83d\ude00", "pair");
    await db.set("\ufffd", "replacement");
    expect(await db.get(Buffer.from("f09f9880", "hex"))).toEqual({ value: "pair", version: 1 });
    expect(await db.get(Buffer.from("efbfbd", "hex"))).toEqual({ value: "replacement", version: 1 });
    await db.close();
  });

  it("bounds keyBytesMax by the formats' u16 key length; a 65535-byte key round-trips", async () => {
    const fs = new TestDisk();
    await expectCode(openMem(fs, { keyBytesMax: 65_536 }), "FUSEDB_INVALID_ARGUMENT");
    const db = await openMem(fs, { keyBytesMax: 65_535 });
    const big = "k".repeat(65_535);
    expect(await db.set(big, 1)).toMatchObject({ version: 1 });
    await expectCode(db.set(`${big}k`, 1), "FUSEDB_KEY_TOO_LARGE");
    await db.checkpoint();
    await db.incr(big);
    await db.close();
    const again = await openMem(fs, { keyBytesMax: 65_535 });
    expect(await again.get(big)).toEqual({ value: 2, version: 2 });
    await again.close();
  });

  it("rejects empty and non-key keys, and returns frozen copies", async () => {
    const { db } = await fresh();
    await expectCode(db.set("", 1), "FUSEDB_INVALID_ARGUMENT");
    await expectCode(db.set(new Uint8Array(0), 1), "FUSEDB_INVALID_ARGUMENT");
    await expectCode(db.get(""), "FUSEDB_INVALID_ARGUMENT");
    await expectCode(db.set(42 as unknown as string, 1), "FUSEDB_INVALID_ARGUMENT");
    await expectCode(db.scan({ gt: "a", gte: "b" }), "FUSEDB_INVALID_ARGUMENT");
    await expectCode(db.scan({ limit: 0 }), "FUSEDB_INVALID_ARGUMENT");
    const input = { a: [1, 2] };
    await db.set("k", input);
    input.a.push(3);
    const got = await db.get("k");
    expect(got?.value).toEqual({ a: [1, 2] });
    expect(Object.isFrozen(got?.value)).toBe(true);
    await db.close();
  });
});

describe("patch and incr results", () => {
  it("are frozen, and equal what their stored text decodes to after a reopen", async () => {
    const { fs, db } = await fresh();
    await db.set("p", { "10": 1, b: { c: [1, { d: "\ud800" }] }, e: "x" });
    // JSON.parse makes "__proto__" an own field (a literal would set the prototype).
    const proto = JSON.parse('{"__proto__": 1}') as Json;
    const patched = await db.patch("p", { b: { c: null, f: -0 }, "2": proto, e: null, g: 1.5e-7 });
    expect(Object.keys((patched.value as { "2": Json })["2"] as object)).toEqual(["__proto__"]);
    const expected = JSON.parse(JSON.stringify(patched.value));
    expect(patched.value).toEqual(expected);
    expect(Object.isFrozen(patched.value)).toBe(true);
    expect(Object.isFrozen((patched.value as { b: Json }).b)).toBe(true);
    const counted = await db.incr("n", -0);
    expect(Object.is(counted.value, 0)).toBe(true);
    await db.close();
    const again = await openMem(fs);
    const stored = await again.get("p");
    expect(JSON.stringify(stored?.value)).toBe(JSON.stringify(patched.value));
    expect(Object.keys(stored?.value as object)).toEqual(Object.keys(patched.value as object));
    expect((await again.get("n"))?.value).toBe(0);
    await again.close();
  });
});

describe("scan", () => {
  it("orders keys bytewise (UTF-8), not by UTF-16 code units, before and after a checkpoint", async () => {
    const { db } = await fresh();
    const keys: (string | Uint8Array)[] = [
      Uint8Array.of(0x00),
      Uint8Array.of(0x01),
      "A",
      "a",
      "aa",
      Uint8Array.of(0x7f),
      Uint8Array.of(0x80),
      "é", // c3 a9
      "\uff61", // ef bd a1 — above U+D83D in UTF-16, below it in UTF-8
      "😀", // f0 9f 98 80
      Uint8Array.of(0xff),
      Uint8Array.of(0xff, 0x00),
    ];
    const bytes = keys.map((k) => (typeof k === "string" ? Buffer.from(k, "utf8") : Buffer.from(k)));
    const expected = [...bytes].sort(Buffer.compare).map((b) => b.toString("hex"));
    // Insert in a scrambled order, half before the checkpoint and half after.
    for (const i of [5, 2, 9, 0, 11, 7]) await db.set(keys[i] as string | Uint8Array, i);
    await db.checkpoint();
    for (const i of [1, 10, 3, 8, 6, 4]) await db.set(keys[i] as string | Uint8Array, i);
    const got = await db.scan();
    expect(got.map((e) => Buffer.from(e.keyBytes).toString("hex"))).toEqual(expected);
    const reversed = await db.scan({ reverse: true });
    expect(reversed.map((e) => Buffer.from(e.keyBytes).toString("hex"))).toEqual([...expected].reverse());
    expect(got.find((e) => e.key === "😀")?.value).toBe(9);
    expect(await db.get(Uint8Array.of(0xff, 0x00))).toEqual({ value: 11, version: 1 });
    await db.close();
  });

  it("matches a sorted-Map model for bounds, limit and reverse, across checkpoints (fast-check)", async () => {
    const seed = testSeed("scan model");
    const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3, min: 0, max: 3 }).map((k) => Buffer.from(k));
    type Op =
      | { kind: "set"; key: Buffer; value: number }
      | { kind: "delete"; key: Buffer }
      | { kind: "checkpoint" };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ kind: fc.constant("set" as const), key: keyArb, value: fc.integer() }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }) },
      { weight: 1, arbitrary: fc.constant({ kind: "checkpoint" as const }) },
    );
    const queryArb = fc.record(
      {
        lower: fc.option(fc.record({ inclusive: fc.boolean(), key: keyArb }), { nil: undefined }),
        upper: fc.option(fc.record({ inclusive: fc.boolean(), key: keyArb }), { nil: undefined }),
        limit: fc.integer({ min: 1, max: 12 }),
        reverse: fc.boolean(),
      },
      { requiredKeys: ["limit", "reverse"] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 120 }),
        fc.array(queryArb, { minLength: 1, maxLength: 8 }),
        async (ops, queries) => {
          const fs = new TestDisk();
          const db = await openMem(fs);
          const model = new Map<string, { value: Json; version: number }>();
          const versions = new Map<string, number>();
          try {
            for (const op of ops) {
              if (op.kind === "checkpoint") {
                await db.checkpoint();
                continue;
              }
              const hex = op.key.toString("hex");
              const version = (versions.get(hex) ?? 0) + 1;
              versions.set(hex, version);
              if (op.kind === "set") {
                // The padding spreads a segment over several blocks, so scans cross block boundaries.
                const value = [op.value, "p".repeat(400)];
                await db.set(op.key, value);
                model.set(hex, { value, version });
              } else {
                await db.delete(op.key);
                model.delete(hex);
              }
            }
            for (const q of queries) {
              const options: ScanOptions = { limit: q.limit, reverse: q.reverse };
              if (q.lower) options[q.lower.inclusive ? "gte" : "gt"] = q.lower.key;
              if (q.upper) options[q.upper.inclusive ? "lte" : "lt"] = q.upper.key;
              const inside = (hex: string): boolean => {
                const k = Buffer.from(hex, "hex");
                if (q.lower) {
                  const c = Buffer.compare(k, q.lower.key);
                  if (c < 0 || (c === 0 && !q.lower.inclusive)) return false;
                }
                if (q.upper) {
                  const c = Buffer.compare(k, q.upper.key);
                  if (c > 0 || (c === 0 && !q.upper.inclusive)) return false;
                }
                return true;
              };
              const sorted = [...model.keys()]
                .filter(inside)
                .sort((a, b) => Buffer.compare(Buffer.from(a, "hex"), Buffer.from(b, "hex")));
              if (q.reverse) sorted.reverse();
              const expected = sorted.slice(0, q.limit).map((hex) => ({ hex, ...model.get(hex) }));
              const got = (await db.scan(options)).map((e) => ({
                hex: Buffer.from(e.keyBytes).toString("hex"),
                value: e.value,
                version: e.version,
              }));
              expect(got).toEqual(expected);
            }
            for (const [hex, v] of versions) expect(await db.versionOf(Buffer.from(hex, "hex"))).toBe(v);
          } finally {
            await db.close();
          }
        },
      ),
      { seed, numRuns: 100 },
    );
  });
});

describe("lifecycle", () => {
  it("every call after close rejects with FUSEDB_CLOSED; close is idempotent", async () => {
    const { db } = await fresh();
    await db.set("k", 1);
    await db.close();
    await db.close();
    await expectCode(db.get("k"), "FUSEDB_CLOSED");
    await expectCode(db.versionOf("k"), "FUSEDB_CLOSED");
    await expectCode(db.scan(), "FUSEDB_CLOSED");
    await expectCode(db.set("k", 2), "FUSEDB_CLOSED");
    await expectCode(db.delete("k"), "FUSEDB_CLOSED");
    await expectCode(db.patch("k", {}), "FUSEDB_CLOSED");
    await expectCode(db.incr("k"), "FUSEDB_CLOSED");
    await expectCode(db.batch([{ op: "incr", key: "k" }]), "FUSEDB_CLOSED");
    await expectCode(db.checkpoint(), "FUSEDB_CLOSED");
  });

  it("close settles writes already issued", async () => {
    const { fs, db } = await fresh();
    const pending = [db.set("a", 1), db.incr("n"), db.incr("n")];
    await db.close();
    const settled = await Promise.allSettled(pending);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const again = await openMem(fs);
    expect(await again.get("n")).toEqual({ value: 2, version: 2 });
    await again.close();
  });
});

describe("visibility after durability", () => {
  it("a read never sees a write whose sync is still pending", async () => {
    const { fs, db } = await fresh();
    await db.set("k", "old");
    const hold = fs.holdSync();
    const pending = db.set("k", "new");
    const pendingIncr = db.incr("n");
    await hold.entered;
    expect(await db.get("k")).toEqual({ value: "old", version: 1 });
    expect(await db.versionOf("k")).toBe(1);
    expect(await db.get("n")).toBeUndefined();
    expect((await db.scan()).map((e) => e.value)).toEqual(["old"]);
    // A write issued meanwhile resolves against the pending state (its own version, composed in order).
    const second = db.incr("n");
    hold.release();
    expect(await pending).toMatchObject({ version: 2 });
    expect(await db.get("k")).toEqual({ value: "new", version: 2 });
    expect(await pendingIncr).toMatchObject({ version: 1, value: 1 });
    expect(await second).toMatchObject({ version: 2, value: 2 });
    expect(await db.get("n")).toEqual({ value: 2, version: 2 });
    await db.close();
  });
});
