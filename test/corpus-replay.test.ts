/**
 * Corpus replay: every reproducer under corpus/ (a seed and the options that once failed) replays here and
 * must now pass. Invariant: a bug the simulator found once stays fixed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCampaign } from "../sim/campaign.js";
import type { CampaignOptions } from "../sim/campaign-options.js";

const dir = join(import.meta.dirname, "..", "corpus");
const files = readdirSync(dir).filter((f) => f.startsWith("sim-") && f.endsWith(".json"));

describe("corpus replay", () => {
  it("has reproducers to replay", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(`replays ${file}`, async () => {
      const repro = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
        seed: string;
        options: Omit<CampaignOptions, "seed">;
        knobs: CampaignOptions["knobs"];
        expectedFailure: string;
      };
      const r = await runCampaign({ seed: repro.seed, ...repro.options, knobs: repro.knobs });
      console.log(`${file}: once failed with "${repro.expectedFailure}"; now ${r.verdict} (${r.traceHash})`);
      expect(r.violations).toEqual([]);
    });
  }
});
