/**
 * A seeded campaign: open the engine on a virtual disk, run a concurrent workload, crash at a seeded point,
 * recover (twice, from the same image, to prove recovery deterministic), check the oracle, repeat; then,
 * with crashes over, require the engine to finish all outstanding work (liveness).
 *
 * One root seed is split into independent streams (knobs, workload, schedule, disk, crash), so a change in
 * one subsystem's draws does not reshuffle the others (FoundationDB's deterministic simulation; TigerBeetle's
 * VOPR). Every event feeds a trace hash: the same seed gives the same hash.
 *
 * Hot-state checks (issue 6): the virtual clock sometimes jumps seconds ahead, so TTLs expire between and
 * during operations and across crashes; each epoch subscribes to a prefix (with a small queue, so slow
 * subscribers do get evicted) and to one key, and checks that every acknowledged call reached every
 * non-evicted matching subscriber exactly once, in commit order, with the model's versions and values; a
 * quarter of the seeds run in durability mode 'relaxed' with the oracle's bounded-loss check.
 *
 * Runtime faults (issue 4): half the seeds run with a drawn {@link RuntimeFaultPlan} (swarm testing), which
 * the virtual disk injects while the workload runs and while an interrupted recovery runs: write EIO and
 * ENOSPC (with short writes), fsync EIO (dropping the pages it covered), read EIO, latent bit flips in
 * durable data (on reads, and left by crashes), misdirected writes. Clean recoveries run without them, so
 * the twin check stays exact. The campaign accepts:
 * - a mutation rejected with FUSEDB_POISONED: not acknowledged, maybe durable (like one in flight at a
 *   crash); the campaign stops issuing and crashes, and recovery must lose no acknowledged write;
 * - a mutation rejected with EIO before it was committed: it never happened ({@link Oracle.retract});
 * - a read or checkpoint failing with EIO or ENOSPC; never a wrong value;
 * - FUSEDB_CORRUPTION naming a file that injected damage touched (a bit flip or a misdirected write): the
 *   run ends as `detected`, a pass. A CorruptionError naming an undamaged file is a failure, and so is a
 *   silent loss of acknowledged writes, unless recovery cut off damage that, when injected, lay inside the
 *   final group-commit write of the last WAL file (the known limit of docs/fault-model.md; classified by
 *   sim/wal-damage.ts), which also ends the run as `detected`.
 *
 * Rot probes: after half the recoveries, a copy of the disk that was recovered gets one latent sector
 * error in durable WAL or segment data outside that final group, and is recovered and read on a side
 * branch: typed halt naming the file, or exactly the recovered state. The run goes on undamaged.
 */
import { type DeviceProfile, drawDeviceProfile } from "../faults/device-profile.js";
import { applyFileLoss } from "../faults/file-loss.js";
import {
  drawRuntimeFaultPlan,
  type RuntimeFaultPlan,
  RuntimeFaultPlanner,
} from "../faults/runtime-faults.js";
import { TornWritePlanner } from "../faults/torn-write-planner.js";
import type { FuseDB, FuseDBOptions, RecoveryMode } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import type { ChangeEvent, Subscription } from "../src/reactive/subscriptions.js";
import { mark, marksSince, snapshot } from "../src/util/coverage.js";
import { openEngineUnderTest } from "./broken-variants.js";
import type { IoFaultPlanner } from "./disk/io-fault-planner.js";
import { Prng } from "./disk/prng.js";
import { SimClock } from "./disk/sim-clock.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import { SimFileSystem } from "./disk/sim-file-system.js";
import { TraceHash } from "./disk/trace-hash.js";
import { Driver, HangError } from "./driver.js";
import { EngineTimeProbe } from "./engine-time.js";
import type { ModelJson, ModelMutation, ModelState } from "./model.js";
import { canonical } from "./model.js";
import type { CallTicket, ReadAnswer, ReadTicket } from "./oracle.js";
import { Oracle } from "./oracle.js";
import { describeProbeDamage, pickProbeDamage, WalDamageLedger } from "./wal-damage.js";
import type { WorkloadStep } from "./workload.js";
import { Workload } from "./workload.js";

/** What to run. Only `seed` is required; the rest default or are drawn from the seed. */
export interface CampaignOptions {
  seed: string;
  /** Crash/recover cycles. Default 4. */
  cycles?: number;
  /** Workload steps issued per cycle (the crash lands somewhere inside). Default 120. */
  opsPerCycle?: number;
  /** Key universe size. Default 24. */
  keys?: number;
  /** Most operations in flight; default drawn from the seed in 1..64. */
  inflightMax?: number;
  /** Engine knobs; by default drawn from the seed (swarm testing). */
  knobs?: FuseDBOptions;
  /**
   * Crash faults: "torn" tears, drops and fills unsynced writes at sector granularity on a seeded
   * DeviceProfile (faults/torn-write-planner.ts); "whole" keeps or drops whole writes. Default: drawn.
   */
  crashFaults?: "whole" | "torn";
  /** Wraps the virtual disk the engine sees: broken variants for sensitivity tests. */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Breaks the engine's recovery on purpose (sim/broken-variants.ts; sensitivity tests only). */
  recoveryMode?: RecoveryMode;
  /**
   * Durability mode: 'relaxed' lets the oracle accept the loss of up to `relaxedUnsyncedMax` acknowledged
   * calls per crash. Default: `knobs.durability` if given, else drawn (a quarter of the seeds relaxed); the
   * mode in force is reported in `knobs`.
   */
  durability?: "fsync" | "relaxed";
  /**
   * Runtime faults the virtual disk injects while the workload runs, or "off". Default: drawn from the
   * seed (half the seeds off; see `drawRuntimeFaultPlan`).
   */
  runtimeFaults?: RuntimeFaultPlan | "off";
}

