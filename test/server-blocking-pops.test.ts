/**
 * Blocking pops over RESP beyond BLPOP/BLMOVE (src/server/commands/blocking-command.ts,
 * list-blocking-commands.ts, zset-blocking-commands.ts, src/types/pop-waiters.ts). Invariants:
 * - LMPOP/BLMPOP and BZPOPMIN/BZPOPMAX/BZMPOP reply in Redis 7.0's shapes (scores as doubles in RESP3)
 *   and reject bad arguments with its error lines, in its order (numkeys, direction, COUNT);
 * - a write's reply is sent only after the blocked pops it made ready are served, chains included: a
 *   client that reads right after RPUSH sees Linked BLMOVEs done (Redis serves before the next command);
 * - a served BRPOPLPUSH whose destination has another type gets WRONGTYPE and the element goes to the
 *   next waiter; a waiter for a sorted set is not woken (nor failed) by a list written to its key;
 * - BLMPOP waiters are served in arrival order, each taking up to its COUNT (Redis's test "BLMPOP with
 *   multiple blocked clients").
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import type { MemClient } from "./helpers/mem-transport.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";

/** Lets the server's promise continuations run (the in-memory network and engine in mode 'memory'). */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}

async function setup() {
  const clock = new ManualClock();
  return { ...(await memServer({ clock })), clock };
}

const blockedClients = async (c: MemClient) =>
  Number(/blocked_clients:(\d+)/.exec(String(await call(c, "INFO", "clients")))?.[1]);

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

