/**
 * The demo's YCSB-style counters workload on a real database: Zipf(0.99) key choice over `keys` keys, a
 * fixed number of operations in flight, and a mix of incr 50%, get 30%, patch 10%, set 10%. Counters live
 * under `ctr:` keys (incr/get); patch and set touch separate `doc:` keys holding small JSON objects, so an
 * incr never meets a non-number. Per-operation latency is measured with process.hrtime.bigint.
 */

import { Prng, Zipf } from "../sim/disk/prng.js";
import type { FuseDB } from "../src/db.js";

/** Shape of one run. */
export interface WorkloadOptions {
  /** Operations in all. */
  ops: number;
  /** Key universe per key family. */
  keys: number;
  /** Operations in flight at once (the number of concurrent loops). */
  inflight: number;
  seed: string;
  /** Called after every completed operation with the count done so far. */
  onProgress?: (done: number) => void;
}

/** What one run did: per-operation latencies in ms (index = operation number), wall time, op counts. */
export interface WorkloadResult {
  latencyMs: Float64Array;
  wallMs: number;
  counts: { incr: number; get: number; patch: number; set: number };
}

/** Runs the workload against `db`; every write resolves durable before its latency is recorded. */
export async function runCountersWorkload(db: FuseDB, options: WorkloadOptions): Promise<WorkloadResult> {
  const root = new Prng(options.seed);
  const zipf = new Zipf(root.fork("zipf"), options.keys);
  const mix = root.fork("mix");
  const latencyMs = new Float64Array(options.ops);
  const counts = { incr: 0, get: 0, patch: 0, set: 0 };
  let issued = 0;
  let done = 0;

  const one = async (n: number): Promise<void> => {
    const rank = zipf.next();
    const draw = mix.next();
    const started = process.hrtime.bigint();
    if (draw < 0.5) {
      counts.incr++;
      await db.incr(`ctr:${rank}`);
    } else if (draw < 0.8) {
      counts.get++;
      await db.get(`ctr:${rank}`);
    } else if (draw < 0.9) {
      counts.patch++;
      await db.patch(`doc:${rank}`, { seen: n, hot: rank < 10 });
    } else {
      counts.set++;
      await db.set(`doc:${rank}`, { id: rank, op: n, tags: ["demo", "ycsb"] });
    }
    latencyMs[n] = Number(process.hrtime.bigint() - started) / 1e6;
  };

  // Each loop claims the next operation number until `ops` are issued: bounded by options.ops.
  const loop = async (): Promise<void> => {
    while (issued < options.ops) {
      const n = issued++;
      await one(n);
      done++;
      options.onProgress?.(done);
    }
  };

  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: options.inflight }, loop));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { latencyMs, wallMs, counts };
}
