/**
 * MemFlux's transaction commands on `fusedb server` (src/server/transaction-block.ts, data-access.ts,
 * commands/block-commands.ts), through ioredis over TCP. Invariants checked, with MemFlux's replies:
 * - BEGIN ... COMMIT: every command in between (strings, hashes, lists, JSON) runs inside one transaction:
 *   its own writes are visible to it, none to other connections until COMMIT answers +OK, then all are;
 *   reads inside see the snapshot taken at BEGIN (a later commit by another client is not seen);
 * - ROLLBACK discards everything; COMMIT/ROLLBACK/SAVEPOINT without BEGIN, and BEGIN inside BEGIN, answer
 *   MemFlux's errors;
 * - savepoints: ROLLBACK_TO_SAVEPOINT drops the writes since (the savepoint stays, later ones go),
 *   RELEASE_SAVEPOINT forgets; duplicate and unknown names answer MemFlux's errors; the SQL spellings work;
 * - two connections writing one key: the second COMMIT answers `ERR ABORT: ... (FUSEDB_TX_CONFLICT)`,
 *   writes nothing and ends its transaction; an autocommit write conflicts the same way; under
 *   `BEGIN ISOLATION LEVEL SERIALIZABLE` a key only read and changed since also conflicts;
 * - outside BEGIN every command is its own durable transaction (autocommit);
 * - commands that cannot be transactional (FLUSHALL, MULTI, WATCH, blocking pops, SUBSCRIBE, PUBLISH) are
 *   refused inside BEGIN and change nothing; BEGIN inside MULTI is refused as Redis refuses no_multi;
 * - disconnect, QUIT and RESET roll back, and release the transaction's snapshot pin;
 * - keyspace notifications of a transaction's writes arrive only after COMMIT;
 * - durability: after a restart on the same directory, committed writes are there, rolled-back ones not;
 * - COMMAND INFO lists the commands with their arity and flags.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { type FuseDB, open } from "../src/index.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { type ServerSetup, tcpServer } from "./helpers/resp-server.js";

const cleanups = cleanupsAfterEach();

async function started(
  setup: ServerSetup = {},
): Promise<{ port: number; db: FuseDB; close: () => Promise<void> }> {
  const s = await tcpServer(setup);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await s.server.close();
  };
  cleanups.push(close);
  return { port: s.port, db: s.db, close };
}

function client(port: number): Redis {
  const c = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  c.on("error", () => undefined);
  cleanups.push(async () => c.disconnect());
  return c;
}

/** The error text a command answers (fails the test if it answers anything else). */
async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    const r = await p;
    throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  } catch (err) {
    return (err as Error).message;
  }
}

