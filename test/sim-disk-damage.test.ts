/**
 * The simulated disk's damage list (DiskState.damagedFiles) for files the engine removes. Invariants checked:
 * - a damaged file stays listed under the path it was removed from, after the removal is durable (syncDir):
 *   the engine may report damage it read there after the name is gone (seed ci-372: a read of a retired
 *   segment failed on a flipped bit, and its rejection reached the campaign's verdict only after the merge
 *   deleted the segment, so the checker called detected damage a violation);
 * - damage done through a handle still open after the removal is listed under that path too;
 * - a new file taking the path ends this (its own damage state answers for the name); a crash ends it
 *   (no handle survives a crash);
 * - an undamaged removed file is never listed.
 * Deterministic (no seed).
 */
import { describe, expect, it } from "vitest";
import { DiskState } from "../sim/disk/disk-state.js";
import { faultPlannerOf, Prng, RandomCrashPlanner, SimFileSystem } from "../sim/index.js";

async function makeFile(fs: SimFileSystem, path: string): Promise<void> {
  const file = await fs.open(path, { create: true });
  await file.write(0, new Uint8Array(64).fill(7));
  await file.sync();
  await file.close();
  await fs.syncDir("/db");
}

describe("damaged files that are removed", () => {
  it("stay listed under the removed path until a new file takes it", async () => {
    const fs = new SimFileSystem({ latency: false });
    await fs.mkdir("/db");
    await makeFile(fs, "/db/seg-00000001.sst");
    await makeFile(fs, "/db/seg-00000002.sst");
    expect(fs.flipBit("/db/seg-00000001.sst", 10, 0x20)).toBe(true);
    await fs.remove("/db/seg-00000001.sst");
    await fs.remove("/db/seg-00000002.sst");
    await fs.syncDir("/db");
    expect([...fs.damagedFiles()]).toEqual([["/db/seg-00000001.sst", 10]]);

    // A new file under the same name is undamaged: errors naming it are not excused.
    await makeFile(fs, "/db/seg-00000001.sst");
    expect([...fs.damagedFiles()]).toEqual([]);
  });

  it("are forgotten by a crash", async () => {
    const fs = new SimFileSystem({ latency: false });
    await fs.mkdir("/db");
    await makeFile(fs, "/db/a");
    fs.flipBit("/db/a", 0, 1);
    await fs.remove("/db/a");
    await fs.syncDir("/db");
    expect(fs.damagedFiles().has("/db/a")).toBe(true);
    const image = fs.crash(faultPlannerOf(new RandomCrashPlanner(0), new Prng(0)));
    expect([...image.damagedFiles()]).toEqual([]);
  });

  it("list damage done through a handle still open after the removal", () => {
    const disk = new DiskState();
    disk.mkdir("/db");
    const id = disk.openFile("/db/seg-00000003.sst", true, true);
    disk.write(id, 0, new Uint8Array(32));
    disk.remove("/db/seg-00000003.sst");
    expect([...disk.damagedFiles()]).toEqual([]);
    disk.flipBit(id, 5, 0x80); // a read fault on the unlinked file
    disk.closeFile(id);
    expect([...disk.damagedFiles()]).toEqual([["/db/seg-00000003.sst", 5]]);
  });
});
