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
 * during operations and across crashes; each epoch's subscriptions are checked against the model
 * (sim/campaign-subscriptions.ts); a quarter of the seeds run in durability mode 'relaxed' with the
 * oracle's bounded-loss check.
 *
 * Runtime faults (issue 4): half the seeds run with a drawn {@link RuntimeFaultPlan} (swarm testing), which
 * the virtual disk injects while the workload runs and while an interrupted recovery runs: write EIO and
 * ENOSPC (with short writes), fsync EIO (dropping the pages it covered), read EIO, latent bit flips in
 * durable data (on reads, and left by crashes), misdirected writes. Clean recoveries run without them, so
 * the twin check stays exact. Which errors a fault explains, and when detected damage ends a run as a
 * pass, is sim/campaign-verdicts.ts. After a poison, half the time the process restarts (no power loss)
 * before the crash.
 *
 * Rot probes (sim/campaign-rot-probe.ts): after half the recoveries, a copy of the recovered disk gets one
 * latent sector error in durable data outside the final group-commit write, on a side branch.
 *
 * The calls themselves, one table entry per workload step kind, are sim/campaign-calls.ts.
 */
import { type DeviceProfile, drawDeviceProfile } from "../faults/device-profile.js";
import { RuntimeFaultPlanner } from "../faults/runtime-faults.js";
import { TornWritePlanner } from "../faults/torn-write-planner.js";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import type { Clock } from "../src/io/clock.js";
import { mark, marksSince, snapshot } from "../src/util/coverage.js";
import { type CallContext, issueCall } from "./campaign-calls.js";
import { appendedSinceOpen, checkIndexesAfterRecovery } from "./campaign-indexes.js";
import {
  type CampaignOptions,
  type CampaignResult,
  type RunOptions,
  resolveCampaignOptions,
} from "./campaign-options.js";
import { RotProbe, type RotProbeHost } from "./campaign-rot-probe.js";
import { FaultSequences } from "./campaign-sequences.js";
import { SubscriptionCheck } from "./campaign-subscriptions.js";
import { PrepareProbe, type TxSupport } from "./campaign-tx.js";
import { Verdicts } from "./campaign-verdicts.js";
import type { IoFaultPlanner } from "./disk/io-fault-planner.js";
import { Prng } from "./disk/prng.js";
import { SimClock } from "./disk/sim-clock.js";
import { describeError } from "./disk/sim-error.js";
import { SimFileSystem } from "./disk/sim-file-system.js";
import { TraceHash } from "./disk/trace-hash.js";
import { Driver, HangError } from "./driver.js";
import { EngineTimeProbe } from "./engine-time.js";
import { breakageOf, dumpState, ENGINE_DIR, type EngineBreakage, openEngine } from "./engine-under-test.js";
import type { ModelState } from "./model.js";
import { canonical } from "./model.js";
import { Oracle, type ReadTicket } from "./oracle.js";
import { TxOracle } from "./tx-oracle.js";
import { TypedCrashMarks } from "./typed-marks.js";
import { typedSpec } from "./typed-ops.js";
import { WalDamageLedger } from "./wal-damage.js";
import type { WorkloadStep } from "./workload.js";
import { DEFAULT_MIX, TYPED_CAMPAIGN_MIX, txCampaignMix, Workload } from "./workload.js";

