/**
 * What a campaign runs with (sim/campaign.ts): its options, its result, and how the options not given are
 * drawn from the seed (swarm testing: engine knobs, durability mode, concurrency, crash faults and runtime
 * faults each from their own stream of the root seed).
 */
import {
  drawRuntimeFaultPlan,
  RUNTIME_FAULTS_NONE,
  type RuntimeFaultPlan,
} from "../faults/runtime-faults.js";
import type { FuseDBOptions } from "../src/db.js";
import type { Prng } from "./disk/prng.js";
import { ENGINE_DIR, type EngineBreakage } from "./engine-under-test.js";

/**
 * What to run. Only `seed` is required; the rest default or are drawn from the seed. The
 * {@link EngineBreakage} fields break the engine on purpose (sensitivity tests only).
 */
export interface CampaignOptions extends EngineBreakage {
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
  /**
   * Data-type operations (hashes, sets: sim/typed-ops.ts) mixed into the workload on the same keys as the
   * documents. Default: drawn (three seeds in four; swarm testing leaves them out of the rest).
   */
  types?: boolean;
  /**
   * Transactions, snapshot readers, secondary indexes and index queries (sim/tx-workload.ts, checked by
   * sim/tx-oracle.ts and sim/index-check.ts) mixed into the workload. Default false: seeds without it keep
   * the workload they always drew (test/sim-tx-campaign.test.ts runs its own seeds with it).
   */
  tx?: boolean;
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
  options: RunOptions;
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

/** The campaign's options once defaulted and drawn (what {@link CampaignResult.options} reports). */
export type RunOptions = Required<Omit<CampaignOptions, keyof EngineBreakage | "knobs" | "durability">>;

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
    // The row cache off (a row never fits), a few rows (constant eviction), or everything (drawn last).
    rowCacheBytes: prng.pick([1, 512, 4096, 1 << 26]),
  };
}

/**
 * Defaults the options not given in `options` and draws the rest from `root` (the campaign's root stream):
 * returns the engine knobs in force (with the durability mode) and the campaign's shape.
 * @throws Error if the durability mode is neither 'fsync' nor 'relaxed'.
 */
export function resolveCampaignOptions(
  options: CampaignOptions,
  root: Prng,
): { knobs: FuseDBOptions; opts: RunOptions } {
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
  const opts: RunOptions = {
    seed: options.seed,
    cycles: options.cycles ?? 4,
    opsPerCycle: options.opsPerCycle ?? 120,
    keys: options.keys ?? 24,
    inflightMax: options.inflightMax ?? root.fork("inflight").range(1, 64),
    crashFaults: options.crashFaults ?? (root.fork("faults").bool() ? "torn" : "whole"),
    runtimeFaults:
      options.runtimeFaults ?? drawRuntimeFaults(root.fork("runtime-plan"), root.fork("runtime-focus")),
    types: options.types ?? root.fork("types").bool(0.75),
    tx: options.tx ?? false,
  };
  return { knobs, opts };
}

/**
 * Share of the seeds with runtime faults whose plan is a directory-fsync focus instead: only directory
 * fsyncs fail, often. Directory fsyncs are rare (a WAL rotation, a new segment, a manifest rewrite) next to
 * file fdatasyncs (every group commit), so under a drawn plan a failed file fdatasync poisons the engine
 * long before a directory fsync has a chance to fail: without the focus, a failed directory fsync followed
 * by a crash (`campaign.dir-fsync-eio-crash`) happened in 7 of the 300 `cov` seeds and 57 of the 2000 `ci`
 * seeds; with it, in 42 and 238.
 */
const DIR_SYNC_FOCUS = 0.25;

/**
 * Half the seeds run without runtime faults; the rest draw a plan from `prng`, or (drawn from `focusPrng`)
 * get the directory-fsync focus of {@link DIR_SYNC_FOCUS}: swarm testing, leaving faults out so that a
 * rare path gets reached (Groce et al., ISSTA'12).
 */
function drawRuntimeFaults(prng: Prng, focusPrng: Prng): RuntimeFaultPlan | "off" {
  if (!prng.bool()) return "off";
  const plan = drawRuntimeFaultPlan(prng);
  if (!focusPrng.bool(DIR_SYNC_FOCUS)) return plan;
  return { ...RUNTIME_FAULTS_NONE, syncEioProbability: focusPrng.pick([0.1, 0.3]), target: isEngineDir };
}

/** Whether `path` is the engine's directory itself: only directory fsyncs name it. */
function isEngineDir(path: string): boolean {
  return path === ENGINE_DIR;
}
