/**
 * The simulated `FileSystem`: the engine's disk in every simulation run. Contents and durability follow
 * `DiskState`; this layer adds seeded latency, the trace, counters, directory locks and power loss.
 * Ideas: FoundationDB sim2 `AsyncFileNonDurable`, TigerBeetle `src/testing/storage.zig`, Pebble
 * `vfs/mem_fs.go` (`CrashClone`), SQLite `src/test6.c`.
 *
 * When things happen (deterministic for a given seed and engine):
 * - Issue: the call is checked against the crashed flag, logged (`issue <op>`), and draws its latency from
 *   the disk PRNG, in issue order. A sync records the sequence mark it will cover.
 * - Completion: after `await clock.sleep(latency)`, the call re-checks the crashed flag, then applies its whole
 *   effect to the model at once and logs `done <op>` (or `fail <op> <code>`). So mutations land in
 *   completion order, which the SimClock fixes as (due time, issue order). A write copies its buffer at
 *   completion: modifying it while the write is in flight is a bug the trace and the oracle will show, as it
 *   is with `node:fs`.
 * - With `latency: false` there is no clock: each call applies synchronously when issued (the promise is
 *   already settled when the call returns).
 * - Runtime faults ({@link SimFileSystem.setIoFaults}) are planned at completion, in that same order: a
 *   write may fail (EIO, ENOSPC, after a short write) or land elsewhere, a read may fail or find a latent
 *   sector error, a failed fsync drops the writes it covered.
 *
 * Contents and durability are disk-state.ts; file handles sim-file.ts; latency draws io-schedule.ts.
 *
 * Invariant: a crashed instance changes nothing: every call on it or on its files, including calls in
 * flight at the crash, rejects with ESIMCRASHED; the trace gets `issue` then exactly one of `done` or `fail`
 * for each call that was not cut short by a crash.
 */
import type { DirLock, File, FileSystem, OpenOptions } from "../../src/io/file-system.js";
import { DirLockHeldError, ioErrorCode } from "../../src/io/file-system.js";
import type { CrashPlanner, FaultPlanner } from "./crash-planner.js";
import { faultPlannerOf, RandomCrashPlanner } from "./crash-planner.js";
import { DiskState } from "./disk-state.js";
import type { IoFaultPlanner } from "./io-fault-planner.js";
import type { IoCall, IoRunner, IoSyncRunner, Timing } from "./io-schedule.js";
import { drawLatencyMs, timingOf, traceLine } from "./io-schedule.js";
import type { LatencyProfile } from "./latency-profile.js";
import { Prng } from "./prng.js";
import type { SimClock } from "./sim-clock.js";
import { type SimDiskCounters, zeroCounters } from "./sim-disk-counters.js";
import { SimIoError } from "./sim-error.js";
import { SimFile } from "./sim-file.js";
import { canonicalPath } from "./sim-path.js";

export type { SimDiskCounters } from "./sim-disk-counters.js";

/** Options of a {@link SimFileSystem}. */
export interface SimFileSystemOptions {
  /** Completes every call after a virtual latency on this clock; required unless `latency` is false. */
  readonly clock?: SimClock;
  /** The disk's own stream (`root.fork("disk")`) latencies are drawn from; required unless `latency` is false. */
  readonly prng?: Prng;
  /**
   * true (the default): seeded latencies from {@link LATENCY_DEFAULT}; a profile: seeded latencies from its
   * ranges; false: every call applies when issued. See {@link SimFileSystem.setLatency}.
   */
  readonly latency?: boolean | LatencyProfile;
  /** Receives every `issue`, `done`, `fail` and `crash` event, in order, for the trace hash. */
  readonly onEvent?: (event: string) => void;
  /** Decides what `crash(prng)` keeps of each pending operation; {@link RandomCrashPlanner} (1/2) if omitted. */
  readonly crashPlanner?: CrashPlanner;
  /**
   * Files offer `readSync` (the seam's optional synchronous read, as NodeFileSystem's do by default): it
   * applies at once, with no latency, and the same runtime read faults as `read`. Default false.
   */
  readonly syncReads?: boolean;
}

