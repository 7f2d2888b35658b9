/**
 * `npm run bench:server`'s chart: rps and p99 per test, fusedb's bar beside Redis's, one row per pipeline
 * depth. Vega-Lite compiled to Vega and rendered to SVG in pure JavaScript, as bench/chart.ts does. Cells
 * without figures (n/a, errors) have no bar.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { type PairedCell, SERVERS } from "./server-report.js";

interface Bar {
  test: string;
  pipeline: string;
  server: string;
  rps: number;
  p99Ms: number;
}

/** The bars of `cells`: one per (test, pipeline, server) that has figures. */
export function chartBars(cells: PairedCell[]): Bar[] {
  const bars: Bar[] = [];
  for (const c of cells)
    for (const server of SERVERS) {
      const o = c.outcomes[server];
      if (o.kind === "ok")
        bars.push({
          test: c.test,
          pipeline: `-P ${c.pipeline}`,
          server,
          rps: o.figures.rps,
          p99Ms: o.figures.p99Ms,
        });
    }
  return bars;
}

/** Renders the chart as an SVG document; `title` heads it. */
export async function renderServerChart(cells: PairedCell[], title: string): Promise<string> {
  const tests = [...new Set(cells.map((c) => c.test))];
  const panel = (field: "rps" | "p99Ms", axisTitle: string) =>
    ({
      facet: { row: { field: "pipeline", type: "nominal", title: null } },
      spec: {
        width: 300,
        height: 120,
        mark: { type: "bar" },
        encoding: {
          x: { field: "test", type: "nominal", title: null, sort: tests },
          xOffset: { field: "server", type: "nominal", sort: [...SERVERS] },
          y: { field, type: "quantitative", title: axisTitle },
          color: { field: "server", type: "nominal", title: "server", sort: [...SERVERS] },
        },
      },
      resolve: { scale: { y: "independent" } },
    }) as const;
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: chartBars(cells) },
    hconcat: [panel("rps", "requests/s"), panel("p99Ms", "p99 ms")],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
