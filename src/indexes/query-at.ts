/**
 * Index queries at a snapshot, with a transaction's own document writes on top (`snapshot.query`,
 * `tx.query`: src/tx/). The index is the one the snapshot holds (its catalog entry read through the same
 * view: an index created or still building at the snapshot is not queryable there). The snapshot's answer
 * comes from its index entries (src/indexes/query.ts `queryIndex`, with the limit raised by the number of
 * documents the transaction wrote under the index's prefix, so that enough remain); documents the
 * transaction wrote are taken out of it and put back where their own values place them (each document at its
 * first entry in query order, as `queryIndex` answers). The answer also says which run of entries it
 * covered, for the read-conflict range of a serializable transaction (no phantoms over index ranges).
 */
import { type Entry, isLive } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import type { KeyRange } from "../tree/key-range.js";
import type { StateView } from "../types/view.js";
import { defOf, type IndexDef } from "./index-catalog.js";
import { notFound, notReady } from "./index-errors.js";
import { catalogKey, indexedValues, successor } from "./index-keys.js";
import { type EncodedRange, queryIndex } from "./query.js";

/** What {@link queryAt} answers: the documents, and the index entries (tree keys) the answer covered. */
export interface QueryAtResult {
  found: [KeyString, Entry][];
  covered: KeyRange;
}

/**
 * The definition of index `name` as `view` holds it.
 * @throws IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY (building or failed there); NeedRead.
 */
export function indexAt(view: StateView, name: string): IndexDef {
  const key = catalogKey(name);
  const entry = view.get(key);
  const def = entry?.value === undefined ? undefined : defOf(key, entry.value);
  if (def === undefined) throw notFound(name);
  if (def.state !== "ready") throw notReady(name);
  return def;
}

/**
 * Up to `limit` live documents `def` maps into `range` at `view` (the snapshot) with `own` (a transaction's
 * writes, every tree key it wrote) on top, in index order (or reverse), each once; see the module comment.
 * @throws NeedRead.
 */
export function queryAt(
  view: StateView,
  own: ReadonlyMap<KeyString, Entry>,
  def: IndexDef,
  range: EncodedRange,
  limit: number,
  reverse: boolean,
  nowMs: number,
): QueryAtResult {
  const mine: KeyString[] = [];
  for (const k of own.keys()) if (k.startsWith(def.prefix)) mine.push(k);
  const raised = limit + mine.length;
  const base = queryIndex(view, def, range, raised, reverse, nowMs);
  const written = new Set(mine);
  const sorted: { sub: string; doc: KeyString; entry: Entry }[] = [];
  for (const [doc, entry] of base) {
    if (written.has(doc)) continue;
    const sub = firstSub(def, entry, doc, range, reverse);
    if (sub !== undefined) sorted.push({ sub, doc, entry });
  }
  // The snapshot's answer covers entries up to its last only if its limit cut it: an own document placed past
  // that point could stand behind snapshot documents not read, so it is left out.
  const lastBase = base.length >= raised ? sorted[sorted.length - 1]?.sub : undefined;
  for (const doc of mine) {
    const entry = own.get(doc) as Entry;
    if (!isLive(entry, nowMs) || entry.type !== undefined) continue;
    const sub = firstSub(def, entry, doc, range, reverse);
    if (sub === undefined) continue;
    if (lastBase !== undefined && (reverse ? sub < lastBase : sub > lastBase)) continue;
    sorted.push({ sub, doc, entry });
  }
  sorted.sort((a, b) => (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0));
  if (reverse) sorted.reverse();
  const out = sorted.slice(0, limit);
  const lo = def.entries + range.gte;
  const hi = range.lt === undefined ? (successor(def.entries) as string) : def.entries + range.lt;
  const last = out[out.length - 1];
  let covered: KeyRange = { gte: lo, lt: hi };
  if (out.length === limit && last !== undefined) {
    covered = reverse ? { gte: def.entries + last.sub, lt: hi } : { gte: lo, lte: def.entries + last.sub };
  }
  return { found: out.map((o) => [o.doc, o.entry]), covered };
}

/** The first entry sub (encoded value + doc key) of `doc` inside `range` in query order, if any. */
function firstSub(
  def: IndexDef,
  entry: Entry,
  doc: KeyString,
  range: EncodedRange,
  reverse: boolean,
): string | undefined {
  let best: string | undefined;
  for (const v of indexedValues(entry, def.segments)) {
    const sub = v + doc;
    if (sub < range.gte || (range.lt !== undefined && sub >= range.lt)) continue;
    if (best === undefined || (reverse ? sub > best : sub < best)) best = sub;
  }
  return best;
}