/** Resolves once `check` holds, looking every 10 ms, at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waitedMs = 0; !check(); waitedMs += 10) {
    if (waitedMs > 5000) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const NO_TX = "ERR No transaction in progress";
const CONFLICT = "ERR ABORT: Serialization failure, please retry transaction (FUSEDB_TX_CONFLICT)";

describe("BEGIN ... COMMIT", () => {
  it("runs every command inside one transaction, invisible to others until COMMIT", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    await b.set("seen", "before");
    expect(await a.call("BEGIN")).toBe("OK");
    expect(await a.set("s", "1")).toBe("OK");
    expect(await a.incr("s")).toBe(2);
    expect(await a.hset("h", "f", "v")).toBe(1);
    expect(await a.rpush("l", "x", "y")).toBe(2);
    expect(await a.call("JSON.SET", "d", "$", '{"n":1}')).toBe("OK");
    expect(await a.call("JSON.NUMINCRBY", "d", "$.n", "2")).toEqual([3]);
    // Its own writes, as it sees them.
    expect(await a.get("s")).toBe("2");
    expect(await a.hgetall("h")).toEqual({ f: "v" });
    expect(await a.lrange("l", 0, -1)).toEqual(["x", "y"]);
    expect(await a.call("JSON.GET", "d", "$.n")).toBe("[3]");
    expect(await a.dbsize()).toBe(5); // seen, s, h, l, d
    expect((await a.keys("*")).sort()).toEqual(["d", "h", "l", "s", "seen"]);
    expect(await b.dbsize()).toBe(1);
    // A write committed by another client after BEGIN is not in its snapshot.
    await b.set("seen", "after");
    expect(await a.get("seen")).toBe("before");
    // Nothing visible to the other connection yet.
    expect(await b.get("s")).toBeNull();
    expect(await b.exists("h", "l", "d")).toBe(0);
    expect(await a.call("COMMIT")).toBe("OK");
    expect(await b.get("s")).toBe("2");
    expect(await b.hgetall("h")).toEqual({ f: "v" });
    expect(await b.lrange("l", 0, -1)).toEqual(["x", "y"]);
    expect(await b.call("JSON.GET", "d")).toBe('{"n":3}');
    // Back to autocommit: the next write is visible at once.
    await a.set("auto", "1");
    expect(await b.get("auto")).toBe("1");
  });

  it("ROLLBACK discards; misuse answers MemFlux's errors", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    await a.set("keep", "1");
    expect(await errorOf(a.call("COMMIT"))).toBe(NO_TX);
    expect(await errorOf(a.call("ROLLBACK"))).toBe(NO_TX);
    expect(await errorOf(a.call("SAVEPOINT", "s"))).toBe(NO_TX);
    expect(await errorOf(a.call("ROLLBACK_TO_SAVEPOINT", "s"))).toBe(NO_TX);
    expect(await errorOf(a.call("RELEASE_SAVEPOINT", "s"))).toBe(NO_TX);
    expect(await a.call("BEGIN")).toBe("OK");
    expect(await errorOf(a.call("BEGIN"))).toBe("ERR Transaction already in progress");
    await a.set("new", "1");
    expect(await a.del("keep")).toBe(1);
    expect(await a.get("keep")).toBeNull();
    expect(await a.call("ROLLBACK")).toBe("OK");
    expect(await errorOf(a.call("ROLLBACK"))).toBe(NO_TX);
    expect(await b.get("keep")).toBe("1");
    expect(await b.get("new")).toBeNull();
    expect(await a.get("keep")).toBe("1");
    expect(await errorOf(a.call("BEGIN", "ISOLATION", "LEVEL", "READ", "COMMITTED"))).toMatch(
      /^ERR isolation level READ COMMITTED is not supported/,
    );
    expect(await errorOf(a.call("BEGIN", "NOW"))).toBe("ERR syntax error");
  });

  it("savepoints: MemFlux's names and errors, and SQL's spellings", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("k1", "v1");
    expect(await a.call("SAVEPOINT", "sp1")).toBe("OK");
    expect(await errorOf(a.call("SAVEPOINT", "sp1"))).toBe("ERR Savepoint 'sp1' already exists");
    await a.set("k2", "v2");
    expect(await a.call("SAVEPOINT", "sp2")).toBe("OK");
    await a.set("k3", "v3");
    await a.sadd("set", "m");
    expect(await a.call("ROLLBACK_TO_SAVEPOINT", "sp2")).toBe("OK");
    expect(await a.mget("k1", "k2", "k3")).toEqual(["v1", "v2", null]);
    expect(await a.exists("set")).toBe(0);
    expect(await a.call("RELEASE_SAVEPOINT", "sp1")).toBe("OK"); // and sp2 after it
    expect(await errorOf(a.call("RELEASE_SAVEPOINT", "sp1"))).toBe("ERR Savepoint 'sp1' not found");
    expect(await errorOf(a.call("ROLLBACK_TO_SAVEPOINT", "sp2"))).toBe("ERR Savepoint 'sp2' not found");
    expect(await a.call("SAVEPOINT", "sp1")).toBe("OK"); // the name is free again
    await a.set("k4", "v4");
    expect(await a.call("ROLLBACK", "TO", "SAVEPOINT", "sp1")).toBe("OK");
    expect(await a.call("SAVEPOINT", "sp3")).toBe("OK");
    expect(await a.call("RELEASE", "SAVEPOINT", "sp3")).toBe("OK");
    expect(await a.call("ROLLBACK", "TO", "sp1")).toBe("OK");
    expect(await a.call("COMMIT")).toBe("OK");
    expect(await b.mget("k1", "k2", "k3", "k4")).toEqual(["v1", "v2", null, null]);
  });

  it("a failing command inside answers its error and leaves the transaction open, its effects undone", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("s", "text");
    expect(await errorOf(a.incr("s"))).toBe("ERR value is not an integer or out of range");
    expect(await errorOf(a.lpush("s", "x"))).toMatch(/^WRONGTYPE/);
    expect(await a.call("COMMIT")).toBe("OK");
    expect(await b.get("s")).toBe("text");
  });
});

describe("conflicts", () => {
  it("first committer wins: the second COMMIT aborts, writes nothing and ends its transaction", async () => {
    const { port, db } = await started();
    const [a, b] = [client(port), client(port)];
    await a.set("k", "0");
    expect(await a.call("BEGIN")).toBe("OK");
    expect(await b.call("BEGIN")).toBe("OK");
    expect(await a.get("k")).toBe("0");
    await a.set("k", "from-a");
    await a.set("other", "from-a");
    await b.set("k", "from-b");
    expect(await b.call("COMMIT")).toBe("OK");
    expect(await errorOf(a.call("COMMIT"))).toBe(CONFLICT);
    expect(await errorOf(a.call("COMMIT"))).toBe(NO_TX); // ended
    expect(await a.mget("k", "other")).toEqual(["from-b", null]);
    expect(db.stats().snapshots.live).toBe(0);
    // An autocommit write conflicts the same way.
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("k", "again");
    await b.set("k", "plain");
    expect(await errorOf(a.call("COMMIT"))).toBe(CONFLICT);
    expect(await b.get("k")).toBe("plain");
  });

  it("SERIALIZABLE: a key only read, then changed by another, aborts the commit (no write skew)", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    await a.mset("x", "1", "y", "1");
    for (const level of ["SNAPSHOT", "SERIALIZABLE"]) {
      expect(await a.call("BEGIN", "ISOLATION", "LEVEL", level)).toBe("OK");
      expect(await a.get("x")).toBe("1");
      await a.set("y", level);
      await b.set("x", "1"); // rewrites what a read
      if (level === "SNAPSHOT") expect(await a.call("COMMIT")).toBe("OK");
      else expect(await errorOf(a.call("COMMIT"))).toBe(CONFLICT);
    }
    expect(await b.get("y")).toBe("SNAPSHOT");
  });
});

describe("what may run inside", () => {
  it("refuses commands that cannot be transactional, changing nothing; BEGIN is refused inside MULTI", async () => {
    const { port } = await started();
    const [a, b] = [client(port), client(port)];
    await b.set("stay", "1");
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("mine", "1");
    for (const cmd of [
      ["FLUSHALL"],
      ["FLUSHDB"],
      ["SWAPDB", "0", "1"],
      ["MULTI"],
      ["WATCH", "stay"],
      ["BLPOP", "list", "0"],
      ["SUBSCRIBE", "chan"],
      ["PUBLISH", "chan", "m"],
    ]) {
      expect(await errorOf(a.call(cmd[0] as string, ...cmd.slice(1)))).toMatch(
        new RegExp(
          `^ERR ${cmd[0]} cannot run inside a transaction \\(BEGIN\\): .*; COMMIT or ROLLBACK first$`,
        ),
      );
    }
    expect(await b.get("stay")).toBe("1");
    expect(await a.call("COMMIT")).toBe("OK");
    expect(await b.get("mine")).toBe("1");
    // Inside MULTI, BEGIN is refused while queueing (no_multi) and EXEC aborts.
    expect(await a.call("MULTI")).toBe("OK");
    expect(await errorOf(a.call("BEGIN"))).toBe("ERR Command not allowed inside a transaction");
    expect(await errorOf(a.call("EXEC"))).toMatch(/^EXECABORT/);
  });
});

describe("the end of a connection", () => {
  it("disconnect, QUIT and RESET roll back and release the snapshot", async () => {
    const { port, db } = await started();
    const b = client(port);
    const gone = client(port);
    expect(await gone.call("BEGIN")).toBe("OK");
    await gone.set("by-disconnect", "1");
    expect(db.stats().snapshots.live).toBe(1);
    gone.disconnect();
    await until(() => db.stats().snapshots.live === 0);
    const quits = client(port);
    expect(await quits.call("BEGIN")).toBe("OK");
    await quits.set("by-quit", "1");
    expect(await quits.quit()).toBe("OK");
    await until(() => db.stats().snapshots.live === 0);
    const resets = client(port);
    expect(await resets.call("BEGIN")).toBe("OK");
    await resets.set("by-reset", "1");
    expect(await resets.call("RESET")).toBe("RESET");
    expect(db.stats().snapshots.live).toBe(0);
    expect(await errorOf(resets.call("COMMIT"))).toBe(NO_TX);
    expect(await b.exists("by-disconnect", "by-quit", "by-reset")).toBe(0);
  });

  it("keyspace notifications of a transaction's writes arrive after COMMIT only", async () => {
    const { port } = await started({ directives: [["notify-keyspace-events", "KEA"]] });
    const [a, sub] = [client(port), client(port)];
    const seen: string[] = [];
    sub.on("message", (channel: string, message: string) => seen.push(`${channel} ${message}`));
    await sub.subscribe("__keyevent@0__:set");
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("n1", "1");
    await a.set("n2", "1");
    await a.ping(); // a round trip more: nothing was sent meanwhile
    expect(seen).toEqual([]);
    expect(await a.call("COMMIT")).toBe("OK");
    await until(() => seen.length === 2);
    expect(seen).toEqual(["__keyevent@0__:set n1", "__keyevent@0__:set n2"]);
  });
});

describe("durability", () => {
  it("after a restart on the same directory: committed present, rolled back and unfinished absent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fusedb-txcmd-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await started({ db: await open(dir) });
    const [a, b, c] = [client(first.port), client(first.port), client(first.port)];
    expect(await a.call("BEGIN")).toBe("OK");
    await a.set("committed", "yes");
    await a.hset("committed:h", "f", "v");
    expect(await a.call("COMMIT")).toBe("OK");
    expect(await b.call("BEGIN")).toBe("OK");
    await b.set("rolled-back", "yes");
    expect(await b.call("ROLLBACK")).toBe("OK");
    expect(await c.call("BEGIN")).toBe("OK");
    await c.set("unfinished", "yes");
    await first.close();
    const second = await started({ db: await open(dir) });
    const d = client(second.port);
    expect(await d.get("committed")).toBe("yes");
    expect(await d.hgetall("committed:h")).toEqual({ f: "v" });
    expect(await d.exists("rolled-back", "unfinished")).toBe(0);
  });
});

describe("COMMAND", () => {
  it("lists the transaction commands with arity and flags", async () => {
    const { port } = await started();
    const a = client(port);
    const info = (await a.call(
      "COMMAND",
      "INFO",
      "begin",
      "commit",
      "rollback",
      "savepoint",
      "rollback_to_savepoint",
      "release_savepoint",
    )) as [string, number, string[]][];
    expect(info.map(([name, arity]) => [name, arity])).toEqual([
      ["begin", -1],
      ["commit", 1],
      ["rollback", -1],
      ["savepoint", 2],
      ["rollback_to_savepoint", 2],
      ["release_savepoint", 2],
    ]);
    for (const entry of info) expect(entry[2]).toContain("no_multi");
  });
});
