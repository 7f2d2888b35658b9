/**
 * Differential test of the path writes (src/doc/json-path-write.ts) against a plain model, on random
 * documents and a fixed alphabet of RFC 9535 queries (fast-check, seed printed):
 * - the locations a query selects are the library's normalized paths (RFC 9535 section 2.7), parsed here
 *   independently, deduplicated, each keeping its member names exactly (quotes, backslashes, newlines);
 * - setPath writes the value at every outermost location; deletePath removes every outermost location
 *   (array elements by descending index on a mutable clone, the model's way); mergePath merges (RFC 7396)
 *   at every outermost location; incrPath adds to every selected number; appendPath appends to every
 *   selected array; key order is kept;
 * - a legacy path of definite steps (`a.b[1]`) selects what the equivalent bracketed query selects;
 * - the input document, deep-frozen, is never changed.
 */
import fc from "fast-check";
import { paths } from "jsonpath-rfc9535";
import { describe, expect, it } from "vitest";
import type { Json } from "../src/doc/json.js";
import { deepFreeze } from "../src/doc/json.js";
import { locate, parsePath } from "../src/doc/json-path.js";
import { applyPathOp, capturePathOp } from "../src/doc/json-path-write.js";
import { applyMergePatch } from "../src/doc/merge-patch.js";
import { testSeed } from "./helpers/seed.js";

const LIMITS = { valueBytesMax: 1 << 20 };
const NAMES = ["a", "b", "it's", "back\\slash", "nl\nx", "0"];
const QUERIES = [
  "$",
  "$.*",
  "$..*",
  "$[*]",
  "$..[0]",
  "$..[-1]",
  "$..a",
  "$..['it\\'s']",
  '$..["back\\\\slash"]',
  "$..[?@ == 1]",
  "$[0,0]",
  "$..[1:]",
  "$.a",
  "$..b.*",
];

type Step = string | number;

const PATCH: Json = { a: null, b: { c: 1 } };

/** A normalized path (`$['a'][0]`) as steps; escapes per RFC 9535 section 2.7. */
function parseNormalized(text: string): Step[] {
  const steps: Step[] = [];
  let i = 1;
  while (i < text.length) {
    if (text[i + 1] !== "'") {
      const close = text.indexOf("]", i);
      steps.push(Number(text.slice(i + 1, close)));
      i = close + 1;
      continue;
    }
    let name = "";
    let j = i + 2;
    while (text[j] !== "'") {
      if (text[j] === "\\") {
        const e = text[j + 1] as string;
        if (e === "u") {
          name += String.fromCharCode(Number.parseInt(text.slice(j + 2, j + 6), 16));
          j += 6;
        } else {
          name += { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e] ?? e;
          j += 2;
        }
      } else name += text[j++];
    }
    steps.push(name);
    i = j + 2; // past "']"
  }
  return steps;
}

function modelLocations(doc: Json, query: string): Step[][] {
  const seen = new Set<string>();
  const out: Step[][] = [];
  for (const p of paths(doc, query)) {
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(parseNormalized(p));
  }
  return out;
}

function isPrefix(a: Step[], b: Step[]): boolean {
  return a.length < b.length && a.every((s, i) => s === b[i]);
}

function outermostModel(locs: Step[][]): Step[][] {
  return locs.filter((l) => !locs.some((o) => isPrefix(o, l)));
}

type Mutable = Json[] | { [k: string]: Json };

function parentIn(root: Json, loc: Step[]): Mutable {
  let node = root;
  for (const s of loc.slice(0, -1)) node = (node as Record<Step, Json>)[s] as Json;
  return node as Mutable;
}

