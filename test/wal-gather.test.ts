/**
 * Group gathering in the WAL writer (src/wal/wal-writer.ts): with the clock's `yield` (here a real event
 * loop turn over a virtual clock), a group waits for the turn that queued its first record to end and for
 * the turns that keep adding records (at most GATHER_TURNS_MAX more), so writes arriving a moment apart —
 * the next commands of callers just acknowledged — share one fdatasync; a writer adding a record every turn
 * still sees its group committed after a bounded number of turns.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { Clock } from "../src/io/clock.js";
import { GATHER_TURNS_MAX } from "../src/wal/wal-writer.js";
import { DIR } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** One turn of the real event loop (its check phase). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A virtual clock at 0 whose `yield` is a real event-loop turn, as the system clock's is. */
function turnClock(): Clock {
  const sim = new SimClock(0);
  return {
    now: () => sim.now(),
    sleep: (ms) => sim.sleep(ms),
    timer: (ms, fire) => sim.timer(ms, fire),
    yield: turn,
  };
}

async function openTurns(): Promise<FuseDB> {
  return FuseDB.open({ dir: DIR, fs: new TestDisk(), clock: turnClock() });
}

describe("WAL group gathering", () => {
  it("a write made one turn after another joins its group", async () => {
    const db = await openTurns();
    const before = db.stats().wal.groups;
    const first = db.set("a", 1);
    await turn();
    const second = db.set("b", 2);
    await Promise.all([first, second]);
    expect(db.stats().wal.groups - before).toBe(1);
    expect(db.stats().wal.records).toBe(2);
    await db.close();
  });

  it("writes of one turn share a group", async () => {
    const db = await openTurns();
    const before = db.stats().wal.groups;
    await Promise.all([db.set("a", 1), db.set("b", 2), db.set("c", 3)]);
    expect(db.stats().wal.groups - before).toBe(1);
    await db.close();
  });

  it("a writer adding a record every turn does not hold a group back for more than the bound", async () => {
    const db = await openTurns();
    let firstDoneAtTurn: number | undefined;
    let turns = 0;
    const first = db.set("k0", 0).then(() => {
      firstDoneAtTurn = turns;
    });
    const rest: Promise<unknown>[] = [];
    for (let i = 1; i <= 4 * GATHER_TURNS_MAX; i++) {
      await turn();
      turns++;
      rest.push(db.set(`k${i}`, i));
    }
    await Promise.all([first, ...rest]);
    expect(firstDoneAtTurn).toBeDefined();
    expect(firstDoneAtTurn as number).toBeLessThanOrEqual(GATHER_TURNS_MAX + 2);
    expect(db.stats().wal.groups).toBeGreaterThan(1);
    await db.close();
  });
});
