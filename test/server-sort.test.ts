/**
 * SORT and SORT_RO (src/types/sort.ts, src/server/commands/sort-command.ts), Redis 7.0's replies:
 * - numeric and ALPHA order, DESC, LIMIT's clamping, BY a string key or a hash field (`->`), BY without `*`
 *   (no sort: a list or sorted set keeps its order), GET patterns and `#`, nil for what is not found;
 * - STORE writes a list (its length answered; an empty result deletes the destination and so touches a
 *   WATCH on it), SORT_RO refuses STORE; the errors: syntax, not an integer, a weight that is not a double,
 *   WRONGTYPE;
 * - against Debian's redis-server (skipped when absent), the same script of commands gives the same replies.
 */
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { hasRedisServer, type RedisServerProcess, startRedisServer } from "./helpers/redis-server-process.js";
import { memServerClosedAfter, tcpServer } from "./helpers/resp-server.js";

const cleanups = cleanupsAfterEach();

/** Keys the script sorts: a list, a set, a sorted set, weights as strings and hash fields. */
const SETUP: string[][] = [
  ["RPUSH", "l", "3", "1", "2", "10", "1.5"],
  ["SADD", "s", "b", "c", "a", "10", "9"],
  ["ZADD", "z", "3", "x", "1", "y", "2", "w"],
  ["MSET", "w_3", "30", "w_1", "10", "w_2", "5", "w_10", "1", "name_x", "ex", "name_y", "why"],
  ["HSET", "h_3", "f", "c"],
  ["HSET", "h_1", "f", "a"],
  ["HSET", "h_2", "f", "b"],
  ["RPUSH", "bad", "1", "x"],
  ["SET", "str", "v"],
];

/** The script: each command's reply is compared (with redis-server) or checked (below). */
const SCRIPT: string[][] = [
  ["SORT", "l"],
  ["SORT", "l", "DESC"],
  ["SORT", "l", "LIMIT", "1", "2"],
  ["SORT", "l", "LIMIT", "-5", "2"],
  ["SORT", "l", "LIMIT", "3", "-1"],
  ["SORT", "l", "LIMIT", "9", "2"],
  ["SORT", "s", "ALPHA"],
  ["SORT", "s", "ALPHA", "DESC", "LIMIT", "0", "2"],
  ["SORT", "z"],
  ["SORT", "z", "BY", "nosort"],
  ["SORT", "z", "BY", "nosort", "DESC"],
  ["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"],
  ["SORT", "l", "BY", "nosort", "DESC"],
  ["SORT", "l", "BY", "w_*"],
  ["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "nothing_*"],
  ["SORT", "l", "BY", "h_*->f", "ALPHA"],
  ["SORT", "l", "BY", "h_*->f", "ALPHA", "DESC", "GET", "h_*->f"],
  ["SORT", "z", "BY", "nosort", "GET", "name_*"],
  ["SORT", "l", "BY", "w_*", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "l", "GET", "w_*", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "s", "BY", "nosort", "STORE", "dst2"],
  ["LRANGE", "dst2", "0", "-1"],
  ["SORT", "missing", "STORE", "dst2"],
  ["EXISTS", "dst2"],
  ["SORT", "missing"],
  ["SORT_RO", "l", "DESC", "LIMIT", "0", "1"],
  ["SORT_RO", "l", "STORE", "dst"],
  ["SORT", "l", "LIMIT", "1"],
  ["SORT", "l", "LIMIT", "a", "1"],
  ["SORT", "l", "FOO"],
  ["SORT", "bad"],
  ["SORT", "s"],
  ["SORT", "str"],
];

describe("SORT", () => {
  it("sorts, selects, looks up, stores and refuses as Redis 7.0", async () => {
    const { net } = await memServerClosedAfter(cleanups);
    const c = net.connect();
    for (const cmd of SETUP) await call(c, ...cmd);
    const replies: unknown[] = [];
    for (const cmd of SCRIPT) replies.push(await call(c, ...cmd));
    const at = (...cmd: string[]) => replies[SCRIPT.findIndex((s) => s.join(" ") === cmd.join(" "))];
    expect(at("SORT", "l")).toEqual(["1", "1.5", "2", "3", "10"]);
    expect(at("SORT", "l", "DESC")).toEqual(["10", "3", "2", "1.5", "1"]);
    expect(at("SORT", "l", "LIMIT", "1", "2")).toEqual(["1.5", "2"]);
    expect(at("SORT", "l", "LIMIT", "9", "2")).toEqual([]);
    expect(at("SORT", "s", "ALPHA")).toEqual(["10", "9", "a", "b", "c"]);
    expect(at("SORT", "z", "BY", "nosort", "DESC")).toEqual(["x", "w", "y"]);
    expect(at("SORT", "l", "BY", "nosort", "DESC")).toEqual(["1.5", "10", "2", "1", "3"]);
    expect(at("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "nothing_*")).toEqual([
      "1.5",
      null,
      null,
      "10",
      "1",
      null,
      "2",
      "5",
      null,
      "1",
      "10",
      null,
      "3",
      "30",
      null,
    ]);
    expect(at("SORT", "l", "BY", "h_*->f", "ALPHA", "DESC", "GET", "h_*->f")).toEqual([
      "c",
      "b",
      "a",
      null,
      null,
    ]);
    expect(at("SORT", "l", "GET", "w_*", "STORE", "dst")).toBe(5);
    const stored = SCRIPT.findIndex((cmd) => cmd.join(" ") === "SORT l GET w_* STORE dst");
    expect(replies[stored + 1]).toEqual(["10", "", "5", "30", "1"]); // LRANGE dst: nil stored as ""
    expect(at("SORT", "missing", "STORE", "dst2")).toBe(0);
    expect(at("EXISTS", "dst2")).toBe(0);
    expect(errorOf(at("SORT_RO", "l", "STORE", "dst"))).toBe("ERR syntax error");
    expect(errorOf(at("SORT", "l", "LIMIT", "a", "1"))).toBe("ERR value is not an integer or out of range");
    expect(errorOf(at("SORT", "bad"))).toBe("ERR One or more scores can't be converted into double");
    expect(errorOf(at("SORT", "str"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("STORE of an empty result deletes the destination, which fails an EXEC watching it", async () => {
    const { net } = await memServerClosedAfter(cleanups);
    const c = net.connect();
    await call(c, "LPUSH", "foo", "bar");
    await call(c, "WATCH", "foo");
    expect(await call(c, "SORT", "emptylist", "STORE", "foo")).toBe(0);
    await call(c, "MULTI");
    await call(c, "PING");
    expect(await call(c, "EXEC")).toBe(null);
    expect(await call(c, "EXISTS", "foo")).toBe(0);
  });
});

describe.skipIf(!hasRedisServer)("SORT against Debian's redis-server", () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("gives the same reply to every command of the script", async () => {
    const fuse = await tcpServer();
    cleanups.push(() => fuse.server.close());
    const run = async (port: number): Promise<unknown[]> => {
      const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP: 2 });
      await client.connect();
      try {
        for (const cmd of SETUP) await client.sendCommand(cmd);
        const out: unknown[] = [];
        for (const cmd of SCRIPT) {
          try {
            out.push(await client.sendCommand(cmd));
          } catch (err) {
            out.push({ error: err instanceof Error ? err.message : String(err) });
          }
        }
        return out;
      } finally {
        await client.quit();
      }
    };
    const [ours, theirs] = [await run(fuse.port), await run(redis.port)];
    SCRIPT.forEach((cmd, i) => {
      expect(ours[i], cmd.join(" ")).toEqual(theirs[i]);
    });
  });
});
