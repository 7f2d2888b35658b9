/** Command-line options of `npm run bench`, with the quick and full presets. */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveOptions } from "../src/options.js";
import { ENGINE_NAMES, type EngineName } from "./engines/engine.js";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads.js";

export interface BenchOptions {
  mode: "quick" | "full" | "sustained";
  /** Parent of the data directories (a fresh subdirectory per run). */
  dir: string;
  engines: EngineName[];
  workloads: WorkloadName[];
  concurrency: number[];
  records: number;
  valueBytes: number;
  sessionBytes: number;
  windowMs: number;
  /** Seconds per closed-loop or open-loop phase. */
  phaseSeconds: number;
  /** Open-loop target rate (ops/s) and the workloads that get an open-loop phase. */
  rate: number;
  openLoopWorkloads: WorkloadName[];
  intervalMs: number;
  /** Longest wait, in seconds, for an engine's post-load background work before the phases run. */
  settleSeconds: number;
  micro: boolean;
  seed: string;
  out: string;
  keepData: boolean;
}

const USAGE = `npm run bench -- [--full | --duration SECONDS] [options]
  --dir PATH            disk to test (data goes in a fresh subdirectory; default: the OS temp dir)
  --engines a,b         of ${ENGINE_NAMES.join(",")}
  --workloads a,b       of ${WORKLOAD_NAMES.join(",")}
  --concurrency 1,64    closed-loop operations in flight
  --records N           records per workload (quick 20000, full 100000)
  --value-bytes N       YCSB record size (default 1000: 10 fields of 100 B)
  --session-bytes N     session document size (default 1024)
  --seconds S           seconds per phase (quick 1, full 10)
  --rate N              open-loop target ops/s (default 1000)
  --interval-ms N       timeline interval (quick 250, full 1000)
  --settle-seconds S    longest wait for an engine's post-load background work (default 60)
  --duration S          sustained mode: update-heavy YCSB A for S seconds per engine, data set five
                        times fusedb's default buffer budget (bufferBytesMax)
  --no-micro            skip the tinybench micro-benchmarks
  --keep-data           keep the data directories
  --out DIR             where <mode>.json/.md/.svg go (default bench/results)
  --seed S              workload seed (default "bench")`;

function list<T extends string>(value: string | undefined, all: readonly T[], fallback: readonly T[]): T[] {
  if (value === undefined) return [...fallback];
  const out = value.split(",").map((s) => s.trim());
  for (const v of out)
    if (!all.includes(v as T)) throw new Error(`unknown "${v}"; expected ${all.join(", ")}`);
  return out as T[];
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      full: { type: "boolean" },
      dir: { type: "string" },
      engines: { type: "string" },
      workloads: { type: "string" },
      concurrency: { type: "string" },
      records: { type: "string" },
      "value-bytes": { type: "string" },
      "session-bytes": { type: "string" },
      seconds: { type: "string" },
      rate: { type: "string" },
      "interval-ms": { type: "string" },
      "settle-seconds": { type: "string" },
      duration: { type: "string" },
      "no-micro": { type: "boolean" },
      "keep-data": { type: "boolean" },
      out: { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const mode = values.duration !== undefined ? "sustained" : values.full ? "full" : "quick";
  const full = mode !== "quick";
  const valueBytes = int(values["value-bytes"], 1000, "value-bytes");
  // Sustained: a data set five times fusedb's default buffer budget (the engine's own, not the harness's).
  const sustainedRecords = Math.ceil((5 * resolveOptions({}, "strict").bufferBytesMax) / valueBytes);
  return {
    mode,
    dir: values.dir ?? tmpdir(),
    engines: list(values.engines, ENGINE_NAMES, ENGINE_NAMES),
    workloads: list(values.workloads, WORKLOAD_NAMES, mode === "sustained" ? ["ycsb-a"] : WORKLOAD_NAMES),
    concurrency: (values.concurrency ?? (mode === "sustained" ? "64" : full ? "1,64,100" : "1,64"))
      .split(",")
      .map((s) => int(s, 1, "concurrency")),
    records: int(
      values.records,
      mode === "sustained" ? sustainedRecords : full ? 100_000 : 20_000,
      "records",
    ),
    valueBytes,
    sessionBytes: int(values["session-bytes"], 1024, "session-bytes"),
    windowMs: full ? 1000 : 250,
    phaseSeconds:
      mode === "sustained"
        ? int(values.duration, 600, "duration")
        : int(values.seconds, full ? 10 : 1, "seconds"),
    rate: int(values.rate, 1000, "rate"),
    openLoopWorkloads: mode === "sustained" ? [] : full ? ["ycsb-a", "counters"] : ["counters"],
    intervalMs: int(values["interval-ms"], full ? 1000 : 250, "interval-ms"),
    settleSeconds: int(values["settle-seconds"], 60, "settle-seconds"),
    micro: !values["no-micro"] && mode !== "sustained",
    seed: values.seed ?? "bench",
    out: values.out ?? join(import.meta.dirname, "results"),
    keepData: values["keep-data"] === true,
  };
}
