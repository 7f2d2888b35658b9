/**
 * Shrinks a failing campaign to a smaller one that still fails with the same seed: fewer crash cycles (an
 * earlier crash), then fewer operations per cycle, then fewer operations in flight. Greedy, bounded by
 * `attemptsMax` campaign runs (delta debugging in the style of Zeller's ddmin, one dimension at a time).
 */

import { runCampaign } from "./campaign.js";
import type { CampaignOptions, CampaignResult } from "./campaign-options.js";

/** The smallest failing options found, with the run that proved it. */
export interface Minimized {
  options: CampaignOptions;
  result: CampaignResult;
  attempts: number;
}

/**
 * Minimizes `failing` (which must have failed), keeping its broken variant (`wrapFs`, `recoveryMode`;
 * sim/broken-variants.ts) if it had one.
 */
export async function minimizeCampaign(
  failing: CampaignResult,
  broken: Pick<CampaignOptions, "wrapFs" | "recoveryMode"> = {},
  attemptsMax = 40,
): Promise<Minimized> {
  let best: CampaignOptions = {
    ...failing.options,
    knobs: failing.knobs,
    wrapFs: broken.wrapFs,
    recoveryMode: broken.recoveryMode,
  };
  let bestResult = failing;
  let attempts = 0;
  const tryOptions = async (candidate: CampaignOptions): Promise<boolean> => {
    if (attempts >= attemptsMax) return false;
    attempts++;
    const result = await runCampaign(candidate);
    if (result.verdict !== "fail") return false;
    best = candidate;
    bestResult = result;
    return true;
  };
  // Earliest failing cycle count.
  for (let cycles = 0; cycles < (best.cycles ?? 4); cycles++) {
    if (await tryOptions({ ...best, cycles })) break;
  }
  // Halve the operations and the concurrency while the failure persists.
  for (const field of ["opsPerCycle", "inflightMax"] as const) {
    for (;;) {
      const current = best[field] ?? 1;
      if (current <= 1) break;
      if (!(await tryOptions({ ...best, [field]: Math.floor(current / 2) }))) break;
    }
  }
  return { options: best, result: bestResult, attempts };
}
