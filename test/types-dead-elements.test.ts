/**
 * Deleting a collection is O(1) and its elements go later (src/types/dead-elements.ts): DEL of a hash of
 * 20k fields writes one small record; the merges that meet the dead generation drop its elements, while a
 * live collection under the same key (a new generation) keeps every one of its own; a relaxed-mode delete
 * not yet durable never lets a merge drop anything (checked through the predicate's durable-LSN rule).
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Entry } from "../src/doc/entry.js";
import { deadElementCheck } from "../src/types/dead-elements.js";
import { elementPrefix, TAG } from "../src/types/encoding.js";
import { DIR } from "./helpers/open-mem.js";
import { segmentEntries, settle } from "./helpers/settle.js";
import { TestDisk } from "./helpers/sim-disk.js";

const FIELDS = 20_000;

async function fillHash(db: FuseDB, tag: string): Promise<void> {
  for (let i = 0; i < FIELDS; i += 1000) {
    const fields: [string, string][] = [];
    for (let j = i; j < i + 1000; j++) fields.push([`f${j}`, `${tag}${j}`]);
    await db.hashes.hset("h", fields);
  }
}

describe("dead collection generations", () => {
  it("DEL of a 20k-field hash is one small write; merges then drop the dead elements, never the live ones", async () => {
    const fs = new TestDisk();
    const db = await FuseDB.open({ dir: DIR, fs, clock: new SimClock(0), segmentsMax: 1 });
    await fillHash(db, "old");
    await settle(db);
    expect(await segmentEntries(fs)).toBeGreaterThanOrEqual(FIELDS);
    const before = db.stats().wal.bytesWritten;
    await db.delete("h");
    expect(db.stats().wal.bytesWritten - before).toBeLessThan(200);
    expect(await db.hashes.hlen("h")).toBe(0);
    await fillHash(db, "new");
    await settle(db);
    // The new generation's fields and its metadata; none of the old generation's.
    const entries = await segmentEntries(fs);
    expect(entries).toBeGreaterThanOrEqual(FIELDS + 1);
    expect(entries).toBeLessThan(FIELDS + 10);
    expect(await db.hashes.hlen("h")).toBe(FIELDS);
    expect((await db.hashes.hget("h", "f777"))?.toString()).toBe("new777");
    await db.close();
  }, 120_000);

  it("decides only on durable evidence: a newer metadata entry, an unknown one, or an expiry past the horizon keeps elements", () => {
    const meta = (g: number, lsn: number, expiresAtMs?: number): Entry => ({
      version: 1,
      value: { g, n: 1 },
      text: new Uint8Array([1]),
      lsn,
      type: "hash",
      ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    });
    const el = (g: number) => `${elementPrefix("h", g, TAG.hash)}f`;
    const check = (entry: Entry | undefined | "unknown", durableLsn = 10, horizonMs = 100) =>
      deadElementCheck(() => entry, durableLsn, horizonMs);
    expect(check(meta(7, 5))(el(7))).toBe(false);
    expect(check(meta(8, 5))(el(7))).toBe(true);
    expect(check(undefined)(el(7))).toBe(true);
    expect(check(meta(8, 11))(el(7))).toBe(false); // not durable yet
    expect(check("unknown")(el(7))).toBe(false);
    expect(check(meta(7, 5, 100))(el(7))).toBe(true); // expired at the horizon
    expect(check(meta(7, 5, 101))(el(7))).toBe(false);
    expect(check(meta(8, 5))("h")).toBe(false); // not an element
  });
});
