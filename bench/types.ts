/**
 * Data-type costs as collections grow (issue 14): HSET of a new field, LPUSH + RPOP, SADD, ZADD and
 * ZRANGEBYSCORE of a 10-member window on one collection of 10, 1k, 100k and 1M elements — µs per operation
 * and bytes written per operation (WAL + segments + manifest) — then DEL of the largest collection against
 * one small write, and a sliding-window rate limiter (ZREMRANGEBYSCORE + ZCARD + ZADD in one atomic call
 * per request) at 64 requests in flight beside the counters workload (INCR) in the same run, on the real
 * disk with fsync durability. A flat row means the cost does not depend on the collection's size.
 *
 * Usage: `npm run bench:types -- [--sizes 10,1000,100000,1000000] [--ops 2000] [--seconds 5] [--out DIR]`.
 * Writes `<out>/types.md` and `types.json` (default bench/results). Run it on an idle machine: it measures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FuseDB } from "../src/db.js";
import { open } from "../src/index.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,1000,100000,1000000" },
    ops: { type: "string", default: "2000" },
    seconds: { type: "string", default: "5" },
    out: { type: "string", default: "bench/results" },
  },
});
const SIZES = String(values.sizes).split(",").map(Number);
const OPS = Number(values.ops);
const SECONDS = Number(values.seconds);
const LOAD_BATCH = 5000;

/** Bytes the engine has written to disk so far. */
function written(db: FuseDB): number {
  const s = db.stats();
  return s.wal.bytesWritten + s.tree.segmentBytesWritten + s.tree.manifestBytes;
}

interface Kind {
  name: string;
  /** Fills the collection at `key` to `n` elements. */
  load(db: FuseDB, key: string, n: number): Promise<void>;
  /** Operation `i` on the collection. */
  op(db: FuseDB, key: string, i: number): Promise<unknown>;
}

async function inBatches(n: number, fn: (from: number, to: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += LOAD_BATCH) await fn(i, Math.min(n, i + LOAD_BATCH));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, j) => from + j);

const KINDS: Kind[] = [
  {
    name: "HSET (new field)",
    load: (db, key, n) =>
      inBatches(n, (a, b) =>
        db.hashes.hset(
          key,
          range(a, b).map((i) => [`f${i}`, `v${i}`] as const),
        ),
      ),
    op: (db, key, i) => db.hashes.hset(key, [[`new${i}`, "v"]]),
  },
  {
    name: "LPUSH + RPOP",
    load: (db, key, n) =>
      inBatches(n, (a, b) =>
        db.lists.rpush(
          key,
          range(a, b).map((i) => `e${i}`),
        ),
      ),
    op: async (db, key, i) => {
      await db.lists.lpush(key, `x${i}`);
      return db.lists.rpop(key);
    },
  },
  {
    name: "SADD (new member)",
    load: (db, key, n) =>
      inBatches(n, (a, b) =>
        db.sets.sadd(
          key,
          range(a, b).map((i) => `m${i}`),
        ),
      ),
    op: (db, key, i) => db.sets.sadd(key, [`new${i}`]),
  },
  {
    name: "ZADD (new member)",
    load: (db, key, n) =>
      inBatches(n, (a, b) =>
        db.zsets.zadd(
          key,
          range(a, b).map((i) => [i, `m${i}`] as const),
        ),
      ),
    op: (db, key, i) => db.zsets.zadd(key, [[i + 0.5, `new${i}`]]),
  },
  {
    name: "ZRANGEBYSCORE (10 members)",
    load: (db, key, n) =>
      inBatches(n, (a, b) =>
        db.zsets.zadd(
          key,
          range(a, b).map((i) => [i, `m${i}`] as const),
        ),
      ),
    op: (db, key, i) => {
      // A window somewhere in the set (sizes below 10 read what there is).
      return db.zsets.zrangebyscore(key, i % 10, (i % 10) + 9);
    },
  },
];

interface Row {
  kind: string;
  size: number;
  usPerOp: number;
  bytesPerOp: number;
}

async function measureKind(db: FuseDB, kind: Kind, size: number, tag: string): Promise<Row> {
  const key = `${tag}:${size}`;
  await kind.load(db, key, size);
  await db.checkpoint();
  const before = written(db);
  const started = performance.now();
  for (let i = 0; i < OPS; i++) await kind.op(db, key, i);
  const ms = performance.now() - started;
  return { kind: kind.name, size, usPerOp: (ms * 1000) / OPS, bytesPerOp: (written(db) - before) / OPS };
}

