/**
 * ZUNION/ZINTER/ZDIFF and their *STORE forms, and ZRANGESTORE (Redis 7.0, redis.io/commands/zunionstore,
 * /zinterstore, /zdiffstore, /zrangestore) as pure operations. Inputs may be sorted sets or plain sets
 * (every member scoring 1); an absent key is empty; any other type is WRONGTYPE, checked for every key
 * before the options are (Redis parses WEIGHTS/AGGREGATE after its key lookups). Each input's score is
 * multiplied by its weight and combined in input order with SUM (default), MIN or MAX; a NaN product
 * (0 · inf) or sum (inf + -inf) is 0, as in Redis.
 * A destination is replaced in O(1): its new contents take a new generation, the old elements are left
 * to merges (src/types/encoding.ts); an empty result deletes it.
 * Costs: a union reads every input; an intersection reads its smallest input and looks the others up
 * member by member; a difference reads its first input and looks its members up in the others.
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError, WrongTypeError } from "../errors.js";
import { TAG } from "./encoding.js";
import type { Txn } from "./txn.js";
import { allEntries, checkMembers, putMember, refOf, scoreOf, type ZEntry, zsetOf } from "./zset-index.js";
import { type RangeQuery, zrange } from "./zset-ops.js";

/** The combining operations. */
export type SetOp = "union" | "inter" | "diff";

/** WEIGHTS (one per key), AGGREGATE, and an argument error found while parsing, thrown after type checks. */
export interface CombineOptions {
  readonly weights?: readonly number[];
  readonly aggregate?: "sum" | "min" | "max";
  /** Redis's reply text of an option error (WEIGHTS not a float, a syntax error) to raise after the keys. */
  readonly deferred?: string;
}

/** One input, read lazily: its size, point lookups and (when needed) every entry. */
interface Input {
  readonly size: number;
  score(member: string): number | undefined;
  entries(): ZEntry[];
}

const EMPTY: Input = { size: 0, score: () => undefined, entries: () => [] };

/** The input at `k`. @throws WrongTypeError unless it is a zset, a set or absent. */
function inputOf(tx: Txn, k: KeyString): Input {
  const type = tx.typeOf(k);
  if (type === undefined) return EMPTY;
  if (type === "set") {
    const s = tx.collection(k, "set");
    if (s === undefined) return EMPTY;
    const prefix = tx.prefix(k, s.meta, TAG.set);
    return {
      size: s.meta.n,
      score: (m) => (tx.element(prefix, m) === undefined ? undefined : 1),
      entries: () => tx.elements(prefix, s.meta.n).map(([m]): ZEntry => [m, 1]),
    };
  }
  if (type !== "zset") throw new WrongTypeError(type, "zset");
  const z = zsetOf(tx, k);
  if (z === undefined) return EMPTY;
  return { size: z.meta.n, score: (m) => scoreOf(tx, z, m), entries: () => allEntries(tx, z) };
}

/** Combines the score so far with the next; MIN/MAX keep the first of equals (0 and -0 included). */
function aggregate(how: "sum" | "min" | "max", a: number, b: number): number {
  if (how === "min") return b < a ? b : a;
  if (how === "max") return b > a ? b : a;
  const sum = a + b;
  return Number.isNaN(sum) ? 0 : sum;
}

