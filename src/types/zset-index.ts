/**
 * A sorted set's two orderings (src/types/encoding.ts): per member one entry under TAG.zsetMember (sub =
 * member, value = scoreJson(score): point reads of a score) and one under TAG.zsetScore (sub =
 * scoreString(score) + member, value null: the (score, member) order every range and rank reads scan).
 * Invariant: both entries exist for every member, with the same score, and metadata `n` counts members.
 *
 * Costs: a score range reads the entries it answers (a seek, then the run); a rank range reads from the
 * nearer end up to its far index (O(min(stop, n - start))); LIMIT reads its offset too; a lex range walks
 * the (score, member) order from its first member (a seek when all scores are equal, as Redis requires for
 * lex ranges). Idea: Kvrocks's score column (redis_zset.cc), whose rank queries also count entries.
 */
import type { KeyString } from "../doc/key.js";
import { InvalidArgumentError } from "../errors.js";
import { readScore, scoreFromJson, scoreJson, scoreString, subBytesMax, TAG } from "./encoding.js";
import { type LexBound, lexAboveMin, lexBelowMax, type ScoreBound, storedScore } from "./score.js";
import type { CollectionMeta, Txn } from "./txn.js";

/** A member (binary string) and its score. */
export type ZEntry = [member: string, score: number];

/** A live (or being created) sorted set: key, metadata and the prefixes of its two orderings. */
export interface ZsetRef {
  readonly k: KeyString;
  readonly meta: CollectionMeta;
  /** Member → score entries. */
  readonly mp: KeyString;
  /** (score, member) index entries. */
  readonly sp: KeyString;
}

/** LIMIT offset count: skip `offset` (negative: nothing), keep `count` (negative: all). */
export interface Limit {
  readonly offset: number;
  readonly count: number;
}

/** Entries one read of a walk takes at a time. */
const WALK_PAGE = 256;

/** The ref of a collection with metadata `meta` at `k`. */
export function refOf(tx: Txn, k: KeyString, meta: CollectionMeta): ZsetRef {
  return { k, meta, mp: tx.prefix(k, meta, TAG.zsetMember), sp: tx.prefix(k, meta, TAG.zsetScore) };
}

/** The live sorted set at `k`, or undefined. @throws WrongTypeError; NeedRead. */
export function zsetOf(tx: Txn, k: KeyString): ZsetRef | undefined {
  const z = tx.collection(k, "zset");
  return z === undefined ? undefined : refOf(tx, k, z.meta);
}

/** A member's score, or undefined. @throws NeedRead. */
export function scoreOf(tx: Txn, z: ZsetRef, member: string): number | undefined {
  const v = tx.element(z.mp, member);
  return v === undefined ? undefined : scoreFromJson(v);
}

/** @throws InvalidArgumentError FUSEDB_KEY_TOO_LARGE if a member cannot be stored under `k`. */
export function checkMembers(k: KeyString, members: readonly string[]): void {
  const max = subBytesMax(k);
  for (const m of members) {
    if (m.length > max) {
      throw new InvalidArgumentError(
        "FUSEDB_KEY_TOO_LARGE",
        `member of ${m.length} bytes is too large for this key (at most ${max})`,
      );
    }
  }
}

/** Writes `member` at `score`, replacing its index entry at `old` if it had one. */
export function putMember(tx: Txn, z: ZsetRef, member: string, score: number, old: number | undefined): void {
  const s = storedScore(score);
  // Broken variant 'stale-zset-index' (sensitivity tests only): the old index entry stays.
  if (old !== undefined && !tx.ctx.staleZsetIndex) tx.putElement(z.sp, scoreString(old) + member, undefined);
  tx.putElement(z.sp, scoreString(s) + member, null);
  tx.putElement(z.mp, member, scoreJson(s));
}

