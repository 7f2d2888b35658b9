/**
 * Oracles for secondary-index tests: the index as stored (its entries in the tree) against the index
 * recomputed from the documents, and a brute-force query (scan + filter + sort by an order written here
 * independently of the engine's encoding: null < false < true < numbers < strings by UTF-8 bytes).
 */
import { Buffer } from "node:buffer";
import type { CommitPipeline } from "../src/commit-pipeline.js";
import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { toKeyString } from "../src/doc/key.js";
import type { IndexDef } from "../src/indexes/index-catalog.js";
import { encodeIndexValue, type IndexValue, successor } from "../src/indexes/index-keys.js";
import type { Indexes } from "../src/indexes/indexes.js";
import { docKeyOf } from "../src/indexes/maintain.js";

/** The engine's definition of index `name` (internals, for tests). */
export function indexDef(db: FuseDB, name: string): IndexDef {
  const indexing = (db as unknown as { indexing: Indexes }).indexing;
  const def = (
    indexing as unknown as { catalog: { byName(n: string): IndexDef | undefined } }
  ).catalog.byName(name);
  if (def === undefined) throw new Error(`no index ${name}`);
  return def;
}

/** Every entry stored for `def`, as sorted `docKey|encoded value` strings. */
export async function storedIndex(db: FuseDB, def: IndexDef): Promise<string[]> {
  const pipeline = (db as unknown as { pipeline: CommitPipeline }).pipeline;
  const lt = successor(def.entries) as string;
  const found = await pipeline.tree.scan({ gte: def.entries, lt }, 1_000_000, false, 0);
  const out: string[] = [];
  for (const [k] of found) {
    const parsed = docKeyOf(def, k);
    if (parsed === undefined) throw new Error(`damaged index entry ${JSON.stringify(k)}`);
    out.push(`${parsed.doc}|${parsed.value}`);
  }
  return out.sort();
}

/** The scalars a document holds at `path` (arrays: each scalar element; duplicates once). */
export function fieldValues(doc: Json | undefined, path: string): IndexValue[] {
  let cur: Json | undefined = doc;
  for (const s of path.split(".")) {
    if (cur === null || typeof cur !== "object") return [];
    cur = Array.isArray(cur) ? (/^\d+$/.test(s) ? cur[Number(s)] : undefined) : cur[s];
  }
  const scalar = (v: Json | undefined): v is IndexValue =>
    v === null ||
    typeof v === "boolean" ||
    typeof v === "string" ||
    (typeof v === "number" && Number.isFinite(v));
  const all = Array.isArray(cur) ? cur.filter(scalar) : scalar(cur) ? [cur] : [];
  const out: IndexValue[] = [];
  for (const v of all) if (!out.some((w) => compareValues(v, w) === 0)) out.push(v);
  return out;
}

/** The index recomputed from the live documents under `prefix`, as {@link storedIndex} shows it. */
export async function recomputedIndex(db: FuseDB, prefix: string, path: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await db.scan({ gte: prefix, lt: successor(prefix) as string, limit: 100_000 })) {
    for (const v of fieldValues(e.value, path))
      out.push(`${toKeyString(e.key, 65_535)}|${encodeIndexValue(v)}`);
  }
  return out.sort();
}

function rank(v: IndexValue): number {
  if (v === null) return 0;
  if (v === false) return 1;
  if (v === true) return 2;
  return typeof v === "number" ? 3 : 4;
}

/** The documented total order of indexed values. */
export function compareValues(a: IndexValue, b: IndexValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "number" && typeof b === "number") return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === "string" && typeof b === "string") return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return 0;
}

/** A query's predicate as plain comparisons. */
export interface BruteQuery {
  eq?: IndexValue;
  gt?: IndexValue;
  gte?: IndexValue;
  lt?: IndexValue;
  lte?: IndexValue;
  prefix?: string;
  limit: number;
  reverse: boolean;
}

/** Whether indexed value `v` satisfies the predicate of `q`. */
export function matchesQuery(v: IndexValue, q: BruteQuery): boolean {
  if (q.eq !== undefined) return compareValues(v, q.eq) === 0;
  if (q.prefix !== undefined) return typeof v === "string" && v.startsWith(q.prefix);
  if (q.gt !== undefined && compareValues(v, q.gt) <= 0) return false;
  if (q.gte !== undefined && compareValues(v, q.gte) < 0) return false;
  if (q.lt !== undefined && compareValues(v, q.lt) >= 0) return false;
  if (q.lte !== undefined && compareValues(v, q.lte) > 0) return false;
  return true;
}

/** The keys a query must answer: every live document under `prefix`, filtered, sorted, cut. */
export async function bruteForce(db: FuseDB, prefix: string, path: string, q: BruteQuery): Promise<string[]> {
  const hits: { key: string; v: IndexValue }[] = [];
  for (const e of await db.scan({ gte: prefix, lt: successor(prefix) as string, limit: 100_000 })) {
    const ok = fieldValues(e.value, path).filter((v) => matchesQuery(v, q));
    if (ok.length === 0) continue;
    ok.sort(compareValues);
    hits.push({ key: e.key, v: (q.reverse ? ok[ok.length - 1] : ok[0]) as IndexValue });
  }
  hits.sort((a, b) => compareValues(a.v, b.v) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (q.reverse) hits.reverse();
  return hits.slice(0, q.limit).map((h) => h.key);
}
