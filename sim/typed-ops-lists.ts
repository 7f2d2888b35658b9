/**
 * The list operations the campaigns draw (issue 14): LPUSH/RPUSH (and the X forms), LPOP/RPOP with and
 * without a count, LSET, LINSERT, LREM, LTRIM, LMOVE, and the reads LRANGE, LLEN, LINDEX, LPOS; each on the
 * Redis reference model (sim/redis-model/lists.ts) and on `db.lists`. Elements come from a small pool, so
 * LREM, LINSERT and LPOS find them; indexes are small and sometimes negative or out of range.
 */
import type { Buffer } from "node:buffer";
import type { Prng } from "./disk/prng.js";
import type { ModelJson } from "./model.js";
import { type ListEnd, lists } from "./redis-model/index.js";
import {
  count,
  key0,
  num,
  orNull,
  str,
  strs,
  type TypedCall,
  type TypedOpSpec,
  text,
  tracked,
} from "./typed-spec.js";

/** An element, from a pool small enough that elements repeat. */
function element(p: Prng): string {
  return `e${p.int(12)}`;
}

/** An index: mostly inside a short list, sometimes negative, sometimes far out. */
function index(p: Prng): number {
  return p.bool(0.1) ? p.range(-40, 40) : p.range(-4, 6);
}

/** A push entry (LPUSH, RPUSH, LPUSHX, RPUSHX). */
function push(end: ListEnd, x: boolean): TypedOpSpec {
  const cmd = `${end === "left" ? "l" : "r"}push${x ? "x" : ""}`;
  return {
    read: false,
    draw: (d) => ({
      cmd,
      keys: [d.key("list")],
      args: Array.from({ length: count(d.prng) }, () => element(d.prng)),
    }),
    model: (ks, c, nowMs) => {
      const k = key0(c);
      const n = (x ? lists.pushx : lists.push)(ks, k, end, strs(c.args), nowMs);
      // A push writes whenever it pushed (PUSHX onto no list pushes nothing).
      return { answer: n, writes: n > 0 ? [{ key: k }] : [] };
    },
    engine: async (db, c) => {
      const fn = db.lists[cmd as "lpush"] as (k: string, e: string[]) => Promise<number>;
      return fn.call(db.lists, key0(c), strs(c.args));
    },
  };
}

/** A pop entry (LPOP, RPOP), with a count in `args` or none. */
function pop(end: ListEnd): TypedOpSpec {
  const cmd = end === "left" ? "lpop" : "rpop";
  return {
    read: false,
    draw: (d) => ({
      cmd,
      keys: [d.key("list")],
      args: d.prng.bool(0.4) ? [] : [d.prng.bool(0.03) ? -1 : d.prng.pick([0, 1, 2, 3, 5, 30])],
    }),
    model: (ks, c, nowMs) => {
      const n = c.args.length === 0 ? undefined : num(c.args[0]);
      return tracked(ks, c.keys, nowMs, () => lists.pop(ks, key0(c), end, n, nowMs));
    },
    engine: async (db, c) => {
      const k = key0(c);
      if (c.args.length === 0) return orNull(await db.lists[cmd](k));
      const got: Buffer[] | undefined = await db.lists[cmd](k, num(c.args[0]));
      return got === undefined ? null : got.map(text);
    },
  };
}

