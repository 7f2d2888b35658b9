/**
 * Invariants of the Redis reference model's generic key commands and glob patterns
 * (sim/redis-model/keys.ts, glob.ts), expected outputs from the redis.io pages cited per table:
 * - glob `?`, `*`, `[ae]`, `[^e]`, `[a-b]` (either order), `\` escapes, and Redis's odd corners;
 * - EXPIRE family with NX/XX/GT/LT, TTL/PTTL rounding, PERSIST, EXPIRETIME, expiry at `nowMs`, a past
 *   time deleting the key, flag conflicts failing with Redis's texts;
 * - RENAME/RENAMENX/COPY move or copy value and TTL; DEL/EXISTS/TYPE/SCAN with MATCH and TYPE.
 */
import { describe, expect, it } from "vitest";
import {
  type ExpireFlags,
  globMatch,
  hashes,
  keys,
  lists,
  MSG,
  RedisKeyspace,
  RedisModelError,
  sets,
  strings,
  zsets,
} from "../sim/redis-model/index.js";
import { bytes, text } from "./helpers/redis-model-fixtures.js";

describe("glob patterns (redis.io/commands/keys)", () => {
  // [pattern, text, matches]
  const TABLE: [string, string, boolean][] = [
    ["h?llo", "hello", true],
    ["h?llo", "hallo", true],
    ["h?llo", "hllo", false],
    ["h*llo", "hllo", true],
    ["h*llo", "heeeello", true],
    ["h*llo", "hellox", false],
    ["h[ae]llo", "hello", true],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hbllo", true],
    ["h[^e]llo", "hello", false],
    ["h[a-b]llo", "hallo", true],
    ["h[a-b]llo", "hbllo", true],
    ["h[a-b]llo", "hcllo", false],
    ["[z-a]", "m", true], // reversed range
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
    ["h\\?", "h?", true],
    ["[\\]]", "]", true],
    ["[\\^a]", "^", true],
    ["*", "", true],
    ["**a**", "xay", true],
    ["?", "", false],
    ["a*", "a", true],
    ["*name*", "firstname", true],
    ["a??", "age", true],
    ["a??", "ag", false],
    ["[]", "a", false], // an empty class matches nothing
    ["[]", "]", false],
    ["[abc", "b", true], // an unclosed class runs to the end of the pattern
    ["a\\", "a\\", true], // a trailing backslash is literal
    ["*a*b*c", "xaybzc", true],
    ["*a*b*c", "xaybz", false],
    ["[a-]", "^", true], // `a-]` is a range from "]" to "a", and the class then runs to the end
    ["[a-]", "-", false],
  ];
  it.each(TABLE)("%j against %j → %s", (pattern, input, want) => {
    expect(globMatch(pattern, input)).toBe(want);
  });
  it("KEYS doc example: MSET firstname, lastname, age; KEYS *name*, a??, *", () => {
    const ks = new RedisKeyspace();
    strings.mset(
      ks,
      [
        ["firstname", bytes("Jack")],
        ["lastname", bytes("Stuntman")],
        ["age", bytes("35")],
      ],
      0,
    );
    expect(keys.scanKeys(ks, { match: "*name*" }, 0)).toEqual(["firstname", "lastname"]);
    expect(keys.scanKeys(ks, { match: "a??" }, 0)).toEqual(["age"]);
    expect(keys.scanKeys(ks, { match: "*" }, 0)).toEqual(["age", "firstname", "lastname"]);
  });
});

