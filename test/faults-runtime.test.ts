/**
 * Runtime faults (faults/runtime-faults.ts, applied by the wrapper of faults/faulty-file-system.ts) against
 * the engine. Invariants: the wrapper applies each answer of its planner (a failed write lands exactly its
 * prefix, a misdirected one lands elsewhere, a read fails or sees a flip that stays, a sync or directory sync
 * fails and makes nothing durable) and changes the disk below only by what lands; a failed WAL write (EIO,
 * ENOSPC, short write) or fsync rejects the mutation, poisons the database, and loses no earlier
 * acknowledged write: a reopen recovers all of them; a flipped bit in durable segment data is reported as a
 * CorruptionError or not read at all, never returned as a wrong value.
 */
import { describe, expect, it } from "vitest";
import { FaultyFileSystem } from "../faults/faulty-file-system.js";
import { RUNTIME_FAULTS_NONE, type RuntimeFaultPlan, RuntimeFaultPlanner } from "../faults/runtime-faults.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";
import { ScriptedPlanner } from "./helpers/scripted-planner.js";

const NONE = RUNTIME_FAULTS_NONE;

async function fresh(plan: RuntimeFaultPlan, seed: string) {
  const clock = new SimClock();
  const disk = new SimFileSystem({ latency: false });
  const planner = new RuntimeFaultPlanner(plan, new Prng(seed));
  const faulty = new FaultyFileSystem(disk, planner);
  planner.enabled = false;
  const db = await FuseDB.open({ dir: "/db", fs: faulty, clock, walFileBytesMax: 2048 });
  return { clock, disk, planner, db };
}

const text = (data: Uint8Array | undefined): string => new TextDecoder().decode(data);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("the fault wrapper", () => {
  it("applies the planner's answer to each operation, and changes nothing below but what lands", async () => {
    const disk = new SimFileSystem({ latency: false });
    const plan = new ScriptedPlanner();
    const fs = new FaultyFileSystem(disk, plan);
    const f = await fs.open("/f", { create: true });
    plan.writes.push({ kind: "fail", code: "ENOSPC", landedBytes: 2 });
    await expect(f.write(0, bytes("abcd"))).rejects.toMatchObject({ code: "ENOSPC" });
    expect(text(disk.readLive("/f"))).toBe("ab");
    plan.writes.push({ kind: "misdirect", offset: 4 });
    await f.write(0, bytes("wxyz"));
    expect(text(disk.readLive("/f"))).toBe("ab\0\0wxyz");
    plan.reads.push({ kind: "eio" });
    await expect(f.read(0, 8)).rejects.toMatchObject({ code: "EIO" });
    plan.reads.push({ kind: "flip", offset: 5, mask: 2 });
    expect(text(await f.read(4, 4))).toBe("wzyz");
    expect(text(await f.read(0, 8))).toBe("ab\0\0wzyz"); // the flip stays
    expect(text(disk.readLive("/f"))).toBe("ab\0\0wxyz"); // in the wrapper only
    plan.syncs.push(true);
    await expect(f.sync()).rejects.toMatchObject({ code: "EIO" });
    expect(disk.durableSnapshot().get("/f")).toBeUndefined();
    plan.dirSyncs.push(true);
    await expect(fs.syncDir("/")).rejects.toMatchObject({ code: "EIO" });
    expect(disk.durableSnapshot().size).toBe(0);
    await f.sync();
    await fs.syncDir("/");
    expect(text(disk.durableSnapshot().get("/f"))).toBe("ab\0\0wxyz");
    fs.flip("/f", 0, 1);
    expect(text(await f.read(0, 2))).toBe("`b");
    fs.flip("/f", 0, 1); // flips compose: the byte reads right again
    expect(text(await f.read(0, 2))).toBe("ab");
    expect(plan.writes.length + plan.reads.length + plan.syncs.length + plan.dirSyncs.length).toBe(0);
  });
});

describe("runtime faults", () => {
  for (const [what, plan] of [
    ["write ENOSPC", { ...NONE, writeEnospcProbability: 0.05 }],
    ["write EIO", { ...NONE, writeEioProbability: 0.05 }],
    ["fsync EIO", { ...NONE, syncEioProbability: 0.05 }],
  ] as const) {
    it(`${what}: the failed mutation is rejected, acknowledged ones survive a reopen`, async () => {
      let poisonedSeeds = 0;
      for (let s = 0; s < 20; s++) {
        const seed = `${what}-${s}`;
        const { clock, disk, planner, db } = await fresh(plan, seed);
        planner.enabled = true;
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
          poisonedSeeds++;
          // Poisoned for good: nothing after the first failure was acknowledged.
          await expect(db.incr("k0"), seed).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
        }
        planner.enabled = false;
        const again = await FuseDB.open({ dir: "/db", fs: disk.clone(), clock });
        for (const [key, value] of acked) {
          const got = await again.get(key);
          expect(got?.value, `${seed}: ${key}`).toBeGreaterThanOrEqual(value);
          expect(got?.value, `${seed}: ${key} has no double increments`).toBe(got?.version);
        }
      }
      // The faults struck: the check above is not vacuous.
      expect(poisonedSeeds).toBeGreaterThan(0);
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
        new RuntimeFaultPlanner(
          { ...NONE, readBitFlipProbability: 0.3, target: (p) => p.endsWith(".sst") },
          new Prng(seed),
        ),
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