/** Runs one campaign. Never throws for engine misbehaviour: it is reported in `violations`. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const marksBefore = snapshot();
  const root = new Prng(options.seed);
  const { knobs, opts } = resolveCampaignOptions(options, root);
  const schedule = root.fork("schedule");
  const run = new CampaignRun(root, schedule, knobs, opts, breakageOf(options));
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
    evictions: run.subscriptions.evictions,
    events: run.subscriptions.events,
    runtimeFaults: run.runtime?.total ?? 0,
    detected: run.verdicts.detected,
    marks: marksSince(marksBefore),
  };
}

const DIR = ENGINE_DIR;

/** One campaign's world: the virtual disk, the engine on it, and the checkers; see the module comment. */
class CampaignRun implements CallContext, RotProbeHost {
  readonly clock = new SimClock();
  readonly startMs = this.clock.now();
  readonly trace = new TraceHash();
  readonly oracle: Oracle;
  readonly driver = new Driver(this.clock);
  readonly verdicts: Verdicts;
  readonly subscriptions: SubscriptionCheck;
  readonly keyUniverse: readonly string[];
  private readonly rotProbe: RotProbe;
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
  /** A step that runs alone is in flight (see `alone`). */
  private aloneInFlight = false;
  /** Transactions, snapshots and indexes (sim/campaign-tx.ts), when the campaign runs them. */
  readonly txs: TxSupport | undefined;
  /** Where crashes land among the data types' work (big writes, merges dropping dead elements). */
  private readonly typedMarks = new TypedCrashMarks();
  ops = 0;
  reads = 0;
  crashes = 0;
  recoveries = 0;
  /** Unsynced writes torn, dropped or filled with junk by crash faults. */
  faults = 0;
  private readonly device: DeviceProfile;
  /** The disk's runtime faults, if this seed has them. */
  readonly runtime: RuntimeFaultPlanner | undefined;
  /** Injected WAL damage, classified when injected: only the final group-commit write excuses a loss. */
  private readonly walDamage = new WalDamageLedger(DIR);
  /** Rare orders of faults, restarts and power losses, marked when reached. */
  private readonly sequences = new FaultSequences(() => this.oracle.acks);

  constructor(
    root: Prng,
    private readonly schedule: Prng,
    private readonly knobs: FuseDBOptions,
    private readonly opts: RunOptions,
    private readonly breakage: EngineBreakage,
  ) {
    this.oracle = new Oracle(
      knobs.durability === "relaxed" ? { relaxedUnsyncedMax: knobs.relaxedUnsyncedMax ?? 256 } : {},
    );
    this.subscriptions = new SubscriptionCheck(this.oracle, this.trace, root.fork("subscriptions"));
    const mix = opts.types ? TYPED_CAMPAIGN_MIX : DEFAULT_MIX;
    this.workload = new Workload(root.fork("workload"), opts.keys, opts.tx ? txCampaignMix(mix) : mix);
    this.txs = opts.tx
      ? { oracle: new TxOracle(this.oracle), probe: new PrepareProbe(), indexCalls: 0, commitsInFlight: 0 }
      : undefined;
    this.keyUniverse = Array.from({ length: opts.keys }, (_, i) => Workload.keyName(i));
    this.crashPrng = root.fork("crash");
    this.clockPrng = root.fork("clock-steps");
    this.rotProbe = new RotProbe(this, root.fork("rot-probe"), DIR);
    this.device = drawDeviceProfile(root.fork("device"));
    this.fs = new SimFileSystem({
      clock: this.clock,
      prng: root.fork("disk"),
      onEvent: (e) => this.trace.update(e),
      // Half the seeds read point lookups' blocks synchronously (the real disk's default), half await them.
      syncReads: root.fork("sync-reads").int(2) === 1,
    });
    const plan = opts.runtimeFaults;
    this.runtime =
      plan === "off"
        ? undefined
        : new RuntimeFaultPlanner(plan, root.fork("runtime-faults"), (kind) => mark(`fault.${kind}`));
    this.verdicts = new Verdicts(this.oracle, this.trace, this.walDamage, DIR, this.runtime !== undefined);
  }

  /** The disk the engine runs on now. */
  disk(): SimFileSystem {
    return this.fs;
  }

