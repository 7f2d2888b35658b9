/**
 * TypesRunner.readNow, the RESP server's path for typed reads (GET, HGET, ...): the answer synchronously
 * (no promise) when memory holds the keys read and the answer depends on no time above the durable clock
 * floor; else the promise of `read`, with the same answer. Pins issue 15's read path without an async frame.
 */
import { describe, expect, it } from "vitest";
import { FuseDB } from "../src/db.js";
import * as ops from "../src/types/string-ops.js";
import { ManualClock } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const T0 = 1_700_000_000_000;

async function open(clock: ManualClock) {
  const db = await FuseDB.open({ dir: "/db", fs: new TestDisk(), clock });
  return db;
}

describe("TypesRunner.readNow", () => {
  it("answers a read of keys in memory synchronously, as read does", async () => {
    const db = await open(new ManualClock(T0));
    try {
      const k = db.types.key("k");
      await db.types.write((tx) => ops.set(tx, k, "v1", {}));
      const now = db.types.readNow((tx) => ops.get(tx, k));
      expect(now).not.toBeInstanceOf(Promise);
      expect(now).toBe("v1");
      expect(await db.types.read((tx) => ops.get(tx, k))).toBe(now);
      const absent = db.types.readNow((tx) => ops.get(tx, db.types.key("nope")));
      expect(absent).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it("waits, as read does, when the answer depends on a time above the durable clock floor", async () => {
    const clock = new ManualClock(T0);
    const db = await open(clock);
    try {
      const k = db.types.key("k");
      await db.types.write((tx) => ops.set(tx, k, "v", { expiry: { unit: "px", amount: "1000" } }));
      clock.advance(2000); // expired now, at a time no durable record carries yet
      const answer = db.types.readNow((tx) => ops.get(tx, k));
      expect(answer).toBeInstanceOf(Promise);
      expect(await answer).toBeUndefined();
      // That time is durable now: the same read answers synchronously.
      expect(db.types.readNow((tx) => ops.get(tx, k))).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it("throws synchronously what the operation throws", async () => {
    const db = await open(new ManualClock(T0));
    try {
      expect(() =>
        db.types.readNow(() => {
          throw new Error("boom");
        }),
      ).toThrow("boom");
    } finally {
      await db.close();
    }
  });
});
