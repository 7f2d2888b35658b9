/**
 * Whole-model invariants of the Redis reference model (sim/redis-model/), over seeded random command
 * sequences that mix types on few keys (so WRONGTYPE, empty results and bad arguments are frequent):
 * - a call that throws throws a RedisModelError (never a TypeError or RangeError) and leaves every key,
 *   value and TTL exactly as it was;
 * - no key ever holds an empty hash, list, set or zset (the last element removed deletes the key);
 * - the same seed gives the same replies (nothing outside the seeded source is random). Seed printed.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import {
  hashes,
  keys,
  lists,
  RedisKeyspace,
  RedisModelError,
  type RedisType,
  sets,
  strings,
  zsets,
  zstore,
} from "../sim/redis-model/index.js";
import { bytes } from "./helpers/redis-model-fixtures.js";
import { testSeed } from "./helpers/seed.js";

const KEYS = ["a", "b", "c"];
const ELEMENTS = ["x", "y", "z", "10", "1.5"];
const NUMBERS = ["1", "-1", "1.5", "0x10", "inf", "-inf", "abc", "", " 1", "9223372036854775807", "1e5000"];
const BOUNDS = ["-inf", "+inf", "(1", "1", "2.5", "(", "x", "[x", "(y", "-", "+"];
const INDEXES = [0, 1, -1, -2, 5, -10];

type Op = (ks: RedisKeyspace, r: Prng, now: number, k: string) => unknown;
const pick = <T>(r: Prng, items: readonly T[]): T => items[r.int(items.length)] as T;

const OPS: [RedisType | "any", Op][] = [
  [
    "string",
    (ks, r, now, k) => strings.set(ks, k, bytes(pick(r, NUMBERS)), { nx: r.bool(), get: r.bool() }, now),
  ],
  ["string", (ks, r, now, k) => strings.incrBy(ks, k, BigInt(pick(r, [1, -1, 2 ** 62])) * 2n, now)],
  ["string", (ks, r, now, k) => strings.incrByFloat(ks, k, pick(r, NUMBERS), now)],
  ["string", (ks, r, now, k) => strings.setrange(ks, k, pick(r, INDEXES), bytes(pick(r, ELEMENTS)), now)],
  [
    "string",
    (ks, r, now, k) => strings.getex(ks, k, { expiry: { unit: "px", amount: pick(r, INDEXES) } }, now),
  ],
  ["hash", (ks, r, now, k) => hashes.hset(ks, k, [[pick(r, ELEMENTS), pick(r, NUMBERS)]], now)],
  ["hash", (ks, r, now, k) => hashes.hdel(ks, k, [pick(r, ELEMENTS)], now)],
  ["hash", (ks, r, now, k) => hashes.hincrby(ks, k, pick(r, ELEMENTS), 2n ** 62n, now)],
  ["hash", (ks, r, now, k) => hashes.hincrbyfloat(ks, k, pick(r, ELEMENTS), pick(r, NUMBERS), now)],
  ["list", (ks, r, now, k) => lists.push(ks, k, pick(r, ["left", "right"]), [pick(r, ELEMENTS)], now)],
  ["list", (ks, r, now, k) => lists.pop(ks, k, "left", pick(r, [undefined, 0, 2, -1]), now)],
  ["list", (ks, r, now, k) => lists.ltrim(ks, k, pick(r, INDEXES), pick(r, INDEXES), now)],
  ["list", (ks, r, now, k) => lists.lrem(ks, k, pick(r, INDEXES), pick(r, ELEMENTS), now)],
  ["list", (ks, r, now, k) => lists.lset(ks, k, pick(r, INDEXES), pick(r, ELEMENTS), now)],
  ["list", (ks, r, now, k) => lists.lmove(ks, k, pick(r, KEYS), "left", "right", now)],
  ["list", (ks, r, now, k) => lists.lpos(ks, k, pick(r, ELEMENTS), { rank: pick(r, INDEXES) }, now)],
  ["set", (ks, r, now, k) => sets.sadd(ks, k, [pick(r, ELEMENTS)], now)],
  ["set", (ks, r, now, k) => sets.srem(ks, k, [pick(r, ELEMENTS)], now)],
  ["set", (ks, r, now, k) => sets.spop(ks, k, pick(r, [undefined, 2, -1]), r, now)],
  ["set", (ks, r, now, k) => sets.smove(ks, k, pick(r, KEYS), pick(r, ELEMENTS), now)],
  ["set", (ks, r, now, k) => sets.sstore(ks, pick(r, ["inter", "union", "diff"]), k, [pick(r, KEYS)], now)],
  [
    "set",
    (ks, r, now, k) =>
      zsets.zadd(
        ks,
        k,
        [[pick(r, [1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]), pick(r, ELEMENTS)]],
        { xx: r.bool(0.2), nx: r.bool(0.2), gt: r.bool(0.2), incr: r.bool(0.3) },
        now,
      ),
  ],
  ["set", (ks, r, now, k) => zsets.zremrangeby(ks, k, "score", pick(r, BOUNDS), pick(r, BOUNDS), now)],
  ["set", (ks, r, now, k) => zsets.zremrangeby(ks, k, "lex", pick(r, BOUNDS), pick(r, BOUNDS), now)],
  ["set", (ks, r, now, k) => zsets.zpop(ks, k, "max", pick(r, [undefined, 2, -1]), now)],
  [
    "set",
    (ks, r, now, k) => zsets.zrangestore(ks, k, pick(r, KEYS), pick(r, BOUNDS), "+inf", { by: "score" }, now),
  ],
  [
    "zset",
    (ks, r, now, k) => zstore(ks, pick(r, ["union", "inter"]), k, [pick(r, KEYS), pick(r, KEYS)], {}, now),
  ],
  ["any", (ks, r, now, k) => keys.rename(ks, k, pick(r, KEYS), r.bool(), now)],
  ["any", (ks, r, now, k) => keys.copy(ks, k, pick(r, KEYS), r.bool(), now)],
  [
    "any",
    (ks, r, now, k) =>
      keys.expire(ks, k, { unit: "px", amount: pick(r, INDEXES) * 7 }, { gt: r.bool() }, now),
  ],
  ["any", (ks, _r, now, k) => keys.del(ks, [k], now)],
];

/** Every live key with its value and TTL, in a comparable form. */
function snapshot(ks: RedisKeyspace, now: number): unknown {
  return ks.keys(now).map((k) => {
    const e = ks.entry(k, now);
    const v = e?.value;
    const body =
      v === undefined
        ? null
        : v.type === "string"
          ? [...v.bytes]
          : v.type === "hash"
            ? [...v.fields].sort()
            : v.type === "list"
              ? v.items
              : v.type === "set"
                ? [...v.members].sort()
                : [...v.scores].sort();
    return [k, v?.type, body, e?.expiresAtMs];
  });
}

