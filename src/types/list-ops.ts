/**
 * List operations (Redis 7.0 semantics, redis.io/commands/?group=list) as pure operations over a {@link Txn}.
 *
 * Storage: the metadata {g, n, h} under the key; element i (0 = head) under the list tag at the sortable
 * position h + i (src/types/encoding.ts `positionString`). LPUSH writes at h - 1 and RPUSH at h + n, so a
 * push writes one entry per element plus the metadata whatever the length; pops read and remove the end
 * elements only; LINDEX/LSET are point reads and writes; LRANGE reads one bounded range of positions. The
 * edits in the middle (src/types/list-edits.ts) move only the elements between the edit and the nearer end
 * they compact towards. A list whose last element goes is deleted (O(1): its generation dies).
 * Idea: Kvrocks's list encoding (head and tail counters in the metadata, one subkey per position).
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { positionString, TAG } from "./encoding.js";
import type { Txn } from "./txn.js";

/** Which end of a list: "left" is the head (index 0). */
export type ListEnd = "left" | "right";

/** A live list as an operation sees it: metadata with its head, and the element prefix. */
export interface ListState {
  readonly g: number;
  readonly n: number;
  readonly h: number;
  readonly prefix: KeyString;
}

/** The live list at `k`, or undefined. @throws WrongTypeError; NeedRead. */
export function listOf(tx: Txn, k: KeyString): ListState | undefined {
  const c = tx.collection(k, "list");
  if (c === undefined) return undefined;
  const meta = { g: c.meta.g, n: c.meta.n, h: c.meta.h ?? 0 };
  return { ...meta, prefix: tx.prefix(k, meta, TAG.list) };
}

/** Writes the list's new metadata (`n` 0: deletes the key), by operation `op`. */
export function putList(tx: Txn, k: KeyString, l: ListState, n: number, h: number, op: string): void {
  if (n === 0) tx.deleteKey(k, op);
  else tx.putTyped(k, "list", { g: l.g, n, h }, op);
}

/** The element at index `i` (0 <= i < n). @throws NeedRead. */
export function elementAt(tx: Txn, l: ListState, i: number): string {
  return tx.element(l.prefix, positionString(l.h + i)) as string;
}

/** Writes the element at index `i` (may be outside [0, n): the caller moves h or n). */
export function putAt(tx: Txn, l: ListState, i: number, value: string | undefined): void {
  tx.putElement(l.prefix, positionString(l.h + i), value);
}

/** The elements of indexes [from, to), head first (`reverse`: tail first). One bounded read. @throws NeedRead. */
export function readRange(tx: Txn, l: ListState, from: number, to: number, reverse = false): string[] {
  if (to <= from) return [];
  const found = tx.elements(
    l.prefix,
    to - from,
    reverse,
    positionString(l.h + from),
    positionString(l.h + to),
  );
  return found.map(([, v]) => v as string);
}

/**
 * LPUSH/RPUSH: pushes each element in turn (LPUSH a b c leaves c first), creating the list if absent;
 * the new length. @throws WrongTypeError; DataTypeError for no elements.
 */
export function push(tx: Txn, k: KeyString, end: ListEnd, elements: readonly string[], op: string): number {
  if (elements.length === 0) {
    throw new DataTypeError("FUSEDB_SYNTAX", `ERR wrong number of arguments for '${op}' command`);
  }
  const l = listOf(tx, k) ?? { g: tx.newGeneration(), n: 0, h: 0, prefix: "" };
  const state = l.prefix === "" ? { ...l, prefix: tx.prefix(k, l, TAG.list) } : l;
  let h = state.h;
  let n = state.n;
  for (const e of elements) {
    if (end === "left") {
      h--;
      tx.putElement(state.prefix, positionString(h), e);
    } else tx.putElement(state.prefix, positionString(h + n), e);
    n++;
  }
  tx.putTyped(k, "list", { g: state.g, n, h }, op);
  return n;
}

/** LPUSHX/RPUSHX: {@link push} onto an existing list only; 0 when the key is absent. */
export function pushx(tx: Txn, k: KeyString, end: ListEnd, elements: readonly string[], op: string): number {
  if (elements.length === 0) {
    throw new DataTypeError("FUSEDB_SYNTAX", `ERR wrong number of arguments for '${op}' command`);
  }
  return listOf(tx, k) === undefined ? 0 : push(tx, k, end, elements, op);
}

/**
 * LPOP/RPOP of up to `count` elements from `end`, nearest the end first; undefined when the key is absent.
 * Reads and removes only those elements (all of them: only the metadata is written). @throws WrongTypeError.
 */
export function pop(tx: Txn, k: KeyString, end: ListEnd, count: number, op: string): string[] | undefined {
  const l = listOf(tx, k);
  if (l === undefined) return undefined;
  const c = Math.min(count, l.n);
  if (c === 0) return [];
  const out = end === "left" ? readRange(tx, l, 0, c) : readRange(tx, l, l.n - c, l.n, true);
  const n = l.n - c;
  if (n > 0) {
    for (let i = 0; i < c; i++) putAt(tx, l, end === "left" ? i : l.n - 1 - i, undefined);
  }
  putList(tx, k, l, n, end === "left" ? l.h + c : l.h, op);
  return out;
}

