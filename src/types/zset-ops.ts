/**
 * Sorted-set operations (Redis 7.0 semantics, redis.io/commands/?group=sorted-set) as pure operations over
 * a {@link Txn}: each validates everything before its first write, and a set whose last member goes no
 * longer exists. Storage and costs: src/types/zset-index.ts. The server's commands and the library's
 * methods (src/types/zsets.ts) call these; several compose into one atomic call (`db.zsets.atomic`).
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { scoreFromJson } from "./encoding.js";
import { type ScanPage, scanCursor } from "./scan-cursor.js";
import type { LexBound, ScoreBound } from "./score.js";
import type { Txn } from "./txn.js";
import {
  allEntries,
  byLex,
  byRank,
  byScore,
  checkMembers,
  dropAll,
  type Limit,
  putMember,
  rankOf,
  refOf,
  scoreOf,
  type ZEntry,
  zsetOf,
} from "./zset-index.js";

/** ZADD's flags (redis.io/commands/zadd). */
export interface ZAddFlags {
  readonly nx?: boolean;
  readonly xx?: boolean;
  readonly gt?: boolean;
  readonly lt?: boolean;
  readonly ch?: boolean;
  readonly incr?: boolean;
}

/** Redis's reply texts of the sorted-set errors. */
export const ZMSG = {
  xxNx: "ERR XX and NX options at the same time are not compatible",
  gtLtNx: "ERR GT, LT, and/or NX options at the same time are not compatible",
  incrPair: "ERR INCR option supports a single increment-element pair",
  notFloat: "ERR value is not a valid float",
  nan: "ERR resulting score is not a number (NaN)",
  limitNeedsBy: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
  withScoresLex: "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
  mustBePositive: "ERR value is out of range, must be positive",
  syntax: "ERR syntax error",
} as const;

/**
 * Checks ZADD's flags and scores in Redis 7.0's order: NX with XX, then GT/LT/NX, then INCR with several
 * pairs, then the scores (NaN: not a valid float). @throws DataTypeError.
 */
export function checkZAdd(pairs: readonly (readonly [number, string])[], flags: ZAddFlags): void {
  if (pairs.length === 0) throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.syntax);
  if (flags.nx && flags.xx) throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.xxNx);
  if ((flags.gt || flags.lt) && (flags.nx || (flags.gt && flags.lt))) {
    throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.gtLtNx);
  }
  if (flags.incr && pairs.length > 1) throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.incrPair);
  for (const [s] of pairs) if (Number.isNaN(s)) throw new DataTypeError("FUSEDB_NOT_FLOAT", ZMSG.notFloat);
}

/**
 * ZADD: NX only adds, XX only updates, GT/LT only update to a greater/lesser score (never stopping an add),
 * CH counts changed members too. Returns the added (with CH: added + changed) count, or with INCR the new
 * score, null when a flag blocked it. A moved member's old index entry goes in the same record.
 * @throws DataTypeError (flags, NaN score, "ERR resulting score is not a number (NaN)"); WrongTypeError.
 */
export function zadd(
  tx: Txn,
  k: KeyString,
  pairs: readonly (readonly [number, string])[],
  flags: ZAddFlags,
  op = flags.incr ? "zincr" : "zadd",
): number | null {
  checkZAdd(pairs, flags);
  checkMembers(
    k,
    pairs.map(([, m]) => m),
  );
  const found = zsetOf(tx, k);
  if (found === undefined && flags.xx) return flags.incr ? null : 0;
  const z = found ?? refOf(tx, k, { g: tx.newGeneration(), n: 0 });
  let added = 0;
  let changed = 0;
  let result: number | null = null;
  for (const [score, member] of pairs) {
    const cur = scoreOf(tx, z, member);
    if (cur === undefined) {
      if (flags.xx) continue;
      putMember(tx, z, member, score, undefined);
      added++;
      result = score;
      continue;
    }
    if (flags.nx) continue;
    const next = flags.incr ? cur + score : score;
    if (Number.isNaN(next)) throw new DataTypeError("FUSEDB_NAN", ZMSG.nan);
    if ((flags.gt && next <= cur) || (flags.lt && next >= cur)) continue;
    result = next;
    if (next === cur) continue;
    putMember(tx, z, member, next, cur);
    changed++;
  }
  if (added + changed > 0) tx.putTyped(k, "zset", { g: z.meta.g, n: z.meta.n + added }, op);
  if (flags.incr) return result;
  return flags.ch ? added + changed : added;
}

