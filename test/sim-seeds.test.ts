/**
 * The bounded CI campaign (issue 3): at least 500 seeds (here 2000), each a full crash/recover campaign checked by the
 * oracle. Split in two files so the two CI cores share it. Every failing seed is printed with its replay
 * command; `fusedb sim --seed <seed>` reproduces it and writes a reproducer under corpus/.
 */
import { describe, expect, it } from "vitest";
import { runSeedRange } from "./helpers/seed-range.js";

describe("CI campaign, seeds 0-999", () => {
  it("passes the oracle on every seed", async () => {
    const failures = await runSeedRange("ci", 0, 1000);
    expect(failures).toEqual([]);
  });
});
