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
import type { FuseDB, RecoveryMode } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import { openEngineUnderTest } from "./broken-variants.js";
import type { FaultPlanner } from "./disk/crash-planner.js";
import { Prng } from "./disk/prng.js";
import { SimClock } from "./disk/sim-clock.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import { SimFileSystem } from "./disk/sim-file-system.js";
import { Driver } from "./driver.js";
import type { ExhaustiveCall, ExhaustiveWorkload } from "./exhaustive-workloads.js";
import { fixedWorkloads, mutationCount, seededWorkload } from "./exhaustive-workloads.js";
import type { ModelJson, ModelMutation, ModelState } from "./model.js";
import { canonical } from "./model.js";
import { Oracle } from "./oracle.js";
import { StepRecorder } from "./step-recorder.js";

/** What to run. Everything is optional. */
export interface ExhaustiveOptions {
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
  /** Wraps the disk the engine sees (broken variants; see sim/broken-variants.ts). */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Deliberately broken recovery (sensitivity tests only). */
  recoveryMode?: RecoveryMode;
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

const DIR = "/db";

/** The syscalls that change disk state (the trace's names; `open` only with `create`). */
const STATE_CHANGING = new Set(["write", "truncate", "sync", "syncdir", "rename", "remove", "mkdir"]);

/** A crash loses everything not durable: for the idempotence reopen. */
const LOSE_ALL_PENDING: FaultPlanner = {
  planWrite: () => [],
  planTruncate: () => false,
  planDirOp: () => false,
};

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

/** A call the recording run made, with the step counts at which it was issued and acknowledged. */
interface CallRecord {
  what: string;
  mutations: ModelMutation[];
  issueMs: number;
  stepsAtIssue: number;
  stepsAtAck: number | undefined;
  results: { version: number; value?: unknown }[];
}

/** A copy of the disk right after I/O step `step`. */
interface CrashPoint {
  step: number;
  event: string;
  image: SimFileSystem;
}

interface Recording {
  clock: SimClock;
  points: CrashPoint[];
  calls: CallRecord[];
  keys: string[];
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
  const check = new StateChecker(w, rec, options, device);
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
    openEngineUnderTest(
      { ...w.knobs, dir: DIR, fs: options.wrapFs ? options.wrapFs(fs) : fs, clock },
      options.recoveryMode,
    ),
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
      const what = `call ${calls.length + 1} ${describeCall(call)}`;
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
        mutate(db, call).then(
          (results) => {
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

/** The key exhaustive mode writes after each recovery, to prove the recovered engine still commits. */
const PROBE_KEY = "probe";

/** Recovers disk states of one workload and checks them. */
class StateChecker {
  /** States checked after a crash inside a recovery. */
  recoveryStates = 0;
  /**
   * Mid-recovery disks already explored, with the state they must recover to (many crash outcomes differ
   * only in a torn tail that recovery cuts first, and then recover through identical disks).
   */
  private readonly recoveryImagesSeen = new Set<string>();

  constructor(
    private readonly w: ExhaustiveWorkload,
    private readonly rec: Recording,
    private readonly options: ExhaustiveOptions,
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
    const outcomesMax = this.options.recoveryOutcomesMax ?? 16;
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
    return new Driver(this.rec.clock).run(
      openEngineUnderTest(
        {
          ...this.w.knobs,
          dir: DIR,
          fs: this.options.wrapFs ? this.options.wrapFs(fs) : fs,
          clock: this.rec.clock,
        },
        this.options.recoveryMode,
      ),
      "recovery",
    );
  }

  /**
   * Reads every key the workload touched (and the probe key), checking that `versionOf`, `inspect`, `get`
   * and a full `scan` agree; closes the engine if `close`.
   */
  private async dump(db: FuseDB, close = false): Promise<Map<string, ModelState>> {
    const driver = new Driver(this.rec.clock);
    const out = new Map<string, ModelState>();
    const now = this.rec.clock.now();
    const scanned = new Map(
      (await driver.run(db.scan({ limit: SCAN_LIMIT }), "scan")).map((e) => [e.key, e] as const),
    );
    for (const key of [...this.rec.keys, PROBE_KEY]) {
      const version = await driver.run(db.versionOf(key), "versionOf");
      const got = await driver.run(db.inspect(key), "inspect");
      const live = await driver.run(db.get(key), "get");
      if (got !== undefined && got.version !== version) {
        throw new Error(`${key}: inspect says version ${got.version}, versionOf ${version}`);
      }
      const visible = got?.value !== undefined && (got.expiresAtMs === undefined || now < got.expiresAtMs);
      const views = [live, scanned.get(key)].map((v) =>
        v === undefined ? "absent" : `v${v.version} ${canonical(v.value as ModelJson)}`,
      );
      const want = visible ? `v${got.version} ${canonical(got.value as ModelJson)}` : "absent";
      if (views[0] !== want || views[1] !== want) {
        throw new Error(`${key}: inspect says ${want}, get ${views[0]}, scan ${views[1]}`);
      }
      if (key === PROBE_KEY && version === 0) continue;
      const state: ModelState = { version, value: got?.value as ModelJson | undefined };
      if (got?.expiresAtMs !== undefined) state.expiresAt = got.expiresAtMs;
      out.set(key, state);
    }
    if (close) await driver.run(db.close(), "close");
    return out;
  }
}

/** More than the keys any exhaustive workload touches. */
const SCAN_LIMIT = 1000;

function describeModelState(s: ModelState | undefined): string {
  return s === undefined ? "absent" : `v${s.version} ${canonical(s.value)}`;
}

function isStateChange(event: string): boolean {
  const [phase, syscall] = event.split(" ", 2);
  if (phase !== "done" || syscall === undefined) return false;
  return STATE_CHANGING.has(syscall) || (syscall === "open" && event.includes(" create"));
}

async function mutate(
  db: FuseDB,
  call: Extract<ExhaustiveCall, { kind: "mutate" }>,
): Promise<{ version: number; value?: unknown }[]> {
  const m = call.mutations[0] as ModelMutation;
  if (call.batch) return (await db.batch(call.mutations)).results;
  switch (m.op) {
    case "set":
      return [await db.set(m.key, m.value, { ttlMs: m.ttlMs, ifVersion: m.ifVersion })];
    case "delete":
      return [await db.delete(m.key, { ifVersion: m.ifVersion })];
    case "patch":
      return [await db.patch(m.key, m.patch, { ifVersion: m.ifVersion })];
    case "incr":
      return [await db.incr(m.key, m.delta, { ifVersion: m.ifVersion })];
    case "expire":
      return [await db.expire(m.key, m.ms, { ifVersion: m.ifVersion })];
  }
}

function describeCall(call: Extract<ExhaustiveCall, { kind: "mutate" }>): string {
  const one = (m: ModelMutation): string => {
    if (m.op === "set") {
      const v = canonical(m.value);
      return `set ${m.key}=${v.length > 24 ? `${v.slice(0, 12)}…(${v.length} bytes)` : v}`;
    }
    if (m.op === "patch") return `patch ${m.key} ${canonical(m.patch)}`;
    if (m.op === "incr") return `incr ${m.key} ${m.delta}`;
    if (m.op === "expire") return `expire ${m.key} ${m.ms}`;
    return `delete ${m.key}`;
  };
  const text = call.mutations.map(one).join("; ");
  return call.batch ? `batch [${text}]` : text;
}

/** A state as text; `short` abbreviates long values (for reports, never for comparisons). */
function stateText(state: ReadonlyMap<string, ModelState>, short = true): string {
  return [...state]
    .map(([k, s]) => {
      const v = canonical(s.value);
      const shown = short && v.length > 24 ? `${v.slice(0, 12)}…(${v.length} bytes)` : v;
      return `${k}=v${s.version}:${shown}@${s.expiresAt}`;
    })
    .join(", ");
}
