/**
 * Runs campaigns over a range of seeds `<prefix>-<from>` .. `<prefix>-<to - 1>` and sums what they found:
 * in this thread ({@link runSeedRange}), or split into contiguous shards that run in parallel worker
 * threads ({@link runSeedRangeInWorkers}; each seed's campaign is independent and deterministic, so the
 * report is the same for any number of shards).
 */
import { Worker } from "node:worker_threads";
import { runCampaign } from "../../sim/campaign.js";

/** Options every campaign of a range runs with besides its seed (`tx`: transactions and indexes). */
export interface SeedRangeOptions {
  tx?: boolean;
}

/** What the campaigns of a seed range found. */
export interface SeedRangeReport {
  seeds: number;
  ops: number;
  crashes: number;
  /** One line per failing seed, with its replay command. */
  failures: string[];
  /** For each coverage mark, how many seeds hit it at least once. */
  seedsByMark: Record<string, number>;
}

/** Runs the campaigns of seeds `<prefix>-<from>` .. `<prefix>-<to - 1>`, one after another, in this thread. */
export async function runSeedRange(
  prefix: string,
  from: number,
  to: number,
  options: SeedRangeOptions = {},
): Promise<SeedRangeReport> {
  const report: SeedRangeReport = { seeds: 0, ops: 0, crashes: 0, failures: [], seedsByMark: {} };
  for (let i = from; i < to; i++) {
    const seed = `${prefix}-${i}`;
    const r = await runCampaign({ seed, ...options });
    report.seeds++;
    report.ops += r.ops;
    report.crashes += r.crashes;
    for (const name of Object.keys(r.marks)) report.seedsByMark[name] = (report.seedsByMark[name] ?? 0) + 1;
    if (r.verdict === "fail") {
      report.failures.push(
        `seed ${seed}: ${r.violations[0]} (replay: npx fusedb sim --seed ${seed}${options.tx ? " --tx" : ""})`,
      );
    }
  }
  return report;
}

/** Worker entry: installs the TypeScript loader, then runs {@link runSeedRange} on its shard. */
const WORKER = new URL("./seed-range-worker.mjs", import.meta.url);

/**
 * Runs the same campaigns as {@link runSeedRange}, split into `shards` contiguous shards, each in its own
 * worker thread (the engine's sources loaded by test/helpers/ts-loader.mjs), and merges their reports in
 * shard order.
 * @throws Error if a worker fails or exits without a report.
 */
export async function runSeedRangeInWorkers(
  prefix: string,
  from: number,
  to: number,
  shards: number,
  options: SeedRangeOptions = {},
): Promise<SeedRangeReport> {
  const size = Math.ceil((to - from) / shards);
  const parts: Promise<SeedRangeReport>[] = [];
  for (let start = from; start < to; start += size) {
    parts.push(inWorker(prefix, start, Math.min(to, start + size), options));
  }
  const merged: SeedRangeReport = { seeds: 0, ops: 0, crashes: 0, failures: [], seedsByMark: {} };
  for (const part of await Promise.all(parts)) {
    merged.seeds += part.seeds;
    merged.ops += part.ops;
    merged.crashes += part.crashes;
    merged.failures.push(...part.failures);
    for (const [name, n] of Object.entries(part.seedsByMark)) {
      merged.seedsByMark[name] = (merged.seedsByMark[name] ?? 0) + n;
    }
  }
  return merged;
}

function inWorker(
  prefix: string,
  from: number,
  to: number,
  options: SeedRangeOptions,
): Promise<SeedRangeReport> {
  return new Promise((resolve, reject) => {
    let report: SeedRangeReport | undefined;
    const worker = new Worker(WORKER, { workerData: { prefix, from, to, options } });
    worker.on("message", (r: SeedRangeReport) => {
      report = r;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (report !== undefined) resolve(report);
      else reject(new Error(`seeds ${prefix}-${from}..${to - 1}: worker exited with ${code}, no report`));
    });
  });
}