  async execute(): Promise<void> {
    try {
      let db: FuseDB | undefined = await this.open(this.fs, "initial open");
      this.subscriptions.watch(db);
      this.fs.setIoFaults(this.faultsFor(this.fs));
      for (let cycle = 0; cycle < this.opts.cycles && db !== undefined; cycle++) {
        db = await this.cycle(db, cycle);
      }
      if (db === undefined) return;
      // Liveness: no more crashes and no more runtime faults; everything issued must complete.
      this.fs.setIoFaults(undefined);
      await this.issue(db, this.opts.opsPerCycle, true);
      await this.driver.until(() => this.inflight === 0, "liveness: outstanding operations");
      if (this.verdicts.detected !== undefined) return;
      await this.driver.run(db.close(), "close");
      await this.driver.settle();
      this.subscriptions.check("after close", true);
      // After a clean close every acknowledged write is durable: a crash now must lose nothing.
      await this.crashAndRecover(this.opts.cycles, true);
    } catch (err) {
      if (err instanceof HangError) this.oracle.violations.push(`hang: ${err.message}`);
      else if (!this.verdicts.detectedDamage(err, this.fs, "engine error"))
        this.oracle.violations.push(`engine error: ${describeError(err)}`);
    }
  }

  /**
   * One epoch: issues work, lets the crash land in the middle of I/O (after a poison, sometimes restarts
   * first), crashes and recovers. Returns the recovered handle, or undefined when the run ends (a violation
   * or detected damage).
   */
  private async cycle(db: FuseDB, cycle: number): Promise<FuseDB | undefined> {
    this.typedMarks.epochStarted();
    await this.issue(db, this.schedule.range(1, this.opts.opsPerCycle), false);
    // Let the crash land in the middle of I/O.
    for (let i = this.schedule.int(40); i > 0; i--) await this.driver.step();
    // Often, move on to a moment when writes are in flight, so the crash has something to tear.
    if (this.schedule.bool(0.6)) {
      for (let i = 0; i < 200 && this.fs.pendingFileOps() === 0 && this.verdicts.healthy; i++) {
        if (this.inflight < this.opts.inflightMax && this.schedule.bool(0.5)) {
          const step = this.workload.next();
          if (!this.aloneInFlight && (!alone(step) || this.inflight === 0)) this.start(db, step);
        }
        await this.driver.step();
      }
    }
    if (this.verdicts.detected !== undefined) return undefined;
    // After a poison, sometimes restart the process first, without a power loss: the page cache still
    // holds what a failed fsync dropped (fsyncgate), and recovery must not build on it.
    if (this.verdicts.poisoned && this.schedule.bool(0.5)) {
      const restarted = await this.restart(db, cycle);
      if (this.oracle.violations.length > 0 || restarted === undefined) return undefined;
      db = restarted;
      await this.issue(db, this.schedule.range(1, this.opts.opsPerCycle), false);
      for (let i = this.schedule.int(40); i > 0; i--) await this.driver.step();
      if (this.verdicts.detected !== undefined) return undefined;
    }
    // Which background job (flush, merge, split, ...) the crash interrupts: proof crashes land inside each.
    const job = db.stats().tree.running;
    if (job !== undefined) mark(`crash.during.${job}`);
    this.typedMarks.crashing(job);
    if (this.txs !== undefined) {
      if (this.txs.commitsInFlight > 0) mark("crash.during.tx-commit");
      if (db.indexes().some((i) => i.state === "building")) mark("crash.during.index-build");
    }
    const next = await this.crashAndRecover(cycle);
    if (this.oracle.violations.length > 0 || next === undefined) return undefined;
    this.fs.setIoFaults(this.faultsFor(this.fs));
    return next;
  }

  async open(fs: SimFileSystem, what: string): Promise<FuseDB> {
    const probe = new EngineTimeProbe(this.clock);
    const db = await this.driver.run(this.openEngine(fs, probe), what);
    this.probes.set(db, probe);
    this.txs?.probe.install(db);
    this.trace.update(`open ${what} lsn=${db.recovery.lastLsn} replayed=${db.recovery.replayedRecords}`);
    return db;
  }

