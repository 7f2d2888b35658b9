/**
 * The generic key operations the campaigns draw (issue 14), over every type a key may hold, JSON documents
 * included: DEL of several keys, PEXPIRE with NX/XX/GT/LT, PERSIST, RENAME, RENAMENX, COPY (with and
 * without REPLACE), and the reads TYPE and EXISTS; each on the Redis reference model
 * (sim/redis-model/keys.ts) and on `db.keys`. A JSON document is opaque to the Redis model: these
 * operations move, copy, expire and delete it whole, as the engine does.
 */
import type { ExpireCondition } from "../src/types/key-ops.js";
import type { Prng } from "./disk/prng.js";
import { type ExpireFlags, keys, type RedisKeyspace } from "./redis-model/index.js";
import type { HomeType, OpaqueDocument, TypedCall, TypedDraw, TypedOpSpec } from "./typed-spec.js";
import { key0, num, tracked, wroteIf } from "./typed-spec.js";

const TYPES: readonly HomeType[] = ["string", "hash", "list", "set", "zset"];

/** Any key: mostly a home key of a random type, sometimes any key (documents live there). */
function anyKey(d: TypedDraw): string {
  return d.prng.bool(0.25) ? d.key() : d.key(d.prng.pick(TYPES));
}

/** An EXPIRE condition, or none. */
function condition(p: Prng): ExpireCondition | undefined {
  return p.bool(0.6) ? undefined : p.pick(["NX", "XX", "GT", "LT"] as const);
}

/** The Redis model's flags for `cond`. */
function flagsOf(cond: unknown): ExpireFlags {
  return typeof cond === "string" ? { [cond.toLowerCase()]: true } : {};
}

/**
 * COPY on the Redis model: its copy of a JSON document (opaque to the model, which copies only its own
 * types) carries the document too.
 */
function copyKey(ks: RedisKeyspace, src: string, dst: string, replace: boolean, nowMs: number): 0 | 1 {
  const from = ks.entry(src, nowMs)?.value as unknown as OpaqueDocument | undefined;
  const r = keys.copy(ks, src, dst, replace, nowMs);
  const to = ks.entry(dst, nowMs);
  if (r === 1 && from?.type === "json" && to !== undefined) to.value = from as never;
  return r;
}

/** A RENAME / RENAMENX entry: the destination is written first, then the source is deleted. */
function rename(nx: boolean): TypedOpSpec {
  return {
    read: false,
    draw: (d) => {
      const src = anyKey(d);
      return { cmd: nx ? "renamenx" : "rename", keys: [src, d.prng.bool(0.1) ? src : anyKey(d)], args: [] };
    },
    model: (ks, c, nowMs) => {
      const [src, dst] = c.keys as [string, string];
      const r = keys.rename(ks, src, dst, nx, nowMs);
      const moved = src !== dst && (r === "OK" || r === 1);
      return { answer: r, writes: moved ? [{ key: dst }, { key: src }] : [] };
    },
    engine: async (db, c) => {
      const [src, dst] = c.keys as [string, string];
      if (nx) return (await db.keys.renamenx(src, dst)) ? 1 : 0;
      await db.keys.rename(src, dst);
      return "OK";
    },
  };
}

/** The operations, by command name. */
export const KEY_OPS: Readonly<Record<string, TypedOpSpec>> = {
  del: {
    read: false,
    draw: (d) => ({
      cmd: "del",
      keys: Array.from({ length: d.prng.range(1, 3) }, () => anyKey(d)),
      args: [],
    }),
    model: (ks, c, nowMs) => tracked(ks, c.keys, nowMs, () => keys.del(ks, c.keys, nowMs)),
    engine: async (db, c) => db.keys.del(c.keys),
  },
  pexpire: {
    read: false,
    draw: (d) => {
      const cond = condition(d.prng);
      const ms = d.prng.bool(0.05) ? -d.prng.int(100) : d.prng.range(1, 4000);
      return {
        cmd: "pexpire",
        keys: [anyKey(d)],
        args: [ms],
        opts: cond === undefined ? {} : ({ cond } as TypedCall["opts"]),
      };
    },
    // An expiry set is a modification even when it equals the old one; one at or before now deletes.
    model: (ks, c, nowMs) => {
      const r = keys.expire(
        ks,
        key0(c),
        { unit: "px", amount: num(c.args[0]) },
        flagsOf(c.opts?.cond),
        nowMs,
      );
      return { answer: r, writes: wroteIf(r === 1, key0(c)) };
    },
    engine: async (db, c) => {
      const cond = c.opts?.cond as ExpireCondition | undefined;
      return (await db.keys.pexpire(key0(c), num(c.args[0]), cond)) ? 1 : 0;
    },
  },
  persist: {
    read: false,
    draw: (d) => ({ cmd: "persist", keys: [anyKey(d)], args: [] }),
    model: (ks, c, nowMs) => tracked(ks, c.keys, nowMs, () => keys.persist(ks, key0(c), nowMs)),
    engine: async (db, c) => ((await db.keys.persist(key0(c))) ? 1 : 0),
  },
  rename: rename(false),
  renamenx: rename(true),
  copy: {
    read: false,
    draw: (d) => {
      const src = anyKey(d);
      return {
        cmd: "copy",
        keys: [src, d.prng.bool(0.05) ? src : anyKey(d)],
        args: [],
        opts: { replace: d.prng.bool(0.5) },
      };
    },
    model: (ks, c, nowMs) => {
      const [src, dst] = c.keys as [string, string];
      const r = copyKey(ks, src, dst, c.opts?.replace === true, nowMs);
      return { answer: r, writes: wroteIf(r === 1, dst) };
    },
    engine: async (db, c) => {
      const [src, dst] = c.keys as [string, string];
      return (await db.keys.copy(src, dst, { replace: c.opts?.replace === true })) ? 1 : 0;
    },
  },
  type: {
    read: true,
    draw: (d) => ({ cmd: "type", keys: [anyKey(d)], args: [] }),
    model: (ks, c, nowMs) => ({ answer: keys.type(ks, key0(c), nowMs), writes: [] }),
    engine: async (db, c) => db.keys.type(key0(c)),
  },
  exists: {
    read: true,
    draw: (d) => ({ cmd: "exists", keys: [anyKey(d), anyKey(d)], args: [] }),
    model: (ks, c, nowMs) => ({ answer: keys.exists(ks, c.keys, nowMs), writes: [] }),
    engine: async (db, c) => db.keys.exists(c.keys),
  },
};
