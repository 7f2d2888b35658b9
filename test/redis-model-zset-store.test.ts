/**
 * Invariants of ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE and their reply forms in the Redis reference model
 * (sim/redis-model/zset-store.ts), expected outputs from the redis.io command pages cited per table, and
 * rows real Redis 7.0.15 answered (test/redis-model-differential.test.ts):
 * - WEIGHTS/AGGREGATE combine scores as documented, plain sets count as score 1;
 * - Redis's NaN rule (inf + -inf and 0 · inf give 0); MIN/MAX keep the first of 0 and -0; stored -0 is 0;
 * - keys are type-checked before options; an empty result deletes the destination.
 */
import { describe, expect, it } from "vitest";
import { keys, MSG, type RedisKeyspace, sets, zcombine, zstore } from "../sim/redis-model/index.js";
import { all, ONE_TWO_THREE, zsetOf } from "./helpers/redis-model-fixtures.js";

describe("ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE (redis.io/commands/zunionstore, /zinterstore, /zdiffstore)", () => {
  function docInputs(): RedisKeyspace {
    const ks = zsetOf(
      [
        [1, "one"],
        [2, "two"],
      ],
      "zset1",
    );
    return zsetOf(ONE_TWO_THREE, "zset2", ks);
  }
  it("doc examples with WEIGHTS 2 3", () => {
    const ks = docInputs();
    expect(zstore(ks, "union", "out", ["zset1", "zset2"], { weights: [2, 3] }, 0)).toBe(3);
    expect(all(ks, "out")).toEqual([
      ["one", 5],
      ["three", 9],
      ["two", 10],
    ]);
    expect(zstore(ks, "inter", "out", ["zset1", "zset2"], { weights: [2, 3] }, 0)).toBe(2);
    expect(all(ks, "out")).toEqual([
      ["one", 5],
      ["two", 10],
    ]);
    expect(zstore(ks, "diff", "out", ["zset2", "zset1"], {}, 0)).toBe(1);
    expect(all(ks, "out")).toEqual([["three", 3]]);
  });
  // [op, options, result] on zset1 {one 1, two 2}, zset2 {one 1, two 2, three 3}
  const TABLE: ["union" | "inter", Parameters<typeof zstore>[4], [string, number][]][] = [
    [
      "union",
      {},
      [
        ["one", 2],
        ["three", 3],
        ["two", 4],
      ],
    ],
    [
      "union",
      { aggregate: "min" },
      [
        ["one", 1],
        ["two", 2],
        ["three", 3],
      ],
    ],
    [
      "union",
      { aggregate: "max", weights: [10, 1] },
      [
        ["three", 3],
        ["one", 10],
        ["two", 20],
      ],
    ],
    [
      "inter",
      { aggregate: "min", weights: [1, -1] },
      [
        ["two", -2],
        ["one", -1],
      ],
    ],
    [
      "union",
      { weights: [0, Number.POSITIVE_INFINITY] },
      [
        ["one", Number.POSITIVE_INFINITY],
        ["three", Number.POSITIVE_INFINITY],
        ["two", Number.POSITIVE_INFINITY],
      ],
    ],
  ];
  it.each(TABLE)("%s %j → %j", (op, opts, want) => {
    const ks = docInputs();
    zstore(ks, op, "out", ["zset1", "zset2"], opts, 0);
    expect(all(ks, "out")).toEqual(want);
  });
  it("inf + -inf sums to 0 and 0 · inf weighs 0 (Redis's NaN rule); sets count as score 1", () => {
    const ks = zsetOf([[Number.POSITIVE_INFINITY, "a"]], "p");
    zsetOf([[Number.NEGATIVE_INFINITY, "a"]], "n", ks);
    sets.sadd(ks, "s", ["a", "b"], 0);
    expect(zstore(ks, "union", "out", ["p", "n"], {}, 0)).toBe(1);
    expect(all(ks, "out")).toEqual([["a", 0]]);
    zstore(ks, "union", "out", ["p", "s"], { weights: [0, 1] }, 0);
    expect(all(ks, "out")).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
    // Real Redis 7.0.15: MIN/MAX keep the first of 0 and -0; a stored -0 becomes 0.
    const mixed = (w: number[], how: "min" | "max") =>
      zcombine(ks, "union", ["s", "s"], { weights: w, aggregate: how }, 0);
    expect(mixed([0, -0], "min")[0]?.[1]).toBe(0);
    expect(mixed([-0, 0], "max")[0]?.[1]).toBe(-0);
    zstore(ks, "union", "out", ["s"], { weights: [-0] }, 0);
    expect(all(ks, "out")[0]?.[1]).toBe(0);
  });
  it("errors and empty results", () => {
    const ks = docInputs();
    expect(() => zstore(ks, "union", "out", ["zset1", "zset2"], { weights: [1] }, 0)).toThrow(MSG.syntax);
    expect(() => zstore(ks, "union", "out", [], {}, 0)).toThrow("ERR at least 1 input key is needed");
    keys.del(ks, ["out"], 0);
    ks.put("str", { type: "string", bytes: new Uint8Array() }, 0);
    expect(() => zstore(ks, "union", "out", ["zset1", "str"], {}, 0)).toThrow(MSG.wrongType);
    // Real Redis 7.0.15 type-checks every key before it parses WEIGHTS.
    expect(() => zstore(ks, "union", "o", ["zset1", "str"], { weights: [1, Number.NaN] }, 0)).toThrow(
      MSG.wrongType,
    );
    zsetOf([[1, "x"]], "out", ks);
    expect(zstore(ks, "inter", "out", ["zset1", "missing"], {}, 0)).toBe(0);
    expect(keys.exists(ks, ["out"], 0)).toBe(0);
  });

  it("ZINTER cuts only the first input's NaN; inputs go smallest first (Redis 7.0.15 t_zset.c)", () => {
    // Real redis-server 7.0.15 (seed 1905602712 of test/redis-model-differential.test.ts):
    // ZINTER 3 k k k WEIGHTS 2 0 -1 on { a: +inf, d: 1 }: a = 2·inf, then + 0·inf (NaN: the sum becomes 0),
    // then + -inf = -inf. Cutting every product's NaN to 0 (the old model) gave 0.
    const ks = zsetOf(
      [
        [Number.POSITIVE_INFINITY, "a"],
        [1, "d"],
      ],
      "k",
    );
    expect(zcombine(ks, "inter", ["k", "k", "k"], { weights: [2, 0, -1] }, 0)).toEqual([
      ["a", Number.NEGATIVE_INFINITY],
      ["d", 1],
    ]);
    // Union: every product's NaN is cut, so a = inf + 0 + -inf = NaN -> 0.
    expect(zcombine(ks, "union", ["k", "k", "k"], { weights: [2, 0, -1] }, 0)).toEqual([
      ["a", 0],
      ["d", 1],
    ]);
    // Smallest input first: { a: inf } (1 member) is folded before k (2 members) whatever the key order.
    const ks2 = zsetOf([[Number.POSITIVE_INFINITY, "a"]], "small", ks);
    expect(zcombine(ks2, "inter", ["k", "small"], { weights: [0, 1] }, 0)).toEqual([["a", 0]]);
  });
});
