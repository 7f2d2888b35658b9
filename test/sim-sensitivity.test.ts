/**
 * Sensitivity (issue 4): the simulator must be able to fail. Each deliberately broken variant
 * (sim/broken-variants.ts: a lying fsync, a directory fsync that does nothing, acknowledgement before
 * fdatasync, a reader that ignores checksums, recovery that truncates at the first bad record, recovery that
 * forgets the dead-version floor, merges that drop the elements of live collections, collections that reuse a
 * generation, a sorted set whose moved member keeps its old score-index entry, transactions without their
 * conflict check, deletes that leave their secondary-index entries) must be caught
 * by the oracle within a bounded number of seeds, and this test fails if one is not. Variants that power
 * loss alone exposes run in campaigns and in exhaustive mode; variants that only damage to durable data
 * exposes run rot checks (sim/rot-check.ts) and campaigns (their rot probes and runtime bit flips). The
 * honest engine passes the same rot checks: damage is detected (typed halt) or harmless, never a wrong
 * answer. Recovery that forgets the durable clock floor runs in campaigns, which step the clock back (the
 * oracle's expiry witness: a version seen expired is never live again). Each loop prints the seeds it tried.
 */
import { describe, expect, it } from "vitest";
import { BROKEN_VARIANTS, type BrokenVariant } from "../sim/broken-variants.js";
import { runCampaign } from "../sim/campaign.js";
import { runExhaustive } from "../sim/exhaustive.js";
import { runRotCheck } from "../sim/rot-check.js";

/** Bounds on seeds tried per variant before the test gives up and fails. */
const CAMPAIGN_SEEDS_MAX = 50;
const ROT_SEEDS_MAX = 150;
/** Campaigns with transactions and indexes are longer: a tighter bound. */
const TX_SEEDS_MAX = 20;

/** The first seed index (of `seedsMax`) at which `run` reports a failure, or -1; logs the seeds tried. */
async function seedsUntilCaught(
  label: string,
  seedsMax: number,
  run: (seed: string) => Promise<{ verdict: "pass" | "fail"; violations: string[] }>,
): Promise<number> {
  for (let i = 0; i < seedsMax; i++) {
    const seed = `${label}-${i}`;
    const r = await run(seed);
    if (r.verdict === "fail") {
      console.log(
        `${label}: caught at seed ${seed} (${i + 1} seeds tried): ${r.violations[0]?.slice(0, 240)}`,
      );
      return i;
    }
  }
  console.log(`${label}: NOT caught in ${seedsMax} seeds (${label}-0 .. ${label}-${seedsMax - 1})`);
  return -1;
}

function variant(name: string): BrokenVariant {
  const v = BROKEN_VARIANTS[name];
  if (v === undefined) throw new Error(`no broken variant ${name}`);
  return v;
}

