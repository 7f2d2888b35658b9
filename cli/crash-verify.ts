/**
 * The verdict of one process-crash round, as a pure function of what was observed. Every counter is only
 * ever incremented by 1 starting from 0, so its value must equal its version, and must lie between the
 * highest acknowledged value and the baseline plus the increments issued (DESIGN.md durability contract:
 * an acknowledged write survives a crash; a write is applied at most once).
 */

/** What was observed for one counter key in one crash round. */
export interface CounterObservation {
  key: string;
  /** Value recovered before this round (0 in the first round). */
  baseline: number;
  /** Increments the child reported issuing this round (an upper bound on those that reached the engine). */
  issued: number;
  /** Highest value the child reported as acknowledged this round (0 if none). */
  ackedMax: number;
  /** Acknowledgements the child reported this round. */
  acked: number;
  /** Acknowledgements whose value was not a number equal to their version (a live double-apply or skip). */
  ackedMismatched: number;
  /** What `get` returned after recovery: the value, or undefined for a missing key. */
  recoveredValue: unknown;
  /** What `versionOf` returned after recovery. */
  recoveredVersion: number;
}

/** The round's verdict and, if it failed, one line per broken invariant. */
export interface CrashVerdict {
  pass: boolean;
  violations: string[];
}

/**
 * Checks, per key: every acknowledged increment is present (value >= ackedMax and >= baseline); none was
 * applied twice and no version was skipped (value === version after recovery, and in every
 * acknowledgement); no two acknowledgements shared a value (acked <= ackedMax - baseline); nothing appeared
 * that was not issued (value <= baseline + issued). A missing key counts as value 0.
 */
export function verifyCrashRound(observations: readonly CounterObservation[]): CrashVerdict {
  const violations: string[] = [];
  for (const o of observations) {
    if (o.ackedMismatched > 0) {
      violations.push(`${o.key}: ${o.ackedMismatched} acknowledgements with value != version`);
    }
    if (o.acked > 0 && o.acked > o.ackedMax - o.baseline) {
      violations.push(
        `${o.key}: ${o.acked} acknowledgements but only ${o.ackedMax - o.baseline} values above ` +
          `${o.baseline} (two increments acknowledged with one value)`,
      );
    }
    const value = o.recoveredValue === undefined ? 0 : o.recoveredValue;
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      violations.push(`${o.key}: recovered value ${JSON.stringify(value)} is not an integer counter`);
      continue;
    }
    if (value < o.ackedMax)
      violations.push(`${o.key}: lost acknowledged increments: ${value} < acked ${o.ackedMax}`);
    if (value < o.baseline)
      violations.push(`${o.key}: went back: ${value} < previous recovery ${o.baseline}`);
    if (value !== o.recoveredVersion) {
      violations.push(
        `${o.key}: value ${value} != version ${o.recoveredVersion} (double-applied or skipped)`,
      );
    }
    const bound = o.baseline + o.issued;
    if (value > bound)
      violations.push(`${o.key}: ${value} exceeds baseline ${o.baseline} + issued ${o.issued}`);
  }
  return { pass: violations.length === 0, violations };
}
