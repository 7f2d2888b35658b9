/**
 * The timeline chart: throughput and p99 per interval over each phase, one line per engine, one row per
 * workload (the phase at the highest closed-loop concurrency, or the only phase in sustained mode).
 * Vega-Lite compiled to Vega, rendered to SVG in pure JavaScript (no canvas, no browser).
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { BenchResults } from "./main.js";

interface Row {
  workload: string;
  engine: string;
  tS: number;
  opsPerSec: number;
  p99Ms: number;
}

export async function renderChart(r: BenchResults): Promise<string> {
  const rows: Row[] = [];
  for (const g of r.groups) {
    const closed = g.report?.phases.filter((p) => p.shape.loop === "closed") ?? [];
    const phase = closed.reduce<(typeof closed)[number] | undefined>(
      (best, p) =>
        p.shape.loop === "closed" &&
        (best === undefined || (best.shape.loop === "closed" && p.shape.inflight > best.shape.inflight))
          ? p
          : best,
      undefined,
    );
    if (!phase) continue;
    const label =
      phase.shape.loop === "closed" ? `${g.workload} (${phase.shape.inflight} in flight)` : g.workload;
    for (const t of phase.timeline)
      rows.push({ workload: label, engine: g.engine, tS: t.tS, opsPerSec: t.opsPerSec, p99Ms: t.p99Ms });
  }
  const x = { field: "tS", type: "quantitative", title: "seconds into phase" } as const;
  const color = { field: "engine", type: "nominal", title: "engine" } as const;
  const row = { field: "workload", type: "nominal", title: null } as const;
  const panel = (y: { field: string; title: string; log: boolean }) =>
    ({
      facet: { row },
      spec: {
        width: 360,
        height: 110,
        mark: { type: "line", point: { size: 12 } },
        encoding: {
          x,
          y: {
            field: y.field,
            type: "quantitative",
            title: y.title,
            scale: { type: y.log ? "log" : "linear" },
          },
          color,
        },
      },
      resolve: { scale: { y: "independent" } },
    }) as const;
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `fusedb bench (${r.mode}): throughput and p99 per ${r.options.intervalMs} ms interval, every engine durable`,
    data: { values: rows },
    hconcat: [
      panel({ field: "opsPerSec", title: "ops/s", log: false }),
      panel({ field: "p99Ms", title: "p99 ms (log scale)", log: true }),
    ],
  };
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
