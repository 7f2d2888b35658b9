/**
 * Sorted-set commands for the Redis differential test (sim/redis-model/zsets.ts, zset-ranges.ts,
 * zset-store.ts): ZADD with every flag combination and score texts strtod accepts or not (±inf, `nan`),
 * ZRANGE by rank/score/lex with REV and LIMIT, exclusive and infinite bounds, the legacy range commands,
 * ZUNION/ZINTER/ZDIFF(STORE) with WEIGHTS and AGGREGATE over zsets and plain sets. Lex ranges are drawn only
 * when the key holds no zset or one whose scores are all equal (Redis leaves mixed-score lex ranges
 * undefined; docs/data-types-model.md).
 */
import { Prng } from "../../sim/disk/prng.js";
import {
  formatRedisDouble,
  parseRedisDouble,
  type RedisKeyspace,
  type ZAddOptions,
  type ZRangeOptions,
  type ZStoreOptions,
  zcombine,
  zsets,
  zstore,
} from "../../sim/redis-model/index.js";
import { type Gen, INDEXES, KEYS, MEMBERS, PATTERNS, pick, some } from "./redis-diff-alphabet.js";
import { intText, RANDOM_COUNTS } from "./redis-diff-gen-collections.js";
import type { StepGen } from "./redis-diff-gen-strings.js";
import { exact, flatEntries, int, random, type Step, scan, score } from "./redis-diff-steps.js";

const modelRng = new Prng("redis-differential/zset-draws");

/** Score texts: ordinary, ±inf in every spelling, tiny and huge, and ones strtod rejects. */
const SCORES = "0 1 -1 2.5 1.1 3 inf -inf +inf 1e308 -0 0x10 nan abc 1e400 1e-400 4.9e-324 -1e-320"
  .split(" ")
  .concat([" 1", ""]);
/** Score bounds, parsed by bare strtod in Redis (so "", "(", " 1" and "1e400" are valid; "1 " is not). */
const SCORE_BOUNDS = "-inf +inf inf (1 1 (2.5 2.5 0 (-inf (+inf -1.5 abc ( 1e400 (-1e400 1e-400 nan (0x1p1"
  .split(" ")
  .concat(["", " 1", "( 1", "1 "]);
const LEX_BOUNDS = ["-", "+", "[a", "(a", "[c", "(c", "[", "(", "a", "[\xff", "(10"];
/** Rank texts string2ll rejects or that leave the int64 (or long) range. */
const RANK_TEXTS = "1.5 abc 01 -0 +1 9223372036854775807 9223372036854775808 -9223372036854775809".split(" ");
const WEIGHTS = ["1", "2", "0", "-1", "inf", "-inf", "0.5", "abc"];

/** A score text as the model takes it: NaN for text Redis rejects ("ERR value is not a valid float"). */
const scoreOf = (text: string): number => parseRedisDouble(text) ?? Number.NaN;

/** Whether Redis defines lex ranges on `k` now: no zset there, or one whose scores are all equal. */
function lexSafe(ks: RedisKeyspace, k: string, nowMs: number): boolean {
  const v = ks.entry(k, nowMs)?.value;
  return v?.type !== "zset" || new Set(v.scores.values()).size <= 1;
}

function zaddStep(g: Gen, k: string): Step {
  const opts: ZAddOptions = {};
  for (const f of ["nx", "xx", "gt", "lt", "ch", "incr"] as const) if (g.r.bool(0.15)) opts[f] = true;
  // Mostly one shared score when the key is lex-safe, so lex ranges stay well defined there often.
  const held = g.ks.entry(k, g.nowMs)?.value;
  const shared = held?.type === "zset" ? [...held.scores.values()][0] : 0;
  const same = lexSafe(g.ks, k, g.nowMs) && g.r.bool(0.5);
  const texts = some(g, MEMBERS, opts.incr && g.r.bool(0.8) ? 1 : 3).map((m): [string, string] => [
    same ? formatRedisDouble(shared ?? 0) : pick(g, SCORES),
    m,
  ]);
  // Now and then no pairs at all (and no flags, which would make it a syntax error): an arity error.
  if (Object.keys(opts).length === 0 && g.r.bool(0.03)) texts.length = 0;
  const argv = ["ZADD", k, ...Object.keys(opts).map((f) => f.toUpperCase()), ...texts.flat()];
  const pairs = texts.map(([s, m]): [number, string] => [scoreOf(s), m]);
  return exact(argv, (ks, now) => {
    const r = zsets.zadd(ks, k, pairs, opts, now);
    return opts.incr ? score(r) : int(r ?? 0);
  });
}

