/**
 * Hostile values through the public API (db.set, db.patch, db.batch; issue 12 item 3). Invariants checked:
 * - a value that reuses sub-objects (`[x, x]` or `{a: x, b: x}` nested n deep, 2^n leaves as a tree) is
 *   refused with FUSEDB_VALUE_TOO_LARGE at n = 27 and n = 40, as a set value, a patch and a batch mutation:
 *   validation is bounded by valueBytesMax, not by the tree's size (before the fix n = 27 blocked the
 *   process for tens of seconds, so these tests ran into their 10 s timeout; n = 40 never finished);
 * - a shared sub-object that fits is stored as its expanded tree;
 * - a merge-patch result over valueBytesMax is refused, and a patch is itself bounded by valueBytesMax;
 * - nesting: a value at depth JSON_DEPTH_MAX is accepted, one at JSON_DEPTH_MAX + 1 (arrays and objects,
 *   as a value and a patch) and one 100 000 deep are refused with FUSEDB_INVALID_JSON;
 * - cycles, BigInt, functions, symbols, undefined, sparse arrays, NaN and ±Infinity, objects with toJSON,
 *   Dates, getters and Proxy traps that throw, revoked Proxies, a Proxy array claiming 2^32 - 1 elements:
 *   each is refused with an InvalidArgumentError carrying its code (never a hang, never an untyped error),
 *   and the call changes nothing (the key's version stays 0, the engine stays usable);
 * - accepted per the documented rules: -0 (stored as 0), a getter returning JSON, a Proxy of a plain
 *   object, symbol-keyed and non-enumerable properties (not part of the document).
 */
import { describe, expect, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { JSON_DEPTH_MAX } from "../src/doc/json.js";
import { InvalidArgumentError } from "../src/errors.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** Long enough for the fixed code (milliseconds); the exponential validator needed far more at n = 27. */
const HOSTILE_TIMEOUT_MS = 10_000;

async function fresh(options = {}): Promise<FuseDB> {
  return openMem(new TestDisk(), options);
}

/** Expects `p` to reject with an InvalidArgumentError of `code`; returns the error. */
async function expectInvalid(p: Promise<unknown>, code: string): Promise<InvalidArgumentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toMatchObject({ code });
  return err as InvalidArgumentError;
}

/** `[x, x]` nested n deep around 1: 2^n leaves as a tree, n + 1 objects in memory. */
function sharedArrays(n: number): Json {
  let x: Json = 1;
  for (let i = 0; i < n; i++) x = [x, x];
  return x;
}

/** `{a: x, b: x}` nested n deep around 1. */
function sharedObjects(n: number): Json {
  let x: Json = 1;
  for (let i = 0; i < n; i++) x = { a: x, b: x };
  return x;
}

/** Arrays nested so that the innermost value, `leaf`, sits at `depth` (the root is depth 0). */
function nestedArrays(depth: number, leaf: Json = 1): Json {
  let x: Json = leaf;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
}

function nestedObjects(depth: number, leaf: Json = 1): Json {
  let x: Json = leaf;
  for (let i = 0; i < depth; i++) x = { k: x };
  return x;
}

/** Every way a caller hands the engine a document: set, patch, and both inside a batch. */
async function expectRefusedEverywhere(db: FuseDB, value: unknown, code: string): Promise<void> {
  const v = value as Json;
  await expectInvalid(db.set("k", v), code);
  await expectInvalid(db.patch("k", v), code);
  await expectInvalid(db.batch([{ op: "set", key: "k", value: v }]), code);
  await expectInvalid(db.batch([{ op: "patch", key: "k", patch: v }]), code);
  expect(await db.versionOf("k")).toBe(0);
}

describe("values that reuse sub-objects", () => {
  for (const n of [27, 40]) {
    it(
      `[x, x] and {a: x, b: x} nested ${n} deep are refused as too large`,
      async () => {
        // At the default limit (1 MiB) once; then at 64 KiB, to keep the test quick on a loaded machine.
        const atDefault = await fresh();
        await expectInvalid(atDefault.set("k", sharedArrays(n)), "FUSEDB_VALUE_TOO_LARGE");
        await atDefault.close();
        const db = await fresh({ valueBytesMax: 64 * 1024 });
        await expectRefusedEverywhere(db, sharedArrays(n), "FUSEDB_VALUE_TOO_LARGE");
        await expectRefusedEverywhere(db, sharedObjects(n), "FUSEDB_VALUE_TOO_LARGE");
        // Under a patch of an existing document too (the merge walks the patch).
        await db.set("doc", { keep: 1 });
        await expectInvalid(db.patch("doc", { bomb: sharedObjects(n) }), "FUSEDB_VALUE_TOO_LARGE");
        expect(await db.get("doc")).toEqual({ value: { keep: 1 }, version: 1 });
        await db.close();
      },
      HOSTILE_TIMEOUT_MS,
    );
  }

  it(
    "a shared sub-object within the limit is stored as its expanded tree; the limit is exact",
    async () => {
      const small = sharedArrays(10); // 2^10 leaves
      const text = JSON.stringify(small);
      const db = await fresh({ valueBytesMax: text.length });
      expect(await db.set("k", small)).toMatchObject({ version: 1 });
      expect(await db.get("k")).toEqual({ value: JSON.parse(text), version: 1 });
      const over = await fresh({ valueBytesMax: text.length - 1 });
      await expectInvalid(over.set("k", small), "FUSEDB_VALUE_TOO_LARGE");
      await db.close();
      await over.close();
    },
    HOSTILE_TIMEOUT_MS,
  );
});

