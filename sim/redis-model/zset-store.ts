/**
 * ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE (redis.io/commands/zunionstore, /zinterstore, /zdiffstore), Redis
 * 7.0 semantics: inputs may be sorted sets or plain sets (every member scoring 1), absent keys are empty, any
 * other type is WRONGTYPE. Each input score is multiplied by its weight (default 1) and the results are
 * combined with SUM (default), MIN or MAX. Redis's NaN rules are kept: `0 · ±inf` and `inf + -inf` give 0.
 */

import { fail, MSG, wrongType } from "./errors.js";
import type { ByteString, RedisKeyspace } from "./keyspace.js";
import { type ZEntry, zsorted } from "./zset-ranges.js";
import { storedScore } from "./zsets.js";

/** WEIGHTS (one per key) and AGGREGATE. */
export interface ZStoreOptions {
  weights?: number[];
  aggregate?: "sum" | "min" | "max";
}

/** The input at `key` as member → score. */
function input(ks: RedisKeyspace, key: string, nowMs: number): Map<ByteString, number> {
  const v = ks.entry(key, nowMs)?.value;
  if (v === undefined) return new Map();
  if (v.type === "zset") return v.scores;
  if (v.type === "set") return new Map([...v.members].map((m) => [m, 1]));
  return wrongType();
}

/**
 * Combines the score so far `a` with the next input's `b`. MIN/MAX keep `a` unless `b` is strictly
 * smaller/larger, so of 0 and -0 the first one met stays (real Redis 7.0.15 answers `ZUNION 2 z z WEIGHTS 0
 * -0 AGGREGATE MIN WITHSCORES` with 0 and `WEIGHTS -0 0` with -0; Math.min would prefer -0).
 */
function aggregate(how: "sum" | "min" | "max", a: number, b: number): number {
  if (how === "min") return b < a ? b : a;
  if (how === "max") return b > a ? b : a;
  const sum = a + b;
  return Number.isNaN(sum) ? 0 : sum;
}

/**
 * ZUNION/ZINTER/ZDIFF without storing: the combined entries in zset order. `keys` must not be empty
 * ("ERR at least 1 input key is needed for '<command>' command"); WEIGHTS must name one weight per key
 * ("ERR syntax error"); ZDIFF takes neither WEIGHTS nor AGGREGATE. Every key is type-checked before the
 * options are (real Redis 7.0.15 answers a wrong-typed key with WRONGTYPE even when a weight is not a float).
 */
export function zcombine(
  ks: RedisKeyspace,
  op: "union" | "inter" | "diff",
  keys: string[],
  opts: ZStoreOptions,
  nowMs: number,
): ZEntry[] {
  if (keys.length === 0) fail(`ERR at least 1 input key is needed for 'z${op}store' command`);
  const inputs = keys.map((k) => input(ks, k, nowMs));
  if (op === "diff" && (opts.weights || opts.aggregate)) fail(MSG.syntax);
  if (opts.weights && opts.weights.length !== keys.length) fail(MSG.syntax);
  if (opts.weights?.some((w) => Number.isNaN(w))) fail(MSG.weightNotFloat);
  const how = opts.aggregate ?? "sum";
  const out = new Map<ByteString, number>();
  const [first, ...rest] = inputs;
  if (!first) return [];
  if (op === "diff") {
    for (const [m, s] of first) if (rest.every((r) => !r.has(m))) out.set(m, s);
    return zsorted(out);
  }
  // Redis 7.0.15 (t_zset.c zunionInterDiffGenericCommand) first orders the inputs from the smallest to the
  // largest (glibc's qsort: a merge sort, so equal sizes keep their order); the order decides which of 0
  // and -0 a MIN/MAX keeps and where a NaN is cut to 0.
  const order = inputs.map((scores, i) => ({ scores, weight: opts.weights?.[i] ?? 1 }));
  order.sort((a, b) => a.scores.size - b.scores.size);
  if (op === "inter") {
    // Only the first input's weighted score has its NaN (0 × ±inf) cut to 0; a later input's product goes
    // to the aggregate as it is (a NaN sum becomes 0 there, MIN/MAX keep the score so far).
    const [head, ...others] = order;
    for (const [m, s] of head?.scores ?? []) {
      let score = (head?.weight ?? 1) * s;
      if (Number.isNaN(score)) score = 0;
      let inAll = true;
      for (const o of others) {
        const v = o.scores.get(m);
        if (v === undefined) {
          inAll = false;
          break;
        }
        score = aggregate(how, score, v * o.weight);
      }
      if (inAll) out.set(m, score);
    }
    return zsorted(out);
  }
  for (const { scores, weight } of order) {
    for (const [m, s] of scores) {
      let weighted = weight * s;
      if (Number.isNaN(weighted)) weighted = 0;
      const prior = out.get(m);
      out.set(m, prior === undefined ? weighted : aggregate(how, prior, weighted));
    }
  }
  return zsorted(out);
}

/** The *STORE form: writes the result to `destination` (deleting it when empty); returns its size. */
export function zstore(
  ks: RedisKeyspace,
  op: "union" | "inter" | "diff",
  destination: string,
  keys: string[],
  opts: ZStoreOptions,
  nowMs: number,
): number {
  const result = zcombine(ks, op, keys, opts, nowMs);
  ks.delete(destination, nowMs);
  const scores = new Map(result.map(([m, s]) => [m, storedScore(s)]));
  if (result.length > 0) ks.put(destination, { type: "zset", scores }, nowMs);
  return result.length;
}
