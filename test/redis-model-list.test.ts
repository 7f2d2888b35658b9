/**
 * Invariants of the list part of the Redis reference model (sim/redis-model/lists.ts), expected outputs
 * from the redis.io command pages cited per table:
 * - LPOS with RANK (both directions), COUNT (0: all) and MAXLEN, and its three argument errors;
 * - negative and out-of-range indexes in LRANGE, LTRIM, LINDEX and LSET;
 * - LPUSH order, pops with counts, LREM direction, LINSERT, LMOVE (including rotation);
 * - a list whose last element goes stops existing; WRONGTYPE against other types changes nothing.
 */
import { describe, expect, it } from "vitest";
import {
  keys,
  type LposOptions,
  lists,
  MSG,
  RedisKeyspace,
  RedisModelError,
  strings,
} from "../sim/redis-model/index.js";

function listOf(items: string[], key = "l", ks = new RedisKeyspace()): RedisKeyspace {
  lists.push(ks, key, "right", items, 0);
  return ks;
}
/** The typed code of what `f` throws, or "no error". */
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof RedisModelError ? e.code : String(e);
  }
  return "no error";
}
const range = (ks: RedisKeyspace, key = "l") => lists.lrange(ks, key, 0, -1, 0);

describe("LPOS (redis.io/commands/lpos)", () => {
  // On RPUSH mylist a b c 1 2 3 c c: [element, options, reply]
  const TABLE: [string, LposOptions, number | number[] | null][] = [
    ["c", {}, 2],
    ["c", { rank: 2 }, 6],
    ["c", { rank: -1 }, 7],
    ["c", { rank: -2 }, 6],
    ["c", { count: 2 }, [2, 6]],
    ["c", { rank: -1, count: 2 }, [7, 6]],
    ["c", { count: 0 }, [2, 6, 7]],
    ["c", { rank: 2, count: 0 }, [6, 7]],
    ["c", { rank: 4 }, null],
    ["c", { rank: -4, count: 1 }, []],
    ["c", { maxlen: 2 }, null],
    ["c", { maxlen: 3 }, 2],
    ["c", { rank: -1, count: 0, maxlen: 1 }, [7]],
    ["c", { count: 0, maxlen: 7 }, [2, 6]],
    ["c", { maxlen: 0 }, 2], // MAXLEN 0: no limit
    ["z", {}, null],
    ["z", { count: 3 }, []],
    ["c", { rank: -(2 ** 63), count: 2 }, [7, 6]], // real Redis 7.0.15: RANK -2^63 overflows into "like -1"
  ];
  it.each(TABLE)("LPOS %s %j → %j", (element, opts, want) => {
    expect(lists.lpos(listOf("a b c 1 2 3 c c".split(" ")), "l", element, opts, 0)).toEqual(want);
  });
  it("doc example: RPUSH a b c d 1 2 3 4 3 3 3; LPOS 3 → 6; LPOS 3 COUNT 0 RANK 2 → [8, 9, 10]", () => {
    const ks = listOf("a b c d 1 2 3 4 3 3 3".split(" "));
    expect(lists.lpos(ks, "l", "3", {}, 0)).toBe(6);
    expect(lists.lpos(ks, "l", "3", { count: 0, rank: 2 }, 0)).toEqual([8, 9, 10]);
  });
  const ERRORS: [LposOptions, string][] = [
    // The text as real Redis 7.0.15 replies it.
    [
      { rank: 0 },
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    ],
    [{ count: -1 }, MSG.countNegative],
    [{ maxlen: -1 }, MSG.maxlenNegative],
  ];
  it.each(ERRORS)("LPOS %j fails with %s (absent key too)", (opts, message) => {
    expect(() => lists.lpos(listOf(["a"]), "l", "a", opts, 0)).toThrow(message);
    expect(() => lists.lpos(new RedisKeyspace(), "l", "a", opts, 0)).toThrow(message);
  });
  it("an absent key replies null, or [] with COUNT", () => {
    expect(lists.lpos(new RedisKeyspace(), "l", "a", {}, 0)).toBeNull();
    expect(lists.lpos(new RedisKeyspace(), "l", "a", { count: 1 }, 0)).toEqual([]);
  });
});

