/**
 * Coverage of the fault campaign (issue 4). Invariants: over a fixed range of seeds, with runtime faults
 * drawn per seed, every campaign passes the oracle (or ends on detected injected damage), every required
 * coverage mark (sim/required-marks.ts: each injected fault class, each engine reaction to a fault) is hit
 * at least once, and so is every data-type path of TYPES_MARKS (issue 14: each type's writes, O(1)
 * deletes and dead elements dropped by merges per collection type, crashes inside big writes and inside
 * merges dropping dead elements) and every data-type command of TYPED_COMMAND_MARKS (each answered and
 * checked by the oracle), and each rare fault sequence (issue 12: a restart after a poisoned write followed
 * by a power loss; a failed directory fsync followed by a crash) is reached in several seeds; and the
 * checker can fail: an engine that ignores a failed fsync is caught.
 */
import { describe, expect, it } from "vitest";
import { RUNTIME_FAULTS_NONE } from "../faults/runtime-faults.js";
import { runCampaign } from "../sim/campaign.js";
import {
  REQUIRED_MARKS,
  SEQUENCE_MARKS,
  SEQUENCE_SEEDS_MIN,
  TYPED_COMMAND_MARKS,
  TYPES_MARKS,
} from "../sim/required-marks.js";
import type { File } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

const PREFIX = "cov";
const SEEDS = 300;

describe("fault campaign coverage", () => {
  it(`hits every required mark over seeds ${PREFIX}-0..${SEEDS - 1}`, async () => {
    const marks: Record<string, number> = {};
    /** Seeds that hit each mark. */
    const seeds: Record<string, number> = {};
    const failures: string[] = [];
    let detected = 0;
    for (let i = 0; i < SEEDS; i++) {
      const r = await runCampaign({ seed: `${PREFIX}-${i}` });
      for (const [name, n] of Object.entries(r.marks)) {
        marks[name] = (marks[name] ?? 0) + n;
        seeds[name] = (seeds[name] ?? 0) + 1;
      }
      if (r.detected !== undefined) detected++;
      if (r.verdict === "fail")
        failures.push(`${r.seed}: ${r.violations[0]} (replay: npx fusedb sim --seed ${r.seed})`);
    }
    const typed = [...TYPES_MARKS, ...TYPED_COMMAND_MARKS];
    const missing = [...REQUIRED_MARKS, ...typed].filter((name) => marks[name] === undefined);
    const rare = SEQUENCE_MARKS.filter((name) => (seeds[name] ?? 0) < SEQUENCE_SEEDS_MIN);
    const required = (name: string): string => {
      if (SEQUENCE_MARKS.includes(name)) return ` (required in ${SEQUENCE_SEEDS_MIN} seeds)`;
      return REQUIRED_MARKS.includes(name) || typed.includes(name) ? "" : " (not required)";
    };
    const table = Object.entries(marks)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, n]) => `  ${name.padEnd(36)} ${n} in ${seeds[name]} seeds${required(name)}`)
      .join("\n");
    console.log(
      `seeds ${PREFIX}-0..${PREFIX}-${SEEDS - 1}: ${failures.length} failures, ${detected} ended on detected ` +
        `damage; marks:\n${table}${missing.length > 0 ? `\nnever hit: ${missing.join(", ")}` : ""}`,
    );
    expect(failures).toEqual([]);
    expect(missing, `required marks never hit over seeds ${PREFIX}-0..${SEEDS - 1}`).toEqual([]);
    expect(rare, `fault sequences reached in fewer than ${SEQUENCE_SEEDS_MIN} seeds`).toEqual([]);
  }, 300_000); // ~60-90 s on an idle 2-core machine (more since campaigns draw the sorted-set stores); only a bound against a hang

  it("catches an engine that ignores a failed fsync (the pages it dropped are lost at the next crash)", async () => {
    let caughtAt = -1;
    for (let i = 0; i < 50 && caughtAt < 0; i++) {
      const r = await runCampaign({
        seed: `fsyncgate-${i}`,
        runtimeFaults: { ...RUNTIME_FAULTS_NONE, syncEioProbability: 0.05 },
        durability: "fsync",
        wrapFs: (fs) => new IgnoreSyncErrors(fs),
      });
      if (r.verdict === "fail") {
        caughtAt = i;
        console.log(`fsyncgate: caught at seed fsyncgate-${i}: ${r.violations[0]}`);
      }
    }
    expect(caughtAt).toBeGreaterThanOrEqual(0);
  });
});

/** Broken on purpose: a file system whose `sync` reports success even when the disk's fsync failed. */
class IgnoreSyncErrors extends ForwardingFileSystem {
  protected override wrapFile(file: File): File {
    return new IgnoreSyncErrorsFile(file);
  }
}

class IgnoreSyncErrorsFile extends ForwardingFile {
  override sync(): Promise<void> {
    return this.inner.sync().catch(() => undefined);
  }
}