/** What a campaign did and found. */
export interface CampaignResult {
  seed: string;
  verdict: "pass" | "fail";
  violations: string[];
  ops: number;
  acks: number;
  reads: number;
  crashes: number;
  recoveries: number;
  faults: number;
  virtualMs: number;
  traceHash: string;
  knobs: FuseDBOptions;
  options: Required<Omit<CampaignOptions, "wrapFs" | "recoveryMode" | "knobs" | "durability">>;
  /** Subscribers evicted as slow (FUSEDB_SLOW_SUBSCRIBER). */
  evictions: number;
  /** Subscription events delivered and checked. */
  events: number;
  /** Runtime faults injected (write, fsync and read errors, bit flips, misdirected writes). */
  runtimeFaults: number;
  /**
   * Set when the run ended early because the engine detected injected damage (FUSEDB_CORRUPTION naming a
   * damaged file, or the known limit): what it detected. Such a run passes.
   */
  detected?: string;
  /** Coverage marks hit during this campaign (src/util/coverage.ts), by name. */
  marks: Record<string, number>;
}

const DIR = "/db";
/**
 * Chance of a rot probe after each crash's recovery (campaigns take about 1.1x the time they take without;
 * probes spread over every seed catch the broken readers in more seeds than probes concentrated in a few).
 */
const ROT_PROBE_PER_CRASH = 0.5;

/** Draws engine knobs: tiny, so rotations, group caps and checkpoints happen often. */
export function drawKnobs(prng: Prng): FuseDBOptions {
  return {
    walFileBytesMax: prng.pick([256, 1024, 4096, 65536]),
    groupCommitBytesMax: prng.pick([64, 512, 4096, 1 << 20]),
    blockCacheBytes: prng.pick([1, 4096, 65536, 1 << 25]),
    // Automatic checkpoints every few KiB of WAL, so crashes land inside them (drawn last: earlier draws keep).
    checkpointWalBytes: prng.pick([512, 2048, 8192, 1 << 26]),
    // The leaf tree at toy sizes: buffers of a few entries, leaves of a few KiB, so flushes, merges, splits,
    // manifest rewrites and WAL deletions happen hundreds of times per seed.
    leafBufferBytes: prng.pick([128, 512, 2048, 1 << 20]),
    leafBytesMax: prng.pick([1024, 4096, 16384, 8 << 20]),
    segmentsMax: prng.range(1, 4),
    bufferBytesMax: prng.pick([1024, 8192, 64 << 20]),
    manifestBytesMax: prng.pick([256, 2048, 1 << 20]),
  };
}

/** Runs one campaign. Never throws for engine misbehaviour: it is reported in `violations`. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const marksBefore = snapshot();
  const root = new Prng(options.seed);
  const knobs = { ...(options.knobs ?? drawKnobs(root.fork("knobs"))) };
  const durabilityPrng = root.fork("durability");
  const durability =
    options.durability ?? knobs.durability ?? (durabilityPrng.bool(0.25) ? "relaxed" : "fsync");
  if (durability === "relaxed") {
    knobs.durability = "relaxed";
    knobs.relaxedUnsyncedMax ??= durabilityPrng.pick([1, 4, 32, 256]);
  } else if (durability !== "fsync") {
    throw new Error(`campaigns run in mode 'fsync' or 'relaxed', not ${durability}`);
  }
  const schedule = root.fork("schedule");
  const opts = {
    seed: options.seed,
    cycles: options.cycles ?? 4,
    opsPerCycle: options.opsPerCycle ?? 120,
    keys: options.keys ?? 24,
    inflightMax: options.inflightMax ?? root.fork("inflight").range(1, 64),
    crashFaults: options.crashFaults ?? (root.fork("faults").bool() ? "torn" : "whole"),
    runtimeFaults: options.runtimeFaults ?? drawRuntimeFaults(root.fork("runtime-plan")),
  };
  const run = new CampaignRun(root, schedule, knobs, opts, options.wrapFs, options.recoveryMode);
  await run.execute();
  return {
    seed: opts.seed,
    verdict: run.oracle.violations.length === 0 ? "pass" : "fail",
    violations: run.oracle.violations,
    ops: run.ops,
    acks: run.oracle.acks,
    reads: run.reads,
    crashes: run.crashes,
    recoveries: run.recoveries,
    faults: run.faults,
    virtualMs: run.clock.now() - run.startMs,
    traceHash: run.trace.digest(),
    knobs,
    options: opts,
    evictions: run.evictions,
    events: run.events,
    runtimeFaults: run.runtime?.total ?? 0,
    detected: run.detected,
    marks: marksSince(marksBefore),
  };
}

/** Half the seeds run without runtime faults; the rest draw a plan. */
function drawRuntimeFaults(prng: Prng): RuntimeFaultPlan | "off" {
  return prng.bool() ? drawRuntimeFaultPlan(prng) : "off";
}