describe("sensitivity: every broken variant is caught", () => {
  for (const name of ["lying-fsync", "no-dir-sync", "ack-before-sync", "forget-dead-version-floor"]) {
    it(`${name} (${variant(name).what}) is caught by campaigns and by exhaustive mode`, async () => {
      const v = variant(name);
      expect(v.seenWith).toBe("crash");
      const broken = { wrapFs: v.wrapFs, recoveryMode: v.recoveryMode };
      const caught = await seedsUntilCaught(`sens-${name}`, CAMPAIGN_SEEDS_MAX, (seed) =>
        runCampaign({ seed, ...broken }),
      );
      expect(caught, `${name} escaped ${CAMPAIGN_SEEDS_MAX} campaign seeds`).toBeGreaterThanOrEqual(0);
      const ex = await runExhaustive({ seed: `sens-${name}`, seededWorkloads: 4, failuresMax: 1, ...broken });
      const f = ex.failures[0];
      console.log(
        `${name}: exhaustive mode caught it after ${ex.states} states: ${f?.workload} step ${f?.step} ` +
          `(${f?.event}); ${f?.outcome}`,
      );
      expect(ex.verdict, `${name} escaped exhaustive mode`).toBe("fail");
    }, 300_000); // exhaustive mode explores thousands of states; the bound is only against a hang
  }

  it("forget-clock-floor (recovery ignores the durable clock floor) is caught by campaigns stepping the clock back", async () => {
    const v = variant("forget-clock-floor");
    const caught = await seedsUntilCaught("sens-forget-clock-floor", CAMPAIGN_SEEDS_MAX, (seed) =>
      runCampaign({ seed, recoveryMode: v.recoveryMode }),
    );
    expect(caught, `forget-clock-floor escaped ${CAMPAIGN_SEEDS_MAX} campaign seeds`).toBeGreaterThanOrEqual(
      0,
    );
  });

  for (const name of ["drop-live-elements", "reuse-generations", "stale-zset-index"]) {
    it(`${name} (${variant(name).what}) is caught by campaigns with data types`, async () => {
      const v = variant(name);
      const caught = await seedsUntilCaught(`sens-${name}`, CAMPAIGN_SEEDS_MAX, (seed) =>
        runCampaign({ seed, types: true, recoveryMode: v.recoveryMode }),
      );
      expect(caught, `${name} escaped ${CAMPAIGN_SEEDS_MAX} campaign seeds`).toBeGreaterThanOrEqual(0);
    });
  }

  // Issue 16: transactions without their conflict check (lost updates, write skew), and deletes that leave
  // their secondary-index entries, in campaigns with transactions and indexes (sim/tx-oracle.ts,
  // sim/index-check.ts).
  for (const name of ["skip-tx-conflicts", "skip-index-deletes"]) {
    it(`${name} (${variant(name).what}) is caught by campaigns with transactions and indexes`, async () => {
      const v = variant(name);
      const caught = await seedsUntilCaught(`sens-${name}`, TX_SEEDS_MAX, (seed) =>
        runCampaign({ seed, tx: true, recoveryMode: v.recoveryMode }),
      );
      expect(caught, `${name} escaped ${TX_SEEDS_MAX} campaign seeds`).toBeGreaterThanOrEqual(0);
    });
  }

  for (const name of ["ignore-checksums", "truncate-at-first-bad-record"]) {
    it(`${name} (${variant(name).what}) is caught by rot checks and by campaigns`, async () => {
      const v = variant(name);
      expect(v.seenWith).toBe("rot");
      const broken = { wrapFs: v.wrapFs, recoveryMode: v.recoveryMode };
      const caught = await seedsUntilCaught(`sens-${name}`, ROT_SEEDS_MAX, (seed) =>
        runRotCheck({ seed, ...broken }),
      );
      expect(caught, `${name} escaped ${ROT_SEEDS_MAX} rot-check seeds`).toBeGreaterThanOrEqual(0);
      // Campaigns see it through their rot probes (latent errors below the WAL's final group-commit write,
      // or in segments) and through runtime bit flips that the known limit no longer excuses.
      const caughtByCampaign = await seedsUntilCaught(`sens-campaign-${name}`, CAMPAIGN_SEEDS_MAX, (seed) =>
        runCampaign({ seed, ...broken }),
      );
      expect(caughtByCampaign, `${name} escaped ${CAMPAIGN_SEEDS_MAX} campaign seeds`).toBeGreaterThanOrEqual(
        0,
      );
    });
  }

  it("the honest engine passes the rot checks: damage is detected or harmless, never a wrong answer", async () => {
    const seeds = 60;
    const outcomes = { detected: 0, harmless: 0, wrong: 0 };
    for (let i = 0; i < seeds; i++) {
      const r = await runRotCheck({ seed: `sens-honest-${i}` });
      outcomes[r.outcome]++;
      if (r.verdict === "fail") {
        console.log(`honest engine FAILED rot check sens-honest-${i}: ${JSON.stringify(r.damage)}`);
        console.log(r.violations[0]);
      }
    }
    console.log(
      `honest engine, rot seeds sens-honest-0 .. sens-honest-${seeds - 1}: ${JSON.stringify(outcomes)}`,
    );
    expect(outcomes.wrong).toBe(0);
    expect(outcomes.detected).toBeGreaterThan(seeds / 2);
  });
});
