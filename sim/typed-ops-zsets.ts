/**
 * The sorted-set operations the campaigns draw (issue 14): ZADD with NX/XX/GT/LT/CH/INCR, ZINCRBY, ZREM,
 * ZREMRANGEBYSCORE/BYRANK/BYLEX, ZPOPMIN/ZPOPMAX, ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE/ZRANGESTORE
 * (sim/typed-ops-zset-stores.ts), and the reads ZRANGE (by rank with scores, by score with
 * LIMIT), ZSCORE, ZCARD, ZRANK, ZCOUNT; each on the Redis reference model (sim/redis-model/zsets.ts) and
 * on `db.zsets`. Members come from a small pool and scores from a few small values (halves, ties, now and
 * then ±inf), so updates move members in the score order often and ties fall back to the member bytes.
 */
import type { ZMember } from "../src/types/zsets.js";
import type { Prng } from "./disk/prng.js";
import type { ModelJson } from "./model.js";
import { type ZAddOptions, type ZEntry, zsets } from "./redis-model/index.js";
import { ZSET_STORE_OPS } from "./typed-ops-zset-stores.js";
import {
  count,
  key0,
  num,
  scoreIn,
  scoreOut,
  str,
  strs,
  type TypedCall,
  type TypedOpSpec,
  text,
  tracked,
  wroteIf,
} from "./typed-spec.js";

/** A member, from a pool small enough that members repeat. */
function member(p: Prng): string {
  return `m${p.int(30)}`;
}

/** A score (as JSON: infinities as text): small integers and halves, rarely ±inf. */
function score(p: Prng): number | string {
  if (p.bool(0.03)) return p.pick(["inf", "-inf"]);
  return p.range(-8, 8) / (p.bool(0.3) ? 2 : 1);
}

/** A score bound as Redis's text: inclusive, exclusive, or infinite. */
function bound(p: Prng): string {
  const r = p.int(10);
  if (r === 0) return "-inf";
  if (r === 1) return "+inf";
  return `${r < 4 ? "(" : ""}${p.range(-8, 8)}`;
}

/** A lex bound as Redis's text. */
function lexBound(p: Prng): string {
  const r = p.int(8);
  if (r === 0) return "-";
  if (r === 1) return "+";
  return `${r < 4 ? "(" : "["}${member(p)}`;
}

/** Entries as answered: [member, score] with infinities as text. */
const entriesOut = (es: readonly ZEntry[]): ModelJson => es.map(([m, s]) => [m, scoreOut(s)]);
const zmembersOut = (es: readonly ZMember[]): ModelJson => es.map(([m, s]) => [text(m), scoreOut(s)]);

/** ZADD's flags from a call's `opts`. */
function flags(c: TypedCall): ZAddOptions {
  const out: ZAddOptions = {};
  for (const f of ["nx", "xx", "gt", "lt", "ch", "incr"] as const) if (c.opts?.[f] === true) out[f] = true;
  return out;
}

/** ZADD's [score, member] pairs. */
function pairs(c: TypedCall): [number, string][] {
  return (c.args as [ModelJson, ModelJson][]).map(([s, m]) => [scoreIn(s), str(m)]);
}

/** A ZREMRANGEBYSCORE / ZREMRANGEBYLEX entry. */
function remrangeBy(by: "score" | "lex"): TypedOpSpec {
  return {
    read: false,
    draw: (d) => {
      const b = by === "score" ? bound : lexBound;
      return { cmd: `zremrangeby${by}`, keys: [d.key("zset")], args: [b(d.prng), b(d.prng)] };
    },
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () =>
        zsets.zremrangeby(ks, key0(c), by, str(c.args[0]), str(c.args[1]), nowMs),
      ),
    engine: async (db, c) =>
      by === "score"
        ? db.zsets.zremrangebyscore(key0(c), str(c.args[0]), str(c.args[1]))
        : db.zsets.zremrangebylex(key0(c), str(c.args[0]), str(c.args[1])),
  };
}

