/**
 * Invariants on the real disk (NodeFileSystem via `open`): the same scenario that the in-memory tests cover
 * gives the same answers on node:fs — set, patch, incr, delete and batch results and versions; a checkpoint
 * leaves one segment, MANIFEST and only the WAL suffix; a reopen recovers exactly the acknowledged state,
 * with no torn tail after a clean close; segment reads agree whether they are synchronous (the default) or
 * go through the thread pool.
 */
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FuseDB } from "../src/index.js";
import { open } from "../src/index.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fusedb-disk-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectState(db: FuseDB): Promise<void> {
  expect(await db.get("user:1")).toEqual({ value: { name: "Ada", tags: ["x"], visits: 2 }, version: 3 });
  expect(await db.get("hits")).toEqual({ value: 12, version: 3 });
  expect(await db.get("tmp")).toBeUndefined();
  expect(await db.versionOf("tmp")).toBe(2);
  expect(await db.get("a")).toEqual({ value: "A", version: 1 });
  expect(await db.get("b")).toEqual({ value: 2, version: 2 });
  expect((await db.scan()).map((e) => e.key)).toEqual(["a", "b", "hits", "late", "user:1"]);
  expect(await db.scan({ gte: "b", lt: "late", reverse: true })).toMatchObject([
    { key: "hits" },
    { key: "b" },
  ]);
  expect(await db.get("late")).toEqual({ value: { after: "checkpoint" }, version: 1 });
}

describe("real disk", () => {
  it("set/patch/incr/delete/batch, checkpoint, reopen", async () => {
    const db = await open(dir, { walFileBytesMax: 256 });
    expect(await db.set("user:1", { name: "Ada", visits: 1 })).toMatchObject({ version: 1 });
    expect(await db.patch("user:1", { visits: 2, tags: ["x"] })).toMatchObject({ version: 2 });
    expect(await db.incr("hits", 10)).toMatchObject({ value: 10, version: 1 });
    await Promise.all([db.incr("hits"), db.incr("hits")]);
    await db.set("tmp", true);
    expect(await db.delete("tmp")).toMatchObject({ version: 2 });
    const batch = await db.batch([
      { op: "set", key: "a", value: "A" },
      { op: "incr", key: "b" },
      { op: "incr", key: "b" },
      { op: "patch", key: "user:1", patch: { name: "Ada" } },
    ]);
    expect(batch.results.map((r) => r.version)).toEqual([1, 1, 2, 3]);
    const { lsn } = await db.checkpoint();
    expect(lsn).toBe(db.stats().durableLsn);
    await db.set("late", { after: "checkpoint" });
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => n.endsWith(".sst"))).toEqual(["seg-00000001.sst"]);
    expect(names).toContain("MANIFEST");
    expect(names).toContain("LOCK");
    expect(names.filter((n) => n.endsWith(".log"))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    await expectState(db);
    await db.close();

    const again = await open(dir);
    expect(again.recovery).toMatchObject({ checkpointLsn: lsn, replayedRecords: 1, lastLsn: lsn + 1 });
    expect(again.recovery.tornTail).toBeUndefined();
    await expectState(again);
    await again.close();
  });

  it.each([true, false])(
    "serves the leaf tree from the real disk (syncReads %s: pread on the loop or the thread pool), across a reopen",
    async (syncReads) => {
      const knobs = {
        leafBufferBytes: 4096,
        leafBytesMax: 16 * 1024,
        blockCacheBytes: 8192,
        rowCacheBytes: 4096,
        syncReads,
      };
      const db = await open(dir, knobs);
      for (let i = 0; i < 600; i++)
        await db.set(`k${String(i).padStart(4, "0")}`, { i, pad: "p".repeat(100) });
      await db.checkpoint();
      expect(db.stats().tree.leaves).toBeGreaterThan(1);
      expect((await db.get("k0123"))?.value).toMatchObject({ i: 123 });
      await db.close();
      const reopened = await open(dir, knobs);
      for (let i = 0; i < 600; i += 7) {
        expect((await reopened.get(`k${String(i).padStart(4, "0")}`))?.value).toMatchObject({ i });
      }
      expect((await reopened.scan({ gte: "k0590", limit: 100 })).map((e) => e.key)).toHaveLength(10);
      expect(reopened.stats().tree.cache.misses).toBeGreaterThan(0);
      await reopened.close();
    },
  );
});