/** Redis's range rule: [start, stop] with negatives from the tail, clamped; undefined when empty. */
export function normalizeRange(start: number, stop: number, n: number): [number, number] | undefined {
  let s = start < 0 ? n + start : start;
  let e = stop < 0 ? n + stop : stop;
  if (s < 0) s = 0;
  if (s > e || s >= n) return undefined;
  if (e >= n) e = n - 1;
  return [s, e];
}

/** LRANGE: the elements of [start, stop] (Redis's index rules); one bounded read. */
export function lrange(tx: Txn, k: KeyString, start: number, stop: number): string[] {
  const l = listOf(tx, k);
  if (l === undefined) return [];
  const r = normalizeRange(start, stop, l.n);
  return r === undefined ? [] : readRange(tx, l, r[0], r[1] + 1);
}

/** LINDEX: the element at `index` (negative from the tail), or undefined. One point read. */
export function lindex(tx: Txn, k: KeyString, index: number): string | undefined {
  const l = listOf(tx, k);
  if (l === undefined) return undefined;
  const i = index < 0 ? l.n + index : index;
  return i < 0 || i >= l.n ? undefined : elementAt(tx, l, i);
}

/**
 * LSET: replaces the element at `index`. One point write and the metadata.
 * @throws DataTypeError "ERR no such key" (FUSEDB_NO_SUCH_KEY), "ERR index out of range"; WrongTypeError.
 */
export function lset(tx: Txn, k: KeyString, index: number, element: string): void {
  const l = listOf(tx, k);
  if (l === undefined) throw new DataTypeError("FUSEDB_NO_SUCH_KEY", "ERR no such key");
  const i = index < 0 ? l.n + index : index;
  if (i < 0 || i >= l.n) throw new DataTypeError("FUSEDB_INDEX_OUT_OF_RANGE", "ERR index out of range");
  putAt(tx, l, i, element);
  putList(tx, k, l, l.n, l.h, "lset");
}

/** LTRIM: keeps [start, stop]; removes only the trimmed elements (none when the list goes: O(1)). */
export function ltrim(tx: Txn, k: KeyString, start: number, stop: number): void {
  const l = listOf(tx, k);
  if (l === undefined) return;
  const r = normalizeRange(start, stop, l.n);
  if (r === undefined) {
    tx.deleteKey(k, "ltrim");
    return;
  }
  const [s, e] = r;
  if (s === 0 && e === l.n - 1) return;
  for (let i = 0; i < s; i++) putAt(tx, l, i, undefined);
  for (let i = e + 1; i < l.n; i++) putAt(tx, l, i, undefined);
  putList(tx, k, l, e - s + 1, l.h + s, "ltrim");
}

/**
 * LMOVE: pops from `from` of `source` and pushes onto `to` of `destination`, as one change; the element,
 * or undefined when the source is absent (the destination is not looked at then). The same key rotates in
 * place (its key, version chain and TTL stay). @throws WrongTypeError (source or destination).
 */
export function lmove(
  tx: Txn,
  source: KeyString,
  destination: KeyString,
  from: ListEnd,
  to: ListEnd,
): string | undefined {
  const src = listOf(tx, source);
  if (src === undefined) return undefined;
  if (source === destination) {
    const i = from === "left" ? 0 : src.n - 1;
    const element = elementAt(tx, src, i);
    if (from === to) {
      putList(tx, source, src, src.n, src.h, "lmove");
      return element;
    }
    putAt(tx, src, i, undefined);
    putAt(tx, src, to === "left" ? -1 : src.n, element);
    putList(tx, source, src, src.n, to === "left" ? src.h - 1 : src.h + 1, "lmove");
    return element;
  }
  listOf(tx, destination); // WRONGTYPE before anything changes
  const [element] = pop(tx, source, from, 1, "lmove") as string[];
  push(tx, destination, to, [element as string], "lmove");
  return element;
}

/**
 * The try of a blocking pop over `keys` (BLPOP/BRPOP: `count` 1; BLMPOP: its COUNT), for
 * src/types/pop-waiters.ts: pops up to `count` elements from `end` of `keys[index]`, nearest the end first.
 */
export function popTake(
  keys: readonly KeyString[],
  end: ListEnd,
  count: number,
  op: string,
): (tx: Txn, index: number) => { value: string[]; left: number } | undefined {
  return (tx, index) => {
    const k = keys[index] as KeyString;
    const l = listOf(tx, k);
    if (l === undefined) return undefined;
    const value = pop(tx, k, end, count, op) as string[];
    return { value, left: l.n - value.length };
  };
}

/** The try of BLMOVE/BRPOPLPUSH (one source key) for src/types/pop-waiters.ts: {@link lmove}. */
export function moveTake(
  source: KeyString,
  destination: KeyString,
  from: ListEnd,
  to: ListEnd,
): (tx: Txn, index: number) => { value: string; left: number } | undefined {
  return (tx) => {
    const l = listOf(tx, source);
    if (l === undefined) return undefined;
    const value = lmove(tx, source, destination, from, to) as string;
    return { value, left: source === destination ? l.n : l.n - 1 };
  };
}
