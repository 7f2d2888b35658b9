/**
 * SORT and SORT_RO (Redis 7.0, redis.io/commands/sort) as one pure operation over a {@link Txn}: the
 * elements of a list, set or sorted set, ordered numerically (each element, or the value its BY pattern
 * names, read as a double) or bytewise (ALPHA), or kept in their own order (BY a pattern without `*`),
 * cut by LIMIT, each replaced by the values its GET patterns name, and returned or stored as a list.
 *
 * Patterns (Redis's lookupKeyByPattern): `#` is the element itself; otherwise the first `*` is replaced by
 * the element to make a key, and a `->field` after the `*` reads that field of a hash there; a string key
 * gives its value; anything else (absent, another type, no `*`) gives nothing. Ties between equal numbers
 * are broken bytewise (Redis: deterministic output). Idea and rules: Redis's sort.c, restated.
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError, WrongTypeError } from "../errors.js";
import { hget } from "./hashes.js";
import { lrange, push } from "./list-ops.js";
import { members } from "./sets.js";
import type { Txn } from "./txn.js";
import { zrange } from "./zset-ops.js";

/** A parsed SORT. Strings are binary (latin1) strings. */
export interface SortRequest {
  readonly key: KeyString;
  /** BY pattern; undefined sorts by the elements. */
  readonly by?: string;
  /** LIMIT offset count (Redis: a negative offset is 0, a negative count means all). */
  readonly limit?: { readonly offset: number; readonly count: number };
  /** GET patterns, in order. */
  readonly get: readonly string[];
  readonly desc: boolean;
  readonly alpha: boolean;
  /** STORE destination. */
  readonly store?: KeyString;
  /** A user key (binary) as its engine key; undefined for a key that cannot exist (too long). */
  readonly keyOf: (key: string) => KeyString | undefined;
}

/** The value a pattern names for `element`, or undefined. @throws NeedRead. */
export function lookupPattern(
  tx: Txn,
  req: SortRequest,
  pattern: string,
  element: string,
): string | undefined {
  if (pattern === "#") return element;
  const star = pattern.indexOf("*");
  if (star === -1) return undefined;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow !== -1 && arrow + 2 < pattern.length;
  const keyEnd = hasField ? arrow : pattern.length;
  const k = req.keyOf(pattern.slice(0, star) + element + pattern.slice(star + 1, keyEnd));
  if (k === undefined) return undefined;
  const type = tx.typeOf(k);
  if (hasField) return type === "hash" ? hget(tx, k, pattern.slice(arrow + 2)) : undefined;
  return type === "string" ? tx.string(k) : undefined;
}

/** Redis's strtod check: a whole-string double that is not NaN, or undefined. */
function parseDouble(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\v\f\r]+/, "");
  if (t === "") return s === "" ? 0 : undefined;
  const lower = t.toLowerCase();
  const sign = lower.startsWith("-") ? -1 : 1;
  const body = lower.replace(/^[+-]/, "");
  if (body === "inf" || body === "infinity") return sign * Number.POSITIVE_INFINITY;
  if (/^0x[0-9a-f]+$/.test(body)) return sign * Number.parseInt(body.slice(2), 16);
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return undefined;
  const n = sign * Number(body);
  return Number.isFinite(n) ? n : undefined; // ERANGE
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The source's elements in their own order. @throws WrongTypeError. */
function sourceElements(tx: Txn, k: KeyString): { elements: string[]; ordered: boolean } {
  const type = tx.typeOf(k);
  if (type === undefined) return { elements: [], ordered: true };
  if (type === "list") return { elements: lrange(tx, k, 0, -1), ordered: true };
  if (type === "set") return { elements: members(tx, k), ordered: false };
  if (type === "zset") {
    const all = zrange(tx, k, { spec: { by: "rank", start: 0, stop: -1 } });
    return { elements: all.map(([m]) => m), ordered: true };
  }
  throw new WrongTypeError(type, "list");
}

/**
 * Runs SORT: the output (elements, or per element one value or undefined per GET pattern) without STORE;
 * with STORE, the count of values stored (the destination is replaced by a list, or deleted when empty).
 * @throws WrongTypeError for a source that is not a list, set or sorted set; DataTypeError "ERR One or more
 *   scores can't be converted into double" for a numeric sort on a value that is not a double.
 */
export function sort(tx: Txn, req: SortRequest): (string | undefined)[] | number {
  const source = sourceElements(tx, req.key);
  let { elements } = source;
  let dontSort = req.by !== undefined && !req.by.includes("*");
  let alpha = req.alpha;
  let by = req.by;
  if (dontSort && !source.ordered && req.store !== undefined) {
    // Redis sorts a set ALPHA when storing, so the stored list does not depend on the set's layout.
    [dontSort, alpha, by] = [false, true, undefined];
  }
  if (dontSort && req.desc && source.ordered) elements = elements.reverse();
  if (!dontSort) {
    const keyed = elements.map((e) => {
      const v = by === undefined ? e : lookupPattern(tx, req, by, e);
      if (alpha) return { e, cmp: by === undefined ? e : v, score: 0 };
      const score = v === undefined ? 0 : parseDouble(v);
      if (score === undefined) {
        throw new DataTypeError("FUSEDB_NOT_FLOAT", "ERR One or more scores can't be converted into double");
      }
      return { e, cmp: undefined, score };
    });
    keyed.sort((a, b) => {
      let c: number;
      if (!alpha) c = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.e, b.e);
      else if (a.cmp === undefined || b.cmp === undefined)
        c = a.cmp === b.cmp ? 0 : a.cmp === undefined ? -1 : 1;
      else c = compareBytes(a.cmp, b.cmp);
      return req.desc ? -c : c;
    });
    elements = keyed.map((x) => x.e);
  }
  const offset = Math.max(0, req.limit?.offset ?? 0);
  const count = req.limit === undefined || req.limit.count < 0 ? elements.length : req.limit.count;
  const picked = elements.slice(offset, offset + count);
  const out: (string | undefined)[] =
    req.get.length === 0 ? picked : picked.flatMap((e) => req.get.map((p) => lookupPattern(tx, req, p, e)));
  if (req.store === undefined) return out;
  tx.deleteKey(req.store, "sort");
  if (out.length > 0)
    push(
      tx,
      req.store,
      "right",
      out.map((v) => v ?? ""),
      "sort",
    );
  return out.length;
}
