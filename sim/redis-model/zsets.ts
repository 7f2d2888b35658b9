/**
 * Sorted-set commands of the Redis reference model (redis.io/commands/?group=sorted-set), Redis 7.0
 * semantics. Scores are IEEE doubles (never NaN); the order is zset-ranges.ts's. Range arguments are the
 * command's text so that Redis's parse errors are part of the model.
 */

import { fail, MSG } from "./errors.js";
import { globMatch } from "./glob.js";
import { checkRandomCount, randomPick } from "./hashes.js";
import type { ByteString, RandomSource, RedisKeyspace } from "./keyspace.js";
import { normalizeRange } from "./lists.js";
import {
  inScoreRange,
  lexWalk,
  parseLexBound,
  parseScoreBound,
  selectRange,
  type ZEntry,
  type ZRangeOptions,
  zsorted,
} from "./zset-ranges.js";

const fresh = () => ({ type: "zset" as const, scores: new Map<ByteString, number>() });

/** ZADD flags (redis.io/commands/zadd). */
export interface ZAddOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  ch?: boolean;
  incr?: boolean;
}

/**
 * Checks ZADD's flags and scores in Redis 7.0's order of complaints: NX+XX, then GT/LT/NX, then INCR with
 * several pairs, then the scores (real Redis 7.0.15 answers `ZADD k NX GT INCR 1 a 2 b` with the GT/LT/NX
 * error).
 */
function checkZAdd(pairs: [number, ByteString][], opts: ZAddOptions): void {
  if (pairs.length === 0) fail("ERR wrong number of arguments for 'zadd' command");
  if (opts.nx && opts.xx) fail(MSG.zaddXxNx);
  if ((opts.gt && opts.nx) || (opts.lt && opts.nx) || (opts.gt && opts.lt)) fail(MSG.zaddGtLtNx);
  if (opts.incr && pairs.length > 1) fail(MSG.zaddIncrPair);
  if (pairs.some(([s]) => Number.isNaN(s))) fail(MSG.notFloat);
}

/**
 * The score as a small sorted set keeps it: Redis 7.0's listpack encoding writes an integral score as an
 * integer, so -0 is stored (and later read back) as 0, while ZINCRBY/ZADD INCR still reply "-0" (real Redis
 * 7.0.15 answers so). The model follows this small encoding; a skiplist-encoded set would keep -0.
 */
