/**
 * Rot check: damage to durable data must end in a typed halt, never in a wrong answer (issue 4: "In no case
 * may it return a wrong value"). A seeded run:
 *
 * 1. runs a workload on the virtual disk (tiny knobs: WAL rotations, group commits and checkpoints happen),
 *    every mutation acknowledged, then closes the engine cleanly: everything acknowledged is durable;
 * 2. picks one byte of one WAL or segment file and makes it read back with a flipped bit, for ever (a latent
 *    sector error, through `FaultyFileSystem.flip` from faults/faulty-file-system.ts);
 * 3. reopens the engine on that disk and reads back every key. The engine passes if it stops with a typed
 *    `CorruptionError` (at open or on a read) or if every answer is right (the damage was harmless, e.g. in
 *    a WAL file the checkpoint made obsolete); it fails if the {@link Oracle} finds the state is not the
 *    model's after every acknowledged call (a lost write, a changed value, a phantom).
 *
 * The flipped byte never lies in the final group-commit write of the last WAL file: there a flip is
 * indistinguishable from a torn write of an unacknowledged group (docs/fault-model.md, "Known limit"), so the
 * engine is allowed to cut it. This check is how broken engines that only show under rot (a reader that
 * ignores checksums, a recovery that truncates at the first bad record) are caught: crash faults alone never
 * damage durable bytes.
 */
import { FaultyFileSystem } from "../faults/faulty-file-system.js";
import { RUNTIME_FAULTS_NONE, RuntimeFaultPlanner } from "../faults/runtime-faults.js";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import { joinPath } from "../src/io/file-system.js";
import { Prng } from "./disk/prng.js";
import { SimClock } from "./disk/sim-clock.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import { SimFileSystem } from "./disk/sim-file-system.js";
import { Driver } from "./driver.js";
import {
  applyMutations,
  breakageOf,
  dumpState,
  ENGINE_DIR,
  type EngineBreakage,
  openEngine,
} from "./engine-under-test.js";
import type { ModelJson, ModelMutation, ModelState } from "./model.js";
import { Oracle } from "./oracle.js";
import { type DamageSite, pickDamageBelowTail } from "./wal-damage.js";

/** What to run. The {@link EngineBreakage} fields (sensitivity tests only) wrap the disk under the bit flip. */
export interface RotCheckOptions extends EngineBreakage {
  seed: string;
}

/** What one rot check did and found. */
export interface RotCheckResult {
  seed: string;
  /** "detected": typed halt; "harmless": every answer right; "wrong": the oracle caught a wrong answer. */
  outcome: "detected" | "harmless" | "wrong";
  verdict: "pass" | "fail";
  /** The damaged file and byte offset (bit 0 flipped), or undefined if the disk had no candidate byte. */
  damage: DamageSite | undefined;
  acks: number;
  /** The oracle's findings (empty unless the verdict is "fail"). */
  violations: string[];
  /** The typed error, if the engine halted. */
  halt?: string;
  knobs: FuseDBOptions;
}

const DIR = ENGINE_DIR;
const KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"];

/** Runs one rot check; never throws for engine misbehaviour. */
export async function runRotCheck(options: RotCheckOptions): Promise<RotCheckResult> {
  const root = new Prng(`rot/${options.seed}`);
  const knobPrng = root.fork("knobs");
  const knobs: FuseDBOptions = {
    walFileBytesMax: knobPrng.pick([256, 1024, 65536]),
    groupCommitBytesMax: knobPrng.pick([64, 1024, 1 << 20]),
    checkpointWalBytes: knobPrng.pick([512, 2048, 1 << 26]),
  };
  const clock = new SimClock();
  const disk = new SimFileSystem({ clock, prng: root.fork("disk") });
  const driver = new Driver(clock);
  const oracle = new Oracle();
  const base = { seed: options.seed, damage: undefined, acks: 0, knobs };
  const breakage = breakageOf(options);
  const open = (fs: FileSystem): Promise<FuseDB> =>
    driver.run(openEngine({ ...breakage, fs, clock, knobs }), "open");
  try {
    const db = await open(disk);
    await runWorkload(db, root.fork("workload"), oracle, driver);
    await driver.run(db.close(), "close");
  } catch (err) {
    // Without damage, the engine must just work.
    const violations = [`before any damage: ${describeError(err)}`, ...oracle.violations];
    return { ...base, outcome: "wrong", verdict: "fail", violations, acks: oracle.acks };
  }
  if (oracle.violations.length > 0) {
    return { ...base, outcome: "wrong", verdict: "fail", violations: oracle.violations, acks: oracle.acks };
  }
  const damage = pickDamageBelowTail(disk, DIR, root.fork("damage"));
  const faulty = new FaultyFileSystem(
    disk,
    new RuntimeFaultPlanner(RUNTIME_FAULTS_NONE, root.fork("faults")),
  );
  if (damage !== undefined) faulty.flip(joinPath(DIR, damage.file), damage.offset);
  const done = { ...base, damage, acks: oracle.acks };
  let state: Map<string, ModelState>;
  try {
    const db = await open(faulty);
    const keys = oracle.model.keys();
    state = await driver.run(dumpState(db, keys, { crossCheck: true, nowMs: clock.now() }), "dump");
    await driver.run(db.close(), "close after damage");
  } catch (err) {
    if (errorCode(err) === "FUSEDB_CORRUPTION") {
      return { ...done, outcome: "detected", verdict: "pass", violations: [], halt: describeError(err) };
    }
    const violations = [`after damage: an untyped or wrong error: ${describeError(err)}`];
    return { ...done, outcome: "wrong", verdict: "fail", violations };
  }
  oracle.recovered(state, "reopen after damage", clock.now());
  if (oracle.violations.length > 0) {
    return { ...done, outcome: "wrong", verdict: "fail", violations: oracle.violations };
  }
  return { ...done, outcome: "harmless", verdict: "pass", violations: [] };
}

/** 8 to 24 calls on 6 keys, in rounds of 1 to 4 concurrent calls, sometimes a checkpoint; all acknowledged. */
async function runWorkload(db: FuseDB, prng: Prng, oracle: Oracle, driver: Driver): Promise<void> {
  const calls = prng.range(8, 24);
  for (let issued = 0; issued < calls; ) {
    const round: Promise<unknown>[] = [];
    for (let n = prng.range(1, 4); n > 0 && issued < calls; n--, issued++) {
      if (prng.bool(0.1)) {
        round.push(db.checkpoint());
        continue;
      }
      const m = mutation(prng);
      const what = `call ${issued + 1} ${m.op} ${m.key}`;
      const ticket = oracle.issue([m], 0);
      round.push(
        applyMutations(db, [m], false).then(
          (r) => oracle.acked(ticket, r.results, what),
          (err: unknown) => oracle.rejected(ticket, errorCode(err), what),
        ),
      );
    }
    await driver.run(Promise.all(round), "round");
  }
}

function mutation(prng: Prng): ModelMutation {
  const key = prng.pick(KEYS);
  switch (prng.int(5)) {
    case 0:
      return { op: "delete", key };
    case 1:
      return { op: "incr", key, delta: prng.range(1, 9) };
    case 2:
      return { op: "patch", key, patch: { a: prng.int(1000), b: `p${prng.int(100)}` } };
    default:
      return { op: "set", key, value: value(prng) };
  }
}

/** Values whose text a flipped bit often turns into different valid JSON (digits, letters). */
function value(prng: Prng): ModelJson {
  if (prng.bool(0.4)) return prng.range(10, 99999);
  return `value-${"x".repeat(prng.range(1, 300))}-${prng.int(1000)}`;
}
