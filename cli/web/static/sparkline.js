// A sparkline in plain SVG: one polyline and its filled area over the last points, scaled to the largest.
// No charting library: two series of at most 120 numbers do not need one.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 300;
const HEIGHT = 60;
/** Vertical room kept above the highest point, in viewBox units. */
const HEADROOM = 4;

/**
 * Draws `values` (numbers, or null for "no data", drawn as a gap) into `svg`, and describes them in its
 * accessible name with `label` and `unit`.
 */
export function drawSparkline(svg, values, label, unit) {
  const numbers = values.filter((v) => v !== null);
  const max = numbers.length === 0 ? 0 : Math.max(...numbers);
  const scale = max > 0 ? (HEIGHT - HEADROOM) / max : 0;
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  const runs = [];
  let run = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length > 0) runs.push(run);
      run = [];
      return;
    }
    run.push([i * step, HEIGHT - v * scale]);
  });
  if (run.length > 0) runs.push(run);
  const shapes = [];
  for (const points of runs) {
    const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    const first = points[0][0].toFixed(1);
    const last = points[points.length - 1][0].toFixed(1);
    const area = document.createElementNS(SVG, "polygon");
    area.setAttribute("points", `${first},${HEIGHT} ${line} ${last},${HEIGHT}`);
    area.setAttribute("class", "area");
    const poly = document.createElementNS(SVG, "polyline");
    poly.setAttribute("points", points.length === 1 ? `${line} ${line}` : line);
    poly.setAttribute("class", "line");
    shapes.push(area, poly);
  }
  svg.replaceChildren(...shapes);
  const latest = numbers.length === 0 ? "no data" : `latest ${format(numbers[numbers.length - 1])} ${unit}`;
  svg.setAttribute(
    "aria-label",
    `${label}, last ${values.length} seconds: ${latest}, highest ${format(max)} ${unit}`,
  );
}

/** A number as the page shows it: integers grouped, small ones with three significant digits. */
export function format(n) {
  if (n === null || n === undefined) return "–";
  if (Number.isInteger(n) || Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(3);
}
