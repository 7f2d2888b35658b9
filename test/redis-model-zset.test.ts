/**
 * Invariants of the sorted-set part of the Redis reference model (sim/redis-model/zsets.ts, zset-ranges.ts;
 * zset-store.ts has test/redis-model-zset-store.test.ts), expected outputs from the redis.io command pages
 * cited per table and, where a row says so, as real Redis 7.0.15 answered (redis-model-differential):
 * - ZADD's NX/XX/GT/LT/CH/INCR combinations reply and change exactly as documented; incompatible flags fail
 *   with Redis's texts and change nothing;
 * - order is by score with -inf/+inf at the ends and equal scores by member bytes;
 * - ZRANGE by rank (negative, out of range), BYSCORE (exclusive, ±inf, REV, LIMIT; strtod bounds) and BYLEX
 *   ([, (, -, +);
 * - the last member removed deletes the key.
 */
import { describe, expect, it } from "vitest";
import {
  keys,
  MSG,
  RedisKeyspace,
  type ZAddOptions,
  type ZRangeOptions,
  zsets,
} from "../sim/redis-model/index.js";
import { all, ONE_TWO_THREE, zsetOf } from "./helpers/redis-model-fixtures.js";

describe("ZADD flags (redis.io/commands/zadd)", () => {
  // Start from {a: 5}; [args, flags, reply, scores after]
  const TABLE: [[number, string][], ZAddOptions, number | null, [string, number][]][] = [
    [
      [[1, "b"]],
      {},
      1,
      [
        ["b", 1],
        ["a", 5],
      ],
    ],
    [[[7, "a"]], {}, 0, [["a", 7]]],
    [[[7, "a"]], { ch: true }, 1, [["a", 7]]],
    [[[5, "a"]], { ch: true }, 0, [["a", 5]]],
    [
      [
        [7, "a"],
        [1, "b"],
      ],
      { ch: true },
      2,
      [
        ["b", 1],
        ["a", 7],
      ],
    ],
    [
      [
        [7, "a"],
        [1, "b"],
      ],
      { nx: true },
      1,
      [
        ["b", 1],
        ["a", 5],
      ],
    ],
    [
      [
        [7, "a"],
        [1, "b"],
      ],
      { xx: true },
      0,
      [["a", 7]],
    ],
    [
      [
        [7, "a"],
        [1, "b"],
      ],
      { xx: true, ch: true },
      1,
      [["a", 7]],
    ],
    [[[7, "a"]], { gt: true, ch: true }, 1, [["a", 7]]],
    [[[3, "a"]], { gt: true, ch: true }, 0, [["a", 5]]],
    [[[3, "a"]], { lt: true, ch: true }, 1, [["a", 3]]],
    [[[7, "a"]], { lt: true, ch: true }, 0, [["a", 5]]],
    [
      [[1, "b"]],
      { gt: true },
      1,
      [
        ["b", 1],
        ["a", 5],
      ],
    ], // GT never stops an add
    [[[1, "b"]], { lt: true, xx: true }, 0, [["a", 5]]],
    [[[2, "a"]], { incr: true }, 7, [["a", 7]]],
    [
      [[2, "b"]],
      { incr: true },
      2,
      [
        ["b", 2],
        ["a", 5],
      ],
    ],
    [[[2, "a"]], { incr: true, nx: true }, null, [["a", 5]]],
    [[[2, "b"]], { incr: true, xx: true }, null, [["a", 5]]],
    [[[-1, "a"]], { incr: true, gt: true }, null, [["a", 5]]],
    [[[-1, "a"]], { incr: true, lt: true }, 4, [["a", 4]]],
    [[[0, "a"]], { incr: true, gt: true }, null, [["a", 5]]], // 5 is not greater than 5
    // Real Redis 7.0.15: -0 is stored as 0 (small sets' listpack writes integral scores as integers), while
    // ZADD INCR / ZINCRBY still reply "-0".
    [
      [[-0, "b"]],
      {},
      1,
      [
        ["b", 0],
        ["a", 5],
      ],
    ],
    [
      [[-0, "b"]],
      { incr: true },
      -0,
      [
        ["b", 0],
        ["a", 5],
      ],
    ],
    [
      [[Number.POSITIVE_INFINITY, "a"]],
      { incr: true },
      Number.POSITIVE_INFINITY,
      [["a", Number.POSITIVE_INFINITY]],
    ],
  ];
  it.each(TABLE)("ZADD %j %j → %s", (pairs, flags, reply, after) => {
    const ks = zsetOf([[5, "a"]]);
    expect(zsets.zadd(ks, "z", pairs, flags, 0)).toBe(reply);
    expect(all(ks)).toEqual(after);
  });
  // [flags, pairs, error]
  const ERRORS: [ZAddOptions, [number, string][], string][] = [
    [{ nx: true, xx: true }, [[1, "a"]], MSG.zaddXxNx],
    [{ nx: true, gt: true }, [[1, "a"]], MSG.zaddGtLtNx],
    [{ nx: true, lt: true }, [[1, "a"]], MSG.zaddGtLtNx],
    [{ gt: true, lt: true }, [[1, "a"]], MSG.zaddGtLtNx],
    [
      { incr: true },
      [
        [1, "a"],
        [2, "b"],
      ],
      MSG.zaddIncrPair,
    ],
    // Real Redis 7.0.15 checks NX+XX, then GT/LT/NX, before INCR's single pair.
    [
      { incr: true, nx: true, xx: true },
      [
        [1, "a"],
        [2, "b"],
      ],
      MSG.zaddXxNx,
    ],
    [
      { incr: true, nx: true, gt: true },
      [
        [1, "a"],
        [2, "b"],
      ],
      MSG.zaddGtLtNx,
    ],
    [{}, [[Number.NaN, "a"]], MSG.notFloat],
  ];
  it.each(ERRORS)("ZADD %j %j fails with %s", (flags, pairs, message) => {
    const ks = zsetOf([[5, "a"]]);
    expect(() => zsets.zadd(ks, "z", pairs, flags, 0)).toThrow(message);
    expect(all(ks)).toEqual([["a", 5]]);
  });
  it("INCR to inf + -inf is 'resulting score is not a number (NaN)'; XX on an absent key creates nothing", () => {
    const ks = zsetOf([[Number.POSITIVE_INFINITY, "a"]]);
    expect(() => zsets.zincrby(ks, "z", Number.NEGATIVE_INFINITY, "a", 0)).toThrow(MSG.scoreNan);
    expect(zsets.zadd(ks, "none", [[1, "x"]], { xx: true }, 0)).toBe(0);
    expect(keys.exists(ks, ["none"], 0)).toBe(0);
  });
  it("counts each score change, even one undone by a later pair (CH's count: the key is signalled modified)", () => {
    // Real Redis 7.0.15: ZADD z 5 a; ZADD z CH XX 1 a 5 a answers 2, and the set ends as it began.
    const ks = zsetOf([[5, "a"]]);
    expect(
      zsets.zaddCounted(
        ks,
        "z",
        [
          [1, "a"],
          [5, "a"],
        ],
        { xx: true },
        0,
      ),
    ).toEqual({ reply: 0, added: 0, changed: 2 });
    expect(
      zsets.zadd(
        ks,
        "z",
        [
          [1, "a"],
          [5, "a"],
        ],
        { xx: true, ch: true },
        0,
      ),
    ).toBe(2);
    expect(all(ks)).toEqual([["a", 5]]);
    expect(zsets.zaddCounted(ks, "z", [[5, "a"]], {}, 0)).toEqual({ reply: 0, added: 0, changed: 0 });
  });
  it("doc example: ZADD 1 one, 1 uno, 2 two 3 three; ZINCRBY (redis.io/commands/zincrby)", () => {
    const ks = zsetOf([[1, "one"]]);
    expect(zsets.zadd(ks, "z", [[1, "uno"]], {}, 0)).toBe(1);
    expect(
      zsets.zadd(
        ks,
        "z",
        [
          [2, "two"],
          [3, "three"],
        ],
        {},
        0,
      ),
    ).toBe(2);
    expect(all(ks)).toEqual([
      ["one", 1],
      ["uno", 1],
      ["two", 2],
      ["three", 3],
    ]);
    expect(zsets.zincrby(ks, "z", 2, "one", 0)).toBe(3);
  });
});

