/**
 * fusedb's ratio to lmdb, the comparison issue 13 is judged by: for each (workload, load) the throughput
 * ratio (fusedb ops/s ÷ lmdb ops/s, higher is better) and the p99 ratio (fusedb p99 ÷ lmdb p99, lower is
 * better), both from the same run. The summary section is the one the README quotes.
 */
import type { PhaseReport, RecoverReport } from "./cell.js";
import type { BenchResults, GroupResult } from "./main.js";

/** The engine every ratio is taken against. */
export const BASELINE = "lmdb";
/** The engine the summary compares with it (fusedb in its default durable mode). */
export const SUBJECT = "fusedb";

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const x = (v: number): string => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×`;

/** A phase's load, as the tables print it. */
export function loadLabel(p: PhaseReport): string {
  return p.shape.loop === "closed" ? `closed ${p.shape.inflight}` : `open ${p.shape.rateOpsPerSec}/s`;
}

/** The baseline's phase with the same workload and load as `p`, if the run has it. */
function baselinePhase(groups: GroupResult[], workload: string, p: PhaseReport): PhaseReport | undefined {
  const base = groups.find((g) => g.engine === BASELINE && g.workload === workload);
  return base?.report?.phases.find((q) => loadLabel(q) === loadLabel(p));
}

/** Throughput and p99 ratios of `p` to the baseline's matching phase, if there is one. */
export function ratioTo(
  groups: GroupResult[],
  workload: string,
  p: PhaseReport,
): { ops: number; p99: number } | undefined {
  const b = baselinePhase(groups, workload, p);
  if (b === undefined || b.opsPerSec === 0 || b.latency.p99Ms === 0) return undefined;
  return { ops: p.opsPerSec / b.opsPerSec, p99: p.latency.p99Ms / b.latency.p99Ms };
}

/** The table cell: "ops× / p99×", or "-". */
export function ratioCell(groups: GroupResult[], g: GroupResult, p: PhaseReport): string {
  if (g.engine === BASELINE) return "-";
  const r = ratioTo(groups, g.workload, p);
  return r === undefined ? "-" : `${x(r.ops)} / ${x(r.p99)}`;
}

/** WAL MiB an engine replayed at restart, and MiB/s over the whole open; "-" where the engine does not say. */
export function replayCells(rec: RecoverReport): { mib: string; rate: string } {
  const e = rec.engine;
  if (e === undefined) return { mib: "-", rate: "-" };
  const mib = e.replayedBytes / 2 ** 20;
  return { mib: ms(mib), rate: e.replayedBytes > 0 && rec.openMs > 0 ? ms(mib / (rec.openMs / 1000)) : "-" };
}

/** The README-facing summary: fusedb against lmdb per workload and load, then restarts. Empty without both. */
export function renderSummary(r: BenchResults): string[] {
  const out: string[] = [];
  const rows: string[] = [];
  for (const g of r.groups) {
    if (g.engine !== SUBJECT || !g.report) continue;
    for (const p of g.report.phases) {
      const b = baselinePhase(r.groups, g.workload, p);
      const ratio = ratioTo(r.groups, g.workload, p);
      if (b === undefined || ratio === undefined) continue;
      rows.push(
        `| ${g.workload} | ${loadLabel(p)} | ${Math.round(p.opsPerSec)} | ${Math.round(b.opsPerSec)} | **${x(ratio.ops)}** | ${ms(p.latency.p99Ms)} | ${ms(b.latency.p99Ms)} | **${x(ratio.p99)}** |`,
      );
    }
  }
  if (rows.length === 0) return out;
  out.push(
    `## ${SUBJECT} vs ${BASELINE}`,
    "",
    `Same run, same disk. Throughput ratio = ${SUBJECT} ops/s ÷ ${BASELINE} ops/s (≥ 1 is ${SUBJECT} ahead); p99 ratio = ${SUBJECT} p99 ÷ ${BASELINE} p99 (≤ 1 is ${SUBJECT} ahead).`,
    "",
    `| workload | load | ${SUBJECT} ops/s | ${BASELINE} ops/s | throughput ratio | ${SUBJECT} p99 ms | ${BASELINE} p99 ms | p99 ratio |`,
    "|---|---|--:|--:|--:|--:|--:|--:|",
    ...rows,
    "",
  );
  const restarts: string[] = [];
  for (const g of r.groups) {
    if (g.engine !== SUBJECT || !g.recovery) continue;
    const b = r.groups.find((h) => h.engine === BASELINE && h.workload === g.workload)?.recovery;
    const mine = g.recovery.openMs + g.recovery.firstReadMs;
    const theirs = b === undefined ? undefined : b.openMs + b.firstReadMs;
    const replay = replayCells(g.recovery);
    restarts.push(
      `| ${g.workload} | ${ms(mine)} | ${theirs === undefined ? "-" : ms(theirs)} | ${replay.mib} | ${replay.rate} |`,
    );
  }
  if (restarts.length > 0) {
    out.push(
      `Restart after SIGKILL (open at default knobs plus one read, in a fresh process), after each workload's phases:`,
      "",
      `| workload | ${SUBJECT} restart ms | ${BASELINE} restart ms | ${SUBJECT} WAL replayed MiB | ${SUBJECT} replay MiB/s (whole open) |`,
      "|---|--:|--:|--:|--:|",
      ...restarts,
      "",
    );
  }
  return out;
}
