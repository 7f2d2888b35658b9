/** Command-line options of `npm run bench:server` (bench/server.ts). */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import type { BenchmarkLoad } from "./server-procs.js";

/** The command-line options. */
export interface ServerBenchOptions extends BenchmarkLoad {
  tests: string[];
  pipelines: number[];
  dir: string;
  out: string;
  name: string;
  keepData: boolean;
}

function positive(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${v}`);
    return n;
  };
}

function positives(name: string): (v: string) => number[] {
  return (v) => v.split(",").map((s) => positive(name)(s.trim()));
}

/** Parses `argv` (without node and the script). @throws Error on a value that is not a positive integer. */
export function parseServerBenchOptions(argv: string[]): ServerBenchOptions {
  const program = new Command()
    .name("bench:server")
    .description("redis-benchmark against fusedb server and redis-server (appendfsync always)")
    .option("--tests <list>", "redis-benchmark -t tests", "set,get,incr,lpush,hset,zadd")
    .option("--pipelines <list>", "requests per round trip (-P)", positives("pipelines"), [1, 16])
    .option("--clients <n>", "parallel connections (-c)", positive("clients"), 50)
    .option("--requests <n>", "requests per test (-n)", positive("requests"), 100_000)
    .option("--keyspace <n>", "random keys (-r)", positive("keyspace"), 100_000)
    .option("--value-bytes <n>", "SET/GET value size (-d)", positive("value-bytes"), 3)
    .option("--dir <path>", "parent of both data directories (the disk under test)", tmpdir())
    .option("--out <dir>", "where <name>.json/.md/.svg go", join(import.meta.dirname, "results"))
    .option("--name <name>", "file name of the results", "server")
    .option("--keep-data", "keep the data directories", false)
    .parse(argv, { from: "user" });
  const o = program.opts<Omit<ServerBenchOptions, "tests"> & { tests: string }>();
  const tests = o.tests
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
  return { ...o, tests };
}
