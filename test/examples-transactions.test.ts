/**
 * The transaction examples (examples/bank-transfer.ts, examples/inventory-reservation.ts), run against a
 * simulated disk in mode 'fsync'. Invariants: concurrent transfers between a few accounts never change the
 * total (checked from a snapshot while transfers are in flight, and at the end) and never overdraw;
 * concurrent orders never oversell (stock left + units reserved = stock at the start, no stock below 0),
 * and optional extras are taken only when in stock, without giving up the main items.
 */
import { describe, expect, it } from "vitest";
import { audit, openAccounts, transfer } from "../examples/bank-transfer.js";
import { reserve, reservedUnits, restock } from "../examples/inventory-reservation.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";
import { testSeed } from "./helpers/seed.js";

function openDb(): Promise<FuseDB> {
  return FuseDB.open({ dir: "db", fs: new SimFileSystem({ latency: false }), clock: new SimClock() });
}

describe("transaction examples", () => {
  it("bank transfers: concurrent transfers with retries keep the total", async () => {
    const prng = new Prng(testSeed("bank-transfer"));
    const db = await openDb();
    await openAccounts(db, 5, 100);
    const transfers = Array.from({ length: 40 }, () => {
      const from = prng.int(5);
      const to = (from + 1 + prng.int(4)) % 5;
      return transfer(db, from, to, 1 + prng.int(60), 200);
    });
    const midway = audit(db); // a snapshot while transfers commit
    const done = await Promise.all(transfers);
    expect(await midway).toBe(500);
    expect(await audit(db)).toBe(500);
    expect(done.some(Boolean)).toBe(true);
    for (const e of await db.scan({ gte: "acct:", lt: "acct;" }))
      expect(e.value as number).toBeGreaterThanOrEqual(0);
    expect(db.stats().snapshots.txConflicts).toBeGreaterThan(0); // they did contend
    await db.close();
  });

  it("inventory reservation: concurrent orders never oversell; extras only when in stock", async () => {
    const db = await openDb();
    await restock(db, { widget: 10, gadget: 4, ribbon: 5, bow: 1 });
    const orders = Array.from({ length: 12 }, (_, i) =>
      reserve(db, { id: `o${i}`, items: { widget: 1, gadget: i % 2 }, extras: { ribbon: 1, bow: 1 } }),
    );
    const results = await Promise.all(orders);
    const stock = Object.fromEntries(
      (await db.scan({ gte: "stock:", lt: "stock;" })).map((e) => [e.key.slice(6), e.value as number]),
    ) as Record<"widget" | "gadget" | "ribbon" | "bow", number>;
    const reserved = await reservedUnits(db);
    expect(stock.widget + (reserved.widget ?? 0)).toBe(10);
    expect(stock.gadget + (reserved.gadget ?? 0)).toBe(4);
    expect(stock.bow + (reserved.bow ?? 0)).toBe(1);
    expect(stock.ribbon + (reserved.ribbon ?? 0)).toBe(5);
    expect(reserved.ribbon).toBe(1); // ribbons taken with a bow only: the others were given back
    for (const n of Object.values(stock)) expect(n).toBeGreaterThanOrEqual(0);
    expect(reserved.gadget).toBe(4); // the gadget orders ran out: 4 of the 6 got one
    expect(results.filter((r) => r === undefined)).toHaveLength(2);
    expect(results.filter((r) => r?.bow === 1)).toHaveLength(1);
    await db.close();
  });
});