function model(doc: Json, op: string, query: string): Json | undefined {
  const locs = modelLocations(doc, query);
  let root = structuredClone(doc) as Json;
  const put = (loc: Step[], v: Json): void => {
    if (loc.length === 0) root = v;
    else (parentIn(root, loc) as Record<Step, Json>)[loc[loc.length - 1] as Step] = v;
  };
  const get = (loc: Step[]): Json => loc.reduce((n, s) => (n as Record<Step, Json>)[s] as Json, root);
  switch (op) {
    case "set":
      for (const l of outermostModel(locs)) put(l, "X");
      return root;
    case "delete": {
      const outer = outermostModel(locs);
      if (outer.some((l) => l.length === 0)) return undefined;
      outer.sort((x, y) => cmp(y, x));
      for (const l of outer) {
        const parent = parentIn(root, l);
        const last = l[l.length - 1] as Step;
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else delete parent[last as string];
      }
      return root;
    }
    case "merge":
      for (const l of outermostModel(locs)) put(l, applyMergePatch(structuredClone(get(l)), PATCH));
      return root;
    case "incr":
      for (const l of locs) if (typeof get(l) === "number") put(l, (get(l) as number) + 1);
      return root;
    default:
      for (const l of locs) if (Array.isArray(get(l))) (get(l) as Json[]).push(0);
      return root;
  }
}

/** Locations in document order, array indexes numerically (a shorter prefix first). */
function cmp(a: Step[], b: Step[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as Step;
    const y = b[i] as Step;
    if (x !== y)
      return typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

const { tree } = fc.letrec<{ tree: Json; leaf: Json }>((tie) => ({
  leaf: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("s", null, true)),
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("leaf"),
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...NAMES), tie("tree"), { maxKeys: 4 }),
  ),
}));

function run(doc: Json, op: string, query: string): Json | undefined {
  const fields: Record<string, unknown> = { path: query, value: "X", values: [0], delta: 1, patch: PATCH };
  const ops = {
    set: "setPath",
    delete: "deletePath",
    incr: "incrPath",
    append: "appendPath",
    merge: "mergePath",
  };
  const name = ops[op as "set"] as "setPath";
  return applyPathOp(doc, capturePathOp(name, fields, LIMITS), LIMITS);
}

describe("path writes against a model", () => {
  it("set, delete, merge, incr and append agree with the model on random documents (fast-check)", () => {
    const seed = testSeed("json path model");
    fc.assert(
      fc.property(
        tree,
        fc.constantFrom("set", "delete", "incr", "append", "merge"),
        fc.constantFrom(...QUERIES),
        (raw, op, query) => {
          const doc = deepFreeze(JSON.parse(JSON.stringify(raw)) as Json);
          const before = JSON.stringify(doc);
          const want = model(doc, op, query);
          let got: Json | undefined;
          try {
            got = run(doc, op, query);
          } catch (err) {
            // Only a set with nowhere to write may refuse; the model then selected nothing.
            expect(["set", "merge"]).toContain(op);
            expect((err as { code?: string }).code).toBe("FUSEDB_PATH_NOT_FOUND");
            expect(modelLocations(doc, query)).toEqual([]);
            return;
          }
          // An addition (nothing selected, a member added): json-path.test.ts covers those.
          if ((op === "set" || op === "merge") && modelLocations(doc, query).length === 0) return;
          expect(got === undefined ? undefined : JSON.stringify(got)).toEqual(
            want === undefined ? undefined : JSON.stringify(want),
          );
          expect(JSON.stringify(doc)).toBe(before);
        },
      ),
      { seed, numRuns: 600 },
    );
  });
});

describe("legacy paths against queries", () => {
  it("a definite legacy path selects what the equivalent bracketed query selects (fast-check)", () => {
    const seed = testSeed("legacy path equivalence");
    const step = fc.oneof(fc.constantFrom("a", "b", "c_1"), fc.integer({ min: -3, max: 3 }));
    fc.assert(
      fc.property(tree, fc.array(step, { minLength: 1, maxLength: 4 }), (raw, steps) => {
        const doc = deepFreeze(JSON.parse(JSON.stringify(raw)) as Json);
        const legacy = steps
          .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
          .join("");
        const query = `$${steps.map((s) => (typeof s === "number" ? `[${s}]` : `['${s}']`)).join("")}`;
        const max = 1 << 20;
        expect(locate(doc, parsePath(legacy), max)).toEqual(locate(doc, parsePath(query), max));
      }),
      { seed, numRuns: 400 },
    );
  });
});
