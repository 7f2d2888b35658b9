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
import type { UnsafeForTesting } from "../src/db.js";
import { FuseDB } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import type { FaultPlanner } from "./crash-planner.js";
import { Driver } from "./driver.js";
import type { ExhaustiveCall, ExhaustiveWorkload } from "./exhaustive-workloads.js";
import { fixedWorkloads, mutationCount, seededWorkload } from "./exhaustive-workloads.js";
import type { ModelJson, ModelMutation, ModelState } from "./model.js";
import { canonical } from "./model.js";
import { Oracle } from "./oracle.js";
import { ChoicePlanner, nextChoices, outcomeCountEstimate } from "./outcome-enumerator.js";
import { Prng } from "./prng.js";
import { SimClock } from "./sim-clock.js";
import { SimFileSystem } from "./sim-file-system.js";

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
  /** Stop after this many failures. Default 20. */
  failuresMax?: number;
  /** Wraps the disk the engine sees (broken variants; see sim/broken-variants.ts). */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Deliberately broken engine (sensitivity tests only). */
  unsafeForTesting?: UnsafeForTesting;
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
  const fail = (step: number, event: string, outcome: string, message: string): void => {
    result.failures.push({ workload: w.name, step, event, outcome, message });
  };
  let rec: Recording;
  try {
    rec = await record(w, options);
  } catch (err) {
    fail(0, "recording run", "no crash", describeError(err));
    return;
  }
  const check = new StateChecker(w, rec, options);
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
    FuseDB.open({
      ...w.knobs,
      dir: DIR,
      fs: options.wrapFs ? options.wrapFs(fs) : fs,
      clock,
      unsafeForTesting: options.unsafeForTesting,
    }),
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

/** Recovers disk states of one workload and checks them. */
class StateChecker {
  constructor(
    private readonly w: ExhaustiveWorkload,
    private readonly rec: Recording,
    private readonly options: ExhaustiveOptions,
  ) {}

  /** Checks the disk left by a crash right after step `step`; returns what is wrong, or undefined. */
  async state(image: SimFileSystem, step: number): Promise<string | undefined> {
    image.setLatency(false);
    const oracle = new Oracle();
    for (const c of this.rec.calls) {
      // A call issued after the crash point cannot be on disk; calls are recorded in issue order.
      if (c.stepsAtIssue >= step) break;
      const ticket = oracle.issue(c.mutations, c.issueMs);
      if (c.stepsAtAck !== undefined && c.stepsAtAck <= step) oracle.acked(ticket, c.results, c.what);
    }
    let first: Map<string, ModelState>;
    try {
      first = await this.recoverAndDump(image);
    } catch (err) {
      return `recovery failed: ${describeError(err)}`;
    }
    oracle.recovered(first, "recovery", this.rec.clock.now());
    if (oracle.violations.length > 0) return oracle.violations[0];
    let second: Map<string, ModelState>;
    try {
      second = await this.recoverAndDump(image.crash(LOSE_ALL_PENDING));
    } catch (err) {
      return `second recovery (after a crash right after the first) failed: ${describeError(err)}`;
    }
    if (stateText(first, false) !== stateText(second, false)) {
      return `second recovery disagrees with the first: ${stateText(second)} vs ${stateText(first)}`;
    }
    return undefined;
  }

  /** Opens the engine on `fs`, reads every key the workload touched, closes it. */
  private async recoverAndDump(fs: SimFileSystem): Promise<Map<string, ModelState>> {
    const driver = new Driver(this.rec.clock);
    const db = await driver.run(
      FuseDB.open({
        ...this.w.knobs,
        dir: DIR,
        fs: this.options.wrapFs ? this.options.wrapFs(fs) : fs,
        clock: this.rec.clock,
        unsafeForTesting: this.options.unsafeForTesting,
      }),
      "recovery",
    );
    const out = new Map<string, ModelState>();
    for (const key of this.rec.keys) {
      const version = await driver.run(db.versionOf(key), "versionOf");
      const got = await driver.run(db.inspect(key), "inspect");
      if (got !== undefined && got.version !== version) {
        throw new Error(`${key}: inspect says version ${got.version}, versionOf ${version}`);
      }
      const state: ModelState = { version, value: got?.value as ModelJson | undefined };
      if (got?.expiresAtMs !== undefined) state.expiresAt = got.expiresAtMs;
      out.set(key, state);
    }
    await driver.run(db.close(), "close");
    return out;
  }
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

function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${errorCode(err) ?? err.name}: ${err.message}`;
  return String(err);
}
