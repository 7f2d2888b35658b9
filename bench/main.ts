/**
 * `npm run bench`: fusedb side by side with lmdb, LevelDB (classic-level), SQLite (better-sqlite3) and the
 * disk's limit, every engine durable, in one run on one disk. Each (engine, workload) group runs in its own
 * process (bench/cell.ts), is SIGKILLed after its phases, and its recovery is timed in another process.
 * Writes bench/results/<mode>.json, <mode>.md and <mode>.svg.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { type BenchOptions, parseOptions } from "./args.js";
import type { CellConfig, CellReport, RecoverReport } from "./cell.js";
import { renderChart } from "./chart.js";
import { SKIPPED_ENGINES } from "./engines/engine.js";
import { type MicroResult, runMicro } from "./micro.js";
import { renderMarkdown } from "./report.js";
import type { LoadShape } from "./runner.js";
import { writes } from "./workloads.js";

/** One (engine, workload) group in the results. */
export interface GroupResult {
  engine: string;
  workload: string;
  report: CellReport | undefined;
  recovery: RecoverReport | undefined;
  error: string | undefined;
}

export interface BenchResults {
  mode: BenchOptions["mode"];
  startedAt: string;
  wallSeconds: number;
  command: string;
  machine: { cpu: string; cores: number; kernel: string; node: string; dir: string; fs: string };
  options: BenchOptions;
  skipped: { name: string; reason: string }[];
  notes: string[];
  groups: GroupResult[];
  micro: MicroResult[];
}

const CELL = join(import.meta.dirname, "cell.ts");
/** A group that has not reported within its phases plus this many ms is killed and reported as failed. */
const CELL_SLACK_MS = 120_000;

function child(config: CellConfig): ChildProcess {
  return fork(CELL, [JSON.stringify(config)], { execArgv: ["--import", "tsx"], stdio: "inherit" });
}

function awaitMessage<T>(proc: ChildProcess, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no report within ${timeoutMs} ms`)), timeoutMs);
    proc.once("message", (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before reporting`));
    });
  });
}

function killed(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });
}

