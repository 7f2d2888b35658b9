/**
 * `npm run bench:server`'s figures and report: redis-benchmark's `--csv` output parsed, the (test,
 * pipeline) cells of fusedb and Redis paired with their ratios, and the markdown table. Pure functions: no
 * processes, no clock, so test/bench-server.test.ts checks them on synthetic text.
 */

/** One redis-benchmark result line: throughput and latency percentiles of one test. */
export interface BenchmarkFigures {
  test: string;
  rps: number;
  avgMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One server's outcome for one (test, pipeline): figures, or why there are none. */
export type CellOutcome =
  | { kind: "ok"; figures: BenchmarkFigures }
  /** The server answered the test's command with an unknown-command error: it lacks the command. */
  | { kind: "n/a"; reason: string }
  | { kind: "error"; reason: string };

/** The servers compared, fusedb first (ratios are fusedb ÷ Redis). */
export const SERVERS = ["fusedb", "redis"] as const;
export type ServerName = (typeof SERVERS)[number];

/** Both servers' outcomes for one test at one pipeline depth. */
export interface PairedCell {
  test: string;
  pipeline: number;
  outcomes: Record<ServerName, CellOutcome>;
}

/** The columns of redis-benchmark 7.0's `--csv` header, in order. */
const CSV_COLUMNS = [
  "test",
  "rps",
  "avg_latency_ms",
  "min_latency_ms",
  "p50_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
  "max_latency_ms",
] as const;

/** Splits one CSV line of double-quoted fields (redis-benchmark quotes every field, never embeds quotes). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? "");
}

/**
 * Parses redis-benchmark 7.0's `--csv` output (a header line, then one line per test) into figures, one per
 * test line, in order. Lines before the header and lines that are not CSV (warnings, "Error from server")
 * are ignored.
 * @throws Error "redis-benchmark --csv: no header" when the header is missing (an older redis-benchmark
 *   prints only test and rps); "bad number" when a figure does not parse.
 */
export function parseBenchmarkCsv(text: string): BenchmarkFigures[] {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => csvFields(l).join(",") === CSV_COLUMNS.join(","));
  if (headerAt < 0) throw new Error(`redis-benchmark --csv: no header in ${JSON.stringify(text)}`);
  const out: BenchmarkFigures[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const f = csvFields(line);
    if (f.length !== CSV_COLUMNS.length) continue;
    const n = (i: number) => {
      const v = Number(f[i]);
      if (f[i] === "" || !Number.isFinite(v)) throw new Error(`redis-benchmark --csv: bad number in ${line}`);
      return v;
    };
    out.push({
      test: f[0] ?? "",
      rps: n(1),
      avgMs: n(2),
      minMs: n(3),
      p50Ms: n(4),
      p95Ms: n(5),
      p99Ms: n(6),
      maxMs: n(7),
    });
  }
  return out;
}

/** Whether a server's error reply says it does not know the command (Redis: "ERR unknown command ..."). */
export function isUnknownCommand(errorText: string): boolean {
  return /^(ERR )?unknown command/i.test(errorText.trim());
}

/** fusedb's figure ÷ Redis's, or undefined when either side has no figures (or Redis's is 0). */
export function ratio(cell: PairedCell, pick: (f: BenchmarkFigures) => number): number | undefined {
  const a = cell.outcomes.fusedb;
  const b = cell.outcomes.redis;
  if (a.kind !== "ok" || b.kind !== "ok") return undefined;
  const denominator = pick(b.figures);
  return denominator === 0 ? undefined : pick(a.figures) / denominator;
}

function figure(o: CellOutcome, pick: (f: BenchmarkFigures) => number, digits: number): string {
  if (o.kind === "ok") return pick(o.figures).toFixed(digits);
  return o.kind === "n/a" ? "n/a" : "error";
}

function ratioText(r: number | undefined): string {
  return r === undefined ? "-" : `${r.toFixed(2)}×`;
}

/** The table's rows: per (test, pipeline), rps and p50/p99 of both servers side by side with ratios. */
export function renderTable(cells: PairedCell[]): string[] {
  const rows = [
    "| test | pipeline | fusedb rps | redis rps | rps ratio | fusedb p50 ms | redis p50 ms | p50 ratio | fusedb p99 ms | redis p99 ms | p99 ratio |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const rps = (f: BenchmarkFigures) => f.rps;
  const p50 = (f: BenchmarkFigures) => f.p50Ms;
  const p99 = (f: BenchmarkFigures) => f.p99Ms;
  for (const c of cells) {
    const { fusedb, redis } = c.outcomes;
    rows.push(
      `| ${c.test} | ${c.pipeline} | ${figure(fusedb, rps, 0)} | ${figure(redis, rps, 0)} | ${ratioText(ratio(c, rps))} ` +
        `| ${figure(fusedb, p50, 3)} | ${figure(redis, p50, 3)} | ${ratioText(ratio(c, p50))} ` +
        `| ${figure(fusedb, p99, 3)} | ${figure(redis, p99, 3)} | ${ratioText(ratio(c, p99))} |`,
    );
  }
  return rows;
}

/** What the report says about the run besides the figures. */
export interface ServerBenchMeta {
  command: string;
  startedAt: string;
  clients: number;
  requests: number;
  keyspace: number;
  valueBytes: number;
  redisVersion: string;
  benchmarkVersion: string;
  machine: string;
  /** 1-minute load average at the start and at the end of the run. */
  loadAverage: [number, number];
  dir: string;
}

/** The whole markdown report: how it was run, the table, what n/a and the ratios mean, any errors. */
export function renderServerMarkdown(meta: ServerBenchMeta, cells: PairedCell[]): string {
  const errors = cells.flatMap((c) =>
    SERVERS.flatMap((s) => {
      const o = c.outcomes[s];
      return o.kind === "ok" ? [] : [`- ${s} ${c.test} -P ${c.pipeline}: ${o.kind}: ${o.reason}`];
    }),
  );
  const loaded = Math.max(...meta.loadAverage) >= 1.5;
  return [
    "# fusedb server vs redis-server (appendfsync always)",
    "",
    `Command: \`${meta.command}\` (started ${meta.startedAt})`,
    "",
    `redis-benchmark (${meta.benchmarkVersion}), ${meta.clients} clients, ${meta.requests} requests per test, ` +
      `random keys over ${meta.keyspace}, ${meta.valueBytes}-byte values; fusedb server with appendfsync always ` +
      `(each reply after its group's fdatasync) against ${meta.redisVersion} with ` +
      "`--appendonly yes --appendfsync always`, both with data directories under " +
      `${meta.dir}. Machine: ${meta.machine}; load average ${meta.loadAverage[0].toFixed(2)} at the start, ` +
      `${meta.loadAverage[1].toFixed(2)} at the end${loaded ? " (a loaded machine: the figures are noisy)" : ""}.`,
    "",
    ...renderTable(cells),
    "",
    "Ratios are fusedb ÷ Redis: above 1 is better for rps, below 1 is better for latency. n/a: the server",
    "answered the test's command with an unknown-command error (not implemented yet), so it was not run.",
    "",
    ...(errors.length > 0 ? ["Not measured:", "", ...errors, ""] : []),
  ].join("\n");
}