/** A ZPOPMIN / ZPOPMAX entry. */
function zpop(end: "min" | "max"): TypedOpSpec {
  return {
    read: false,
    draw: (d) => ({
      cmd: `zpop${end}`,
      keys: [d.key("zset")],
      args: d.prng.bool(0.4) ? [] : [d.prng.bool(0.03) ? -1 : d.prng.pick([0, 1, 2, 4, 30])],
    }),
    model: (ks, c, nowMs) => {
      const n = c.args.length === 0 ? undefined : num(c.args[0]);
      return tracked(ks, c.keys, nowMs, () => entriesOut(zsets.zpop(ks, key0(c), end, n, nowMs)));
    },
    engine: async (db, c) => {
      const n = c.args.length === 0 ? undefined : num(c.args[0]);
      return zmembersOut(await (end === "min" ? db.zsets.zpopmin(key0(c), n) : db.zsets.zpopmax(key0(c), n)));
    },
  };
}

/** The operations, by command name (the stores over several keys: sim/typed-ops-zset-stores.ts). */
export const ZSET_OPS: Readonly<Record<string, TypedOpSpec>> = {
  ...ZSET_STORE_OPS,
  zadd: {
    read: false,
    draw: (d) => {
      const p = d.prng;
      const opts: TypedCall["opts"] = {};
      if (p.bool(0.15)) opts[p.pick(["nx", "xx"])] = true;
      if (p.bool(0.15)) opts[p.pick(["gt", "lt"])] = true;
      if (p.bool(0.2)) opts.ch = true;
      const incr = p.bool(0.1);
      if (incr) opts.incr = true;
      const n = incr && !p.bool(0.05) ? 1 : count(p);
      return {
        cmd: "zadd",
        keys: [d.key("zset")],
        args: Array.from({ length: n }, () => [score(p), member(p)]),
        opts,
      };
    },
    // A write when any member was added or any score changed, even back to what it was: a member named
    // twice may move and return (corpus t14-252; Redis signals the key modified, and so does the engine).
    model: (ks, c, nowMs) => {
      const r = zsets.zaddCounted(ks, key0(c), pairs(c), flags(c), nowMs);
      return {
        answer: r.reply === null ? null : scoreOut(r.reply),
        writes: wroteIf(r.added + r.changed > 0, key0(c)),
      };
    },
    engine: async (db, c) => {
      const f = flags(c);
      if (f.incr) {
        const r = await db.zsets.zadd(key0(c), pairs(c), { ...f, incr: true });
        return r === null ? null : scoreOut(r);
      }
      return db.zsets.zadd(key0(c), pairs(c), { ...f, incr: false });
    },
  },
  zincrby: {
    read: false,
    draw: (d) => ({ cmd: "zincrby", keys: [d.key("zset")], args: [score(d.prng), member(d.prng)] }),
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () =>
        scoreOut(zsets.zincrby(ks, key0(c), scoreIn(c.args[0]), str(c.args[1]), nowMs)),
      ),
    engine: async (db, c) => scoreOut(await db.zsets.zincrby(key0(c), scoreIn(c.args[0]), str(c.args[1]))),
  },
  zrem: {
    read: false,
    draw: (d) => ({
      cmd: "zrem",
      keys: [d.key("zset")],
      args: Array.from({ length: count(d.prng) }, () => member(d.prng)),
    }),
    model: (ks, c, nowMs) => tracked(ks, c.keys, nowMs, () => zsets.zrem(ks, key0(c), strs(c.args), nowMs)),
    engine: async (db, c) => db.zsets.zrem(key0(c), strs(c.args)),
  },
  zremrangebyscore: remrangeBy("score"),
  zremrangebylex: remrangeBy("lex"),
  zremrangebyrank: {
    read: false,
    draw: (d) => ({
      cmd: "zremrangebyrank",
      keys: [d.key("zset")],
      args: [d.prng.range(-4, 4), d.prng.range(-4, 6)],
    }),
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () =>
        zsets.zremrangebyrank(ks, key0(c), num(c.args[0]), num(c.args[1]), nowMs),
      ),
    engine: async (db, c) => db.zsets.zremrangebyrank(key0(c), num(c.args[0]), num(c.args[1])),
  },
  zpopmin: zpop("min"),
  zpopmax: zpop("max"),
  zrange: {
    read: true,
    draw: (d) => ({
      cmd: "zrange",
      keys: [d.key("zset")],
      args: d.prng.bool(0.5) ? [0, -1] : [d.prng.range(-5, 5), d.prng.range(-5, 8)],
      opts: { rev: d.prng.bool(0.3) },
    }),
    model: (ks, c, nowMs) => {
      const o = { rev: c.opts?.rev === true, withScores: true };
      const got = zsets.zrange(ks, key0(c), String(c.args[0]), String(c.args[1]), o, nowMs) as ZEntry[];
      return { answer: entriesOut(got), writes: [] };
    },
    engine: async (db, c) =>
      zmembersOut(
        await db.zsets.zrange(key0(c), num(c.args[0]), num(c.args[1]), { rev: c.opts?.rev === true }),
      ),
  },
  zrangebyscore: {
    read: true,
    draw: (d) => ({
      cmd: "zrangebyscore",
      keys: [d.key("zset")],
      args: [bound(d.prng), bound(d.prng)],
      opts: (d.prng.bool(0.3)
        ? { offset: d.prng.int(3), count: d.prng.pick([-1, 1, 3]) }
        : {}) as TypedCall["opts"],
    }),
    model: (ks, c, nowMs) => {
      const o = c.opts ?? {};
      const limit = typeof o.offset === "number" ? { offset: o.offset, count: num(o.count) } : undefined;
      const opts = { by: "score" as const, withScores: true, ...(limit ? { limit } : {}) };
      const got = zsets.zrange(ks, key0(c), str(c.args[0]), str(c.args[1]), opts, nowMs) as ZEntry[];
      return { answer: entriesOut(got), writes: [] };
    },
    engine: async (db, c) => {
      const o = c.opts ?? {};
      const limit = typeof o.offset === "number" ? { offset: o.offset, count: num(o.count) } : undefined;
      return zmembersOut(await db.zsets.zrangebyscore(key0(c), str(c.args[0]), str(c.args[1]), limit));
    },
  },
  zscore: {
    read: true,
    draw: (d) => ({ cmd: "zscore", keys: [d.key("zset")], args: [member(d.prng)] }),
    model: (ks, c, nowMs) => {
      const s = zsets.zscore(ks, key0(c), str(c.args[0]), nowMs);
      return { answer: s === null ? null : scoreOut(s), writes: [] };
    },
    engine: async (db, c) => {
      const s = await db.zsets.zscore(key0(c), str(c.args[0]));
      return s === undefined ? null : scoreOut(s);
    },
  },
  zcard: {
    read: true,
    draw: (d) => ({ cmd: "zcard", keys: [d.key("zset")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: zsets.zcard(ks, key0(c), nowMs), writes: [] }),
    engine: async (db, c) => db.zsets.zcard(key0(c)),
  },
  zrank: {
    read: true,
    draw: (d) => ({
      cmd: "zrank",
      keys: [d.key("zset")],
      args: [member(d.prng)],
      opts: { rev: d.prng.bool(0.3) },
    }),
    model: (ks, c, nowMs) => ({
      answer: zsets.zrank(ks, key0(c), str(c.args[0]), c.opts?.rev === true, nowMs),
      writes: [],
    }),
    engine: async (db, c) => {
      const r = await (c.opts?.rev === true ? db.zsets.zrevrank : db.zsets.zrank).call(
        db.zsets,
        key0(c),
        str(c.args[0]),
      );
      return r ?? null;
    },
  },
  zcount: {
    read: true,
    draw: (d) => ({ cmd: "zcount", keys: [d.key("zset")], args: [bound(d.prng), bound(d.prng)] }),
    model: (ks, c, nowMs) => ({
      answer: zsets.zcount(ks, key0(c), str(c.args[0]), str(c.args[1]), nowMs),
      writes: [],
    }),
    engine: async (db, c) => db.zsets.zcount(key0(c), str(c.args[0]), str(c.args[1])),
  },
};
