/**
 * The hot-state API (issue 6), engine side. Invariants:
 * - conditional writes: `ifVersion` n must equal the live version, 0 means "absent" (never written, deleted,
 *   expired); a conflict is FUSEDB_VERSION_CONFLICT and changes nothing, for single calls and whole batches;
 * - TTL: expiry is absolute Clock time, logged and restored by recovery (WAL and segment) exactly; expired
 *   keys are invisible to get, scan and ttl, count as absent for incr/patch/ifVersion, keep their version;
 *   background work (here a checkpoint) drops them, and their version lives on in the dead-version floor
 *   (`inspect` shows the same dead version before and after);
 * - durability modes: 'memory' never touches the file system; 'relaxed' acknowledges before fdatasync, at
 *   most `relaxedUnsyncedMax` records ahead; close() makes everything durable;
 * - subscriptions: events in commit order after durability, exact key and prefix, no events from recovery,
 *   return()/AbortSignal/close() end the iterator, and a subscriber that never reads is evicted with
 *   FUSEDB_SLOW_SUBSCRIBER while its memory stays bounded by its queue and writes never wait.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { ChangeEvent, Subscription } from "../src/reactive/subscriptions.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

function openAt(fs: TestDisk, clock: SimClock, options: Parameters<typeof FuseDB.open>[0] | object = {}) {
  return FuseDB.open({ ...options, dir: DIR, fs, clock });
}

async function take(sub: Subscription, n: number): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for (let i = 0; i < n; i++) {
    const r = await sub.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("conditional writes", () => {
  it("ifVersion compares with the live version; 0 means absent; a conflict changes nothing", async () => {
    const fs = new TestDisk();
    const db = await openAt(fs, new SimClock());
    expect((await db.set("k", 1, { ifVersion: 0 })).version).toBe(1);
    await expect(db.set("k", 2, { ifVersion: 0 })).rejects.toMatchObject({
      code: "FUSEDB_VERSION_CONFLICT",
      expected: 0,
      actual: 1,
    });
    await expect(db.patch("k", { a: 1 }, { ifVersion: 7 })).rejects.toMatchObject({
      code: "FUSEDB_VERSION_CONFLICT",
    });
    expect(await db.get("k")).toEqual({ value: 1, version: 1 });
    expect((await db.incr("k", 1, { ifVersion: 1 })).value).toBe(2);
    expect((await db.delete("k", { ifVersion: 2 })).version).toBe(3);
    await expect(db.delete("k", { ifVersion: 3 })).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    // A tombstone is absent: ifVersion 0 succeeds, and the version keeps growing.
    expect((await db.set("k", "again", { ifVersion: 0 })).version).toBe(4);
    await expect(db.set("k", 1, { ifVersion: -1 })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await db.close();
  });

  it("a conflicting batch is rejected whole; checks see earlier mutations of the same batch", async () => {
    const db = await openAt(new TestDisk(), new SimClock());
    await db.set("a", 1);
    await expect(
      db.batch([
        { op: "set", key: "b", value: 1 },
        { op: "incr", key: "a", ifVersion: 2 },
      ]),
    ).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    expect(await db.get("b")).toBeUndefined();
    const r = await db.batch([
      { op: "incr", key: "a", ifVersion: 1 },
      { op: "incr", key: "a", ifVersion: 2 },
      { op: "set", key: "b", value: 0, ifVersion: 0 },
    ]);
    expect(r.results.map((x) => x.version)).toEqual([2, 3, 1]);
    // Pending (not yet durable) calls count too: two concurrent compare-and-sets, one wins.
    const [x, y] = await Promise.allSettled([
      db.set("c", 1, { ifVersion: 0 }),
      db.set("c", 2, { ifVersion: 0 }),
    ]);
    expect(x.status).toBe("fulfilled");
    expect(y).toMatchObject({ status: "rejected", reason: { code: "FUSEDB_VERSION_CONFLICT" } });
    await db.close();
  });
});

describe("TTL", () => {
  it("expires at the exact Clock millisecond; incr restarts; versions keep growing", async () => {
    const clock = new SimClock();
    const db = await openAt(new TestDisk(), clock);
    const t0 = clock.now();
    await db.set("s", { user: 1 }, { ttlMs: 1000 });
    expect(await db.get("s")).toEqual({ value: { user: 1 }, version: 1, expiresAtMs: t0 + 1000 });
    expect(await db.ttl("s")).toBe(1000);
    await db.patch("s", { seen: true });
    expect(await db.ttl("s")).toBe(1000); // patch keeps the expiry
    clock.advance(999);
    expect(await db.ttl("s")).toBe(1);
    expect((await db.scan()).map((e) => e.key)).toEqual(["s"]);
    clock.advance(1);
    expect(await db.get("s")).toBeUndefined();
    expect(await db.ttl("s")).toBeUndefined();
    expect(await db.scan()).toEqual([]);
    expect(await db.versionOf("s")).toBe(2);
    await expect(db.expire("s", 10)).rejects.toMatchObject({ code: "FUSEDB_NOT_FOUND" });
    const r = await db.incr("s");
    expect(r).toMatchObject({ value: 1, version: 3 });
    expect(await db.ttl("s")).toBeNull();
    expect((await db.expire("s", 50)).version).toBe(4);
    expect(await db.ttl("s")).toBe(50);
    await db.set("s", 5);
    expect(await db.ttl("s")).toBeNull(); // set without ttlMs clears the expiry, as Redis SET
    await expect(db.set("x", 1, { ttlMs: 0 })).rejects.toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
    await db.close();
  });

  it("expiry is logged: recovery from the WAL and from a segment agrees, without consulting the clock", async () => {
    const clock = new SimClock();
    const fs = new TestDisk();
    let db = await openAt(fs, clock);
    const t0 = clock.now();
    await db.set("short", 1, { ttlMs: 100 });
    await db.set("long", 2, { ttlMs: 10_000 });
    await db.set("forever", 3);
    await db.close();
    db = await openAt(fs, clock);
    expect(await db.inspect("short")).toEqual({ version: 1, value: 1, expiresAtMs: t0 + 100 });
    expect(await db.get("long")).toEqual({ value: 2, version: 1, expiresAtMs: t0 + 10_000 });
    clock.advance(100);
    expect(await db.get("short")).toBeUndefined();
    // Expired: no value, its version still counts, before and after a checkpoint drops it.
    expect(await db.inspect("short")).toEqual({ version: 1, value: undefined });
    await db.checkpoint();
    expect(await db.inspect("short")).toEqual({ version: 1, value: undefined });
    expect(await db.inspect("long")).toEqual({ version: 1, value: 2, expiresAtMs: t0 + 10_000 });
    await db.close();
    db = await openAt(fs, clock);
    expect(await db.get("long")).toEqual({ value: 2, version: 1, expiresAtMs: t0 + 10_000 });
    expect(await db.get("forever")).toEqual({ value: 3, version: 1 });
    expect(await db.versionOf("short")).toBe(1);
    clock.advance(10_000);
    expect(await db.get("long")).toBeUndefined();
    await db.close();
  });
});

describe("durability modes", () => {
  it("'memory' never touches the file system and still has versions, TTL and subscriptions", async () => {
    const fs = new TestDisk();
    const clock = new SimClock();
    const db = await openAt(fs, clock, { durability: "memory" });
    const sub = db.subscribe({ prefix: "" });
    await db.set("a", 1, { ttlMs: 5 });
    await db.incr("a");
    expect(await db.get("a")).toMatchObject({ value: 2, version: 2 });
    clock.advance(5);
    expect(await db.get("a")).toBeUndefined();
    await db.checkpoint();
    expect(await db.inspect("a")).toEqual({ version: 2, value: undefined });
    expect((await take(sub, 2)).map((e) => e.version)).toEqual([1, 2]);
    await db.close();
    expect(await fs.exists(DIR)).toBe(false);
    expect(fs.writeCalls).toEqual([]);
  });

  it("'relaxed' acknowledges before fdatasync, at most relaxedUnsyncedMax records ahead", async () => {
    const fs = new TestDisk();
    const db = await openAt(fs, new SimClock(), { durability: "relaxed", relaxedUnsyncedMax: 2 });
    const hold = fs.holdSync();
    const a = await db.set("a", 1); // acknowledged while its fdatasync is held
    expect(a.version).toBe(1);
    await hold.entered;
    await db.set("b", 1);
    expect(await db.get("b")).toEqual({ value: 1, version: 1 });
    let thirdAcked = false;
    const third = db.set("c", 1).then(() => {
      thirdAcked = true;
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(thirdAcked).toBe(false); // two unsynced records acknowledged: the third waits
    hold.release();
    await third;
    await db.close(); // settles everything: every acknowledged record is durable
    const again = await openAt(fs.copy(), new SimClock());
    expect(await again.get("c")).toEqual({ value: 1, version: 1 });
    await again.close();
  });

  it("rejects an unknown mode", async () => {
    await expect(openAt(new TestDisk(), new SimClock(), { durability: "sometimes" })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
  });
});

describe("subscriptions", () => {
  it("delivers key and prefix events in commit order, one per key per call, and none from recovery", async () => {
    const fs = new TestDisk();
    let db = await openAt(fs, new SimClock());
    await db.set("user:1", { n: 1 });
    await db.close();
    db = await openAt(fs, new SimClock());
    const one = db.subscribe("user:1");
    const users = db.subscribe({ prefix: "user:" });
    await db.set("other", 1);
    await db.patch("user:1", { n: 2 });
    await db.batch([
      { op: "incr", key: "user:2" },
      { op: "incr", key: "user:2" },
      { op: "delete", key: "user:1" },
    ]);
    const got = await take(users, 3);
    expect(got.map((e) => [e.key, e.kind, e.version, e.value])).toEqual([
      ["user:1", "put", 2, { n: 2 }],
      ["user:2", "put", 2, 2],
      ["user:1", "delete", 3, undefined],
    ]);
    expect(got[1]?.lsn).toBe(got[2]?.lsn);
    expect((await take(one, 2)).map((e) => e.version)).toEqual([2, 3]);
    await one.return();
    expect(await one.next()).toEqual({ value: undefined, done: true });
    await db.close();
    expect(await users.next()).toEqual({ value: undefined, done: true });
  });

  it("an AbortSignal unsubscribes", async () => {
    const db = await openAt(new TestDisk(), new SimClock(), { durability: "memory" });
    const ctl = new AbortController();
    const sub = db.subscribe("k", { signal: ctl.signal });
    const pending = sub.next();
    ctl.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(db.stats().subscribers).toBe(0);
    await db.close();
  });

  it("a subscriber that never reads is evicted; memory stays bounded; writes never wait", async () => {
    const db = await openAt(new TestDisk(), new SimClock(), { durability: "memory" });
    const idle = db.subscribe({ prefix: "" }, { queueMax: 16 });
    for (let i = 0; i < 1000; i++) await db.incr("c");
    expect(idle.evicted).toBe(true);
    expect(idle.queued).toBe(16);
    expect(db.stats().subscribers).toBe(0);
    const first = await take(idle, 16);
    expect(first.map((e) => e.version)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    await expect(idle.next()).rejects.toMatchObject({ code: "FUSEDB_SLOW_SUBSCRIBER" });
    expect(await idle.next()).toEqual({ value: undefined, done: true });
    await db.close();
  });

  it("events come after durability in mode 'fsync'", async () => {
    const fs = new TestDisk();
    const db = await openAt(fs, new SimClock());
    const sub = db.subscribe("k");
    const hold = fs.holdSync();
    const write = db.set("k", 1);
    await hold.entered;
    expect(sub.queued).toBe(0);
    hold.release();
    await write;
    expect((await take(sub, 1))[0]).toMatchObject({ key: "k", version: 1, kind: "put" });
    await db.close();
  });
});
