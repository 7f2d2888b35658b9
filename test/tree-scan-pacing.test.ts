/**
 * A scan's work between yields is bounded (issue 12 item 12, first half). Invariants: a scan for one live
 * key behind many tombstones yields once per `scanEntriesPerYield` entries it examines (tombstones
 * included), forwards and in reverse, and still answers exactly; with a yield that lets the event loop run,
 * a callback queued on the event loop when the scan starts runs before the scan ends (without pacing, the
 * scan's in-memory work ran to the end first). Through the engine, the yield is the Clock's: `scan({ limit:
 * 1 })` over 100k tombstones lets a `setImmediate` callback queued before it run before it resolves on the
 * real clock, and calls the simulated clock's `yield` (which needs no driving) once per 1024 entries.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import type { Entry, Mutation } from "../src/doc/entry.js";
import type { Clock } from "../src/io/clock.js";
import type { FileSystem } from "../src/io/file-system.js";
import { SystemClock } from "../src/io/node-clock.js";
import { SCAN_ENTRIES_PER_YIELD, Tree, type TreeOptions } from "../src/tree/tree.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const OPTIONS: TreeOptions = {
  leafBufferBytes: 1 << 30,
  bufferBytesMax: 1 << 30,
  leafBytesMax: 1 << 30,
  segmentsMax: 4,
  hotWriteShare: 0.25,
  checkpointWalBytes: 1 << 30,
  blockCacheBytes: 1 << 20,
  rowCacheBytes: 1 << 20,
  sliceBytes: 1 << 18,
};

const TOMBSTONES = 10_000;

/** A tree holding TOMBSTONES tombstones ("k00000"…) and one live key after them ("z"). */
function treeOfTombstones(options: Partial<TreeOptions>): Tree {
  const tree = Tree.inMemory({ ...OPTIONS, ...options });
  let lsn = 0;
  for (let i = 0; i < TOMBSTONES; i++) {
    const tombstone: Entry = { version: 2, value: undefined, text: undefined, lsn: ++lsn };
    tree.apply(`k${String(i).padStart(5, "0")}`, tombstone);
  }
  tree.apply("z", { version: 1, value: 1, text: new TextEncoder().encode("1"), lsn: ++lsn });
  return tree;
}

describe("scan pacing", () => {
  for (const reverse of [false, true]) {
    it(`yields once per 100 entries examined${reverse ? ", in reverse" : ""}`, async () => {
      let yields = 0;
      const tree = treeOfTombstones({
        scanEntriesPerYield: 100,
        yieldToEventLoop: () => {
          yields++;
          return Promise.resolve();
        },
      });
      // Every entry is examined: forwards the live key comes last; in reverse the range excludes it, so the
      // scan examines it (out of range), then every tombstone, and finds nothing.
      const range = reverse ? { lt: "z" } : {};
      const found = await tree.scan(range, 1, reverse, 0);
      expect(found.map(([k]) => k)).toEqual(reverse ? [] : ["z"]);
      expect(yields).toBe(Math.floor((TOMBSTONES + 1) / 100));
    });
  }

  it("lets the event loop run during a long scan when the yield does", async () => {
    const tree = treeOfTombstones({
      yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
    let scanDone = false;
    let ranDuringScan: boolean | undefined;
    setImmediate(() => {
      ranDuringScan = !scanDone;
    });
    const found = await tree.scan({}, 1, false, 0);
    scanDone = true;
    expect(found.map(([k]) => k)).toEqual(["z"]);
    expect(ranDuringScan).toBe(true);
  });
});

const ENGINE_TOMBSTONES = 100_000;
const BATCH = 1000;

/** A database holding ENGINE_TOMBSTONES tombstones ("k000000"…) and one live key after them ("z"). */
async function engineOfTombstones(fs: FileSystem, clock: Clock, options: FuseDBOptions): Promise<FuseDB> {
  const db = await FuseDB.open({ ...options, dir: DIR, fs, clock });
  for (let i = 0; i < ENGINE_TOMBSTONES; i += BATCH) {
    const deletes: Mutation[] = [];
    for (let j = i; j < i + BATCH; j++) deletes.push({ op: "delete", key: `k${String(j).padStart(6, "0")}` });
    await db.batch(deletes);
  }
  await db.set("z", 1);
  return db;
}

describe("scan pacing through the engine's clock", () => {
  it("lets a setImmediate callback queued before scan({ limit: 1 }) over 100k tombstones run before it resolves (real clock)", async () => {
    // Mode 'memory': every entry is in a buffer, so the scan does no I/O that would yield by itself.
    const db = await engineOfTombstones(new TestDisk(), new SystemClock(), { durability: "memory" });
    let scanDone = false;
    let ranDuringScan: boolean | undefined;
    setImmediate(() => {
      ranDuringScan = !scanDone;
    });
    const found = await db.scan({ limit: 1 });
    scanDone = true;
    expect(found.map((e) => e.key)).toEqual(["z"]);
    expect(ranDuringScan).toBe(true);
    await db.close();
  }, 60_000);

  it("yields through the simulated clock once per 1024 entries examined, without driving it (mode 'fsync')", async () => {
    const clock = new SimClock(0);
    // Buffers large enough that the tombstones stay in memory: the yields are the pacer's alone.
    const db = await engineOfTombstones(new TestDisk(), clock, {
      leafBufferBytes: 1 << 28,
      bufferBytesMax: 1 << 29,
      leafBytesMax: 1 << 30,
    });
    expect(db.stats().tree.segments).toBe(0);
    const before = clock.yields;
    const found = await db.scan({ limit: 1 });
    expect(found.map((e) => e.key)).toEqual(["z"]);
    expect(clock.yields - before).toBe(Math.floor((ENGINE_TOMBSTONES + 1) / SCAN_ENTRIES_PER_YIELD));
    expect(clock.pendingTimers).toBe(0);
    await db.close();
  }, 60_000);
});
