/**
 * Exhaustive mode (`fusedb sim --exhaustive`), in the style of CrashMonkey (Mohan et al., OSDI'18) and
 * ALICE (Pillai et al., OSDI'14): for each small workload (sim/exhaustive-workloads.ts),
 *
 * 1. run it once on the virtual disk, recording a copy of the disk after every I/O step that changes
 *    state (each completed write, truncate, fdatasync, create, rename, remove, mkdir and directory sync):
 *    these are the crash points;
 * 2. at each crash point, enumerate every allowed outcome of the operations not yet durable
 *    (sim/outcome-enumerator.ts: each pending write kept, dropped, or torn at each sector boundary of the
 *    {@link DeviceProfile}, with a half-written sector or a junk-filled grown region where the device allows
 *    it; each pending truncate and directory change kept or lost), bounded by `outcomesPerPointMax` (past
 *    it, a seeded sample of that many outcomes);
 * 3. recover the engine on each resulting disk and check it with the {@link Oracle}: every mutation
 *    acknowledged before the crash point is present, the state is the model's after one prefix of the
 *    commit order (no holes, no phantoms, batches whole), and recovery is idempotent: crashing again right
 *    after recovery (losing everything not durable) and reopening gives the same state.
 *
 * Deterministic: no wall time, no randomness but seeded {@link Prng} streams.
 */
import type { DeviceProfile } from "../faults/device-profile.js";
import { ChoicePlanner, nextChoices, outcomeCountEstimate } from "../faults/outcome-enumerator.js";
import { Prng } from "./disk/prng.js";
import { SimClock } from "./disk/sim-clock.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import { SimFileSystem } from "./disk/sim-file-system.js";
import { Driver } from "./driver.js";
import {
  applyMutations,
  breakageOf,
  describeMutations,
  type EngineBreakage,
  openEngine,
} from "./engine-under-test.js";
import {
  type CallRecord,
  type CrashPoint,
  type Recording,
  StateChecker,
} from "./exhaustive-state-checker.js";
import type { ExhaustiveWorkload } from "./exhaustive-workloads.js";
import { fixedWorkloads, mutationCount, seededWorkload } from "./exhaustive-workloads.js";
import { Oracle } from "./oracle.js";

/**
 * What to run. Everything is optional. The {@link EngineBreakage} fields break the engine on purpose
 * (sensitivity tests only; see sim/broken-variants.ts).
 */
export interface ExhaustiveOptions extends EngineBreakage {
  /** Root seed of the seeded workloads. Default "1". */
  seed?: string;
  /** Seeded workloads run after the fixed ones: `seeded-<seed>-0` and on. Default 4. */
  seededWorkloads?: number;
  /** Run exactly these workloads instead of the fixed and seeded ones. */
  workloads?: ExhaustiveWorkload[];
  /** The device whose promises bound the outcomes. Default: 512-byte sectors, neither atomic nor safe append. */
  device?: DeviceProfile;
  /** Most outcomes checked per crash point; past it, a seeded sample of this many. Default 512. */
  outcomesPerPointMax?: number;
  /** Most outcomes checked per crash inside a recovery. Default 16. */
  recoveryOutcomesMax?: number;
  /** Stop after this many failures. Default 20. */
  failuresMax?: number;
}

/** One disk state the oracle rejected. */
export interface ExhaustiveFailure {
  workload: string;
  /** 1-based number of the I/O step after which the crash happened (0: the recording run itself). */
  step: number;
  /** The I/O step, as the trace names it (`write /db/wal-….log off=0 len=612`). */
  event: string;
  /** The crash outcome: every pending operation not kept whole. */
  outcome: string;
  message: string;
}