function rangeOptions(g: Gen, k: string): ZRangeOptions {
  const by = pick(
    g,
    lexSafe(g.ks, k, g.nowMs) ? (["rank", "score", "lex"] as const) : (["rank", "score"] as const),
  );
  const opts: ZRangeOptions = { by };
  if (g.r.bool(0.3)) opts.rev = true;
  if (g.r.bool(0.3)) opts.limit = { offset: pick(g, [0, 1, 2, -1]), count: pick(g, [0, 1, 2, -1, 10]) };
  if (g.r.bool(0.4)) opts.withScores = true;
  return opts;
}

function boundsFor(g: Gen, by: ZRangeOptions["by"]): [string, string] {
  if (by === "score") return [pick(g, SCORE_BOUNDS), pick(g, SCORE_BOUNDS)];
  if (by === "lex") return [pick(g, LEX_BOUNDS), pick(g, LEX_BOUNDS)];
  const rank = () => (g.r.bool(0.1) ? pick(g, RANK_TEXTS) : String(pick(g, INDEXES)));
  return [rank(), rank()];
}

function rangeArgv(opts: ZRangeOptions): string[] {
  const argv = opts.by === "score" ? ["BYSCORE"] : opts.by === "lex" ? ["BYLEX"] : [];
  if (opts.rev) argv.push("REV");
  if (opts.limit) argv.push("LIMIT", String(opts.limit.offset), String(opts.limit.count));
  if (opts.withScores) argv.push("WITHSCORES");
  return argv;
}

function zrangeStep(g: Gen, k: string): Step {
  const opts = rangeOptions(g, k);
  const [start, stop] = boundsFor(g, opts.by);
  return exact(["ZRANGE", k, start, stop, ...rangeArgv(opts)], (ks, now) => {
    const r = zsets.zrange(ks, k, start, stop, opts, now);
    return r.flatMap((x) => (typeof x === "string" ? [x] : flatEntries([x])));
  });
}

/** ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZRANGEBYLEX / ZREVRANGE: the legacy spellings of ZRANGE's forms. */
function legacyRangeStep(g: Gen, k: string): Step {
  const opts = rangeOptions(g, k);
  const [start, stop] = boundsFor(g, opts.by);
  const rev = opts.rev ? "REV" : "";
  const name = opts.by === "rank" ? `Z${rev}RANGE` : `Z${rev}RANGEBY${opts.by === "score" ? "SCORE" : "LEX"}`;
  if (opts.by === "rank") delete opts.limit;
  if (opts.by === "lex") delete opts.withScores;
  const argv = [name, k, start, stop];
  if (opts.withScores) argv.push("WITHSCORES");
  if (opts.limit) argv.push("LIMIT", String(opts.limit.offset), String(opts.limit.count));
  return exact(argv, (ks, now) => {
    const r = zsets.zrange(ks, k, start, stop, opts, now);
    return r.flatMap((x) => (typeof x === "string" ? [x] : flatEntries([x])));
  });
}

function storeOptions(g: Gen, n: number, op: "union" | "inter" | "diff"): [ZStoreOptions, string[]] {
  const opts: ZStoreOptions = {};
  const argv: string[] = [];
  if (op !== "diff" && g.r.bool(0.4)) {
    const texts = Array.from({ length: n }, () => pick(g, WEIGHTS));
    opts.weights = texts.map(scoreOf);
    argv.push("WEIGHTS", ...texts);
  }
  if (op !== "diff" && g.r.bool(0.4)) {
    opts.aggregate = pick(g, ["sum", "min", "max"] as const);
    argv.push("AGGREGATE", opts.aggregate.toUpperCase());
  }
  return [opts, argv];
}

