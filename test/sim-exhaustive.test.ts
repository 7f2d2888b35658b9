/**
 * Exhaustive mode (sim/exhaustive.ts). Invariants checked: for small workloads crashed after every
 * state-changing I/O step, under every allowed outcome of the pending writes (kept, dropped, torn at each
 * sector boundary, half a sector, junk in the grown region) and directory changes (kept or lost), recovery
 * keeps every acknowledged mutation, gives the state after one prefix of the commit order, and a second
 * recovery after a crash right after the first agrees. The enumeration itself visits every outcome exactly
 * once, and the mode can fail: an engine that acknowledges before fdatasync is caught.
 */
import { describe, expect, it } from "vitest";
import { ChoicePlanner, nextChoices, writeOutcomes } from "../faults/outcome-enumerator.js";
import { BROKEN_VARIANTS } from "../sim/broken-variants.js";
import type { PendingWrite } from "../sim/disk/crash-planner.js";
import { runExhaustive } from "../sim/exhaustive.js";
import type { ExhaustiveWorkload } from "../sim/exhaustive-workloads.js";
import { fixedWorkloads, seededWorkload } from "../sim/exhaustive-workloads.js";

const SEED = process.env.FUSEDB_EXHAUSTIVE_SEED ?? "ci";

function pendingWrite(offset: number, bytes: number, durableSizeBytes: number): PendingWrite {
  return { inodeId: 1, path: "/f", offset, data: new Uint8Array(bytes).fill(7), durableSizeBytes };
}

describe("outcome enumeration", () => {
  it("lists keep, drop, each sector-boundary tear, half sectors and junk-filled growth", () => {
    const w = pendingWrite(100, 1000, 100); // sectors: [100,512) [512,1024) [1024,1100)
    const weak = writeOutcomes(w, { sectorBytes: 512, atomicSectorWrites: false, safeAppend: false });
    // 2 whole + 2 tears + 3 half sectors + 3 prefixes x 2 fills
    expect(weak.length).toBe(2 + 2 + 3 + 6);
    const strong = writeOutcomes(w, { sectorBytes: 512, atomicSectorWrites: true, safeAppend: true });
    expect(strong.map((o) => o.label.split(": ")[1])).toEqual([
      "kept",
      "dropped",
      "first 1/3 sectors",
      "first 2/3 sectors",
    ]);
    // An overwrite of durable bytes never exposes junk.
    const over = writeOutcomes(pendingWrite(0, 1024, 4096), {
      sectorBytes: 512,
      atomicSectorWrites: true,
      safeAppend: false,
    });
    expect(over.length).toBe(3);
  });

  it("visits every path of the decision tree exactly once, in odometer order", () => {
    const device = { sectorBytes: 512, atomicSectorWrites: true, safeAppend: true } as const;
    const seen = new Set<string>();
    let prefix: number[] | undefined = [];
    // Bounded: 2 x 2 dir-op outcomes x 3 write outcomes x 2 truncate outcomes = 24 paths.
    for (let i = 0; prefix !== undefined && i < 100; i++) {
      const p = new ChoicePlanner(device, prefix);
      p.planDirOp({ kind: "link", dir: "/db", name: "a" });
      p.planDirOp({ kind: "rename", dir: "/db", from: "a", to: "b" });
      p.planWrite(pendingWrite(0, 600, 0));
      p.planTruncate({ inodeId: 1, path: "/f", sizeBytes: 0 });
      seen.add(p.taken.join(","));
      prefix = nextChoices(p);
    }
    expect(seen.size).toBe(2 * 2 * 3 * 2);
  });
});

describe("exhaustive mode", () => {
  it("every crash point and outcome of the fixed and seeded workloads recovers correctly", async () => {
    const seeded = 60;
    console.log(
      `exhaustive seed: ${SEED} (replay: npx fusedb sim --exhaustive --seed ${SEED} --seeds ${seeded})`,
    );
    const r = await runExhaustive({ seed: SEED, seededWorkloads: seeded });
    console.log(
      `exhaustive: ${r.workloads} workloads, ${r.mutations} mutations, ${r.crashPoints} crash points, ` +
        `${r.states} states, ${r.recoveryStates} states crashed inside recovery, ${r.cappedPoints} sampled points`,
    );
    for (const f of r.failures.slice(0, 3)) {
      console.log(`FAIL ${f.workload} step ${f.step} (${f.event}); ${f.outcome}: ${f.message.slice(0, 300)}`);
    }
    expect(r.failures).toEqual([]);
    expect(r.workloads).toBe(fixedWorkloads().length + seeded);
    expect(r.crashPoints).toBeGreaterThan(500);
    expect(r.states).toBeGreaterThan(2000);
    // About 1.5x the work of WAL format 1 (a file header and WALHEAD at every WAL file's creation, a slot
    // rewrite per group commit): over the suite's default 120 s on a shared machine.
  }, 300_000);

  it("is deterministic: the same seed checks the same states with the same verdicts", async () => {
    const workloads = [fixedWorkloads()[1] as ExhaustiveWorkload, seededWorkload(`${SEED}-det`)];
    const a = await runExhaustive({ workloads });
    const b = await runExhaustive({ workloads });
    expect(a.states).toBeGreaterThan(10);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it("on a 4096-byte-sector device with atomic sectors and safe append", async () => {
    const r = await runExhaustive({
      seed: SEED,
      seededWorkloads: 10,
      device: { sectorBytes: 4096, atomicSectorWrites: true, safeAppend: true },
    });
    console.log(`exhaustive (4096, strong): ${r.crashPoints} crash points, ${r.states} states`);
    expect(r.failures).toEqual([]);
    expect(r.states).toBeGreaterThan(r.crashPoints);
  });

  it("can fail: acknowledging before fdatasync is caught at the first WAL write", async () => {
    const wrapFs = BROKEN_VARIANTS["ack-before-sync"]?.wrapFs;
    expect(wrapFs).toBeDefined();
    const r = await runExhaustive({ seed: SEED, wrapFs, failuresMax: 1 });
    const f = r.failures[0];
    console.log(
      `ack-before-sync caught after ${r.states} states: ${f?.workload} step ${f?.step}, ${f?.outcome}`,
    );
    expect(r.verdict).toBe("fail");
    expect(f?.message).toContain("matches no prefix");
  });
});