class CampaignRun {
  readonly clock = new SimClock();
  readonly startMs = this.clock.now();
  readonly trace = new TraceHash();
  readonly oracle: Oracle;
  readonly driver = new Driver(this.clock);
  private watches: Watch[] = [];
  private readonly subsPrng: Prng;
  evictions = 0;
  events = 0;
  private readonly workload: Workload;
  private readonly crashPrng: Prng;
  /** Each handle's clock, to know the engine's time (sim/engine-time.ts). */
  private readonly probes = new WeakMap<FuseDB, EngineTimeProbe>();
  /** Draws the clock's steps back (its own stream: the schedule's draws stay as they were). */
  private readonly clockPrng: Prng;
  /** Runtime faults injected before the current epoch began (one since: its observations may not be durable). */
  private epochFaults = 0;
  /** Steps back of the clock so far. */
  private clockStepsBack = 0;
  private fs: SimFileSystem;
  private inflight = 0;
  ops = 0;
  reads = 0;
  crashes = 0;
  recoveries = 0;
  /** Unsynced writes torn, dropped or filled with junk by crash faults. */
  faults = 0;
  private readonly device: DeviceProfile;
  /** The disk's runtime faults, if this seed has them. */
  readonly runtime: RuntimeFaultPlanner | undefined;
  /** The engine rejected a call with FUSEDB_POISONED: stop issuing, crash, recover. */
  private poisoned = false;
  /** What injected damage the engine detected; the run ends. */
  detected: string | undefined;
  /** Injected WAL damage, classified when injected: only the final group-commit write excuses a loss. */
  private readonly walDamage = new WalDamageLedger(DIR);
  /** Draws of the rot probes: whether one follows a recovery, and where it damages. */
  private readonly probePrng: Prng;

  constructor(
    root: Prng,
    private readonly schedule: Prng,
    private readonly knobs: FuseDBOptions,
    private readonly opts: Required<
      Omit<CampaignOptions, "wrapFs" | "recoveryMode" | "knobs" | "durability">
    >,
    private readonly wrapFs: ((fs: FileSystem) => FileSystem) | undefined,
    private readonly recoveryMode: RecoveryMode | undefined,
  ) {
    this.oracle = new Oracle(
      knobs.durability === "relaxed" ? { relaxedUnsyncedMax: knobs.relaxedUnsyncedMax ?? 256 } : {},
    );
    this.subsPrng = root.fork("subscriptions");
    this.workload = new Workload(root.fork("workload"), opts.keys);
    this.crashPrng = root.fork("crash");
    this.clockPrng = root.fork("clock-steps");
    this.probePrng = root.fork("rot-probe");
    this.device = drawDeviceProfile(root.fork("device"));
    this.fs = new SimFileSystem({
      clock: this.clock,
      prng: root.fork("disk"),
      onEvent: (e) => this.trace.update(e),
    });
    const plan = opts.runtimeFaults;
    this.runtime =
      plan === "off"
        ? undefined
        : new RuntimeFaultPlanner(plan, root.fork("runtime-faults"), (kind) => mark(`fault.${kind}`));
  }

  async execute(): Promise<void> {
    try {
      let db = await this.open(this.fs, "initial open");
      this.watch(db);
      this.fs.setIoFaults(this.faultsFor(this.fs));
      for (let cycle = 0; cycle < this.opts.cycles; cycle++) {
        await this.issue(db, this.schedule.range(1, this.opts.opsPerCycle), false);
        // Let the crash land in the middle of I/O.
        for (let i = this.schedule.int(40); i > 0; i--) await this.driver.step();
        // Often, move on to a moment when writes are in flight, so the crash has something to tear.
        if (this.schedule.bool(0.6)) {
          for (let i = 0; i < 200 && this.fs.pendingFileOps() === 0 && this.healthy(); i++) {
            if (this.inflight < this.opts.inflightMax && this.schedule.bool(0.5))
              this.start(db, this.workload.next());
            await this.driver.step();
          }
        }
        if (this.detected !== undefined) return;
        // After a poison, sometimes restart the process first, without a power loss: the page cache still
        // holds what a failed fsync dropped (fsyncgate), and recovery must not build on it.
        if (this.poisoned && this.schedule.bool(0.5)) {
          const restarted = await this.restart(db, cycle);
          if (this.oracle.violations.length > 0 || restarted === undefined) return;
          db = restarted;
          await this.issue(db, this.schedule.range(1, this.opts.opsPerCycle), false);
          for (let i = this.schedule.int(40); i > 0; i--) await this.driver.step();
          if (this.detected !== undefined) return;
        }
        // Which background job (flush, merge, split, ...) the crash interrupts: proof crashes land inside each.
        const job = db.stats().tree.running;
        if (job !== undefined) mark(`crash.during.${job}`);
        const next = await this.crashAndRecover(cycle);
        if (this.oracle.violations.length > 0 || next === undefined) return;
        db = next;
        this.fs.setIoFaults(this.faultsFor(this.fs));
      }
      // Liveness: no more crashes and no more runtime faults; everything issued must complete.
      this.fs.setIoFaults(undefined);
      await this.issue(db, this.opts.opsPerCycle, true);
      await this.driver.until(() => this.inflight === 0, "liveness: outstanding operations");
      if (this.detected !== undefined) return;
      await this.driver.run(db.close(), "close");
      await this.driver.settle();
      this.checkWatches("after close", true);
      // After a clean close every acknowledged write is durable: a crash now must lose nothing.
      await this.crashAndRecover(this.opts.cycles, true);
    } catch (err) {
      if (err instanceof HangError) this.oracle.violations.push(`hang: ${err.message}`);
      else if (!this.detectedDamage(err, this.fs, "engine error"))
        this.oracle.violations.push(`engine error: ${describeError(err)}`);
    }
  }

