/**
 * Invariants (fsync-failure handling, errors.ts PoisonedError; Rebello et al., ATC'20):
 * - a failed WAL fdatasync (or write) rejects the pending write with FUSEDB_POISONED, and every write queued
 *   behind it and every later write (set, delete, patch, incr, batch, checkpoint) rejects the same way;
 * - a failed segment write poisons the same way whether an explicit checkpoint or a background flush made
 *   it (issue 12 item 10): the failing call gets FUSEDB_POISONED with the I/O error as its cause;
 * - the failed sync is never retried: the number of sync calls stops growing;
 * - reads keep serving the data that was durable before the failure, and never the failed write;
 * - a fresh handle over a copy of the bytes recovers everything acknowledged before the failure.
 */
import { describe, expect, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

async function writeAcknowledged(db: FuseDB): Promise<void> {
  await db.set("a", { n: 1 });
  await db.incr("counter", 5);
  await db.set("gone", true);
  await db.delete("gone");
  await db.batch([
    { op: "set", key: "b", value: [1, 2] },
    { op: "patch", key: "a", patch: { m: 2 } },
  ]);
}

async function expectAcknowledged(db: FuseDB): Promise<void> {
  expect(await db.get("a")).toEqual({ value: { n: 1, m: 2 }, version: 2 });
  expect(await db.get("counter")).toEqual({ value: 5, version: 1 });
  expect(await db.get("gone")).toBeUndefined();
  expect(await db.versionOf("gone")).toBe(2);
  expect(await db.get("b")).toEqual({ value: [1, 2], version: 1 });
}

describe("poisoning after a failed sync", () => {
  it("rejects the pending write and every later one, serves durable reads, never retries the sync", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await writeAcknowledged(db);

    let failures = 0;
    fs.faults.failSync = (path) => {
      if (!path.endsWith(".log")) return false;
      failures++;
      return true;
    };
    const syncsBefore = fs.syncCalls.length;
    await expectCode(db.set("a", "lost"), "FUSEDB_POISONED");
    expect(failures).toBe(1);
    const syncsAfterFailure = fs.syncCalls.length;
    expect(syncsAfterFailure).toBe(syncsBefore + 1);

    // Every kind of write rejects from now on, with the same stable code.
    await expectCode(db.set("c", 1), "FUSEDB_POISONED");
    await expectCode(db.delete("a"), "FUSEDB_POISONED");
    await expectCode(db.patch("a", { x: 1 }), "FUSEDB_POISONED");
    await expectCode(db.incr("counter"), "FUSEDB_POISONED");
    await expectCode(db.batch([{ op: "set", key: "d", value: 1 }]), "FUSEDB_POISONED");
    await expectCode(db.checkpoint(), "FUSEDB_POISONED");

    // No retry: the failed sync was the last one the WAL attempted.
    expect(fs.syncCalls.length).toBe(syncsAfterFailure);
    expect(failures).toBe(1);

    // Reads serve what was durable, never the failed write.
    await expectAcknowledged(db);
    expect((await db.scan()).map((e) => e.key)).toEqual(["a", "b", "counter"]);

    const image = fs.copy();
    await db.close();

    const reopened = await openMem(image);
    const a = await reopened.get("a");
    // The failed write was never acknowledged: recovery may or may not find it, but nothing else changed.
    if (a?.value === "lost") expect(a.version).toBe(3);
    else expect(a).toEqual({ value: { n: 1, m: 2 }, version: 2 });
    expect(await reopened.get("counter")).toEqual({ value: 5, version: 1 });
    expect(await reopened.get("b")).toEqual({ value: [1, 2], version: 1 });
    expect(await reopened.versionOf("gone")).toBe(2);
    expect(await reopened.get("c")).toBeUndefined();
    // The new handle is healthy.
    expect(await reopened.incr("counter")).toMatchObject({ value: 6, version: 2 });
    await reopened.close();
  });

  it("rejects the whole group in flight and everything queued behind it", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await writeAcknowledged(db);

    const hold = fs.holdSync();
    const inFlight = db.set("x", 1);
    await hold.entered;
    // Queued behind the sync that is about to fail.
    const queued = [db.set("y", 2), db.incr("counter"), db.batch([{ op: "delete", key: "a" }])];
    fs.faults.failSync = () => true;
    hold.release();
    const results = await Promise.allSettled([inFlight, ...queued]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "FUSEDB_POISONED" });
    }
    const syncs = fs.syncCalls.length;
    await expectCode(db.set("z", 3), "FUSEDB_POISONED");
    expect(fs.syncCalls.length).toBe(syncs);

    await expectAcknowledged(db);
    expect(await db.get("x")).toBeUndefined();
    expect(await db.get("y")).toBeUndefined();

    const image = fs.copy();
    await db.close();
    const reopened = await openMem(image);
    expect(await reopened.get("counter")).toMatchObject({ value: 5 });
    expect(await reopened.get("b")).toEqual({ value: [1, 2], version: 1 });
    expect(await reopened.get("z")).toBeUndefined();
    await reopened.close();
  });

  it("a failed WAL write poisons the same way, and is not retried either", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await writeAcknowledged(db);
    const writesBefore = fs.writeCalls.length;
    fs.faults.failWrite = (path) => path.endsWith(".log");
    await expectCode(db.set("a", "lost"), "FUSEDB_POISONED");
    await expectCode(db.incr("counter"), "FUSEDB_POISONED");
    expect(fs.writeCalls.length).toBe(writesBefore + 1);
    await expectAcknowledged(db);

    const image = fs.copy();
    await db.close();
    const reopened = await openMem(image);
    await expectAcknowledged(reopened);
    expect(reopened.recovery.tornTail).toBeUndefined();
    await reopened.close();
  });

  it("a failed MANIFEST sync during checkpoint poisons; a reopen recovers everything acknowledged", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await writeAcknowledged(db);
    fs.faults.failSync = (path) => path.endsWith("MANIFEST");
    await expectCode(db.checkpoint(), "FUSEDB_POISONED");
    await expectCode(db.set("c", 1), "FUSEDB_POISONED");
    await expectAcknowledged(db);
    const image = fs.copy();
    await db.close();
    const reopened = await openMem(image);
    await expectAcknowledged(reopened);
    expect(await reopened.checkpoint()).toMatchObject({ lsn: 5 });
    await reopened.close();
  });

  for (const where of ["an explicit checkpoint", "a background flush"] as const) {
    it(`a failed segment write in ${where} poisons: later writes reject, reads serve, a reopen recovers`, async () => {
      const fs = new TestDisk();
      const db = await openMem(fs, { leafBufferBytes: 4096 });
      await writeAcknowledged(db);
      fs.faults.failSync = (path) => path.endsWith(".sst.tmp");
      let failure: unknown;
      if (where === "an explicit checkpoint") {
        failure = await db.checkpoint().then(
          () => undefined,
          (err: unknown) => err,
        );
      } else {
        // Fills the leaf's buffer past leafBufferBytes: a background flush starts, and fails. Bounded: 200 writes.
        for (let i = 0; i < 200 && failure === undefined; i++) {
          failure = await db.set(`fill-${i}`, "x".repeat(100)).then(
            () => undefined,
            (err: unknown) => err,
          );
        }
      }
      expect(failure).toMatchObject({ code: "FUSEDB_POISONED", cause: { code: "EIO" } });
      await expectCode(db.set("c", 1), "FUSEDB_POISONED");
      await expectCode(db.incr("counter"), "FUSEDB_POISONED");
      await expectCode(db.checkpoint(), "FUSEDB_POISONED");
      await expectAcknowledged(db);
      const image = fs.copy();
      await db.close();
      const reopened = await openMem(image);
      await expectAcknowledged(reopened);
      expect(await reopened.get("c")).toBeUndefined();
      expect(await reopened.incr("counter")).toMatchObject({ value: 6, version: 2 });
      expect(await reopened.checkpoint()).toMatchObject({ lsn: expect.any(Number) });
      await reopened.close();
    });
  }
});