describe("expiry (redis.io/commands/expire, /ttl, /pttl, /persist, /expiretime)", () => {
  it("doc example: EXPIRE 10, TTL 10, SET clears the TTL, XX refused, NX accepted", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "k", bytes("Hello"), {}, 0);
    expect(keys.expire(ks, "k", { unit: "ex", amount: 10 }, {}, 0)).toBe(1);
    expect(keys.ttl(ks, "k", false, 0)).toBe(10);
    strings.set(ks, "k", bytes("Hello World"), {}, 0);
    expect(keys.ttl(ks, "k", false, 0)).toBe(-1);
    expect(keys.expire(ks, "k", { unit: "ex", amount: 10 }, { xx: true }, 0)).toBe(0);
    expect(keys.ttl(ks, "k", false, 0)).toBe(-1);
    expect(keys.expire(ks, "k", { unit: "ex", amount: 10 }, { nx: true }, 0)).toBe(1);
    expect(keys.ttl(ks, "k", false, 0)).toBe(10);
    expect(keys.persist(ks, "k", 0)).toBe(1);
    expect(keys.ttl(ks, "k", false, 0)).toBe(-1);
    expect(keys.persist(ks, "k", 0)).toBe(0);
    expect(keys.ttl(ks, "none", false, 0)).toBe(-2);
  });
  // Key with TTL ending at 10_000 ms (or none: undefined); [current, seconds, flags, reply, pttl after]
  const FLAGS: [number | undefined, number, ExpireFlags, 0 | 1, number][] = [
    [10_000, 20, { gt: true }, 1, 20_000],
    [10_000, 5, { gt: true }, 0, 10_000],
    [10_000, 10, { gt: true }, 0, 10_000],
    [undefined, 5, { gt: true }, 0, -1], // no TTL counts as infinite
    [10_000, 5, { lt: true }, 1, 5_000],
    [10_000, 20, { lt: true }, 0, 10_000],
    [undefined, 5, { lt: true }, 1, 5_000],
    [10_000, 20, { xx: true, gt: true }, 1, 20_000],
    [undefined, 20, { xx: true, lt: true }, 0, -1],
    [10_000, 5, { nx: true }, 0, 10_000],
    [10_000, 0, {}, 1, -2], // a time at or before now deletes the key
    [10_000, -5, { lt: true }, 1, -2],
  ];
  it.each(FLAGS)("TTL %s, EXPIRE %i %j → %i, PTTL %i", (current, seconds, flags, reply, pttl) => {
    const ks = new RedisKeyspace();
    strings.set(
      ks,
      "k",
      bytes("v"),
      current === undefined ? {} : { expiry: { unit: "px", amount: current } },
      0,
    );
    expect(keys.expire(ks, "k", { unit: "ex", amount: seconds }, flags, 0)).toBe(reply);
    expect(keys.ttl(ks, "k", true, 0)).toBe(pttl);
  });
  const CONFLICTS: [ExpireFlags, string][] = [
    [{ nx: true, xx: true }, MSG.expireNxXx],
    [{ nx: true, gt: true }, MSG.expireNxXx],
    [{ nx: true, lt: true }, MSG.expireNxXx],
    [{ gt: true, lt: true }, MSG.expireGtLt],
  ];
  it.each(CONFLICTS)("EXPIRE %j fails with %s", (flags, message) => {
    expect(() => keys.expire(new RedisKeyspace(), "k", { unit: "ex", amount: 1 }, flags, 0)).toThrow(message);
  });
  it("TTL rounds to the nearest second; a key is gone at its expiry instant; EXPIRETIME; overflow", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "k", bytes("v"), {}, 1_000);
    expect(keys.expire(ks, "k", { unit: "px", amount: 1_499 }, {}, 1_000)).toBe(1);
    expect(keys.ttl(ks, "k", false, 1_000)).toBe(1);
    expect(keys.ttl(ks, "k", false, 1_001)).toBe(1);
    expect(keys.ttl(ks, "k", false, 1_999)).toBe(1);
    expect(keys.ttl(ks, "k", false, 2_000)).toBe(0);
    expect(keys.ttl(ks, "k", true, 2_498)).toBe(1);
    expect(keys.exists(ks, ["k"], 2_499)).toBe(0);
    strings.set(ks, "k", bytes("Hello"), {}, 0);
    expect(keys.expire(ks, "k", { unit: "exat", amount: 33177117420 }, {}, 0)).toBe(1);
    expect(keys.expiretime(ks, "k", false, 0)).toBe(33177117420);
    expect(keys.expiretime(ks, "k", true, 0)).toBe(33177117420000);
    expect(keys.expiretime(ks, "none", false, 0)).toBe(-2);
    const huge = { unit: "ex" as const, amount: 2n ** 62n };
    expect(() => keys.expire(ks, "k", huge, {}, 0)).toThrow("ERR invalid expire time in 'expire' command");
    expect(() => strings.set(ks, "k", bytes("v"), { expiry: { unit: "ex", amount: 0 } }, 0)).toThrow(
      "ERR invalid expire time in 'set' command",
    );
  });
});

