/**
 * The engine's Redis number rules (src/types/numbers.ts):
 * - string2ll accepts exactly Redis's strict int64 texts; int64 sums fail at ±2^63;
 * - INCRBYFLOAT's sum gives Redis's digits (x87 long double, `%.17Lf` trimmed) for the redis.io examples and
 *   Redis's own test suite cases (unit/type/incr), rejects spaces, NaN, embedded NULs and infinities;
 * - on seeded random inputs the engine agrees with the reference model (sim/redis-model/numbers.ts,
 *   long-double.ts), which restates the same rules independently.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { addLongDouble, formatLongDoubleHuman } from "../sim/redis-model/long-double.js";
import { addInt64 as modelAdd, parseLongDouble, parseRedisInteger } from "../sim/redis-model/numbers.js";
import {
  addInt64,
  formatExtended,
  incrementFloatText,
  parseExtended,
  string2ld,
  string2ll,
} from "../src/types/numbers.js";
import { floatText } from "./helpers/float-texts.js";
import { testSeed } from "./helpers/seed.js";

describe("string2ll (Redis's strict integers)", () => {
  const TABLE: [string, bigint | undefined][] = [
    ["0", 0n],
    ["10", 10n],
    ["-10", -10n],
    ["9223372036854775807", 2n ** 63n - 1n],
    ["-9223372036854775808", -(2n ** 63n)],
    ["9223372036854775808", undefined],
    ["-9223372036854775809", undefined],
    ["234293482390480948029348230948", undefined], // redis.io DECR example
    ["+1", undefined],
    ["01", undefined],
    ["-0", undefined],
    ["-", undefined],
    [" 1", undefined],
    ["1 ", undefined],
    ["", undefined],
    ["1.0", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
    ["1\x00", undefined],
  ];
  it.each(TABLE)("%j → %s", (text, want) => expect(string2ll(text)).toBe(want));

  it("int64 sums overflow at ±2^63", () => {
    expect(addInt64(2n ** 63n - 2n, 1n)).toBe(2n ** 63n - 1n);
    expect(addInt64(2n ** 63n - 1n, 1n)).toBeUndefined();
    expect(addInt64(-(2n ** 63n), -1n)).toBeUndefined();
    expect(addInt64(-(2n ** 63n), 2n ** 63n - 1n)).toBe(-1n);
  });
});

describe("INCRBYFLOAT's arithmetic (redis.io/commands/incrbyfloat, hincrbyfloat; unit/type/incr)", () => {
  // [current value or undefined (absent), increment, result]
  const TABLE: [string | undefined, string, string][] = [
    ["10.50", "0.1", "10.6"],
    ["10.6", "-5", "5.6"],
    ["5.0e3", "2.0e2", "5200"],
    ["3.0e3", "2.0e2", "3200"],
    [undefined, "1", "1"],
    ["1", "0.25", "1.25"],
    ["1.5", "1.5", "3"],
    ["17179869184", "1.5", "17179869185.5"],
    ["17179869184", "17179869184", "34359738368"],
    ["1", "-1.1", "-0.1"],
    ["0x10", "0x1p-1", "16.5"],
    ["1e30", "0", "1000000000000000000024696061952"], // x87 rounds 10^30 (5^30 needs 70 bits)
    ["-1e-20", "0", "0"],
    ["0.1", "0.2", "0.3"],
    [undefined, "+.5", "0.5"],
    ["0.0000038146972656250", "0", "0.00000381469726562"], // 2^-18: an exact tie, to even
  ];
  it.each(TABLE)("%s + %s → %s", (cur, incr, want) => expect(incrementFloatText(cur, incr)).toBe(want));

  it("no negative zero (unit/type/incr 'No negative zero')", () => {
    const a = incrementFloatText(undefined, String(1 / 41));
    expect(incrementFloatText(a, String(-1 / 41))).toBe("0");
  });

  const BAD: [string | undefined, string, string][] = [
    ["    11", "1", "ERR value is not a valid float"],
    ["11 ", "1", "ERR value is not a valid float"],
    ["1\x002", "1", "ERR value is not a valid float"], // 'string to double with null terminator'
    ["1", "v", "ERR value is not a valid float"],
    ["1", "nan", "ERR value is not a valid float"],
    ["1", "1e", "ERR value is not a valid float"],
    ["1", "", "ERR value is not a valid float"],
    ["1", "1e-99999", "ERR value is not a valid float"],
    ["1", "1e99999", "ERR value is not a valid float"],
    ["0", "+inf", "ERR increment would produce NaN or Infinity"],
    ["inf", "1", "ERR increment would produce NaN or Infinity"],
    ["1.1e4932", "1.1e4932", "ERR increment would produce NaN or Infinity"],
  ];
  it.each(BAD)("%j + %j fails with %s", (cur, incr, reply) => {
    expect(() => incrementFloatText(cur, incr)).toThrow(expect.objectContaining({ reply }));
  });

  it("hash values fail with HINCRBYFLOAT's own text", () => {
    expect(() => incrementFloatText("abc", "1", "ERR hash value is not a float")).toThrow(
      expect.objectContaining({ reply: "ERR hash value is not a float", code: "FUSEDB_NOT_FLOAT" }),
    );
  });

  it("parses denormals (not ERANGE-rejected) and tiny values that round to zero as range", () => {
    const tiny = parseExtended("4e-4951");
    expect(tiny).toMatchObject({ significand: 1n, exponent: -16445 });
    expect(parseExtended("1e-4952")).toBe("range");
    expect(parseExtended("0e-99999")).toMatchObject({ significand: 0n });
    expect(string2ld("INFINITY")).toBe("infinity");
  });
});

/** The model's INCRBYFLOAT sum, as text or the error reply. */
function modelSum(cur: string, incr: string): string {
  const a = parseLongDouble(cur);
  const b = parseLongDouble(incr);
  if (a === undefined || b === undefined) return "ERR value is not a valid float";
  if (a === "inf" || b === "inf") return "ERR increment would produce NaN or Infinity";
  const s = addLongDouble(a, b);
  return s === "overflow" ? "ERR increment would produce NaN or Infinity" : formatLongDoubleHuman(s);
}

