/**
 * Snapshots against a model, randomized (seed printed; FUSEDB_TEST_SEED replays). Random sets, deletes,
 * increments and batches over a small key space, with small leaf buffers so flushes and merges run
 * in between, and checkpoints; snapshots are taken at random points with a copy of the model then, and
 * checked later (after more writes) with point reads and scans of random bounds, limits and direction.
 * Invariant: a snapshot answers exactly what the database held when it was taken (it never observes a
 * later write), however much was written, flushed or merged since; and once every snapshot is closed
 * nothing is held.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import type { Snapshot } from "../src/tx/snapshot.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

const KEYS = Array.from({ length: 24 }, (_, i) => `k${String(i).padStart(2, "0")}`);

describe("snapshots against a model", () => {
  it("answer what the database held when taken, across flushes, merges and checkpoints", async () => {
    const seed = testSeed("snapshot-model");
    const prng = new Prng(seed);
    const db = await openMem(new TestDisk(), { leafBufferBytes: 2048, leafBytesMax: 8192, segmentsMax: 2 });
    const model = new Map<string, number | string>();
    const live: { snap: Snapshot; at: Map<string, number | string> }[] = [];
    let checks = 0;
    for (let step = 0; step < 600; step++) {
      const k = prng.pick(KEYS);
      const r = prng.next();
      if (r < 0.35) {
        const v = `v${step}-${"x".repeat(prng.int(200))}`;
        await db.set(k, v);
        model.set(k, v);
      } else if (r < 0.5) {
        await db.delete(k);
        model.delete(k);
      } else if (r < 0.65 && typeof (model.get(k) ?? 0) === "number") {
        await db.incr(k, 1 + prng.int(5));
        model.set(k, (await db.get(k))?.value as number);
      } else if (r < 0.72) {
        const a = prng.pick(KEYS);
        const b = prng.pick(KEYS);
        await db.batch([
          { op: "set", key: a, value: `b${step}` },
          { op: "delete", key: b },
        ]);
        model.set(a, `b${step}`);
        if (b !== a) model.delete(b);
        else model.delete(a);
      } else if (r < 0.74) {
        await db.checkpoint();
      } else if (r < 0.8 && live.length < 6) {
        live.push({ snap: db.snapshot(), at: new Map(model) });
      } else if (r < 0.83 && live.length > 0) {
        const i = prng.int(live.length);
        await live[i]?.snap.close();
        live.splice(i, 1);
      } else if (live.length > 0) {
        const { snap, at } = prng.pick(live);
        const key = prng.pick(KEYS);
        expect((await snap.get(key))?.value, `step ${step} get ${key}`).toEqual(at.get(key));
        const lo = prng.pick(KEYS);
        const hi = prng.pick(KEYS);
        const limit = 1 + prng.int(10);
        const reverse = prng.bool();
        const want = [...at.keys()]
          .filter((x) => x >= lo && x < hi)
          .sort()
          .map((x) => [x, at.get(x)]);
        if (reverse) want.reverse();
        const got = (await snap.scan({ gte: lo, lt: hi, limit, reverse })).map((e) => [e.key, e.value]);
        expect(got, `step ${step} scan [${lo}, ${hi}) limit ${limit}${reverse ? " reverse" : ""}`).toEqual(
          want.slice(0, limit),
        );
        checks++;
      }
    }
    expect(checks).toBeGreaterThan(50);
    expect(db.stats().segmentBytes).toBeGreaterThan(0); // flushes and merges ran under the snapshots
    for (const { snap } of live) await snap.close();
    expect(db.stats().snapshots).toMatchObject({ live: 0, versions: 0, historyRecords: 0, bytes: 0 });
    await db.close();
  });
});