  /** Neither poisoned nor stopped by detected damage: worth issuing more work. */
  private healthy(): boolean {
    return !this.poisoned && this.detected === undefined;
  }

  /**
   * Whether `err` is FUSEDB_CORRUPTION naming a file of `disk` that injected damage touched; if so, the run
   * ends as detected. Any other error: false (the caller decides whether it is a violation).
   */
  private detectedDamage(err: unknown, disk: SimFileSystem, what: string): boolean {
    if (errorCode(err) !== "FUSEDB_CORRUPTION") return false;
    const file = (err as { file?: unknown }).file;
    if (typeof file !== "string" || !disk.damagedFiles().has(`${DIR}/${file}`)) return false;
    this.detect(`${what}: ${describeError(err)}`);
    return true;
  }

  private detect(what: string): void {
    if (this.detected !== undefined) return;
    this.detected = what;
    mark("campaign.detected");
    this.trace.update(`detected ${what}`);
  }

  private async open(fs: SimFileSystem, what: string): Promise<FuseDB> {
    const seen = this.wrapFs ? this.wrapFs(fs) : fs;
    const probe = new EngineTimeProbe(this.clock);
    const db = await this.driver.run(
      openEngineUnderTest({ ...this.knobs, dir: DIR, fs: seen, clock: probe }, this.recoveryMode),
      what,
    );
    this.probes.set(db, probe);
    this.trace.update(`open ${what} lsn=${db.recovery.lastLsn} replayed=${db.recovery.replayedRecords}`);
    return db;
  }

  /** Subscribes to a prefix (small queue: evictions happen) and to one hot key, from the model's last position. */
  private watch(db: FuseDB): void {
    const startPos = this.oracle.model.lastPos;
    const prefix = "k00";
    const key = Workload.keyName(0);
    const queueMax = this.subsPrng.pick([2, 8, 64, 1024]);
    this.watches = [
      this.consume(
        db.subscribe({ prefix }, { queueMax }),
        `prefix ${prefix}`,
        (k) => k.startsWith(prefix),
        startPos,
      ),
      this.consume(db.subscribe(key), `key ${key}`, (k) => k === key, startPos),
    ];
  }

  private consume(
    sub: Subscription,
    label: string,
    matches: (key: string) => boolean,
    startPos: number,
  ): Watch {
    const w: Watch = { sub, label, matches, startPos, events: [], evicted: false, error: undefined };
    const loop = async (): Promise<void> => {
      for await (const e of sub) w.events.push(e);
    };
    loop().then(
      () => undefined,
      (err: unknown) => {
        if (errorCode(err) === "FUSEDB_SLOW_SUBSCRIBER") {
          w.evicted = true;
          this.evictions++;
          this.trace.update(`evicted ${label}`);
        } else w.error = describeError(err);
      },
    );
    return w;
  }

  /**
   * Subscription check: each watch saw a prefix of the model's changes of matching keys since it subscribed
   * (exactly once, in commit order, with the model's versions, values and expiries), and unless evicted, at
   * least every change of every acknowledged call. Then the watches are dropped.
   */
  private checkWatches(what: string, ended = false): void {
    const model = this.oracle.model;
    for (const w of this.watches) {
      if (w.error !== undefined)
        this.oracle.violations.push(`${what}: subscription ${w.label} failed: ${w.error}`);
      const expected: {
        pos: number;
        key: string;
        version: number;
        value: ModelJson | undefined;
        exp?: number;
      }[] = [];
      for (let pos = w.startPos + 1; pos <= model.lastPos; pos++) {
        for (const c of model.changesAt(pos)) {
          if (w.matches(c.key)) {
            expected.push({
              pos,
              key: c.key,
              version: c.state.version,
              value: c.state.value,
              exp: c.state.expiresAt,
            });
          }
        }
      }
      this.events += w.events.length;
      const n = Math.min(w.events.length, expected.length);
      if (w.events.length > expected.length) {
        this.oracle.violations.push(
          `${what}: subscription ${w.label} got ${w.events.length} events, model has ${expected.length} changes`,
        );
      }
      for (let i = 0; i < n; i++) {
        const e = w.events[i] as ChangeEvent;
        const x = expected[i] as (typeof expected)[number];
        const same =
          e.key === x.key &&
          e.version === x.version &&
          e.kind === (x.value === undefined ? "delete" : "put") &&
          canonical(e.value as ModelJson | undefined) === canonical(x.value) &&
          e.expiresAtMs === x.exp;
        if (!same) {
          this.oracle.violations.push(
            `${what}: subscription ${w.label} event ${i} is ${e.key} v${e.version} ${canonical(e.value as ModelJson | undefined)}, ` +
              `model change at ${x.pos}: ${x.key} v${x.version} ${canonical(x.value)}`,
          );
          break;
        }
      }
      if (!w.evicted) {
        const acked = this.oracle.ackedMax;
        const required = expected.filter((x) => x.pos <= acked).length;
        if (w.events.length < required) {
          this.oracle.violations.push(
            `${what}: subscription ${w.label} got ${w.events.length} events, but acknowledged calls made ${required}`,
          );
        }
      }
      if (ended && !w.evicted && w.events.length !== expected.length) {
        this.oracle.violations.push(
          `${what}: subscription ${w.label} ended with ${w.events.length} of ${expected.length} changes`,
        );
      }
      void w.sub.return();
    }
    this.watches = [];
  }