describe("indexes (redis.io/commands/lrange, /ltrim, /lindex, /lset)", () => {
  // On RPUSH one two three: [start, stop, LRANGE reply]
  const LRANGE: [number, number, string[]][] = [
    [0, 0, ["one"]],
    [-3, 2, ["one", "two", "three"]],
    [-100, 100, ["one", "two", "three"]],
    [5, 10, []],
    [1, -1, ["two", "three"]],
    [-1, -1, ["three"]],
    [2, 1, []],
    [-2, -3, []],
    [0, -4, []],
    [3, 3, []],
  ];
  it.each(LRANGE)("LRANGE %i %i → %j, and LTRIM leaves the same", (start, stop, want) => {
    const ks = listOf(["one", "two", "three"]);
    expect(lists.lrange(ks, "l", start, stop, 0)).toEqual(want);
    expect(lists.ltrim(ks, "l", start, stop, 0)).toBe("OK");
    expect(range(ks)).toEqual(want);
    expect(keys.exists(ks, ["l"], 0)).toBe(want.length > 0 ? 1 : 0);
  });
  const LINDEX: [number, string | null][] = [
    [0, "Hello"],
    [-1, "World"],
    [-2, "Hello"],
    [1, "World"],
    [3, null],
    [-3, null],
  ];
  it.each(LINDEX)("LINDEX %i → %j (doc: LPUSH World, LPUSH Hello)", (index, want) => {
    const ks = new RedisKeyspace();
    lists.push(ks, "l", "left", ["World"], 0);
    lists.push(ks, "l", "left", ["Hello"], 0);
    expect(lists.lindex(ks, "l", index, 0)).toBe(want);
  });
  it("LSET doc example, out of range, no such key", () => {
    const ks = listOf(["one", "two", "three"]);
    expect(lists.lset(ks, "l", 0, "four", 0)).toBe("OK");
    expect(lists.lset(ks, "l", -2, "five", 0)).toBe("OK");
    expect(range(ks)).toEqual(["four", "five", "three"]);
    expect(() => lists.lset(ks, "l", 3, "x", 0)).toThrow(MSG.indexOutOfRange);
    expect(() => lists.lset(ks, "l", -4, "x", 0)).toThrow(MSG.indexOutOfRange);
    expect(() => lists.lset(ks, "none", 0, "x", 0)).toThrow(MSG.noSuchKey);
    expect(codeOf(() => lists.lset(ks, "none", 0, "x", 0))).toBe("FUSEDB_NOT_FOUND");
  });
});

