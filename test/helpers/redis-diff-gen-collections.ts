/**
 * Hash, list and set commands for the Redis differential test (sim/redis-model/hashes.ts, lists.ts,
 * sets.ts). Unordered replies (HGETALL/HKEYS/HVALS, SMEMBERS, SINTER/SUNION/SDIFF, the scans) compare as
 * multisets; SPOP keeps the model in step with the members Redis actually popped, SRANDMEMBER and
 * HRANDFIELD are checked for count, membership and distinctness only.
 */
import { Prng } from "../../sim/disk/prng.js";
import { hashes, type ListEnd, type LposOptions, lists, sets } from "../../sim/redis-model/index.js";
import {
  DELTAS,
  FLOATS,
  type Gen,
  INDEXES,
  KEYS,
  MEMBERS,
  PATTERNS,
  pick,
  some,
  VALUES,
} from "./redis-diff-alphabet.js";
import type { StepGen } from "./redis-diff-gen-strings.js";
import {
  exact,
  int,
  modelReply,
  type Reply,
  random,
  type Step,
  scan,
  show,
  unordered,
} from "./redis-diff-steps.js";

/** Draws for the model's own random choices; they never need to agree with Redis's. */
const modelRng = new Prng("redis-differential/model-draws");

/** Hash values: members, int64 edges and the string values with their number-like texts. */
const HASH_VALUES = [...MEMBERS, ...DELTAS, ...VALUES];

const optionalCount = (g: Gen, counts: number[]): number | undefined =>
  g.r.bool(0.4) ? undefined : pick(g, counts);
/** Exact decimal text of an integral number (String(-(2 ** 63)) would be "-9223372036854776000"). */
export const intText = (n: number): string => BigInt(n).toString();
const countArgv = (count: number | undefined) => (count === undefined ? [] : [intText(count)]);
/** Counts for SRANDMEMBER/HRANDFIELD/ZRANDMEMBER, including -2^63, which Redis 7.0 refuses. */
export const RANDOM_COUNTS = [0, 1, 2, 5, 20, -1, -3, -20, -(2 ** 63)];

export const HASH_STEPS: StepGen[] = [
  (g, k) => {
    const pairs = g.r.bool(0.03)
      ? []
      : some(g, MEMBERS, 3).map((f): [string, string] => [f, pick(g, HASH_VALUES)]);
    return exact(["HSET", k, ...pairs.flat()], (ks, now) => int(hashes.hset(ks, k, pairs, now)));
  },
  (g, k) => {
    const [f, v] = [pick(g, MEMBERS), pick(g, MEMBERS)];
    return exact(["HSETNX", k, f, v], (ks, now) => int(hashes.hsetnx(ks, k, f, v, now)));
  },
  (g, k) => {
    const f = pick(g, MEMBERS);
    return exact(["HGET", k, f], (ks, now) => hashes.hget(ks, k, f, now));
  },
  (g, k) => {
    const fs = some(g, MEMBERS, 3);
    return exact(["HMGET", k, ...fs], (ks, now) => hashes.hmget(ks, k, fs, now));
  },
  (g, k) => {
    const fs = some(g, MEMBERS, 3);
    return exact(["HDEL", k, ...fs], (ks, now) => int(hashes.hdel(ks, k, fs, now)));
  },
  (g, k) => {
    const f = pick(g, MEMBERS);
    return exact(["HEXISTS", k, f], (ks, now) => int(hashes.hexists(ks, k, f, now)));
  },
  (_g, k) => exact(["HLEN", k], (ks, now) => int(hashes.hlen(ks, k, now))),
  (g, k) => {
    const f = pick(g, MEMBERS);
    return exact(["HSTRLEN", k, f], (ks, now) => int(hashes.hstrlen(ks, k, f, now)));
  },
  (_g, k) => unordered(["HGETALL", k], 2, (ks, now) => hashes.hgetall(ks, k, now).flat()),
  (_g, k) => unordered(["HKEYS", k], 1, (ks, now) => hashes.hkeys(ks, k, now)),
  (_g, k) => unordered(["HVALS", k], 1, (ks, now) => hashes.hvals(ks, k, now)),
  (g, k) => {
    const [f, d] = [pick(g, MEMBERS), pick(g, DELTAS)];
    return exact(["HINCRBY", k, f, d], (ks, now) => int(hashes.hincrby(ks, k, f, BigInt(d), now)));
  },
  (g, k) => {
    const [f, incr] = [pick(g, MEMBERS), pick(g, FLOATS)];
    return exact(["HINCRBYFLOAT", k, f, incr], (ks, now) => hashes.hincrbyfloat(ks, k, f, incr, now));
  },
  (g, k) => {
    const count = optionalCount(g, RANDOM_COUNTS);
    const withValues = count !== undefined && g.r.bool();
    const argv = ["HRANDFIELD", k, ...countArgv(count), ...(withValues ? ["WITHVALUES"] : [])];
    return random(
      argv,
      withValues ? 2 : 1,
      count !== undefined && count > 0,
      (ks, now) => {
        const r = hashes.hrandfield(ks, k, count, modelRng, now);
        return Array.isArray(r) ? (withValues ? r.flat() : r.map(([f]) => f)) : r;
      },
      (ks, [f, v], now) => {
        const held = hashes.hget(ks, k, String(f), now);
        return held !== null && (!withValues || held === v);
      },
    );
  },
  (g, k) => {
    const match = g.r.bool() ? pick(g, PATTERNS) : undefined;
    const argv = ["HSCAN", k, "0", ...(match === undefined ? [] : ["MATCH", match]), "COUNT", "1000"];
    return scan(argv, 2, (ks, now) => hashes.hscan(ks, k, match, now).flat());
  },
];