/** The operations, by command name. */
export const LIST_OPS: Readonly<Record<string, TypedOpSpec>> = {
  lpush: push("left", false),
  rpush: push("right", false),
  lpushx: push("left", true),
  rpushx: push("right", true),
  lpop: pop("left"),
  rpop: pop("right"),
  lset: {
    read: false,
    draw: (d) => ({ cmd: "lset", keys: [d.key("list")], args: [index(d.prng), element(d.prng)] }),
    // LSET writes even when the element was already there.
    model: (ks, c, nowMs) => ({
      answer: lists.lset(ks, key0(c), num(c.args[0]), str(c.args[1]), nowMs),
      writes: [{ key: key0(c) }],
    }),
    engine: async (db, c) => {
      await db.lists.lset(key0(c), num(c.args[0]), str(c.args[1]));
      return "OK";
    },
  },
  linsert: {
    read: false,
    draw: (d) => ({
      cmd: "linsert",
      keys: [d.key("list")],
      args: [d.prng.pick(["before", "after"]), element(d.prng), element(d.prng)],
    }),
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () =>
        lists.linsert(ks, key0(c), c.args[0] as "before", str(c.args[1]), str(c.args[2]), nowMs),
      ),
    engine: async (db, c) => db.lists.linsert(key0(c), c.args[0] as "before", str(c.args[1]), str(c.args[2])),
  },
  lrem: {
    read: false,
    draw: (d) => ({ cmd: "lrem", keys: [d.key("list")], args: [d.prng.range(-2, 2), element(d.prng)] }),
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () => lists.lrem(ks, key0(c), num(c.args[0]), str(c.args[1]), nowMs)),
    engine: async (db, c) => db.lists.lrem(key0(c), num(c.args[0]), str(c.args[1])),
  },
  ltrim: {
    read: false,
    draw: (d) => ({ cmd: "ltrim", keys: [d.key("list")], args: [d.prng.range(-3, 3), index(d.prng)] }),
    model: (ks, c, nowMs) =>
      tracked(ks, c.keys, nowMs, () => lists.ltrim(ks, key0(c), num(c.args[0]), num(c.args[1]), nowMs)),
    engine: async (db, c) => {
      await db.lists.ltrim(key0(c), num(c.args[0]), num(c.args[1]));
      return "OK";
    },
  },
  lmove: {
    read: false,
    draw: (d) => {
      const src = d.key("list");
      return {
        cmd: "lmove",
        keys: [src, d.prng.bool(0.25) ? src : d.key("list")],
        args: [d.prng.pick(["left", "right"]), d.prng.pick(["left", "right"])],
      };
    },
    // A move writes its source (rotated in place when it is also the destination), then its destination.
    model: (ks, c, nowMs) => {
      const [src, dst] = c.keys as [string, string];
      const moved = lists.lmove(ks, src, dst, c.args[0] as ListEnd, c.args[1] as ListEnd, nowMs);
      const writes = moved === null ? [] : src === dst ? [{ key: src }] : [{ key: src }, { key: dst }];
      return { answer: moved, writes };
    },
    engine: async (db, c) =>
      orNull(
        await db.lists.lmove(
          c.keys[0] as string,
          c.keys[1] as string,
          c.args[0] as ListEnd,
          c.args[1] as ListEnd,
        ),
      ),
  },
  lrange: {
    read: true,
    draw: (d) => ({
      cmd: "lrange",
      keys: [d.key("list")],
      args: d.prng.bool(0.5) ? [0, -1] : [index(d.prng), index(d.prng)],
    }),
    model: (ks, c, nowMs) => ({
      answer: lists.lrange(ks, key0(c), num(c.args[0]), num(c.args[1]), nowMs),
      writes: [],
    }),
    engine: async (db, c) => (await db.lists.lrange(key0(c), num(c.args[0]), num(c.args[1]))).map(text),
  },
  llen: {
    read: true,
    draw: (d) => ({ cmd: "llen", keys: [d.key("list")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: lists.llen(ks, key0(c), nowMs), writes: [] }),
    engine: async (db, c) => db.lists.llen(key0(c)),
  },
  lindex: {
    read: true,
    draw: (d) => ({ cmd: "lindex", keys: [d.key("list")], args: [index(d.prng)] }),
    model: (ks, c, nowMs) => ({ answer: lists.lindex(ks, key0(c), num(c.args[0]), nowMs), writes: [] }),
    engine: async (db, c) => orNull(await db.lists.lindex(key0(c), num(c.args[0]))),
  },
  lpos: {
    read: true,
    draw: (d) => {
      const opts: TypedCall["opts"] = {};
      if (d.prng.bool(0.3)) opts.rank = d.prng.pick([-2, -1, 1, 2]);
      if (d.prng.bool(0.3)) opts.count = d.prng.pick([0, 1, 2]);
      if (d.prng.bool(0.2)) opts.maxlen = d.prng.pick([0, 2, 5]);
      return { cmd: "lpos", keys: [d.key("list")], args: [element(d.prng)], opts };
    },
    model: (ks, c, nowMs) => ({
      answer: lists.lpos(ks, key0(c), str(c.args[0]), lposOptions(c), nowMs) as ModelJson,
      writes: [],
    }),
    engine: async (db, c) => {
      const o = lposOptions(c);
      if (o.count !== undefined) return db.lists.lpos(key0(c), str(c.args[0]), { ...o, count: o.count });
      return (await db.lists.lpos(key0(c), str(c.args[0]), o)) ?? null;
    },
  },
};

/** LPOS's options from a call's `opts`. */
function lposOptions(c: TypedCall): { rank?: number; count?: number; maxlen?: number } {
  const o = c.opts ?? {};
  const out: { rank?: number; count?: number; maxlen?: number } = {};
  if (typeof o.rank === "number") out.rank = o.rank;
  if (typeof o.count === "number") out.count = o.count;
  if (typeof o.maxlen === "number") out.maxlen = o.maxlen;
  return out;
}