/** DEL of a collection of `size` elements, against one small write, in ms. */
async function measureDelete(db: FuseDB, size: number): Promise<{ delMs: number; smallWriteMs: number }> {
  await KINDS[0]?.load(db, "del:big", size);
  await db.checkpoint();
  let t = performance.now();
  await db.strings.set("small", "1");
  const smallWriteMs = performance.now() - t;
  t = performance.now();
  await db.keys.del(["del:big"]);
  return { delMs: performance.now() - t, smallWriteMs };
}

/** Requests per second and p99 (ms) of `call` at 64 in flight for SECONDS. */
async function inFlight(call: (i: number) => Promise<unknown>): Promise<{ rps: number; p99Ms: number }> {
  const latencies: number[] = [];
  let i = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now();
      await call(i++);
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 64 }, worker));
  const secs = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / secs, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-types-"));
  const db = await open(dir);
  const rows: Row[] = [];
  try {
    for (const kind of KINDS) {
      for (const size of SIZES) {
        const row = await measureKind(db, kind, size, kind.name.split(" ")[0] as string);
        rows.push(row);
        console.log(
          `${row.kind} @ ${size}: ${row.usPerOp.toFixed(1)} µs/op, ${row.bytesPerOp.toFixed(0)} B/op`,
        );
      }
    }
    const largest = Math.max(...SIZES);
    const del = await measureDelete(db, largest);
    console.log(
      `DEL of ${largest}: ${del.delMs.toFixed(2)} ms; one small write ${del.smallWriteMs.toFixed(2)} ms`,
    );
    const now = (): number => Date.now();
    const limiter = await inFlight((i) =>
      db.zsets.atomic((z) => {
        const key = `sw:${i % 1000}`;
        const t = now();
        z.zremrangebyscore(key, "-inf", t - 1000);
        if (z.zcard(key) >= 100) return false;
        z.zadd(key, [[t, `r${i}`]]);
        return true;
      }),
    );
    const counters = await inFlight((i) => db.strings.incr(`c:${i % 1000}`));
    console.log(`sliding window: ${limiter.rps.toFixed(0)} req/s p99 ${limiter.p99Ms.toFixed(2)} ms`);
    console.log(`counters (INCR): ${counters.rps.toFixed(0)} req/s p99 ${counters.p99Ms.toFixed(2)} ms`);
    report(rows, largest, del, limiter, counters);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  rows: Row[],
  largest: number,
  del: { delMs: number; smallWriteMs: number },
  limiter: { rps: number; p99Ms: number },
  counters: { rps: number; p99Ms: number },
): void {
  const out = String(values.out);
  mkdirSync(out, { recursive: true });
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const lines = [
    `# Data-type costs as collections grow`,
    "",
    `\`npm run bench:types -- --sizes ${SIZES.join(",")} --ops ${OPS} --seconds ${SECONDS}\` (real disk, fsync).`,
    "",
    `| operation | ${SIZES.map((s) => `µs/op @ ${s}`).join(" | ")} | ${SIZES.map((s) => `B/op @ ${s}`).join(" | ")} |`,
    `|---|${SIZES.map(() => "---:").join("|")}|${SIZES.map(() => "---:").join("|")}|`,
  ];
  for (const k of kinds) {
    const of = (s: number) => rows.find((r) => r.kind === k && r.size === s);
    lines.push(
      `| ${k} | ${SIZES.map((s) => of(s)?.usPerOp.toFixed(1)).join(" | ")} | ${SIZES.map((s) => of(s)?.bytesPerOp.toFixed(0)).join(" | ")} |`,
    );
  }
  lines.push(
    "",
    `DEL of a ${largest}-field hash: ${del.delMs.toFixed(2)} ms (one small SET: ${del.smallWriteMs.toFixed(2)} ms).`,
    "",
    "| 64 in flight | req/s | p99 ms |",
    "|---|---:|---:|",
    `| sliding-window limiter (ZREMRANGEBYSCORE + ZCARD + ZADD, one call) | ${limiter.rps.toFixed(0)} | ${limiter.p99Ms.toFixed(2)} |`,
    `| counters (INCR) | ${counters.rps.toFixed(0)} | ${counters.p99Ms.toFixed(2)} |`,
    "",
  );
  writeFileSync(join(out, "types.md"), lines.join("\n"));
  writeFileSync(join(out, "types.json"), JSON.stringify({ rows, del, limiter, counters }, null, 2));
}

await main();