/**
 * A simulated disk implementing the engine's `FileSystem` seam. Durability rules are exactly the seam's:
 * `File.sync` makes a file's data and size durable, `syncDir` makes a directory's entries durable, nothing
 * else does. `crash()` models a power loss.
 *
 * Model: each file is an inode (a rename keeps its identity) with durable bytes and an ordered list of
 * pending writes and truncates; reads see durable bytes with pending ones applied. Each directory has a
 * durable and a live namespace; open(create), rename and remove change the live one, which `syncDir` makes
 * durable. `mkdir` is a directory create like any other: durable once its parent is synced (stricter than
 * "durable at once"; the engine syncs the parent of each directory it creates, `mkdirDurable`).
 *
 * Errors reject with a `SimIoError` whose `code` is ENOENT (missing file or parent), EEXIST (exclusive
 * create of an existing file), EISDIR, ENOTDIR, EBADF (handle used after `close`), EINVAL (negative or
 * fractional offsets and sizes, `..` in a path), EIO or ENOSPC (injected runtime faults; a short write
 * leaves its landed prefix) or ESIMCRASHED (the instance was crashed); `lock` rejects with the seam's
 * `DirLockHeldError`. Removing a missing file succeeds. Paths are canonicalized: relative
 * paths start at the root.
 */
export class SimFileSystem implements FileSystem {
  /** Counters of completed calls on this instance (a live object; see {@link SimDiskCounters}). */
  readonly stats: SimDiskCounters = zeroCounters();
  private state = new DiskState();
  private crashed = false;
  private readonly locks = new Set<string>();
  private timing: Timing | undefined;
  private ioFaults: IoFaultPlanner | undefined;
  private readonly faults = (): IoFaultPlanner | undefined => this.ioFaults;
  private readonly run: IoRunner = (call, issue) => this.io(call, issue);
  private readonly runSync: IoSyncRunner = (call, apply) => this.ioSync(call, apply);

  /**
   * @throws TypeError if `latency` is not false and `clock` or `prng` is missing; RangeError if a latency
   *   range is not a pair of integers `0 <= min <= max`.
   */
  constructor(private readonly options: SimFileSystemOptions = { latency: false }) {
    this.timing = timingOf(options, options.latency !== false);
  }

  /**
   * Turns seeded latency on or off for calls issued from now on (calls in flight finish as issued). With it
   * on, the latency profile is the one in the options, or {@link LATENCY_DEFAULT}.
   * @throws TypeError when turning it on without a clock and prng in the options.
   */
  setLatency(on: boolean): void {
    this.timing = timingOf(this.options, on);
  }

  /**
   * Injects runtime faults from `planner` into calls that complete from now on (on this instance and the
   * files opened from it), or stops injecting them (undefined). Not inherited by `crash()` or `clone()`.
   */
  setIoFaults(planner: IoFaultPlanner | undefined): void {
    this.ioFaults = planner;
  }

  /**
   * Damage on the medium (a latent sector error found at boot): flips `mask` in byte `offset` of the file
   * with live name `path`, durably; the file counts as damaged. Returns false if there is no such file.
   */
  flipBit(path: string, offset: number, mask: number): boolean {
    return this.state.flipBitAt(canonicalPath(path), offset, mask);
  }

  /**
   * The files runtime faults damaged (bit flips, misdirected writes), kept across crashes: path -> lowest
   * byte offset damaged. Synchronous; works after a crash.
   */
  damagedFiles(): Map<string, number> {
    return this.state.damagedFiles();
  }

  /** True once {@link crash} has been called on this instance; every I/O call then rejects. */
  get isCrashed(): boolean {
    return this.crashed;
  }