  /**
   * A process restart without a power loss: closes the poisoned `db` and opens the same disk again (faults
   * off while it recovers), checking the recovered state. Returns the new handle, or undefined when the
   * engine detected injected damage.
   */
  private async restart(db: FuseDB, cycle: number): Promise<FuseDB | undefined> {
    this.fs.setIoFaults(undefined);
    this.txs?.oracle.crashed();
    await this.driver.run(db.close(), "close after poison");
    await this.driver.until(() => this.inflight === 0, "restart: outstanding operations");
    await this.driver.settle();
    this.subscriptions.check(`restart ${cycle}`);
    this.endEpoch();
    this.verdicts.poisoned = false;
    this.trace.update(`restart ${cycle}`);
    this.sequences.restartAfterPoison(this.fs);
    let state: Map<string, ModelState>;
    let next: FuseDB;
    try {
      next = await this.open(this.fs, `restart ${cycle}`);
      state = await this.driver.run(this.dump(next), "dump state after restart");
    } catch (err) {
      if (this.verdicts.detectedDamage(err, this.fs, `restart ${cycle}`)) return undefined;
      throw err;
    }
    this.recoveries++;
    const prefix = this.verdicts.recovered(this.fs, state, `restart ${cycle}`, this.engineNow(next));
    this.trace.update(`restarted ${cycle} prefix=${prefix}`);
    if (this.verdicts.detected !== undefined) return undefined;
    if (prefix !== undefined) await this.afterRecovery(next, state, `restart ${cycle}`);
    mark("campaign.restart-after-poison");
    this.subscriptions.watch(next);
    this.fs.setIoFaults(this.faultsFor(this.fs));
    return next;
  }

  /**
   * Crashes, recovers twice from the image (faults off), checks the oracle. Returns the recovered handle,
   * or undefined when the engine detected injected damage (the run ends).
   */
  private async crashAndRecover(cycle: number, final = false): Promise<FuseDB | undefined> {
    let image = this.crashDisk(this.fs, `crash-${cycle}`);
    this.txs?.oracle.crashed();
    this.crashes++;
    this.trace.update(`crash ${cycle}`);
    // Acknowledgements of records made durable before the crash may still be in flight as callbacks.
    await this.driver.settle();
    this.endEpoch();
    this.verdicts.poisoned = false;
    if (!final) {
      this.subscriptions.check(`crash ${cycle}`);
      const rot = this.runtime?.injectLatentError(image, DIR, (path, offset) =>
        this.walDamage.flipped(image, path, offset),
      );
      if (rot !== undefined) this.trace.update(`latent error ${rot.path}@${rot.offset}`);
    }
    if (this.schedule.bool(0.3)) image = await this.crashDuringRecovery(image, cycle);
    const twin = image.clone();
    const probe = this.rotProbe.wanted() ? image.clone() : undefined;
    const what = `recovery ${cycle}`;
    const recovered = await this.recoverTwice(image, twin, what);
    if (recovered === undefined) return undefined;
    const before = this.oracle.model.lastPos;
    const prefix = this.verdicts.recovered(image, recovered.state, what, this.engineNow(recovered.db));
    if (final && prefix !== undefined && prefix !== before) {
      this.oracle.violations.push(`after a clean close, recovery kept ${prefix} of ${before} commits`);
    }
    this.trace.update(`recovered ${cycle} prefix=${prefix}`);
    this.fs = image;
    if (this.verdicts.detected !== undefined) return undefined;
    if (prefix !== undefined) await this.afterRecovery(recovered.db, recovered.state, what);
    if (probe !== undefined && prefix !== undefined) await this.rotProbe.run(probe, prefix, what);
    if (!final) this.subscriptions.watch(recovered.db);
    return recovered.db;
  }

