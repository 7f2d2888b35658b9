/**
 * `fusedb demo [dir]` (what `npm start` runs): on the real disk, a YCSB-style counters workload with latency
 * percentiles and a checkpoint, then three rounds of a real process crash (SIGKILL) with recovery and
 * verification on the same directory, so recovery after recovery is exercised. Exit code 1 on any violation.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { open } from "../src/index.js";
import { runCrashRound } from "./crash-round.js";
import { summarizeLatency } from "./latency.js";
import { DATA_DIR_DEFAULT } from "./shell.js";
import { runCountersWorkload } from "./ycsb-workload.js";

const WORKLOAD_OPS = 200_000;
const WORKLOAD_KEYS = 10_000;
const WORKLOAD_INFLIGHT = 64;
const CRASH_ROUNDS = 3;
/** Progress bar redraws at most once per this many operations. */
const PROGRESS_STEP_OPS = 1000;

/** Builds the `demo` subcommand; `setExit` receives 0 on PASS and 1 on FAIL. */
export function demoCommand(setExit: (code: number) => void): Command {
  return new Command("demo")
    .description("YCSB-style counters workload, then 3 rounds of SIGKILL crash + recovery checks")
    .argument("[dir]", "data directory (its ycsb/ and crash/ subdirectories are recreated)", DATA_DIR_DEFAULT)
    .option("--seed <seed>", "workload seed", "fusedb-demo")
    .action(async (dir: string, flags: { seed: string }) => {
      setExit(await runDemo(dir, flags.seed));
    });
}

async function runDemo(dir: string, seed: string): Promise<number> {
  const ycsbDir = join(dir, "ycsb");
  const crashDir = join(dir, "crash");
  for (const d of [ycsbDir, crashDir]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }
  await runWorkloadPart(ycsbDir, seed);
  return runCrashPart(crashDir);
}

async function runWorkloadPart(dir: string, seed: string): Promise<void> {
  console.log(
    `workload   ${WORKLOAD_OPS} ops, Zipf 0.99 over ${WORKLOAD_KEYS} keys, ${WORKLOAD_INFLIGHT} in flight, ` +
      `incr 50% get 30% patch 10% set 10%, seed ${seed}, dir ${dir}`,
  );
  const db = await open(dir);
  try {
    const bar = new SingleBar({
      format: "ycsb [{bar}] {value}/{total} ops | {eta_formatted} left",
      stream: process.stderr,
    });
    bar.start(WORKLOAD_OPS, 0);
    const result = await runCountersWorkload(db, {
      ops: WORKLOAD_OPS,
      keys: WORKLOAD_KEYS,
      inflight: WORKLOAD_INFLIGHT,
      seed,
      onProgress: (done) => {
        if (done % PROGRESS_STEP_OPS === 0 || done === WORKLOAD_OPS) bar.update(done);
      },
    });
    bar.stop();
    const lat = summarizeLatency(result.latencyMs);
    const opsPerSecond = Math.round((WORKLOAD_OPS / result.wallMs) * 1000);
    const c = result.counts;
    console.log(`mix        incr ${c.incr}, get ${c.get}, patch ${c.patch}, set ${c.set}`);
    console.log(`throughput ${opsPerSecond} ops/s (${ms(result.wallMs)} ms wall)`);
    console.log(
      `latency    p50 ${ms(lat.p50)} ms, p99 ${ms(lat.p99)} ms, p99.9 ${ms(lat.p999)} ms, max ${ms(lat.max)} ms`,
    );
    const wal = db.stats().wal;
    console.log(`wal        ${JSON.stringify(wal)}`);
    const started = performance.now();
    const { lsn } = await db.checkpoint();
    console.log(`checkpoint lsn ${lsn} in ${ms(performance.now() - started)} ms`);
  } finally {
    await db.close();
  }
}

async function runCrashPart(dir: string): Promise<number> {
  console.log(`crash test ${CRASH_ROUNDS} rounds of SIGKILL on a child doing durable increments, dir ${dir}`);
  let baseline = new Map<string, number>();
  let failed = false;
  for (let round = 1; round <= CRASH_ROUNDS; round++) {
    const r = await runCrashRound(dir, baseline);
    const total = [...r.recovered.values()].reduce((a, b) => a + b, 0);
    console.log(
      `round ${round}    killed after ${r.killDelayMs} ms: ${r.issued} increments issued, ${r.acked} acked; ` +
        `recovery ${r.recoveryMs} ms (open ${ms(r.openWallMs)} ms wall), ${r.replayedRecords} records replayed, ` +
        `torn tail ${r.tornTail}; counters sum ${total}; ${r.verdict.pass ? "PASS" : "FAIL"}`,
    );
    for (const v of r.verdict.violations.slice(0, 20)) console.log(`violation  ${v}`);
    failed ||= !r.verdict.pass;
    baseline = r.recovered;
  }
  console.log(`verdict    ${failed ? "FAIL" : "PASS"}`);
  return failed ? 1 : 0;
}

function ms(value: number): string {
  return value.toFixed(value < 10 ? 3 : 1);
}
