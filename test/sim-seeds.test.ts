/**
 * The bounded CI campaign (issue 3): at least 500 seeds (here 2000, `ci-0..1999`), each a full crash/recover
 * campaign checked by the oracle. Invariant: every seed passes. The seeds run in two worker threads (one per
 * CI core), so the one file takes the time two half-size files took. Every failing seed is printed with its
 * replay command; `fusedb sim --seed <seed>` reproduces it and writes a reproducer under corpus/.
 */
import { describe, expect, it } from "vitest";
import { SEQUENCE_MARKS } from "../sim/required-marks.js";
import { runSeedRangeInWorkers } from "./helpers/seed-range.js";

const PREFIX = "ci";
const SEEDS = 2000;
/** Worker threads: the CI machine's cores (vitest's maxWorkers). */
const SHARDS = 2;

describe(`CI campaign, seeds ${PREFIX}-0..${SEEDS - 1}`, () => {
  it("passes the oracle on every seed", async () => {
    const r = await runSeedRangeInWorkers(PREFIX, 0, SEEDS, SHARDS);
    const sequences = SEQUENCE_MARKS.map((name) => `${name} in ${r.seedsByMark[name] ?? 0} seeds`);
    console.log(
      `seeds ${PREFIX}-0..${SEEDS - 1}: ${r.ops} ops, ${r.crashes} crashes, ${r.failures.length} failures; ` +
        `fault sequences: ${sequences.join(", ")}`,
    );
    expect(r.seeds).toBe(SEEDS);
    expect(r.failures).toEqual([]);
  }, 300_000); // ~90 s on an idle 2-core machine; the bound is only against a hang
});
