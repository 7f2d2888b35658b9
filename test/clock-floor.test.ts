/**
 * The engine's clock never goes back (issue 12 item 5; src/engine-clock.ts, docs/wal-format.md "Clock
 * floor"). Invariants:
 * - in one process: a document seen expired stays expired (get, ttl, scan) when the configured clock steps
 *   back, and ttl() never grows;
 * - across restarts: a clean close, a power loss before any checkpoint, and one after a checkpoint that
 *   deleted the WAL file holding the time observed (the floor then lives in the manifest) all reopen at a
 *   clock no lower than the time any answer or write depended on;
 * - writes log their call time: a reopen under a clock set back starts at the newest write's time;
 * - a scan with a limit, whose first documents expired above the durable floor, answers the same before and
 *   after the clock steps back;
 * - no LSN: observing an expiry makes the floor durable in a WAL header slot (a floor-only commit), never in a
 *   record, so the LSNs callers see are those of a run without the reads, awaited or issued back to back;
 *   a WAL file made by rotation carries the floor forward;
 * - a document expired at the durable floor already (ttl() or get() exactly at or past it) needs no wait;
 * - durability 'memory' answers like 'fsync' and 'relaxed' (values, versions, LSNs), the clock stepping back
 *   included, and reports floor 0 at open.
 * Formats are in test/clock-floor-formats.test.ts. The crash images are drawn from a seeded PRNG (seed
 * printed).
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { type Durability, FuseDB } from "../src/db.js";
import { readManifest } from "../src/tree/manifest.js";
import { decodeFileHeader } from "../src/wal/format.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const SEED = Number(process.env.FUSEDB_TEST_SEED ?? 4242);
console.log(`clock-floor: seed ${SEED} (replay with FUSEDB_TEST_SEED=${SEED})`);

function openAt(fs: TestDisk, clock: SimClock, durability?: Durability): Promise<FuseDB> {
  return FuseDB.open({ dir: DIR, fs, clock, ...(durability ? { durability } : {}) });
}

/** The largest clock floor the slots of the newest WAL file on `fs` carry. */
function newestWalFloor(fs: TestDisk): number {
  const newest = fs
    .paths()
    .filter((p) => p.includes("/wal-"))
    .sort()
    .at(-1);
  if (newest === undefined) throw new Error("no WAL file");
  const h = decodeFileHeader(fs.bytes(newest));
  if (h.kind !== "header") throw new Error(`${newest}: ${h.reason}`);
  return Math.max(...h.header.floors.map((f) => f ?? 0));
}

/** A power loss: a fresh disk keeping what was durable (and a seeded share of what was not). */
function crashed(fs: TestDisk, salt: string): TestDisk {
  return new TestDisk(fs.sim.crash(new Prng(`${SEED}/${salt}`)));
}

/** Everything a reader sees of key `k` (expiry-dependent answers only). */
async function seen(db: FuseDB, k: string): Promise<unknown> {
  const scan = await db.scan({ gte: k, lte: k });
  return { get: await db.get(k), ttl: await db.ttl(k), scan: scan.map((e) => e.key) };
}

const GONE = { get: undefined, ttl: undefined, scan: [] };

/**
 * A database opened at T0 on `fs` that wrote "k" with a one-minute TTL and, two minutes later, saw it
 * expired (get, ttl and scan): the observed time the tests below expect never to go back.
 */
async function seenExpired(fs: TestDisk): Promise<{ db: FuseDB; clock: SimClock }> {
  const clock = new SimClock(T0);
  const db = await openAt(fs, clock);
  await db.set("k", 1, { ttlMs: MINUTE });
  clock.advance(2 * MINUTE);
  expect(await seen(db, "k")).toEqual(GONE);
  return { db, clock };
}

