/**
 * MULTI/EXEC/DISCARD/WATCH/UNWATCH of `fusedb server` (src/server/transaction.ts,
 * commands/transaction-commands.ts, connection.ts). Invariants checked, with Redis 7.0's replies:
 * - commands between MULTI and EXEC are queued (+QUEUED) and EXEC answers their replies in order; an error
 *   a command raises while running is its own entry, the others still apply;
 * - a command rejected while queueing (unknown, wrong arity, no_multi) makes EXEC answer EXECABORT and run
 *   nothing; a rejected EXEC (wrong arity) ends the transaction with `EXECABORT ... because of: <why>`;
 *   EXEC/DISCARD without MULTI, nested MULTI and WATCH inside MULTI get Redis's errors;
 * - WATCH compares key versions: a change by another client, by the same client, by EXPIRE or FLUSHALL,
 *   or the key expiring makes EXEC answer a null array and run nothing; untouched keys (an absent key
 *   FLUSHALL does not touch, a key of another database) let it run; EXEC, DISCARD, UNWATCH, RESET unwatch;
 * - EXEC of blind writes is one engine batch (one WAL record); when the batch is refused the commands run
 *   one by one with their own replies; EXEC runs with no other client's command in between;
 * - INFO commandstats counts queued commands when EXEC runs them, not when queued;
 * - node-redis: multi().exec(), and WATCH aborting with its WatchError.
 */
import { createClient } from "@redis/client";
import { describe, expect, it } from "vitest";
import { FuseDB as Engine } from "../src/db.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import type { MemClient } from "./helpers/mem-transport.js";
import { ManualClock, memServerClosedAfter, type ServerSetup, tcpServer } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const cleanups = cleanupsAfterEach();
const mem = (setup?: ServerSetup) => memServerClosedAfter(cleanups, setup);

/** Sends commands (each an array) and resolves with their replies. */
async function send(c: MemClient, ...commands: string[][]): Promise<unknown[]> {
  const before = c.replies.length;
  for (const cmd of commands) c.command(...cmd);
  await c.waitReplies(before + commands.length);
  return c.replies.slice(before, before + commands.length);
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const SET = (k: string, v: string) => ["JSON.SET", k, "$", v];

describe("MULTI and EXEC", () => {
  it("queue, then reply in order; a runtime error is one entry and the rest apply", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(
      await send(
        c,
        ["MULTI"],
        SET("a", "1"),
        SET("s", '"text"'),
        ["JSON.NUMINCRBY", "s", ".", "1"],
        ["JSON.GET", "a"],
        ["EXEC"],
      ),
    ).toEqual([
      "OK",
      "QUEUED",
      "QUEUED",
      "QUEUED",
      "QUEUED",
      [
        "OK",
        "OK",
        expect.objectContaining({ message: "ERR Path does not exist or does not contains a number" }),
        "1",
      ],
    ]);
    expect(await send(c, ["JSON.GET", "s"])).toEqual(['"text"']);
  });

  it("a command rejected while queueing aborts EXEC; misuse gets Redis's errors", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(await send(c, ["EXEC"], ["DISCARD"])).toEqual([
      { error: "ERR EXEC without MULTI" },
      { error: "ERR DISCARD without MULTI" },
    ]);
    expect(await send(c, ["MULTI"], ["MULTI"], ["WATCH", "x"], SET("a", "1"), ["NOSUCH"], ["EXEC"])).toEqual([
      "OK",
      { error: "ERR MULTI calls can not be nested" },
      { error: "ERR WATCH inside MULTI is not allowed" },
      "QUEUED",
      { error: expect.stringMatching(/^ERR unknown command 'NOSUCH'/) },
      { error: "EXECABORT Transaction discarded because of previous errors." },
    ]);
    expect(await send(c, ["MULTI"], SET("a", "1"), ["JSON.SET", "a"], ["EXEC"])).toEqual([
      "OK",
      "QUEUED",
      { error: "ERR wrong number of arguments for 'json.set' command" },
      { error: "EXECABORT Transaction discarded because of previous errors." },
    ]);
    expect(await send(c, ["MULTI"], ["SAVE"], ["EXEC"])).toEqual([
      "OK",
      { error: "ERR Command not allowed inside a transaction" },
      { error: "EXECABORT Transaction discarded because of previous errors." },
    ]);
    expect(await send(c, ["MULTI"], SET("a", "1"), ["DISCARD"], ["EXEC"], ["EXISTS", "a"])).toEqual([
      "OK",
      "QUEUED",
      "OK",
      { error: "ERR EXEC without MULTI" },
      0,
    ]);
    expect(await send(c, ["MULTI"], ["RESET"], ["EXEC"])).toEqual([
      "OK",
      "RESET",
      { error: "ERR EXEC without MULTI" },
    ]);
    // EXEC itself rejected (wrong arity): the transaction ends at once, as Redis's execCommandAbort.
    expect(await send(c, ["MULTI"], SET("a", "1"), ["EXEC", "now"], ["DISCARD"], ["EXISTS", "a"])).toEqual([
      "OK",
      "QUEUED",
      { error: "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command" },
      { error: "ERR DISCARD without MULTI" },
      0,
    ]);
    expect(await send(c, ["MULTI"], ["PING"])).toEqual(["OK", "QUEUED"]);
    const [list] = await send(net.connect(), ["CLIENT", "LIST"]);
    expect(String(list)).toMatch(/flags=x .* multi=1 /);
  });
});

