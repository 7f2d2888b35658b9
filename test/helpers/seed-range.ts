/** Runs campaigns for seeds `<prefix>-<from>` .. `<prefix>-<to - 1>` and returns one line per failure. */
import { runCampaign } from "../../sim/campaign.js";

export async function runSeedRange(prefix: string, from: number, to: number): Promise<string[]> {
  const failures: string[] = [];
  let ops = 0;
  let crashes = 0;
  for (let i = from; i < to; i++) {
    const seed = `${prefix}-${i}`;
    const r = await runCampaign({ seed });
    ops += r.ops;
    crashes += r.crashes;
    if (r.verdict === "fail") {
      failures.push(`seed ${seed}: ${r.violations[0]} (replay: npx fusedb sim --seed ${seed})`);
    }
  }
  console.log(
    `seeds ${prefix}-${from}..${to - 1}: ${ops} ops, ${crashes} crashes, ${failures.length} failures`,
  );
  return failures;
}