  /**
   * A process restart without a power loss: closes the poisoned `db` and opens the same disk again (faults
   * off while it recovers), checking the recovered state. Returns the new handle, or undefined when the
   * engine detected injected damage.
   */
  private async restart(db: FuseDB, cycle: number): Promise<FuseDB | undefined> {
    this.fs.setIoFaults(undefined);
    await this.driver.run(db.close(), "close after poison");
    await this.driver.until(() => this.inflight === 0, "restart: outstanding operations");
    await this.driver.settle();
    this.checkWatches(`restart ${cycle}`);
    this.endEpoch();
    this.poisoned = false;
    this.trace.update(`restart ${cycle}`);
    let state: Map<string, ModelState>;
    let next: FuseDB;
    try {
      next = await this.open(this.fs, `restart ${cycle}`);
      state = await this.driver.run(this.dump(next), "dump state after restart");
    } catch (err) {
      if (this.detectedDamage(err, this.fs, `restart ${cycle}`)) return undefined;
      throw err;
    }
    this.recoveries++;
    const prefix = this.checkRecovered(this.fs, state, `restart ${cycle}`, next);
    this.trace.update(`restarted ${cycle} prefix=${prefix}`);
    if (this.detected !== undefined) return undefined;
    mark("campaign.restart-after-poison");
    this.watch(next);
    this.fs.setIoFaults(this.faultsFor(this.fs));
    return next;
  }

  /**
   * Crashes, recovers twice from the image (faults off), checks the oracle. Returns the recovered handle,
   * or undefined when the engine detected injected damage (the run ends).
   */
  private async crashAndRecover(cycle: number, final = false): Promise<FuseDB | undefined> {
    let image = this.crashDisk(this.fs, `crash-${cycle}`);
    this.crashes++;
    this.trace.update(`crash ${cycle}`);
    // Acknowledgements of records made durable before the crash may still be in flight as callbacks.
    await this.driver.settle();
    this.endEpoch();
    this.poisoned = false;
    if (!final) this.checkWatches(`crash ${cycle}`);
    if (!final) {
      const rot = this.runtime?.injectLatentError(image, DIR, (path, offset) =>
        this.walDamage.flipped(image, path, offset),
      );
      if (rot !== undefined) this.trace.update(`latent error ${rot.path}@${rot.offset}`);
    }
    if (this.schedule.bool(0.3)) image = await this.crashDuringRecovery(image, cycle);
    const twin = image.clone();
    const probe = this.probePrng.bool(ROT_PROBE_PER_CRASH) ? image.clone() : undefined;
    let db: FuseDB;
    let state: Map<string, ModelState>;
    let stateTwin: Map<string, ModelState>;
    let dbTwin: FuseDB;
    try {
      db = await this.open(image, `recovery ${cycle}`);
      state = await this.driver.run(this.dump(db), "dump state");
      dbTwin = await this.open(twin, `recovery ${cycle} (twin)`);
      stateTwin = await this.driver.run(this.dump(dbTwin), "dump twin state");
    } catch (err) {
      if (this.detectedDamage(err, image, `recovery ${cycle}`)) return undefined;
      throw err;
    }
    this.recoveries += 2;
    if (image.fingerprint() !== twin.fingerprint()) {
      this.oracle.violations.push(`recovery ${cycle}: two recoveries of one image left different files`);
    }
    if (stateText(state) !== stateText(stateTwin)) {
      this.oracle.violations.push(`recovery ${cycle}: two recoveries of one image gave different states`);
    }
    await this.driver.run(dbTwin.close(), "close twin");
    const before = this.oracle.model.lastPos;
    const prefix = this.checkRecovered(image, state, `recovery ${cycle}`, db);
    if (final && prefix !== undefined && prefix !== before) {
      this.oracle.violations.push(`after a clean close, recovery kept ${prefix} of ${before} commits`);
    }
    this.trace.update(`recovered ${cycle} prefix=${prefix}`);
    this.fs = image;
    if (this.detected !== undefined) return undefined;
    if (probe !== undefined && prefix !== undefined) await this.rotProbe(probe, prefix, `recovery ${cycle}`);
    if (!final) this.watch(db);
    return db;
  }