function engineSum(cur: string, incr: string): string {
  try {
    return incrementFloatText(cur, incr);
  } catch (err) {
    return (err as { reply: string }).reply;
  }
}

describe("differential against the reference model", () => {
  it("string2ll and int64 sums agree on random texts", () => {
    const r = new Prng(testSeed("types-numbers integers"));
    for (let i = 0; i < 3000; i++) {
      const n = BigInt.asIntN(64, BigInt(Math.floor(r.next() * 2 ** 53)) << BigInt(r.int(12)));
      const text = [n.toString(), `0${n}`, `+${n}`, `${n} `, (n * 10n).toString(), "-0", "0"][r.int(7)] ?? "";
      expect(string2ll(text), text).toBe(parseRedisInteger(text));
      const m = BigInt.asIntN(64, BigInt(Math.floor(r.next() * 2 ** 53)) << BigInt(r.int(12)));
      expect(addInt64(n, m)).toBe(modelAdd(n, m));
    }
  });

  it("INCRBYFLOAT sums agree on random float texts", () => {
    const r = new Prng(testSeed("types-numbers floats"));
    for (let i = 0; i < 3000; i++) {
      const cur = floatText(r);
      const incr = floatText(r);
      expect(engineSum(cur, incr), `${cur} + ${incr}`).toBe(modelSum(cur, incr));
      const p = string2ld(cur);
      if (p !== undefined && p !== "infinity") {
        const m = parseLongDouble(cur);
        expect(m === undefined || m === "inf" ? undefined : formatLongDoubleHuman(m)).toBe(formatExtended(p));
      }
    }
  });
});
