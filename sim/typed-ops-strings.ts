/**
 * The string operations the campaigns draw (issue 14): SET with NX/XX/GET/KEEPTTL/PX, APPEND, SETRANGE,
 * INCRBY, INCRBYFLOAT, GETDEL, GETEX, MSET, MSETNX, and the reads GET, STRLEN, GETRANGE, MGET; each on the
 * Redis reference model (sim/redis-model/strings.ts) and on `db.strings`. Values are decimal integers often
 * (so INCRBY and INCRBYFLOAT mostly work) and words otherwise (so they fail with Redis's errors).
 */
import type { Prng } from "./disk/prng.js";
import type { ModelJson } from "./model.js";
import { type SetOptions, strings } from "./redis-model/index.js";
import {
  key0,
  num,
  orNull,
  str,
  type TypedCall,
  type TypedOpSpec,
  text,
  tracked,
  wroteIf,
} from "./typed-spec.js";

/** A string value: an integer's text (sometimes a float's), else a word; now and then empty. */
function value(p: Prng): string {
  const r = p.int(10);
  if (r < 5) return String(p.range(-40, 40));
  if (r === 5) return `${p.range(-9, 9)}.${p.range(1, 9)}`;
  if (r === 6 && p.bool(0.2)) return "";
  return `w${p.int(30)}`;
}

const bytes = (s: ModelJson | undefined): Uint8Array => strings.asciiBytes(str(s));

/** SET's options from a call's `opts`. */
function setOptions(o: TypedCall["opts"] = {}): SetOptions {
  const out: SetOptions = {};
  if (o.nx === true) out.nx = true;
  if (o.xx === true) out.xx = true;
  if (o.get === true) out.get = true;
  if (o.keepTtl === true) out.keepTtl = true;
  if (typeof o.px === "number") out.expiry = { unit: "px", amount: o.px };
  return out;
}

/** MSET's [key, value] pairs: the call's keys with its values. */
function pairs(c: TypedCall): [string, string][] {
  return c.keys.map((k, i) => [k, str(c.args[i])]);
}