describe("ordering: score, ±inf at the ends, ties by member bytes (redis.io/docs/data-types/sorted-sets)", () => {
  it("sorts -inf < negative < 0 < positive < +inf, equal scores lexicographically by bytes", () => {
    const ks = zsetOf([
      [Number.POSITIVE_INFINITY, "a"],
      [0, "b"],
      [0, "B"],
      [0, "ba"],
      [-2.5, "z"],
      [Number.NEGATIVE_INFINITY, "y"],
      [Number.NEGATIVE_INFINITY, "x"],
      [1e308, "big"],
      [0, "\u00ff"],
    ]);
    expect(zsets.zrange(ks, "z", "0", "-1", {}, 0)).toEqual([
      "x",
      "y",
      "z",
      "B",
      "b",
      "ba",
      "\u00ff",
      "big",
      "a",
    ]);
    expect(zsets.zrank(ks, "z", "a", false, 0)).toBe(8);
    expect(zsets.zrank(ks, "z", "a", true, 0)).toBe(0);
    expect(zsets.zcount(ks, "z", "-inf", "+inf", 0)).toBe(9);
    expect(zsets.zcount(ks, "z", "(-inf", "(+inf", 0)).toBe(6);
  });
});

describe("ZRANGE (redis.io/commands/zrange, /zrangebyscore, /zrevrangebyscore, /zrangebylex, /zrevrangebylex)", () => {
  // [start, stop, options, result] on {one: 1, two: 2, three: 3}
  const BY_RANK_AND_SCORE: [string, string, ZRangeOptions, unknown][] = [
    ["0", "-1", {}, ["one", "two", "three"]],
    ["2", "3", {}, ["three"]],
    ["-2", "-1", {}, ["two", "three"]],
    ["-100", "100", {}, ["one", "two", "three"]],
    ["5", "10", {}, []],
    ["2", "1", {}, []],
    ["-1", "-3", {}, []],
    ["0", "0", { rev: true }, ["three"]],
    [
      "0",
      "1",
      { withScores: true },
      [
        ["one", 1],
        ["two", 2],
      ],
    ],
    ["(1", "+inf", { by: "score", limit: { offset: 1, count: 1 } }, ["three"]],
    ["-inf", "+inf", { by: "score" }, ["one", "two", "three"]],
    ["1", "2", { by: "score" }, ["one", "two"]],
    ["(1", "2", { by: "score" }, ["two"]],
    ["(1", "(2", { by: "score" }, []],
    ["+inf", "-inf", { by: "score", rev: true }, ["three", "two", "one"]],
    ["2", "1", { by: "score", rev: true }, ["two", "one"]],
    ["2", "(1", { by: "score", rev: true }, ["two"]],
    ["(2", "(1", { by: "score", rev: true }, []],
    ["-inf", "+inf", { by: "score", limit: { offset: 1, count: -1 } }, ["two", "three"]],
    ["-inf", "+inf", { by: "score", limit: { offset: -1, count: 5 } }, []],
    ["-inf", "+inf", { by: "score", limit: { offset: 0, count: 0 } }, []],
    ["3", "1", { by: "score" }, []],
    // Real Redis 7.0.15 parses bounds with bare strtod: "(" and "" are 0, leading spaces and overflow pass.
    ["(", "1", { by: "score" }, ["one"]],
    ["", " 2", { by: "score" }, ["one", "two"]],
    ["(2", "1e400", { by: "score" }, ["three"]],
    // Real Redis 7.0.15 takes LIMIT with count -1 as no LIMIT, so by rank it is accepted and ignored.
    ["0", "1", { limit: { offset: 2, count: -1 } }, ["one", "two"]],
  ];
  it.each(BY_RANK_AND_SCORE)("ZRANGE %s %s %j → %j", (start, stop, opts, want) => {
    expect(zsets.zrange(zsetOf(ONE_TWO_THREE), "z", start, stop, opts, 0)).toEqual(want);
  });
  const LETTERS = "abcdefg".split("").map((m): [number, string] => [0, m]);
  const BY_LEX: [string, string, ZRangeOptions, string[]][] = [
    ["-", "[c", {}, ["a", "b", "c"]],
    ["-", "(c", {}, ["a", "b"]],
    ["[aaa", "(g", {}, ["b", "c", "d", "e", "f"]],
    ["[c", "-", { rev: true }, ["c", "b", "a"]],
    ["(c", "-", { rev: true }, ["b", "a"]],
    ["(g", "[aaa", { rev: true }, ["f", "e", "d", "c", "b"]],
    ["-", "+", { limit: { offset: 2, count: 3 } }, ["c", "d", "e"]],
    ["+", "-", {}, []],
    ["[e", "[c", {}, []],
  ];
  it.each(BY_LEX)("ZRANGE %s %s BYLEX %j → %j", (start, stop, opts, want) => {
    expect(zsets.zrange(zsetOf(LETTERS), "z", start, stop, { ...opts, by: "lex" }, 0)).toEqual(want);
  });
  const ERRORS: [string, string, ZRangeOptions, string][] = [
    ["abc", "1", { by: "score" }, MSG.minMaxNotFloat],
    ["1 ", "2", { by: "score" }, MSG.minMaxNotFloat],
    ["1", "nan", { by: "score" }, MSG.minMaxNotFloat],
    ["a", "+", { by: "lex" }, MSG.minMaxNotLex],
    ["-", "", { by: "lex" }, MSG.minMaxNotLex],
    ["0", "1", { limit: { offset: 0, count: 1 } }, MSG.limitNeedsBy],
    ["-", "+", { by: "lex", withScores: true }, MSG.withScoresLex],
    ["x", "1", {}, MSG.notInteger],
    ["0", "9223372036854775808", {}, MSG.notInteger], // real Redis 7.0.15: out of the int64 range
  ];
  it.each(ERRORS)("ZRANGE %j %j %j fails with %s, even on an absent key", (start, stop, opts, message) => {
    expect(() => zsets.zrange(zsetOf(ONE_TWO_THREE), "z", start, stop, opts, 0)).toThrow(message);
    expect(() => zsets.zrange(new RedisKeyspace(), "z", start, stop, opts, 0)).toThrow(message);
  });
});

