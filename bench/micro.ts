/**
 * Micro-benchmarks of fusedb's hot paths with tinybench: WAL record encode and decode, the CRC-32 checksum,
 * a buffer merge (MemBuffer.set of an existing key), the segment index binary search (lowerBound; it stands
 * in for the leaf router, which does not exist yet), and db.get of a buffered key.
 */
import { Buffer } from "node:buffer";
import { Bench } from "tinybench";
import type { Entry } from "../src/doc/entry.js";
import { open } from "../src/index.js";
import { MemBuffer } from "../src/tree/mem-buffer.js";
import { lowerBound } from "../src/tree/segment-reader.js";
import { checksum } from "../src/util/bytes.js";
import { decodeRecord, encodeRecord, RecordType } from "../src/wal/format.js";

export interface MicroResult {
  name: string;
  opsPerSec: number;
  meanNs: number;
  p99Ns: number;
  samples: number;
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
  const db = await open(dir);
  await db.set("hot", { n: 1 });
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
    .add("router lookup stand-in (lowerBound, 4096 keys)", () => {
      sink += lowerBound(keys, probe);
    })
    .add("db.get (buffered key)", async () => {
      await db.get("hot");
    });
  await bench.run();
  await db.close();
  if (sink === -1) console.log(sink);
  return bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`micro ${task.name}: ${r.state}`);
    return {
      name: task.name,
      opsPerSec: r.throughput.mean,
      meanNs: r.latency.mean * 1e6,
      p99Ns: r.latency.p99 * 1e6,
      samples: r.latency.samplesCount,
    };
  });
}
