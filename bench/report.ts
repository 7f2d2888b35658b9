/**
 * The markdown report: machine, engine settings, fusedb against lmdb (bench/ratios.ts), one row per phase
 * (with its ratio to lmdb, GC pauses, CPU and the load generator's share), the load and settle wait, the
 * restarts after SIGKILL, micro-benchmarks, notes.
 */

import type { BenchResults } from "./main.js";
import type { GcSummary } from "./probes.js";
import { loadLabel, ratioCell, renderSummary, replayCells } from "./ratios.js";
import type { IntervalPoint } from "./recorder.js";

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mib = (v: number): string => (v / 2 ** 20).toFixed(0);

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
}

/** Tail stability over a phase: the worst interval p99 and the median interval p99. */
export function tailStability(timeline: IntervalPoint[]): { maxP99Ms: number; medianP99Ms: number } {
  const p99s = timeline.map((p) => p.p99Ms);
  return { maxP99Ms: Math.max(0, ...p99s), medianP99Ms: median(p99s) };
}

const gcCell = (g: GcSummary): string => `${ms(g.gcTotalMs)} / ${ms(g.gcMaxMs)} (${g.gcCount})`;
const pct = (part: number, whole: number): string => (whole <= 0 ? "-" : ((100 * part) / whole).toFixed(0));

/** Counters that moved, as "name n, ..." (or "-"); byte counts in MiB. */
function moved(counters: Record<string, number>): string {
  const parts = Object.entries(counters)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => (k.endsWith("Bytes") ? `${k} ${(v / 2 ** 20).toFixed(1)} MiB` : `${k} ${v}`));
  return parts.length === 0 ? "-" : parts.join(", ");
}

