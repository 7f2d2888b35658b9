/**
 * Invariants of the Redis reference model's string, hash and set commands (sim/redis-model/strings.ts,
 * hashes.ts, sets.ts), expected outputs from the redis.io pages cited per table:
 * - SET with NX/XX/GET/KEEPTTL/EX, GETRANGE's index rules (including Redis 7.0's clamp of a negative end),
 *   SETRANGE padding, APPEND, GETDEL, GETEX, MGET/MSET/MSETNX atomicity;
 * - hash and set basics and the doc examples; a collection whose last element goes stops existing;
 * - SPOP/SRANDMEMBER/HRANDFIELD draw only from the seeded source (same seed, same answer; seed printed);
 * - every command against a key of another type fails with FUSEDB_WRONG_TYPE and changes nothing.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import {
  hashes,
  keys,
  lists,
  MSG,
  RedisKeyspace,
  RedisModelError,
  type SetOptions,
  sets,
  strings,
  zsets,
} from "../sim/redis-model/index.js";
import { bytes, text } from "./helpers/redis-model-fixtures.js";
import { testSeed } from "./helpers/seed.js";

describe("SET options (redis.io/commands/set)", () => {
  // Start: k = "old" with a TTL of 5000 ms (or absent); [present, options, reply, value after, pttl after]
  const TABLE: [boolean, SetOptions, string | null, string | null, number][] = [
    [true, {}, "OK", "new", -1],
    [true, { keepTtl: true }, "OK", "new", 5000],
    [true, { nx: true }, null, "old", 5000],
    [false, { nx: true }, "OK", "new", -1],
    [true, { xx: true }, "OK", "new", -1],
    [false, { xx: true }, null, null, -2],
    [true, { get: true }, "old", "new", -1],
    [false, { get: true }, null, "new", -1],
    [true, { get: true, nx: true }, "old", "old", 5000],
    [true, { expiry: { unit: "ex", amount: 60 } }, "OK", "new", 60_000],
    [true, { expiry: { unit: "pxat", amount: 700 } }, "OK", "new", 700],
  ];
  it.each(TABLE)("present %s, SET %j → %j, value %j, PTTL %i", (present, opts, reply, after, pttl) => {
    const ks = new RedisKeyspace();
    if (present) strings.set(ks, "k", bytes("old"), { expiry: { unit: "px", amount: 5000 } }, 0);
    const r = strings.set(ks, "k", bytes("new"), opts, 0);
    expect(r instanceof Uint8Array ? text(r) : r).toBe(reply);
    expect(text(strings.get(ks, "k", 0))).toBe(after);
    expect(keys.ttl(ks, "k", true, 0)).toBe(pttl);
  });
  it("syntax errors, and SET GET against a list is WRONGTYPE without writing", () => {
    const ks = new RedisKeyspace();
    expect(() => strings.set(ks, "k", bytes("v"), { nx: true, xx: true }, 0)).toThrow(MSG.syntax);
    const both: SetOptions = { keepTtl: true, expiry: { unit: "ex", amount: 1 } };
    expect(() => strings.set(ks, "k", bytes("v"), both, 0)).toThrow(MSG.syntax);
    lists.push(ks, "l", "left", ["a"], 0);
    expect(() => strings.set(ks, "l", bytes("v"), { get: true }, 0)).toThrow(MSG.wrongType);
    expect(keys.type(ks, "l", 0)).toBe("list");
    expect(strings.set(ks, "l", bytes("v"), {}, 0)).toBe("OK"); // plain SET overwrites any type
  });
});

describe("ranges and edits (redis.io/commands/getrange, /setrange, /append, /strlen, /getdel, /getex)", () => {
  // On "This is a string": [start, end, result]
  const GETRANGE: [number, number, string][] = [
    [0, 3, "This"],
    [-3, -1, "ing"],
    [0, -1, "This is a string"],
    [10, 100, "string"],
    [5, 3, ""],
    [20, 30, ""],
    [-100, 3, "This"],
    [0, -100, "T"], // Redis 7.0: the end clamps to 0
    [-1, -100, ""],
    [-100, -200, ""], // both negative, start > end: empty before any clamping
    [-100, -100, "T"],
  ];
  it.each(GETRANGE)("GETRANGE %i %i → %j", (start, end, want) => {
    const ks = new RedisKeyspace();
    strings.set(ks, "k", bytes("This is a string"), {}, 0);
    expect(text(strings.getrange(ks, "k", start, end, 0))).toBe(want);
  });
  it("SETRANGE doc examples, empty value, negative offset; APPEND and STRLEN doc examples", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "key1", bytes("Hello World"), {}, 0);
    expect(strings.setrange(ks, "key1", 6, bytes("Redis"), 0)).toBe(11);
    expect(text(strings.get(ks, "key1", 0))).toBe("Hello Redis");
    expect(strings.setrange(ks, "key2", 6, bytes("Redis"), 0)).toBe(11);
    expect(text(strings.get(ks, "key2", 0))).toBe("\0\0\0\0\0\0Redis");
    expect(strings.setrange(ks, "key3", 6, bytes(""), 0)).toBe(0);
    expect(keys.exists(ks, ["key3"], 0)).toBe(0);
    expect(() => strings.setrange(ks, "key1", -1, bytes("x"), 0)).toThrow(MSG.offsetOutOfRange);
    expect(() => strings.setrange(ks, "key1", 512 * 1024 * 1024, bytes("x"), 0)).toThrow(MSG.tooBig);
    expect(strings.append(ks, "m", bytes("Hello"), 0)).toBe(5);
    expect(strings.append(ks, "m", bytes(" World"), 0)).toBe(11);
    expect(text(strings.get(ks, "m", 0))).toBe("Hello World");
    expect(strings.strlen(ks, "m", 0)).toBe(11);
    expect(strings.strlen(ks, "nonexisting", 0)).toBe(0);
  });
  it("GETDEL and GETEX doc examples", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "k", bytes("Hello"), {}, 0);
    expect(text(strings.getex(ks, "k", {}, 0))).toBe("Hello");
    expect(keys.ttl(ks, "k", false, 0)).toBe(-1);
    expect(text(strings.getex(ks, "k", { expiry: { unit: "ex", amount: 60 } }, 0))).toBe("Hello");
    expect(keys.ttl(ks, "k", false, 0)).toBe(60);
    expect(text(strings.getex(ks, "k", { persist: true }, 0))).toBe("Hello");
    expect(keys.ttl(ks, "k", false, 0)).toBe(-1);
    expect(text(strings.getdel(ks, "k", 0))).toBe("Hello");
    expect(strings.get(ks, "k", 0)).toBeNull();
    // Real Redis 7.0.15 looks the key up before it validates the expiry: absent → null, hash → WRONGTYPE.
    const bad = { expiry: { unit: "px" as const, amount: -5 } };
    expect(strings.getex(ks, "k", bad, 0)).toBeNull();
    hashes.hset(ks, "h", [["f", "v"]], 0);
    expect(() => strings.getex(ks, "h", bad, 0)).toThrow(MSG.wrongType);
    strings.set(ks, "k", bytes("Hello"), {}, 0);
    expect(() => strings.getex(ks, "k", bad, 0)).toThrow("ERR invalid expire time in 'getex' command");
  });
  it("MSETNX doc example: all or nothing; MGET gives null for absent keys and other types", () => {
    const ks = new RedisKeyspace();
    expect(
      strings.msetnx(
        ks,
        [
          ["key1", bytes("Hello")],
          ["key2", bytes("there")],
        ],
        0,
      ),
    ).toBe(1);
    expect(
      strings.msetnx(
        ks,
        [
          ["key2", bytes("new")],
          ["key3", bytes("world")],
        ],
        0,
      ),
    ).toBe(0);
    sets.sadd(ks, "set", ["x"], 0);
    expect(strings.mget(ks, ["key1", "key2", "key3", "set"], 0).map(text)).toEqual([
      "Hello",
      "there",
      null,
      null,
    ]);
  });
});

describe("hashes and sets (redis.io/commands/hset, /hsetnx, /hdel, /hstrlen, /sinter, /sunion, /sdiff, /smove)", () => {
  it("hash doc examples; the last HDEL deletes the key", () => {
    const ks = new RedisKeyspace();
    expect(hashes.hset(ks, "h", [["field1", "Hello"]], 0)).toBe(1);
    expect(hashes.hget(ks, "h", "field1", 0)).toBe("Hello");
    expect(hashes.hget(ks, "h", "field2", 0)).toBeNull();
    expect(hashes.hsetnx(ks, "h", "field", "Hello", 0)).toBe(1);
    expect(hashes.hsetnx(ks, "h", "field", "World", 0)).toBe(0);
    expect(hashes.hget(ks, "h", "field", 0)).toBe("Hello");
    hashes.hset(
      ks,
      "s",
      [
        ["f1", "HelloWorld"],
        ["f2", "99"],
        ["f3", "-256"],
      ],
      0,
    );
    expect(["f1", "f2", "f3", "f4"].map((f) => hashes.hstrlen(ks, "s", f, 0))).toEqual([10, 2, 4, 0]);
    expect(hashes.hdel(ks, "h", ["field1", "field2"], 0)).toBe(1);
    expect(hashes.hdel(ks, "h", ["field"], 0)).toBe(1);
    expect(keys.exists(ks, ["h"], 0)).toBe(0);
  });
  function setDocInputs(): RedisKeyspace {
    const ks = new RedisKeyspace();
    sets.sadd(ks, "key1", ["a", "b", "c", "d"], 0);
    sets.sadd(ks, "key2", ["c"], 0);
    sets.sadd(ks, "key3", ["a", "c", "e"], 0);
    return ks;
  }
  it("SINTER/SUNION/SDIFF doc examples and the *STORE forms", () => {
    const ks = setDocInputs();
    expect(sets.sinter(ks, ["key1", "key2", "key3"], 0)).toEqual(["c"]);
    expect(sets.sunion(ks, ["key1", "key2", "key3"], 0)).toEqual(["a", "b", "c", "d", "e"]);
    expect(sets.sdiff(ks, ["key1", "key2", "key3"], 0)).toEqual(["b", "d"]);
    expect(sets.sstore(ks, "diff", "out", ["key1", "key2", "key3"], 0)).toBe(2);
    expect(sets.smembers(ks, "out", 0)).toEqual(["b", "d"]);
    expect(sets.sstore(ks, "inter", "out", ["key1", "missing"], 0)).toBe(0);
    expect(keys.exists(ks, ["out"], 0)).toBe(0);
    expect(sets.sintercard(ks, ["key1", "key3"], 0, 0)).toBe(2);
    expect(sets.sintercard(ks, ["key1", "key3"], 1, 0)).toBe(1);
    expect(() => sets.sintercard(ks, ["key1"], -1, 0)).toThrow(MSG.limitNegative);
  });
  it("SINTER, SINTERCARD and SUNION type-check every key, even after an absent one (real Redis 7.0.15)", () => {
    const ks = setDocInputs();
    strings.set(ks, "str", bytes("x"), {}, 0);
    expect(() => sets.sinter(ks, ["key1", "missing", "str"], 0)).toThrow(MSG.wrongType);
    expect(() => sets.sintercard(ks, ["missing", "str"], 0, 0)).toThrow(MSG.wrongType);
    expect(() => sets.sinter(ks, ["key1", "str", "missing"], 0)).toThrow(MSG.wrongType);
    expect(() => sets.sunion(ks, ["key1", "missing", "str"], 0)).toThrow(MSG.wrongType);
  });
  it("SMOVE doc example; the source emptied stops existing", () => {
    const ks = new RedisKeyspace();
    sets.sadd(ks, "myset", ["one", "two"], 0);
    sets.sadd(ks, "myotherset", ["three"], 0);
    expect(sets.smove(ks, "myset", "myotherset", "two", 0)).toBe(1);
    expect(sets.smembers(ks, "myset", 0)).toEqual(["one"]);
    expect(sets.smembers(ks, "myotherset", 0)).toEqual(["three", "two"]);
    expect(sets.smove(ks, "myset", "myotherset", "zzz", 0)).toBe(0);
    expect(sets.smove(ks, "myset", "myotherset", "one", 0)).toBe(1);
    expect(keys.exists(ks, ["myset"], 0)).toBe(0);
    // Real Redis 7.0.15: an absent source replies 0 before the destination's type is checked.
    strings.set(ks, "str", bytes("x"), {}, 0);
    expect(sets.smove(ks, "missing", "str", "one", 0)).toBe(0);
    expect(() => sets.smove(ks, "myotherset", "str", "one", 0)).toThrow(MSG.wrongType);
  });
  it("random draws come from the seeded source only", () => {
    const seed = testSeed("redis-model random draws");
    const run = () => {
      const ks = new RedisKeyspace();
      sets.sadd(ks, "s", ["a", "b", "c", "d", "e"], 0);
      const rng = new Prng(seed);
      const popped = sets.spop(ks, "s", 3, rng, 0) as string[];
      const left = sets.smembers(ks, "s", 0);
      const repeats = sets.srandmember(ks, "s", -7, rng, 0) as string[];
      return { popped, left, repeats };
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first.popped).size).toBe(3);
    expect([...first.popped, ...first.left].sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect(first.repeats).toHaveLength(7);
    expect(first.repeats.every((m) => first.left.includes(m))).toBe(true);
    const ks = new RedisKeyspace();
    expect(sets.spop(ks, "none", undefined, new Prng(seed), 0)).toBeNull();
    expect(() => sets.spop(ks, "none", -1, new Prng(seed), 0)).toThrow(MSG.mustBePositive);
    // Real Redis 7.0.15 refuses a count of -2^63 before it looks at the key.
    const text = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    strings.set(ks, "str", bytes("x"), {}, 0);
    expect(() => sets.srandmember(ks, "str", -(2 ** 63), new Prng(seed), 0)).toThrow(text);
    expect(() => hashes.hrandfield(ks, "str", -(2 ** 63), new Prng(seed), 0)).toThrow(text);
    expect(() => zsets.zrandmember(ks, "none", -(2 ** 63), new Prng(seed), 0)).toThrow(text);
  });
});

describe("WRONGTYPE (FUSEDB_WRONG_TYPE) for every type pairing, with nothing changed", () => {
  const CALLS: [string, (ks: RedisKeyspace, key: string) => unknown][] = [
    ["string", (ks, k) => strings.append(ks, k, bytes("x"), 0)],
    ["string", (ks, k) => strings.incrBy(ks, k, 1n, 0)],
    ["hash", (ks, k) => hashes.hset(ks, k, [["f", "v"]], 0)],
    ["list", (ks, k) => lists.push(ks, k, "left", ["x"], 0)],
    ["set", (ks, k) => sets.sadd(ks, k, ["x"], 0)],
    ["zset", (ks, k) => zsets.zadd(ks, k, [[1, "x"]], {}, 0)],
  ];
  const HOLDERS = ["string", "hash", "list", "set", "zset"];
  const CASES = CALLS.flatMap(([type, call]) =>
    HOLDERS.filter((h) => h !== type).map((holder): [string, string, typeof call] => [type, holder, call]),
  );
  it.each(CASES)("a %s command against a %s", (_type, holder, call) => {
    const ks = new RedisKeyspace();
    CALLS.find(([t]) => t === holder)?.[1](ks, "k");
    const before = JSON.stringify([...keys.scanKeys(ks, {}, 0)].map((k) => keys.type(ks, k, 0)));
    let code = "no error";
    try {
      call(ks, "k");
    } catch (e) {
      code = e instanceof RedisModelError ? e.code : String(e);
    }
    expect(code).toBe("FUSEDB_WRONG_TYPE");
    expect(JSON.stringify([...keys.scanKeys(ks, {}, 0)].map((k) => keys.type(ks, k, 0)))).toBe(before);
    expect(keys.type(ks, "k", 0)).toBe(holder);
  });
});