/** Redis's order: score, then member bytes. */
function sorted(scores: Map<string, number>): ZEntry[] {
  return [...scores].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * ZUNION / ZINTER / ZDIFF: the combined entries in sorted-set order.
 * @throws DataTypeError (no keys, a deferred option error, WEIGHTS count or ZDIFF options: syntax, a NaN
 *   weight: "ERR weight value is not a float"); WrongTypeError.
 */
export function zcombine(tx: Txn, op: SetOp, keys: readonly KeyString[], opts: CombineOptions): ZEntry[] {
  if (keys.length === 0) {
    throw new DataTypeError("FUSEDB_SYNTAX", `ERR at least 1 input key is needed for 'z${op}store' command`);
  }
  const inputs = keys.map((k) => inputOf(tx, k));
  if (opts.deferred !== undefined) throw new DataTypeError("FUSEDB_SYNTAX", opts.deferred);
  const { weights } = opts;
  if (op === "diff" && (weights !== undefined || opts.aggregate !== undefined)) {
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
  }
  if (weights !== undefined && weights.length !== keys.length) {
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
  }
  if (weights?.some((w) => Number.isNaN(w))) {
    throw new DataTypeError("FUSEDB_NOT_FLOAT", "ERR weight value is not a float");
  }
  const [first, ...rest] = inputs as [Input, ...Input[]];
  const out = new Map<string, number>();
  if (op === "diff") {
    for (const [m, s] of first.entries()) if (rest.every((r) => r.score(m) === undefined)) out.set(m, s);
    return sorted(out);
  }
  const how = opts.aggregate ?? "sum";
  // As Redis 7.0.15 (t_zset.c): inputs ordered from the smallest to the largest (glibc's qsort is a merge
  // sort: equal sizes keep their order). The order decides which of 0 and -0 MIN/MAX keeps and where a NaN
  // (0 x +-inf) is cut to 0: every weighted score of a union, only the first input's of an intersection
  // (a later product goes to the aggregate as it is: a NaN sum becomes 0, MIN/MAX keep the score so far).
  const order = inputs.map((input, i) => ({ input, weight: weights?.[i] ?? 1 }));
  order.sort((a, b) => a.input.size - b.input.size);
  if (op === "union") {
    for (const { input, weight } of order) {
      for (const [m, s] of input.entries()) {
        let weighted = weight * s;
        if (Number.isNaN(weighted)) weighted = 0;
        const prior = out.get(m);
        out.set(m, prior === undefined ? weighted : aggregate(how, prior, weighted));
      }
    }
    return sorted(out);
  }
  const [head, ...others] = order as [(typeof order)[0], ...typeof order];
  for (const [m, s] of head.input.entries()) {
    let score = head.weight * s;
    if (Number.isNaN(score)) score = 0;
    let inAll = true;
    for (const { input, weight } of others) {
      const v = input.score(m);
      if (v === undefined) {
        inAll = false;
        break;
      }
      score = aggregate(how, score, v * weight);
    }
    if (inAll) out.set(m, score);
  }
  return sorted(out);
}

/**
 * Replaces `dest` with `entries` (a new generation, no TTL), or deletes it when there are none; the size.
 * `entries` must be read before (a source may be the destination).
 */
export function storeEntries(tx: Txn, dest: KeyString, entries: readonly ZEntry[], op: string): number {
  if (entries.length === 0) {
    tx.deleteKey(dest, "del");
    return 0;
  }
  checkMembers(
    dest,
    entries.map(([m]) => m),
  );
  const z = refOf(tx, dest, { g: tx.newGeneration(), n: entries.length });
  for (const [m, s] of entries) putMember(tx, z, m, s, undefined);
  tx.putTyped(dest, "zset", { g: z.meta.g, n: entries.length }, op, { keepTtl: false });
  return entries.length;
}

/** ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: the result's size. @throws as {@link zcombine}. */
export function zstore(
  tx: Txn,
  op: SetOp,
  dest: KeyString,
  keys: readonly KeyString[],
  opts: CombineOptions,
): number {
  return storeEntries(tx, dest, zcombine(tx, op, keys, opts), `z${op}store`);
}

/** ZRANGESTORE: stores the selection of `q` over `src` at `dest`; its size. @throws WrongTypeError. */
export function zrangestore(tx: Txn, dest: KeyString, src: KeyString, q: RangeQuery): number {
  return storeEntries(tx, dest, zrange(tx, src, q), "zrangestore");
}

/**
 * ZINTERCARD: the size of the intersection of `keys`, counting stops at `limit` (0: no limit). Reads the
 * smallest input and looks its members up in the others, until `limit`.
 * @throws DataTypeError (`deferred`: an option error found while parsing, raised after the type checks);
 *   WrongTypeError.
 */
export function zintercard(tx: Txn, keys: readonly KeyString[], limit: number, deferred?: string): number {
  const inputs = keys.map((k) => inputOf(tx, k));
  if (deferred !== undefined) throw new DataTypeError("FUSEDB_SYNTAX", deferred);
  if (limit < 0) throw new DataTypeError("FUSEDB_OUT_OF_RANGE", "ERR LIMIT can't be negative");
  if (inputs.length === 0) return 0;
  const smallest = inputs.reduce((a, b) => (b.size < a.size ? b : a));
  let n = 0;
  for (const [m] of smallest.entries()) {
    if (inputs.every((input) => input === smallest || input.score(m) !== undefined)) n++;
    if (limit > 0 && n === limit) break;
  }
  return n;
}
