/**
 * String commands over RESP (src/server/commands/string-commands.ts):
 * - Redis 7.0's replies and error texts for SET's options, GETEX, the counters, ranges, MSET/MSETNX;
 * - arguments checked in Redis's order (syntax first; GETEX on an absent key answers null whatever its
 *   expiry says; INCRBY's delta before the key's type);
 * - EXEC runs string commands as one atomic call;
 * - a seeded differential run: the string and hash command generators of the Redis differential test
 *   (test/helpers/redis-diff-gen-*.ts) against the reference model (sim/redis-model/), replies compared
 *   byte for byte (binary values decoded as Buffers).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { hashes, keys, RedisKeyspace, strings } from "../sim/redis-model/index.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { Decoder, type MemClient, RESP_TYPES } from "./helpers/mem-transport.js";
import { openMem } from "./helpers/open-mem.js";
import type { Gen } from "./helpers/redis-diff-alphabet.js";
import { KEYS } from "./helpers/redis-diff-alphabet.js";
import { HASH_STEPS } from "./helpers/redis-diff-gen-collections.js";
import { STRING_STEPS, type StepGen } from "./helpers/redis-diff-gen-strings.js";
import { bulk, exact, normalizeReply, type Step, unordered } from "./helpers/redis-diff-steps.js";
import { memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

describe("string commands", () => {
  it("GET/SET with every option, SETNX/SETEX/PSETEX/GETSET/GETDEL", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "SET", "k", "v")).toBe("OK");
    expect(await call(c, "GET", "k")).toBe("v");
    expect(await call(c, "GET", "none")).toBe(null);
    expect(await call(c, "SET", "k", "w", "NX")).toBe(null);
    expect(await call(c, "SET", "k", "w", "XX", "GET")).toBe("v");
    expect(await call(c, "SET", "n", "w", "XX")).toBe(null);
    expect(await call(c, "SET", "n", "w", "NX", "GET")).toBe(null);
    expect(await call(c, "SET", "k", "x", "EX", "100", "EX", "200")).toBe("OK");
    expect(await call(c, "PTTL", "k")).toBeGreaterThan(199_000);
    expect(await call(c, "SET", "k", "y", "KEEPTTL")).toBe("OK");
    expect(await call(c, "PTTL", "k")).toBeGreaterThan(199_000);
    for (const bad of [
      ["NX", "XX"],
      ["EX", "1", "PX", "1"],
      ["KEEPTTL", "EX", "1"],
      ["EX"],
      ["PERSIST"],
      ["FOO"],
    ]) {
      expect(errorOf(await call(c, "SET", "k", "v", ...bad))).toBe("ERR syntax error");
    }
    expect(errorOf(await call(c, "SET", "k", "v", "EX", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorOf(await call(c, "SET", "k", "v", "EX", "0"))).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(errorOf(await call(c, "SET", "k", "v", "EX", "10000000000000000"))).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(errorOf(await call(c, "SETEX", "k", "-1", "v"))).toBe(
      "ERR invalid expire time in 'setex' command",
    );
    expect(errorOf(await call(c, "PSETEX", "k", "0", "v"))).toBe(
      "ERR invalid expire time in 'psetex' command",
    );
    expect(await call(c, "SETEX", "e", "10", "v")).toBe("OK");
    expect(await call(c, "TTL", "e")).toBe(10);
    expect(await call(c, "PSETEX", "e", "5000", "v2")).toBe("OK");
    expect(await call(c, "SETNX", "e", "z")).toBe(0);
    expect(await call(c, "SETNX", "f", "z")).toBe(1);
    expect(await call(c, "GETSET", "f", "z2")).toBe("z");
    expect(await call(c, "GETDEL", "f")).toBe("z2");
    expect(await call(c, "GETDEL", "f")).toBe(null);
    await call(c, "HSET", "h", "a", "1");
    expect(errorOf(await call(c, "SET", "h", "v", "GET"))).toBe(WRONGTYPE);
    expect(errorOf(await call(c, "GET", "h"))).toBe(WRONGTYPE);
    expect(await call(c, "SET", "h", "v")).toBe("OK");
    expect(await call(c, "GET", "h")).toBe("v");
  });

  it("GETEX, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "GETEX", "none", "PX", "-5")).toBe(null);
    expect(await call(c, "GETEX", "none", "EX", "abc")).toBe(null);
    expect(errorOf(await call(c, "GETEX", "none", "EX", "1", "PERSIST"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "GETEX", "none", "KEEPTTL"))).toBe("ERR syntax error");
    await call(c, "SET", "k", "v");
    expect(await call(c, "GETEX", "k", "EX", "100")).toBe("v");
    expect(await call(c, "TTL", "k")).toBe(100);
    expect(errorOf(await call(c, "GETEX", "k", "EX", "0"))).toBe(
      "ERR invalid expire time in 'getex' command",
    );
    expect(await call(c, "GETEX", "k", "PERSIST")).toBe("v");
    expect(await call(c, "TTL", "k")).toBe(-1);
    expect(await call(c, "GETEX", "k", "PXAT", "1")).toBe("v");
    expect(await call(c, "GET", "k")).toBe(null);
    expect(await call(c, "APPEND", "s", "Hello")).toBe(5);
    expect(await call(c, "APPEND", "s", " World")).toBe(11);
    expect(await call(c, "STRLEN", "s")).toBe(11);
    expect(await call(c, "GETRANGE", "s", "0", "4")).toBe("Hello");
    expect(await call(c, "SUBSTR", "s", "-5", "-1")).toBe("World");
    expect(await call(c, "GETRANGE", "s", "-9223372036854775808", "-9223372036854775807")).toBe("H");
    expect(errorOf(await call(c, "GETRANGE", "s", "a", "1"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(await call(c, "SETRANGE", "s", "6", "Redis")).toBe(11);
    expect(await call(c, "GET", "s")).toBe("Hello Redis");
    expect(errorOf(await call(c, "SETRANGE", "s", "-1", "x"))).toBe("ERR offset is out of range");
    expect(errorOf(await call(c, "SETRANGE", "s", "536870912", "x"))).toBe(
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    );
    expect(await call(c, "SETRANGE", "z", "3", "")).toBe(0);
    expect(await call(c, "EXISTS", "z")).toBe(0);
  });

  it("INCR family and INCRBYFLOAT with Redis's texts", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "INCR", "n")).toBe(1);
    expect(await call(c, "INCRBY", "n", "9")).toBe(10);
    expect(await call(c, "DECR", "n")).toBe(9);
    expect(await call(c, "DECRBY", "n", "10")).toBe(-1);
    expect(errorOf(await call(c, "DECRBY", "n", "-9223372036854775808"))).toBe(
      "ERR decrement would overflow",
    );
    await call(c, "SET", "n", "9223372036854775807");
    expect(errorOf(await call(c, "INCR", "n"))).toBe("ERR increment or decrement would overflow");
    expect(await call(c, "GET", "n")).toBe("9223372036854775807");
    await call(c, "HSET", "h", "a", "1");
    expect(errorOf(await call(c, "INCRBY", "h", "x"))).toBe("ERR value is not an integer or out of range");
    expect(errorOf(await call(c, "INCRBY", "h", "1"))).toBe(WRONGTYPE);
    expect(errorOf(await call(c, "INCRBYFLOAT", "h", "x"))).toBe(WRONGTYPE);
    await call(c, "SET", "f", "10.50");
    expect(await call(c, "INCRBYFLOAT", "f", "0.1")).toBe("10.6");
    expect(await call(c, "INCRBYFLOAT", "f", "-5")).toBe("5.6");
    await call(c, "SET", "f", "5.0e3");
    expect(await call(c, "INCRBYFLOAT", "f", "2.0e2")).toBe("5200");
    expect(errorOf(await call(c, "INCRBYFLOAT", "f", "+inf"))).toBe(
      "ERR increment would produce NaN or Infinity",
    );
    expect(errorOf(await call(c, "INCRBYFLOAT", "f", "abc"))).toBe("ERR value is not a valid float");
    await call(c, "SET", "f", "1");
    await call(c, "SETRANGE", "f", "2", "2");
    expect(errorOf(await call(c, "INCRBYFLOAT", "f", "1"))).toBe("ERR value is not a valid float");
  });

  it("SETBIT/GETBIT with Redis's rules", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "SETBIT", "b", "1", "1")).toBe(0);
    expect(await call(c, "GET", "b")).toBe("@");
    expect(await call(c, "SETBIT", "b", "1", "1")).toBe(1);
    expect(await call(c, "GETBIT", "b", "1")).toBe(1);
    expect(await call(c, "GETBIT", "b", "0")).toBe(0);
    expect(await call(c, "GETBIT", "b", "100")).toBe(0);
    expect(await call(c, "GETBIT", "none", "0")).toBe(0);
    expect(await call(c, "SETBIT", "b", "23", "1")).toBe(0);
    expect(await call(c, "STRLEN", "b")).toBe(3);
    expect(await call(c, "SETBIT", "b", "1", "0")).toBe(1);
    expect(await call(c, "GETRANGE", "b", "0", "0")).toBe("\x00");
    await call(c, "SET", "n", "1"); // "1" is 0x31: bits 2, 3 and 7 set
    expect(await call(c, "GETBIT", "n", "2")).toBe(1);
    expect(await call(c, "GETBIT", "n", "1")).toBe(0);
    const offset = "bit offset is not an integer or out of range";
    expect(errorOf(await call(c, "SETBIT", "b", "-1", "1"))).toBe(`ERR ${offset}`);
    expect(errorOf(await call(c, "SETBIT", "b", String(4 * 1024 * 1024 * 1024), "1"))).toBe(`ERR ${offset}`);
    expect(errorOf(await call(c, "GETBIT", "b", "x"))).toBe(`ERR ${offset}`);
    expect(errorOf(await call(c, "SETBIT", "b", "0", "2"))).toBe("ERR bit is not an integer or out of range");
    expect(errorOf(await call(c, "SETBIT", "b", "0", "-1"))).toBe(
      "ERR bit is not an integer or out of range",
    );
    await call(c, "HSET", "h", "f", "v");
    expect(errorOf(await call(c, "SETBIT", "h", "0", "1"))).toBe(WRONGTYPE);
    expect(errorOf(await call(c, "GETBIT", "h", "0"))).toBe(WRONGTYPE);
  });

  it("LCS (redis.io examples)", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "MSET", "key1", "ohmytext", "key2", "mynewtext");
    expect(await call(c, "LCS", "key1", "key2")).toBe("mytext");
    expect(await call(c, "LCS", "key1", "key2", "LEN")).toBe(6);
    expect(await call(c, "LCS", "key1", "key2", "IDX")).toEqual([
      "matches",
      [
        [
          [4, 7],
          [5, 8],
        ],
        [
          [2, 3],
          [0, 1],
        ],
      ],
      "len",
      6,
    ]);
    expect(await call(c, "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")).toEqual([
      "matches",
      [[[4, 7], [5, 8], 4]],
      "len",
      6,
    ]);
    expect(errorOf(await call(c, "LCS", "key1", "key2", "IDX", "LEN"))).toBe(
      "ERR If you want both the length and indexes, please just use IDX.",
    );
    await call(c, "HSET", "h", "f", "v");
    expect(errorOf(await call(c, "LCS", "key1", "h"))).toBe(
      "ERR The specified keys must contain string values",
    );
    expect(await call(c, "LCS", "key1", "none")).toBe("");
  });

  it("MGET/MSET/MSETNX, and EXEC as one atomic call", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "MSET", "a", "1", "b", "2", "a", "3")).toBe("OK");
    expect(errorOf(await call(c, "MSET", "a", "1", "b"))).toBe(
      "ERR wrong number of arguments for 'mset' command",
    );
    await call(c, "HSET", "h", "f", "v");
    expect(await call(c, "MGET", "a", "b", "h", "none")).toEqual(["3", "2", null, null]);
    expect(await call(c, "MSETNX", "c", "1", "h", "2")).toBe(0);
    expect(await call(c, "MSETNX", "c", "1", "d", "2")).toBe(1);
    expect(await call(c, "MGET", "c", "d")).toEqual(["1", "2"]);
    expect(await call(c, "MULTI")).toBe("OK");
    expect(await call(c, "INCR", "ctr")).toBe("QUEUED");
    expect(await call(c, "APPEND", "ctr", "0")).toBe("QUEUED");
    expect(await call(c, "GET", "ctr")).toBe("QUEUED");
    expect(await call(c, "EXEC")).toEqual([1, 2, "10"]);
  });
});

/** A client that decodes bulk strings as Buffers (binary values compare byte for byte). */
class BinaryReader {
  private at = 0;
  private readonly out: unknown[] = [];
  private readonly decoder = new Decoder({
    onReply: (r) => this.out.push(r),
    onErrorReply: (e) => this.out.push(e),
    onPush: () => undefined,
    getTypeMapping: () => ({
      [RESP_TYPES.BLOB_STRING as number]: Buffer,
      [RESP_TYPES.SIMPLE_STRING as number]: Buffer,
      [RESP_TYPES.NUMBER as number]: String,
    }),
  });
  constructor(private readonly c: MemClient) {}

