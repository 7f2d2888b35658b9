/**
 * Index maintenance: the one place a record's document changes become index changes, in the same record.
 * The commit pipeline (src/commit-pipeline.ts, `WriteHook`) calls {@link maintainIndexes} on the effects of
 * every write while any index exists, whatever the path (set, patch, incr, delete, expire, batch, the JSON
 * path writes, the data-type commands that overwrite or delete a document), on the state the record
 * resolved against (the view: pending records included). For each document key an index covers it removes
 * the entries of the values the key's previous entry held and adds those of its new entry, so after every
 * record (and so after every crash: a record is all or nothing) the index holds exactly the values of the
 * documents — except for documents that expired: background work turns an expired document into a tombstone
 * without a record, so its entries stay until merges drop them (src/types/dead-elements.ts) and every read
 * validates an entry against its document (src/indexes/query.ts).
 *
 * Unique indexes: an added value another live document already holds (in the view, or in this record)
 * refuses the whole record with IndexError FUSEDB_UNIQUE_VIOLATION: nothing is written.
 */

import type { Entry } from "../doc/entry.js";
import { isLive } from "../doc/entry.js";
import { isInternalKey, type KeyString, userKeyBytes } from "../doc/key.js";
import { IndexError } from "../errors.js";
import type { StateView } from "../types/view.js";
import type { Effect } from "../wal/batch-codec.js";
import type { IndexCatalog, IndexDef } from "./index-catalog.js";
import { encodedLength, indexedValues, successor } from "./index-keys.js";

const NONE: ReadonlySet<string> = new Set();

/** Entries a uniqueness probe reads per page (stale entries of expired documents are skipped over). */
const PROBE_PAGE = 16;

/** The entry of an index entry key: present (null) or removed (a tombstone). Elements carry version 1. */
export function entryEffect(key: KeyString, present: boolean, lsn: number): Effect {
  return present
    ? { key, entry: { version: 1, value: null, text: NULL_TEXT, lsn } }
    : { key, entry: { version: 1, value: undefined, text: undefined, lsn } };
}
const NULL_TEXT = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]); // "null"

/** The document key an index entry key names (after the entry prefix and the encoded value). */
export function docKeyOf(def: IndexDef, k: KeyString): { value: string; doc: KeyString } | undefined {
  const n = encodedLength(k, def.entries.length);
  if (n === undefined) return undefined;
  const at = def.entries.length + n;
  return { value: k.slice(def.entries.length, at), doc: k.slice(at) };
}

/** Whether `doc` (its entry `e`) holds encoded `value` for `def` and is live at `nowMs`. */
export function holds(def: IndexDef, e: Entry | undefined, value: string, nowMs: number): boolean {
  return isLive(e, nowMs) && indexedValues(e, def.segments).has(value);
}

/**
 * `effects` and the index changes they imply (see the module comment). Pure over `view`. `skipDeletes`:
 * the broken variant 'skip-index-deletes' (sensitivity tests only) keeps the entries of a deleted document.
 * @throws IndexError FUSEDB_UNIQUE_VIOLATION; NeedRead (the caller reads and reruns).
 */
export function maintainIndexes(
  catalog: IndexCatalog,
  view: StateView,
  effects: readonly Effect[],
  lsn: number,
  nowMs: number,
  skipDeletes = false,
): Effect[] {
  const defs = catalog.all().filter((d) => d.state !== "failed");
  if (defs.length === 0) return effects as Effect[];
  /** This record's index changes: entry key → present. */
  const changes = new Map<KeyString, boolean>();
  /** This record's new document entries, by key (for validating probe hits against this record). */
  const written = new Map<KeyString, Entry>();
  const probes: { def: IndexDef; value: string; doc: KeyString }[] = [];
  /** Values of unique indexes this record adds: entry prefix + value → the document adding it. */
  const added = new Map<KeyString, KeyString>();
  for (const { key, entry } of effects) {
    if (isInternalKey(key)) continue;
    written.set(key, entry);
    if (skipDeletes && entry.value === undefined) continue;
    for (const def of defs) {
      if (!key.startsWith(def.prefix)) continue;
      // A previous entry that is not live (expired, not yet removed by background work) may or may not still
      // have its index entries (a merge may have dropped them: src/indexes/stale-entries.ts): its values are
      // removed and the new ones written again, whatever they are.
      const prev = view.get(key);
      const before = indexedValues(prev, def.segments);
      const kept = isLive(prev, nowMs) ? before : NONE;
      const after = indexedValues(entry, def.segments);
      for (const v of before) if (!after.has(v)) changes.set(def.entries + v + key, false);
      for (const v of after) {
        if (kept.has(v)) continue;
        changes.set(def.entries + v + key, true);
        if (!def.unique) continue;
        claim(def, added, def.entries + v, key);
        probes.push({ def, value: v, doc: key });
      }
    }
  }
  for (const p of probes) checkUnique(p.def, view, p.value, p.doc, changes, written, nowMs);
  if (changes.size === 0) return effects as Effect[];
  const out = [...effects];
  for (const [k, present] of changes) out.push(entryEffect(k, present, lsn));
  return out;
}

/**
 * Records that `doc` adds the unique value whose entries start with `low` in this record.
 * @throws IndexError FUSEDB_UNIQUE_VIOLATION if another document of the record added it already.
 */
export function claim(def: IndexDef, added: Map<KeyString, KeyString>, low: KeyString, doc: KeyString): void {
  const other = added.get(low);
  if (other !== undefined && other !== doc) throw violation(def, other);
  added.set(low, doc);
}

/**
 * Throws if a live document other than `doc` holds `value` in `def` whose entry the index holds and this
 * record neither removes nor rewrites without the value (the record's own additions: {@link claim}).
 * @throws IndexError FUSEDB_UNIQUE_VIOLATION; NeedRead.
 */
export function checkUnique(
  def: IndexDef,
  view: StateView,
  value: string,
  doc: KeyString,
  changes: ReadonlyMap<KeyString, boolean>,
  written: ReadonlyMap<KeyString, Entry>,
  nowMs: number,
): void {
  const low = def.entries + value;
  const lt = successor(low) as KeyString; // low ends with the index tag's bytes and more: never all 0xff
  let gte = low;
  // Bounded: each page moves past the entries it read; the index holds finitely many.
  for (;;) {
    const page = view.scan({ gte, lt, reverse: false, limit: PROBE_PAGE });
    for (const [k] of page) {
      const other = k.slice(low.length);
      if (other === doc || changes.get(k) === false) continue;
      const e = written.has(other) ? written.get(other) : view.get(other);
      if (holds(def, e, value, nowMs)) throw violation(def, other);
    }
    const last = page[page.length - 1];
    if (page.length < PROBE_PAGE || last === undefined) return;
    gte = `${last[0]}\x00`;
  }
}

function violation(def: IndexDef, doc: KeyString): IndexError {
  const key = userKeyBytes(doc).toString("utf8");
  return new IndexError(
    "FUSEDB_UNIQUE_VIOLATION",
    `unique index ${def.name}: document ${JSON.stringify(key)} already holds this ${def.path}`,
    def.name,
    key,
  );
}
