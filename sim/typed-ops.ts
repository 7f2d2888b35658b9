/**
 * The data-type operations the campaigns draw (issue 14, "Proven like the rest"): one table entry per
 * operation, each saying how to draw its arguments, what it does in the Redis reference model
 * (sim/redis-model/, the independent restatement: its answer and which keys it writes, in order) and how to
 * call the engine's library API (answers normalized to JSON: byte strings as latin1 text, unordered
 * replies sorted). Hashes and sets are here; strings, lists, sorted sets and the generic key operations are
 * sim/typed-ops-*.ts, their shared shapes sim/typed-spec.ts. Adding an operation is one entry and a weight
 * in {@link TYPED_MIX}; sim/typed-model.ts turns an entry's writes into versioned states.
 */
import type { FuseDB } from "../src/db.js";
import type { Prng } from "./disk/prng.js";
import type { ModelJson } from "./model.js";
import { fail, hashes, type RandomSource, RedisKeyspace, sets } from "./redis-model/index.js";
import { KEY_OPS } from "./typed-ops-keys.js";
import { LIST_OPS } from "./typed-ops-lists.js";
import { STRING_OPS } from "./typed-ops-strings.js";
import { ZSET_OPS } from "./typed-ops-zsets.js";
import {
  count,
  num,
  str,
  strs,
  type TypedCall,
  type TypedOpSpec,
  type TypedWrite,
  text,
  wroteIf,
} from "./typed-spec.js";

export type { HomeType, ModelEffect, TypedCall, TypedDraw, TypedOpSpec, TypedWrite } from "./typed-spec.js";

const sortedText = (bs: Uint8Array[]): string[] => bs.map(text).sort();

/** A field (hashes), from a pool small enough that fields repeat. */
function field(p: Prng): string {
  return `f${p.int(40)}`;
}

/**
 * A member (sets), each with its own first byte, so the members of a set spread over the byte range (the
 * engine's SPOP draws uniformly from small sets, src/types/random-draw.ts; this keeps pops varied all the
 * same if that ever changes).
 */
function member(p: Prng): string {
  const i = p.int(24);
  return `${String.fromCharCode(0x61 + i)}${i}`;
}

/** HSET's [field, value] pairs of `call`. */
function hashPairs(call: TypedCall): [string, string][] {
  return (call.args as string[][]).map(([f, v]) => [f as string, v as string]);
}

/** Whether `key` holds a set with `m` now (no type error: a peek). */
function setHas(ks: RedisKeyspace, key: string, m: string, nowMs: number): boolean {
  const v = ks.entry(key, nowMs)?.value;
  return v?.type === "set" && v.members.has(m);
}

/** A store (SINTERSTORE/SUNIONSTORE/SDIFFSTORE) entry. */
function store(op: "inter" | "union" | "diff", engine: keyof FuseDB["sets"]): TypedOpSpec {
  return {
    read: false,
    draw: (d) => ({ cmd: `s${op}store`, keys: [d.key("set"), d.key("set"), d.key("set")], args: [] }),
    model: (ks, c, nowMs) => {
      const [dst, ...srcs] = c.keys as [string, ...string[]];
      const wasLive = ks.entry(dst, nowMs) !== undefined;
      const n = sets.sstore(ks, op, dst, srcs, nowMs);
      const writes: TypedWrite[] = wasLive ? [{ key: dst, del: true }] : [];
      if (n > 0) writes.push({ key: dst });
      return { answer: n, writes };
    },
    engine: (db, c) => {
      const [dst, ...srcs] = c.keys as [string, ...string[]];
      const fn = db.sets[engine] as (d: string, k: string[]) => Promise<number>;
      return fn.call(db.sets, dst, srcs);
    },
  };
}

/** SPOP's guess before the engine answers: the first members in byte order (a valid choice). */
const FIRST: RandomSource = { int: () => 0 };

