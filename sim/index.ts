/**
 * `fusedb/sim`: the deterministic simulation substrate. A seeded PRNG split into named streams, a virtual
 * clock, a simulated disk with crash images, and a trace hash (DESIGN.md, section Simulation).
 */
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
export type { LatencyClass, LatencyProfile, LatencyRangeMs } from "./latency-profile.js";
export { LATENCY_DEFAULT } from "./latency-profile.js";
export { minimizeCampaign } from "./minimize.js";
export * from "./model.js";
export * from "./oracle.js";
export { Prng } from "./prng.js";
export { RUN_TIMERS_MAX, SIM_EPOCH_MS, SimClock, settle } from "./sim-clock.js";
export type { SimIoErrorCode } from "./sim-error.js";
export { SimIoError } from "./sim-error.js";
export type { SimDiskCounters, SimFileSystemOptions } from "./sim-file-system.js";
export { SimFileSystem } from "./sim-file-system.js";
export { hashEvents, TraceHash } from "./trace-hash.js";
export type { WorkloadMix, WorkloadStep } from "./workload.js";
export { DEFAULT_MIX, Workload } from "./workload.js";
export { fnvHash64, ZIPF_THETA_DEFAULT, Zipf } from "./zipf.js";