/** The operations, by command name. */
export const STRING_OPS: Readonly<Record<string, TypedOpSpec>> = {
  set: {
    read: false,
    draw: (d) => {
      const opts: TypedCall["opts"] = {};
      const p = d.prng;
      if (p.bool(0.15)) opts[p.pick(["nx", "xx"])] = true;
      if (p.bool(0.02)) opts.nx = opts.xx = true; // a syntax error
      if (p.bool(0.2)) opts.get = true;
      if (p.bool(0.2)) opts.keepTtl = true;
      if (p.bool(0.25) && (opts.keepTtl !== true || p.bool(0.1))) opts.px = p.range(1, 3000);
      return { cmd: "set", keys: [d.key("string")], args: [value(p)], opts };
    },
    model: (ks, c, nowMs) => {
      const k = key0(c);
      const o = setOptions(c.opts);
      const live = ks.entry(k, nowMs) !== undefined;
      const r = strings.set(ks, k, bytes(c.args[0]), o, nowMs);
      const blocked = (o.nx === true && live) || (o.xx === true && !live);
      return { answer: r instanceof Uint8Array ? text(r) : r, writes: wroteIf(!blocked, k) };
    },
    engine: async (db, c) => {
      const o = setOptions(c.opts);
      const options = { nx: o.nx, xx: o.xx, keepTtl: o.keepTtl, px: c.opts?.px as number | undefined };
      if (o.get) return orNull(await db.strings.set(key0(c), str(c.args[0]), { ...options, get: true }));
      return (await db.strings.set(key0(c), str(c.args[0]), options)) ? "OK" : null;
    },
  },
  append: {
    read: false,
    draw: (d) => ({ cmd: "append", keys: [d.key("string")], args: [value(d.prng)] }),
    // APPEND is a modification even of an empty tail (it creates an empty string).
    model: (ks, c, nowMs) => ({
      answer: strings.append(ks, key0(c), bytes(c.args[0]), nowMs),
      writes: [{ key: key0(c) }],
    }),
    engine: async (db, c) => db.strings.append(key0(c), str(c.args[0])),
  },
  setrange: {
    read: false,
    draw: (d) => ({
      cmd: "setrange",
      keys: [d.key("string")],
      args: [d.prng.bool(0.03) ? -1 : d.prng.int(12), value(d.prng)],
    }),
    model: (ks, c, nowMs) => {
      const n = strings.setrange(ks, key0(c), num(c.args[0]), bytes(c.args[1]), nowMs);
      return { answer: n, writes: wroteIf(str(c.args[1]).length > 0, key0(c)) };
    },
    engine: async (db, c) => db.strings.setrange(key0(c), num(c.args[0]), str(c.args[1])),
  },
  incrby: {
    read: false,
    draw: (d) => ({
      cmd: "incrby",
      keys: [d.key("string")],
      args: [d.prng.bool(0.02) ? "9223372036854775000" : String(d.prng.range(-5, 9))],
    }),
    model: (ks, c, nowMs) => ({
      answer: String(strings.incrBy(ks, key0(c), BigInt(str(c.args[0])), nowMs)),
      writes: [{ key: key0(c) }],
    }),
    engine: async (db, c) => String(await db.strings.incrby(key0(c), BigInt(str(c.args[0])))),
  },
  incrbyfloat: {
    read: false,
    draw: (d) => ({
      cmd: "incrbyfloat",
      keys: [d.key("string")],
      args: [d.prng.pick(["1.5", "-0.25", "3", "0.1", "1e3", "-2.5e-1", "abc"])],
    }),
    model: (ks, c, nowMs) => ({
      answer: strings.incrByFloat(ks, key0(c), str(c.args[0]), nowMs),
      writes: [{ key: key0(c) }],
    }),
    engine: async (db, c) => db.strings.incrbyfloat(key0(c), str(c.args[0])),
  },
  getdel: {
    read: false,
    draw: (d) => ({ cmd: "getdel", keys: [d.key("string")], args: [] }),
    model: (ks, c, nowMs) => {
      const v = strings.getdel(ks, key0(c), nowMs);
      return { answer: v === null ? null : text(v), writes: wroteIf(v !== null, key0(c)) };
    },
    engine: async (db, c) => orNull(await db.strings.getdel(key0(c))),
  },
  getex: {
    read: false,
    draw: (d) => ({
      cmd: "getex",
      keys: [d.key("string")],
      args: [],
      opts: (d.prng.bool(0.6) ? { px: d.prng.range(1, 3000) } : { persist: true }) as TypedCall["opts"],
    }),
    model: (ks, c, nowMs) => {
      const k = key0(c);
      const px = c.opts?.px;
      if (typeof px !== "number") {
        return tracked(ks, [k], nowMs, () =>
          orNull(strings.getex(ks, k, { persist: true }, nowMs) ?? undefined),
        );
      }
      // A new expiry is a modification even when it equals the old one.
      const v = strings.getex(ks, k, { expiry: { unit: "px", amount: px } }, nowMs);
      return { answer: orNull(v ?? undefined), writes: wroteIf(v !== null, k) };
    },
    engine: async (db, c) => {
      const px = c.opts?.px;
      return orNull(await db.strings.getex(key0(c), typeof px === "number" ? { px } : { persist: true }));
    },
  },
  mset: {
    read: false,
    draw: (d) => {
      const n = d.prng.range(1, 3);
      return {
        cmd: "mset",
        keys: Array.from({ length: n }, () => d.key("string")),
        args: Array.from({ length: n }, () => value(d.prng)),
      };
    },
    // Every key named is written once (the last value named wins), in first-mention order.
    model: (ks, c, nowMs) => ({
      answer: strings.mset(
        ks,
        pairs(c).map(([k, v]) => [k, strings.asciiBytes(v)]),
        nowMs,
      ),
      writes: [...new Set(c.keys)].map((key) => ({ key })),
    }),
    engine: async (db, c) => {
      await db.strings.mset(pairs(c));
      return "OK";
    },
  },
  msetnx: {
    read: false,
    draw: (d) => {
      const n = d.prng.range(1, 3);
      return {
        cmd: "msetnx",
        keys: Array.from({ length: n }, () => d.key("string")),
        args: Array.from({ length: n }, () => value(d.prng)),
      };
    },
    model: (ks, c, nowMs) => {
      const r = strings.msetnx(
        ks,
        pairs(c).map(([k, v]) => [k, strings.asciiBytes(v)]),
        nowMs,
      );
      return { answer: r, writes: r === 1 ? [...new Set(c.keys)].map((key) => ({ key })) : [] };
    },
    engine: async (db, c) => ((await db.strings.msetnx(pairs(c))) ? 1 : 0),
  },
  get: {
    read: true,
    draw: (d) => ({ cmd: "get", keys: [d.key("string")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: orNull(strings.get(ks, key0(c), nowMs) ?? undefined), writes: [] }),
    engine: async (db, c) => orNull(await db.strings.get(key0(c))),
  },
  strlen: {
    read: true,
    draw: (d) => ({ cmd: "strlen", keys: [d.key("string")], args: [] }),
    model: (ks, c, nowMs) => ({ answer: strings.strlen(ks, key0(c), nowMs), writes: [] }),
    engine: async (db, c) => db.strings.strlen(key0(c)),
  },
  getrange: {
    read: true,
    draw: (d) => ({
      cmd: "getrange",
      keys: [d.key("string")],
      args: [d.prng.range(-6, 6), d.prng.range(-6, 12)],
    }),
    model: (ks, c, nowMs) => ({
      answer: text(strings.getrange(ks, key0(c), num(c.args[0]), num(c.args[1]), nowMs)),
      writes: [],
    }),
    engine: async (db, c) => text(await db.strings.getrange(key0(c), num(c.args[0]), num(c.args[1]))),
  },
  mget: {
    read: true,
    draw: (d) => ({ cmd: "mget", keys: [d.key("string"), d.key("string"), d.key()], args: [] }),
    model: (ks, c, nowMs) => ({
      answer: strings.mget(ks, c.keys, nowMs).map((v) => orNull(v ?? undefined)),
      writes: [],
    }),
    engine: async (db, c) => (await db.strings.mget(c.keys)).map(orNull),
  },
};
