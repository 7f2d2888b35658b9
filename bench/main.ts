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
    bufferBytesBudget: o.bufferBytesBudget,
  };
  const result: GroupResult = { engine, workload, report: undefined, recovery: undefined, error: undefined };
  const proc = child(config);
  try {
    result.report = await awaitMessage<CellReport>(proc, phases.length * config.phaseMs * 3 + CELL_SLACK_MS);
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
      "Engines run one after another in the same run, on the same disk, each (engine, workload) group in its own process, after a preload that is not measured.",
      "fusedb has no TTL yet: rate limiting uses per-window keys rl:<user>:<window> that never expire; sessions carry expiresAt as a plain field.",
      "There is no leaf router in fusedb yet: the micro-benchmark 'router lookup' measures the segment index binary search (lowerBound in src/tree/segment-reader.ts) instead.",
      "better-sqlite3 is synchronous: operations never overlap and each commit blocks the event loop, so more operations in flight add no throughput, only waiting (the latency at 64 in flight includes the wait behind the other callers).",
      "Write amplification = bytes this process caused to be written (/proc/self/io write_bytes, counted when pages are dirtied, so small synced appends count whole 4 KiB pages) / user bytes written (key + JSON value of acknowledged writes). Device-wide bytes (all processes, journal included) are in the JSON.",
      "The load generator runs in the engine's process and shares the machine's cores with it (2 cores here); fusedb's timeline also includes the harness-driven checkpoints.",
      "Quick mode is a smoke run (1 s phases, 20k records): cell-to-cell noise on a shared virtual disk is large, easily 2x between runs at 1 in flight. Use --full (10 s phases, 100k records, 1/64/100 in flight) for decisions.",
      "Recovery = time to open the directory after SIGKILL of the process that ran the workload, plus one read.",
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
        `${workload.padEnd(9)} ${engine.padEnd(10)} ${line ?? `FAILED: ${g.error}`}${g.recovery ? ` | recovery ${g.recovery.openMs.toFixed(0)} ms` : ""}`,
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