describe("merge patch stays bounded", () => {
  it("refuses a result over valueBytesMax and a patch over it", async () => {
    const db = await fresh({ valueBytesMax: 100 });
    await db.set("doc", { a: "x".repeat(60) });
    await expectInvalid(db.patch("doc", { b: "y".repeat(60) }), "FUSEDB_VALUE_TOO_LARGE");
    // A patch larger than the limit is refused even though its result ({}) would fit.
    const deletes = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, null]));
    await expectInvalid(db.patch("doc", deletes), "FUSEDB_VALUE_TOO_LARGE");
    expect(await db.get("doc")).toEqual({ value: { a: "x".repeat(60) }, version: 1 });
    expect(await db.patch("doc", { a: null, b: 2 })).toMatchObject({ version: 2, value: { b: 2 } });
    await db.close();
  });
});

describe("nesting depth", () => {
  it("accepts a value at the depth limit and refuses one level deeper, as a value and a patch", async () => {
    const db = await fresh();
    for (const nested of [nestedArrays, nestedObjects]) {
      const atLimit = nested(JSON_DEPTH_MAX);
      await db.set("deep", atLimit);
      expect((await db.get("deep"))?.value).toEqual(atLimit);
      // An empty container at the limit holds no value deeper than it.
      await db.set("deep", nested(JSON_DEPTH_MAX, []));
      await expectRefusedEverywhere(db, nested(JSON_DEPTH_MAX + 1), "FUSEDB_INVALID_JSON");
      await expectRefusedEverywhere(db, nested(JSON_DEPTH_MAX, [1]), "FUSEDB_INVALID_JSON");
    }
    await expectRefusedEverywhere(db, nestedArrays(100_000), "FUSEDB_INVALID_JSON");
    await expectRefusedEverywhere(db, nestedObjects(100_000), "FUSEDB_INVALID_JSON");
    await db.close();
  });
});

describe("values that are not JSON", () => {
  it("refuses each with FUSEDB_INVALID_JSON and changes nothing", async () => {
    const db = await fresh();
    const cyclic: Record<string, unknown> = { a: [1] };
    (cyclic.a as unknown[]).push({ back: cyclic });
    const throwingGetter = {
      ok: 1,
      get bad(): never {
        throw new Error("getter says no");
      },
    };
    const throwsNonError = {
      get bad(): never {
        throw Symbol("not an Error");
      },
    };
    const trap = (name: string) => () => {
      throw new Error(`${name} trap says no`);
    };
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const bad: unknown[] = [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      10n,
      { big: 10n },
      () => 1,
      Symbol("s"),
      [Symbol("s")],
      cyclic,
      { toJSON: () => "replacement" },
      new Date(0),
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [1, , 3],
      new Array(3),
      throwingGetter,
      throwsNonError,
      { nested: [throwingGetter] },
      new Proxy({}, { ownKeys: trap("ownKeys") }),
      new Proxy({}, { getPrototypeOf: trap("getPrototypeOf") }),
      new Proxy({ a: 1 }, { get: trap("get") }),
      new Proxy([1, 2], { has: trap("has") }),
      revoked,
    ];
    for (const value of bad) await expectRefusedEverywhere(db, value, "FUSEDB_INVALID_JSON");
    // The message names the path and the thrown error is the cause.
    const err = await expectInvalid(db.set("k", { nested: [throwingGetter] }), "FUSEDB_INVALID_JSON");
    expect(err.message).toMatch(/value\.nested\[0\]\.bad: reading it threw Error: getter says no/);
    expect((err.cause as Error).message).toBe("getter says no");
    const cycle = await expectInvalid(db.patch("k", cyclic as Json), "FUSEDB_INVALID_JSON");
    expect(cycle.message).toBe("patch.a[1].back: cycle");
    expect(await db.set("k", 1)).toMatchObject({ version: 1 });
    await db.close();
  });

  it(
    "a Proxy array claiming 2^32 - 1 elements is refused as too large, without walking them",
    async () => {
      const db = await fresh({ valueBytesMax: 64 * 1024 });
      const endless = new Proxy([], {
        get: (target, p) =>
          p === "length" ? 2 ** 32 - 1 : typeof p === "string" ? 0 : Reflect.get(target, p),
        has: () => true,
      });
      await expectRefusedEverywhere(db, endless, "FUSEDB_VALUE_TOO_LARGE");
      await expectRefusedEverywhere(db, "x".repeat(8 * 1024 * 1024), "FUSEDB_VALUE_TOO_LARGE");
      await expectRefusedEverywhere(db, { s: "é".repeat(40 * 1024) }, "FUSEDB_VALUE_TOO_LARGE"); // 80 KiB UTF-8
      await db.close();
    },
    HOSTILE_TIMEOUT_MS,
  );
});

describe("accepted per the documented rules", () => {
  it("-0, getters, Proxies of plain objects, symbol keys and non-enumerable fields", async () => {
    const db = await fresh();
    expect(await db.set("zero", -0)).toMatchObject({ version: 1 });
    expect(Object.is((await db.get("zero"))?.value, 0)).toBe(true);
    expect(await db.patch("zero", { z: -0 })).toMatchObject({ value: { z: 0 } });

    const withGetter = {
      get computed(): number {
        return 42;
      },
    };
    await db.set("getter", withGetter);
    expect((await db.get("getter"))?.value).toEqual({ computed: 42 });

    await db.set("proxy", new Proxy({ a: [1, 2] }, {}));
    expect((await db.get("proxy"))?.value).toEqual({ a: [1, 2] });

    const extra: Record<string | symbol, unknown> = { shown: 1, [Symbol("hidden")]: () => 1 };
    Object.defineProperty(extra, "notEnumerable", { value: () => 2, enumerable: false });
    await db.set("extra", extra as Json);
    expect((await db.get("extra"))?.value).toEqual({ shown: 1 });
    await db.close();
  });
});
