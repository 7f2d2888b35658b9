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
 * - formats: a timed batch round-trips its call time and effects (none: a clock record), every proper prefix
 *   is rejected, a type-1 batch reads with call time 0; a manifest keeps the larger clock floor of its
 *   snapshot and edits and rejects a negative one.
 * The crash images are drawn from a seeded PRNG (seed printed).
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import { entryFromStored } from "../src/doc/entry.js";
import { applyEdit, emptyManifest, readManifest } from "../src/tree/manifest.js";
import {
  decodeBatchRecord,
  decodeTimedBatch,
  type Effect,
  encodeBatch,
  encodeTimedBatch,
} from "../src/wal/batch-codec.js";
import { RecordType } from "../src/wal/format.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const SEED = Number(process.env.FUSEDB_TEST_SEED ?? 4242);
console.log(`clock-floor: seed ${SEED} (replay with FUSEDB_TEST_SEED=${SEED})`);

function openAt(fs: TestDisk, clock: SimClock): Promise<FuseDB> {
  return FuseDB.open({ dir: DIR, fs, clock });
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

describe("clock floor, one process", () => {
  it("a document seen expired stays expired when the clock steps back", async () => {
    const clock = new SimClock(T0);
    const db = await openAt(new TestDisk(), clock);
    await db.set("k", { v: 1 }, { ttlMs: MINUTE });
    clock.advance(2 * MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
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
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    clock.advance(2 * MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
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
    const clock = new SimClock(T0);
    const db = await openAt(fs, clock);
    await db.set("k", 1, { ttlMs: MINUTE });
    clock.advance(2 * MINUTE);
    expect(await seen(db, "k")).toEqual(GONE);
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
    expect(walAfter.some((p) => walBefore.includes(p))).toBe(false); // the clock record's file is gone
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

describe("clock floor, formats", () => {
  const effects: Effect[] = [
    { key: "a", entry: entryFromStored(3, Buffer.from('{"x":1}'), 5) },
    { key: "b", entry: entryFromStored(2, undefined, 5) },
  ];

  it("a timed batch round-trips its call time; no effects is a clock record; prefixes are rejected", () => {
    const payload = encodeTimedBatch(T0 + 123, effects);
    expect(decodeTimedBatch(payload, 5)).toEqual({ callMs: T0 + 123, effects });
    expect(decodeBatchRecord(RecordType.TimedBatch, payload, 5)).toEqual({ callMs: T0 + 123, effects });
    expect(decodeTimedBatch(encodeTimedBatch(T0, []), 1)).toEqual({ callMs: T0, effects: [] });
    for (let n = 0; n < payload.length; n++)
      expect(() => decodeTimedBatch(payload.subarray(0, n), 5)).toThrow();
    expect(decodeBatchRecord(RecordType.Batch, encodeBatch(effects), 5)).toEqual({ callMs: 0, effects });
  });

  it("a manifest keeps the larger clock floor and rejects a negative one", () => {
    const m = emptyManifest();
    const edit = { checkpointLsn: 0, nextFileNumber: 1, remove: [], add: [] };
    const raised = applyEdit(m, { ...edit, clockFloorMs: T0 });
    expect(raised.clockFloorMs).toBe(T0);
    expect(applyEdit(raised, { ...edit, clockFloorMs: T0 - 1 }).clockFloorMs).toBe(T0);
    expect(applyEdit(raised, edit).clockFloorMs).toBe(T0);
    expect(() => applyEdit(m, { ...edit, clockFloorMs: -1 })).toThrow(/clock floor/);
  });
});
