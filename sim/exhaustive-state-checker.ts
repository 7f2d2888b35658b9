/**
 * Exhaustive mode's check of one crashed disk (sim/exhaustive.ts, step 3): recover it and check the state
 * with the {@link Oracle} against the calls the recording run made; crash again after each I/O step of
 * that recovery and require the same state (recovery is idempotent under crashes); and require the
 * recovered engine to commit a write that survives the next crash.
 */
import type { DeviceProfile } from "../faults/device-profile.js";
import { ChoicePlanner, nextChoices } from "../faults/outcome-enumerator.js";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import type { FaultPlanner } from "./disk/crash-planner.js";
import type { SimClock } from "./disk/sim-clock.js";
import { describeError } from "./disk/sim-error.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";
import { Driver } from "./driver.js";
import { dumpState, type EngineBreakage, openEngine } from "./engine-under-test.js";
import type { ModelMutation, ModelState } from "./model.js";
import { canonical } from "./model.js";
import { Oracle } from "./oracle.js";
import { StepRecorder } from "./step-recorder.js";

/** A call the recording run made, with the step counts at which it was issued and acknowledged. */
export interface CallRecord {
  what: string;
  mutations: ModelMutation[];
  issueMs: number;
  stepsAtIssue: number;
  stepsAtAck: number | undefined;
  results: { version: number; value?: unknown }[];
}

/** A copy of the disk right after I/O step `step`. */
export interface CrashPoint {
  step: number;
  event: string;
  image: SimFileSystem;
}

/** The recording run of one workload: its crash points and its calls' fates. */
export interface Recording {
  clock: SimClock;
  points: CrashPoint[];
  calls: CallRecord[];
  keys: string[];
}

/** A crash loses everything not durable: for the idempotence reopen. */
const LOSE_ALL_PENDING: FaultPlanner = {
  planWrite: () => [],
  planTruncate: () => false,
  planDirOp: () => false,
};

/** The key exhaustive mode writes after each recovery, to prove the recovered engine still commits. */
const PROBE_KEY = "probe";

/** Recovers disk states of one workload and checks them. */
export class StateChecker {
  /** States checked after a crash inside a recovery. */
  recoveryStates = 0;
  /**
   * Mid-recovery disks already explored, with the state they must recover to (many crash outcomes differ
   * only in a torn tail that recovery cuts first, and then recover through identical disks).
   */
  private readonly recoveryImagesSeen = new Set<string>();

  /** @param recoveryOutcomesMax most outcomes checked per crash inside a recovery */
  constructor(
    private readonly knobs: FuseDBOptions,
    private readonly rec: Recording,
    private readonly breakage: EngineBreakage,
    private readonly recoveryOutcomesMax: number,
    private readonly device: DeviceProfile,
  ) {}

  /**
   * Checks the disk left by a crash right after step `step`; returns what is wrong, or undefined.
   * 1. Recovery keeps every mutation acknowledged by then, and the state after one prefix of the commit order.
   * 2. A crash after each I/O step of that recovery, under each outcome of its pending operations (at most
   *    `recoveryOutcomesMax` per step, in odometer order), recovers to the same state (recovery is idempotent under crashes).
   * 3. The recovered engine commits: a mutation acknowledged right after recovery survives a crash that
   *    loses everything not durable, and the rest of the state is unchanged.
   */
  async state(image: SimFileSystem, step: number): Promise<string | undefined> {
    image.setLatency(false);
    const oracle = new Oracle();
    for (const c of this.rec.calls) {
      // A call issued after the crash point cannot be on disk; calls are recorded in issue order.
      if (c.stepsAtIssue >= step) break;
      const ticket = oracle.issue(c.mutations, c.issueMs);
      if (c.stepsAtAck !== undefined && c.stepsAtAck <= step) oracle.acked(ticket, c.results, c.what);
    }
    const recoverySteps: { event: string; image: SimFileSystem }[] = [];
    let inRecovery = true;
    const recorder = new StepRecorder(image, (event) => {
      if (inRecovery) recoverySteps.push({ event, image: image.clone() });
    });
    let db: FuseDB;
    let first: Map<string, ModelState>;
    try {
      db = await this.open(recorder);
      inRecovery = false;
      first = await this.dump(db);
    } catch (err) {
      return `recovery failed: ${describeError(err)}`;
    }
    oracle.recovered(first, "recovery", this.rec.clock.now());
    if (oracle.violations.length > 0) return oracle.violations[0];
    const expected = stateText(first, false);
    // 3. One more mutation, acknowledged, then a crash that keeps only what is durable.
    const driver = new Driver(this.rec.clock);
    let probe: { version: number };
    try {
      probe = await driver.run(db.set(PROBE_KEY, step), "probe write after recovery");
    } catch (err) {
      return `the recovered engine rejected a write: ${describeError(err)}`;
    }
    let second: Map<string, ModelState>;
    try {
      second = await this.dump(await this.open(image.crash(LOSE_ALL_PENDING)), true);
    } catch (err) {
      return `second recovery (after a write and a crash right after the first) failed: ${describeError(err)}`;
    }
    const probed = second.get(PROBE_KEY);
    second.delete(PROBE_KEY);
    if (probed?.version !== probe.version || probed.value !== step) {
      return `a write acknowledged after recovery was lost by the next crash: ${PROBE_KEY} is ${describeModelState(probed)}`;
    }
    if (stateText(second, false) !== expected) {
      return `second recovery disagrees with the first: ${stateText(second)} vs ${stateText(first)}`;
    }
    // 2. Crashes inside the first recovery.
    for (const [i, r] of recoverySteps.entries()) {
      const message = await this.recoveryCrashes(r.image, expected);
      if (message !== undefined) return `crash after recovery step ${i + 1} (${r.event}): ${message}`;
    }
    return undefined;
  }