  /**
   * Recovers `image` and its copy `twin`, checks that both recoveries left the same files and the same
   * state, and closes the twin. Returns the first handle and its state, or undefined when the engine
   * detected injected damage.
   */
  private async recoverTwice(
    image: SimFileSystem,
    twin: SimFileSystem,
    what: string,
  ): Promise<{ db: FuseDB; state: Map<string, ModelState> } | undefined> {
    let db: FuseDB;
    let state: Map<string, ModelState>;
    let stateTwin: Map<string, ModelState>;
    let dbTwin: FuseDB;
    let filesImage: string;
    let filesTwin: string;
    try {
      db = await this.open(image, what);
      // The files recovery left, taken at once: an index build interrupted by the crash resumes in the
      // background at open, and its records (and the flushes they make due) carry the time they land. If
      // it already appended one, the two recoveries' files differ by that time: only their states compare.
      filesImage = image.fingerprint();
      if (this.appendedSinceOpen(db)) {
        mark("txsim.recovery-resumed-build");
        filesImage = "";
      }
      state = await this.driver.run(this.dump(db), "dump state");
      dbTwin = await this.open(twin, `${what} (twin)`);
      filesTwin = this.appendedSinceOpen(dbTwin) || filesImage === "" ? "" : twin.fingerprint();
      stateTwin = await this.driver.run(this.dump(dbTwin), "dump twin state");
    } catch (err) {
      if (this.verdicts.detectedDamage(err, image, what)) return undefined;
      throw err;
    }
    this.recoveries += 2;
    if (filesImage !== filesTwin) {
      this.oracle.violations.push(`${what}: two recoveries of one image left different files`);
    }
    if (!sameRecovery(state, stateTwin, this.clock.now())) {
      this.oracle.violations.push(`${what}: two recoveries of one image gave different states`);
    }
    await this.driver.run(dbTwin.close(), "close twin");
    return { db, state };
  }

  /** Checks the epoch's history and every index after a recovery (sim/campaign-indexes.ts). */
  private async afterRecovery(db: FuseDB, state: Map<string, ModelState>, what: string): Promise<void> {
    if (this.txs === undefined) return;
    this.txs.oracle.epochEnded(this.oracle.model.keys());
    await checkIndexesAfterRecovery(this.driver, this.oracle, db, state, () => this.engineNow(db), what);
  }

  /** Whether `db` appended a record since it opened (a resumed index build; sim/campaign-indexes.ts). */
  private appendedSinceOpen(db: FuseDB): boolean {
    return this.txs !== undefined && appendedSinceOpen(db);
  }

  /** The runtime faults for `disk`, with every bit flip and misdirected write classified as injected. */
  private faultsFor(disk: SimFileSystem): IoFaultPlanner | undefined {
    if (this.runtime === undefined) return undefined;
    return this.sequences.observe(this.walDamage.plannerFor(this.runtime, disk));
  }