const END_NAMES: Record<ListEnd, string> = { left: "L", right: "R" };

function lposStep(g: Gen, k: string): Step {
  const element = pick(g, MEMBERS);
  const opts: LposOptions = {};
  const argv = ["LPOS", k, element];
  if (g.r.bool(0.4)) opts.rank = pick(g, [1, 2, -1, -2, 0, 5, -(2 ** 63)]);
  if (g.r.bool(0.4)) opts.count = pick(g, [0, 1, 2, -1]);
  if (g.r.bool(0.3)) opts.maxlen = pick(g, [0, 1, 3, -1]);
  if (opts.rank !== undefined) argv.push("RANK", intText(opts.rank));
  if (opts.count !== undefined) argv.push("COUNT", String(opts.count));
  if (opts.maxlen !== undefined) argv.push("MAXLEN", String(opts.maxlen));
  return exact(argv, (ks, now) => {
    const r = lists.lpos(ks, k, element, opts, now);
    return r === null ? null : Array.isArray(r) ? r.map(int) : int(r);
  });
}

export const LIST_STEPS: StepGen[] = [
  (g, k) => {
    const [end, xs] = [pick(g, ["left", "right"] as const), g.r.bool(0.03) ? [] : some(g, MEMBERS, 3)];
    const x = g.r.bool(0.2);
    const argv = [`${END_NAMES[end]}PUSH${x ? "X" : ""}`, k, ...xs];
    return exact(argv, (ks, now) => int((x ? lists.pushx : lists.push)(ks, k, end, xs, now)));
  },
  (g, k) => {
    const end = pick(g, ["left", "right"] as const);
    const count = optionalCount(g, [0, 1, 2, 10, -1]);
    return exact([`${END_NAMES[end]}POP`, k, ...countArgv(count)], (ks, now) =>
      lists.pop(ks, k, end, count, now),
    );
  },
  (_g, k) => exact(["LLEN", k], (ks, now) => int(lists.llen(ks, k, now))),
  (g, k) => {
    const [s, e] = [pick(g, INDEXES), pick(g, INDEXES)];
    return exact(["LRANGE", k, String(s), String(e)], (ks, now) => lists.lrange(ks, k, s, e, now));
  },
  (g, k) => {
    const i = pick(g, INDEXES);
    return exact(["LINDEX", k, String(i)], (ks, now) => lists.lindex(ks, k, i, now));
  },
  (g, k) => {
    const [i, x] = [pick(g, INDEXES), pick(g, MEMBERS)];
    return exact(["LSET", k, String(i), x], (ks, now) => lists.lset(ks, k, i, x, now));
  },
  (g, k) => {
    const [where, pivot, x] = [pick(g, ["before", "after"] as const), pick(g, MEMBERS), pick(g, MEMBERS)];
    const argv = ["LINSERT", k, where.toUpperCase(), pivot, x];
    return exact(argv, (ks, now) => int(lists.linsert(ks, k, where, pivot, x, now)));
  },
  (g, k) => {
    const [count, x] = [pick(g, [0, 1, 2, -1, -2]), pick(g, MEMBERS)];
    return exact(["LREM", k, String(count), x], (ks, now) => int(lists.lrem(ks, k, count, x, now)));
  },
  (g, k) => {
    const [s, e] = [pick(g, INDEXES), pick(g, INDEXES)];
    return exact(["LTRIM", k, String(s), String(e)], (ks, now) => lists.ltrim(ks, k, s, e, now));
  },
  lposStep,
  (g, k) => {
    const dst = pick(g, KEYS);
    const [from, to] = [pick(g, ["left", "right"] as const), pick(g, ["left", "right"] as const)];
    const argv = ["LMOVE", k, dst, from.toUpperCase(), to.toUpperCase()];
    return exact(argv, (ks, now) => lists.lmove(ks, k, dst, from, to, now));
  },
  (g, k) => {
    const dst = pick(g, KEYS);
    return exact(["RPOPLPUSH", k, dst], (ks, now) => lists.lmove(ks, k, dst, "right", "left", now));
  },
];