  open(path: string, options: OpenOptions = {}): Promise<File> {
    const create = options.create === true;
    const exclusive = create && options.exclusive === true;
    const detail = create ? (exclusive ? "create exclusive" : "create") : "";
    const canonical = canonicalPath(path);
    return this.run({ syscall: "open", path: canonical, detail, cls: "meta" }, (state) => () => {
      const inodeId = state.openFile(canonical, create, exclusive);
      this.stats.opens++;
      const runSync = this.options.syncReads === true ? this.runSync : undefined;
      return new SimFile(canonical, inodeId, this.run, this.stats, this.faults, runSync);
    });
  }

  list(dir: string): Promise<string[]> {
    const canonical = canonicalPath(dir);
    return this.run({ syscall: "list", path: canonical, detail: "", cls: "meta" }, (state) => () => {
      const names = state.list(canonical);
      this.stats.lists++;
      return names;
    });
  }

  exists(path: string): Promise<boolean> {
    const canonical = canonicalPath(path);
    return this.run(
      { syscall: "exists", path: canonical, detail: "", cls: "meta" },
      (state) => () => state.exists(canonical),
    );
  }

  rename(from: string, to: string): Promise<void> {
    const source = canonicalPath(from);
    const target = canonicalPath(to);
    return this.run(
      { syscall: "rename", path: source, detail: `to=${target}`, cls: "meta" },
      (state) => () => {
        state.rename(source, target);
        this.stats.renames++;
      },
    );
  }

  remove(path: string): Promise<void> {
    const canonical = canonicalPath(path);
    return this.run({ syscall: "remove", path: canonical, detail: "", cls: "meta" }, (state) => () => {
      state.remove(canonical);
      this.stats.removes++;
    });
  }

  mkdir(path: string): Promise<void> {
    const canonical = canonicalPath(path);
    return this.run({ syscall: "mkdir", path: canonical, detail: "", cls: "meta" }, (state) => () => {
      state.mkdir(canonical);
      this.stats.mkdirs++;
    });
  }

  syncDir(path: string): Promise<void> {
    const canonical = canonicalPath(path);
    return this.run({ syscall: "syncdir", path: canonical, detail: "", cls: "sync" }, (state) => {
      const mark = state.mark(); // covers what completed before the sync was issued
      return () => {
        if (this.ioFaults?.planSyncDir(canonical)) throw new SimIoError("EIO", "fsync", canonical);
        state.syncDir(canonical, mark);
        this.stats.dirSyncs++;
      };
    });
  }

  /**
   * An in-memory lock on directory `dir`, held by this instance until released. An instance returned by
   * `crash()` or `clone()` starts with no locks (a new boot).
   * @throws DirLockHeldError if this instance already holds it; ENOENT or ENOTDIR unless `dir` is a directory.
   */
  lock(dir: string): Promise<DirLock> {
    const canonical = canonicalPath(dir);
    return this.run({ syscall: "lock", path: canonical, detail: "", cls: "meta" }, (state) => () => {
      state.requireDir(canonical, "lock");
      if (this.locks.has(canonical)) throw new DirLockHeldError(dir, "another handle on this simulated disk");
      this.locks.add(canonical);
      this.stats.locks++;
      let held = true;
      return {
        release: () =>
          this.run({ syscall: "unlock", path: canonical, detail: "", cls: "meta" }, () => () => {
            if (held) this.locks.delete(canonical);
            held = false;
          }),
      };
    });
  }

  /**
   * Power loss. Returns a new instance holding what the disk keeps: all durable data and directory entries,
   * plus what the plan keeps of each pending operation, kept ones applied in their original order. Given a
   * `Prng`, the options' `crashPlanner` (default {@link RandomCrashPlanner}: each pending write, truncate
   * and directory change independently kept or dropped) decides, drawing from it; a {@link FaultPlanner}
   * (torn writes, garbage) plans at the byte level itself. The new instance shares this one's options,
   * clock, disk PRNG stream and latency setting, has everything durable, and holds no locks or open files.
   *
   * This instance is dead afterwards: every call on it or on its files rejects with ESIMCRASHED and changes
   * nothing, including calls already in flight (they reject when their latency ends).
   * @throws SimIoError ESIMCRASHED if this instance has already crashed.
   */
  crash(plan: Prng | FaultPlanner): SimFileSystem {
    if (this.crashed) throw new SimIoError("ESIMCRASHED", "crash", "/");
    const faults =
      plan instanceof Prng
        ? faultPlannerOf(this.options.crashPlanner ?? new RandomCrashPlanner(), plan)
        : plan;
    const { state, summary: s } = this.state.crash(faults);
    this.crashed = true;
    this.stats.crashes++;
    this.emit(
      `crash writes=${s.writesKept}/${s.writesTotal} truncates=${s.truncatesKept}/${s.truncatesTotal}` +
        ` dirops=${s.dirOpsKept}/${s.dirOpsTotal}`,
    );
    const next = this.reborn(state);
    next.stats.crashes = this.stats.crashes;
    return next;
  }

