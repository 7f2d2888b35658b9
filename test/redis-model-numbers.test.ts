/**
 * Invariants of the Redis reference model's number rules (sim/redis-model/numbers.ts, long-double.ts and
 * the string counters in strings.ts), each table's expected outputs from Redis's documentation or rules:
 * - INCR/INCRBY/DECRBY parse only strict int64 text and fail at ±2^63 with Redis's exact messages, leaving
 *   the value unchanged;
 * - INCRBYFLOAT/HINCRBYFLOAT give Redis's digits (x87 long double, `%.17Lf` trimmed), accept exponents and
 *   hex, reject spaces, NaN and infinities;
 * - scores parse as strtod does and format as Redis 7.0's `%.17g`.
 */
import { describe, expect, it } from "vitest";
import {
  formatRedisDouble,
  hashes,
  MSG,
  parseRedisDouble,
  parseRedisInteger,
  RedisKeyspace,
  strings,
} from "../sim/redis-model/index.js";
import { bytes, text } from "./helpers/redis-model-fixtures.js";

function withValue(value: string): RedisKeyspace {
  const ks = new RedisKeyspace();
  strings.set(ks, "k", bytes(value), {}, 0);
  return ks;
}

describe("strict integers (redis.io/commands/incr: 64 bit signed integer in base 10)", () => {
  // [text, parsed or undefined]
  const TABLE: [string, bigint | undefined][] = [
    ["0", 0n],
    ["10", 10n],
    ["-10", -10n],
    ["9223372036854775807", 2n ** 63n - 1n],
    ["-9223372036854775808", -(2n ** 63n)],
    ["9223372036854775808", undefined],
    ["-9223372036854775809", undefined],
    ["+1", undefined],
    ["01", undefined],
    ["-0", undefined],
    [" 1", undefined],
    ["1 ", undefined],
    ["", undefined],
    ["1.0", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
  ];
  it.each(TABLE)("%j parses to %s", (input, want) => {
    expect(parseRedisInteger(input)).toBe(want);
  });
});

describe("INCR family (redis.io/commands/incr, /incrby, /decrby)", () => {
  it("doc example: SET mykey 10, INCR → 11, GET → 11", () => {
    const ks = withValue("10");
    expect(strings.incrBy(ks, "k", 1n, 0)).toBe(11n);
    expect(text(strings.get(ks, "k", 0))).toBe("11");
  });
  it("an absent key counts as 0 (DECRBY mykey 3 on 10 → 7)", () => {
    const ks = withValue("10");
    expect(strings.decrBy(ks, "k", 3n, 0)).toBe(7n);
    expect(strings.incrBy(ks, "absent", -5n, 0)).toBe(-5n);
  });
  // [stored, delta, result or error message]
  const TABLE: [string, bigint, bigint | string][] = [
    ["9223372036854775806", 1n, 2n ** 63n - 1n],
    ["9223372036854775807", 1n, MSG.overflow],
    ["-9223372036854775807", -1n, -(2n ** 63n)],
    ["-9223372036854775808", -1n, MSG.overflow],
    ["-1", -(2n ** 63n), MSG.overflow],
    ["0", -(2n ** 63n), -(2n ** 63n)],
    ["1.5", 1n, MSG.notInteger],
    ["abc", 1n, MSG.notInteger],
    [" 1", 1n, MSG.notInteger],
    ["00", 1n, MSG.notInteger],
    ["9223372036854775808", 0n, MSG.notInteger],
  ];
  it.each(TABLE)("%s INCRBY %s → %s", (stored, delta, want) => {
    const ks = withValue(stored);
    if (typeof want === "bigint") {
      expect(strings.incrBy(ks, "k", delta, 0)).toBe(want);
      expect(text(strings.get(ks, "k", 0))).toBe(want.toString());
    } else {
      expect(() => strings.incrBy(ks, "k", delta, 0)).toThrow(want);
      expect(text(strings.get(ks, "k", 0))).toBe(stored);
    }
  });
  it("DECRBY -2^63 is refused as 'decrement would overflow' (Redis 7.0)", () => {
    expect(() => strings.decrBy(withValue("0"), "k", -(2n ** 63n), 0)).toThrow(MSG.decrOverflow);
  });
});

describe("INCRBYFLOAT (redis.io/commands/incrbyfloat; same rules for /hincrbyfloat)", () => {
  // [stored (undefined: absent), increment, result or error message]
  const TABLE: [string | undefined, string, string][] = [
    ["10.50", "0.1", "10.6"], // doc example
    ["10.6", "-5", "5.6"], // doc example
    ["5.0e3", "2.0e2", "5200"], // doc example
    ["3.0e3", "0", "3000"],
    [undefined, "1.5", "1.5"],
    ["1", "-1", "0"],
    ["0.1", "0.2", "0.3"],
    ["1", "1e-20", "1"],
    ["-1e-20", "0", "0"], // %.17Lf prints -0.000…; Redis writes "-0" as "0"
    ["0x10", "0x1p-1", "16.5"], // strtold reads hex
    ["1e10", "1", "10000000001"],
    // 1e30 is inexact in a 64-bit significand: the nearest value is 1e30 + 24696061952, printed in full
    ["1e30", "1", "1000000000000000000024696061952"],
    ["10", " 1", MSG.notFloat],
    ["10", "1 ", MSG.notFloat],
    ["10", "", MSG.notFloat],
    ["10", "nan", MSG.notFloat],
    ["10", "1e99999", MSG.notFloat], // ERANGE
    ["10", `0.${"0".repeat(300)}1e300`, "10.1"], // the exponent counts from the last digit
    // 400 digits rounded to 64 bits (ulp 2^-33), plus 10, printed with 17 decimals
    ["10", `${"1".repeat(400)}e-390`, "1111111121.11111111112404615"],
    ["0", "1e-4940", "0"], // a denormal long double is accepted (not ERANGE to Redis), prints as 0
    ["0", "1e-4960", MSG.notFloat], // underflow to zero: ERANGE
    ["abc", "1", MSG.notFloat],
    ["10", "inf", MSG.nanOrInf],
    ["10", "-Infinity", MSG.nanOrInf],
    ["inf", "1", MSG.nanOrInf],
    ["1e4932", "1e4932", MSG.nanOrInf], // long double overflow
  ];
  it.each(TABLE)("%s INCRBYFLOAT %j → %s", (stored, incr, want) => {
    const ks = stored === undefined ? new RedisKeyspace() : withValue(stored);
    if (want.startsWith("ERR")) {
      expect(() => strings.incrByFloat(ks, "k", incr, 0)).toThrow(want);
      expect(text(strings.get(ks, "k", 0))).toBe(stored ?? null);
    } else {
      expect(strings.incrByFloat(ks, "k", incr, 0)).toBe(want);
      expect(text(strings.get(ks, "k", 0))).toBe(want);
    }
  });
  it("HINCRBYFLOAT doc example and its own error for a bad stored value", () => {
    const ks = new RedisKeyspace();
    hashes.hset(ks, "h", [["field", "10.50"]], 0);
    expect(hashes.hincrbyfloat(ks, "h", "field", "0.1", 0)).toBe("10.6");
    expect(hashes.hincrbyfloat(ks, "h", "field", "-5", 0)).toBe("5.6");
    hashes.hset(ks, "h", [["field", "5.0e3"]], 0);
    expect(hashes.hincrbyfloat(ks, "h", "field", "2.0e2", 0)).toBe("5200");
    hashes.hset(ks, "h", [["bad", "x"]], 0);
    expect(() => hashes.hincrbyfloat(ks, "h", "bad", "1", 0)).toThrow(MSG.hashNotFloat);
    expect(() => hashes.hincrbyfloat(ks, "h", "bad", "y", 0)).toThrow(MSG.notFloat);
    // Real Redis 7.0.15 refuses an infinite increment first, with its own text, even on a wrong-typed key.
    expect(() => hashes.hincrbyfloat(ks, "h", "field", "inf", 0)).toThrow("ERR value is NaN or Infinity");
    strings.set(ks, "s", strings.asciiBytes("1"), {}, 0);
    expect(() => hashes.hincrbyfloat(ks, "s", "field", "-inf", 0)).toThrow("ERR value is NaN or Infinity");
    expect(() => hashes.hincrby(ks, "h", "bad", 1n, 0)).toThrow(MSG.hashNotInteger);
  });
  it("HINCRBY doc example and overflow", () => {
    const ks = new RedisKeyspace();
    hashes.hset(ks, "h", [["field", "5"]], 0);
    expect(hashes.hincrby(ks, "h", "field", 1n, 0)).toBe(6n);
    expect(hashes.hincrby(ks, "h", "field", -1n, 0)).toBe(5n);
    expect(hashes.hincrby(ks, "h", "field", -10n, 0)).toBe(-5n);
    hashes.hset(ks, "h", [["max", "9223372036854775807"]], 0);
    expect(() => hashes.hincrby(ks, "h", "max", 1n, 0)).toThrow(MSG.overflow);
  });
});

describe("score parsing (redis.io/commands/zadd: doubles, +inf and -inf valid)", () => {
  const TABLE: [string, number | undefined][] = [
    ["1", 1],
    ["-1.5", -1.5],
    ["+2", 2],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["inf", Number.POSITIVE_INFINITY],
    ["+inf", Number.POSITIVE_INFINITY],
    ["-inf", Number.NEGATIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["0x10", 16],
    ["4.9e-324", 5e-324],
    ["nan", undefined],
    ["1e400", undefined],
    ["1e-400", undefined],
    [" 1", undefined],
    ["1x", undefined],
    ["", undefined],
    ["e5", undefined],
  ];
  it.each(TABLE)("%j → %s", (input, want) => {
    expect(parseRedisDouble(input)).toBe(want);
  });
});

describe("score formatting (Redis 7.0 replies doubles with %.17g)", () => {
  const TABLE: [number, string][] = [
    [1, "1"],
    [1.5, "1.5"],
    [1.1, "1.1000000000000001"],
    [0.1, "0.10000000000000001"],
    [-2.5, "-2.5"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [1e20, "1e+20"],
    [1e-4, "0.0001"],
    [1e-5, "1.0000000000000001e-05"],
    [1 / 3, "0.33333333333333331"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [0, "0"],
  ];
  it.each(TABLE)("%s → %s", (x, want) => {
    expect(formatRedisDouble(x)).toBe(want);
  });
});