/**
 * SPOP: Redis's popped members must be distinct members the model holds, as many as the model would pop;
 * the model then drops exactly those (its own draw is undone), keeping the TTL.
 */
function spopStep(g: Gen, k: string): Step {
  const count = optionalCount(g, [0, 1, 2, 5, 20, -1]);
  return {
    argv: ["SPOP", k, ...countArgv(count)],
    check: (ks, real, now) => {
      const entry = ks.entry(k, now);
      const before = entry?.value.type === "set" ? new Set(entry.value.members) : undefined;
      const expected = modelReply(() => sets.spop(ks, k, count, modelRng, now));
      const fail = () => `model ${show(expected)} but redis ${show(real)}`;
      if (expected === null || !before || (typeof expected === "object" && !Array.isArray(expected))) {
        return show(expected) === show(real) ? undefined : fail();
      }
      const popped: Reply[] = Array.isArray(real) ? real : [real];
      const wantLength = Array.isArray(expected) ? expected.length : 1;
      if (Array.isArray(expected) !== Array.isArray(real) || popped.length !== wantLength) return fail();
      if (new Set(popped).size !== popped.length) return fail();
      if (!popped.every((m) => typeof m === "string" && before.has(m))) return fail();
      for (const m of popped) before.delete(m as string);
      if (entry === undefined || before.size === 0) ks.delete(k, now);
      else ks.putEntry(k, { ...entry, value: { type: "set", members: before } });
      return undefined;
    },
  };
}

export const SET_STEPS: StepGen[] = [
  (g, k) => {
    const ms = g.r.bool(0.03) ? [] : some(g, MEMBERS, 3);
    return exact(["SADD", k, ...ms], (ks, now) => int(sets.sadd(ks, k, ms, now)));
  },
  (g, k) => {
    const ms = some(g, MEMBERS, 3);
    return exact(["SREM", k, ...ms], (ks, now) => int(sets.srem(ks, k, ms, now)));
  },
  (_g, k) => unordered(["SMEMBERS", k], 1, (ks, now) => sets.smembers(ks, k, now)),
  (g, k) => {
    const m = pick(g, MEMBERS);
    return exact(["SISMEMBER", k, m], (ks, now) => int(sets.sismember(ks, k, m, now)));
  },
  (g, k) => {
    const ms = some(g, MEMBERS, 3);
    return exact(["SMISMEMBER", k, ...ms], (ks, now) => sets.smismember(ks, k, ms, now).map(int));
  },
  (_g, k) => exact(["SCARD", k], (ks, now) => int(sets.scard(ks, k, now))),
  spopStep,
  (g, k) => {
    const count = optionalCount(g, RANDOM_COUNTS);
    return random(
      ["SRANDMEMBER", k, ...countArgv(count)],
      1,
      count !== undefined && count > 0,
      (ks, now) => sets.srandmember(ks, k, count, modelRng, now),
      (ks, [m], now) => sets.sismember(ks, k, String(m), now) === 1,
    );
  },
  (g, k) => {
    const [dst, m] = [pick(g, KEYS), pick(g, MEMBERS)];
    return exact(["SMOVE", k, dst, m], (ks, now) => int(sets.smove(ks, k, dst, m, now)));
  },
  (g, k) => {
    const all = [k, ...some(g, KEYS, 2)];
    const op = pick(g, ["inter", "union", "diff"] as const);
    const fn = { inter: sets.sinter, union: sets.sunion, diff: sets.sdiff }[op];
    return unordered([`S${op.toUpperCase()}`, ...all], 1, (ks, now) => fn(ks, all, now));
  },
  (g, k) => {
    const all = some(g, KEYS, 3);
    const op = pick(g, ["inter", "union", "diff"] as const);
    const argv = [`S${op.toUpperCase()}STORE`, k, ...all];
    return exact(argv, (ks, now) => int(sets.sstore(ks, op, k, all, now)));
  },
  (g, k) => {
    const all = [k, ...some(g, KEYS, 2)];
    const limit = g.r.bool() ? undefined : pick(g, [0, 1, 2, -1]);
    const argv = [
      "SINTERCARD",
      String(all.length),
      ...all,
      ...(limit === undefined ? [] : ["LIMIT", String(limit)]),
    ];
    return exact(argv, (ks, now) => int(sets.sintercard(ks, all, limit ?? 0, now)));
  },
  (g, k) => {
    const match = g.r.bool() ? pick(g, PATTERNS) : undefined;
    const argv = ["SSCAN", k, "0", ...(match === undefined ? [] : ["MATCH", match]), "COUNT", "1000"];
    return scan(argv, 1, (ks, now) => sets.sscan(ks, k, match, now));
  },
];
