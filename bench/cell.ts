/**
 * One benchmark cell group, run in its own process so memory, GC and I/O counters belong to one engine:
 * opens the engine in a fresh directory, preloads the workload's records, waits (bounded) until the
 * engine reports its background work idle, runs each phase (closed loop at each concurrency, then open
 * loop) and reports over IPC. The parent then SIGKILLs it and times the restart in a second process
 * (`recover` mode): open at default knobs plus one read of the killed directory, with what the engine says
 * it replayed.
 *
 * Usage (from bench/main.ts): node --import tsx bench/cell.ts '<CellConfig JSON>'
 */
import { mkdirSync } from "node:fs";
import type { Engine, EngineName, RecoveryFigures } from "./engines/engine.js";
import { openEngine } from "./engines/open-engine.js";
import {
  deviceStatPath,
  deviceWriteBytes,
  dirBytes,
  GcLog,
  type GcSummary,
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
  /** Longest wait for the engine's post-load background work to settle, in ms. */
  settleMaxMs: number;
}

/** One phase: what the runner measured, the probes around it, and the GC pauses that started in it. */
export interface PhaseReport extends PhaseResult, GcSummary {
  shape: LoadShape;
  processWriteBytes: number | null;
  deviceWriteBytes: number | null;
  dirGrowthBytes: number;
  dirBytesAfter: number;
  writeAmplification: number | null;
  peakRssBytes: number;
  engineCounters: Record<string, number>;
}

/**
 * The preload and the wait for the engine's post-load work, before any phase is measured; its GC figures
 * are the pauses that started during the load and the wait (charged to no phase).
 */
export interface LoadReport extends GcSummary {
  loadMs: number;
  /** ms from the end of the load until the engine reported its background work idle (or the bound). */
  settleMs: number;
  /** False if the bound passed first: the phases then ran with the load's work still going. */
  settled: boolean;
  /** Engine counters that moved while settling (fusedb: flushes, merges, splits). */
  settleCounters: Record<string, number>;
}

export interface CellReport {
  type: "phases";
  settings: string;
  rmw: string;
  description: string;
  records: number;
  load: LoadReport;
  loadedDirBytes: number;
  phases: PhaseReport[];
  /** GC entries the log had to drop (0 unless a run is far longer than the full mode's). */
  gcDropped: number;
}

export interface RecoverReport {
  type: "recovered";
  /** Wall ms of the engine's open in a fresh process (modules already loaded). */
  openMs: number;
  firstReadMs: number;
  dirBytes: number;
  /** What the engine says it replayed (fusedb's RecoveryInfo), if it says. */
  engine: RecoveryFigures | undefined;
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

/** Polls between two looks at the engine's background work, in ms. */
const SETTLE_POLL_MS = 10;

/**
 * Waits until the engine reports its background work idle on two polls in a row, or `maxMs` passed.
 * Bounded by `maxMs`.
 */
async function settle(engine: Engine, maxMs: number): Promise<{ settleMs: number; settled: boolean }> {
  const started = performance.now();
  let idlePolls = 0;
  while (performance.now() - started < maxMs) {
    idlePolls = engine.backgroundIdle() ? idlePolls + 1 : 0;
    if (idlePolls >= 2) return { settleMs: performance.now() - started, settled: true };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
  return { settleMs: performance.now() - started, settled: false };
}

async function run(config: CellConfig): Promise<void> {
  mkdirSync(config.dir, { recursive: true });
  const devStat = deviceStatPath(config.dir);
  const workload = makeWorkload(config.workload, config.workloadOptions);
  const gc = new GcLog();
  const engine = await openEngine(config.engine, config.dir);
  const loadStarted = performance.now();
  await engine.load(workload.preload());
  const loadMs = performance.now() - loadStarted;
  const countersLoaded = engine.counters();
  const settled = await settle(engine, config.settleMaxMs);
  const settleCounters = diffCounters(countersLoaded, engine.counters());
  const loadedDirBytes = dirBytes(config.dir);
  await gc.drain();
  const load: LoadReport = {
    loadMs,
    ...settled,
    settleCounters,
    ...gc.window(loadStarted, performance.now()),
  };
  const rss = new RssProbe();
  const phases: PhaseReport[] = [];
  for (const shape of config.phases) {
    const ioBefore = processWriteBytes();
    const devBefore = deviceWriteBytes(devStat);
    const dirBefore = dirBytes(config.dir);
    const countersBefore = engine.counters();
    rss.reset();
    const result = await runPhase(engine, workload, shape, config.phaseMs, config.intervalMs, () =>
      rss.sample(),
    );
    await gc.drain();
    const gcs = gc.perInterval(result.startMs, config.intervalMs, result.timeline.length);
    result.timeline.forEach((point, i) => {
      point.gcMs = gcs[i] ?? 0;
    });
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
      ...gc.window(result.startMs, result.startMs + result.durationMs),
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
    load,
    loadedDirBytes,
    phases,
    gcDropped: gc.dropped,
  });
  // Stay alive, engine open, until the parent kills this process (the crash recovery then replays).
  setInterval(() => undefined, 1000);
}

async function recover(config: CellConfig): Promise<void> {
  const started = performance.now();
  const engine = await openEngine(config.engine, config.dir);
  const opened = performance.now();
  const first = makeWorkload(config.workload, config.workloadOptions).next(0);
  await engine.get(first.key);
  const read = performance.now();
  const figures = engine.recovery();
  await engine.close();
  await send({
    type: "recovered",
    openMs: opened - started,
    firstReadMs: read - opened,
    dirBytes: dirBytes(config.dir),
    engine: figures,
  });
  process.exit(0);
}

const config = JSON.parse(process.argv[2] ?? "{}") as CellConfig;
await (config.mode === "recover" ? recover(config) : run(config));