export function renderMarkdown(r: BenchResults): string {
  const o = r.options;
  const out: string[] = [];
  out.push(`# fusedb bench: ${r.mode}`, "");
  out.push(`Command: \`${r.command}\` (${r.wallSeconds.toFixed(0)} s wall, started ${r.startedAt})`, "");
  out.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, Linux ${r.machine.kernel}, Node ${r.machine.node}; data on ${r.machine.fs}.`,
    "",
  );
  out.push(
    `Records ${o.records} per workload, YCSB records ${o.valueBytes} B, sessions ${o.sessionBytes} B, ${o.phaseSeconds} s per phase, ` +
      `interval ${o.intervalMs} ms, open loop at ${o.rate} ops/s, Zipf 0.99 scrambled (YCSB), seed "${o.seed}".`,
    "",
  );
  out.push("## Engines (all durable)", "");
  const seen = new Set<string>();
  for (const g of r.groups) {
    if (!g.report || seen.has(g.engine)) continue;
    seen.add(g.engine);
    out.push(`- **${g.engine}**: ${g.report.settings}. Read-modify-write: ${g.report.rmw}.`);
  }
  for (const s of r.skipped) out.push(`- **${s.name}**: skipped, ${s.reason}.`);
  out.push("");
  out.push(...renderSummary(r), ...phasesTable(r), ...loadTable(r), ...restartTable(r));
  if (r.mode === "sustained") out.push(...sustainedTable(r));
  if (r.micro.length > 0) out.push(...microTable(r));
  out.push("## Notes", "");
  for (const n of r.notes) out.push(`- ${n}`);
  out.push("");
  return out.join("\n");
}

/** One row per phase, with its ratio to lmdb, GC pauses, CPU and the generator's share. */
function phasesTable(r: BenchResults): string[] {
  const out: string[] = [];
  out.push(
    "## All phases",
    "",
    "vs lmdb = ops/s ÷ lmdb's and p99 ÷ lmdb's in the same workload and load. GC = pauses that started in the phase (total / longest ms (count)). CPU = process CPU time ÷ phase wall time (all threads, so it can pass 100); generator = the load generator's own main-thread time (drawing operations, recording latencies) ÷ phase wall time.",
    "",
    "| workload | engine | load | ops/s | vs lmdb ops× / p99× | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | interval p99 max / median ms | write amp | peak RSS MiB | GC ms | CPU % / generator % |",
    "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  );
  for (const g of r.groups) {
    if (!g.report) {
      out.push(`| ${g.workload} | ${g.engine} | failed: ${g.error ?? "?"} | | | | | | | | | | | | |`);
      continue;
    }
    for (const p of g.report.phases) {
      const t = tailStability(p.timeline);
      const l = p.latency;
      const wa = p.writeAmplification === null ? "-" : p.writeAmplification.toFixed(1);
      out.push(
        `| ${g.workload} | ${g.engine} | ${loadLabel(p)} | ${Math.round(p.opsPerSec)} | ${ratioCell(r.groups, g, p)} | ${ms(l.p50Ms)} | ${ms(l.p95Ms)} | ${ms(l.p99Ms)} | ${ms(l.p999Ms)} | ${ms(l.maxMs)} | ${ms(t.maxP99Ms)} / ${ms(t.medianP99Ms)} | ${wa} | ${mib(p.peakRssBytes)} | ${gcCell(p)} | ${pct(p.cpuMs, p.durationMs)} / ${pct(p.generatorMs, p.durationMs)} |`,
      );
    }
  }
  out.push("");
  return out;
}

/** The preload and the settle wait of every group. */
function loadTable(r: BenchResults): string[] {
  const out: string[] = [];
  out.push(
    "## Load and settle (not measured in the phases)",
    "",
    "After the preload the harness polls the engine's background work (fusedb: `stats().background.idle`) every 10 ms and starts the phases once two polls in a row say idle, or after the bound.",
    "",
    "| workload | engine | load s | settle ms | settled | GC during load + settle ms | engine figures that changed while settling |",
    "|---|---|--:|--:|---|--:|---|",
  );
  for (const g of r.groups) {
    const l = g.report?.load;
    if (!l) continue;
    out.push(
      `| ${g.workload} | ${g.engine} | ${(l.loadMs / 1000).toFixed(1)} | ${ms(l.settleMs)} | ${l.settled ? "yes" : "**no** (bound reached)"} | ${gcCell(l)} | ${moved(l.settleCounters)} |`,
    );
  }
  out.push("");
  return out;
}

/** Restart after SIGKILL of every group, with the WAL fusedb replayed. */
function restartTable(r: BenchResults): string[] {
  const out: string[] = [];
  out.push(
    "## Restart after SIGKILL",
    "",
    "The process that ran the phases is SIGKILLed; a fresh process opens the directory (default knobs) and reads one key. Replay MiB/s = WAL bytes the engine replayed (fusedb's `RecoveryInfo.replayedBytes`) ÷ the whole open's wall time (fixed costs included: a lower bound of the replay rate).",
    "",
    "| workload | engine | restart ms (open + first read) | open ms | engine's own open ms | WAL replayed MiB | records replayed | replay MiB/s | data MiB |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|",
  );
  for (const g of r.groups) {
    const rec = g.recovery;
    if (!rec) continue;
    const e = rec.engine;
    const replay = replayCells(rec);
    out.push(
      `| ${g.workload} | ${g.engine} | ${ms(rec.openMs + rec.firstReadMs)} | ${ms(rec.openMs)} | ${e ? ms(e.engineOpenMs) : "-"} | ${replay.mib} | ${e ? e.replayedRecords : "-"} | ${replay.rate} | ${mib(rec.dirBytes)} |`,
    );
  }
  out.push("");
  return out;
}

/** Sustained mode: the worst and median per-interval p99 of each engine. */
function sustainedTable(r: BenchResults): string[] {
  const out: string[] = [];
  out.push("## Tail stability (sustained)", "");
  out.push(
    "| engine | ops/s | max per-second p99 ms | median per-second p99 ms | ratio |",
    "|---|--:|--:|--:|--:|",
  );
  for (const g of r.groups) {
    const p = g.report?.phases[0];
    if (!p) continue;
    const t = tailStability(p.timeline);
    out.push(
      `| ${g.engine} | ${Math.round(p.opsPerSec)} | ${ms(t.maxP99Ms)} | ${ms(t.medianP99Ms)} | ${(t.maxP99Ms / Math.max(t.medianP99Ms, 1e-9)).toFixed(1)} |`,
    );
  }
  out.push("");
  return out;
}

/** The tinybench micro-benchmarks. */
function microTable(r: BenchResults): string[] {
  const out: string[] = [];
  out.push(
    "## Micro-benchmarks (tinybench)",
    "",
    "Mean and p99 are per tinybench iteration; ops/s counts operations (iterations/s × ops per iteration).",
    "",
    "| hot path | ops/s | ops/s at median | ops per iteration | mean ns | p99 ns | samples |",
    "|---|--:|--:|--:|--:|--:|--:|",
  );
  for (const m of r.micro) {
    out.push(
      `| ${m.name} | ${Math.round(m.opsPerSec)} | ${Math.round(m.opsPerSecAtMedian)} | ${m.opsPerIteration} | ${m.meanNs.toFixed(0)} | ${m.p99Ns.toFixed(0)} | ${m.samples} |`,
    );
  }
  out.push("");
  return out;
}