describe("generic commands (redis.io/commands/rename, /renamenx, /copy, /del, /exists, /type, /scan)", () => {
  it("RENAME moves value and TTL; RENAMENX refuses an existing destination; no such key", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "mykey", bytes("Hello"), { expiry: { unit: "px", amount: 500 } }, 0);
    expect(keys.rename(ks, "mykey", "myotherkey", false, 0)).toBe("OK");
    expect(text(strings.get(ks, "myotherkey", 0))).toBe("Hello");
    expect(keys.ttl(ks, "myotherkey", true, 0)).toBe(500);
    expect(keys.exists(ks, ["mykey"], 0)).toBe(0);
    strings.set(ks, "mykey", bytes("World"), {}, 0);
    expect(keys.rename(ks, "mykey", "myotherkey", true, 0)).toBe(0);
    expect(text(strings.get(ks, "myotherkey", 0))).toBe("Hello");
    expect(keys.rename(ks, "mykey", "mykey", false, 0)).toBe("OK");
    expect(() => keys.rename(ks, "none", "x", false, 0)).toThrow(MSG.noSuchKey);
    expect(() => keys.rename(ks, "none", "x", false, 0)).toThrow(RedisModelError);
  });
  it("COPY doc example; the copy is independent; REPLACE; same key", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "dolly", bytes("sheep"), {}, 0);
    expect(keys.copy(ks, "dolly", "clone", false, 0)).toBe(1);
    expect(text(strings.get(ks, "clone", 0))).toBe("sheep");
    lists.push(ks, "l", "right", ["a"], 0);
    expect(keys.copy(ks, "l", "clone", false, 0)).toBe(0);
    expect(keys.copy(ks, "l", "clone", true, 0)).toBe(1);
    lists.push(ks, "clone", "right", ["b"], 0);
    expect(lists.lrange(ks, "l", 0, -1, 0)).toEqual(["a"]);
    expect(keys.copy(ks, "none", "x", false, 0)).toBe(0);
    expect(() => keys.copy(ks, "l", "l", true, 0)).toThrow(MSG.sameObject);
  });
  it("DEL, EXISTS counting repeats, TYPE of every type, SCAN with TYPE", () => {
    const ks = new RedisKeyspace();
    strings.set(ks, "s", bytes("v"), {}, 0);
    hashes.hset(ks, "h", [["f", "v"]], 0);
    lists.push(ks, "l", "left", ["x"], 0);
    sets.sadd(ks, "t", ["m"], 0);
    zsets.zadd(ks, "z", [[1, "m"]], {}, 0);
    expect(["s", "h", "l", "t", "z", "n"].map((k) => keys.type(ks, k, 0))).toEqual([
      "string",
      "hash",
      "list",
      "set",
      "zset",
      "none",
    ]);
    expect(keys.exists(ks, ["s", "s", "n"], 0)).toBe(2);
    expect(keys.scanKeys(ks, { type: "list" }, 0)).toEqual(["l"]);
    expect(keys.dbsize(ks, 0)).toBe(5);
    expect(keys.del(ks, ["s", "h", "n", "s"], 0)).toBe(2);
    expect(keys.dbsize(ks, 0)).toBe(3);
  });
});