function run(seed: number, steps: number): string[] {
  const r = new Prng(seed);
  const ks = new RedisKeyspace();
  const replies: string[] = [];
  for (let step = 0, now = 0; step < steps; step++, now += r.int(3)) {
    // Mostly an operation of the chosen key's own type, so commands hit live values, not only WRONGTYPE.
    const k = pick(r, KEYS);
    const held = keys.type(ks, k, now);
    const fitting = OPS.filter(([t]) => t === held || t === "any");
    const [, op] = held !== "none" && r.bool(0.75) ? pick(r, fitting) : pick(r, OPS);
    const before = snapshot(ks, now);
    try {
      replies.push(JSON.stringify(op(ks, r, now, k), (_k, x) => (typeof x === "bigint" ? `${x}n` : x)));
    } catch (e) {
      if (!(e instanceof RedisModelError)) throw e;
      replies.push(e.code);
      expect(snapshot(ks, now), `step ${step}: failed call changed state`).toEqual(before);
    }
    for (const row of snapshot(ks, now) as [string, string, unknown[]][]) {
      expect(row[1] === "string" || row[2].length > 0, `step ${step}: empty ${row[1]} at ${row[0]}`).toBe(
        true,
      );
    }
  }
  return replies;
}

describe("random command sequences", () => {
  it("failed calls change nothing, no empty collection survives, replies are deterministic", () => {
    const seed = testSeed("redis-model invariants");
    const first = run(seed, 3000);
    expect(first.filter((x) => x.startsWith("FUSEDB_")).length).toBeGreaterThan(100);
    expect(run(seed, 3000)).toEqual(first);
  });
});
