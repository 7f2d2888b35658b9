/**
 * Micro-benchmarks of fusedb's hot paths with tinybench: WAL record encode and decode, the CRC-32 checksum,
 * a buffer merge (MemBuffer.set of an existing key), the segment index binary search (lowerBound), the
 * leaf router's lookup (Router.leafFor over 4096 leaves), and the in-process `get` of a hot key, the issue's
 * target being at least 1M gets/s: once with one awaited get per tinybench iteration (tinybench's own
 * per-iteration cost included), once with GETS_PER_ITERATION gets awaited one after another per iteration
 * (the figure an application's loop sees), for a key in the buffer and for one in a segment after a
 * checkpoint (its block cached).
 */
import { Buffer } from "node:buffer";
import { Bench } from "tinybench";
import type { Entry } from "../src/doc/entry.js";
import { open } from "../src/index.js";
import { Leaf } from "../src/tree/leaf.js";
import { MemBuffer } from "../src/tree/mem-buffer.js";
import { Router } from "../src/tree/router.js";
import { lowerBound } from "../src/tree/segment-reader.js";
import { checksum } from "../src/util/bytes.js";
import { decodeRecord, encodeRecord, RecordType } from "../src/wal/format.js";

/** Gets awaited one after another in one iteration of the batched hot-key benchmarks. */
const GETS_PER_ITERATION = 1000;
const BATCHED_BUFFERED = `db.get hot key, buffered (${GETS_PER_ITERATION} awaited per iteration)`;
const BATCHED_SEGMENT = `db.get hot key after a checkpoint, block cached (${GETS_PER_ITERATION} awaited per iteration)`;

export interface MicroResult {
  name: string;
  /** Operations per second: tinybench's iterations per second (its mean) times the operations in one iteration. */
  opsPerSec: number;
  /** Operations per second at the median iteration time: less sensitive to the pauses of a shared machine. */
  opsPerSecAtMedian: number;
  meanNs: number;
  p99Ns: number;
  samples: number;
  /** Operations in one tinybench iteration (mean and p99 are per iteration). */
  opsPerIteration: number;
}

/** Runs every micro-benchmark for about `timeMs` each; `dir` holds the database for the get benchmark. */
export async function runMicro(dir: string, timeMs: number): Promise<MicroResult[]> {
  const payload = Buffer.alloc(100, 7);
  const encoded = encodeRecord(RecordType.Batch, 42, 40, payload);
  const kib = Buffer.alloc(1024, 9);
  const buffer = new MemBuffer();
  const text = Buffer.from(JSON.stringify({ n: 1 }));
  const entry = (version: number): Entry => ({ version, value: { n: 1 }, text, lsn: version });
  for (let i = 0; i < 10_000; i++) buffer.set(`key:${i}`, entry(1));
  const keys = Array.from({ length: 4096 }, (_, i) => `key:${String(i).padStart(8, "0")}`);
  const probe = "key:00002048";
  const leaves = keys.map((k, i) => new Leaf(i === 0 ? "" : k, [], 0));
  const router = new Router(leaves, { entriesPerYield: 1000, yieldNow: () => Promise.resolve() });
  const db = await open(dir);
  await db.set("cold-hot", { n: 1 });
  await db.checkpoint(); // "cold-hot" now lives in a segment; the first get caches its block
  await db.get("cold-hot");
  await db.set("hot", { n: 1 });
  const getMany = async (key: string): Promise<void> => {
    for (let i = 0; i < GETS_PER_ITERATION; i++) await db.get(key);
  };
  let version = 1;
  let sink = 0;

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 4) });
  bench
    .add("encodeRecord (100 B payload)", () => {
      sink += encodeRecord(RecordType.Batch, 42, 40, payload).length;
    })
    .add("decodeRecord (100 B payload)", () => {
      const r = decodeRecord(encoded, 0);
      if (r.kind !== "record") throw new Error("decode failed");
    })
    .add("checksum (CRC-32, 1 KiB)", () => {
      sink += checksum(kib);
    })
    .add("buffer merge (MemBuffer.set, existing key, 10k keys)", () => {
      buffer.set("key:5000", entry(++version));
    })
    .add("segment index search (lowerBound, 4096 keys)", () => {
      sink += lowerBound(keys, probe);
    })
    .add("router lookup (Router.leafFor, 4096 leaves)", () => {
      sink += router.leafFor(probe).low.length;
    })
    .add("db.get hot key, buffered (one await per iteration)", async () => {
      await db.get("hot");
    })
    .add(BATCHED_BUFFERED, () => getMany("hot"))
    .add(BATCHED_SEGMENT, () => getMany("cold-hot"));
  await bench.run();
  await db.close();
  if (sink === -1) console.log(sink);
  return bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`micro ${task.name}: ${r.state}`);
    const opsPerIteration =
      task.name === BATCHED_BUFFERED || task.name === BATCHED_SEGMENT ? GETS_PER_ITERATION : 1;
    return {
      name: task.name,
      opsPerSec: r.throughput.mean * opsPerIteration,
      opsPerIteration,
      opsPerSecAtMedian: r.latency.p50 > 0 ? (opsPerIteration * 1000) / r.latency.p50 : 0,
      meanNs: r.latency.mean * 1e6,
      p99Ns: r.latency.p99 * 1e6,
      samples: r.latency.samplesCount,
    };
  });
}