  /**
   * A rot probe, on a side branch (the run goes on from the undamaged recovery): gives `image`, a copy of the
   * disk a recovery just brought back to commit `prefix`, one latent sector error in durable WAL or segment
   * data outside the last WAL file's final group-commit write, or sometimes a wider loss (the newest WAL file
   * deleted, the last one cut inside an older group: `pickProbeDamage`, sim/wal-damage.ts), recovers it and
   * reads every key. Damage there is never the known limit, so the engine must stop with FUSEDB_CORRUPTION
   * naming the damaged (or missing) file, or answer exactly the model at `prefix`. This is how campaigns
   * catch a reader that ignores checksums or a recovery that cuts the log at the first bad record.
   */
  private async rotProbe(image: SimFileSystem, prefix: number, what: string): Promise<void> {
    const damage = pickProbeDamage(image, DIR, this.probePrng);
    if (damage === undefined) return;
    if (damage.kind === "flip") {
      image.flipBit(`${DIR}/${damage.site.file}`, damage.site.offset, 1 << this.probePrng.int(8));
    } else {
      await this.driver.run(applyFileLoss(image, DIR, damage.loss), "rot probe loss");
      mark(`fault.rot-probe-${damage.loss.kind}`);
    }
    mark("fault.rot-probe");
    const where = `${what}: rot probe, ${describeProbeDamage(damage)}`;
    this.trace.update(where);
    let db: FuseDB | undefined;
    try {
      db = await this.open(image, where);
      const state = await this.driver.run(this.dump(db), "dump rot probe");
      const diffs = this.oracle.differences(state, prefix, this.engineNow(db));
      if (diffs.length > 0) {
        this.oracle.violations.push(
          `${where}: recovered state is not the model at ${prefix}: ${diffs.join("; ")}`,
        );
      } else mark("campaign.rot-probe-harmless");
    } catch (err) {
      const file = (err as { file?: unknown }).file;
      if (errorCode(err) === "FUSEDB_CORRUPTION" && file === damage.file) {
        mark("campaign.rot-probe-detected");
        this.trace.update(`rot probe detected: ${describeError(err)}`);
      } else this.oracle.violations.push(`${where}: engine error: ${describeError(err)}`);
    }
    if (db !== undefined) {
      // A close after detected damage may fail; the probe's verdict is in.
      await this.driver.run(
        db.close().catch(() => undefined),
        "close rot probe",
      );
    }
  }

  /**
   * Checks a recovered `state` with the oracle; under the known limit (injected damage cut as a torn tail)
   * a loss of acknowledged commits ends the run as detected instead. Returns the prefix kept, if any.
   */
  private checkRecovered(
    disk: SimFileSystem,
    state: Map<string, ModelState>,
    what: string,
    db: FuseDB,
  ): number | undefined {
    const cut = this.walDamage.excusedCut(disk);
    const floor = this.oracle.floorPos;
    const prefix = this.oracle.recovered(state, what, this.engineNow(db), cut !== undefined);
    if (cut !== undefined && prefix !== undefined && prefix < floor) {
      mark("campaign.known-limit");
      this.detect(
        `${what}: known limit: damage at ${cut} was cut as a torn tail, losing ` +
          `commits ${prefix + 1}..${floor}, acknowledged or recovered before`,
      );
    }
    return prefix;
  }

  /** The runtime faults for `disk`, with every bit flip and misdirected write classified as injected. */
  private faultsFor(disk: SimFileSystem): IoFaultPlanner | undefined {
    return this.runtime === undefined ? undefined : this.walDamage.plannerFor(this.runtime, disk);
  }

  /** Crashes `disk` with this campaign's crash faults, counting the faults injected (and marking them). */
  private crashDisk(disk: SimFileSystem, stream: string): SimFileSystem {
    const prng = this.crashPrng.fork(stream);
    if (this.opts.crashFaults === "whole") return disk.crash(prng);
    const planner = new TornWritePlanner(prng, this.device);
    const image = disk.crash(planner);
    const c = planner.counts;
    this.faults +=
      c.dropped + c.tornPrefix + c.tornSubset + c.garbageSectors + c.zeroSectors + c.partialSectors;
    mark("fault.crash-dropped-write", c.dropped);
    mark("fault.crash-torn-write", c.tornPrefix + c.tornSubset);
    mark("fault.crash-junk-sector", c.garbageSectors + c.zeroSectors + c.partialSectors);
    return image;
  }

  /**
   * Starts a recovery on `image` and crashes it after a seeded number of steps: recovery itself (cutting a
   * torn tail, removing orphans, creating a WAL file) must be crash-safe. Returns the new image.
   */
  private async crashDuringRecovery(image: SimFileSystem, cycle: number): Promise<SimFileSystem> {
    const seen = this.wrapFs ? this.wrapFs(image) : image;
    // Runtime faults may strike the interrupted recovery (a failed fsync of its torn-tail cut, say).
    image.setIoFaults(this.faultsFor(image));
    const attempt = openEngineUnderTest(
      { ...this.knobs, dir: DIR, fs: seen, clock: this.clock },
      this.recoveryMode,
    );
    attempt.then(
      () => this.trace.update(`recovery ${cycle} finished before its crash`),
      () => this.trace.update(`recovery ${cycle} interrupted`),
    );
    for (let i = this.schedule.range(1, 30); i > 0; i--) await this.driver.step();
    const next = this.crashDisk(image, `crash-${cycle}-in-recovery`);
    this.crashes++;
    this.trace.update(`crash in recovery ${cycle}`);
    await this.driver.settle();
    return next;
  }

  /**
   * A read of `key` on `db` starts: returns its ticket, to take when it answers. The engine reads the clock
   * when it evaluates the read, later; if the clock stepped back meanwhile, only the time the engine had
   * surely reached at the start bounds that moment from below, so the ticket then starts there.
   */
  private readStart(db: FuseDB, key: string): () => ReadTicket {
    const ticket = this.oracle.readStart(key, this.engineNow(db));
    const sureMs = this.probes.get(db)?.reachedMs(db.recovery.clockFloorMs) ?? ticket.startMs;
    const steps = this.clockStepsBack;
    return () => {
      if (this.clockStepsBack !== steps) ticket.startMs = sureMs;
      return ticket;
    };
  }

