/**
 * `fusedb/sim`: the deterministic simulation substrate. A seeded PRNG split into named streams, a virtual
 * clock, a simulated disk with crash images, and a trace hash (DESIGN.md, section Simulation).
 */

export { LyingSyncFileSystem, NoDirSyncFileSystem } from "../faults/canary.js";
export { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";
export type { BrokenVariant } from "./broken-variants.js";
export { BROKEN_VARIANTS } from "./broken-variants.js";
export { runCampaign } from "./campaign.js";
export type { CampaignOptions, CampaignResult } from "./campaign-options.js";
export { drawKnobs } from "./campaign-options.js";
export { ByteImage } from "./disk/byte-image.js";
export type {
  ByteRun,
  CrashDecision,
  CrashPlanner,
  FaultPlanner,
  PendingDirOp,
  PendingOpInfo,
  PendingTruncate,
  PendingWrite,
} from "./disk/crash-planner.js";
export { faultPlannerOf, RandomCrashPlanner } from "./disk/crash-planner.js";
export type { CrashSummary } from "./disk/disk-state.js";
export type { LatencyClass, LatencyProfile, LatencyRangeMs } from "./disk/latency-profile.js";
export { LATENCY_DEFAULT } from "./disk/latency-profile.js";
export { Prng } from "./disk/prng.js";
export { SIM_EPOCH_MS, SimClock, settle } from "./disk/sim-clock.js";
export type { SimIoErrorCode } from "./disk/sim-error.js";
export { SimIoError } from "./disk/sim-error.js";
export type { SimDiskCounters, SimFileSystemOptions } from "./disk/sim-file-system.js";
export { SimFileSystem } from "./disk/sim-file-system.js";
export { hashEvents, TraceHash } from "./disk/trace-hash.js";
export { fnvHash64, ZIPF_THETA_DEFAULT, Zipf } from "./disk/zipf.js";
export { Driver, HangError } from "./driver.js";
export type { ExhaustiveFailure, ExhaustiveOptions, ExhaustiveResult } from "./exhaustive.js";
export { EXHAUSTIVE_DEVICE_DEFAULT, runExhaustive } from "./exhaustive.js";
export type { ExhaustiveCall, ExhaustiveWorkload } from "./exhaustive-workloads.js";
export { fixedWorkloads, seededWorkload } from "./exhaustive-workloads.js";
export { minimizeCampaign } from "./minimize.js";
export * from "./model.js";
export * from "./oracle.js";
export type { RotCheckOptions, RotCheckResult } from "./rot-check.js";
export { runRotCheck } from "./rot-check.js";
export type { WorkloadMix, WorkloadStep } from "./workload.js";
export { DEFAULT_MIX, Workload } from "./workload.js";