/** What a run checked and found. */
export interface ExhaustiveResult {
  verdict: "pass" | "fail";
  workloads: number;
  mutations: number;
  /** I/O steps after which a crash was simulated. */
  crashPoints: number;
  /** Disk states recovered and checked (each with a second, idempotence reopen). */
  states: number;
  /** Further states: a crash after an I/O step of a recovery, recovered again and compared. */
  recoveryStates: number;
  /** Crash points with more outcomes than `outcomesPerPointMax` (sampled, not enumerated). */
  cappedPoints: number;
  device: DeviceProfile;
  failures: ExhaustiveFailure[];
}

/** The default device: the weakest the fault model allows, so the most outcomes. */
export const EXHAUSTIVE_DEVICE_DEFAULT: DeviceProfile = {
  sectorBytes: 512,
  atomicSectorWrites: false,
  safeAppend: false,
};

/** The syscalls that change disk state (the trace's names; `open` only with `create`). */
const STATE_CHANGING = new Set(["write", "truncate", "sync", "syncdir", "rename", "remove", "mkdir"]);

/** Runs exhaustive mode; never throws for engine misbehaviour (it is reported in `failures`). */
export async function runExhaustive(options: ExhaustiveOptions = {}): Promise<ExhaustiveResult> {
  const seed = options.seed ?? "1";
  const workloads = options.workloads ?? [
    ...fixedWorkloads(),
    ...Array.from({ length: options.seededWorkloads ?? 4 }, (_, i) => seededWorkload(`${seed}-${i}`)),
  ];
  const device = options.device ?? EXHAUSTIVE_DEVICE_DEFAULT;
  const result: ExhaustiveResult = {
    verdict: "pass",
    workloads: workloads.length,
    mutations: 0,
    crashPoints: 0,
    states: 0,
    recoveryStates: 0,
    cappedPoints: 0,
    device,
    failures: [],
  };
  const failuresMax = options.failuresMax ?? 20;
  for (const w of workloads) {
    if (result.failures.length >= failuresMax) break;
    result.mutations += mutationCount(w);
    await exploreWorkload(w, options, device, result, failuresMax);
  }
  result.verdict = result.failures.length === 0 ? "pass" : "fail";
  return result;
}

async function exploreWorkload(
  w: ExhaustiveWorkload,
  options: ExhaustiveOptions,
  device: DeviceProfile,
  result: ExhaustiveResult,
  failuresMax: number,
): Promise<void> {
  let rec: Recording;
  try {
    rec = await record(w, options);
  } catch (err) {
    result.failures.push({
      workload: w.name,
      step: 0,
      event: "recording run",
      outcome: "no crash",
      message: describeError(err),
    });
    return;
  }
  const check = new StateChecker(
    w.knobs,
    rec,
    breakageOf(options),
    options.recoveryOutcomesMax ?? 16,
    device,
  );
  try {
    await explorePoints(w, rec, check, options, device, result, failuresMax);
  } finally {
    result.recoveryStates += check.recoveryStates;
  }
}