describe("clock floor, one process", () => {
  it("a document seen expired stays expired when the clock steps back", async () => {
    const { db, clock } = await seenExpired(new TestDisk());
    clock.stepBack(3 * MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
    expect(await db.versionOf("k")).toBe(1);
    await db.close();
  });

  it("ttl() never grows as the clock steps back", async () => {
    const clock = new SimClock(T0);
    const db = await openAt(new TestDisk(), clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    clock.advance(10_000);
    expect(await db.ttl("k")).toBe(50_000);
    clock.stepBack(5_000);
    expect(await db.ttl("k")).toBe(50_000);
    clock.advance(7_000);
    expect(await db.ttl("k")).toBe(48_000);
    await db.close();
  });

  it("a scan with a limit answers the same after the clock steps back", async () => {
    const clock = new SimClock(T0);
    const db = await openAt(new TestDisk(), clock);
    await db.set("a", 1, { ttlMs: MINUTE });
    await db.set("b", 2, { ttlMs: 3 * MINUTE });
    await db.set("c", 3);
    clock.advance(2 * MINUTE);
    expect((await db.scan({ limit: 1 })).map((e) => e.key)).toEqual(["b"]);
    clock.stepBack(2 * MINUTE);
    expect((await db.scan({ limit: 1 })).map((e) => e.key)).toEqual(["b"]);
    expect((await db.scan()).map((e) => e.key)).toEqual(["b", "c"]);
    await db.close();
  });
});

describe("clock floor, across restarts", () => {
  it("a clean close: reopened under a clock set back, the expired document stays expired", async () => {
    const fs = new TestDisk();
    const { db } = await seenExpired(fs);
    await db.close();
    const again = await openAt(fs.copy(), new SimClock(T0));
    expect(await seen(again, "k")).toEqual(GONE);
    await again.close();
  });

  it("ttl() does not grow across a reopen under a clock set back", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    clock.advance(10_000);
    expect(await db.ttl("k")).toBe(50_000);
    await db.close();
    const again = await openAt(fs.copy(), new SimClock(T0 - MINUTE));
    expect(await again.ttl("k")).toBe(50_000);
    await again.close();
  });

  it("a power loss before any checkpoint keeps the floor (from the WAL)", async () => {
    const fs = new TestDisk();
    await seenExpired(fs); // then the power goes: no close
    const again = await openAt(crashed(fs, "before"), new SimClock(T0));
    expect(await seen(again, "k")).toEqual(GONE);
    await again.close();
  });

  it("a power loss after a checkpoint deleted the WAL holding the floor keeps it (from the manifest)", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    await db.set("other", 2);
    clock.advance(2 * MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
    const walBefore = fs.paths().filter((p) => p.includes("/wal-"));
    await db.checkpoint();
    const walAfter = fs.paths().filter((p) => p.includes("/wal-"));
    expect(walAfter.some((p) => walBefore.includes(p))).toBe(false); // the file whose slot held it is gone
    const manifest = (await readManifest(fs, DIR))?.manifest;
    expect(manifest?.clockFloorMs).toBeGreaterThanOrEqual(T0 + 2 * MINUTE);
    const again = await openAt(crashed(fs, "after"), new SimClock(T0));
    expect(await seen(again, "k")).toEqual(GONE);
    expect(await again.get("other")).toMatchObject({ value: 2 });
    await again.close();
  });

  it("writes log their call time: a reopen under a clock set back starts at the newest write", async () => {
    const fs = new TestDisk();
    const db = await openAt(fs, new SimClock(T0 + 10 * MINUTE));
    await db.set("a", 1);
    const again = await openAt(crashed(fs, "write"), new SimClock(T0));
    await again.set("b", 2, { ttlMs: 1000 });
    expect((await again.get("b"))?.expiresAtMs).toBe(T0 + 10 * MINUTE + 1000);
    await again.close();
  });
});

describe("clock floor, no LSN", () => {
  it("observing an expiry makes the floor durable in a WAL header slot and consumes no LSN", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    expect((await db.set("k", 1, { ttlMs: MINUTE })).lsn).toBe(1);
    clock.advance(2 * MINUTE);
    const syncs = db.stats().wal.syncs;
    expect(await seen(db, "k")).toEqual(GONE);
    expect(db.stats().durableLsn).toBe(1); // no record was logged for it
    expect(db.stats().wal.syncs).toBeGreaterThan(syncs); // a floor-only commit: slot rewrite + fdatasync
    expect(newestWalFloor(fs)).toBe(T0 + 2 * MINUTE);
    expect((await db.set("other", 2)).lsn).toBe(2);
    await db.close();
  });

  it("reads issued back to back with writes leave the writes' LSNs in call order", async () => {
    for (const durability of ["fsync", "relaxed"] as const) {
      const clock = new SimClock(T0);
      const db = await openAt(new TestDisk(), clock, durability);
      await db.set("k", 1, { ttlMs: MINUTE });
      clock.advance(2 * MINUTE);
      const calls = [db.get("k"), db.set("a", 1), db.ttl("k"), db.set("b", 2), db.scan(), db.set("c", 3)];
      const [got, a, ttl, b, scan, c] = await Promise.all(calls);
      expect({ got, ttl, lsns: [a, b, c].map((r) => (r as { lsn: number }).lsn) }, durability).toEqual({
        got: undefined,
        ttl: undefined,
        lsns: [2, 3, 4],
      });
      // A scan sees the writes durable when it ran (timing), never the expired document.
      expect((scan as { key: string }[]).map((e) => e.key)).not.toContain("k");
      await db.close();
    }
  });

  it("a read whose time cannot be made durable rejects with the poison; other reads still answer", async () => {
    const fs = new TestDisk();
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    await db.set("j", 2, { ttlMs: 10 * MINUTE });
    clock.advance(2 * MINUTE);
    fs.faults.failSync = (path) => path.includes("/wal-");
    await expect(db.get("k")).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    await expect(db.ttl("j")).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    await expect(db.scan()).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    expect(await db.get("other")).toBeUndefined(); // answers that depend on no time above the floor still work
    await db.close();
  });

  it("a WAL file made by rotation carries the floor forward", async () => {
    const fs = new TestDisk();
    const { db } = await seenExpired(fs);
    await db.checkpoint(); // rotates to a new file and deletes the old one
    expect(newestWalFloor(fs)).toBe(T0 + 2 * MINUTE);
    await db.close();
  });

  it("ttl() and get() of a document expired exactly at the durable floor wait for nothing", async () => {
    const clock = new SimClock(T0);
    const db = await openAt(new TestDisk(), clock);
    await db.set("k", 1, { ttlMs: 1000 });
    clock.advance(1000);
    await db.set("other", 2); // the durable floor is now k's expiry
    clock.advance(500);
    const syncs = db.stats().wal.syncs;
    expect(await seen(db, "k")).toEqual(GONE);
    expect(db.stats().wal.syncs).toBe(syncs);
    clock.stepBack(MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
    expect((await db.set("x", 3)).lsn).toBe(3);
    await db.close();
  });

  it("durability 'memory' answers like 'fsync' and 'relaxed', the clock stepping back included", async () => {
    const run = async (durability: Durability): Promise<unknown[]> => {
      const clock = new SimClock(T0);
      const db = await openAt(new TestDisk(), clock, durability);
      const out: unknown[] = [db.recovery.clockFloorMs];
      out.push(await db.set("k", 1, { ttlMs: MINUTE }), await db.set("j", 2, { ttlMs: 3 * MINUTE }));
      clock.advance(2 * MINUTE);
      out.push(await seen(db, "k"), await db.ttl("j"), await db.set("a", 3));
      clock.stepBack(5 * MINUTE);
      out.push(await seen(db, "k"), await db.ttl("j"), await db.incr("k"), await db.set("b", 4));
      out.push((await db.scan()).map((e) => [e.key, e.version]));
      await db.close();
      return out;
    };
    const fsync = await run("fsync");
    expect(fsync).toEqual([
      0,
      { version: 1, lsn: 1 },
      { version: 1, lsn: 2 },
      GONE,
      MINUTE,
      { version: 1, lsn: 3 },
      GONE,
      MINUTE, // not 6 minutes: the engine clock did not go back
      { version: 2, lsn: 4, value: 1 },
      { version: 1, lsn: 5 },
      [
        ["a", 1],
        ["b", 1],
        ["j", 1],
        ["k", 2],
      ],
    ]);
    expect(await run("memory")).toEqual(fsync);
    expect(await run("relaxed")).toEqual(fsync);
  });
});
