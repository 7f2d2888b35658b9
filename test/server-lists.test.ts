/**
 * List commands over RESP (src/server/commands/list-commands.ts, list-blocking-commands.ts). Invariants:
 * - Redis 7.0's replies and error lines for every list command, pop counts and LPOS options included;
 * - seeded random list commands (the Redis differential test's LIST_STEPS, seed printed) answer exactly as
 *   the reference model (sim/redis-model/lists.ts), binary elements included;
 * - a blocking pop blocks only its connection (others, MULTI/EXEC included, go on), is served oldest
 *   first when a push lands, times out on the server's clock (null array), counts in INFO blocked_clients,
 *   ends on CLIENT UNBLOCK (TIMEOUT: null array; ERROR: UNBLOCKED) and, inside MULTI, answers at once.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { lists as modelLists, RedisKeyspace } from "../sim/redis-model/index.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { type MemClient, RESP_TYPES } from "./helpers/mem-transport.js";
import { type Gen, KEYS } from "./helpers/redis-diff-alphabet.js";
import { LIST_STEPS } from "./helpers/redis-diff-gen-collections.js";
import { normalizeReply, type Reply } from "./helpers/redis-diff-steps.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";

/** Lets the server's promise continuations run (the in-memory network and engine in mode 'memory'). */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}