/** Removes `member` (at `score`) from both orderings. */
export function dropMember(tx: Txn, z: ZsetRef, member: string, score: number): void {
  tx.putElement(z.sp, scoreString(score) + member, undefined);
  tx.putElement(z.mp, member, undefined);
}

/** Removes `entries` and writes the metadata (or deletes the key when it empties); how many. */
export function dropAll(tx: Txn, z: ZsetRef, entries: readonly ZEntry[], op: string): number {
  if (entries.length === 0) return 0;
  for (const [m, s] of entries) dropMember(tx, z, m, s);
  const n = z.meta.n - entries.length;
  if (n === 0) tx.deleteKey(z.k, op);
  else tx.putTyped(z.k, "zset", { g: z.meta.g, n }, op);
  return entries.length;
}

/** An index sub as its entry. */
function entryOf(sub: string): ZEntry {
  return [sub.slice(8), readScore(sub, 0)];
}

/** Index entries with subs in [from, to), at most `limit`, ascending or not. @throws NeedRead. */
export function indexRun(
  tx: Txn,
  z: ZsetRef,
  limit: number,
  reverse: boolean,
  from?: string,
  to?: string,
): ZEntry[] {
  if (limit <= 0 || (from !== undefined && to !== undefined && from >= to)) return [];
  return tx.elements(z.sp, limit, reverse, from, to).map(([sub]) => entryOf(sub));
}

/** The 8-byte string after `s` (big-endian + 1), or undefined past the last. */
function after8(s: string): string | undefined {
  const codes = [...s].map((c) => c.charCodeAt(0));
  for (let i = codes.length - 1; i >= 0; i--) {
    if ((codes[i] as number) < 0xff) {
      codes[i] = (codes[i] as number) + 1;
      return String.fromCharCode(...codes);
    }
    codes[i] = 0;
  }
  return undefined;
}

/** The index subs [from, to) holding exactly the scores within `min`..`max`; undefined when empty. */
function scoreSubs(min: ScoreBound, max: ScoreBound): { from: string; to: string | undefined } | undefined {
  const from = min.exclusive ? after8(scoreString(min.value)) : scoreString(min.value);
  const to = max.exclusive ? scoreString(max.value) : after8(scoreString(max.value));
  if (from === undefined || (to !== undefined && from >= to)) return undefined;
  return { from, to };
}

/** How many to read for `limit` (all `n` when none or a negative count). */
function wanted(n: number, limit: Limit | undefined): number {
  if (limit === undefined || limit.count < 0) return n;
  return Math.min(n, limit.offset + limit.count);
}

/** Applies LIMIT's offset to the entries read for it. */
function skip(entries: ZEntry[], limit: Limit | undefined): ZEntry[] {
  if (limit === undefined) return entries;
  if (limit.offset < 0) return [];
  return limit.offset === 0 ? entries : entries.slice(limit.offset);
}

/** Entries with scores in [min, max], ascending (descending with `rev`), LIMIT applied. */
export function byScore(
  tx: Txn,
  z: ZsetRef,
  min: ScoreBound,
  max: ScoreBound,
  rev: boolean,
  limit?: Limit,
): ZEntry[] {
  const subs = scoreSubs(min, max);
  if (subs === undefined || (limit !== undefined && limit.offset < 0)) return [];
  return skip(indexRun(tx, z, wanted(z.meta.n, limit), rev, subs.from, subs.to), limit);
}

/** LRANGE's index rule: [start, stop] within 0..n-1, or undefined when empty. */
export function normalizeRank(start: number, stop: number, n: number): [number, number] | undefined {
  let a = start < 0 ? n + start : start;
  let b = stop < 0 ? n + stop : stop;
  if (a < 0) a = 0;
  if (a > b || a >= n) return undefined;
  if (b >= n) b = n - 1;
  return [a, b];
}

