/**
 * The reference model: a plain, deliberately naive re-statement of fusedb's semantics, sharing no code with
 * the engine so that a bug in the engine's rules cannot hide in the model too. It keeps, for every key, the
 * full history of versions together with the commit position (the index in commit order) that produced each,
 * so the oracle can ask "what was key k after the first p commits?".
 *
 * Commit order is call order: the engine prepares mutations one at a time in call order, and a call that
 * fails validation, a type rule or an `ifVersion` condition is rejected without a position (the model
 * decides that the same way).
 *
 * TTL: a call happens at a virtual time (the campaign's SimClock when it issues the call). Expiries are
 * absolute (`now + ttl`); a document whose expiry is at or before `now` counts as absent (Redis semantics),
 * though its version still counts. The model never deletes expired documents: visibility is decided at
 * read time, by {@link liveAt}.
 *
 * Redis data types (issue 14): a key may hold a collection instead of a document. Its state then has a
 * `type` and, as `value`, its content as canonical JSON (a hash: an object field → value; a set: its
 * members, sorted). Data-type calls are resolved by sim/typed-model.ts on sim/redis-model/ and committed
 * here with {@link ReferenceModel.commitStates}. Document mutations meet collections as the engine defines:
 * `set`, `patch` and `incr` of a live collection fail with FUSEDB_WRONG_TYPE; `delete` and `expire` apply
 * to any type (a delete is the O(1) generation bump: the collection is gone, whatever its size).
 */

/** A Redis data type a key may hold besides a JSON document. */
export type ModelType = "string" | "hash" | "list" | "set" | "zset";

/** A JSON document in the model. */
export type ModelJson = null | boolean | number | string | ModelJson[] | { [field: string]: ModelJson };

/** One mutation, with string keys. `ifVersion`: the live version must be this (0: absent). */
export type ModelMutation =
  | { op: "set"; key: string; value: ModelJson; ttlMs?: number; ifVersion?: number }
  | { op: "delete"; key: string; ifVersion?: number }
  | { op: "patch"; key: string; patch: ModelJson; ifVersion?: number }
  | { op: "incr"; key: string; delta: number; ifVersion?: number }
  | { op: "expire"; key: string; ms: number; ifVersion?: number };

/**
 * A key's state: version 0 and no value means it never existed; a tombstone has a version but no value;
 * `expiresAtMs` is the absolute virtual time at which the document stops being visible.
 */
export interface ModelState {
  version: number;
  value: ModelJson | undefined;
  expiresAtMs?: number;
  /** A collection's type (its content is `value`); undefined for a JSON document and a tombstone. */
  type?: ModelType;
  /** Read back from the engine: a collection whose content was not read (sim/typed-dump.ts). */
  unread?: true;
}

/** One key's new state after one call: what a subscriber of that key must see. */
export interface ModelChange {
  key: string;
  state: ModelState;
}

/** What the model says a call does. */
export type ModelOutcome =
  | { ok: true; pos: number; results: ModelState[]; changes: ModelChange[] }
  | {
      ok: false;
      code:
        | "FUSEDB_TYPE_MISMATCH"
        | "FUSEDB_OUT_OF_RANGE"
        | "FUSEDB_VERSION_CONFLICT"
        | "FUSEDB_NOT_FOUND"
        | "FUSEDB_WRONG_TYPE"
        // A data-type call refused by Redis's rules: the reply text (sim/typed-spec.ts `refusalOf`).
        | `ERR ${string}`;
    };

/** A call's outcome with a data-type call's answer; `noop`: it changed nothing (no position of its own). */
export type CallOutcome = ModelOutcome & { answer?: ModelJson; noop?: boolean };

/** Whether `s` holds a document visible at virtual time `nowMs`. */
export function liveAt(s: ModelState, nowMs: number): boolean {
  return s.value !== undefined && (s.expiresAtMs === undefined || nowMs < s.expiresAtMs);
}

interface HistoryItem extends ModelState {
  pos: number;
}

const ABSENT: ModelState = { version: 0, value: undefined };

/** Buckets of the dead-version floor (the engine's FLOOR_BUCKETS, restated). */
const MODEL_FLOOR_BUCKETS = 4096;
const utf8 = new TextEncoder();

/** The floor bucket of `key`: FNV-1a 32 over its UTF-8 bytes, high half folded onto the low, mod 4096. */
export function modelFloorBucket(key: string): number {
  let h = 2166136261;
  for (const byte of utf8.encode(key)) {
    h = Number((BigInt((h ^ byte) >>> 0) * 16777619n) & 0xffffffffn);
  }
  return ((h ^ (h >>> 16)) >>> 0) % MODEL_FLOOR_BUCKETS;
}

