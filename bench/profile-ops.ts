/**
 * Profiling helper: one engine, one workload, preloaded and settled as bench/cell.ts does, then one closed-loop
 * phase at 64 in flight, CPU-profiled (main thread only) into <out>.cpuprofile. Usage: `node --import tsx
 * bench/profile-ops.ts <engine> <workload> <seconds> <out> [records]`; read it with bench/profile-top.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineName } from "./engines/engine.js";
import { openEngine } from "./engines/open-engine.js";
import { runPhase } from "./runner.js";
import { makeWorkload, type WorkloadName } from "./workloads.js";

const [
  engineName = "fusedb",
  workloadName = "ycsb-c",
  seconds = "5",
  out = "/tmp/profile",
  records = "100000",
] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "fusedb-prof-"));
const workload = makeWorkload(workloadName as WorkloadName, {
  records: Number(records),
  valueBytes: 1000,
  sessionBytes: 1024,
  windowMs: 250,
  seed: "bench",
});
const engine = await openEngine(engineName as EngineName, dir);
await engine.load(workload.preload());
const settleStart = performance.now();
while (!engine.backgroundIdle() && performance.now() - settleStart < 30_000) {
  await new Promise((r) => setTimeout(r, 100));
}
const warm = await runPhase(engine, workload, { loop: "closed", inflight: 64 }, 1000, 1000);
const countersBefore = engine.counters();
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 200 });
await session.post("Profiler.start");
// PROFILE_HEAP=1: also sample allocations (bytes by allocating stack) into <out>.heapprofile: those still
// live at the end. PROFILE_HEAP=all: every sampled allocation, collected ones too (the GC churn per operation).
const heap = process.env.PROFILE_HEAP === "1" || process.env.PROFILE_HEAP === "all";
const churn = process.env.PROFILE_HEAP === "all";
if (heap) {
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: churn,
    includeObjectsCollectedByMinorGC: churn,
  });
}
const r = await runPhase(engine, workload, { loop: "closed", inflight: 64 }, Number(seconds) * 1000, 1000);
const { profile } = await session.post("Profiler.stop");
if (heap) {
  const sampled = await session.post("HeapProfiler.stopSampling");
  writeFileSync(`${out}.heapprofile`, JSON.stringify(sampled.profile));
}
writeFileSync(`${out}.cpuprofile`, JSON.stringify(profile));
console.log(
  JSON.stringify({
    engine: engineName,
    workload: workloadName,
    warmOps: warm.opsPerSec,
    opsPerSec: r.opsPerSec,
    p99: r.latency.p99Ms,
    cpuUsPerOp: (r.cpuMs * 1000) / r.ops,
    counters: Object.fromEntries(
      Object.entries(engine.counters()).map(([k, v]) => [
        k,
        k.endsWith("Bytes") ? v : v - (countersBefore[k] ?? 0),
      ]),
    ),
  }),
);
await engine.close();
rmSync(dir, { recursive: true, force: true });
