/**
 * Sorted-set ordering and range selection (redis.io/commands/zrange): members sort by score (IEEE order,
 * -inf lowest, +inf highest) and equal scores by member bytes. Score bounds are doubles, `(` prefixed for
 * exclusive, `-inf`/`+inf` allowed; lex bounds are `[x` (inclusive), `(x` (exclusive), `-` and `+`.
 * Lex ranges are defined by Redis only when all scores are equal; the model filters members by bytes.
 */

import { fail, MSG } from "./errors.js";
import { type ByteString, compareBytes } from "./keyspace.js";
import { normalizeRange } from "./lists.js";
import { parseBoundDouble, requireRedisInteger } from "./numbers.js";

/** A member with its score. */
export type ZEntry = [member: ByteString, score: number];

/** A score bound. */
export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

/** A lex bound: below everything, above everything, or a byte string. */
export type LexBound =
  | { kind: "min" }
  | { kind: "max" }
  | { kind: "value"; value: ByteString; exclusive: boolean };

/**
 * Parses "1.5", "(1.5", "-inf", "(+inf"...; "ERR min or max is not a float" otherwise. The number follows
 * strtod's rules ({@link parseBoundDouble}): `(` alone and "" are 0, " 1" is 1, "1e400" is inf.
 */
export function parseScoreBound(text: string): ScoreBound {
  const exclusive = text.startsWith("(");
  const value = parseBoundDouble(exclusive ? text.slice(1) : text);
  if (value === undefined) return fail(MSG.minMaxNotFloat);
  return { value, exclusive };
}

/** Parses "-", "+", "[a", "(a"; "ERR min or max not valid string range item" otherwise. */
export function parseLexBound(text: string): LexBound {
  if (text === "-") return { kind: "min" };
  if (text === "+") return { kind: "max" };
  if (text.startsWith("[") || text.startsWith("(")) {
    return { kind: "value", value: text.slice(1), exclusive: text.startsWith("(") };
  }
  return fail(MSG.minMaxNotLex);
}

/** Redis's order of a sorted set: score ascending, ties by member bytes. */
export function zsorted(scores: Map<ByteString, number>): ZEntry[] {
  return [...scores].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : compareBytes(a[0], b[0])));
}

/** Whether `score` is within [min, max] honouring exclusivity. */
export function inScoreRange(score: number, min: ScoreBound, max: ScoreBound): boolean {
  const aboveMin = min.exclusive ? score > min.value : score >= min.value;
  const belowMax = max.exclusive ? score < max.value : score <= max.value;
  return aboveMin && belowMax;
}

/** Whether `member` is within [min, max] by bytes. */
export function inLexRange(member: ByteString, min: LexBound, max: LexBound): boolean {
  const aboveMin =
    min.kind === "min" ||
    (min.kind === "value" && (min.exclusive ? member > min.value : member >= min.value));
  const belowMax =
    max.kind === "max" ||
    (max.kind === "value" && (max.exclusive ? member < max.value : member <= max.value));
  return aboveMin && belowMax;
}

/**
 * The entries of a lex range as Redis 7.0 finds them in a small (listpack-encoded) sorted set
 * (t_zset.c `zzlFirstInLexRange`, then onwards while in range): none when the last member in score order
 * is below `min` or the first above `max` (`zzlIsInLexRange`); else, walking `ordered` (ascending, or
 * descending with `rev`), it starts at the first member at or past the range's near bound and stops at the
 * first member past its far bound. When every score is equal (the only case Redis defines) that is exactly the
 * members within the range; with mixed scores Redis leaves the answer unspecified, and the model follows
 * the small encoding, as it does for -0 (`storedScore` in zsets.ts).
 */
export function lexWalk(ordered: readonly ZEntry[], min: LexBound, max: LexBound, rev: boolean): ZEntry[] {
  const [near, far] = rev
    ? [
        (m: ByteString) => inLexRange(m, { kind: "min" }, max),
        (m: ByteString) => inLexRange(m, min, { kind: "max" }),
      ]
    : [
        (m: ByteString) => inLexRange(m, min, { kind: "max" }),
        (m: ByteString) => inLexRange(m, { kind: "min" }, max),
      ];
  const out: ZEntry[] = [];
  // Nothing when the last member in score order is below min or the first above max (zzlIsInLexRange).
  const ends = [ordered[0], ordered[ordered.length - 1]];
  const [first, last] = rev ? [ends[1], ends[0]] : [ends[0], ends[1]];
  if (first === undefined || last === undefined) return out;
  if (!inLexRange(last[0], min, { kind: "max" }) || !inLexRange(first[0], { kind: "min" }, max)) return out;
  for (const e of ordered) {
    if (out.length === 0 && !near(e[0])) continue;
    if (!far(e[0])) break;
    out.push(e);
  }
  return out;
}

/** ZRANGE options: BYSCORE/BYLEX (default by rank), REV, LIMIT offset count, WITHSCORES. */
export interface ZRangeOptions {
  by?: "rank" | "score" | "lex";
  rev?: boolean;
  limit?: { offset: number; count: number };
  withScores?: boolean;
}

/**
 * The entries ZRANGE selects from `sorted` (ascending). By rank, `start`/`stop` are indexes into the
 * (reversed, with REV) order with LRANGE's index rules. By score or lex, they are bounds, given max first
 * with REV as Redis takes them; LIMIT then skips `offset` (negative: nothing is returned) and keeps `count`
 * (negative: all). LIMIT without BYSCORE/BYLEX (unless its count is -1) and WITHSCORES with BYLEX are syntax
 * errors.
 */
export function selectRange(sorted: ZEntry[], start: string, stop: string, opts: ZRangeOptions): ZEntry[] {
  const by = opts.by ?? "rank";
  // Redis 7.0 spots LIMIT by its count differing from the default -1, so `LIMIT n -1` by rank is accepted
  // and ignored (real Redis 7.0.15 answers so).
  if (opts.limit && opts.limit.count !== -1 && by === "rank") fail(MSG.limitNeedsBy);
  if (opts.withScores && by === "lex") fail(MSG.withScoresLex);
  const ordered = opts.rev ? [...sorted].reverse() : sorted;
  if (by === "rank") {
    const r = normalizeRange(parseIndex(start), parseIndex(stop), ordered.length);
    return r ? ordered.slice(r[0], r[1] + 1) : [];
  }
  const [lowText, highText] = opts.rev ? [stop, start] : [start, stop];
  let picked: ZEntry[];
  if (by === "score") {
    const [min, max] = [parseScoreBound(lowText), parseScoreBound(highText)];
    picked = ordered.filter(([, s]) => inScoreRange(s, min, max));
  } else {
    picked = lexWalk(ordered, parseLexBound(lowText), parseLexBound(highText), opts.rev === true);
  }
  if (!opts.limit) return picked;
  const { offset, count } = opts.limit;
  if (offset < 0) return [];
  return picked.slice(offset, count < 0 ? undefined : offset + count);
}

/**
 * A rank argument: Redis's strict integer within the int64 range (a C long on x86-64), else "ERR value is
 * not an integer or out of range" (real Redis 7.0.15 answers `ZRANGE k 0 9223372036854775808` so).
 */
function parseIndex(text: string): number {
  return Number(requireRedisInteger(text));
}