/** ZINCRBY: adds `incr` to the member's score (0 if absent); the new score. @throws as {@link zadd}. */
export function zincrby(tx: Txn, k: KeyString, incr: number, member: string): number {
  return zadd(tx, k, [[incr, member]], { incr: true }) as number;
}

/** ZREM: removes members; how many existed. */
export function zrem(tx: Txn, k: KeyString, members: readonly string[]): number {
  const z = zsetOf(tx, k);
  if (z === undefined) return 0;
  const doomed: ZEntry[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    const s = seen.has(m) ? undefined : scoreOf(tx, z, m);
    seen.add(m);
    if (s !== undefined) doomed.push([m, s]);
  }
  return dropAll(tx, z, doomed, "zrem");
}

/** ZSCORE: the member's score, or undefined. */
export function zscore(tx: Txn, k: KeyString, member: string): number | undefined {
  const z = zsetOf(tx, k);
  return z === undefined ? undefined : scoreOf(tx, z, member);
}

/** ZCARD: members (0 for a missing key). */
export function zcard(tx: Txn, k: KeyString): number {
  return zsetOf(tx, k)?.meta.n ?? 0;
}

/** A range of ZRANGE and its family: by rank (indexes), by score or by lex (bounds low to high). */
export type RangeSpec =
  | { readonly by: "rank"; readonly start: number; readonly stop: number }
  | { readonly by: "score"; readonly min: ScoreBound; readonly max: ScoreBound }
  | { readonly by: "lex"; readonly min: LexBound; readonly max: LexBound };

/** A ZRANGE query: its range, REV (descending), LIMIT (BYSCORE/BYLEX only). */
export interface RangeQuery {
  readonly spec: RangeSpec;
  readonly rev?: boolean;
  readonly limit?: Limit;
}

/**
 * Redis 7.0's checks of ZRANGE's options: LIMIT (with a count other than -1) needs BYSCORE or BYLEX;
 * WITHSCORES does not go with BYLEX. @throws DataTypeError FUSEDB_SYNTAX.
 */
export function checkRangeOptions(by: RangeSpec["by"], limit: Limit | undefined, withScores: boolean): void {
  if (limit !== undefined && limit.count !== -1 && by === "rank") {
    throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.limitNeedsBy);
  }
  if (withScores && by === "lex") throw new DataTypeError("FUSEDB_SYNTAX", ZMSG.withScoresLex);
}

/** The entries a query selects from the set at `k` ([] when absent), in reply order. */
export function zrange(tx: Txn, k: KeyString, q: RangeQuery): ZEntry[] {
  const z = zsetOf(tx, k);
  if (z === undefined) return [];
  const { spec } = q;
  const rev = q.rev === true;
  if (spec.by === "rank") return byRank(tx, z, spec.start, spec.stop, rev);
  if (spec.by === "score") return byScore(tx, z, spec.min, spec.max, rev, q.limit);
  return byLex(tx, z, spec.min, spec.max, rev, q.limit);
}

/** ZCOUNT: members with scores within [min, max]; O(count). */
export function zcount(tx: Txn, k: KeyString, min: ScoreBound, max: ScoreBound): number {
  return zrange(tx, k, { spec: { by: "score", min, max } }).length;
}

/** ZLEXCOUNT: members within the lex range [min, max]. */
export function zlexcount(tx: Txn, k: KeyString, min: LexBound, max: LexBound): number {
  return zrange(tx, k, { spec: { by: "lex", min, max } }).length;
}

/** ZRANK (ZREVRANK with `rev`): the member's 0-based rank, or undefined; O(rank). */
export function zrank(tx: Txn, k: KeyString, member: string, rev: boolean): number | undefined {
  const z = zsetOf(tx, k);
  if (z === undefined) return undefined;
  const s = scoreOf(tx, z, member);
  return s === undefined ? undefined : rankOf(tx, z, member, s, rev);
}

/** ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX: removes the range; how many. */
export function zremrange(tx: Txn, k: KeyString, spec: RangeSpec): number {
  const z = zsetOf(tx, k);
  if (z === undefined) return 0;
  return dropAll(tx, z, zrange(tx, k, { spec }), `zremrangeby${spec.by}`);
}

