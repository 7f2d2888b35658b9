/**
 * The oracle's checks of secondary indexes (issue 16, check c): after every recovery each index equals the
 * index recomputed from the recovered documents; `db.query` answers are the model's; a unique index refuses
 * a write only for a real duplicate, and never admits one.
 *
 * - Stored vs recomputed (after a recovery, on the engine's raw index entries, sim/index-oracle.ts): every
 *   live document's values have their entries; an entry without a live document holding its value is
 *   allowed only if that document once held the value with an expiry now passed (background work removes
 *   expired documents without a record, so their entries outlive them until merges drop them:
 *   docs/indexes.md "TTL"). A write path that forgets index maintenance leaves entries no expiry explains.
 * - A query answer: each document a read of the visible state (sim/oracle.ts), holding a value that
 *   satisfies the predicate, in index order (value, then key; a multikey document at its first matching
 *   value), each once; when fewer than `limit`, no document of the prefix that matches at every allowed
 *   position is missing.
 */
import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { toKeyString } from "../src/doc/key.js";
import { encodeIndexValue, type IndexValue } from "../src/indexes/index-keys.js";
import { mark } from "../src/util/coverage.js";
import { compareValues, fieldValues, indexDef, matchesQuery, storedIndex } from "./index-oracle.js";
import type { ModelChange, ModelState, ReferenceModel } from "./model.js";
import { liveAt } from "./model.js";
import type { Oracle, ReadTicket } from "./oracle.js";
import type { IndexDefinition, QueryShape } from "./tx-workload.js";

/** The values `s` holds for `def` if it is a live document at `nowMs` (else none). */
export function heldValues(s: ModelState | undefined, def: IndexDefinition, nowMs: number): IndexValue[] {
  // An unread collection's value is its metadata (sim/typed-dump.ts), not a document.
  if (s === undefined || s.type !== undefined || s.unread || !liveAt(s, nowMs)) return [];
  return fieldValues(s.value as Json, def.path);
}

/**
 * Compares index `def` as stored by `db` with the index recomputed from `state` (the recovered documents,
 * read at `nowMs`); returns the violations.
 */
export async function compareStoredIndex(
  db: FuseDB,
  def: IndexDefinition,
  state: ReadonlyMap<string, ModelState>,
  model: ReferenceModel,
  nowMs: number,
): Promise<string[]> {
  const stored = new Set(await storedIndex(db, indexDef(db, def.name)));
  const out: string[] = [];
  const expected = new Set<string>();
  for (const [key, s] of state) {
    if (!key.startsWith(def.prefix)) continue;
    for (const v of heldValues(s, def, nowMs)) {
      const entry = `${toKeyString(key, 65_535)}|${encodeIndexValue(v)}`;
      expected.add(entry);
      if (!stored.has(entry))
        out.push(`index ${def.name}: ${key} holds ${JSON.stringify(v)} but has no entry`);
    }
  }
  for (const entry of stored) {
    if (expected.has(entry)) continue;
    const [docKey, encoded] = splitEntry(entry);
    const key = Buffer.from(docKey, "latin1").toString("utf8");
    // An expired version that held the value explains a stale entry.
    const explained = model
      .historyOf(key)
      .some(
        (h) =>
          h.type === undefined &&
          h.value !== undefined &&
          h.expiresAtMs !== undefined &&
          h.expiresAtMs <= nowMs &&
          fieldValues(h.value as Json, def.path).some((v) => encodeIndexValue(v) === encoded),
      );
    if (explained) mark("txsim.index-stale-entry-of-expired");
    else
      out.push(`index ${def.name}: entry for ${key} (${JSON.stringify(encoded)}) that no document explains`);
  }
  return out.slice(0, 5);
}

function splitEntry(entry: string): [string, string] {
  const at = entry.indexOf("|");
  return [entry.slice(0, at), entry.slice(at + 1)];
}

/** A query's answer as the engine gives it. */
type Answered = { key: string; value: unknown; version: number; expiresAtMs?: number };

