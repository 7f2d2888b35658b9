/**
 * SWAPDB (src/server/commands/swapdb-command.ts, database-map.ts), Redis 7.0's semantics:
 * - clients already in either database see the other's keys at once; CLIENT LIST shows the database
 *   number, INFO keyspace counts by number, keyspace notifications name the number; errors as Redis's;
 * - the swap is durable: a server over the reopened engine finds the databases swapped;
 * - WATCH: a watched key that exists in either database makes EXEC fail; a key in neither does not, and
 *   afterwards the watch follows its database number (a write there fails EXEC).
 */
import { describe, expect, it } from "vitest";
import { FuseDB as Engine } from "../src/db.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { call, errorOf } from "./helpers/mem-call.js";
import type { MemClient } from "./helpers/mem-transport.js";
import { ManualClock, memServerClosedAfter, type ServerSetup } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const cleanups = cleanupsAfterEach();
const mem = (setup?: ServerSetup) => memServerClosedAfter(cleanups, setup);

async function inDb(c: MemClient, db: number): Promise<MemClient> {
  await call(c, "SELECT", String(db));
  return c;
}

describe("SWAPDB", () => {
  it("swaps what connected clients see; numbers in CLIENT LIST, INFO and notifications; Redis's errors", async () => {
    const { net } = await mem({ directives: [["notify-keyspace-events", "KA"]] });
    const zero = await inDb(net.connect(), 0);
    const one = await inDb(net.connect(), 1);
    await call(zero, "SET", "a", "zero");
    await call(one, "SET", "a", "one");
    await call(one, "SET", "b", "one");
    expect(await call(zero, "SWAPDB", "0", "1")).toBe("OK");
    expect(await call(zero, "GET", "a")).toBe("one");
    expect(await call(one, "GET", "a")).toBe("zero");
    expect(await call(zero, "DBSIZE")).toBe(2);
    expect(String(await call(one, "CLIENT", "INFO"))).toContain(" db=1 ");
    expect(String(await call(zero, "INFO", "keyspace"))).toContain("db0:keys=2,");
    const sub = net.connect();
    await call(sub, "PSUBSCRIBE", "__keyspace@*");
    await call(one, "SET", "c", "1");
    await sub.waitReplies(2);
    expect(sub.replies[1]).toEqual(["pmessage", "__keyspace@*", "__keyspace@1__:c", "set"]);
    expect(await call(zero, "MOVE", "b", "1")).toBe(1);
    expect(await call(one, "GET", "b")).toBe("one");
    expect(await call(zero, "SWAPDB", "3", "3")).toBe("OK");
    expect(errorOf(await call(zero, "SWAPDB", "x", "1"))).toBe("ERR invalid first DB index");
    expect(errorOf(await call(zero, "SWAPDB", "1", "1.5"))).toBe("ERR invalid second DB index");
    expect(errorOf(await call(zero, "SWAPDB", "0", "16"))).toBe("ERR DB index is out of range");
    expect(errorOf(await call(zero, "SWAPDB", "-1", "0"))).toBe("ERR DB index is out of range");
  });

  it("is durable: a server over the reopened engine finds the databases swapped", async () => {
    const fs = new TestDisk();
    const clock = new ManualClock();
    const db = await Engine.open({ dir: "db", fs, clock });
    const first = await mem({ db, clock });
    const c = first.net.connect();
    await call(c, "SET", "k", "was-zero");
    await call(c, "SWAPDB", "0", "2");
    await first.server.close();
    const second = await mem({ db: await Engine.open({ dir: "db", fs, clock }), clock });
    const d = second.net.connect();
    expect(await call(d, "GET", "k")).toBe(null);
    expect(await call(await inDb(d, 2), "GET", "k")).toBe("was-zero");
    expect(await call(d, "SWAPDB", "2", "0")).toBe("OK");
    expect(await call(d, "GET", "k")).toBe(null);
    expect(await call(await inDb(d, 0), "GET", "k")).toBe("was-zero");
  });

  it("touches watched keys that exist in either database; others follow their number", async () => {
    const { net } = await mem();
    const c = net.connect();
    const other = net.connect();
    await call(c, "SET", "x", "30");
    await call(c, "WATCH", "x");
    await call(c, "SWAPDB", "0", "1");
    await call(c, "MULTI");
    await call(c, "PING");
    expect(await call(c, "EXEC")).toBe(null); // x existed in database 0

    await call(c, "FLUSHALL");
    await call(await inDb(other, 1), "SET", "y", "1");
    await call(c, "WATCH", "y");
    await call(c, "SWAPDB", "0", "1");
    await call(c, "MULTI");
    await call(c, "PING");
    expect(await call(c, "EXEC")).toBe(null); // y existed in database 1, swapped in

    await call(c, "FLUSHALL");
    await call(c, "WATCH", "z");
    await call(c, "SWAPDB", "0", "1");
    await call(c, "MULTI");
    await call(c, "PING");
    expect(await call(c, "EXEC")).toEqual(["PONG"]); // z in neither: untouched

    await call(c, "WATCH", "z");
    await call(c, "SWAPDB", "0", "1");
    await call(await inDb(other, 0), "SET", "z", "now"); // z of database 0, where c still is
    await call(c, "MULTI");
    await call(c, "PING");
    expect(await call(c, "EXEC")).toBe(null);
  });
});
