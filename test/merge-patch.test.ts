/**
 * Invariants of JSON Merge Patch (src/doc/merge-patch.ts, RFC 7396):
 * - every example of RFC 7396 Appendix A, and the section 3 example, gives the RFC's result;
 * - a field named "__proto__" stays an ordinary own field (in the result, through db.patch, and after a
 *   reopen) and never changes any prototype;
 * - neither input is modified (frozen inputs; fast-check over random JSON), and applying the same patch
 *   twice changes nothing more (idempotence, fast-check; seed printed).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { Json } from "../src/doc/json.js";
import { deepFreeze } from "../src/doc/json.js";
import { applyMergePatch } from "../src/doc/merge-patch.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";

/** RFC 7396 Appendix A: [original, patch, result], verbatim. */
const APPENDIX_A: [string, string, string][] = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', "{}"],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', "null", "null"],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ["[1,2]", '{"a":"b","c":null}', '{"a":"b"}'],
  ["{}", '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
];

const parse = (text: string): Json => JSON.parse(text) as Json;

describe("RFC 7396", () => {
  it.each(APPENDIX_A)("Appendix A: %s + %s = %s", (original, patch, result) => {
    expect(applyMergePatch(parse(original), parse(patch))).toEqual(parse(result));
  });

  it("section 3 example", () => {
    const target = parse(
      '{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}',
    );
    const patch = parse(
      '{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}',
    );
    expect(applyMergePatch(target, patch)).toEqual(
      parse(
        '{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}',
      ),
    );
  });

  it("a missing target patches as if absent: objects build from {}, nulls vanish", () => {
    expect(applyMergePatch(undefined, parse('{"a":1,"b":null,"c":{"d":null}}'))).toEqual({ a: 1, c: {} });
    expect(applyMergePatch(undefined, 5)).toBe(5);
  });
});

describe("__proto__", () => {
  it("stays an ordinary own field and pollutes no prototype", () => {
    const patch = parse('{"__proto__":{"polluted":true},"a":1}');
    const out = applyMergePatch({ b: 2 }, patch) as Record<string, Json>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.keys(out).sort()).toEqual(["__proto__", "a", "b"]);
    expect(JSON.stringify(out)).toBe('{"b":2,"__proto__":{"polluted":true},"a":1}');
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    // Nested, and removed by null like any field.
    const nested = applyMergePatch(out, parse('{"__proto__":{"x":2}}'));
    expect(JSON.stringify(nested)).toBe('{"b":2,"__proto__":{"polluted":true,"x":2},"a":1}');
    const removed = applyMergePatch(out, parse('{"__proto__":null}'));
    expect(JSON.stringify(removed)).toBe('{"b":2,"a":1}');
  });

  it("survives db.patch and a reopen", async () => {
    const fs = new SimFileSystem({ latency: false });
    const db = await openMem(fs);
    await db.patch("doc", parse('{"__proto__":{"admin":true}}'));
    await db.close();
    const again = await openMem(fs);
    const got = await again.get("doc");
    expect(JSON.stringify(got?.value)).toBe('{"__proto__":{"admin":true}}');
    expect((got?.value as { admin?: unknown } | undefined)?.admin).toBeUndefined();
    await again.close();
  });
});

describe("purity", () => {
  it("does not modify its inputs (frozen inputs, RFC examples)", () => {
    for (const [original, patch] of APPENDIX_A) {
      const t = deepFreeze(parse(original));
      const p = deepFreeze(parse(patch));
      expect(() => applyMergePatch(t, p)).not.toThrow();
      expect(t).toEqual(parse(original));
      expect(p).toEqual(parse(patch));
    }
  });

  it("does not modify its inputs and is idempotent on random JSON (fast-check)", () => {
    const seed = testSeed("merge patch purity");
    const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
    const objectPatch = fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.constant(null), json), {
      maxKeys: 5,
    }) as fc.Arbitrary<Json>;
    fc.assert(
      fc.property(json, fc.oneof(objectPatch, json), (target, patch) => {
        // Compared as JSON text: keeps "__proto__" fields (fast-check generates them) and field order.
        const targetBefore = JSON.stringify(target);
        const patchBefore = JSON.stringify(patch);
        const once = applyMergePatch(target, patch);
        expect(JSON.stringify(target)).toBe(targetBefore);
        expect(JSON.stringify(patch)).toBe(patchBefore);
        expect(JSON.stringify(applyMergePatch(once, patch))).toBe(JSON.stringify(once));
      }),
      { seed, numRuns: 500 },
    );
  });
});
