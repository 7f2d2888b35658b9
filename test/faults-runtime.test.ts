/**
 * Runtime faults (faults/runtime-faults.ts) against the engine. Invariants: a failed WAL write (EIO,
 * ENOSPC, short write) or fsync rejects the mutation, poisons the database, and loses no earlier
 * acknowledged write: a reopen recovers all of them; a flipped bit in durable segment data is reported as a
 * CorruptionError or not read at all, never returned as a wrong value.
 */
import { describe, expect, it } from "vitest";
import { FaultyFileSystem, RUNTIME_FAULTS_NONE, type RuntimeFaultPlan } from "../faults/runtime-faults.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";

const NONE = RUNTIME_FAULTS_NONE;

async function fresh(plan: RuntimeFaultPlan, seed: string) {
  const clock = new SimClock();
  const disk = new SimFileSystem({ latency: false });
  const faulty = new FaultyFileSystem(disk, plan, new Prng(seed));
  faulty.enabled = false;
  const db = await FuseDB.open({ dir: "/db", fs: faulty, clock, walFileBytesMax: 2048 });
  return { clock, disk, faulty, db };
}

describe("runtime faults", () => {
  for (const [what, plan] of [
    ["write ENOSPC", { ...NONE, writeEnospc: 0.05 }],
    ["write EIO", { ...NONE, writeEio: 0.05 }],
    ["fsync EIO", { ...NONE, syncEio: 0.05 }],
  ] as const) {
    it(`${what}: the failed mutation is rejected, acknowledged ones survive a reopen`, async () => {
      for (let s = 0; s < 20; s++) {
        const seed = `${what}-${s}`;
        const { clock, disk, faulty, db } = await fresh(plan, seed);
        faulty.enabled = true;
        const acked = new Map<string, number>();
        let rejected = 0;
        for (let i = 0; i < 200; i++) {
          const key = `k${i % 7}`;
          try {
            const r = await db.incr(key);
            acked.set(key, r.value as number);
          } catch (err) {
            expect((err as { code?: string }).code, seed).toBe("FUSEDB_POISONED");
            rejected++;
          }
        }
        if (rejected > 0) {
          // Poisoned for good: nothing after the first failure was acknowledged.
          await expect(db.incr("k0"), seed).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
        }
        faulty.enabled = false;
        const again = await FuseDB.open({ dir: "/db", fs: disk.clone(), clock });
        for (const [key, value] of acked) {
          const got = await again.get(key);
          expect(got?.value, `${seed}: ${key}`).toBeGreaterThanOrEqual(value);
          expect(got?.value, `${seed}: ${key} has no double increments`).toBe(got?.version);
        }
      }
    });
  }

  it("a flipped bit in a segment is reported as corruption, never returned as a value", async () => {
    let corruptions = 0;
    for (let s = 0; s < 20; s++) {
      const seed = `flip-${s}`;
      const { clock, disk, db } = await fresh(NONE, seed);
      for (let i = 0; i < 300; i++) await db.set(`key-${i}`, { i, pad: "x".repeat(i % 40) });
      await db.checkpoint();
      await db.close();
      const faulty = new FaultyFileSystem(
        disk,
        { ...NONE, readBitFlip: 0.3, target: (p) => p.endsWith(".sst") },
        new Prng(seed),
      );
      let reopened: FuseDB;
      try {
        reopened = await FuseDB.open({ dir: "/db", fs: faulty, clock, blockCacheBytes: 1 });
      } catch (err) {
        expect((err as { code?: string }).code, seed).toBe("FUSEDB_CORRUPTION");
        corruptions++;
        continue;
      }
      for (let i = 0; i < 300; i++) {
        try {
          const got = await reopened.get(`key-${i}`);
          expect(got?.value, seed).toEqual({ i, pad: "x".repeat(i % 40) });
        } catch (err) {
          expect((err as { code?: string }).code, seed).toBe("FUSEDB_CORRUPTION");
          corruptions++;
        }
      }
    }
    expect(corruptions).toBeGreaterThan(0);
  });
});
