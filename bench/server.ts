/**
 * `npm run bench:server`: redis-benchmark against `fusedb server` and against `redis-server --appendonly yes
 * --appendfsync always`, in one run, with both data directories under one parent (one disk): each test at
 * each pipeline depth, fusedb then Redis back to back. Tests a server does not know are n/a. Writes
 * <out>/<name>.json, .md (rps and p50/p99 side by side with fusedb ÷ Redis ratios) and .svg.
 * The script builds dist first (`npm run build`), since it starts the built CLI (bin/fusedb.js).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { join } from "node:path";
import { parseServerBenchOptions } from "./server-args.js";
import { renderServerChart } from "./server-chart.js";
import { measureMatrix, probeCommand } from "./server-matrix.js";
import {
  probeServer,
  type RunningServer,
  runBenchmark,
  startFusedb,
  startRedis,
  stopServer,
  versionOf,
} from "./server-procs.js";
import { renderServerMarkdown, type ServerBenchMeta, type ServerName } from "./server-report.js";

async function main(): Promise<void> {
  const o = parseServerBenchOptions(process.argv.slice(2));
  for (const tool of ["redis-server", "redis-benchmark"])
    if (versionOf(tool) === "unknown")
      throw new Error(`${tool} not found: apt-get install redis-server redis-tools`);
  const command = `npm run bench:server -- ${process.argv.slice(2).join(" ")}`.trim();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const root = mkdtempSync(join(o.dir, "fusedb-bench-server-"));
  const servers: Partial<Record<ServerName, RunningServer>> = {};
  try {
    mkdirSync(join(root, "fusedb"));
    mkdirSync(join(root, "redis"));
    servers.fusedb = await startFusedb(join(root, "fusedb"));
    servers.redis = await startRedis(join(root, "redis"));
    const port = (s: ServerName) => {
      const server = servers[s];
      if (server === undefined) throw new Error(`${s} is not running`);
      return server.port;
    };
    const cells = await measureMatrix(o.tests, o.pipelines, {
      probe: async (s, test) => {
        const probe = probeCommand(test);
        return probe === undefined ? undefined : probeServer(port(s), probe);
      },
      run: (s, test, pipeline) => runBenchmark(port(s), test, pipeline, o),
      progress: (s, test, pipeline) => console.error(`${s}: ${test} -P ${pipeline}`),
    });
    const meta: ServerBenchMeta = {
      command,
      startedAt,
      clients: o.clients,
      requests: o.requests,
      keyspace: o.keyspace,
      valueBytes: o.valueBytes,
      redisVersion: versionOf("redis-server"),
      benchmarkVersion: versionOf("redis-benchmark"),
      machine: `${cpus()[0]?.model ?? "unknown cpu"} × ${cpus().length}, Linux ${release()}, Node ${process.version}`,
      loadAverage: [loadAtStart, loadavg()[0] ?? 0],
      dir: o.dir,
    };
    const md = renderServerMarkdown(meta, cells);
    const svg = await renderServerChart(cells, "fusedb server vs redis-server (appendfsync always)");
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, `${o.name}.json`), `${JSON.stringify({ meta, options: o, cells }, null, 2)}\n`);
    writeFileSync(join(o.out, `${o.name}.md`), md);
    writeFileSync(join(o.out, `${o.name}.svg`), svg);
    console.log(md);
  } finally {
    for (const s of Object.values(servers)) await stopServer(s);
    if (!o.keepData) rmSync(root, { recursive: true, force: true });
  }
}

await main();