describe("LMPOP and BLMPOP", () => {
  it("reply [key, elements], check arguments in Redis's order", async () => {
    const { net } = await setup();
    const c = net.connect();
    await call(c, "RPUSH", "l", "a", "b", "c", "d", "e", "f");
    expect(await call(c, "LMPOP", "2", "l", "l", "LEFT", "COUNT", "2")).toEqual(["l", ["a", "b"]]);
    expect(await call(c, "LMPOP", "2", "none", "l", "right")).toEqual(["l", ["f"]]);
    expect(await call(c, "LMPOP", "1", "none", "LEFT")).toBe(null);
    expect(await call(c, "BLMPOP", "0", "2", "none", "l", "RIGHT", "COUNT", "10")).toEqual([
      "l",
      ["e", "d", "c"],
    ]);
    expect(await call(c, "EXISTS", "l")).toBe(0);
    expect(errorOf(await call(c, "LMPOP", "1"))).toBe("ERR wrong number of arguments for 'lmpop' command");
    expect(errorOf(await call(c, "LMPOP", "0", "l", "LEFT"))).toBe("ERR numkeys should be greater than 0");
    expect(errorOf(await call(c, "LMPOP", "a", "l", "LEFT"))).toBe("ERR numkeys should be greater than 0");
    expect(errorOf(await call(c, "LMPOP", "1", "l", "COUNT"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"))).toBe(
      "ERR syntax error",
    );
    expect(errorOf(await call(c, "LMPOP", "1", "l", "LEFT", "COUNT", "0"))).toBe(
      "ERR count should be greater than 0",
    );
    expect(errorOf(await call(c, "BLMPOP", "-1", "1", "l", "LEFT"))).toBe("ERR timeout is negative");
    expect(errorOf(await call(c, "BLMPOP", "x", "0", "l", "LEFT"))).toBe(
      "ERR numkeys should be greater than 0",
    );
    await call(c, "SET", "s", "x");
    expect(errorOf(await call(c, "LMPOP", "2", "none", "s", "LEFT"))).toBe(WRONGTYPE);
    expect(errorOf(await call(c, "BLMPOP", "0", "2", "none", "s", "LEFT"))).toBe(WRONGTYPE);
    const m = net.connect();
    await call(m, "MULTI");
    await call(m, "BLMPOP", "0", "1", "none", "LEFT");
    expect(await call(m, "EXEC")).toEqual([null]);
  });

  it("serves blocked clients in arrival order, each up to its COUNT", async () => {
    const { net } = await setup();
    const [w1, w2, w3, w4, c] = [net.connect(), net.connect(), net.connect(), net.connect(), net.connect()];
    const counts: [MemClient, string, string][] = [
      [w1, "LEFT", "1"],
      [w2, "RIGHT", "10"],
      [w3, "LEFT", "10"],
      [w4, "RIGHT", "1"],
    ];
    for (const [w, end, count] of counts) {
      w.command("BLMPOP", "0", "2", "b1", "b2", end, "COUNT", count);
      await settle();
    }
    expect(await blockedClients(c)).toBe(4);
    await call(c, "MULTI");
    await call(c, "LPUSH", "b1", "a", "b", "c", "d", "e");
    await call(c, "LPUSH", "b2", "1", "2", "3", "4", "5");
    await call(c, "EXEC");
    expect((await w1.waitReplies(1))[0]).toEqual(["b1", ["e"]]);
    expect((await w2.waitReplies(1))[0]).toEqual(["b1", ["a", "b", "c", "d"]]);
    expect((await w3.waitReplies(1))[0]).toEqual(["b2", ["5", "4", "3", "2", "1"]]);
    expect(await blockedClients(c)).toBe(1);
    await call(c, "LPUSH", "b2", "1", "2", "3");
    expect((await w4.waitReplies(1))[0]).toEqual(["b2", ["1"]]);
  });
});

describe("BZPOPMIN, BZPOPMAX, BZMPOP", () => {
  it("reply [key, member, score] / [key, [[member, score], ...]], RESP3 doubles, time out with null", async () => {
    const { net, clock } = await setup();
    const [w, c] = [net.connect(), net.connect()];
    await call(c, "ZADD", "z", "1", "a", "2", "b", "3", "c");
    expect(await call(w, "BZPOPMIN", "none", "z", "0")).toEqual(["z", "a", "1"]);
    expect(await call(w, "BZPOPMAX", "z", "0")).toEqual(["z", "c", "3"]);
    await call(w, "HELLO", "3");
    expect(await call(w, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "5")).toEqual(["z", [["b", 2]]]);
    w.command("BZPOPMAX", "z", "0");
    await settle();
    expect(await blockedClients(c)).toBe(1);
    await call(c, "ZADD", "z", "1.5", "x", "7", "y");
    expect((await w.waitReplies(5))[4]).toEqual(["z", "y", 7]);
    w.command("BZMPOP", "2", "2", "q1", "q2", "MAX");
    await settle();
    clock.advance(2000);
    expect((await w.waitReplies(6))[5]).toBe(null);
    expect(errorOf(await call(c, "BZMPOP", "0", "1", "z", "UP"))).toBe("ERR syntax error");
    await call(c, "SET", "s", "x");
    expect(errorOf(await call(c, "BZPOPMIN", "none", "s", "0"))).toBe(WRONGTYPE);
    const m = net.connect();
    await call(m, "MULTI");
    await call(m, "BZPOPMIN", "none", "0");
    await call(m, "BZMPOP", "0", "1", "z", "MIN");
    expect(await call(m, "EXEC")).toEqual([null, ["z", [["x", "1.5"]]]]);
  });

  it("a sorted-set waiter is neither woken nor failed by a list written to its key", async () => {
    const { net } = await setup();
    const [w, c] = [net.connect(), net.connect()];
    w.command("BZPOPMIN", "k", "0");
    await settle();
    await call(c, "RPUSH", "k", "e");
    await settle();
    expect(w.replies.length).toBe(0);
    expect(await blockedClients(c)).toBe(1);
    await call(c, "DEL", "k");
    await call(c, "ZADD", "k", "4", "m");
    expect((await w.waitReplies(1))[0]).toEqual(["k", "m", "4"]);
  });
});

describe("serving blocked pops before the next command", () => {
  it("Linked BLMOVEs are done when RPUSH replies", async () => {
    const { net } = await setup();
    const [w1, w2, c] = [net.connect(), net.connect(), net.connect()];
    w1.command("BLMOVE", "l1", "l2", "RIGHT", "LEFT", "0");
    await settle();
    w2.command("BLMOVE", "l2", "l3", "LEFT", "RIGHT", "0");
    await settle();
    // Pipelined: the reads run once RPUSH is done, which includes serving both waiters.
    c.command("RPUSH", "l1", "foo");
    for (const k of ["l1", "l2", "l3"]) c.command("LRANGE", k, "0", "-1");
    expect(await c.waitReplies(4)).toEqual([1, [], [], ["foo"]]);
  });

  it("a BRPOPLPUSH onto a key of another type fails and the next waiter gets the element", async () => {
    const { net } = await setup();
    const [w1, w2, c] = [net.connect(), net.connect(), net.connect()];
    await call(c, "SET", "t1", "nolist");
    w1.command("BRPOPLPUSH", "src", "t1", "0");
    await settle();
    w2.command("BRPOPLPUSH", "src", "t2", "0");
    await settle();
    await call(c, "LPUSH", "src", "foo");
    expect(errorOf((await w1.waitReplies(1))[0])).toBe(WRONGTYPE);
    expect((await w2.waitReplies(1))[0]).toBe("foo");
    expect(await call(c, "LRANGE", "t2", "0", "-1")).toEqual(["foo"]);
  });
});
