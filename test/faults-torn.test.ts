/**
 * The crash-time fault planner (faults/torn-write-planner.ts). Invariants: pieces split at absolute sector
 * boundaries and cover the write exactly; every outcome (kept, dropped, torn prefix, torn subset, garbage,
 * zeros, partial sector) occurs over many seeds; no run ever touches bytes below the durable size that the
 * write did not itself cover; a run is always a sub-range of the write or a fill of a sector past the
 * durable size.
 */
import { describe, expect, it } from "vitest";
import { sectorPieces, TornWritePlanner } from "../faults/torn-write-planner.js";
import { Prng } from "../sim/disk/prng.js";

describe("TornWritePlanner", () => {
  it("splits at absolute sector boundaries", () => {
    const data = new Uint8Array(1500).map((_, i) => i % 251);
    const pieces = sectorPieces({ offset: 100, data }, 512);
    expect(pieces.map((p) => [p.offset, p.data.length])).toEqual([
      [100, 412],
      [512, 512],
      [1024, 512],
      [1536, 64],
    ]);
    expect(Buffer.concat(pieces.map((p) => p.data))).toEqual(Buffer.from(data));
  });

  it("produces every outcome, and only runs inside the write's own range", () => {
    const seed = "torn-1";
    console.log(`seed ${seed}`);
    const planner = new TornWritePlanner(new Prng(seed), {
      sectorBytes: 512,
      atomicSectorWrites: false,
      safeAppend: false,
    });
    for (let i = 0; i < 2000; i++) {
      const offset = (i * 37) % 3000;
      const data = new Uint8Array(200 + ((i * 101) % 2000)).fill(7);
      const durableSizeBytes = offset; // an append
      const runs = planner.planWrite({ inodeId: 1, path: "/db/x", offset, data, durableSizeBytes });
      for (const run of runs) {
        expect(run.offset).toBeGreaterThanOrEqual(offset);
        expect(run.offset + run.data.length).toBeLessThanOrEqual(offset + data.length);
      }
    }
    const c = planner.counts;
    console.log(JSON.stringify(c));
    for (const [what, n] of Object.entries(c)) expect(n, what).toBeGreaterThan(0);
  });

  it("never exposes junk over bytes that were durable", () => {
    const planner = new TornWritePlanner(new Prng("torn-2"), {
      sectorBytes: 512,
      atomicSectorWrites: true,
      safeAppend: false,
    });
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(2048).fill(9);
      const runs = planner.planWrite({ inodeId: 1, path: "/db/x", offset: 0, data, durableSizeBytes: 2048 });
      // An overwrite of durable bytes: whatever lands is the write's own data, never garbage or zeros.
      for (const run of runs) expect(run.data.every((b) => b === 9)).toBe(true);
    }
  });
});