export function storedScore(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * ZADD: NX only adds, XX only updates, GT/LT only update when the new score is greater/less (they never
 * stop a new member being added), CH counts changed scores too, INCR adds to the score and returns the new
 * one (null when a flag prevented it; "ERR resulting score is not a number (NaN)" for inf + -inf).
 * Returns the number of added (or, with CH, added + changed) members otherwise.
 */
export function zadd(
  ks: RedisKeyspace,
  key: string,
  pairs: [score: number, member: ByteString][],
  opts: ZAddOptions,
  nowMs: number,
): number | null {
  return zaddCounted(ks, key, pairs, opts, nowMs).reply;
}

/**
 * {@link zadd}, also saying how many members it added and how many score changes it made, pair by pair (a
 * member named twice may change twice, even back to its old score). Redis signals the key modified (a new
 * version, a keyspace event) when added + updated > 0 (redis.io/commands/zadd: CH counts the same changes),
 * even if the set ends as it began.
 */
export function zaddCounted(
  ks: RedisKeyspace,
  key: string,
  pairs: [score: number, member: ByteString][],
  opts: ZAddOptions,
  nowMs: number,
): { reply: number | null; added: number; changed: number } {
  checkZAdd(pairs, opts);
  const existing = ks.get(key, "zset", nowMs);
  if (!existing && opts.xx) return { reply: opts.incr ? null : 0, added: 0, changed: 0 };
  const z = existing ?? ks.getOrCreate(key, "zset", nowMs, fresh);
  let added = 0;
  let changed = 0;
  let incrResult: number | null = null;
  for (const [score, member] of pairs) {
    const cur = z.scores.get(member);
    if (cur === undefined) {
      if (opts.xx) continue;
      z.scores.set(member, storedScore(score));
      added++;
      incrResult = score;
      continue;
    }
    if (opts.nx) continue;
    const next = opts.incr ? cur + score : score;
    if (Number.isNaN(next)) fail(MSG.scoreNan);
    if ((opts.gt && next <= cur) || (opts.lt && next >= cur)) continue;
    incrResult = next;
    if (next !== cur) {
      z.scores.set(member, storedScore(next));
      changed++;
    }
  }
  ks.settle(key);
  const reply = opts.incr ? incrResult : opts.ch ? added + changed : added;
  return { reply, added, changed };
}

/** ZINCRBY: ZADD INCR without flags; returns the new score. */
export function zincrby(
  ks: RedisKeyspace,
  key: string,
  incr: number,
  member: ByteString,
  nowMs: number,
): number {
  return zadd(ks, key, [[incr, member]], { incr: true }, nowMs) ?? fail(MSG.scoreNan);
}

/** ZREM: returns how many members existed; deletes the key when it empties. */
export function zrem(ks: RedisKeyspace, key: string, members: ByteString[], nowMs: number): number {
  const z = ks.get(key, "zset", nowMs);
  if (!z) return 0;
  let n = 0;
  for (const m of members) if (z.scores.delete(m)) n++;
  ks.settle(key);
  return n;
}

/** ZSCORE: the score or null. */
export function zscore(ks: RedisKeyspace, key: string, member: ByteString, nowMs: number): number | null {
  return ks.get(key, "zset", nowMs)?.scores.get(member) ?? null;
}

/** ZMSCORE. */
export function zmscore(
  ks: RedisKeyspace,
  key: string,
  members: ByteString[],
  nowMs: number,
): (number | null)[] {
  const z = ks.get(key, "zset", nowMs);
  return members.map((m) => z?.scores.get(m) ?? null);
}

/** ZCARD. */
export function zcard(ks: RedisKeyspace, key: string, nowMs: number): number {
  return ks.get(key, "zset", nowMs)?.scores.size ?? 0;
}

/** The key's entries in order ([] when absent). */
export function zentries(ks: RedisKeyspace, key: string, nowMs: number): ZEntry[] {
  const z = ks.get(key, "zset", nowMs);
  return z ? zsorted(z.scores) : [];
}

/**
 * The entries of a sorted set (ascending) within [min, max]: by score (`min`/`max` as in ZRANGE BYSCORE) or
 * by member bytes (as in BYLEX, found as Redis finds them: {@link lexWalk}). The bounds parse here: call it
 * before the key is looked at, as Redis checks the bounds first.
 */
function between(by: "score" | "lex", min: string, max: string): (sorted: ZEntry[]) => ZEntry[] {
  if (by === "score") {
    const [lo, hi] = [parseScoreBound(min), parseScoreBound(max)];
    return (sorted) => sorted.filter(([, s]) => inScoreRange(s, lo, hi));
  }
  const [lo, hi] = [parseLexBound(min), parseLexBound(max)];
  return (sorted) => lexWalk(sorted, lo, hi, false);
}

/** ZCOUNT: members with scores in [min, max] (bound text as in ZRANGE BYSCORE). */
export function zcount(ks: RedisKeyspace, key: string, min: string, max: string, nowMs: number): number {
  const inRange = between("score", min, max);
  return inRange(zentries(ks, key, nowMs)).length;
}

/** ZLEXCOUNT: members in the lex range [min, max]. */
export function zlexcount(ks: RedisKeyspace, key: string, min: string, max: string, nowMs: number): number {
  const inRange = between("lex", min, max);
  return inRange(zentries(ks, key, nowMs)).length;
}

/** ZRANGE (see selectRange): members, or [member, score] pairs with WITHSCORES. Bounds parse first. */
export function zrange(
  ks: RedisKeyspace,
  key: string,
  start: string,
  stop: string,
  opts: ZRangeOptions,
  nowMs: number,
): ByteString[] | ZEntry[] {
  selectRange([], start, stop, opts);
  const picked = selectRange(zentries(ks, key, nowMs), start, stop, opts);
  return opts.withScores ? picked : picked.map(([m]) => m);
}

/** ZRANGESTORE: stores ZRANGE's selection at `destination` (deleted when empty); returns its size. */
export function zrangestore(
  ks: RedisKeyspace,
  destination: string,
  source: string,
  start: string,
  stop: string,
  opts: Omit<ZRangeOptions, "withScores">,
  nowMs: number,
): number {
  selectRange([], start, stop, opts);
  const picked = selectRange(zentries(ks, source, nowMs), start, stop, opts);
  ks.delete(destination, nowMs);
  if (picked.length > 0) ks.put(destination, { type: "zset", scores: new Map(picked) }, nowMs);
  return picked.length;
}

/** ZRANK (ascending) / ZREVRANK (`rev`): the member's 0-based rank or null. */
export function zrank(
  ks: RedisKeyspace,
  key: string,
  member: ByteString,
  rev: boolean,
  nowMs: number,
): number | null {
  const entries = zentries(ks, key, nowMs);
  const i = entries.findIndex(([m]) => m === member);
  if (i < 0) return null;
  return rev ? entries.length - 1 - i : i;
}

/** Removes `doomed` members; returns how many. */
function removeAll(ks: RedisKeyspace, key: string, doomed: ZEntry[], nowMs: number): number {
  return zrem(
    ks,
    key,
    doomed.map(([m]) => m),
    nowMs,
  );
}

/** ZREMRANGEBYRANK with LRANGE's index rules. */
export function zremrangebyrank(
  ks: RedisKeyspace,
  key: string,
  start: number,
  stop: number,
  nowMs: number,
): number {
  const entries = zentries(ks, key, nowMs);
  const r = normalizeRange(start, stop, entries.length);
  return r ? removeAll(ks, key, entries.slice(r[0], r[1] + 1), nowMs) : 0;
}

/**
 * ZREMRANGEBYSCORE (`by` "score") / ZREMRANGEBYLEX ("lex"): removes the entries in [min, max] (bound text as
 * in ZRANGE BYSCORE / BYLEX); returns how many. Deletes the key when it empties.
 */
export function zremrangeby(
  ks: RedisKeyspace,
  key: string,
  by: "score" | "lex",
  min: string,
  max: string,
  nowMs: number,
): number {
  const inRange = between(by, min, max);
  return removeAll(ks, key, inRange(zentries(ks, key, nowMs)), nowMs);
}

/** ZPOPMIN/ZPOPMAX: up to `count` (default 1; negative is an error) entries from the low/high end. */
export function zpop(
  ks: RedisKeyspace,
  key: string,
  end: "min" | "max",
  count: number | undefined,
  nowMs: number,
): ZEntry[] {
  if (count !== undefined && count < 0) fail(MSG.mustBePositive);
  const entries = zentries(ks, key, nowMs);
  if (end === "max") entries.reverse();
  const popped = entries.slice(0, count ?? 1);
  removeAll(ks, key, popped, nowMs);
  return popped;
}

/** ZRANDMEMBER: no count → one member or null; a count follows HRANDFIELD's rule and returns entries. */
export function zrandmember(
  ks: RedisKeyspace,
  key: string,
  count: number | undefined,
  rng: RandomSource,
  nowMs: number,
): ZEntry[] | ByteString | null {
  checkRandomCount(count);
  const entries = zentries(ks, key, nowMs);
  if (count === undefined)
    return entries.length === 0 ? null : (entries[rng.int(entries.length)]?.[0] ?? null);
  return randomPick(entries, count, rng);
}

/** ZSCAN as one full pass (see hscan in hashes.ts). */
export function zscan(ks: RedisKeyspace, key: string, match: string | undefined, nowMs: number): ZEntry[] {
  return zentries(ks, key, nowMs).filter(([m]) => match === undefined || globMatch(match, m));
}