describe("pushes, pops, LREM, LINSERT, LMOVE (redis.io/commands/lpush, /lpop, /lrem, /linsert, /lmove)", () => {
  it("LPUSH a b c leaves c b a; LPUSHX only onto an existing list", () => {
    const ks = new RedisKeyspace();
    expect(lists.push(ks, "l", "left", ["a", "b", "c"], 0)).toBe(3);
    expect(range(ks)).toEqual(["c", "b", "a"]);
    expect(lists.pushx(ks, "l", "left", ["Hello"], 0)).toBe(4);
    expect(lists.pushx(ks, "other", "left", ["Hello"], 0)).toBe(0);
    expect(keys.exists(ks, ["other"], 0)).toBe(0);
    // Real Redis 7.0.15: no elements is the arity error naming RPUSHX, before the type check.
    strings.set(ks, "str", strings.asciiBytes("x"), {}, 0);
    expect(() => lists.pushx(ks, "str", "right", [], 0)).toThrow(
      "ERR wrong number of arguments for 'rpushx'",
    );
  });
  it("LPOP/RPOP doc examples, counts, and the key disappearing", () => {
    const ks = listOf("one two three four five".split(" "));
    expect(lists.pop(ks, "l", "left", undefined, 0)).toBe("one");
    expect(lists.pop(ks, "l", "left", 2, 0)).toEqual(["two", "three"]);
    expect(lists.pop(ks, "l", "right", 0, 0)).toEqual([]);
    expect(() => lists.pop(ks, "l", "right", -1, 0)).toThrow(MSG.mustBePositive);
    expect(lists.pop(ks, "l", "right", 5, 0)).toEqual(["five", "four"]);
    expect(keys.type(ks, "l", 0)).toBe("none");
    expect(lists.pop(ks, "l", "left", undefined, 0)).toBeNull();
    expect(lists.pop(ks, "l", "left", 2, 0)).toBeNull();
  });
  // On hello hello foo hello: [count, removed, after]
  const LREM: [number, number, string[]][] = [
    [-2, 2, ["hello", "foo"]],
    [2, 2, ["foo", "hello"]],
    [0, 3, ["foo"]],
    [-10, 3, ["foo"]],
  ];
  it.each(LREM)("LREM %i hello → %i, leaving %j", (count, removed, after) => {
    const ks = listOf(["hello", "hello", "foo", "hello"]);
    expect(lists.lrem(ks, "l", count, "hello", 0)).toBe(removed);
    expect(range(ks)).toEqual(after);
  });
  it("LINSERT doc example, missing pivot, absent key", () => {
    const ks = listOf(["Hello", "World"]);
    expect(lists.linsert(ks, "l", "before", "World", "There", 0)).toBe(3);
    expect(range(ks)).toEqual(["Hello", "There", "World"]);
    expect(lists.linsert(ks, "l", "after", "World", "!", 0)).toBe(4);
    expect(lists.linsert(ks, "l", "after", "nope", "x", 0)).toBe(-1);
    expect(lists.linsert(ks, "none", "after", "World", "x", 0)).toBe(0);
  });
  it("LMOVE doc example and rotation of one list", () => {
    const ks = listOf(["one", "two", "three"]);
    expect(lists.lmove(ks, "l", "o", "right", "left", 0)).toBe("three");
    expect(lists.lmove(ks, "l", "o", "left", "right", 0)).toBe("one");
    expect(range(ks)).toEqual(["two"]);
    expect(range(ks, "o")).toEqual(["three", "one"]);
    expect(lists.lmove(ks, "o", "o", "left", "right", 0)).toBe("three");
    expect(range(ks, "o")).toEqual(["one", "three"]);
    expect(lists.lmove(ks, "l", "o", "left", "left", 0)).toBe("two");
    expect(keys.exists(ks, ["l"], 0)).toBe(0);
    expect(lists.lmove(ks, "l", "o", "left", "left", 0)).toBeNull();
    // Real Redis 7.0.15: rotating a one-element list keeps the key, and so its TTL.
    const one = listOf(["x"]);
    keys.expire(one, "l", { unit: "pxat", amount: 5000 }, {}, 0);
    expect(lists.lmove(one, "l", "l", "right", "left", 0)).toBe("x");
    expect(keys.expiretime(one, "l", true, 0)).toBe(5000);
  });
  it("WRONGTYPE: a list command on a string, or LMOVE into a non-list, changes nothing", () => {
    const ks = listOf(["a"]);
    ks.put("s", { type: "string", bytes: new Uint8Array([1]) }, 0);
    expect(() => lists.push(ks, "s", "left", ["x"], 0)).toThrow(MSG.wrongType);
    expect(() => lists.lmove(ks, "l", "s", "left", "left", 0)).toThrow(RedisModelError);
    expect(range(ks)).toEqual(["a"]);
    expect(codeOf(() => lists.llen(ks, "s", 0))).toBe("FUSEDB_WRONG_TYPE");
  });
});
