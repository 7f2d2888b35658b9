/**
 * Invariants (issue 12 item 10, the facade's part): every bad argument shape a caller can pass gets a typed
 * InvalidArgumentError with code FUSEDB_INVALID_ARGUMENT and changes nothing (no version, no WAL record):
 * - a `null` (or non-object, or array) options argument of set, delete, patch, incr, expire, scan and
 *   subscribe, and of `open` (package root) and `FuseDB.open`;
 * - a `signal` that is not an AbortSignal; a non-boolean `reverse` or a `null` limit of scan; a non-boolean
 *   `syncReads`; a configuration without a string `dir`, a file system object or a clock (with `now` and
 *   `yield`).
 * Deterministic: the simulated disk without latency and a clock that does not move.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { FuseDB, FuseDBConfig } from "../src/db.js";
import { FuseDB as FuseDBClass } from "../src/db.js";
import { open } from "../src/index.js";

const CODE = "FUSEDB_INVALID_ARGUMENT";

/** Loosens a typed argument into whatever a careless JavaScript caller may pass. */
function bad<T>(value: unknown): T {
  return value as T;
}

async function openSim(): Promise<FuseDB> {
  return FuseDBClass.open({ dir: "/db", fs: new SimFileSystem({ latency: false }), clock: new SimClock() });
}

/** `p` rejects (or `run` throws) with a typed FUSEDB_INVALID_ARGUMENT. */
async function expectInvalid(run: () => unknown): Promise<void> {
  let thrown: unknown;
  try {
    await run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toMatchObject({ name: "InvalidArgumentError", code: CODE });
}

describe("bad option shapes get FUSEDB_INVALID_ARGUMENT and change nothing", () => {
  it("a null, non-object or array options argument of a write", async () => {
    const db = await openSim();
    await db.set("k", 1);
    const records = db.stats().wal.records;
    for (const options of [null, "ttl", 5, [1]]) {
      await expectInvalid(() => db.set("k", 2, bad(options)));
      await expectInvalid(() => db.delete("k", bad(options)));
      await expectInvalid(() => db.patch("k", { a: 1 }, bad(options)));
      await expectInvalid(() => db.incr("n", 1, bad(options)));
      await expectInvalid(() => db.expire("k", 1000, bad(options)));
    }
    expect(db.stats().wal.records).toBe(records);
    expect(await db.get("k")).toEqual({ value: 1, version: 1 });
    expect(await db.versionOf("n")).toBe(0);
    await db.close();
  });

  it("scan: null options, a null limit, a non-boolean reverse", async () => {
    const db = await openSim();
    await db.set("a", 1);
    await expectInvalid(() => db.scan(bad(null)));
    await expectInvalid(() => db.scan({ limit: bad(null) }));
    await expectInvalid(() => db.scan({ reverse: bad("yes") }));
    await expectInvalid(() => db.scan({ reverse: bad(1) }));
    expect((await db.scan({ reverse: true })).map((e) => e.key)).toEqual(["a"]);
    await db.close();
  });

  it("subscribe: null options, a signal that is not an AbortSignal", async () => {
    const db = await openSim();
    await expectInvalid(() => db.subscribe("k", bad(null)));
    await expectInvalid(() => db.subscribe("k", { signal: bad({}) }));
    await expectInvalid(() => db.subscribe("k", { signal: bad("abort") }));
    await expectInvalid(() => db.subscribe({ prefix: "" }, { signal: bad({ aborted: false }) }));
    expect(db.stats().subscribers).toBe(0);
    const controller = new AbortController();
    const sub = db.subscribe("k", { signal: controller.signal });
    expect(db.stats().subscribers).toBe(1);
    controller.abort();
    expect(db.stats().subscribers).toBe(0);
    expect(sub.evicted).toBe(false);
    await db.close();
  });

  it("FuseDB.open: a null configuration, a bad dir, fs or clock", async () => {
    const fs = new SimFileSystem({ latency: false });
    const clock = new SimClock();
    await expectInvalid(() => FuseDBClass.open(bad(null)));
    await expectInvalid(() => FuseDBClass.open(bad({ dir: 42, fs, clock })));
    await expectInvalid(() => FuseDBClass.open(bad({ dir: "", fs, clock })));
    await expectInvalid(() => FuseDBClass.open(bad({ dir: "/db", fs: null, clock })));
    await expectInvalid(() => FuseDBClass.open(bad({ dir: "/db", fs, clock: {} })));
    await expectInvalid(() => FuseDBClass.open(bad({ dir: "/db", fs, clock: { now: () => 0 } })));
    await expectInvalid(() => FuseDBClass.open(bad<FuseDBConfig>({ dir: "/db", fs })));
    // Nothing was created: the refused opens never reached the disk.
    expect(await fs.exists("/db")).toBe(false);
    const db = await FuseDBClass.open({ dir: "/db", fs, clock });
    await db.close();
  });

  it("open from the package root: null options, a non-boolean syncReads", async () => {
    const fs = new SimFileSystem({ latency: false });
    const clock = new SimClock();
    await expectInvalid(() => open("/db", bad(null)));
    await expectInvalid(() => open("/db", bad("fsync")));
    await expectInvalid(() => open("/db", { fs, clock, syncReads: bad("yes") }));
    expect(await fs.exists("/db")).toBe(false);
    const db = await open("/db", { fs, clock });
    expect(db.durability).toBe("fsync");
    await db.close();
  });
});