/**
 * ZPOPMIN / ZPOPMAX: removes and returns up to `count` (default 1) members from the low or high end.
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE for a negative count (before the key is read).
 */
export function zpop(tx: Txn, k: KeyString, end: "min" | "max", count?: number): ZEntry[] {
  if (count !== undefined && count < 0) throw new DataTypeError("FUSEDB_OUT_OF_RANGE", ZMSG.mustBePositive);
  const z = zsetOf(tx, k);
  if (z === undefined || count === 0) return [];
  const n = Math.min(count ?? 1, z.meta.n);
  const popped = byRank(tx, z, 0, n - 1, end === "max");
  dropAll(tx, z, popped, `zpop${end}`);
  return popped;
}

/** Most members a negative ZRANDMEMBER count may ask for (Redis has no bound; this keeps loops bounded). */
export const RANDOM_REPEATS_MAX = 10_000_000;

/**
 * ZRANDMEMBER: without `count`, one random member (or undefined); with it, Redis's rule: 0 → none, positive →
 * that many distinct members (the whole set when it has no more), negative → |count| draws with repeats.
 * Draws come from the call's deterministic source ({@link Txn.randomInt}: its LSN, time and call counter).
 * Cost: one rank read without a count (O(min(r, n - r))); the whole set with one.
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE for |count| above {@link RANDOM_REPEATS_MAX} repeats.
 */
export function zrandmember(tx: Txn, k: KeyString, count?: number): ZEntry[] | ZEntry | undefined {
  if (count !== undefined && -count > RANDOM_REPEATS_MAX) {
    throw new DataTypeError("FUSEDB_OUT_OF_RANGE", "ERR value is out of range");
  }
  const z = zsetOf(tx, k);
  if (z === undefined) return count === undefined ? undefined : [];
  const n = z.meta.n;
  if (count === undefined) {
    const r = tx.draw(n);
    return byRank(tx, z, r, r, false)[0];
  }
  if (count === 0) return [];
  const all = allEntries(tx, z);
  if (count < 0) return Array.from({ length: -count }, () => all[tx.draw(n)] as ZEntry);
  if (count >= n) return all;
  // Partial Fisher-Yates: the first `count` of a random permutation.
  for (let i = 0; i < count; i++) {
    const j = i + tx.draw(n - i);
    [all[i], all[j]] = [all[j] as ZEntry, all[i] as ZEntry];
  }
  return all.slice(0, count);
}

/**
 * ZSCAN: a page of [member, score] after `cursor` in member order (src/types/scan-cursor.ts): every member
 * present for the whole scan is returned exactly once.
 */
export function zscan(
  tx: Txn,
  k: KeyString,
  cursor: string,
  options: { match?: string | Uint8Array; count?: number },
): ScanPage<ZEntry> {
  const z = zsetOf(tx, k);
  return scanCursor(tx, z?.mp, cursor, options, (sub, v) => [sub, scoreFromJson(v)]);
}

/**
 * ZMPOP: pops up to `count` members from the first of `keys` that holds a sorted set (keys after it are
 * not looked at, as in Redis); its key and the popped entries, or undefined when every key is absent.
 * @throws WrongTypeError when the first live key is not a sorted set.
 */
export function zmpop(
  tx: Txn,
  keys: readonly KeyString[],
  end: "min" | "max",
  count: number,
): { key: KeyString; popped: ZEntry[] } | undefined {
  for (const k of keys) {
    if (zsetOf(tx, k) === undefined) continue;
    return { key: k, popped: zpop(tx, k, end, count) };
  }
  return undefined;
}

/**
 * The try of a blocking pop over `keys` (BZPOPMIN/BZPOPMAX: `count` 1; BZMPOP: its COUNT), for
 * src/types/pop-waiters.ts: {@link zpop} on `keys[index]`. @throws WrongTypeError.
 */
export function zpopTake(
  keys: readonly KeyString[],
  end: "min" | "max",
  count: number,
): (tx: Txn, index: number) => { value: ZEntry[]; left: number } | undefined {
  return (tx, index) => {
    const k = keys[index] as KeyString;
    const z = zsetOf(tx, k);
    if (z === undefined) return undefined;
    const value = zpop(tx, k, end, count);
    return { value, left: z.meta.n - value.length };
  };
}
