/**
 * Invariants of path syntax (src/doc/json-path.ts), through `parsePath` and the db facade in memory mode:
 * - `$` text is an RFC 9535 query (`root` only for `$`); anything else a legacy path: dot steps, `[n]`
 *   (negative from the end), `["name"]` and `['name']` with escapes, MemFlux's `a.0` (an index on an
 *   array, a member name on an object); with wildcards, descendants or filters, the query `$` + path;
 * - malformed text, non-strings and the empty string are FUSEDB_INVALID_PATH;
 * - member names that a normalized path escapes (`'`, `\`, control characters) are written back under
 *   their own name, in their own place; a field named "__proto__" stays an ordinary field.
 */
import { describe, expect, it } from "vitest";
import type { Json } from "../src/doc/json.js";
import { parsePath } from "../src/doc/json-path.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

describe("path syntax", () => {
  it.each([
    [".", []],
    [".a.b", [{ name: "a" }, { name: "b" }]],
    ["a.b", [{ name: "a" }, { name: "b" }]],
    ["user.tags.0", [{ name: "user" }, { name: "tags" }, { name: "0", index: 0 }]],
    ["a[0][-1]", [{ name: "a" }, { index: 0 }, { index: -1 }]],
    ['a["x.y"]', [{ name: "a" }, { name: "x.y" }]],
    ["a['it\\'s']", [{ name: "a" }, { name: "it's" }]],
    ["[1]", [{ index: 1 }]],
    ["user:1-name", [{ name: "user:1-name" }]],
  ])("legacy %s", (text, steps) => {
    expect(parsePath(text)).toMatchObject({ legacy: true, steps, root: steps.length === 0 });
  });

  it.each([
    ["$", true],
    ["$.a", false],
    ["$..price", false],
    ["$.store.book[?@.price < 10].title", false],
    ["$['a.b']", false],
  ])("query %s", (text, root) => {
    expect(parsePath(text)).toMatchObject({ legacy: false, root, query: text });
  });

  it.each([".d.*", "..a", ".e[*]", "a[?@.x]", "a..b"])(
    "legacy wildcard %s reads as the query $ + path",
    (text) => {
      const query = text.startsWith(".") ? `$${text}` : `$.${text}`;
      expect(parsePath(text)).toMatchObject({ legacy: true, query });
    },
  );

  it.each(["", "a...b", ".a.", "$.a[", "$a", "a[", "a[x]", 'a["x]', "a b", "$.a[?@.b ==]", 7, null])(
    "rejects %j with FUSEDB_INVALID_PATH",
    (text) => {
      expect(() => parsePath(text)).toThrow(expect.objectContaining({ code: "FUSEDB_INVALID_PATH" }));
    },
  );

  it("MemFlux-style steps index arrays, and name members of objects", async () => {
    const db = await openMem(new TestDisk(), { durability: "memory" });
    await db.set("u", { tags: ["a", "b"], m: { "0": "zero" } });
    expect((await db.json.get("u", "tags.1"))?.values).toEqual(["b"]);
    expect((await db.json.get("u", "m.0"))?.values).toEqual(["zero"]);
    expect((await db.json.set("u", "tags.0", "z")).value).toEqual({ tags: ["z", "b"], m: { "0": "zero" } });
    await db.close();
  });

  it("member names a normalized path escapes are written under their own name", async () => {
    const db = await openMem(new TestDisk(), { durability: "memory" });
    const doc = { "it's": 1, "back\\slash": 2, "line\nfeed": 3, __proto__x: 4 };
    await db.set("k", doc);
    const r = await db.json.incr("k", "$.*", 10);
    expect(r.value).toEqual({ "it's": 11, "back\\slash": 12, "line\nfeed": 13, __proto__x: 14 });
    expect(Object.keys(r.value as object)).toEqual(Object.keys(doc));
    await db.close();
  });

  it('a field named "__proto__" stays an ordinary field', async () => {
    const db = await openMem(new TestDisk(), { durability: "memory" });
    await db.set("k", JSON.parse('{"__proto__": {"a": 1}}') as Json);
    const r = await db.json.set("k", '$["__proto__"].b', 2);
    expect(JSON.stringify(r.value)).toBe('{"__proto__":{"a":1,"b":2}}');
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    await db.close();
  });
});