describe("removal by range, pops and counts (redis.io/commands/zremrangebylex, /zremrangebyscore, ...)", () => {
  it("ZREMRANGEBYLEX doc example", () => {
    const ks = zsetOf(["aaaa", "b", "c", "d", "e", "foo", "zap", "zip", "ALPHA", "alpha"].map((m) => [0, m]));
    expect(zsets.zrange(ks, "z", "0", "-1", {}, 0)).toEqual(
      "ALPHA aaaa alpha b c d e foo zap zip".split(" "),
    );
    expect(zsets.zremrangeby(ks, "z", "lex", "[alpha", "[omega", 0)).toBe(6);
    expect(zsets.zrange(ks, "z", "0", "-1", {}, 0)).toEqual(["ALPHA", "aaaa", "zap", "zip"]);
    expect(zsets.zlexcount(ks, "z", "-", "+", 0)).toBe(4);
  });
  it("ZREMRANGEBYSCORE and ZREMRANGEBYRANK doc examples; the last removal deletes the key", () => {
    const ks = zsetOf(ONE_TWO_THREE);
    expect(zsets.zremrangeby(ks, "z", "score", "-inf", "(2", 0)).toBe(1);
    expect(all(ks)).toEqual([
      ["two", 2],
      ["three", 3],
    ]);
    const ks2 = zsetOf(ONE_TWO_THREE);
    expect(zsets.zremrangebyrank(ks2, "z", 0, 1, 0)).toBe(2);
    expect(all(ks2)).toEqual([["three", 3]]);
    expect(zsets.zremrangebyrank(ks2, "z", -1, -1, 0)).toBe(1);
    expect(keys.type(ks2, "z", 0)).toBe("none");
  });
  it("ZPOPMIN/ZPOPMAX doc examples, counts, negative count", () => {
    expect(zsets.zpop(zsetOf(ONE_TWO_THREE), "z", "min", undefined, 0)).toEqual([["one", 1]]);
    expect(zsets.zpop(zsetOf(ONE_TWO_THREE), "z", "max", undefined, 0)).toEqual([["three", 3]]);
    const ks = zsetOf(ONE_TWO_THREE);
    expect(zsets.zpop(ks, "z", "max", 10, 0)).toEqual([
      ["three", 3],
      ["two", 2],
      ["one", 1],
    ]);
    expect(keys.exists(ks, ["z"], 0)).toBe(0);
    expect(() => zsets.zpop(ks, "z", "min", -1, 0)).toThrow(MSG.mustBePositive);
    expect(zsets.zrank(zsetOf(ONE_TWO_THREE), "z", "four", false, 0)).toBeNull();
  });
});