  /** Every outcome (bounded) of a crash of `image` mid-recovery must recover to `expected`. */
  private async recoveryCrashes(image: SimFileSystem, expected: string): Promise<string | undefined> {
    const key = `${image.fingerprint()} ${image.pendingFileOps()} ${expected}`;
    if (this.recoveryImagesSeen.has(key)) return undefined;
    this.recoveryImagesSeen.add(key);
    let prefix: number[] | undefined = [];
    const outcomesMax = this.recoveryOutcomesMax;
    // Bounded by outcomesMax outcomes.
    for (let n = 0; prefix !== undefined && n < outcomesMax; n++) {
      const planner: ChoicePlanner = new ChoicePlanner(this.device, prefix);
      const crashed = image.clone().crash(planner);
      this.recoveryStates++;
      let state: Map<string, ModelState>;
      try {
        const db = await this.open(crashed);
        state = await this.dump(db, true);
      } catch (err) {
        return `${planner.describe()}: recovery failed: ${describeError(err)}`;
      }
      if (stateText(state, false) !== expected) {
        return `${planner.describe()}: recovered ${stateText(state)}, the uninterrupted recovery ${expected}`;
      }
      prefix = nextChoices(planner);
    }
    return undefined;
  }

  private open(fs: FileSystem): Promise<FuseDB> {
    const setup = { ...this.breakage, fs, clock: this.rec.clock, knobs: this.knobs };
    return new Driver(this.rec.clock).run(openEngine(setup), "recovery");
  }

  /**
   * Reads every key the workload touched (and the probe key, if written), checking that `versionOf`,
   * `inspect`, `get` and a full `scan` agree; closes the engine if `close`.
   */
  private async dump(db: FuseDB, close = false): Promise<Map<string, ModelState>> {
    const driver = new Driver(this.rec.clock);
    const keys = [...this.rec.keys, PROBE_KEY];
    const nowMs = this.rec.clock.now();
    const out = await driver.run(dumpState(db, keys, { crossCheck: true, nowMs }), "dump");
    if (out.get(PROBE_KEY)?.version === 0) out.delete(PROBE_KEY);
    if (close) await driver.run(db.close(), "close");
    return out;
  }
}

function describeModelState(s: ModelState | undefined): string {
  return s === undefined ? "absent" : `v${s.version} ${canonical(s.value)}`;
}

/** A state as text; `short` abbreviates long values (for reports, never for comparisons). */
function stateText(state: ReadonlyMap<string, ModelState>, short = true): string {
  return [...state]
    .map(([k, s]) => {
      const v = canonical(s.value);
      const shown = short && v.length > 24 ? `${v.slice(0, 12)}…(${v.length} bytes)` : v;
      return `${k}=v${s.version}:${shown}@${s.expiresAtMs}`;
    })
    .join(", ");
}