/** Entries at ranks start..stop of the ascending (descending with `rev`) order. */
export function byRank(tx: Txn, z: ZsetRef, start: number, stop: number, rev: boolean): ZEntry[] {
  const n = z.meta.n;
  const r = normalizeRank(start, stop, n);
  if (r === undefined) return [];
  // Ascending positions lo..hi, read from the nearer end.
  const [lo, hi] = rev ? [n - 1 - r[1], n - 1 - r[0]] : r;
  let asc: ZEntry[];
  if (hi + 1 <= n - lo) asc = indexRun(tx, z, hi + 1, false).slice(lo);
  else
    asc = indexRun(tx, z, n - lo, true)
      .slice(n - 1 - hi)
      .reverse();
  return rev ? asc.reverse() : asc;
}

/**
 * Entries in the lex range [min, max] as Redis walks them (its small encoding, zzlFirstInLexRange): none
 * when the last member in (score, member) order is below `min` or the first above `max`; else that order
 * from the first member at or above `min` while members stay at or below `max` (mirrored with `rev`),
 * LIMIT applied. Well defined when all scores are equal (redis.io/commands/zrange).
 */
export function byLex(
  tx: Txn,
  z: ZsetRef,
  min: LexBound,
  max: LexBound,
  rev: boolean,
  limit?: Limit,
): ZEntry[] {
  if ((limit !== undefined && limit.offset < 0) || lexEmpty(min, max)) return [];
  const want = wanted(z.meta.n, limit);
  const out: ZEntry[] = [];
  if (want <= 0) return out;
  const [edge] = indexRun(tx, z, 1, rev);
  const [far] = indexRun(tx, z, 1, !rev);
  if (edge === undefined || far === undefined) return out;
  // Redis 7.0 (t_zset.c zzlIsInLexRange) finds nothing when the last member in score order is below `min`
  // or the first above `max`, whatever lies between (it matters only when scores differ).
  const [first, last] = rev ? [far, edge] : [edge, far];
  if (!lexAboveMin(last[0], min) || !lexBelowMax(first[0], max)) return out;
  // Seek within the edge score's run: members there before the bound are skipped by the walk anyway.
  const seek = rev ? max : min;
  let cursor: string | undefined;
  if (seek.kind === "value") cursor = scoreString(edge[1]) + seek.value + (rev ? "\x00" : "");
  let started = false;
  for (;;) {
    const page = rev
      ? indexRun(tx, z, WALK_PAGE, true, undefined, cursor)
      : indexRun(tx, z, WALK_PAGE, false, cursor);
    for (const e of page) {
      if (!started) started = rev ? lexBelowMax(e[0], max) : lexAboveMin(e[0], min);
      if (!started) continue;
      if (!(rev ? lexAboveMin(e[0], min) : lexBelowMax(e[0], max))) return skip(out, limit);
      out.push(e);
      if (out.length >= want) return skip(out, limit);
    }
    const last = page[page.length - 1];
    if (page.length < WALK_PAGE || last === undefined) return skip(out, limit);
    cursor = rev ? scoreString(last[1]) + last[0] : `${scoreString(last[1])}${last[0]}\x00`;
  }
}

/** Whether no member can be within [min, max] (Redis tests this before it walks). */
function lexEmpty(min: LexBound, max: LexBound): boolean {
  if (min.kind === "max" || max.kind === "min") return true;
  if (min.kind !== "value" || max.kind !== "value") return false;
  return min.value > max.value || (min.value === max.value && (min.exclusive || max.exclusive));
}

/** The 0-based rank of `member` at `score` (descending with `rev`): entries before it counted, O(rank). */
export function rankOf(tx: Txn, z: ZsetRef, member: string, score: number, rev: boolean): number {
  const sub = scoreString(score) + member;
  if (rev) return indexRun(tx, z, z.meta.n, false, `${sub}\x00`).length;
  return indexRun(tx, z, z.meta.n, false, undefined, sub).length;
}

/** Every entry, in (score, member) order. */
export function allEntries(tx: Txn, z: ZsetRef): ZEntry[] {
  return indexRun(tx, z, z.meta.n, false);
}