  /**
   * An independent copy of this disk's durable and pending state, with the same options (so recovering twice
   * from one crash image is `image.clone()` twice). Open files and locks are not copied.
   * @throws SimIoError ESIMCRASHED if this instance has crashed.
   */
  clone(): SimFileSystem {
    if (this.crashed) throw new SimIoError("ESIMCRASHED", "clone", "/");
    return this.reborn(this.state.clone());
  }

  /** Path -> contents of every file reachable through live names, as copies. Works on a crashed instance. */
  snapshot(): Map<string, Uint8Array> {
    return this.state.liveFiles();
  }

  /** Path -> contents of what survives if every pending operation is lost. Works on a crashed instance. */
  durableSnapshot(): Map<string, Uint8Array> {
    return this.state.durableFiles();
  }

  /** Hex hash of all live and durable names and bytes; equal disks have equal fingerprints. */
  fingerprint(): string {
    return this.state.fingerprint();
  }

  /** The live bytes of the file at `path` (a copy), or undefined if none. Synchronous; works after a crash. */
  readLive(path: string): Uint8Array | undefined {
    return this.state.liveBytes(canonicalPath(path));
  }

  /** File writes and truncates not yet durable: what a crash now could tear or lose. Synchronous. */
  pendingFileOps(): number {
    return this.state.pendingFileOps();
  }

  /** Live names in `dir`, sorted bytewise; empty if it is not a directory. Synchronous; works after a crash. */
  listLive(dir: string): string[] {
    return this.state.liveNames(canonicalPath(dir));
  }

  private reborn(state: DiskState): SimFileSystem {
    const next = new SimFileSystem(this.options);
    next.timing = this.timing;
    next.state = state;
    return next;
  }

  private emit(event: string): void {
    this.options.onEvent?.(event);
  }

  /** The path of a synchronous call: issue and completion in one step, traced as any other. */
  private ioSync<T>(call: IoCall, apply: (state: DiskState) => T): T {
    if (this.crashed) throw new SimIoError("ESIMCRASHED", call.syscall, call.path);
    const line = traceLine(call);
    this.emit(`issue ${line}`);
    return this.complete(line, () => apply(this.state));
  }

  /** The one path of every call (see the module comment for when each step happens). */
  private async io<T>(call: IoCall, issue: (state: DiskState) => () => T): Promise<T> {
    if (this.crashed) throw new SimIoError("ESIMCRASHED", call.syscall, call.path);
    const line = traceLine(call);
    const complete = issue(this.state);
    this.emit(`issue ${line}`);
    if (this.timing !== undefined) {
      await this.timing.clock.sleep(drawLatencyMs(this.timing, call.cls));
      if (this.crashed) throw new SimIoError("ESIMCRASHED", call.syscall, call.path);
    }
    return this.complete(line, complete);
  }

  /** A call's completion (`run`), traced as `done` or, counted in the stats, as `fail` with its code. */
  private complete<T>(line: string, run: () => T): T {
    try {
      const result = run();
      this.emit(`done ${line}`);
      return result;
    } catch (err) {
      this.stats.failures++;
      this.emit(`fail ${line} ${ioErrorCode(err) ?? "unknown"}`);
      throw err;
    }
  }
}
