/**
 * One benchmark cell group, run in its own process so memory, GC and I/O counters belong to one engine:
 * opens the engine in a fresh directory, preloads the workload's records, runs each phase (closed loop
 * at each concurrency, then open loop) and reports over IPC. The parent then SIGKILLs it and times
 * recovery in a second process (`recover` mode): open plus one read of the killed directory.
 *
 * Usage (from bench/main.ts): node --import tsx bench/cell.ts '<CellConfig JSON>'
 */
import { mkdirSync } from "node:fs";
import type { EngineName } from "./engines/engine.js";
import { openEngine } from "./engines/open-engine.js";
import {
  deviceStatPath,
  deviceWriteBytes,
  dirBytes,
  GcProbe,
  processWriteBytes,
  RssProbe,
} from "./probes.js";
import { type LoadShape, type PhaseResult, runPhase } from "./runner.js";
import { makeWorkload, type WorkloadName, type WorkloadOptions } from "./workloads.js";

export interface CellConfig {
  mode: "run" | "recover";
  engine: EngineName;
  workload: WorkloadName;
  dir: string;
  workloadOptions: WorkloadOptions;
  phases: LoadShape[];
  phaseMs: number;
  intervalMs: number;
  bufferBytesBudget: number;
}

export interface PhaseReport extends PhaseResult {
  shape: LoadShape;
  processWriteBytes: number | null;
  deviceWriteBytes: number | null;
  dirGrowthBytes: number;
  dirBytesAfter: number;
  writeAmplification: number | null;
  peakRssBytes: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  engineCounters: Record<string, number>;
}

export interface CellReport {
  type: "phases";
  settings: string;
  rmw: string;
  description: string;
  records: number;
  loadMs: number;
  loadedDirBytes: number;
  phases: PhaseReport[];
}

export interface RecoverReport {
  type: "recovered";
  openMs: number;
  firstReadMs: number;
  dirBytes: number;
}

function delta(after: number | undefined, before: number | undefined): number | null {
  return after === undefined || before === undefined ? null : after - before;
}

function diffCounters(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) out[k] = v - (a[k] ?? 0);
  return out;
}

function send(message: CellReport | RecoverReport): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) throw new Error("cell.ts runs as a child of bench/main.ts");
    process.send(message, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

async function run(config: CellConfig): Promise<void> {
  mkdirSync(config.dir, { recursive: true });
  const devStat = deviceStatPath(config.dir);
  const workload = makeWorkload(config.workload, config.workloadOptions);
  const engine = await openEngine(config.engine, config.dir, { bufferBytesBudget: config.bufferBytesBudget });
  const loadStarted = performance.now();
  await engine.load(workload.preload());
  const loadMs = performance.now() - loadStarted;
  const gc = new GcProbe();
  const rss = new RssProbe();
  const phases: PhaseReport[] = [];
  for (const shape of config.phases) {
    const ioBefore = processWriteBytes();
    const devBefore = deviceWriteBytes(devStat);
    const dirBefore = dirBytes(config.dir);
    const countersBefore = engine.counters();
    gc.reset();
    rss.reset();
    const result = await runPhase(engine, workload, shape, config.phaseMs, config.intervalMs);
    await new Promise((resolve) => setImmediate(resolve)); // let pending GC entries arrive
    const written = delta(processWriteBytes(), ioBefore);
    const dirAfter = dirBytes(config.dir);
    phases.push({
      ...result,
      shape,
      processWriteBytes: written,
      deviceWriteBytes: delta(deviceWriteBytes(devStat), devBefore),
      dirGrowthBytes: dirAfter - dirBefore,
      dirBytesAfter: dirAfter,
      writeAmplification:
        written === null || result.userWriteBytes === 0 ? null : written / result.userWriteBytes,
      peakRssBytes: rss.peakBytes(),
      ...gc.read(),
      engineCounters: diffCounters(countersBefore, engine.counters()),
    });
  }
  gc.stop();
  rss.stop();
  await send({
    type: "phases",
    settings: engine.settings,
    rmw: engine.rmw,
    description: workload.description,
    records: config.workloadOptions.records,
    loadMs,
    loadedDirBytes: phases[0] ? phases[0].dirBytesAfter - phases[0].dirGrowthBytes : dirBytes(config.dir),
    phases,
  });
  // Stay alive, engine open, until the parent kills this process (the crash recovery then replays).
  setInterval(() => undefined, 1000);
}

async function recover(config: CellConfig): Promise<void> {
  const started = performance.now();
  const engine = await openEngine(config.engine, config.dir, { bufferBytesBudget: config.bufferBytesBudget });
  const opened = performance.now();
  const first = makeWorkload(config.workload, config.workloadOptions).next(0);
  await engine.get(first.key);
  const read = performance.now();
  await engine.close();
  await send({
    type: "recovered",
    openMs: opened - started,
    firstReadMs: read - opened,
    dirBytes: dirBytes(config.dir),
  });
  process.exit(0);
}

const config = JSON.parse(process.argv[2] ?? "{}") as CellConfig;
await (config.mode === "recover" ? recover(config) : run(config));
