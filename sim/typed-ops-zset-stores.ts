/**
 * The sorted-set writes over several keys the campaigns draw (issue 14): ZUNIONSTORE and ZINTERSTORE (with
 * WEIGHTS and AGGREGATE now and then), ZDIFFSTORE and ZRANGESTORE (by rank, score or lex; REV; LIMIT), each
 * on the Redis reference model (sim/redis-model/zset-store.ts, zsets.ts) and on `db.zsets`. Sources are
 * mostly sorted sets, sometimes plain sets (Redis scores their members 1) or keys of other types (WRONGTYPE);
 * the destination is now and then one of the sources. Each store reads its sources and replaces its
 * destination in one WAL record: a crash tears it whole or not at all.
 *
 * Versions (the engine's rule, src/types/zset-store.ts storeEntries): a non-empty result is written over
 * the destination as one new version whatever it held (its old elements left to merges: a new generation);
 * an empty result deletes a live destination and writes nothing otherwise. Unlike the set stores
 * (SINTERSTORE...: a delete then a creation, two versions), so the writes are stated here, not tracked: a
 * store that leaves the destination as it was is still a new version.
 */
import type { Prng } from "./disk/prng.js";
import type { ModelJson } from "./model.js";
import { type ZRangeOptions, type ZStoreOptions, zsets, zstore } from "./redis-model/index.js";
import { num, scoreIn, str, type TypedCall, type TypedOpSpec, type TypedWrite } from "./typed-spec.js";

/** A member bound (lex) or score bound as Redis's text, over the members and scores sim/typed-ops-zsets.ts draws. */
function bound(p: Prng, by: "score" | "lex"): string {
  const r = p.int(10);
  if (r === 0) return by === "score" ? "-inf" : "-";
  if (r === 1) return by === "score" ? "+inf" : "+";
  const open = r < 4 ? "(" : by === "lex" ? "[" : "";
  return by === "score" ? `${open}${p.range(-8, 8)}` : `${open}m${p.int(30)}`;
}

/** A source key: mostly a sorted set's home, sometimes a set's, now and then any key. */
function source(d: Parameters<TypedOpSpec["draw"]>[0]): string {
  const r = d.prng.int(10);
  return r < 7 ? d.key("zset") : r < 9 ? d.key("set") : d.key();
}

/** The destination's writes for a store whose result has `n` entries (see the module comment). */
function storeWrites(dst: string, wasLive: boolean, n: number): TypedWrite[] {
  if (n > 0) return [{ key: dst }];
  return wasLive ? [{ key: dst, del: true }] : [];
}

/** WEIGHTS and AGGREGATE of a call (weights as JSON: ±inf as text). */
function combineOptions(c: TypedCall): ZStoreOptions {
  const o = c.opts ?? {};
  const out: ZStoreOptions = {};
  if (Array.isArray(o.weights)) out.weights = o.weights.map((w) => scoreIn(w));
  if (typeof o.aggregate === "string") out.aggregate = o.aggregate as "sum" | "min" | "max";
  return out;
}

/** A ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE entry. */
function combineStore(op: "union" | "inter" | "diff"): TypedOpSpec {
  return {
    read: false,
    draw: (d) => {
      const p = d.prng;
      const srcs = Array.from({ length: p.pick([1, 2, 2, 3]) }, () => source(d));
      const dst = p.bool(0.2) ? (p.pick(srcs) as string) : d.key("zset");
      const opts: TypedCall["opts"] = {};
      if (op !== "diff" && p.bool(0.3)) {
        // Now and then an infinite weight: 0 · inf is 0 in Redis, inf + -inf too.
        opts.weights = srcs.map(() => (p.bool(0.05) ? p.pick(["inf", "-inf"]) : p.pick([0, 1, 2, -1, 0.5])));
      }
      if (op !== "diff" && p.bool(0.3)) opts.aggregate = p.pick(["sum", "min", "max"]);
      return { cmd: `z${op}store`, keys: [dst, ...srcs], args: [], opts };
    },
    model: (ks, c, nowMs) => {
      const [dst, ...srcs] = c.keys as [string, ...string[]];
      const wasLive = ks.entry(dst, nowMs) !== undefined;
      const n = zstore(ks, op, dst, srcs, combineOptions(c), nowMs);
      return { answer: n, writes: storeWrites(dst, wasLive, n) };
    },
    engine: (db, c) => {
      const [dst, ...srcs] = c.keys as [string, ...string[]];
      if (op === "diff") return db.zsets.zdiffstore(dst, srcs);
      const opts = combineOptions(c);
      return op === "union" ? db.zsets.zunionstore(dst, srcs, opts) : db.zsets.zinterstore(dst, srcs, opts);
    },
  };
}

/** ZRANGESTORE's range options of a call. */
function rangeOptions(c: TypedCall): Omit<ZRangeOptions, "withScores"> {
  const o = c.opts ?? {};
  const by = (o.by ?? "rank") as "rank" | "score" | "lex";
  const limit = typeof o.offset === "number" ? { offset: o.offset, count: num(o.count) } : undefined;
  return { by, ...(o.rev === true ? { rev: true } : {}), ...(limit ? { limit } : {}) };
}

/** The operations, by command name. */
export const ZSET_STORE_OPS: Readonly<Record<string, TypedOpSpec>> = {
  zunionstore: combineStore("union"),
  zinterstore: combineStore("inter"),
  zdiffstore: combineStore("diff"),
  zrangestore: {
    read: false,
    draw: (d) => {
      const p = d.prng;
      const src = p.bool(0.9) ? d.key("zset") : d.key();
      const dst = p.bool(0.15) ? src : d.key("zset");
      const by = p.pick(["rank", "rank", "score", "lex"] as const);
      const args: ModelJson[] =
        by === "rank" ? [p.range(-5, 5), p.range(-5, 8)] : [bound(p, by), bound(p, by)];
      const opts: TypedCall["opts"] = { by, rev: p.bool(0.3) };
      if (by !== "rank" && p.bool(0.3)) Object.assign(opts, { offset: p.int(3), count: p.pick([-1, 1, 3]) });
      return { cmd: "zrangestore", keys: [dst, src], args, opts };
    },
    model: (ks, c, nowMs) => {
      const [dst, src] = c.keys as [string, string];
      const wasLive = ks.entry(dst, nowMs) !== undefined;
      const [a, b] = c.args.map((v) => String(v)) as [string, string];
      const n = zsets.zrangestore(ks, dst, src, a, b, rangeOptions(c), nowMs);
      return { answer: n, writes: storeWrites(dst, wasLive, n) };
    },
    engine: (db, c) => {
      const [dst, src] = c.keys as [string, string];
      const o = rangeOptions(c);
      const [a, b] = o.by === "rank" ? [num(c.args[0]), num(c.args[1])] : [str(c.args[0]), str(c.args[1])];
      return db.zsets.zrangestore(dst, src, a, b, o);
    },
  },
};
