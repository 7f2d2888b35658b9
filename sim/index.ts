/**
 * `fusedb/sim`: the deterministic simulation substrate. A seeded PRNG split into named streams, a virtual
 * clock, a simulated disk with crash images, and a trace hash (DESIGN.md, section Simulation).
 */
export type { BrokenVariant } from "./broken-variants.js";
export { BROKEN_VARIANTS } from "./broken-variants.js";
export { ByteImage } from "./byte-image.js";
export type { CampaignOptions, CampaignResult } from "./campaign.js";
export { drawKnobs, runCampaign } from "./campaign.js";
export { ForwardingFileSystem, LyingSyncFileSystem, NoDirSyncFileSystem } from "./canary.js";
export type {
  ByteRun,
  CrashDecision,
  CrashPlanner,
  FaultPlanner,
  PendingDirOp,
  PendingOpInfo,
  PendingTruncate,
  PendingWrite,
} from "./crash-planner.js";
export { faultPlannerOf, RandomCrashPlanner } from "./crash-planner.js";
export type { CrashSummary } from "./disk-state.js";
export { Driver, HangError } from "./driver.js";
export type { ExhaustiveFailure, ExhaustiveOptions, ExhaustiveResult } from "./exhaustive.js";
export { EXHAUSTIVE_DEVICE_DEFAULT, runExhaustive } from "./exhaustive.js";
export type { ExhaustiveCall, ExhaustiveWorkload } from "./exhaustive-workloads.js";
export { fixedWorkloads, seededWorkload } from "./exhaustive-workloads.js";
export type { LatencyClass, LatencyProfile, LatencyRangeMs } from "./latency-profile.js";
export { LATENCY_DEFAULT } from "./latency-profile.js";
export { minimizeCampaign } from "./minimize.js";
export * from "./model.js";
export * from "./oracle.js";
export { Prng } from "./prng.js";
export type { RotCheckOptions, RotCheckResult } from "./rot-check.js";
export { runRotCheck } from "./rot-check.js";
export { RUN_TIMERS_MAX, SIM_EPOCH_MS, SimClock, settle } from "./sim-clock.js";
export type { SimIoErrorCode } from "./sim-error.js";
export { SimIoError } from "./sim-error.js";
export type { SimDiskCounters, SimFileSystemOptions } from "./sim-file-system.js";
export { SimFileSystem } from "./sim-file-system.js";
export { hashEvents, TraceHash } from "./trace-hash.js";
export type { WorkloadMix, WorkloadStep } from "./workload.js";
export { DEFAULT_MIX, Workload } from "./workload.js";
export { fnvHash64, ZIPF_THETA_DEFAULT, Zipf } from "./zipf.js";