/** The hash and set operations, by command name. */
const HASH_SET_OPS: Readonly<Record<string, TypedOpSpec>> = {
  hset: {
    read: false,
    draw: (d) => ({
      cmd: "hset",
      keys: [d.key("hash")],
      args: Array.from({ length: count(d.prng) }, () => [field(d.prng), `v${d.prng.int(100)}`]),
    }),
    // HSET writes its key even when every value is unchanged (a new version, as Redis signals a change).
    model: (ks, c, nowMs) => ({
      answer: hashes.hset(ks, c.keys[0] as string, hashPairs(c), nowMs),
      writes: [{ key: c.keys[0] as string }],
    }),
    engine: (db, c) => db.hashes.hset(c.keys[0] as string, hashPairs(c)),
  },
  hdel: {
    read: false,
    draw: (d) => ({
      cmd: "hdel",
      keys: [d.key("hash")],
      args: Array.from({ length: count(d.prng) }, () => field(d.prng)),
    }),
    model: (ks, c, nowMs) => {
      const n = hashes.hdel(ks, c.keys[0] as string, strs(c.args as ModelJson), nowMs);
      return { answer: n, writes: wroteIf(n > 0, c.keys[0] as string) };
    },
    engine: (db, c) => db.hashes.hdel(c.keys[0] as string, strs(c.args as ModelJson)),
  },
  sadd: {
    read: false,
    draw: (d) => ({
      cmd: "sadd",
      keys: [d.key("set")],
      args: Array.from({ length: count(d.prng) }, () => member(d.prng)),
    }),
    model: (ks, c, nowMs) => {
      const n = sets.sadd(ks, c.keys[0] as string, strs(c.args as ModelJson), nowMs);
      return { answer: n, writes: wroteIf(n > 0, c.keys[0] as string) };
    },
    engine: (db, c) => db.sets.sadd(c.keys[0] as string, strs(c.args as ModelJson)),
  },
  srem: {
    read: false,
    draw: (d) => ({
      cmd: "srem",
      keys: [d.key("set")],
      args: Array.from({ length: count(d.prng) }, () => member(d.prng)),
    }),
    model: (ks, c, nowMs) => {
      const n = sets.srem(ks, c.keys[0] as string, strs(c.args as ModelJson), nowMs);
      return { answer: n, writes: wroteIf(n > 0, c.keys[0] as string) };
    },
    engine: (db, c) => db.sets.srem(c.keys[0] as string, strs(c.args as ModelJson)),
  },
  smove: {
    read: false,
    draw: (d) => ({ cmd: "smove", keys: [d.key("set"), d.key("set")], args: [member(d.prng)] }),
    model: (ks, c, nowMs) => {
      const [src, dst] = c.keys as [string, string];
      const m = str(c.args[0]);
      const dstHad = setHas(ks, dst, m, nowMs);
      const moved = sets.smove(ks, src, dst, m, nowMs);
      // Source and destination in one record: the source loses the member, the destination gains it.
      const writes = moved === 1 && src !== dst ? [{ key: src }, ...(dstHad ? [] : [{ key: dst }])] : [];
      return { answer: moved, writes };
    },
    engine: async (db, c) =>
      (await db.sets.smove(c.keys[0] as string, c.keys[1] as string, str(c.args[0]))) ? 1 : 0,
  },
  sinterstore: store("inter", "sinterstore"),
  sunionstore: store("union", "sunionstore"),
  sdiffstore: store("diff", "sdiffstore"),
  spop: {
    read: false,
    choice: true,
    draw: (d) => ({ cmd: "spop", keys: [d.key("set")], args: [d.prng.pick([1, 1, 2, 3, 8])] }),
    model: (ks, c, nowMs, replay) => {
      const key = c.keys[0] as string;
      if (replay === undefined) {
        const popped = [...(sets.spop(ks, key, num(c.args[0]), FIRST, nowMs) as string[])].sort();
        return { answer: popped, writes: wroteIf(popped.length > 0, key) };
      }
      // The engine's choice: distinct members of the set, as many as the count allows.
      const want = Math.min(num(c.args[0]), sets.scard(ks, key, nowMs));
      const got = strs(replay);
      if (
        new Set(got).size !== got.length ||
        got.length !== want ||
        got.some((m) => !setHas(ks, key, m, nowMs))
      ) {
        fail(`ERR spop answered ${JSON.stringify(got)}: not ${want} distinct members of ${key}`);
      }
      if (got.length > 0) sets.srem(ks, key, got, nowMs);
      return { answer: [...got].sort(), writes: wroteIf(got.length > 0, key) };
    },
    engine: async (db, c) => sortedText(await db.sets.spop(c.keys[0] as string, num(c.args[0]))),
  },
  hgetall: {
    read: true,
    draw: (d) => ({ cmd: "hgetall", keys: [d.key("hash")], args: [] }),
    model: (ks, c, nowMs) => ({
      answer: Object.fromEntries(hashes.hgetall(ks, c.keys[0] as string, nowMs)),
      writes: [],
    }),
    engine: async (db, c) =>
      Object.fromEntries((await db.hashes.hgetall(c.keys[0] as string)).map(([f, v]) => [text(f), text(v)])),
  },
  hget: {
    read: true,
    draw: (d) => ({ cmd: "hget", keys: [d.key("hash")], args: [field(d.prng)] }),
    model: (ks, c, nowMs) => ({
      answer: hashes.hget(ks, c.keys[0] as string, str(c.args[0]), nowMs),
      writes: [],
    }),
    engine: async (db, c) => {
      const v = await db.hashes.hget(c.keys[0] as string, str(c.args[0]));
      return v === undefined ? null : text(v);
    },
  },
  hlen: {
    read: true,
    draw: (d) => ({ cmd: "hlen", keys: [d.key("hash")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: hashes.hlen(ks, c.keys[0] as string, nowMs), writes: [] }),
    engine: (db, c) => db.hashes.hlen(c.keys[0] as string),
  },
  smembers: {
    read: true,
    draw: (d) => ({ cmd: "smembers", keys: [d.key("set")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: sets.smembers(ks, c.keys[0] as string, nowMs), writes: [] }),
    // SMEMBERS answers in bytewise order: the order is part of what is checked.
    engine: async (db, c) => (await db.sets.smembers(c.keys[0] as string)).map(text),
  },
  scard: {
    read: true,
    draw: (d) => ({ cmd: "scard", keys: [d.key("set")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: sets.scard(ks, c.keys[0] as string, nowMs), writes: [] }),
    engine: (db, c) => db.sets.scard(c.keys[0] as string),
  },
};

/** Every operation, by command name: hashes and sets here, the other types in sim/typed-ops-*.ts. */
export const TYPED_OPS: Readonly<Record<string, TypedOpSpec>> = {
  ...HASH_SET_OPS,
  ...STRING_OPS,
  ...LIST_OPS,
  ...ZSET_OPS,
  ...KEY_OPS,
};

/**
 * Relative weights of the data-type operations among themselves: each type's writes about a fifth of the
 * whole (hashes and sets as before), reads a third of its writes, generic key operations a tenth.
 */
export const TYPED_MIX: Readonly<Record<string, number>> = {
  hset: 10,
  hdel: 5,
  sadd: 10,
  srem: 5,
  smove: 4,
  sinterstore: 1,
  sunionstore: 2,
  sdiffstore: 1,
  spop: 2,
  hgetall: 4,
  hget: 3,
  hlen: 2,
  smembers: 4,
  scard: 2,
  // Strings.
  set: 6,
  append: 3,
  setrange: 2,
  incrby: 4,
  incrbyfloat: 2,
  getdel: 2,
  getex: 2,
  mset: 2,
  msetnx: 1,
  get: 3,
  strlen: 1,
  getrange: 1,
  mget: 2,
  // Lists.
  lpush: 6,
  rpush: 6,
  lpushx: 1,
  rpushx: 1,
  lpop: 4,
  rpop: 3,
  lset: 2,
  linsert: 2,
  lrem: 2,
  ltrim: 2,
  lmove: 3,
  lrange: 4,
  llen: 1,
  lindex: 2,
  lpos: 1,
  // Sorted sets.
  zadd: 12,
  zincrby: 4,
  zrem: 3,
  zremrangebyscore: 2,
  zremrangebyrank: 1,
  zremrangebylex: 1,
  zpopmin: 2,
  zpopmax: 2,
  zunionstore: 2,
  zinterstore: 2,
  zdiffstore: 1,
  zrangestore: 2,
  zrange: 4,
  zrangebyscore: 2,
  zscore: 2,
  zcard: 1,
  zrank: 1,
  zcount: 1,
  // Generic keys, over every type.
  del: 3,
  pexpire: 3,
  persist: 1,
  rename: 2,
  renamenx: 1,
  copy: 2,
  type: 1,
  exists: 1,
};

/** The type each command works on ("key" for the generic key operations). */
const TYPE_OF_COMMAND: ReadonlyMap<string, string> = new Map([
  ...Object.keys(HASH_SET_OPS).map((c) => [c, c.startsWith("h") ? "hash" : "set"] as const),
  ...Object.keys(STRING_OPS).map((c) => [c, "string"] as const),
  ...Object.keys(LIST_OPS).map((c) => [c, "list"] as const),
  ...Object.keys(ZSET_OPS).map((c) => [c, "zset"] as const),
  ...Object.keys(KEY_OPS).map((c) => [c, "key"] as const),
]);

/** The type `cmd` works on: "string", "hash", "list", "set", "zset", or "key" (generic). */
export function typeOfCommand(cmd: string): string {
  return TYPE_OF_COMMAND.get(cmd) ?? "key";
}

/** The spec of `cmd`. @throws Error for an unknown command (a workload bug). */
export function typedSpec(cmd: string): TypedOpSpec {
  const spec = TYPED_OPS[cmd];
  if (spec === undefined) throw new Error(`no typed operation ${cmd}`);
  return spec;
}

/** One line for traces and reports: `hset k001 [["f1","v2"]]`, then the flags if any: `zadd k005 [[1,"m3"]] {"nx":true}`. */
export function describeTyped(c: TypedCall): string {
  const args = JSON.stringify(c.args);
  const opts = c.opts === undefined || Object.keys(c.opts).length === 0 ? "" : ` ${JSON.stringify(c.opts)}`;
  return `${c.cmd} ${c.keys.join(" ")} ${args.length > 64 ? `${args.slice(0, 32)}…(${c.args.length} args)` : args}${opts}`;
}

export { RedisKeyspace };