/** Step 2 and 3 of the module comment, for the crash points of one recorded workload. */
async function explorePoints(
  w: ExhaustiveWorkload,
  rec: Recording,
  check: StateChecker,
  options: ExhaustiveOptions,
  device: DeviceProfile,
  result: ExhaustiveResult,
  failuresMax: number,
): Promise<void> {
  const fail = (step: number, event: string, outcome: string, message: string): void => {
    result.failures.push({ workload: w.name, step, event, outcome, message });
  };
  const cap = options.outcomesPerPointMax ?? 512;
  for (const point of rec.points) {
    result.crashPoints++;
    const tryOutcome = async (planner: ChoicePlanner): Promise<boolean> => {
      const image = point.image.clone().crash(planner);
      result.states++;
      const message = await check.state(image, point.step);
      if (message !== undefined) fail(point.step, point.event, planner.describe(), message);
      return result.failures.length < failuresMax;
    };
    const first = new ChoicePlanner(device);
    if (!(await tryOutcome(first))) return;
    let tried = 1;
    if (outcomeCountEstimate(first) <= cap) {
      // Every outcome, in odometer order (bounded by the estimate, itself at most `cap`).
      let prefix = nextChoices(first);
      while (prefix !== undefined && tried < cap) {
        const planner = new ChoicePlanner(device, prefix);
        if (!(await tryOutcome(planner))) return;
        tried++;
        prefix = nextChoices(planner);
      }
      if (prefix !== undefined) result.cappedPoints++;
      continue;
    }
    // Too many: everything lost, then a seeded sample (duplicates skipped; at most 4 * cap draws).
    result.cappedPoints++;
    const seen = new Set([first.taken.join(",")]);
    const candidates: ChoicePlanner[] = [new ChoicePlanner(device, [], () => 1)];
    const prng = new Prng(`exhaustive/${w.name}/${point.step}`);
    for (let draws = 0; tried < cap && draws < 4 * cap; draws++) {
      const planner = candidates.pop() ?? new ChoicePlanner(device, [], (arity) => prng.int(arity));
      const image = point.image.clone().crash(planner);
      const key = planner.taken.join(",");
      if (seen.has(key)) continue;
      seen.add(key);
      tried++;
      result.states++;
      const message = await check.state(image, point.step);
      if (message !== undefined) fail(point.step, point.event, planner.describe(), message);
      if (result.failures.length >= failuresMax) return;
    }
  }
}

/** Runs `w` once, recording a disk copy after every state-changing I/O step and every call's fate. */
async function record(w: ExhaustiveWorkload, options: ExhaustiveOptions): Promise<Recording> {
  const clock = new SimClock();
  const prng = new Prng(`exhaustive/${w.name}`);
  const points: CrashPoint[] = [];
  const calls: CallRecord[] = [];
  let steps = 0;
  let recording = true;
  const fs: SimFileSystem = new SimFileSystem({
    clock,
    prng: prng.fork("disk"),
    onEvent: (e) => {
      if (!recording || !isStateChange(e)) return;
      steps++;
      points.push({ step: steps, event: e.slice("done ".length), image: fs.clone() });
    },
  });
  const driver = new Driver(clock);
  const oracle = new Oracle();
  const db = await driver.run(
    openEngine({ ...breakageOf(options), fs, clock, knobs: w.knobs }),
    `${w.name}: open`,
  );
  const errors: string[] = [];
  for (const round of w.rounds) {
    const settled: Promise<unknown>[] = [];
    for (const call of round) {
      if (call.kind === "checkpoint") {
        settled.push(
          db.checkpoint().catch((err: unknown) => errors.push(`checkpoint: ${describeError(err)}`)),
        );
        continue;
      }
      const what = `call ${calls.length + 1} ${describeMutations(call.mutations, call.batch)}`;
      const ticket = oracle.issue(call.mutations, clock.now());
      const rec: CallRecord = {
        what,
        mutations: call.mutations,
        issueMs: clock.now(),
        stepsAtIssue: steps,
        stepsAtAck: undefined,
        results: [],
      };
      calls.push(rec);
      settled.push(
        applyMutations(db, call.mutations, call.batch).then(
          ({ results }) => {
            rec.stepsAtAck = steps;
            rec.results = results;
            oracle.acked(ticket, results, what);
          },
          (err: unknown) => oracle.rejected(ticket, errorCode(err), what),
        ),
      );
    }
    await driver.run(Promise.all(settled), `${w.name}: round`);
  }
  await driver.run(db.close(), `${w.name}: close`);
  recording = false;
  const problems = [...errors, ...oracle.violations];
  if (problems.length > 0) throw new Error(`the run without a crash failed: ${problems[0]}`);
  return { clock, points, calls, keys: oracle.model.keys() };
}

function isStateChange(event: string): boolean {
  const [phase, syscall] = event.split(" ", 2);
  if (phase !== "done" || syscall === undefined) return false;
  return STATE_CHANGING.has(syscall) || (syscall === "open" && event.includes(" create"));
}
