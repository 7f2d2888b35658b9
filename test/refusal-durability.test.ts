/**
 * A refusal decided on state that is not durable yet waits until that state is (the durability contract:
 * a crash never takes back what a caller saw). A version conflict names the version it found, WRONGTYPE
 * reveals a key's type: if either came from a record still waiting for its fdatasync, the caller must not
 * hear it before the record is durable — exactly as an answer that changes nothing already waits.
 */
import { describe, expect, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

async function fresh(): Promise<{ fs: TestDisk; db: FuseDB }> {
  const fs = new TestDisk();
  return { fs, db: await openMem(fs, {}) };
}

/** Whether `p` has settled (either way) after the microtasks and one macrotask turn have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("refusals wait for the records they may reveal", () => {
  it("a document write's version conflict waits for the pending version's fdatasync", async () => {
    const { fs, db } = await fresh();
    await db.set("k", 1);
    const hold = fs.holdSync();
    const pending = db.set("k", 2);
    await hold.entered;
    const refused = db.set("k", 3, { ifVersion: 1 });
    expect(await settled(refused)).toBe(false);
    hold.release();
    await pending;
    await expect(refused).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    await db.close();
  });

  it("a data-type write's version conflict and WRONGTYPE wait for the pending record", async () => {
    const { fs, db } = await fresh();
    await db.hashes.hset("h", { a: "1" });
    const hold = fs.holdSync();
    const pending = db.hashes.hset("h", { b: "2" });
    await hold.entered;
    const conflict = db.hashes.hset("h", { c: "3" }, { ifVersion: 1 });
    const wrongType = db.strings.incr("h");
    expect(await settled(conflict)).toBe(false);
    expect(await settled(wrongType)).toBe(false);
    hold.release();
    await pending;
    await expect(conflict).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    await expect(wrongType).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    await db.close();
  });

  it("a refusal with nothing pending is immediate", async () => {
    const { db } = await fresh();
    await db.set("k", 1);
    const refused = db.set("k", 3, { ifVersion: 7 });
    expect(await settled(refused)).toBe(true);
    await expect(refused).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    await db.close();
  });
});
