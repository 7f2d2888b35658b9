/**
 * Invariants of the Redis reference model's remaining collection replies (sim/redis-model/hashes.ts,
 * sets.ts, zsets.ts), expected outputs from the redis.io pages cited per case:
 * - HRANDFIELD/ZRANDMEMBER count rules: positive → distinct, at most all; negative → |count| with repeats;
 *   0 → none; no count → one or null (seed printed);
 * - HSCAN/SSCAN/ZSCAN return each element matching MATCH exactly once in the model's single pass;
 * - ZRANGESTORE stores the selection (an empty one deletes the destination); ZMSCORE; HGETALL/HKEYS/HVALS.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { hashes, keys, RedisKeyspace, sets, zsets } from "../sim/redis-model/index.js";
import { testSeed } from "./helpers/seed.js";

function fixture(): RedisKeyspace {
  const ks = new RedisKeyspace();
  hashes.hset(
    ks,
    "h",
    [
      ["head", "1"],
      ["tails", "2"],
      ["edge", "3"],
    ],
    0,
  );
  sets.sadd(ks, "s", ["apple", "avocado", "banana"], 0);
  zsets.zadd(
    ks,
    "z",
    [
      [1, "one"],
      [2, "two"],
      [3, "three"],
    ],
    {},
    0,
  );
  return ks;
}

describe("random members (redis.io/commands/hrandfield, /zrandmember, /srandmember)", () => {
  it("count rules, drawing only from the seeded source", () => {
    const seed = testSeed("redis-model random counts");
    const ks = fixture();
    const rng = new Prng(seed);
    const distinct = hashes.hrandfield(ks, "h", 5, rng, 0) as [string, string][];
    expect(distinct.map(([f]) => f).sort()).toEqual(["edge", "head", "tails"]);
    const repeated = zsets.zrandmember(ks, "z", -5, rng, 0) as [string, number][];
    expect(repeated).toHaveLength(5);
    for (const [m, s] of repeated) expect(zsets.zscore(ks, "z", m, 0)).toBe(s);
    expect(zsets.zrandmember(ks, "z", 0, rng, 0)).toEqual([]);
    expect(["one", "two", "three"]).toContain(zsets.zrandmember(ks, "z", undefined, rng, 0));
    expect(hashes.hrandfield(ks, "none", undefined, rng, 0)).toBeNull();
    expect(sets.srandmember(ks, "none", 3, rng, 0)).toEqual([]);
    expect(sets.srandmember(ks, "s", 2, rng, 0)).toHaveLength(2);
    const again = hashes.hrandfield(fixture(), "h", 5, new Prng(seed), 0);
    expect(again).toEqual(distinct);
  });
});

describe("scans with MATCH (redis.io/commands/scan: MATCH option)", () => {
  it("HSCAN, SSCAN and ZSCAN filter by glob, each element once", () => {
    const ks = fixture();
    expect(hashes.hscan(ks, "h", "*e*", 0)).toEqual([
      ["head", "1"],
      ["edge", "3"],
    ]);
    expect(sets.sscan(ks, "s", "a*", 0)).toEqual(["apple", "avocado"]);
    expect(zsets.zscan(ks, "z", "t*", 0)).toEqual([
      ["two", 2],
      ["three", 3],
    ]);
    expect(zsets.zscan(ks, "z", undefined, 0)).toHaveLength(3);
  });
});

describe("ZRANGESTORE, ZMSCORE, HGETALL (redis.io/commands/zrangestore, /zmscore, /hgetall)", () => {
  it("ZRANGESTORE doc example: ZADD srczset 1 one 2 two 3 three 4 four; ZRANGESTORE dstzset srczset 2 -1", () => {
    const ks = new RedisKeyspace();
    zsets.zadd(
      ks,
      "src",
      [
        [1, "one"],
        [2, "two"],
        [3, "three"],
        [4, "four"],
      ],
      {},
      0,
    );
    expect(zsets.zrangestore(ks, "dst", "src", "2", "-1", {}, 0)).toBe(2);
    expect(zsets.zrange(ks, "dst", "0", "-1", {}, 0)).toEqual(["three", "four"]);
    expect(zsets.zrangestore(ks, "dst", "src", "(4", "+inf", { by: "score" }, 0)).toBe(0);
    expect(keys.exists(ks, ["dst"], 0)).toBe(0);
    expect(zsets.zmscore(ks, "src", ["one", "two", "nofield"], 0)).toEqual([1, 2, null]);
  });
  it("HGETALL/HKEYS/HVALS doc example (field order: insertion in the model)", () => {
    const ks = new RedisKeyspace();
    hashes.hset(
      ks,
      "h",
      [
        ["field1", "Hello"],
        ["field2", "World"],
      ],
      0,
    );
    expect(hashes.hgetall(ks, "h", 0)).toEqual([
      ["field1", "Hello"],
      ["field2", "World"],
    ]);
    expect(hashes.hkeys(ks, "h", 0)).toEqual(["field1", "field2"]);
    expect(hashes.hvals(ks, "h", 0)).toEqual(["Hello", "World"]);
    expect(hashes.hmget(ks, "h", ["field1", "nofield"], 0)).toEqual(["Hello", null]);
    expect(hashes.hlen(ks, "h", 0)).toBe(2);
    expect(hashes.hexists(ks, "h", "field1", 0)).toBe(1);
  });
});
