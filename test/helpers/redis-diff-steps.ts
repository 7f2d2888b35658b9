/**
 * Steps of the Redis differential test (test/redis-model-differential.test.ts): one command as the argv sent
 * to a real Redis and a check that applies the same command to the reference model (sim/redis-model/) and
 * compares the two replies. Replies on both sides are normalised to {@link Reply}: bulk and simple strings
 * and integers as byte strings, nil as null, arrays, errors as their full text. Comparison is exact unless
 * the step says Redis's order is unspecified (docs/data-types-model.md, "Order") or its values are random
 * or time-dependent.
 */
import {
  formatRedisDouble,
  type RedisKeyspace,
  RedisModelError,
  strings,
  type ZEntry,
} from "../../sim/redis-model/index.js";

/** A reply in comparable form. */
export type Reply = string | null | Reply[] | { error: string };

/** One command: its argv (byte strings) and the model-side check against Redis's reply. */
export interface Step {
  argv: string[];
  /** Applies the command to `ks` and returns a description of the mismatch with `real`, or undefined. */
  check(ks: RedisKeyspace, real: Reply, nowMs: number): string | undefined;
}

/** Converts what @redis/client returned (Buffers, strings, arrays, null, an ErrorReply) to a Reply. */
export function normalizeReply(x: unknown): Reply {
  if (x === null || x === undefined) return null;
  if (Buffer.isBuffer(x)) return x.toString("latin1");
  if (typeof x === "string") return x;
  if (typeof x === "number" || typeof x === "bigint") return String(x);
  if (Array.isArray(x)) return x.map(normalizeReply);
  if (x instanceof Error) return { error: x.message };
  throw new Error(`unexpected reply shape: ${String(x)}`);
}

/** A reply for humans (byte strings as JSON with \u escapes). */
export function show(r: Reply | undefined): string {
  return JSON.stringify(r);
}

/** The model's answer: the reply, or the error text of a RedisModelError (anything else is a bug). */
export function modelReply(run: () => Reply): Reply {
  try {
    return run();
  } catch (e) {
    if (e instanceof RedisModelError) return { error: e.message };
    throw e;
  }
}

export const int = (n: number | bigint): string => String(n);
export const bulk = (v: Uint8Array | string | null): Reply =>
  v === null ? null : typeof v === "string" ? v : strings.latin1(v);
export const score = (s: number | null): Reply => (s === null ? null : formatRedisDouble(s));
export const flatEntries = (entries: ZEntry[]): Reply[] =>
  entries.flatMap(([m, s]) => [m, formatRedisDouble(s)]);
export const flatPairs = (pairs: [string, string][]): Reply[] => pairs.flat();

const isError = (r: Reply): r is { error: string } =>
  r !== null && typeof r === "object" && !Array.isArray(r);
const same = (a: Reply, b: Reply): boolean => show(a) === show(b);

function chunks(items: Reply[], size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += size) out.push(show(items.slice(i, i + size)));
  return out;
}

/** Two array replies equal as multisets of `group`-sized runs (1: items, 2: field/value or member/score). */
function sameMultiset(a: Reply, b: Reply, group: number): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return same(a, b);
  return same(chunks(a, group).sort(), chunks(b, group).sort());
}

const mismatch = (expected: Reply, real: Reply) => `model ${show(expected)} but redis ${show(real)}`;

/** A step whose reply must equal the model's exactly. */
export function exact(argv: string[], run: (ks: RedisKeyspace, nowMs: number) => Reply): Step {
  return {
    argv,
    check: (ks, real, nowMs) => {
      const expected = modelReply(() => run(ks, nowMs));
      return same(expected, real) ? undefined : mismatch(expected, real);
    },
  };
}

/** A step whose array reply is unordered in Redis: compared as a multiset of `group`-sized runs. */
export function unordered(
  argv: string[],
  group: 1 | 2,
  run: (ks: RedisKeyspace, nowMs: number) => Reply,
): Step {
  return {
    argv,
    check: (ks, real, nowMs) => {
      const expected = modelReply(() => run(ks, nowMs));
      return sameMultiset(expected, real, group) ? undefined : mismatch(expected, real);
    },
  };
}

/** SCAN/HSCAN/SSCAN/ZSCAN with a COUNT above the collection size: cursor "0" and the items as a multiset. */
export function scan(argv: string[], group: 1 | 2, run: (ks: RedisKeyspace, nowMs: number) => Reply): Step {
  return {
    argv,
    check: (ks, real, nowMs) => {
      const items = modelReply(() => run(ks, nowMs));
      const expected: Reply = isError(items) ? items : ["0", items];
      if (isError(expected)) return same(expected, real) ? undefined : mismatch(expected, real);
      if (!Array.isArray(real) || real.length !== 2) return mismatch(expected, real);
      const ok = real[0] === "0" && sameMultiset(expected[1] ?? null, real[1] ?? null, group);
      return ok ? undefined : mismatch(expected, real);
    },
  };
}

/**
 * TTL/PTTL/EXPIRETIME/PEXPIRETIME: negative answers (-2 absent, -1 no TTL) must match exactly; times may
 * differ by `slack` (the harness's clock and Redis's are read a few ms apart; relative expiries too).
 */
export function loose(argv: string[], slack: number, run: (ks: RedisKeyspace, nowMs: number) => Reply): Step {
  return {
    argv,
    check: (ks, real, nowMs) => {
      const expected = modelReply(() => run(ks, nowMs));
      if (typeof expected !== "string" || typeof real !== "string" || Number(expected) < 0) {
        return same(expected, real) ? undefined : mismatch(expected, real);
      }
      return Math.abs(Number(expected) - Number(real)) <= slack ? undefined : mismatch(expected, real);
    },
  };
}

/**
 * A step with a random reply (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER): the model's reply (from any draw) gives
 * the shape; Redis's must have the same shape and length, every item (or pair) must be one the model holds
 * (`holds`), and with `distinct` no item may repeat.
 */
export function random(
  argv: string[],
  group: 1 | 2,
  distinct: boolean,
  run: (ks: RedisKeyspace, nowMs: number) => Reply,
  holds: (ks: RedisKeyspace, item: Reply[], nowMs: number) => boolean,
): Step {
  return {
    argv,
    check: (ks, real, nowMs) => {
      const expected = modelReply(() => run(ks, nowMs));
      if (!Array.isArray(expected)) {
        if (expected === null || isError(expected))
          return same(expected, real) ? undefined : mismatch(expected, real);
        return typeof real === "string" && holds(ks, [real], nowMs) ? undefined : mismatch(expected, real);
      }
      if (!Array.isArray(real) || real.length !== expected.length) return mismatch(expected, real);
      const runs = chunks(real, group);
      if (distinct && new Set(runs).size !== runs.length) return `repeated items: ${show(real)}`;
      for (let i = 0; i < real.length; i += group) {
        if (!holds(ks, real.slice(i, i + group), nowMs)) return `item not in the model: ${show(real)}`;
      }
      return undefined;
    },
  };
}
