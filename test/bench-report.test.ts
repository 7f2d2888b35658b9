/**
 * The bench's honesty machinery (issue 13), on synthetic figures: a GC pause is charged to the window and
 * the interval in which it started, whenever it was delivered; fusedb's ratio to lmdb pairs phases of the
 * same workload and load (throughput ÷ lmdb's, p99 ÷ lmdb's) and says "-" where lmdb did not run; the
 * summary reports restarts with the WAL replayed and its rate; the markdown shows the settle wait.
 */
import { describe, expect, it } from "vitest";
import { parseOptions } from "../bench/args.js";
import type { CellReport, PhaseReport, RecoverReport } from "../bench/cell.js";
import type { BenchResults, GroupResult } from "../bench/main.js";
import { GcLog } from "../bench/probes.js";
import { ratioCell, ratioTo, renderSummary } from "../bench/ratios.js";
import { renderMarkdown } from "../bench/report.js";
import type { LoadShape } from "../bench/runner.js";

function phase(shape: LoadShape, opsPerSec: number, p99Ms: number): PhaseReport {
  return {
    startMs: 0,
    durationMs: 1000,
    ops: opsPerSec,
    opsPerSec,
    latency: { count: opsPerSec, p50Ms: 1, p95Ms: 2, p99Ms, p999Ms: p99Ms, maxMs: p99Ms, meanMs: 1 },
    timeline: [{ tS: 1, opsPerSec, p99Ms, gcMs: 0 }],
    userWriteBytes: 0,
    writeOps: 0,
    generatorMs: 50,
    cpuMs: 900,
    shape,
    processWriteBytes: null,
    deviceWriteBytes: null,
    dirGrowthBytes: 0,
    dirBytesAfter: 0,
    writeAmplification: null,
    peakRssBytes: 2 ** 20,
    gcCount: 1,
    gcTotalMs: 3,
    gcMaxMs: 3,
    engineCounters: {},
  };
}

const C64: LoadShape = { loop: "closed", inflight: 64 };
const OPEN: LoadShape = { loop: "open", rateOpsPerSec: 1000 };

function group(
  engine: string,
  workload: string,
  phases: PhaseReport[],
  recovery?: RecoverReport,
): GroupResult {
  const report: CellReport = {
    type: "phases",
    settings: "s",
    rmw: "r",
    description: "d",
    records: 1,
    load: {
      loadMs: 500,
      settleMs: 1234,
      settled: engine !== "level",
      settleCounters: { splits: 3, bufferedBytes: -2 * 2 ** 20 },
      gcCount: 0,
      gcTotalMs: 0,
      gcMaxMs: 0,
    },
    loadedDirBytes: 0,
    phases,
    gcDropped: 0,
  };
  return { engine, workload, report, recovery, error: undefined };
}

function results(groups: GroupResult[]): BenchResults {
  return {
    mode: "quick",
    startedAt: "t0",
    wallSeconds: 1,
    command: "npm run bench",
    machine: { cpu: "cpu", cores: 2, kernel: "k", node: "v20", dir: "/tmp", fs: "ext4" },
    options: parseOptions([]),
    skipped: [],
    notes: [],
    groups,
    micro: [],
  };
}

describe("GC log", () => {
  it("charges each pause to the window and interval in which it started", () => {
    const gc = new GcLog(false);
    gc.record(99, 5); // before the window
    gc.record(100, 2);
    gc.record(350, 7);
    gc.record(399.9, 1);
    gc.record(400, 9); // at the window's end: the next window's
    expect(gc.window(100, 400)).toEqual({ gcCount: 3, gcTotalMs: 10, gcMaxMs: 7 });
    expect(gc.perInterval(100, 100, 3)).toEqual([2, 0, 8]);
    gc.stop();
  });
});

describe("ratio to lmdb", () => {
  const fusedb = group("fusedb", "counters", [phase(C64, 30_000, 2), phase(OPEN, 1000, 8)], {
    type: "recovered",
    openMs: 50,
    firstReadMs: 1,
    dirBytes: 0,
    engine: { replayedRecords: 10, replayedBytes: 20 * 2 ** 20, engineOpenMs: 49 },
  });
  const lmdb = group("lmdb", "counters", [phase(C64, 20_000, 4)], {
    type: "recovered",
    openMs: 4,
    firstReadMs: 1,
    dirBytes: 0,
    engine: undefined,
  });
  const groups = [fusedb, lmdb];

  it("pairs phases of the same workload and load: throughput ÷ lmdb's, p99 ÷ lmdb's", () => {
    const [closed, open] = fusedb.report?.phases ?? [];
    if (closed === undefined || open === undefined) throw new Error("two phases");
    expect(ratioTo(groups, "counters", closed)).toEqual({ ops: 1.5, p99: 0.5 });
    expect(ratioCell(groups, fusedb, closed)).toBe("1.50× / 0.50×");
    // lmdb ran no open-loop phase, and lmdb's own rows carry no ratio.
    expect(ratioCell(groups, fusedb, open)).toBe("-");
    expect(ratioCell(groups, lmdb, lmdb.report?.phases[0] ?? closed)).toBe("-");
    expect(ratioTo(groups, "ycsb-a", closed)).toBeUndefined();
  });

  it("summarizes the ratios and the restarts with the WAL replayed and its rate", () => {
    const text = renderSummary(results(groups)).join("\n");
    expect(text).toContain("| counters | closed 64 | 30000 | 20000 | **1.50×** | 2.00 | 4.00 | **0.50×** |");
    // 20 MiB replayed in a 50 ms open: 400 MiB/s; restart = open + first read.
    expect(text).toContain("| counters | 51.0 | 5.00 | 20.0 | 400 |");
    expect(renderSummary(results([fusedb]))).toEqual([]);
  });

  it("reports the settle wait, and an unsettled engine loudly", () => {
    const md = renderMarkdown(results([...groups, group("level", "counters", [phase(C64, 10_000, 9)])]));
    expect(md).toContain("| counters | fusedb | 0.5 | 1234 | yes |");
    expect(md).toContain("splits 3, bufferedBytes -2.0 MiB");
    expect(md).toContain("| counters | level | 0.5 | 1234 | **no** (bound reached) |");
  });
});
