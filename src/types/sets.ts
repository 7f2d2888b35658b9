/**
 * Sets (Redis 7.0 semantics, redis.io/commands/?group=set): metadata (generation, member count) under the
 * key and one internal entry per member (src/types/encoding.ts), so SADD, SREM, SISMEMBER and SMOVE touch
 * only the members named, and SCARD reads the metadata alone. Members come back in bytewise order.
 *
 * Random choices (SPOP, SRANDMEMBER) draw uniformly from the whole set when it has at most
 * RANDOM_UNIFORM_ELEMENTS_MAX members, else from a bounded window at a random point (src/types/random-draw.ts;
 * Redis is uniform over its hash table buckets, itself not exactly uniform). The source of the randomness is
 * the call's own deterministic one (Txn.draw), so the simulator replays it exactly.
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { TAG } from "./encoding.js";
import { checkDraws, drawFrom, drawPool, txRandom } from "./random-draw.js";
import type { Collection, Txn } from "./txn.js";

/** Members of one set read at a time by whole-set operations. */
const MEMBERS_MAX = 1_000_000;

/** The member prefix of a live set. */
export function membersOf(tx: Txn, k: KeyString, s: Collection): KeyString {
  return tx.prefix(k, s.meta, TAG.set);
}

/** Every member of the set at `k` (none if missing), bytewise order. @throws WrongTypeError, NeedRead. */
export function members(tx: Txn, k: KeyString): string[] {
  const s = tx.collection(k, "set");
  if (s === undefined) return [];
  return tx.elements(membersOf(tx, k, s), Math.min(s.meta.n, MEMBERS_MAX)).map(([m]) => m);
}

/** Whether `member` is in the set at `k`. @throws WrongTypeError. */
export function isMember(tx: Txn, k: KeyString, member: string): boolean {
  const s = tx.collection(k, "set");
  return s !== undefined && tx.element(membersOf(tx, k, s), member) !== undefined;
}

/** SADD: adds members; how many were new. @throws WrongTypeError. */
export function sadd(tx: Txn, k: KeyString, items: readonly string[], op = "sadd"): number {
  const s = tx.collection(k, "set");
  const meta = s?.meta ?? { g: tx.newGeneration(), n: 0 };
  const prefix = tx.prefix(k, meta, TAG.set);
  let added = 0;
  const seen = new Set<string>();
  for (const m of items) {
    if (seen.has(m)) continue;
    seen.add(m);
    if (tx.element(prefix, m) !== undefined) continue;
    tx.putElement(prefix, m, null);
    added++;
  }
  if (added > 0) tx.putTyped(k, "set", { g: meta.g, n: meta.n + added }, op);
  return added;
}

/** SREM: removes members; how many existed. The set goes when it empties. @throws WrongTypeError. */
export function srem(tx: Txn, k: KeyString, items: readonly string[], op = "srem"): number {
  const s = tx.collection(k, "set");
  if (s === undefined) return 0;
  const prefix = membersOf(tx, k, s);
  let removed = 0;
  for (const m of items) {
    if (tx.element(prefix, m) === undefined) continue;
    tx.putElement(prefix, m, undefined);
    removed++;
  }
  if (removed === 0) return 0;
  const n = s.meta.n - removed;
  if (n === 0) tx.deleteKey(k, op);
  else tx.putTyped(k, "set", { g: s.meta.g, n }, op);
  return removed;
}

/**
 * `count` distinct random members of the set at `k` (all if it has no more), or with `repeat` exactly
 * `count` picks that may repeat (see src/types/random-draw.ts: uniform on sets of up to
 * RANDOM_UNIFORM_ELEMENTS_MAX members). @throws WrongTypeError; DataTypeError FUSEDB_OUT_OF_RANGE for more
 * than RANDOM_DRAWS_MAX repeating picks.
 */
export function randomMembers(tx: Txn, k: KeyString, count: number, repeat: boolean): string[] {
  const s = tx.collection(k, "set");
  if (s === undefined || count === 0) return [];
  const prefix = membersOf(tx, k, s);
  if (!repeat && count >= s.meta.n) return tx.elements(prefix, s.meta.n).map(([m]) => m);
  const signed = repeat ? -count : count;
  checkDraws(signed);
  const rng = txRandom(tx);
  const pool = drawPool(tx, prefix, s.meta.n, count, rng).map(([m]) => m);
  return drawFrom(pool, signed, rng);
}

/** SPOP: removes and returns up to `count` random members. @throws WrongTypeError. */
export function spop(tx: Txn, k: KeyString, count: number): string[] {
  const popped = randomMembers(tx, k, count, false);
  if (popped.length > 0) srem(tx, k, popped, "spop");
  return popped;
}

/**
 * SMOVE: moves `member` from `src` to `dst`; whether it was moved. Both must be sets (or missing).
 * @throws WrongTypeError.
 */
export function smove(tx: Txn, src: KeyString, dst: KeyString, member: string): boolean {
  // A missing source answers before the destination's type is looked at (as Redis 7.0.15 does).
  if (tx.live(src) === undefined) return false;
  const from = tx.collection(src, "set");
  tx.collection(dst, "set"); // WRONGTYPE before any change, even when the member is missing
  if (from === undefined || tx.element(membersOf(tx, src, from), member) === undefined) return false;
  if (src === dst) return true;
  srem(tx, src, [member], "srem");
  sadd(tx, dst, [member], "sadd");
  return true;
}

/** SINTER of the sets at `keys` (a missing key is the empty set), bytewise order. @throws WrongTypeError. */
export function sinter(tx: Txn, keys: readonly KeyString[], limit = 0): string[] {
  const sets = keys.map((k) => tx.collection(k, "set"));
  if (sets.some((s) => s === undefined)) return [];
  // Walk the smallest set; probe the others member by member.
  let smallest = 0;
  sets.forEach((s, i) => {
    if ((s as Collection).meta.n < (sets[smallest] as Collection).meta.n) smallest = i;
  });
  const out: string[] = [];
  for (const m of members(tx, keys[smallest] as KeyString)) {
    if (keys.every((k, i) => i === smallest || isMember(tx, k, m))) out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** SUNION, bytewise order. @throws WrongTypeError. */
export function sunion(tx: Txn, keys: readonly KeyString[]): string[] {
  const all = new Set<string>();
  for (const k of keys) for (const m of members(tx, k)) all.add(m);
  return [...all].sort();
}

/** SDIFF: members of the first set in none of the others, bytewise order. @throws WrongTypeError. */
export function sdiff(tx: Txn, keys: readonly KeyString[]): string[] {
  for (const k of keys) tx.collection(k, "set");
  const [first, ...rest] = keys;
  if (first === undefined) return [];
  return members(tx, first).filter((m) => !rest.some((k) => isMember(tx, k, m)));
}

/**
 * SINTERSTORE/SUNIONSTORE/SDIFFSTORE: `dst` becomes a set of `result` (deleted if empty; whatever it held is
 * replaced in O(1), a new generation). Returns the result's size.
 */
export function storeSet(tx: Txn, dst: KeyString, result: readonly string[], op: string): number {
  tx.deleteKey(dst, op);
  if (result.length > 0) sadd(tx, dst, result, op);
  return result.length;
}

/** SINTERCARD's LIMIT: a non-negative integer (0: no limit). @throws DataTypeError. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR LIMIT can't be negative");
  }
  return limit;
}