  /** The engine clock of handle `db` now (sim/engine-time.ts). */
  private engineNow(db: FuseDB): number {
    const probe = this.probes.get(db);
    return probe === undefined ? this.clock.now() : probe.engineNow(db.recovery.clockFloorMs);
  }

  /**
   * The epoch ends (crash or restart): what its reads saw expired outlives it only if their clock records
   * were durable: mode 'fsync', no poison, no runtime fault injected in it.
   */
  private endEpoch(): void {
    const injected = this.runtime?.total ?? 0;
    const durable = this.knobs.durability !== "relaxed" && !this.poisoned && injected === this.epochFaults;
    this.oracle.expired.epochEnded(durable);
    this.epochFaults = injected;
  }

  private async dump(db: FuseDB): Promise<Map<string, ModelState>> {
    const out = new Map<string, ModelState>();
    for (const key of this.oracle.model.keys()) {
      const version = await db.versionOf(key);
      const got = await db.inspect(key);
      if (got !== undefined && got.version !== version) {
        this.oracle.violations.push(`${key}: inspect says version ${got.version}, versionOf ${version}`);
      }
      const state: ModelState = { version, value: got?.value as ModelJson | undefined };
      if (got?.expiresAtMs !== undefined) state.expiresAt = got.expiresAtMs;
      out.set(key, state);
    }
    return out;
  }

  /** Issues `count` steps, keeping at most inflightMax in flight, letting the world move in between. */
  private async issue(db: FuseDB, count: number, checkpointsAllowed: boolean): Promise<void> {
    for (let i = 0; i < count && this.healthy(); i++) {
      if (this.inflight >= this.opts.inflightMax) {
        await this.driver.until(() => this.inflight < this.opts.inflightMax, "waiting for an operation slot");
      }
      const step = this.workload.next();
      if (step.kind === "checkpoint" && !checkpointsAllowed && this.schedule.bool(0.5)) continue;
      this.start(db, step);
      if (this.schedule.bool(0.4)) await this.driver.step();
      // Sometimes jump the clock seconds ahead, so TTLs expire (timers due meanwhile fire in order).
      if (this.schedule.bool(0.02)) {
        const ms = this.schedule.range(100, 4000);
        this.clock.advance(ms);
        this.trace.update(`clock +${ms}`);
      }
      // Sometimes step the clock back, as a wall clock set back does: expired documents stay expired.
      if (this.clockPrng.bool(0.01)) {
        const ms = Math.min(this.clockPrng.range(100, 6000), this.clock.now());
        this.clock.stepBack(ms);
        this.clockStepsBack++;
        mark("fault.clock-step-back");
        this.trace.update(`clock -${ms}`);
      }
    }
  }

  private start(db: FuseDB, step: WorkloadStep): void {
    const id = ++this.ops;
    this.inflight++;
    const done = (): void => {
      this.inflight--;
    };
    switch (step.kind) {
      case "mutate": {
        const what = `op#${id} ${describeMutations(step.mutations)}`;
        const ticket = this.oracle.issue(step.mutations, this.engineNow(db));
        this.trace.update(`issue ${what}`);
        this.mutate(db, step.mutations, step.batch).then(
          (results) => {
            this.trace.update(`ack #${id}`);
            this.oracle.acked(ticket, results, what);
            done();
          },
          (err: unknown) => {
            this.trace.update(`reject #${id} ${errorCode(err)}`);
            this.rejected(ticket, err, what);
            done();
          },
        );
        return;
      }
      case "get": {
        this.reads++;
        const what = `op#${id} get ${step.key}`;
        const read = this.readStart(db, step.key);
        db.get(step.key).then(
          (answer) => {
            this.trace.update(`read #${id} ${answer ? `v${answer.version}` : "absent"}`);
            this.oracle.readDone(read(), answer as ReadAnswer, what, this.engineNow(db));
            done();
          },
          (err: unknown) => {
            this.readFailed(err, what);
            done();
          },
        );
        return;
      }
      case "ttl": {
        this.reads++;
        const what = `op#${id} ttl ${step.key}`;
        const read = this.readStart(db, step.key);
        db.ttl(step.key).then(
          (answer) => {
            this.trace.update(`ttl #${id} ${answer}`);
            this.oracle.ttlDone(read(), answer, what, this.engineNow(db));
            done();
          },
          (err: unknown) => {
            this.readFailed(err, what);
            done();
          },
        );
        return;
      }
      case "scan": {
        this.reads++;
        const what = `op#${id} scan ${JSON.stringify(step)}`;
        const read = this.readStart(db, "");
        db.scan({ gte: step.gte, lt: step.lt, limit: step.limit, reverse: step.reverse }).then(
          (answer) => {
            this.trace.update(`scan #${id} ${answer.length}`);
            this.checkScan(step, read(), answer, what, this.engineNow(db));
            done();
          },
          (err: unknown) => {
            this.readFailed(err, what);
            done();
          },
        );
        return;
      }
      case "checkpoint": {
        const what = `op#${id} checkpoint`;
        db.checkpoint().then(
          (r) => {
            this.trace.update(`checkpoint #${id} lsn=${r.lsn}`);
            done();
          },
          (err: unknown) => {
            this.readFailed(err, what);
            done();
          },
        );
      }
    }
  }

