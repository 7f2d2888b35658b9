/**
 * Explicit transactions, `db.begin()` (src/tx/run.ts beginTransaction, src/tx/transaction.ts). Invariants:
 * - commit writes the transaction's writes as one record; rollback writes nothing; both release the pin
 *   (`db.stats().snapshots.live` back to 0), and so does a failed commit;
 * - the handle sees its snapshot plus its own writes; others see nothing before commit;
 * - a conflict at commit rejects with FUSEDB_TX_CONFLICT (attempts 1), nothing written, no rerun;
 * - savepoints work on the explicit handle as on the callback one;
 * - commit/rollback are refused on `db.transaction`'s handle, and `retries` on `db.begin`;
 * - `await using` rolls back an uncommitted transaction.
 */
import { describe, expect, it } from "vitest";
import { TxConflictError } from "../src/errors.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

describe("db.begin", () => {
  it("commits as one record, sees its own writes, hides them from others until then", async () => {
    const db = await openMem(new TestDisk());
    const sub = db.subscribe({ prefix: "" });
    await db.set("a", 1);
    const tx = db.begin();
    expect(db.stats().snapshots.live).toBe(1);
    await tx.set("a", 2);
    await tx.set("b", "x");
    expect((await tx.get("a"))?.value).toBe(2);
    expect((await db.get("a"))?.value).toBe(1);
    expect(await db.get("b")).toBeUndefined();
    await tx.commit();
    expect(tx.done).toBe(true);
    expect((await db.get("a"))?.value).toBe(2);
    expect((await db.get("b"))?.value).toBe("x");
    const events = sub[Symbol.asyncIterator]();
    const first = (await events.next()).value; // the plain set before BEGIN
    const e1 = (await events.next()).value;
    const e2 = (await events.next()).value;
    expect([first.key, e1.key, e2.key]).toEqual(["a", "a", "b"]);
    expect(e1.lsn).toBe(e2.lsn); // one record
    expect(e1.lsn).toBeGreaterThan(first.lsn);
    await sub.return();
    expect(db.stats().snapshots.live).toBe(0);
    expect(db.stats().snapshots.txCommitted).toBe(1);
    await expect(tx.get("a")).rejects.toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
    await expect(tx.commit()).rejects.toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
    await db.close();
  });

  it("rolls back: nothing written, pin released, idempotent", async () => {
    const db = await openMem(new TestDisk());
    const tx = db.begin({ isolation: "serializable" });
    expect(tx.isolation).toBe("serializable");
    await tx.set("k", 1);
    await tx.rollback();
    await tx.rollback();
    expect(await db.get("k")).toBeUndefined();
    expect(db.stats().snapshots.live).toBe(0);
    await db.close();
  });

  it("a conflict at commit rejects with FUSEDB_TX_CONFLICT, writes nothing, releases the pin", async () => {
    const db = await openMem(new TestDisk());
    await db.set("k", 0);
    const t1 = db.begin();
    const t2 = db.begin();
    await t1.set("k", 1);
    await t1.set("other", 1);
    await t2.set("k", 2);
    await t2.commit();
    const err = await t1.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TxConflictError);
    expect(err).toMatchObject({ code: "FUSEDB_TX_CONFLICT", attempts: 1, key: "k" });
    expect((await db.get("k"))?.value).toBe(2);
    expect(await db.get("other")).toBeUndefined();
    expect(db.stats().snapshots.live).toBe(0);
    expect(db.stats().snapshots.txConflicts).toBe(1);
    await db.close();
  });

  it("savepoints on the explicit handle", async () => {
    const db = await openMem(new TestDisk());
    const tx = db.begin();
    await tx.set("a", 1);
    tx.savepoint("s");
    await tx.set("b", 1);
    tx.rollbackTo("s");
    await tx.set("c", 1);
    await tx.commit();
    expect((await db.get("a"))?.value).toBe(1);
    expect(await db.get("b")).toBeUndefined();
    expect((await db.get("c"))?.value).toBe(1);
    await db.close();
  });

  it("await using rolls back; commit/rollback refused on the callback handle; retries refused", async () => {
    const db = await openMem(new TestDisk());
    {
      await using tx = db.begin();
      await tx.set("gone", 1);
    }
    expect(await db.get("gone")).toBeUndefined();
    expect(db.stats().snapshots.live).toBe(0);
    await expect(db.transaction((tx) => tx.commit())).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    await expect(db.transaction((tx) => tx.rollback())).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    expect(() => db.begin({ retries: 3 })).toThrow(/no retries/);
    expect(() => db.begin({ isolation: "bogus" as "snapshot" })).toThrow(/isolation/);
    expect(db.begin({ retries: 0 }).isolation).toBe("snapshot");
    await db.close();
  });
});
