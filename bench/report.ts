/** The markdown report: machine, engine settings, one row per phase, micro-benchmarks, notes. */
import type { PhaseReport } from "./cell.js";
import type { BenchResults } from "./main.js";
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

function load(p: PhaseReport): string {
  return p.shape.loop === "closed" ? `closed ${p.shape.inflight}` : `open ${p.shape.rateOpsPerSec}/s`;
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
  out.push(
    "| workload | engine | load | ops/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | interval p99 max / median ms | write amp | peak RSS MiB | GC total / max ms | recovery ms |",
    "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  );
  for (const g of r.groups) {
    if (!g.report) {
      out.push(`| ${g.workload} | ${g.engine} | failed: ${g.error ?? "?"} | | | | | | | | | | | |`);
      continue;
    }
    g.report.phases.forEach((p, i) => {
      const t = tailStability(p.timeline);
      const l = p.latency;
      const wa = p.writeAmplification === null ? "-" : p.writeAmplification.toFixed(1);
      const rec = i === 0 && g.recovery ? ms(g.recovery.openMs + g.recovery.firstReadMs) : "";
      out.push(
        `| ${g.workload} | ${g.engine} | ${load(p)} | ${Math.round(p.opsPerSec)} | ${ms(l.p50Ms)} | ${ms(l.p95Ms)} | ${ms(l.p99Ms)} | ${ms(l.p999Ms)} | ${ms(l.maxMs)} | ${ms(t.maxP99Ms)} / ${ms(t.medianP99Ms)} | ${wa} | ${mib(p.peakRssBytes)} | ${ms(p.gcTotalMs)} / ${ms(p.gcMaxMs)} | ${rec} |`,
      );
    });
  }
  out.push("");
  if (r.mode === "sustained") {
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
  }
  if (r.micro.length > 0) {
    out.push(
      "## Micro-benchmarks (tinybench)",
      "",
      "| hot path | ops/s | mean ns | p99 ns | samples |",
      "|---|--:|--:|--:|--:|",
    );
    for (const m of r.micro) {
      out.push(
        `| ${m.name} | ${Math.round(m.opsPerSec)} | ${m.meanNs.toFixed(0)} | ${m.p99Ns.toFixed(0)} | ${m.samples} |`,
      );
    }
    out.push("");
  }
  out.push("## Notes", "");
  for (const n of r.notes) out.push(`- ${n}`);
  out.push("");
  return out.join("\n");
}