describe("INFO commandstats", () => {
  it("queued commands count when EXEC runs them, one by one or as one batch", async () => {
    const { net } = await mem();
    const c = net.connect();
    await send(c, ["MULTI"], ["PING"], ["ECHO", "x"], ["EXEC"]);
    await send(c, ["MULTI"], SET("a", "1"), SET("b", "2"), ["EXEC"]);
    const [stats] = await send(c, ["INFO", "commandstats"]);
    const calls = [...String(stats).matchAll(/cmdstat_([^:]+):calls=(\d+),/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(calls).toEqual(["echo=1", "exec=2", "json.set=2", "multi=2", "ping=1"]);
  });
});

describe("WATCH", () => {
  it("a change by another client, or by this one, aborts EXEC with a null reply", async () => {
    const { net } = await mem();
    const c = net.connect();
    const other = net.connect();
    await send(c, SET("k", "1"));
    await send(c, ["WATCH", "k"], ["MULTI"], SET("k", "2"));
    await send(other, SET("k", "9"));
    expect(await send(c, ["EXEC"], ["JSON.GET", "k"])).toEqual([null, "9"]);
    // After EXEC nothing is watched any more.
    await send(c, ["MULTI"], SET("k", "3"));
    await send(other, SET("k", "10"));
    expect(await send(c, ["EXEC"])).toEqual([["OK"]]);
    // Its own write touches the key too, as in Redis.
    expect(await send(c, ["WATCH", "k"], SET("k", "4"), ["MULTI"], ["PING"], ["EXEC"])).toEqual([
      "OK",
      "OK",
      "OK",
      "QUEUED",
      null,
    ]);
    // UNWATCH and DISCARD forget the keys.
    await send(c, ["WATCH", "k"], ["UNWATCH"], SET("k", "5"), ["MULTI"], ["PING"]);
    expect(await send(c, ["EXEC"])).toEqual([["PONG"]]);
    await send(c, ["WATCH", "k"], ["MULTI"], ["DISCARD"], SET("k", "6"), ["MULTI"], ["PING"]);
    expect(await send(c, ["EXEC"])).toEqual([["PONG"]]);
  });

  it("EXPIRE and FLUSHALL touch existing keys only; the database is remembered; expiry aborts", async () => {
    const clock = new ManualClock();
    const db = await Engine.open({ dir: "db", fs: new TestDisk(), clock });
    const { net } = await mem({ db, clock });
    const c = net.connect();
    const other = net.connect();
    await send(c, SET("k", "1"), ["SELECT", "2"], SET("k", "1"), ["SELECT", "0"]);
    await send(c, ["WATCH", "k"], ["MULTI"], ["PING"]);
    await send(other, ["EXPIRE", "k", "100"]);
    expect(await send(c, ["EXEC"])).toEqual([null]);

    await send(c, ["WATCH", "absent"], ["MULTI"], ["PING"]);
    await send(other, ["FLUSHALL"]);
    expect(await send(c, ["EXEC"])).toEqual([["PONG"]]);
    await send(c, SET("k", "1"), ["WATCH", "k"], ["MULTI"], ["PING"]);
    await send(other, ["FLUSHALL"]);
    expect(await send(c, ["EXEC"])).toEqual([null]);

    await send(c, SET("k", "1"), ["SELECT", "2"], ["WATCH", "k"], ["SELECT", "0"], ["MULTI"], ["PING"]);
    await send(other, SET("k", "2"));
    expect(await send(c, ["EXEC"])).toEqual([["PONG"]]);

    await send(c, ["PEXPIRE", "k", "50"], ["WATCH", "k"], ["MULTI"], ["PING"]);
    clock.advance(100);
    expect(await send(c, ["EXEC"])).toEqual([null]);
  });
});

describe("atomicity and isolation", () => {
  it("EXEC of blind writes is one WAL record; a refused batch runs command by command", async () => {
    const db = await Engine.open({ dir: "db", fs: new TestDisk(), clock: new ManualClock() });
    const { net } = await mem({ db });
    const c = net.connect();
    await send(c, SET("c", '{"x":1}'));
    const lsn = db.stats().durableLsn;
    const replies = await send(
      c,
      ["MULTI"],
      SET("a", "1"),
      ["JSON.MERGE", "c", "$", '{"y":2}'],
      ["EXPIRE", "a", "100"],
      ["FUSEDB.SETIFVERSION", "b", "0", '"new"'],
      ["EXEC"],
    );
    expect(replies[5]).toEqual(["OK", "OK", 1, 1]);
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect(await send(c, ["JSON.GET", "c"], ["TTL", "a"])).toEqual(['{"x":1,"y":2}', 100]);
    // SETIFVERSION 0 on an existing key: the batch is refused whole, then each command answers alone.
    const again = await send(
      c,
      ["MULTI"],
      ["FUSEDB.SETIFVERSION", "b", "0", '"again"'],
      SET("d", "4"),
      ["EXPIRE", "nokey", "10"],
      ["EXEC"],
    );
    expect(again[4]).toEqual([
      expect.objectContaining({ message: "VERSIONCONFLICT expected version 0, key is at 1" }),
      "OK",
      0,
    ]);
    expect(await send(c, ["JSON.GET", "b"], ["JSON.GET", "d"])).toEqual(['"new"', "4"]);
  });

  it("EXEC of typed commands is one engine call: one WAL record, a failing command changes nothing", async () => {
    const db = await Engine.open({ dir: "db", fs: new TestDisk(), clock: new ManualClock() });
    const { net } = await mem({ db });
    const c = net.connect();
    await send(c, ["HSET", "old", "f", "v"], SET("doc", "1"), [
      "HSET",
      "src",
      "a",
      "1",
      "b".repeat(65_000),
      "2",
    ]);
    const lsn = db.stats().durableLsn;
    const replies = await send(
      c,
      ["MULTI"],
      ["HSET", "h", "a", "1"],
      ["DEL", "old"],
      ["EXPIRE", "h", "100", "NX"],
      ["RENAME", "h", "h2"],
      ["HSET", "doc", "x", "1"],
      ["RENAME", "nokey", "x"],
      ["EXPIRE", "h2", "ten"],
      ["EXISTS", "h", "h2", "old"],
      ["EXEC"],
    );
    expect(replies[9]).toEqual([
      1,
      1,
      1,
      "OK",
      expect.objectContaining({
        message: "WRONGTYPE Operation against a key holding the wrong kind of value",
      }),
      expect.objectContaining({ message: "ERR no such key" }),
      expect.objectContaining({ message: "ERR value is not an integer or out of range" }),
      1,
    ]);
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect(await send(c, ["TTL", "h2"], ["HGETALL", "h2"], ["TYPE", "doc"])).toEqual([
      100,
      ["a", "1"],
      "ReJSON-RL",
    ]);
    // A command failing after some of its own writes (COPY: the long field's subkey is too large under the
    // long destination key) is rolled back to its savepoint; the others apply.
    const long = "k".repeat(1000);
    const elements = () =>
      db.types.read((tx) => tx.scan({ gte: "\x00\x00", lt: "\x00\x01", reverse: false, limit: 100 }).length);
    const before = await elements();
    const again = await send(
      c,
      ["MULTI"],
      ["HSET", "n", "a", "1"],
      ["COPY", "src", long],
      ["EXISTS", long],
      ["EXEC"],
    );
    expect(again[4]).toEqual([
      1,
      expect.objectContaining({ message: expect.stringMatching(/FUSEDB_KEY_TOO_LARGE/) }),
      0,
    ]);
    expect(await elements()).toBe(before + 1); // n's field only: no element of the failed copy
    expect(db.stats().durableLsn).toBe(lsn + 2);
  });

  it("a mixed EXEC (typed and JSON commands) runs one by one; WATCH sees a hash's versions", async () => {
    const { net } = await mem();
    const c = net.connect();
    const other = net.connect();
    expect((await send(c, ["MULTI"], ["HSET", "h", "a", "1"], SET("d", "1"), ["PING"], ["EXEC"]))[4]).toEqual(
      [1, "OK", "PONG"],
    );
    await send(c, ["WATCH", "h"], ["MULTI"], ["HSET", "h", "b", "2"]);
    await send(other, ["HSET", "h", "a", "9"]);
    expect(await send(c, ["EXEC"], ["HGETALL", "h"])).toEqual([null, ["a", "9"]]);
    await send(c, ["WATCH", "h"], ["MULTI"], ["HSET", "h", "b", "2"]);
    await send(other, ["HGET", "h", "a"]);
    expect(await send(c, ["EXEC"])).toEqual([[1]]);
    await send(c, ["WATCH", "h"], ["MULTI"], ["PING"]);
    await send(other, ["DEL", "h"]);
    expect(await send(c, ["EXEC"])).toEqual([null]);
  });

  it("no other client's command runs while EXEC runs", async () => {
    const fs = new TestDisk();
    const db = await Engine.open({ dir: "db", fs, clock: new ManualClock() });
    const { net } = await mem({ db });
    const a = net.connect();
    const b = net.connect();
    await send(a, SET("k", "0"));
    await send(a, ["MULTI"], SET("k", "1"), SET("k", "2"), ["JSON.GET", "k"]);
    const hold = fs.holdSync();
    a.command("EXEC");
    await hold.entered;
    // B's read would see "0" at once if it could run between EXEC's commands; it waits for EXEC instead.
    b.command("JSON.GET", "k");
    await tick();
    expect(b.replies).toEqual([]);
    hold.release();
    await a.waitReplies(6);
    expect(a.replies[5]).toEqual(["OK", "OK", "2"]);
    expect(await b.waitReplies(1)).toEqual(["2"]);
  });
});

describe("node-redis", () => {
  it("multi().exec() and WATCH aborting with WatchError", async () => {
    const s = await tcpServer();
    cleanups.push(() => s.server.close());
    const url = `redis://127.0.0.1:${s.port}`;
    const c = createClient({ url });
    const other = createClient({ url });
    for (const x of [c, other]) {
      x.on("error", () => undefined);
      await x.connect();
      cleanups.push(() => x.close());
    }
    const replies = await c
      .multi()
      .addCommand(["JSON.SET", "n", "$", "1"])
      .addCommand(["JSON.NUMINCRBY", "n", "$", "2"])
      .ping()
      .exec();
    // node-redis 6 speaks RESP3 by default: JSON.NUMINCRBY at `$` answers an array of numbers (RedisJSON 2.6+).
    expect(replies).toEqual(["OK", [3], "PONG"]);
    await c.watch("n");
    await other.sendCommand(["JSON.SET", "n", "$", "7"]);
    await expect(c.multi().addCommand(["JSON.SET", "n", "$", "8"]).exec()).rejects.toThrow(/watch/i);
    expect(await c.sendCommand(["JSON.GET", "n"])).toBe("7");
  });
});