  async send(argv: string[]): Promise<unknown> {
    const before = this.c.replies.length;
    this.c.command(...argv.map((a) => Buffer.from(a, "latin1")));
    await this.c.waitReplies(before + 1);
    this.decoder.write(this.c.received.subarray(this.at));
    this.at = this.c.received.length;
    return this.out.shift();
  }
}

/** The state of one key as the model sees it, read back over RESP. */
function stateStep(ks: RedisKeyspace, k: string, nowMs: number): Step | undefined {
  const type = keys.type(ks, k, nowMs);
  if (type === "string") return exact(["GET", k], (m, now) => bulk(strings.get(m, k, now)));
  if (type === "hash") return unordered(["HGETALL", k], 2, (m, now) => hashes.hgetall(m, k, now).flat());
  return undefined;
}

/** Steps the engine answers differently on purpose: expiries past 2^53 ms (it stores safe integers only). */
function engineRefuses(argv: string[]): boolean {
  return argv.some((a, i) => i > 1 && /^\d{16,}$/.test(a) && /^(EX|PX|EXAT|PXAT)$/i.test(argv[i - 1] ?? ""));
}

describe("string and hash commands against the reference model", () => {
  it("replies and states agree over seeded random commands", async () => {
    const seed = testSeed("server-strings differential");
    const r = new Prng(seed);
    const { net } = await memServer();
    const client = new BinaryReader(net.connect());
    const ks = new RedisKeyspace();
    const pool: StepGen[] = [...STRING_STEPS, ...HASH_STEPS];
    const problems: string[] = [];
    let sent = 0;
    for (let at = 0; at < 1500 && problems.length === 0; at++) {
      const g: Gen = { r, ks, nowMs: Date.now(), setExpired: new Set() };
      const step = r.pick(pool)(g, r.pick(KEYS));
      if (engineRefuses(step.argv)) continue;
      const checks = [step, ...KEYS.map((k) => stateStep(ks, k, Date.now()))];
      for (const s of at % 25 === 0 ? checks : [step]) {
        if (s === undefined) continue;
        const real = normalizeReply(await client.send(s.argv));
        sent++;
        const problem = s.check(ks, real, Date.now());
        if (problem !== undefined)
          problems.push(`seed ${seed} step ${at} ${JSON.stringify(s.argv)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 60_000);
});

describe("pipelined data-type writes", () => {
  it("start while earlier ones await their fdatasync, yet apply and reply in order, sharing group commits", async () => {
    const db = await openMem(new TestDisk()); // mode fsync on the simulated disk: real group commits
    const { net } = await memServer({ db });
    const c = net.connect();
    const before = db.stats().wal.groups;
    for (let i = 0; i < 50; i++) c.command("INCR", "n");
    c.command("HSET", "h", "f", "1");
    c.command("HINCRBY", "h", "f", "2");
    c.command("GET", "n");
    c.command("HGET", "h", "f");
    const replies = await c.waitReplies(54);
    expect(replies.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(replies.slice(50)).toEqual([1, 3, "50", "3"]);
    // Pipelined writes shared fdatasyncs: fewer group commits than writes.
    expect(db.stats().wal.groups - before).toBeLessThan(10);
    await db.close();
  });
});