/** One raise of a bucket's floor: the commit that made it and the new floor. */
interface FloorItem {
  pos: number;
  floor: number;
}

/** Commit-position-indexed history of every key. */
export class ReferenceModel {
  private readonly histories = new Map<string, HistoryItem[]>();
  /** Changes of each committed call, by position - 1. */
  private readonly commits: ModelChange[][] = [];
  /** Raises of each bucket's dead-version floor, in commit order (floors ascending). */
  private readonly floors = new Map<number, FloorItem[]>();
  private last = 0;

  /** Position of the last call applied (0 = none). */
  get lastPos(): number {
    return this.last;
  }

  /** Every key ever mutated, sorted. */
  keys(): string[] {
    return [...this.histories.keys()].sort();
  }

  /** State of `key` after the first `pos` commits. */
  stateAt(key: string, pos: number): ModelState {
    const h = this.histories.get(key);
    if (!h) return ABSENT;
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((h[mid] as HistoryItem).pos <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? ABSENT : (h[lo - 1] as HistoryItem);
  }

  /** The dead-version floor of `key`'s bucket after the first `pos` commits (0: none). */
  floorAt(key: string, pos: number): number {
    const items = this.floors.get(modelFloorBucket(key)) ?? [];
    let floor = 0;
    for (const item of items) if (item.pos <= pos) floor = item.floor;
    return floor;
  }

  /**
   * What the engine reports for `key` after the first `pos` commits at virtual time `nowMs` (`inspect`,
   * `versionOf`): the state if live; else no value, and the larger of its version and its bucket's floor.
   */
  observedAt(key: string, pos: number, nowMs: number): ModelState {
    const s = this.stateAt(key, pos);
    if (liveAt(s, nowMs)) return s;
    return { version: Math.max(s.version, this.floorAt(key, pos)), value: undefined };
  }

  /** Every state `key` took, with the position of the commit that made it, in commit order. */
  historyOf(key: string): readonly (ModelState & { pos: number })[] {
    return this.histories.get(key) ?? [];
  }

  /** Position of the commit that made `key` reach `version`, or undefined if it never did. */
  posOfVersion(key: string, version: number): number | undefined {
    return this.histories.get(key)?.find((item) => item.version === version)?.pos;
  }

  /** Position of the first commit after `pos` that changed `key`, or Infinity. */
  nextChangeAfter(key: string, pos: number): number {
    const item = this.histories.get(key)?.find((i) => i.pos > pos);
    return item ? item.pos : Number.POSITIVE_INFINITY;
  }

  /** The changes of the call committed at `pos` (one per key, in first-mention order). */
  changesAt(pos: number): readonly ModelChange[] {
    return this.commits[pos - 1] ?? [];
  }

  /**
   * Applies one call (all its mutations, atomically) made at virtual time `nowMs` as the next commit, or
   * rejects it whole.
   */
  apply(mutations: readonly ModelMutation[], nowMs = 0): ModelOutcome {
    const pending = new Map<string, ModelState>();
    const results: ModelState[] = [];
    for (const m of mutations) {
      const cur = pending.get(m.key) ?? this.stateAt(m.key, this.last);
      const live = liveAt(cur, nowMs);
      if (m.ifVersion !== undefined && m.ifVersion !== (live ? cur.version : 0)) {
        return { ok: false, code: "FUSEDB_VERSION_CONFLICT" };
      }
      if (live && cur.type !== undefined && m.op !== "delete" && m.op !== "expire") {
        return { ok: false, code: "FUSEDB_WRONG_TYPE" };
      }
      let value: ModelJson | undefined;
      let expiresAtMs: number | undefined;
      let type: ModelType | undefined;
      if (m.op === "set") {
        value = clone(m.value);
        if (m.ttlMs !== undefined) expiresAtMs = nowMs + m.ttlMs;
      } else if (m.op === "delete") value = undefined;
      else if (m.op === "patch") {
        value = mergePatch(live ? cur.value : undefined, m.patch);
        if (live) expiresAtMs = cur.expiresAtMs;
      } else if (m.op === "expire") {
        if (!live) return { ok: false, code: "FUSEDB_NOT_FOUND" };
        value = cur.value;
        type = cur.type;
        expiresAtMs = nowMs + m.ms;
      } else {
        const base = live ? (cur.value as ModelJson) : 0;
        if (typeof base !== "number" || !Number.isSafeInteger(base))
          return { ok: false, code: "FUSEDB_TYPE_MISMATCH" };
        value = base + m.delta;
        if (!Number.isSafeInteger(value)) return { ok: false, code: "FUSEDB_OUT_OF_RANGE" };
        if (live) expiresAtMs = cur.expiresAtMs;
      }
      // A key that is not live follows its bucket's floor as of the calls before this one.
      const version = this.nextVersion(cur, m.key, nowMs);
      const next: ModelState =
        expiresAtMs === undefined ? { version, value } : { version, value, expiresAtMs };
      if (type !== undefined) next.type = type;
      pending.set(m.key, next);
      results.push(next);
    }
    const pos = this.commit(pending);
    return { ok: true, pos, results, changes: this.commits[pos - 1] as ModelChange[] };
  }

  /**
   * The version the next change of a key in state `cur` takes at `nowMs` (the engine's rule, restated): a
   * live key's version + 1; a key that is not live follows its bucket's floor as of the calls before this
   * one: the larger of the two, + 1.
   */
  nextVersion(cur: ModelState, key: string, nowMs: number): number {
    return (liveAt(cur, nowMs) ? cur.version : Math.max(cur.version, this.floorAt(key, this.last))) + 1;
  }

  /**
   * Commits the new states of one call (a data-type call resolved by sim/typed-model.ts: each state with
   * its version already taken from {@link nextVersion}), in first-change order, as the next position.
   */
  commitStates(states: ReadonlyMap<string, ModelState>): number {
    return this.commit(states);
  }

  private commit(pending: ReadonlyMap<string, ModelState>): number {
    const pos = ++this.last;
    this.commits[pos - 1] = [...pending].map(([key, state]) => ({ key, state }));
    for (const [key, state] of pending) {
      let h = this.histories.get(key);
      if (!h) {
        h = [];
        this.histories.set(key, h);
      }
      h.push({ ...state, pos });
      if (state.value === undefined || state.expiresAtMs !== undefined)
        this.raiseFloor(key, state.version, pos);
    }
    return pos;
  }

  private raiseFloor(key: string, version: number, pos: number): void {
    const b = modelFloorBucket(key);
    let items = this.floors.get(b);
    if (!items) {
      items = [];
      this.floors.set(b, items);
    }
    const top = items[items.length - 1]?.floor ?? 0;
    if (version > top) items.push({ pos, floor: version });
  }

  /** Forgets every commit after `pos` (what a crash lost); the next call gets position `pos + 1`. */
  truncate(pos: number): void {
    for (const items of this.floors.values()) {
      while (items.length > 0 && (items[items.length - 1] as FloorItem).pos > pos) items.pop();
    }
    for (const [key, h] of this.histories) {
      while (h.length > 0 && (h[h.length - 1] as HistoryItem).pos > pos) h.pop();
      if (h.length === 0) this.histories.delete(key);
    }
    this.commits.length = pos;
    this.last = pos;
  }
}

/** RFC 7396, written from the RFC's pseudocode independently of src/doc/merge-patch.ts. */
function mergePatch(target: ModelJson | undefined, patch: ModelJson): ModelJson {
  if (!isObject(patch)) return clone(patch);
  const result: { [field: string]: ModelJson } = isObject(target)
    ? (clone(target) as { [f: string]: ModelJson })
    : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name];
    else result[name] = mergePatch(Object.hasOwn(result, name) ? result[name] : undefined, value);
  }
  return JSON.parse(JSON.stringify(result)) as ModelJson;
}

function isObject(v: ModelJson | undefined): v is { [field: string]: ModelJson } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clone(v: ModelJson): ModelJson {
  return JSON.parse(JSON.stringify(v)) as ModelJson;
}

/** Canonical text of a value (object keys sorted), for order-insensitive comparison. */
export function canonical(v: ModelJson | undefined): string {
  if (v === undefined) return "<absent>";
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: ModelJson): ModelJson {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: { [field: string]: ModelJson } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as ModelJson);
    return out;
  }
  return v;
}

/** One line for reports: `absent (v3)`, or `v4 {"a":1} exp@500 hash`. */
export function describeState(s: ModelState | undefined): string {
  if (s === undefined) return "absent (v0)";
  const exp = `${s.expiresAtMs === undefined ? "" : ` exp@${s.expiresAtMs}`}${s.type === undefined ? "" : ` ${s.type}`}`;
  return s.value === undefined ? `absent (v${s.version})` : `v${s.version} ${canonical(s.value)}${exp}`;
}
