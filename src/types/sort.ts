/**
 * SORT and SORT_RO (Redis 7.0 sort.c) over the engine's lists, sets and sorted sets, as one pure operation
 * on a {@link Txn}: every key it reads (the sorted key, the BY and GET keys) and the list it stores are read
 * and written in the same call, so it is one WAL record and one step of EXEC's atomic call.
 *
 * - Elements: a list in its order, a set's members, a sorted set's members by score; a missing key is an
 *   empty list; any other type is WRONGTYPE.
 * - Weights: the element itself, or the value `BY pattern` finds for it (see {@link lookupByPattern}); a
 *   BY pattern without `*` means "do not sort" (a list or sorted set keeps its order, DESC reverses it; a
 *   set stored with STORE is sorted ALPHA all the same, as Redis does so the result is reproducible).
 *   Numeric weights are parsed whole as doubles (strtod), a missing one is 0; a weight that does not parse
 *   fails the command with "One or more scores can't be converted into double". Equal numeric weights are
 *   ordered by the elements' bytes; ALPHA compares bytes (Redis's strcoll in the C locale), a missing BY
 *   value first.
 * - LIMIT offset count selects after sorting, with Redis's clamping (a negative offset is 0, a negative
 *   count means to the end). GET patterns replace each element by what they find (`#`: the element itself;
 *   nil when nothing is found; STORE keeps "" for nil).
 * - STORE dest writes the result as a list (replacing what dest held, its TTL dropped) and answers its
 *   length; an empty result deletes dest.
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError, WrongTypeError } from "../errors.js";
import { hget } from "./hashes.js";
import { lrange, push } from "./list-ops.js";
import { parseScore } from "./score.js";
import { members } from "./sets.js";
import { get } from "./string-ops.js";
import type { Txn } from "./txn.js";
import { zrange } from "./zset-ops.js";

/** SORT's parsed options; patterns and elements are binary strings (latin1). */
export interface SortOptions {
  /** BY pattern (undefined: sort by the elements themselves). */
  readonly by?: string;
  readonly limit?: { readonly offset: number; readonly count: number };
  /** GET patterns, in order. */
  readonly get: readonly string[];
  readonly desc: boolean;
  readonly alpha: boolean;
  /** STORE destination. */
  readonly store?: KeyString;
  /** The engine key of a user key found by a pattern (in the caller's database); undefined if it cannot be one. */
  readonly keyOf: (userKey: string) => KeyString | undefined;
}

/** Redis's reply when a numeric weight does not parse. */
export const SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double";

/**
 * Redis's lookupKeyByPattern: `#` is the element itself; else the first `*` is replaced by the element, and
 * a `->field` after it reads that field of a hash; without it, the value of a string. Undefined when the
 * pattern has no `*`, the key is missing, or holds another type.
 */
export function lookupByPattern(
  tx: Txn,
  o: SortOptions,
  pattern: string,
  element: string,
): string | undefined {
  if (pattern === "#") return element;
  const star = pattern.indexOf("*");
  if (star < 0) return undefined;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const keyText = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : undefined);
  const k = o.keyOf(keyText);
  if (k === undefined) return undefined;
  const type = tx.typeOf(k);
  if (hasField) return type === "hash" ? hget(tx, k, pattern.slice(arrow + 2)) : undefined;
  return type === "string" ? get(tx, k) : undefined;
}

/** The elements of the key to sort, in its own order (reversed for DESC when not sorting a list or zset). */
function elementsOf(tx: Txn, k: KeyString, desc: boolean, dontSort: boolean): string[] {
  const type = tx.typeOf(k);
  if (type === undefined) return [];
  if (type === "list") {
    const all = lrange(tx, k, 0, -1);
    return dontSort && desc ? all.reverse() : all;
  }
  if (type === "set") return members(tx, k);
  if (type === "zset") {
    const rev = dontSort && desc;
    return zrange(tx, k, { spec: { by: "rank", start: 0, stop: -1 }, ...(rev ? { rev } : {}) }).map(
      ([m]) => m,
    );
  }
  throw new WrongTypeError(type, "list, set or sorted set");
}

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts `elements` by their weights (see the module comment). @throws DataTypeError SORT_NOT_DOUBLE. */
function sortElements(tx: Txn, o: SortOptions, elements: string[], by: string | undefined): string[] {
  const sign = o.desc ? -1 : 1;
  if (o.alpha) {
    if (by === undefined) return elements.sort((a, b) => sign * byBytes(a, b));
    const weights = new Map(elements.map((e) => [e, lookupByPattern(tx, o, by, e)]));
    return elements.sort((a, b) => {
      const [wa, wb] = [weights.get(a), weights.get(b)];
      if (wa === undefined || wb === undefined)
        return sign * ((wa === undefined ? 0 : 1) - (wb === undefined ? 0 : 1));
      return sign * byBytes(wa, wb);
    });
  }
  const scores = new Map<string, number>();
  for (const e of elements) {
    const w = by === undefined ? e : lookupByPattern(tx, o, by, e);
    if (w === undefined) {
      scores.set(e, 0);
      continue;
    }
    const score = parseScore(w);
    if (score === undefined) throw new DataTypeError("FUSEDB_NOT_FLOAT", SORT_NOT_DOUBLE);
    scores.set(e, score);
  }
  return elements.sort((a, b) => {
    const [sa, sb] = [scores.get(a) ?? 0, scores.get(b) ?? 0];
    return sign * (sa > sb ? 1 : sa < sb ? -1 : byBytes(a, b));
  });
}

/**
 * SORT `k` (see the module comment): the reply's items (null for a GET that found nothing), or, with
 * STORE, the stored list's length. @throws WrongTypeError; DataTypeError SORT_NOT_DOUBLE; NeedRead.
 */
export function sort(tx: Txn, k: KeyString, o: SortOptions): (string | null)[] | number {
  let dontSort = o.by !== undefined && !o.by.includes("*");
  let alphaOptions = o;
  const type = tx.typeOf(k);
  if (dontSort && type === "set" && o.store !== undefined) {
    // Redis: a set has no order of its own, so a stored result is sorted ALPHA by the members.
    dontSort = false;
    alphaOptions = { ...o, alpha: true };
  }
  let elements = elementsOf(tx, k, o.desc, dontSort);
  if (!dontSort) elements = sortElements(tx, alphaOptions, elements, alphaOptions === o ? o.by : undefined);
  const n = elements.length;
  const offset = o.limit === undefined || o.limit.offset < 0 ? 0 : o.limit.offset;
  const count = o.limit === undefined || o.limit.count < 0 ? n : o.limit.count;
  const selected = offset >= n ? [] : elements.slice(offset, Math.min(n, offset + count));
  const out: (string | null)[] = [];
  for (const e of selected) {
    if (o.get.length === 0) out.push(e);
    for (const pattern of o.get) out.push(lookupByPattern(tx, o, pattern, e) ?? null);
  }
  if (o.store === undefined) return out;
  if (out.length === 0) {
    tx.deleteKey(o.store, "del");
    return 0;
  }
  tx.deleteKey(o.store, "sortstore");
  push(
    tx,
    o.store,
    "right",
    out.map((v) => v ?? ""),
    "sortstore",
  );
  return out.length;
}
