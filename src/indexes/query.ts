/**
 * Index queries and index builds, as pure operations over a state view (src/types/view.ts): the index
 * layer runs queries on the visible state (src/types/runner.ts `read`) and build steps through the commit
 * pipeline (`commitOp`), so both rerun after each read they ask for.
 *
 * A query walks the index's entries inside its bounds in order and validates each against its document: the
 * document must be live (not expired) and hold the value now (an entry left by a document that expired, see
 * src/indexes/maintain.ts, is skipped). A multikey document is answered once, at its first matching entry.
 */
import type { Entry } from "../doc/entry.js";
import { isLive } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { INTERNAL_KEY_PREFIX, type KeyString, userKeyBytes } from "../doc/key.js";
import type { StateView } from "../types/view.js";
import type { ScanEntry } from "../types.js";
import type { Effect } from "../wal/batch-codec.js";
import { catalogEffect, type IndexDef } from "./index-catalog.js";
import { indexedValues, successor } from "./index-keys.js";
import { checkUnique, claim, docKeyOf, entryEffect, holds } from "./maintain.js";

/** Bounds of a query over encoded values: entry subs (encoded value + doc key) in [gte, lt). */
export interface EncodedRange {
  readonly gte: string;
  readonly lt: string | undefined;
}

/** Index entries a query reads per page. */
const QUERY_PAGE_MIN = 16;

/**
 * Up to `limit` live documents `def` maps into `range`, in index order (or reverse), each once.
 * @throws NeedRead.
 */
export function queryIndex(
  view: StateView,
  def: IndexDef,
  range: EncodedRange,
  limit: number,
  reverse: boolean,
  nowMs: number,
): [KeyString, Entry][] {
  let gte = def.entries + range.gte;
  let lt = range.lt === undefined ? (successor(def.entries) as string) : def.entries + range.lt;
  const out: [KeyString, Entry][] = [];
  const seen = new Set<KeyString>();
  const page = Math.max(QUERY_PAGE_MIN, limit + 8); // a little slack for entries that fail validation
  // Bounded: each page moves a bound past the entries it read.
  while (out.length < limit && gte < lt) {
    const found = view.scan({ gte, lt, reverse, limit: page });
    for (const [k] of found) {
      const parsed = docKeyOf(def, k);
      if (parsed === undefined || seen.has(parsed.doc)) continue;
      const doc = view.get(parsed.doc);
      if (!holds(def, doc, parsed.value, nowMs)) continue;
      seen.add(parsed.doc);
      out.push([parsed.doc, doc as Entry]);
      if (out.length === limit) return out;
    }
    const last = found[found.length - 1];
    if (found.length < page || last === undefined) break;
    if (reverse) lt = last[0];
    else gte = `${last[0]}\x00`;
  }
  return out;
}

/** Documents one build step indexes (one WAL record). */
export const BUILD_BATCH_DOCS = 256;

/**
 * One build step of `def` (the newest catalog state, from the view): indexes the next documents after its
 * cursor and writes the catalog's new cursor and count, `ready` once the prefix is exhausted, or `failed`
 * (with the reason) if a unique index meets a value another live document holds. Entries already present
 * (a write since the index's creation added them) are written again unchanged.
 * @throws NeedRead.
 */
export function buildStep(
  view: StateView,
  def: IndexDef,
  catalogEntry: Entry | undefined,
  lsn: number,
  nowMs: number,
): { effects: Effect[]; def: IndexDef } {
  const end = successor(def.prefix) ?? INTERNAL_KEY_PREFIX;
  const gte = def.cursor === undefined ? def.prefix : `${def.cursor}\x00`;
  const found = view.scan({ gte, lt: end, reverse: false, limit: BUILD_BATCH_DOCS });
  const effects: Effect[] = [];
  const changes = new Map<KeyString, boolean>();
  const added = new Map<KeyString, KeyString>();
  let next: IndexDef = def;
  let indexed = def.indexed;
  for (const [doc, entry] of found) {
    if (!isLive(entry, nowMs) || entry.type !== undefined) continue;
    for (const v of indexedValues(entry, def.segments)) {
      if (def.unique) {
        try {
          claim(def, added, def.entries + v, doc);
          checkUnique(def, view, v, doc, changes, new Map(), nowMs);
        } catch (err) {
          if (!(err instanceof Error) || (err as { code?: string }).code !== "FUSEDB_UNIQUE_VIOLATION")
            throw err;
          next = { ...def, state: "failed", error: err.message };
          return { effects: [catalogEffect(def.key, next, catalogEntry, lsn)], def: next };
        }
      }
      changes.set(def.entries + v + doc, true);
    }
    indexed++;
  }
  for (const k of changes.keys()) effects.push(entryEffect(k, true, lsn));
  const last = found[found.length - 1];
  const done = found.length < BUILD_BATCH_DOCS || last === undefined;
  next = { ...def, indexed, state: done ? "ready" : "building", ...(last ? { cursor: last[0] } : {}) };
  effects.push(catalogEffect(def.key, next, catalogEntry, lsn));
  return { effects, def: next };
}

/** A document as `scan` and `query` answer it. */
export function scanEntryOf(k: KeyString, entry: Entry): ScanEntry {
  const bytes = userKeyBytes(k);
  const out: ScanEntry = {
    key: bytes.toString("utf8"),
    keyBytes: bytes,
    value: entry.value as Json,
    version: entry.version,
  };
  if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
  return out;
}
