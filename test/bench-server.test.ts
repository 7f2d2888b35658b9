/**
 * `npm run bench:server`'s parsing and report, on synthetic text (no servers, no timing). Invariants checked:
 * - redis-benchmark 7.0's `--csv` output parses into every figure of every test line; noise before the
 *   header and non-CSV lines are ignored; output without the 7.0 header (an older redis-benchmark) throws;
 * - a run's outcome: figures for the test's own line (by name, "LRANGE_100 (first 100 elements)" too),
 *   n/a for an unknown-command error from the server, an error for any other server error or exit code;
 * - the matrix probes each (server, test) once, runs fusedb then Redis per (pipeline, test), and never runs
 *   a test a server lacks (n/a), which shows as n/a in the table with "-" ratios;
 * - ratios are fusedb ÷ Redis for rps, p50 and p99; the markdown flags a loaded machine; the chart has a
 *   bar per measured (test, pipeline, server) and renders to SVG; the options parse and reject bad values.
 */
import { describe, expect, it } from "vitest";
import { parseServerBenchOptions } from "../bench/server-args.js";
import { chartBars, renderServerChart } from "../bench/server-chart.js";
import { measureMatrix, probeCommand } from "../bench/server-matrix.js";
import { benchmarkOutcome } from "../bench/server-procs.js";
import {
  type BenchmarkFigures,
  type CellOutcome,
  isUnknownCommand,
  type PairedCell,
  parseBenchmarkCsv,
  ratio,
  renderServerMarkdown,
  type ServerBenchMeta,
} from "../bench/server-report.js";

const HEADER =
  '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"';

function figures(test: string, rps: number, p50Ms: number, p99Ms: number): BenchmarkFigures {
  return { test, rps, avgMs: p50Ms, minMs: 0.1, p50Ms, p95Ms: p99Ms, p99Ms, maxMs: p99Ms * 2 };
}

const ok = (f: BenchmarkFigures): CellOutcome => ({ kind: "ok", figures: f });

describe("redis-benchmark --csv", () => {
  it("parses every figure of every line after the header", () => {
    const text = [
      "WARNING: Could not fetch server CONFIG",
      HEADER,
      '"SET","32258.06","16.971","2.080","18.751","32.831","33.055","33.087"',
      '"LRANGE_100 (first 100 elements)","1000.00","1.000","0.500","0.900","1.500","2.000","3.000"',
      "",
    ].join("\n");
    expect(parseBenchmarkCsv(text)).toEqual([
      {
        test: "SET",
        rps: 32258.06,
        avgMs: 16.971,
        minMs: 2.08,
        p50Ms: 18.751,
        p95Ms: 32.831,
        p99Ms: 33.055,
        maxMs: 33.087,
      },
      {
        test: "LRANGE_100 (first 100 elements)",
        rps: 1000,
        avgMs: 1,
        minMs: 0.5,
        p50Ms: 0.9,
        p95Ms: 1.5,
        p99Ms: 2,
        maxMs: 3,
      },
    ]);
  });

  it("throws without the 7.0 header, and on a figure that is not a number", () => {
    expect(() => parseBenchmarkCsv('"SET","1000.00"\n')).toThrow(/no header/);
    expect(() => parseBenchmarkCsv(`${HEADER}\n"SET","x","1","1","1","1","1","1"\n`)).toThrow(/bad number/);
  });

  it("a run's outcome: its own line, n/a for an unknown command, an error otherwise", () => {
    const csv = `${HEADER}\n"LPUSH (needed to benchmark LRANGE)","9","1","1","1","1","1","1"\n"LRANGE_100 (first 100 elements)","7","1","1","1","1","1","1"\n`;
    expect(benchmarkOutcome("lrange_100", csv, 0)).toMatchObject({ kind: "ok", figures: { rps: 7 } });
    expect(benchmarkOutcome("set", csv, 0)).toMatchObject({ kind: "error" });
    const unknown = "Error from server: ERR unknown command 'LPUSH', with args beginning with: 'mylist' \n";
    expect(benchmarkOutcome("lpush", unknown, 1)).toMatchObject({ kind: "n/a" });
    expect(benchmarkOutcome("set", "Error from server: OOM command not allowed\n", 1)).toMatchObject({
      kind: "error",
      reason: "OOM command not allowed",
    });
    expect(benchmarkOutcome("set", "Could not connect to Redis", 1)).toMatchObject({ kind: "error" });
    expect(isUnknownCommand("ERR unknown command 'ZADD', with args beginning with: ")).toBe(true);
    expect(isUnknownCommand("ERR unknown subcommand 'X'")).toBe(false);
  });
});

