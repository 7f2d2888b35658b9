/**
 * Runtime faults: what a call may suffer while the power is on, drawn from a seeded plan of per-call
 * probabilities (Pebble's vfs/errorfs; "Can Applications Recover from fsync Failures?", ATC'20). The plan
 * is implemented once, by {@link RuntimeFaultPlanner}, an `IoFaultPlanner` (sim/disk/io-fault-planner.ts);
 * two things apply its answers:
 * - the simulated disk itself (`SimFileSystem.setIoFaults`): the faults are the device's, on the medium,
 *   with a failed fsync dropping the pages it covered; this is what campaigns use;
 * - {@link FaultyFileSystem} (faults/faulty-file-system.ts), a wrapper over any `FileSystem`.
 *
 * The faults, per call:
 * - `write` returns EIO or ENOSPC, possibly after a short write (a prefix of the data lands);
 * - `sync` (of a file or a directory) returns EIO;
 * - `read` returns EIO;
 * - a read of durable data finds one flipped bit, at a position that stays flipped across retries (a
 *   latent sector error that persists);
 * - a write lands at the wrong offset (misdirected);
 * - and, on the simulated disk, a crash may leave a latent sector error behind (bit rot).
 */

import type { IoCallInfo, IoFaultPlanner, ReadFault, WriteFault } from "../sim/disk/io-fault-planner.js";
import type { Prng } from "../sim/disk/prng.js";
import type { SimFileSystem } from "../sim/disk/sim-file-system.js";

/**
 * The probability, in [0, 1], that each call suffers each fault class (drawn independently per call), and
 * which files can be faulted.
 */
export interface RuntimeFaultPlan {
  /** A `write` fails with EIO. */
  writeEioProbability: number;
  /** A `write` fails with ENOSPC (asked only if it did not fail with EIO). */
  writeEnospcProbability: number;
  /** A file `sync` or a directory `syncDir` fails with EIO. */
  syncEioProbability: number;
  /** A `read` fails with EIO. */
  readEioProbability: number;
  /** A `read` of durable data finds a latent bit flip. */
  readBitFlipProbability: number;
  /** A `write` that did not fail lands at the wrong offset. */
  misdirectedWriteProbability: number;
  /**
   * Simulated disk only: per crash, the probability that the disk comes back with one latent sector error
   * (a flipped bit) somewhere in its durable data ({@link RuntimeFaultPlanner.injectLatentError}). Default 0.
   */
  bitRotPerCrashProbability?: number;
  /** Only paths for which this returns true are faulted (default: all). */
  target?: (path: string) => boolean;
}

/** The plan that injects nothing. */
export const RUNTIME_FAULTS_NONE: RuntimeFaultPlan = {
  writeEioProbability: 0,
  writeEnospcProbability: 0,
  syncEioProbability: 0,
  readEioProbability: 0,
  readBitFlipProbability: 0,
  misdirectedWriteProbability: 0,
  bitRotPerCrashProbability: 0,
};

/**
 * Draws a plan for one seed (swarm testing, Groce et al. ISSTA'12): each fault class is on or off by a coin,
 * and if on, gets a per-call probability from a small menu, from rare to frequent.
 */
export function drawRuntimeFaultPlan(prng: Prng): RuntimeFaultPlan {
  const some = (menu: readonly number[]): number => (prng.bool() ? prng.pick(menu) : 0);
  return {
    writeEioProbability: some([0.002, 0.01, 0.05]),
    writeEnospcProbability: some([0.002, 0.01, 0.05]),
    syncEioProbability: some([0.002, 0.01, 0.05]),
    readEioProbability: some([0.005, 0.02, 0.1]),
    readBitFlipProbability: some([0.002, 0.01, 0.05]),
    misdirectedWriteProbability: some([0.001, 0.005, 0.02]),
    bitRotPerCrashProbability: some([0.05, 0.2, 0.5]),
  };
}

/** Each fault a {@link RuntimeFaultPlanner} injects; the harness's coverage mark is `fault.<kind>`. */
export const RUNTIME_FAULT_KINDS = [
  "write-eio",
  "write-enospc",
  "short-write", // a failed write that landed a prefix first (counted besides its write-eio or write-enospc)
  "misdirected-write",
  "read-eio",
  "bit-flip",
  "fsync-eio",
  "dir-fsync-eio",
  "bit-rot", // a latent sector error left by a crash; simulated disk only
] as const;

/** One fault a {@link RuntimeFaultPlanner} injects. */
export type RuntimeFaultKind = (typeof RUNTIME_FAULT_KINDS)[number];

/** How many faults of each kind a planner has injected. */
export type RuntimeFaultCounts = Record<RuntimeFaultKind, number>;

/** Shifts a misdirected write may suffer, in bytes: a sector or a page either way. */
const MISDIRECT_SHIFTS_BYTES = [-4096, -512, 512, 4096] as const;

