/**
 * The data-type examples (examples/session-hash.ts, examples/online-users.ts) on a virtual clock:
 * sessions expire after idling and a touch extends them; online users are the union of the recent minute
 * buckets, and old buckets expire.
 */
import { describe, expect, it } from "vitest";
import { heartbeat, onlineUsers } from "../examples/online-users.js";
import { readSession, touchSession } from "../examples/session-hash.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";

async function openOn(clock: SimClock): Promise<FuseDB> {
  return FuseDB.open({ dir: "db", fs: new SimFileSystem({ latency: false }), clock });
}

describe("data-type examples", () => {
  it("session hash with a sliding TTL", async () => {
    const clock = new SimClock();
    const db = await openOn(clock);
    await touchSession(db, "s1", { user: "alice", role: "admin" }, 1000);
    clock.advance(900);
    await touchSession(db, "s1", { lastPage: "/home" }, 1000);
    clock.advance(900);
    expect(await readSession(db, "s1")).toEqual({ user: "alice", role: "admin", lastPage: "/home" });
    clock.advance(100);
    expect(await readSession(db, "s1")).toBeUndefined();
    await db.close();
  });

  it("online users over minute buckets", async () => {
    const clock = new SimClock();
    const db = await openOn(clock);
    await heartbeat(db, "alice", clock.now(), 5);
    clock.advance(2 * 60_000);
    await heartbeat(db, "bob", clock.now(), 5);
    expect(await onlineUsers(db, clock.now(), 5)).toEqual(["alice", "bob"]);
    clock.advance(4 * 60_000);
    expect(await onlineUsers(db, clock.now(), 5)).toEqual(["bob"]);
    clock.advance(60 * 60_000);
    expect(await onlineUsers(db, clock.now(), 5)).toEqual([]);
    expect(await db.sets.scard(`online:0`)).toBe(0); // expired
    await db.close();
  });
});