  /** Crashes `disk` with this campaign's crash faults, counting the faults injected (and marking them). */
  private crashDisk(disk: SimFileSystem, stream: string): SimFileSystem {
    this.sequences.powerLoss();
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
    // Runtime faults may strike the interrupted recovery (a failed fsync of its torn-tail cut, say).
    image.setIoFaults(this.faultsFor(image));
    const attempt = this.openEngine(image);
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

  /** Opens the engine on `fs` (not driven). */
  private openEngine(fs: SimFileSystem, clock: Clock = this.clock): Promise<FuseDB> {
    return openEngine({ ...this.breakage, fs, clock, knobs: this.knobs });
  }

  /**
   * A read of `key` on `db` starts: returns its ticket, to take when it answers. The engine reads the clock
   * when it evaluates the read, later; if the clock stepped back meanwhile, only the time the engine had
   * surely reached at the start bounds that moment from below, so the ticket then starts there.
   */
  readStart(db: FuseDB, key: string): () => ReadTicket {
    const ticket = this.oracle.readStart(key, this.engineNow(db));
    const sureMs = this.probes.get(db)?.reachedMs(db.recovery.clockFloorMs) ?? ticket.startMs;
    const steps = this.clockStepsBack;
    return () => {
      if (this.clockStepsBack !== steps) ticket.startMs = sureMs;
      return ticket;
    };
  }

  /** The engine clock of handle `db` now (sim/engine-time.ts). */
  engineNow(db: FuseDB): number {
    const probe = this.probes.get(db);
    return probe === undefined ? this.clock.now() : probe.engineNow(db.recovery.clockFloorMs);
  }

  /**
   * The epoch ends (crash or restart): what its reads saw expired outlives it only if the floors they waited
   * for were durable and the versions they saw cannot be lost and reused: mode 'fsync', no poison, no runtime
   * fault injected in it.
   */
  private endEpoch(): void {
    const injected = this.runtime?.total ?? 0;
    const durable =
      this.knobs.durability !== "relaxed" && !this.verdicts.poisoned && injected === this.epochFaults;
    this.oracle.expired.epochEnded(durable);
    this.epochFaults = injected;
  }

  /** Reads back every key the model knows (not driven). */
  dump(db: FuseDB): Promise<Map<string, ModelState>> {
    return dumpState(db, this.oracle.model.keys());
  }

  /** Issues `count` steps, keeping at most inflightMax in flight, letting the world move in between. */
  private async issue(db: FuseDB, count: number, checkpointsAllowed: boolean): Promise<void> {
    for (let i = 0; i < count && this.verdicts.healthy; i++) {
      if (this.inflight >= this.opts.inflightMax) {
        await this.driver.until(() => this.inflight < this.opts.inflightMax, "waiting for an operation slot");
      }
      const step = this.workload.next();
      if (step.kind === "checkpoint" && !checkpointsAllowed && this.schedule.bool(0.5)) continue;
      // A random choice is issued alone, and answered before anything else is issued (sim/typed-oracle.ts).
      if (alone(step)) await this.driver.until(() => this.inflight === 0, "waiting to issue a choice alone");
      this.start(db, step);
      if (alone(step)) await this.driver.until(() => this.inflight === 0, "waiting for a choice");
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

  /** Issues one step (sim/campaign-calls.ts) and counts it in flight until its verdict is in. */
  private start(db: FuseDB, step: WorkloadStep): void {
    const id = ++this.ops;
    this.inflight++;
    const single = alone(step);
    if (single) this.aloneInFlight = true;
    this.typedMarks.started(step);
    const call = issueCall(this, db, step, id);
    if (call.read) this.reads++;
    call.settle(() => {
      this.inflight--;
      if (single) this.aloneInFlight = false;
      this.typedMarks.settled(step);
    });
  }
}

function stateText(s: ModelState): string {
  return `v${s.version}:${s.unread ? "unread" : (s.type ?? "json")}:${canonical(s.value)}@${s.expiresAtMs}`;
}

/** Whether `step` must run alone: a data-type write whose effect is a random choice (SPOP). */
function alone(step: WorkloadStep): boolean {
  return step.kind === "typed" && typedSpec(step.call.cmd).choice === true;
}

/**
 * Whether two dumps of recoveries of one image, read one after the other, agree: key by key the same text,
 * except for a document that one of them read live and that has expired by `laterMs`: the other may have
 * read it expired (no value, and the key's dead version, which may be its bucket's floor). Both must then
 * agree that it is not live at `laterMs`.
 */
function sameRecovery(a: Map<string, ModelState>, b: Map<string, ModelState>, laterMs: number): boolean {
  if (a.size !== b.size) return false;
  const expiredBy = (s: ModelState): boolean =>
    s.value !== undefined && s.expiresAtMs !== undefined && s.expiresAtMs <= laterMs;
  for (const [k, sa] of a) {
    const sb = b.get(k);
    if (sb === undefined) return false;
    if (expiredBy(sa) || expiredBy(sb)) {
      if ((sa.value !== undefined && !expiredBy(sa)) || (sb.value !== undefined && !expiredBy(sb)))
        return false;
    } else if (stateText(sa) !== stateText(sb)) return false;
  }
  return true;
}