/** Judges the answer of query `q` on `def` (see the module comment). Violations go to `oracle`. */
export function checkQuery(
  oracle: Oracle,
  def: IndexDefinition,
  q: QueryShape,
  started: ReadTicket,
  answer: readonly Answered[],
  universe: readonly string[],
  what: string,
  endMs: number,
): void {
  const ticket = (key: string): ReadTicket => ({ ...started, key });
  const matching = (value: unknown): IndexValue[] =>
    fieldValues(value as Json, def.path)
      .filter((v) => matchesQuery(v, q))
      .sort(compareValues);
  if (answer.length > q.limit) oracle.report(`${what}: ${answer.length} answers, limit ${q.limit}`);
  const seen = new Set<string>();
  let prev: { v: IndexValue; key: string } | undefined;
  for (const a of answer) {
    if (seen.has(a.key)) oracle.report(`${what}: ${a.key} answered twice`);
    seen.add(a.key);
    if (!a.key.startsWith(def.prefix)) oracle.report(`${what}: ${a.key} is outside the prefix ${def.prefix}`);
    oracle.readDone(
      ticket(a.key),
      { value: a.value as Json, version: a.version, expiresAtMs: a.expiresAtMs },
      what,
      endMs,
    );
    const vs = matching(a.value);
    if (vs.length === 0) {
      oracle.report(`${what}: ${a.key} = ${JSON.stringify(a.value)} does not satisfy the query`);
      continue;
    }
    const here = { v: (q.reverse ? vs[vs.length - 1] : vs[0]) as IndexValue, key: a.key };
    if (prev !== undefined) {
      const c = compareValues(prev.v, here.v) || (prev.key < here.key ? -1 : prev.key > here.key ? 1 : 0);
      if (q.reverse ? c <= 0 : c >= 0) oracle.report(`${what}: out of index order at ${prev.key}, ${a.key}`);
    }
    prev = here;
  }
  if (answer.length >= q.limit) return;
  for (const key of universe) {
    if (!key.startsWith(def.prefix) || seen.has(key)) continue;
    const absentOk = (s: ModelState): boolean =>
      !liveAt(s, endMs) || s.type !== undefined || matching(s.value).length === 0;
    if (!oracle.someAllowed(ticket(key), absentOk)) {
      oracle.report(`${what}: ${key} matches at every allowed position but is missing`);
    }
  }
  mark("txsim.query-checked");
}

/**
 * Whether a refusal FUSEDB_UNIQUE_VIOLATION of the call committed (in the model) at `pos` with `changes`
 * is explained: document `holder` (the error's key), live at `pos`, holds a value of unique index `def`
 * that a document the call writes takes.
 */
export function uniqueRefusalExplained(
  model: ReferenceModel,
  def: IndexDefinition,
  pos: number,
  changes: readonly ModelChange[],
  holder: string | undefined,
  nowMs: number,
): boolean {
  if (holder === undefined || !holder.startsWith(def.prefix)) return false;
  const held = new Set(heldValues(model.stateAt(holder, pos), def, nowMs).map(encodeIndexValue));
  return changes.some(
    (c) =>
      c.key !== holder &&
      c.key.startsWith(def.prefix) &&
      heldValues(c.state, def, nowMs).some((v) => held.has(encodeIndexValue(v))),
  );
}

/**
 * A duplicate the call committed at `pos` (with `changes`) left in unique index `def`: a value a written
 * document holds that another live document of the prefix holds too; undefined if none.
 */
export function duplicateAfter(
  model: ReferenceModel,
  def: IndexDefinition,
  pos: number,
  changes: readonly ModelChange[],
  keys: readonly string[],
  nowMs: number,
): string | undefined {
  for (const c of changes) {
    if (!c.key.startsWith(def.prefix)) continue;
    for (const v of heldValues(c.state, def, nowMs)) {
      const e = encodeIndexValue(v);
      for (const other of keys) {
        if (other === c.key || !other.startsWith(def.prefix)) continue;
        if (heldValues(model.stateAt(other, pos), def, nowMs).some((w) => encodeIndexValue(w) === e)) {
          return `${c.key} and ${other} both hold ${JSON.stringify(v)}`;
        }
      }
    }
  }
  return undefined;
}