describe("list commands", () => {
  it("pushes, pops (with counts), LLEN, LRANGE, LINDEX, LSET with Redis's replies", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "RPUSH", "l", "a", "b", "c")).toBe(3);
    expect(await call(c, "LPUSH", "l", "z", "y")).toBe(5);
    expect(await call(c, "LPUSHX", "nokey", "x")).toBe(0);
    expect(await call(c, "RPUSHX", "l", "d")).toBe(6);
    expect(await call(c, "LRANGE", "l", "0", "-1")).toEqual(["y", "z", "a", "b", "c", "d"]);
    expect(await call(c, "LRANGE", "l", "-100", "1")).toEqual(["y", "z"]);
    expect(await call(c, "LLEN", "l")).toBe(6);
    expect(await call(c, "LINDEX", "l", "-1")).toBe("d");
    expect(await call(c, "LINDEX", "l", "6")).toBe(null);
    expect(await call(c, "LSET", "l", "0", "Y")).toBe("OK");
    expect(errorOf(await call(c, "LSET", "l", "10", "x"))).toBe("ERR index out of range");
    expect(errorOf(await call(c, "LSET", "nokey", "0", "x"))).toBe("ERR no such key");
    expect(await call(c, "LPOP", "l")).toBe("Y");
    expect(await call(c, "RPOP", "l", "2")).toEqual(["d", "c"]);
    expect(await call(c, "LPOP", "l", "0")).toEqual([]);
    expect(await call(c, "LPOP", "nokey")).toBe(null);
    expect(await call(c, "LPOP", "nokey", "1")).toBe(null);
    expect(errorOf(await call(c, "LPOP", "l", "-1"))).toBe("ERR value is out of range, must be positive");
    expect(errorOf(await call(c, "LPOP", "l", "x"))).toBe("ERR value is not an integer or out of range");
    expect(errorOf(await call(c, "LPOP", "l", "1", "2"))).toBe(
      "ERR wrong number of arguments for 'lpop' command",
    );
    expect(errorOf(await call(c, "LPUSH", "l"))).toBe("ERR wrong number of arguments for 'lpush' command");
    expect(await call(c, "LPOP", "l", "10")).toEqual(["z", "a", "b"]);
    expect(await call(c, "EXISTS", "l")).toBe(0);
    await call(c, "JSON.SET", "doc", "$", "1");
    expect(errorOf(await call(c, "RPUSH", "doc", "x"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH and their errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c");
    expect(await call(c, "LPOS", "l", "c")).toBe(2);
    expect(await call(c, "LPOS", "l", "c", "RANK", "-1", "COUNT", "2")).toEqual([7, 6]);
    expect(await call(c, "LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3")).toEqual([2]);
    expect(await call(c, "LPOS", "l", "x")).toBe(null);
    expect(await call(c, "LPOS", "nokey", "x", "COUNT", "1")).toEqual([]);
    expect(errorOf(await call(c, "LPOS", "l", "c", "RANK", "0"))).toMatch(/^ERR RANK can't be zero: use 1/);
    expect(errorOf(await call(c, "LPOS", "l", "c", "COUNT", "-1", "RANK", "0"))).toBe(
      "ERR COUNT can't be negative",
    );
    expect(errorOf(await call(c, "LPOS", "l", "c", "MAXLEN", "-1"))).toBe("ERR MAXLEN can't be negative");
    expect(errorOf(await call(c, "LPOS", "l", "c", "RANK"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "LPOS", "l", "c", "FOO", "1"))).toBe("ERR syntax error");
    expect(await call(c, "LINSERT", "l", "before", "1", "x")).toBe(9);
    expect(await call(c, "LINSERT", "l", "AFTER", "nope", "x")).toBe(-1);
    expect(await call(c, "LINSERT", "nokey", "AFTER", "a", "x")).toBe(0);
    expect(errorOf(await call(c, "LINSERT", "l", "middle", "a", "x"))).toBe("ERR syntax error");
    expect(await call(c, "LREM", "l", "-1", "c")).toBe(1);
    expect(await call(c, "LREM", "l", "0", "c")).toBe(2);
    expect(await call(c, "LRANGE", "l", "0", "-1")).toEqual(["a", "b", "x", "1", "2", "3"]);
    expect(await call(c, "LTRIM", "l", "1", "-2")).toBe("OK");
    expect(await call(c, "LRANGE", "l", "0", "-1")).toEqual(["b", "x", "1", "2"]);
    expect(await call(c, "LMOVE", "l", "m", "LEFT", "RIGHT")).toBe("b");
    expect(await call(c, "RPOPLPUSH", "l", "m")).toBe("2");
    expect(await call(c, "LRANGE", "m", "0", "-1")).toEqual(["2", "b"]);
    expect(await call(c, "LMOVE", "nokey", "m", "LEFT", "RIGHT")).toBe(null);
    expect(errorOf(await call(c, "LMOVE", "l", "m", "UP", "RIGHT"))).toBe("ERR syntax error");
    expect(await call(c, "LTRIM", "l", "5", "1")).toBe("OK");
    expect(await call(c, "EXISTS", "l")).toBe(0);
    expect(await call(c, "COMMAND", "GETKEYS", "BLPOP", "a", "b", "0")).toEqual(["a", "b"]);
  });

  it("random list commands answer as the reference model (LIST_STEPS)", async () => {
    const seed = testSeed("server-lists differential");
    const r = new Prng(seed);
    const { net } = await memServer();
    const c = net.connect();
    c.typeMapping = { [RESP_TYPES.BLOB_STRING as number]: Buffer };
    const ks = new RedisKeyspace();
    const nowMs = 0;
    for (let at = 0; at < 1000; at++) {
      const g: Gen = { r, ks, nowMs, setExpired: new Set() };
      const step = r.pick(LIST_STEPS)(g, r.pick(KEYS));
      const raw = await call(c, ...step.argv.map((a) => Buffer.from(a, "latin1")));
      const real: Reply =
        typeof raw === "object" && raw !== null && "error" in raw
          ? { error: String(raw.error) }
          : normalizeReply(raw);
      const problem = step.check(ks, real, nowMs);
      expect(problem, `seed ${seed} step ${at}: ${JSON.stringify(step.argv)}`).toBe(undefined);
    }
    for (const k of KEYS) {
      const want = modelLists.lrange(ks, k, 0, -1, nowMs);
      expect(normalizeReply(await call(c, "LRANGE", k, "0", "-1")), `seed ${seed} final ${k}`).toEqual(want);
    }
  });
});

describe("blocking list commands", () => {
  async function setup() {
    const clock = new ManualClock();
    const s = await memServer({ clock });
    return { ...s, clock };
  }
  const blockedClients = async (c: MemClient) =>
    Number(/blocked_clients:(\d+)/.exec(String(await call(c, "INFO", "clients")))?.[1]);

  it("blocks only its connection, serves oldest first, replies [key, element]", async () => {
    const { net } = await setup();
    const [w1, w2, other] = [net.connect(), net.connect(), net.connect()];
    w1.command("BLPOP", "q1", "q2", "0");
    await settle();
    w2.command("BRPOP", "q2", "0");
    await settle();
    expect(await blockedClients(other)).toBe(2);
    expect(await call(other, "MULTI")).toBe("OK");
    expect(await call(other, "LPUSH", "x", "1")).toBe("QUEUED");
    expect(await call(other, "EXEC")).toEqual([1]);
    expect(await call(other, "RPUSH", "q2", "a", "b")).toBe(2);
    expect((await w1.waitReplies(1))[0]).toEqual(["q2", "a"]);
    expect((await w2.waitReplies(1))[0]).toEqual(["q2", "b"]);
    expect(await call(other, "EXISTS", "q2")).toBe(0);
    expect(await blockedClients(other)).toBe(0);
    // Served at once when a list has elements; BLMOVE and BRPOPLPUSH move.
    await call(other, "RPUSH", "src", "x", "y");
    expect(await call(w1, "BLPOP", "empty", "src", "1")).toEqual(["src", "x"]);
    expect(await call(w1, "BRPOPLPUSH", "src", "dst", "1")).toBe("y");
    w2.command("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0");
    await settle();
    await call(other, "LPUSH", "src", "z");
    expect((await w2.waitReplies(2))[1]).toBe("z");
    expect(await call(other, "LRANGE", "dst", "0", "-1")).toEqual(["y", "z"]);
  });

  it("times out on the server's clock; CLIENT UNBLOCK; MULTI answers at once; argument errors", async () => {
    const { net, clock, server } = await setup();
    const [w, other] = [net.connect(), net.connect()];
    const wid = await call(w, "CLIENT", "ID");
    w.command("BLPOP", "q", "1.5");
    await settle();
    clock.advance(1499);
    await settle();
    expect(w.replies.length).toBe(1);
    clock.advance(1);
    expect((await w.waitReplies(2))[1]).toBe(null);
    w.command("BRPOPLPUSH", "q", "d", "0");
    await settle();
    expect(await call(other, "CLIENT", "UNBLOCK", String(wid), "ERROR")).toBe(1);
    expect(errorOf((await w.waitReplies(3))[2])).toBe("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    w.command("BLPOP", "q", "0");
    await settle();
    expect(await call(other, "CLIENT", "UNBLOCK", String(wid))).toBe(1);
    expect((await w.waitReplies(4))[3]).toBe(null);
    expect(await call(other, "CLIENT", "UNBLOCK", String(wid))).toBe(0);
    expect(await call(w, "MULTI")).toBe("OK");
    await call(w, "BLPOP", "q", "0");
    await call(w, "BLMOVE", "q", "d", "LEFT", "LEFT", "0");
    await call(w, "RPUSH", "q", "a");
    await call(w, "BRPOP", "q", "0");
    expect(await call(w, "EXEC")).toEqual([null, null, 1, ["q", "a"]]);
    expect(errorOf(await call(w, "BLPOP", "q", "-1"))).toBe("ERR timeout is negative");
    expect(errorOf(await call(w, "BLPOP", "q", "abc"))).toBe("ERR timeout is not a float or out of range");
    expect(errorOf(await call(w, "BLMOVE", "q", "d", "LEFT", "UP", "0"))).toBe("ERR syntax error");
    await call(other, "JSON.SET", "str", "$", "1");
    expect(errorOf(await call(w, "BLPOP", "str", "0"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    // A blocked client holds up neither FLUSHALL nor the server's shutdown.
    w.command("BLPOP", "q", "0");
    await settle();
    expect(await call(other, "FLUSHALL")).toBe("OK");
    await server.close();
  });
});
