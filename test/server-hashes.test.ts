/**
 * Hash commands over RESP (src/server/commands/hash-commands.ts): Redis's replies, WRONGTYPE against a JSON
 * document, an emptied hash no longer existing; HINCRBY/HINCRBYFLOAT's error texts in Redis's order;
 * HRANDFIELD's count rules (RESP2 and RESP3 shapes); HSCAN's integer cursors covering every field once and
 * refusing cursors never given.
 */
import { describe, expect, it } from "vitest";
import { SCAN_CURSORS_MAX, ScanCursors } from "../src/server/scan-cursors.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

describe("hash commands", () => {
  it("HSET/HGET/HLEN/HGETALL/HDEL with Redis's replies", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "HSET", "h", "a", "1", "b", "2")).toBe(2);
    expect(await call(c, "HSET", "h", "b", "3")).toBe(0);
    expect(await call(c, "HGET", "h", "b")).toBe("3");
    expect(await call(c, "HGET", "h", "zz")).toBe(null);
    expect(await call(c, "HLEN", "h")).toBe(2);
    expect(await call(c, "HGETALL", "h")).toEqual(["a", "1", "b", "3"]);
    expect(errorOf(await call(c, "HSET", "h", "a"))).toBe("ERR wrong number of arguments for 'hset' command");
    await call(c, "JSON.SET", "doc", "$", "1");
    expect(errorOf(await call(c, "HSET", "doc", "a", "1"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(await call(c, "HDEL", "h", "a", "b", "c")).toBe(2);
    expect(await call(c, "HLEN", "h")).toBe(0);
    expect(await call(c, "HGETALL", "h")).toEqual([]);
  });

  it("HSETNX/HMSET/HMGET/HEXISTS/HSTRLEN/HKEYS/HVALS", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "HMSET", "h", "a", "1", "b", "22")).toBe("OK");
    expect(errorOf(await call(c, "HMSET", "h", "a", "1", "b"))).toBe(
      "ERR wrong number of arguments for 'hmset' command",
    );
    expect(await call(c, "HSETNX", "h", "a", "x")).toBe(0);
    expect(await call(c, "HSETNX", "h", "c", "333")).toBe(1);
    expect(await call(c, "HMGET", "h", "a", "zz", "c")).toEqual(["1", null, "333"]);
    expect(await call(c, "HMGET", "none", "a")).toEqual([null]);
    expect(await call(c, "HEXISTS", "h", "b")).toBe(1);
    expect(await call(c, "HEXISTS", "h", "zz")).toBe(0);
    expect(await call(c, "HSTRLEN", "h", "c")).toBe(3);
    expect(await call(c, "HSTRLEN", "h", "zz")).toBe(0);
    expect(await call(c, "HKEYS", "h")).toEqual(["a", "b", "c"]);
    expect(await call(c, "HVALS", "h")).toEqual(["1", "22", "333"]);
    expect(await call(c, "HKEYS", "none")).toEqual([]);
    await call(c, "SET", "s", "v");
    expect(errorOf(await call(c, "HMGET", "s", "a"))).toBe(WRONGTYPE);
  });

  it("HINCRBY/HINCRBYFLOAT (redis.io examples, Redis's error texts and order)", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HSET", "myhash", "field", "5");
    expect(await call(c, "HINCRBY", "myhash", "field", "1")).toBe(6);
    expect(await call(c, "HINCRBY", "myhash", "field", "-1")).toBe(5);
    expect(await call(c, "HINCRBY", "myhash", "field", "-10")).toBe(-5);
    await call(c, "HSET", "mykey", "field", "10.50");
    expect(await call(c, "HINCRBYFLOAT", "mykey", "field", "0.1")).toBe("10.6");
    expect(await call(c, "HINCRBYFLOAT", "mykey", "field", "-5")).toBe("5.6");
    await call(c, "HSET", "mykey", "field", "5.0e3");
    expect(await call(c, "HINCRBYFLOAT", "mykey", "field", "2.0e2")).toBe("5200");
    await call(c, "HSET", "h", "s", "abc", "max", "9223372036854775807", "inf", "inf");
    expect(errorOf(await call(c, "HINCRBY", "h", "s", "1"))).toBe("ERR hash value is not an integer");
    expect(errorOf(await call(c, "HINCRBY", "h", "max", "1"))).toBe(
      "ERR increment or decrement would overflow",
    );
    expect(errorOf(await call(c, "HINCRBY", "h", "s", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorOf(await call(c, "HINCRBYFLOAT", "h", "s", "1"))).toBe("ERR hash value is not a float");
    expect(errorOf(await call(c, "HINCRBYFLOAT", "h", "s", "x"))).toBe("ERR value is not a valid float");
    expect(errorOf(await call(c, "HINCRBYFLOAT", "h", "f", "inf"))).toBe("ERR value is NaN or Infinity");
    expect(errorOf(await call(c, "HINCRBYFLOAT", "h", "inf", "1"))).toBe(
      "ERR increment would produce NaN or Infinity",
    );
    await call(c, "SET", "str", "v");
    expect(errorOf(await call(c, "HINCRBYFLOAT", "str", "f", "inf"))).toBe("ERR value is NaN or Infinity");
    expect(errorOf(await call(c, "HINCRBYFLOAT", "str", "f", "1"))).toBe(WRONGTYPE);
    expect(await call(c, "HGET", "h", "max")).toBe("9223372036854775807");
  });

  it("HRANDFIELD: counts, WITHVALUES in RESP2 and RESP3, Redis's range errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HSET", "coin", "heads", "obverse", "tails", "reverse", "edge", "null");
    const fields = ["edge", "heads", "tails"];
    expect(fields).toContain(await call(c, "HRANDFIELD", "coin"));
    expect(await call(c, "HRANDFIELD", "none")).toBe(null);
    expect(await call(c, "HRANDFIELD", "none", "5")).toEqual([]);
    expect(await call(c, "HRANDFIELD", "coin", "0")).toEqual([]);
    expect(((await call(c, "HRANDFIELD", "coin", "5")) as string[]).sort()).toEqual(fields);
    const two = (await call(c, "HRANDFIELD", "coin", "2")) as string[];
    expect(new Set(two).size).toBe(2);
    const many = (await call(c, "HRANDFIELD", "coin", "-50")) as string[];
    expect(many).toHaveLength(50);
    expect(new Set(many)).toEqual(new Set(fields)); // 50 draws of 3 miss one with odds ~3 * (2/3)^50
    const pairs = (await call(c, "HRANDFIELD", "coin", "-5", "WITHVALUES")) as string[];
    expect(pairs).toHaveLength(10);
    const values: Record<string, string> = { heads: "obverse", tails: "reverse", edge: "null" };
    for (let i = 0; i < 10; i += 2) expect(values[pairs[i] as string]).toBe(pairs[i + 1]);
    expect(errorOf(await call(c, "HRANDFIELD", "coin", "1", "WITHSCORES"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "HRANDFIELD", "coin", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorOf(await call(c, "HRANDFIELD", "coin", "-9223372036854775808"))).toBe(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    expect(errorOf(await call(c, "HRANDFIELD", "coin", "-9223372036854770000", "WITHVALUES"))).toBe(
      "ERR value is out of range",
    );
    expect(await call(c, "HELLO", "3")).toBeTruthy();
    const nested = (await call(c, "HRANDFIELD", "coin", "2", "WITHVALUES")) as string[][];
    expect(nested).toHaveLength(2);
    for (const [f, v] of nested) expect(values[f as string]).toBe(v);
  });

  it("HSCAN: integer cursors, every field once across pages, MATCH, errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const args: string[] = [];
    for (let i = 0; i < 40; i++) args.push(`f${i}`, `${i}`);
    await call(c, "HSET", "h", ...args);
    const seen: string[] = [];
    let cursor = "0";
    let pages = 0;
    do {
      const [next, items] = (await call(c, "HSCAN", "h", cursor, "COUNT", "7")) as [string, string[]];
      expect(next).toMatch(/^\d+$/);
      for (let i = 0; i < items.length; i += 2) seen.push(items[i] as string);
      cursor = next;
      pages++;
    } while (cursor !== "0" && pages < 100);
    expect(seen.sort()).toEqual(args.filter((_, i) => i % 2 === 0).sort());
    const [done, matched] = (await call(c, "HSCAN", "h", "0", "MATCH", "f1*", "COUNT", "1000")) as [
      string,
      string[],
    ];
    expect(done).toBe("0");
    expect(matched.filter((_, i) => i % 2 === 0).sort()).toEqual(
      ["f1", ...Array.from({ length: 10 }, (_, i) => `f1${i}`)].sort(),
    );
    expect(await call(c, "HSCAN", "none", "0", "BAD", "opts")).toEqual(["0", []]);
    expect(errorOf(await call(c, "HSCAN", "h", "abc"))).toBe("ERR invalid cursor");
    expect(errorOf(await call(c, "HSCAN", "h", "987654"))).toBe("ERR invalid cursor");
    expect(errorOf(await call(c, "HSCAN", "h", "0", "COUNT", "0"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "HSCAN", "h", "0", "MATCH"))).toBe("ERR syntax error");
  });

  it("the cursor table is bounded: the oldest cursor is forgotten", () => {
    const t = new ScanCursors();
    const first = t.toWire("1abc");
    for (let i = 0; i < SCAN_CURSORS_MAX; i++) t.toWire(`1x${i}`);
    expect(() => t.fromWire(Buffer.from(first))).toThrow("ERR invalid cursor");
    expect(t.fromWire(Buffer.from(String(SCAN_CURSORS_MAX + 1)))).toBe(`1x${SCAN_CURSORS_MAX - 1}`);
    expect(t.toWire("0")).toBe("0");
  });
});
