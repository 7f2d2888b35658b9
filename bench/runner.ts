/**
 * Load generators. Closed loop: `inflight` workers, each issuing its next operation when the previous one
 * resolves. Open loop: operations are due at a fixed rate whatever the engine does, and each latency is
 * measured from the operation's intended start, so a stall counts against every operation it delays
 * (no coordinated omission; Tene, "How NOT to Measure Latency").
 *
 * The generator shares the engine's process and cores, so its own cost is measured and reported: the time
 * spent drawing each operation and recording its latency (`generatorMs`), and the process's CPU time.
 */
import { Buffer } from "node:buffer";
import type { Json } from "../src/index.js";
import type { Engine } from "./engines/engine.js";
import { type IntervalPoint, LatencyRecorder, type LatencySummary } from "./recorder.js";
import type { Op, Workload } from "./workloads.js";

/** How one phase drives the engine. */
export type LoadShape = { loop: "closed"; inflight: number } | { loop: "open"; rateOpsPerSec: number };

/** Operations the open loop may have started and not finished; past it, due operations wait (and count). */
const OPEN_LOOP_INFLIGHT_MAX = 10_000;

/** Operations between two calls of the runner's `tick` (RSS sampling that a synchronous engine cannot starve). */
const TICK_OPS = 256;

export interface PhaseResult {
  /** performance.now() when the phase began (the timeline's origin). */
  startMs: number;
  durationMs: number;
  ops: number;
  opsPerSec: number;
  latency: LatencySummary;
  timeline: IntervalPoint[];
  /** Key plus JSON value bytes of every acknowledged write (incr: the new value). */
  userWriteBytes: number;
  writeOps: number;
  /** Main-thread ms the load generator spent drawing operations and recording latencies (not the engine). */
  generatorMs: number;
  /** CPU ms of the whole process (all threads: engine, generator, GC, libuv pool) during the phase. */
  cpuMs: number;
}

function jsonBytes(v: Json): number {
  return Buffer.byteLength(JSON.stringify(v));
}

/** Executes `op`; resolves to the user bytes it wrote (0 for a read). */
async function execute(engine: Engine, op: Op): Promise<number> {
  switch (op.kind) {
    case "get":
      await engine.get(op.key);
      return 0;
    case "set":
      await engine.set(op.key, op.value);
      return Buffer.byteLength(op.key) + jsonBytes(op.value);
    case "incr": {
      const value = await engine.incr(op.key, op.delta);
      return Buffer.byteLength(op.key) + jsonBytes(value);
    }
    case "rmw":
      await engine.readModifyWrite(op.key, op.field, op.fieldValue);
      // The whole record is written back; its fields all have the same length, so its size is known.
      return Buffer.byteLength(op.key) + op.recordBytes;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one phase for `durationMs` and returns what it measured. */
export async function runPhase(
  engine: Engine,
  workload: Workload,
  shape: LoadShape,
  durationMs: number,
  intervalMs: number,
  tick: () => void = () => undefined,
): Promise<PhaseResult> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + durationMs;
  const recorder = new LatencyRecorder(start, intervalMs);
  let userWriteBytes = 0;
  let writeOps = 0;
  let ops = 0;
  let generatorMs = 0;

  const one = async (intendedMs: number): Promise<void> => {
    const drawStart = performance.now();
    const op = workload.next(intendedMs - start);
    const drawEnd = performance.now();
    const bytes = await execute(engine, op);
    const end = performance.now();
    recorder.record(end, end - intendedMs);
    ops++;
    if (bytes > 0) {
      userWriteBytes += bytes;
      writeOps++;
    }
    if (ops % TICK_OPS === 0) tick();
    generatorMs += drawEnd - drawStart + (performance.now() - end);
  };

  if (shape.loop === "closed") {
    const worker = async (): Promise<void> => {
      // Bounded by the deadline.
      while (performance.now() < deadline) await one(performance.now());
    };
    await Promise.all(Array.from({ length: shape.inflight }, worker));
  } else {
    const periodMs = 1000 / shape.rateOpsPerSec;
    const inflight = new Set<Promise<void>>();
    let issued = 0;
    // Bounded by the deadline: operation `issued` is due at start + issued * periodMs.
    for (;;) {
      const due = start + issued * periodMs;
      if (due >= deadline) break;
      const now = performance.now();
      if (due > now) {
        await sleep(due - now >= 1 ? Math.floor(due - now) : 0);
        continue;
      }
      if (inflight.size >= OPEN_LOOP_INFLIGHT_MAX) {
        await Promise.race(inflight);
        continue;
      }
      const p = one(due).finally(() => inflight.delete(p));
      inflight.add(p);
      issued++;
    }
    await Promise.all(inflight);
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const { summary, timeline } = recorder.finish(end);
  return {
    startMs: start,
    durationMs: end - start,
    ops,
    opsPerSec: (ops * 1000) / (end - start),
    latency: summary,
    timeline,
    userWriteBytes,
    writeOps,
    generatorMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}