export const ZSET_STEPS: StepGen[] = [
  zaddStep,
  zaddStep,
  (g, k) => {
    const [text, m] = [pick(g, SCORES), pick(g, MEMBERS)];
    return exact(["ZINCRBY", k, text, m], (ks, now) => score(zsets.zincrby(ks, k, scoreOf(text), m, now)));
  },
  (g, k) => {
    const ms = some(g, MEMBERS, 3);
    return exact(["ZREM", k, ...ms], (ks, now) => int(zsets.zrem(ks, k, ms, now)));
  },
  (g, k) => {
    const m = pick(g, MEMBERS);
    return exact(["ZSCORE", k, m], (ks, now) => score(zsets.zscore(ks, k, m, now)));
  },
  (g, k) => {
    const ms = some(g, MEMBERS, 3);
    return exact(["ZMSCORE", k, ...ms], (ks, now) => zsets.zmscore(ks, k, ms, now).map(score));
  },
  (_g, k) => exact(["ZCARD", k], (ks, now) => int(zsets.zcard(ks, k, now))),
  (g, k) => {
    const [lo, hi] = boundsFor(g, "score");
    return exact(["ZCOUNT", k, lo, hi], (ks, now) => int(zsets.zcount(ks, k, lo, hi, now)));
  },
  (g, k) => {
    if (!lexSafe(g.ks, k, g.nowMs)) return exact(["ZCARD", k], (ks, now) => int(zsets.zcard(ks, k, now)));
    const [lo, hi] = boundsFor(g, "lex");
    return exact(["ZLEXCOUNT", k, lo, hi], (ks, now) => int(zsets.zlexcount(ks, k, lo, hi, now)));
  },
  zrangeStep,
  zrangeStep,
  legacyRangeStep,
  (g, k) => {
    const src = pick(g, KEYS);
    const opts = rangeOptions(g, src);
    delete opts.withScores;
    const [start, stop] = boundsFor(g, opts.by);
    const argv = ["ZRANGESTORE", k, src, start, stop, ...rangeArgv(opts)];
    return exact(argv, (ks, now) => int(zsets.zrangestore(ks, k, src, start, stop, opts, now)));
  },
  (g, k) => {
    const [m, rev] = [pick(g, MEMBERS), g.r.bool()];
    return exact([rev ? "ZREVRANK" : "ZRANK", k, m], (ks, now) => {
      const r = zsets.zrank(ks, k, m, rev, now);
      return r === null ? null : int(r);
    });
  },
  (g, k) => {
    const [s, e] = [pick(g, INDEXES), pick(g, INDEXES)];
    const argv = ["ZREMRANGEBYRANK", k, String(s), String(e)];
    return exact(argv, (ks, now) => int(zsets.zremrangebyrank(ks, k, s, e, now)));
  },
  (g, k) => {
    const [lo, hi] = boundsFor(g, "score");
    return exact(["ZREMRANGEBYSCORE", k, lo, hi], (ks, now) =>
      int(zsets.zremrangeby(ks, k, "score", lo, hi, now)),
    );
  },
  (g, k) => {
    if (!lexSafe(g.ks, k, g.nowMs)) return exact(["ZCARD", k], (ks, now) => int(zsets.zcard(ks, k, now)));
    const [lo, hi] = boundsFor(g, "lex");
    return exact(["ZREMRANGEBYLEX", k, lo, hi], (ks, now) =>
      int(zsets.zremrangeby(ks, k, "lex", lo, hi, now)),
    );
  },
  (g, k) => {
    const end = pick(g, ["min", "max"] as const);
    const count = g.r.bool(0.4) ? undefined : pick(g, [0, 1, 2, 10, -1]);
    const argv = [`ZPOP${end.toUpperCase()}`, k, ...(count === undefined ? [] : [String(count)])];
    return exact(argv, (ks, now) => flatEntries(zsets.zpop(ks, k, end, count, now)));
  },
  (g, k) => {
    const count = g.r.bool(0.4) ? undefined : pick(g, RANDOM_COUNTS);
    const withScores = count !== undefined && g.r.bool();
    const argv = ["ZRANDMEMBER", k, ...(count === undefined ? [] : [intText(count)])];
    if (withScores) argv.push("WITHSCORES");
    return random(
      argv,
      withScores ? 2 : 1,
      count !== undefined && count > 0,
      (ks, now) => {
        const r = zsets.zrandmember(ks, k, count, modelRng, now);
        return Array.isArray(r) ? (withScores ? flatEntries(r) : r.map(([m]) => m)) : r;
      },
      (ks, [m, s], now) => {
        const held = zsets.zscore(ks, k, String(m), now);
        return held !== null && (!withScores || score(held) === s);
      },
    );
  },
  (g, k) => {
    const match = g.r.bool() ? pick(g, PATTERNS) : undefined;
    const argv = ["ZSCAN", k, "0", ...(match === undefined ? [] : ["MATCH", match]), "COUNT", "1000"];
    return scan(argv, 2, (ks, now) => flatEntries(zsets.zscan(ks, k, match, now)));
  },
  (g, k) => {
    const op = pick(g, ["union", "inter", "diff"] as const);
    const all = some(g, KEYS, 3);
    const [opts, tail] = storeOptions(g, all.length, op);
    const argv = [`Z${op.toUpperCase()}STORE`, k, String(all.length), ...all, ...tail];
    return exact(argv, (ks, now) => int(zstore(ks, op, k, all, opts, now)));
  },
  (g, k) => {
    const op = pick(g, ["union", "inter", "diff"] as const);
    const all = [k, ...some(g, KEYS, 2)];
    const [opts, tail] = storeOptions(g, all.length, op);
    const withScores = g.r.bool();
    const argv = [`Z${op.toUpperCase()}`, String(all.length), ...all, ...tail];
    if (withScores) argv.push("WITHSCORES");
    return exact(argv, (ks, now) => {
      const r = zcombine(ks, op, all, opts, now);
      return withScores ? flatEntries(r) : r.map(([m]) => m);
    });
  },
];