function fsType(dir: string): string {
  try {
    const mounts = readFileSync("/proc/mounts", "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    let best: string[] | undefined;
    for (const m of mounts) {
      const point = m[1] ?? "";
      if (
        (dir === point || dir.startsWith(point.endsWith("/") ? point : `${point}/`)) &&
        point.length >= (best?.[1]?.length ?? -1)
      )
        best = m;
    }
    return best ? `${best[2]} on ${best[0]} (mounted at ${best[1]})` : "unknown";
  } catch {
    return "unknown";
  }
}

async function runGroup(
  o: BenchOptions,
  root: string,
  engine: CellConfig["engine"],
  workload: CellConfig["workload"],
): Promise<GroupResult> {
  const phases: LoadShape[] = o.concurrency.map((inflight) => ({ loop: "closed", inflight }));
  if (o.openLoopWorkloads.includes(workload)) phases.push({ loop: "open", rateOpsPerSec: o.rate });
  const config: CellConfig = {
    mode: "run",
    engine,
    workload,
    dir: join(root, `${engine}-${workload}`),
    workloadOptions: {
      records: o.records,
      valueBytes: o.valueBytes,
      sessionBytes: o.sessionBytes,
      windowMs: o.windowMs,
      seed: o.seed,
    },
    phases,
    phaseMs: o.phaseSeconds * 1000,
    intervalMs: o.intervalMs,
    settleMaxMs: o.settleSeconds * 1000,
  };
  const result: GroupResult = { engine, workload, report: undefined, recovery: undefined, error: undefined };
  const proc = child(config);
  try {
    result.report = await awaitMessage<CellReport>(
      proc,
      phases.length * config.phaseMs * 3 + config.settleMaxMs + CELL_SLACK_MS,
    );
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await killed(proc);
  }
  if (result.report && engine !== "disk-limit") {
    const rec = child({ ...config, mode: "recover" });
    try {
      result.recovery = await awaitMessage<RecoverReport>(rec, CELL_SLACK_MS);
    } catch (err) {
      result.error = `recovery: ${(err as Error).message}`;
    } finally {
      await killed(rec);
    }
  }
  if (!o.keepData) rmSync(config.dir, { recursive: true, force: true });
  return result;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  mkdirSync(o.dir, { recursive: true });
  const root = mkdtempSync(join(o.dir, "fusedb-bench-"));
  const results: BenchResults = {
    mode: o.mode,
    startedAt: new Date().toISOString(),
    wallSeconds: 0,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      kernel: release(),
      node: process.version,
      dir: root,
      fs: fsType(root),
    },
    options: o,
    skipped: SKIPPED_ENGINES,
    notes: [
      "Every engine is durable: a write is acknowledged only after the engine's fsync/fdatasync of it returned.",
      "Engines run one after another in the same run, on the same disk, each (engine, workload) group in its own process, after a preload that is not measured. The phases start only once the engine reports its post-load background work idle (fusedb: stats().background.idle, polled every 10 ms; bounded by --settle-seconds); the wait and what the engine did meanwhile are in the load and settle table. lmdb, LevelDB and SQLite report no background work the harness can see: LevelDB's compaction thread may still run.",
      "Every engine runs at its defaults apart from its durability settings; nobody's memory is managed by the harness (fusedb's checkpoints, flushes and splits are its own).",
      "lmdb: overlappingSync false, so a write resolves only after its commit is fsynced; reads are lmdb's synchronous get (a mapped page), as an application uses it.",
      "Rate limiting and sessions emulate expiry the same way on every engine (per-window keys rl:<user>:<window> that are never deleted; an expiresAt field), since the peers have no TTL: fusedb's own TTL (ttlMs, expire) is not exercised here.",
      "better-sqlite3 is synchronous: operations never overlap and each commit blocks the event loop, so more operations in flight add no throughput, only waiting (the latency at 64 in flight includes the wait behind the other callers).",
      "GC pauses (perf_hooks) are charged by their start time to the phase, the interval (timeline gcMs in the JSON) or the load + settle window in which they happened. A synchronous engine (better-sqlite3, and lmdb and fusedb-memory at 1 in flight) can hold the event loop for a whole phase, which delays the delivery of GC entries but not where they are counted; peak RSS is also sampled by the load generator every 256 operations for the same reason.",
      "Write amplification = bytes this process caused to be written (/proc/self/io write_bytes, counted when pages are dirtied, so small synced appends count whole 4 KiB pages) / user bytes written (key + JSON value of acknowledged writes). Device-wide bytes (all processes, journal included) are in the JSON.",
      "The load generator runs in the engine's process and shares the machine's cores with it (2 cores here). Its own main-thread cost (drawing each operation, recording its latency, sampling RSS) is measured in every phase and reported as a share of the phase's wall time, next to the process's CPU time.",
      "Quick mode is a smoke run (1 s phases, 20k records): cell-to-cell noise on a shared virtual disk is large, easily 2x between runs at 1 in flight. Use --full (10 s phases, 100k records, 1/64/100 in flight) for decisions.",
      "Restart = wall time to open the directory at default knobs, in a fresh process, after SIGKILL of the process that ran the workload, plus one read; measured after every workload. fusedb also reports the WAL it replayed (RecoveryInfo.replayedBytes/replayedRecords).",
    ],
    groups: [],
    micro: [],
  };
  console.log(`fusedb bench (${o.mode}) in ${root} on ${results.machine.fs}`);
  for (const workload of o.workloads) {
    for (const engine of o.engines) {
      if (engine === "disk-limit" && !writes(workload)) continue;
      const g = await runGroup(o, root, engine, workload);
      results.groups.push(g);
      const line = g.report?.phases
        .map(
          (p) =>
            `${p.shape.loop === "closed" ? `c${p.shape.inflight}` : `open@${p.shape.rateOpsPerSec}`} ${Math.round(p.opsPerSec)} ops/s p99 ${p.latency.p99Ms.toFixed(2)} ms`,
        )
        .join(" | ");
      console.log(
        `${workload.padEnd(9)} ${engine.padEnd(10)} ${line ?? `FAILED: ${g.error}`}${g.recovery ? ` | restart ${(g.recovery.openMs + g.recovery.firstReadMs).toFixed(0)} ms` : ""}`,
      );
    }
  }
  if (o.micro) {
    console.log("micro-benchmarks (tinybench)...");
    results.micro = await runMicro(join(root, "micro"), o.mode === "full" ? 1000 : 250);
  }
  if (!o.keepData) rmSync(root, { recursive: true, force: true });
  results.wallSeconds = (performance.now() - started) / 1000;
  mkdirSync(o.out, { recursive: true });
  const base = join(o.out, o.mode);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 1)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.svg`, await renderChart(results));
  console.log(`\n${md}`);
  console.log(`wrote ${base}.json, ${base}.md, ${base}.svg in ${results.wallSeconds.toFixed(0)} s`);
}

await main();