describe("the matrix", () => {
  it("probes once per (server, test), runs fusedb then Redis, and never runs what a server lacks", async () => {
    const calls: string[] = [];
    const cells = await measureMatrix(["set", "zadd"], [1, 16], {
      probe: async (server, test) => {
        calls.push(`probe ${server} ${test}`);
        return server === "fusedb" && test === "zadd"
          ? { kind: "n/a", reason: "ERR unknown command 'ZADD'" }
          : undefined;
      },
      run: async (server, test, pipeline) => {
        calls.push(`run ${server} ${test} ${pipeline}`);
        return ok(figures(test.toUpperCase(), server === "fusedb" ? 50 * pipeline : 100 * pipeline, 1, 2));
      },
    });
    expect(calls).toEqual([
      "probe fusedb set",
      "run fusedb set 1",
      "probe redis set",
      "run redis set 1",
      "probe fusedb zadd",
      "probe redis zadd",
      "run redis zadd 1",
      "run fusedb set 16",
      "run redis set 16",
      "run redis zadd 16",
    ]);
    expect(cells.map((c) => `${c.test} ${c.pipeline} ${c.outcomes.fusedb.kind}`)).toEqual([
      "set 1 ok",
      "zadd 1 n/a",
      "set 16 ok",
      "zadd 16 n/a",
    ]);
    expect(probeCommand("hset")).toEqual(["HSET", "fusedb-bench:probe:hash", "f", "x"]);
    expect(probeCommand("no-such-test")).toBeUndefined();
  });
});

const META: ServerBenchMeta = {
  command: "npm run bench:server",
  startedAt: "2026-12-02T09:00:00.000Z",
  clients: 50,
  requests: 100_000,
  keyspace: 100_000,
  valueBytes: 3,
  redisVersion: "Redis server v=7.0.15",
  benchmarkVersion: "redis-benchmark 7.0.15",
  machine: "test cpu × 2",
  loadAverage: [0.2, 0.4],
  dir: "/tmp",
};

const CELLS: PairedCell[] = [
  {
    test: "set",
    pipeline: 1,
    outcomes: { fusedb: ok(figures("SET", 30_000, 1, 4)), redis: ok(figures("SET", 20_000, 2, 8)) },
  },
  {
    test: "lpush",
    pipeline: 1,
    outcomes: {
      fusedb: { kind: "n/a", reason: "ERR unknown command 'LPUSH'" },
      redis: ok(figures("LPUSH", 9, 1, 1)),
    },
  },
];

describe("the report", () => {
  it("puts both servers side by side with fusedb ÷ Redis ratios, and n/a with '-' ratios", () => {
    const first = CELLS[0];
    if (first === undefined) throw new Error("cells");
    expect(ratio(first, (f) => f.rps)).toBe(1.5);
    expect(ratio(first, (f) => f.p99Ms)).toBe(0.5);
    const md = renderServerMarkdown(META, CELLS);
    expect(md).toContain(
      "| set | 1 | 30000 | 20000 | 1.50× | 1.000 | 2.000 | 0.50× | 4.000 | 8.000 | 0.50× |",
    );
    expect(md).toContain("| lpush | 1 | n/a | 9 | - | n/a | 1.000 | - | n/a | 1.000 | - |");
    expect(md).toContain("- fusedb lpush -P 1: n/a: ERR unknown command 'LPUSH'");
    expect(md).not.toContain("loaded machine");
    expect(renderServerMarkdown({ ...META, loadAverage: [3, 0.5] }, CELLS)).toContain("loaded machine");
  });

  it("charts a bar per measured (test, pipeline, server) and renders SVG", async () => {
    expect(chartBars(CELLS).map((b) => `${b.test} ${b.pipeline} ${b.server}`)).toEqual([
      "set -P 1 fusedb",
      "set -P 1 redis",
      "lpush -P 1 redis",
    ]);
    const svg = await renderServerChart(CELLS, "test chart");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("test chart");
  });

  it("options: defaults, lists, and a rejected value", () => {
    const o = parseServerBenchOptions([]);
    expect(o.tests).toEqual(["set", "get", "incr", "lpush", "hset", "zadd"]);
    expect(o.pipelines).toEqual([1, 16]);
    expect(o.clients).toBe(50);
    const p = parseServerBenchOptions([
      "--tests",
      "SET, get",
      "--pipelines",
      "1,4",
      "--out",
      "/tmp/x",
      "--requests",
      "20000",
    ]);
    expect(p).toMatchObject({ tests: ["set", "get"], pipelines: [1, 4], out: "/tmp/x", requests: 20_000 });
    expect(() => parseServerBenchOptions(["--clients", "0"])).toThrow(/positive integer/);
  });
});
