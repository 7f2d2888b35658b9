/**
 * Data-type operations that scan, answered from memory (issue 14). Invariants:
 * - a write that scans (ZREMRANGEBYSCORE in an atomic limiter call, LPOP with a count, SPOP, HDEL after
 *   HGETALL) and a read that scans (ZRANGEBYSCORE, LRANGE, HGETALL, SMEMBERS) over data the buffers hold
 *   never wait for an asynchronous tree scan; over flushed data they do only until the blocks are cached;
 *   the answers are Redis's either way;
 * - a read whose scan waited for I/O is validated against the first answer of every point read it made:
 *   a ZADD XX that moves a member while a ZRANGE's asynchronous scan runs never yields a set with the
 *   member missing (or twice) — the read answers the state before the write or after it, whole.
 */
import type { Buffer } from "node:buffer";
import { describe, expect, it, vi } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Tree } from "../src/tree/tree.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const names = (es: readonly (readonly [Buffer, number])[]) => es.map(([m]) => m.toString("latin1"));
const strings = (bs: readonly Buffer[]) => bs.map((b) => b.toString("latin1"));

/** The engine's tree, to count the asynchronous scans it is asked for. */
function treeOf(db: FuseDB): Tree {
  return (db as unknown as { tree: Tree }).tree;
}

describe("data-type scans from memory", () => {
  it("answers scanning writes and reads over buffered data without an asynchronous scan", async () => {
    const db = await openMem(new TestDisk());
    await db.zsets.zadd(
      "sw",
      Array.from({ length: 50 }, (_, i) => [i, `r${i}`] as const),
    );
    await db.lists.rpush("q", ["a", "b", "c", "d"]);
    await db.hashes.hset("h", [
      ["f1", "v1"],
      ["f2", "v2"],
    ]);
    await db.sets.sadd("s", ["x", "y", "z"]);
    const scans = vi.spyOn(treeOf(db), "scan");

    const allowed = await db.zsets.atomic((z) => {
      z.zremrangebyscore("sw", "-inf", 9);
      if (z.zcard("sw") >= 100) return false;
      z.zadd("sw", [[100, "r100"]]);
      return true;
    });
    expect(allowed).toBe(true);
    expect(names(await db.zsets.zrangebyscore("sw", 10, 12))).toEqual(["r10", "r11", "r12"]);
    expect(await db.zsets.zcard("sw")).toBe(41);
    expect(strings((await db.lists.lpop("q", 2)) as Buffer[])).toEqual(["a", "b"]);
    expect(strings(await db.lists.lrange("q", 0, -1))).toEqual(["c", "d"]);
    const fields = await db.hashes.hgetall("h");
    expect(fields.map(([f, v]) => `${f.toString()}=${v.toString()}`)).toEqual(["f1=v1", "f2=v2"]);
    expect(strings(await db.sets.smembers("s")).sort()).toEqual(["x", "y", "z"]);
    expect(scans).not.toHaveBeenCalled();
    await db.close();
  });

  it("waits for flushed blocks once, then answers from the block cache", async () => {
    const db = await openMem(new TestDisk());
    await db.zsets.zadd(
      "z",
      Array.from({ length: 200 }, (_, i) => [i, `m${i}`] as const),
    );
    await db.checkpoint();
    // The test disk offers no readSync: a segment block the cache lacks needs an asynchronous read.
    const scans = vi.spyOn(treeOf(db), "scan");
    const first = names(await db.zsets.zrangebyscore("z", 100, 104));
    const waited = scans.mock.calls.length;
    expect(names(await db.zsets.zrangebyscore("z", 100, 104))).toEqual(first);
    expect(await db.zsets.zremrangebyscore("z", 100, 104)).toBe(5);
    expect(first).toEqual(["m100", "m101", "m102", "m103", "m104"]);
    expect(scans.mock.calls.length).toBe(waited);
    await db.close();
  });

  it("a ZRANGE whose scan waits sees a ZADD XX that moves a member whole, or not at all", async () => {
    const MEMBERS = 1100; // above the 1024 entries a scan examines between yields: the scan waits
    /** A clock whose yield lets the event loop run (the write becomes durable and visible meanwhile). */
    class YieldingClock extends SimClock {
      override yield(): Promise<void> {
        return new Promise((resolve) => setImmediate(resolve));
      }
    }
    const db = await FuseDB.open({ dir: DIR, fs: new TestDisk(), clock: new YieldingClock(0) });
    const before = Array.from({ length: MEMBERS }, (_, i) => `m${String(i).padStart(4, "0")}`);
    await db.zsets.zadd(
      "z",
      before.map((m, i) => [i, m] as const),
    );
    const last = before[MEMBERS - 1] as string;
    const after = [last, ...before.slice(0, -1)];
    // The read's scan passes the front of the set, yields; the write moves the last member to the front.
    const read = db.zsets.zrange("z", 0, -1);
    const write = db.zsets.zadd("z", [[-1, last]], { xx: true });
    const [got] = await Promise.all([read, write]);
    const seen = names(got);
    expect(seen.length).toBe(MEMBERS);
    expect([before, after]).toContainEqual(seen);
    expect(names(await db.zsets.zrange("z", 0, -1))).toEqual(after);
    await db.close();
  });
});