  private async mutate(
    db: FuseDB,
    mutations: ModelMutation[],
    batch: boolean,
  ): Promise<{ version: number; value?: unknown }[]> {
    const m = mutations[0] as ModelMutation;
    if (batch) return (await db.batch(mutations)).results;
    const cond = { ifVersion: m.ifVersion };
    switch (m.op) {
      case "set":
        return [await db.set(m.key, m.value, { ttlMs: m.ttlMs, ifVersion: m.ifVersion })];
      case "delete":
        return [await db.delete(m.key, cond)];
      case "patch":
        return [await db.patch(m.key, m.patch, cond)];
      case "incr":
        return [await db.incr(m.key, m.delta, cond)];
      case "expire":
        return [await db.expire(m.key, m.ms, cond)];
    }
  }

  private rejected(ticket: CallTicket, err: unknown, what: string): void {
    const code = failureCode(err);
    if (code === undefined) {
      this.oracle.violations.push(`${what}: rejected with an untyped error: ${describeError(err)}`);
      return;
    }
    // A handle on a disk that has since crashed may still reject calls late: that poisons no later epoch.
    if (code === "FUSEDB_POISONED" && errorCode((err as { cause?: unknown }).cause) !== "ESIMCRASHED")
      this.poisoned = true;
    // Read errors while resolving the call: it was never committed.
    if (code === "EIO" && this.runtime !== undefined) {
      mark("oracle.retracted");
      this.oracle.retract(ticket, what);
      return;
    }
    if (code === "FUSEDB_CORRUPTION") {
      if (this.detectedDamage(err, this.fs, what)) this.oracle.retract(ticket, what);
      else this.oracle.violations.push(`${what}: rejected without injected damage: ${describeError(err)}`);
      return;
    }
    this.oracle.rejected(ticket, code, what);
  }

  private readFailed(err: unknown, what: string): void {
    const code = failureCode(err);
    // A read or checkpoint may fail because the disk under it crashed or the engine is poisoned/closed,
    if (code === "ESIMCRASHED" || code === "FUSEDB_CLOSED") return;
    if (code === "FUSEDB_POISONED") {
      this.poisoned = true;
      return;
    }
    // because of an injected I/O error,
    if ((code === "EIO" || code === "ENOSPC") && this.runtime !== undefined) return;
    // or because it found damage that was injected.
    if (this.detectedDamage(err, this.fs, what)) return;
    this.oracle.violations.push(`${what}: failed without an injected fault: ${describeError(err)}`);
  }

  private checkScan(
    step: Extract<WorkloadStep, { kind: "scan" }>,
    started: ReadTicket,
    answer: { key: string; value: unknown; version: number; expiresAtMs?: number }[],
    what: string,
    endMs: number,
  ): void {
    for (let i = 1; i < answer.length; i++) {
      const a = (answer[i - 1] as { key: string }).key;
      const b = (answer[i] as { key: string }).key;
      if (step.reverse ? !(a > b) : !(a < b))
        this.oracle.violations.push(`${what}: out of order at ${a}, ${b}`);
    }
    const inBounds = (k: string): boolean =>
      (step.gte === undefined || k >= step.gte) && (step.lt === undefined || k < step.lt);
    for (const a of answer)
      if (!inBounds(a.key)) this.oracle.violations.push(`${what}: ${a.key} out of bounds`);
    const last = answer[answer.length - 1]?.key;
    const full = answer.length === step.limit && last !== undefined;
    const universe: string[] = [];
    for (let i = 0; i < this.opts.keys; i++) {
      const k = Workload.keyName(i);
      if (!inBounds(k)) continue;
      if (full && (step.reverse ? k < last : k > last)) continue;
      universe.push(k);
    }
    this.oracle.scanDone(
      started.floorPos,
      universe,
      answer as { key: string; value: ModelJson; version: number; expiresAtMs?: number }[],
      false,
      what,
      started.startMs,
      endMs,
      started.seq,
    );
  }
}

/** One subscription watched through an epoch. */
interface Watch {
  sub: Subscription;
  label: string;
  matches: (key: string) => boolean;
  /** Model position when it subscribed: it must see changes after it. */
  startPos: number;
  events: ChangeEvent[];
  evicted: boolean;
  error: string | undefined;
}

function stateText(state: Map<string, ModelState>): string {
  return [...state].map(([k, s]) => `${k}=v${s.version}:${canonical(s.value)}@${s.expiresAt}`).join("\n");
}

function describeMutations(ms: readonly ModelMutation[]): string {
  return ms
    .map((m) => {
      const cond = m.ifVersion === undefined ? "" : ` if v${m.ifVersion}`;
      return describeMutation(m) + cond;
    })
    .join("; ");
}

function describeMutation(m: ModelMutation): string {
  return [m]
    .map((m) => {
      if (m.op === "set" && m.ttlMs !== undefined)
        return `set ${m.key}=${JSON.stringify(m.value)} ttl ${m.ttlMs}`;
      if (m.op === "set") return `set ${m.key}=${JSON.stringify(m.value)}`;
      if (m.op === "patch") return `patch ${m.key} ${JSON.stringify(m.patch)}`;
      if (m.op === "incr") return `incr ${m.key} ${m.delta}`;
      if (m.op === "expire") return `expire ${m.key} ${m.ms}`;
      return `delete ${m.key}`;
    })
    .join("; ");
}

/** Why a call failed: the disk's code under an engine FUSEDB_IO (its `cause`), else the error's own code. */
function failureCode(err: unknown): string | undefined {
  const code = errorCode(err);
  return code === "FUSEDB_IO" ? errorCode((err as { cause?: unknown }).cause) : code;
}