/** The probabilities of `plan`, by field name. */
function probabilities(plan: RuntimeFaultPlan): [string, number][] {
  return [
    ["writeEioProbability", plan.writeEioProbability],
    ["writeEnospcProbability", plan.writeEnospcProbability],
    ["syncEioProbability", plan.syncEioProbability],
    ["readEioProbability", plan.readEioProbability],
    ["readBitFlipProbability", plan.readBitFlipProbability],
    ["misdirectedWriteProbability", plan.misdirectedWriteProbability],
    ["bitRotPerCrashProbability", plan.bitRotPerCrashProbability ?? 0],
  ];
}

/**
 * The runtime faults of `plan` (an {@link IoFaultPlanner}), drawn from `prng` alone, in call order. Counts
 * what it injects and tells `onInject` of each fault as it injects it (the harness turns that into a
 * coverage mark). `enabled` switches it off without touching the stream.
 */
export class RuntimeFaultPlanner implements IoFaultPlanner {
  readonly counts: RuntimeFaultCounts = Object.fromEntries(
    RUNTIME_FAULT_KINDS.map((kind) => [kind, 0]),
  ) as RuntimeFaultCounts;
  enabled = true;

  /**
   * @throws RangeError if a probability of `plan` is not a number in [0, 1] (a plan written with other
   *   field names, for instance).
   */
  constructor(
    readonly plan: RuntimeFaultPlan,
    private readonly prng: Prng,
    private readonly onInject?: (kind: RuntimeFaultKind) => void,
  ) {
    for (const [name, p] of probabilities(plan)) {
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
        throw new RangeError(`RuntimeFaultPlanner: ${name} must be a probability in [0, 1], got ${p}`);
      }
    }
  }

  /** Faults injected so far, all classes (a short write counts once, as its failed write). */
  get total(): number {
    return RUNTIME_FAULT_KINDS.reduce(
      (sum, kind) => (kind === "short-write" ? sum : sum + this.counts[kind]),
      0,
    );
  }

  planWrite(call: IoCallInfo): WriteFault {
    for (const code of ["EIO", "ENOSPC"] as const) {
      const p = code === "EIO" ? this.plan.writeEioProbability : this.plan.writeEnospcProbability;
      if (!this.hit(call.path, p)) continue;
      this.inject(code === "EIO" ? "write-eio" : "write-enospc");
      let landedBytes = 0;
      if (call.length > 1 && this.prng.bool()) {
        landedBytes = this.prng.range(1, call.length - 1);
        this.inject("short-write");
      }
      return { kind: "fail", code, landedBytes };
    }
    if (this.hit(call.path, this.plan.misdirectedWriteProbability)) {
      this.inject("misdirected-write");
      const shift = this.prng.pick(MISDIRECT_SHIFTS_BYTES);
      return {
        kind: "misdirect",
        offset: call.offset + shift >= 0 ? call.offset + shift : call.offset - shift,
      };
    }
    return { kind: "none" };
  }

  planRead(call: IoCallInfo, durable: boolean): ReadFault {
    if (this.hit(call.path, this.plan.readEioProbability)) {
      this.inject("read-eio");
      return { kind: "eio" };
    }
    if (durable && call.length > 0 && this.hit(call.path, this.plan.readBitFlipProbability)) {
      this.inject("bit-flip");
      return { kind: "flip", offset: call.offset + this.prng.int(call.length), mask: 1 << this.prng.int(8) };
    }
    return { kind: "none" };
  }

  planSync(call: IoCallInfo): boolean {
    if (!this.hit(call.path, this.plan.syncEioProbability)) return false;
    this.inject("fsync-eio");
    return true;
  }

  planSyncDir(path: string): boolean {
    if (!this.hit(path, this.plan.syncEioProbability)) return false;
    this.inject("dir-fsync-eio");
    return true;
  }

  /**
   * A crash's latent sector error: with probability `plan.bitRotPerCrashProbability`, flips one bit of one
   * non-empty file under `dir` of the crashed `disk` (durably; the disk lists the file as damaged).
   * `beforeFlip` hears of the byte while it is still intact (so a checker can classify the damage). Returns
   * the path and offset damaged, or undefined.
   */
  injectLatentError(
    disk: SimFileSystem,
    dir: string,
    beforeFlip?: (path: string, offset: number) => void,
  ): { path: string; offset: number } | undefined {
    const p = this.plan.bitRotPerCrashProbability ?? 0;
    if (!this.enabled || p <= 0 || !this.prng.bool(p)) return undefined;
    const files = disk
      .listLive(dir)
      .map((name) => `${dir}/${name}`)
      .filter((path) => (this.plan.target?.(path) ?? true) && (disk.readLive(path)?.length ?? 0) > 0);
    if (files.length === 0) return undefined;
    const path = this.prng.pick(files);
    const offset = this.prng.int(disk.readLive(path)?.length ?? 1);
    beforeFlip?.(path, offset);
    disk.flipBit(path, offset, 1 << this.prng.int(8));
    this.inject("bit-rot");
    return { path, offset };
  }

  private hit(path: string, p: number): boolean {
    if (!this.enabled || p <= 0) return false;
    if (this.plan.target && !this.plan.target(path)) return false;
    return this.prng.bool(p);
  }

  private inject(kind: RuntimeFaultKind): void {
    this.counts[kind]++;
    this.onInject?.(kind);
  }
}
