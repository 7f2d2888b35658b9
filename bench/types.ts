/**
 * Data-type costs as collections grow (issue 14): HSET of a new field, LPUSH + RPOP, SADD, ZADD and
 * ZRANGEBYSCORE of a 10-member window on one collection of 10, 1k, 100k and 1M elements — µs per operation
 * and bytes written per operation, the WAL's apart from the segments' and manifest's, each row on a fresh
 * engine whose preload's background work has gone idle first — then DEL of the largest collection against
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

/** Bytes the engine has written to disk so far: the WAL's, and the tree's (segments by flushes and merges, manifest). */
function written(db: FuseDB): { wal: number; tree: number } {
  const s = db.stats();
  return { wal: s.wal.bytesWritten, tree: s.tree.segmentBytesWritten + s.tree.manifestBytes };
}

/** Polls between two looks at the engine's background work, in ms. */
const SETTLE_POLL_MS = 10;
/** Longest wait for the background work after a preload, in ms (then the row is marked unsettled). */
const SETTLE_MAX_MS = 300_000;

/**
 * Waits until `db.stats().background.idle` holds on two polls in a row (as bench/cell.ts does), or
 * SETTLE_MAX_MS passed: a preload leaves flushes and merges queued, and measuring while they run charges
 * their time and their bytes to the operations.
 */
async function settle(db: FuseDB): Promise<{ settleMs: number; settled: boolean }> {
  const started = performance.now();
  let idlePolls = 0;
  while (performance.now() - started < SETTLE_MAX_MS) {
    idlePolls = db.stats().background.idle ? idlePolls + 1 : 0;
    if (idlePolls >= 2) return { settleMs: performance.now() - started, settled: true };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
  return { settleMs: performance.now() - started, settled: false };
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
  /** WAL bytes per operation: the operation's own record. */
  walBytesPerOp: number;
  /** Segment and manifest bytes per operation written while the operations ran (their flushes and merges). */
  treeBytesPerOp: number;
  /**
   * Segment and manifest bytes per operation from the start of the operations until the background work
   * they left went idle: their whole amortized tree cost (one merge of a big leaf weighs much over few ops).
   */
  settledTreeBytesPerOp: number;
  /** Background jobs that ran from the start of the operations until idle again: what the tree bytes were. */
  jobs: { flushes: number; merges: number; splits: number };
  /** ms waited after the preload for the background work to go idle; whether it did. */
  settleMs: number;
  settled: boolean;
  /** Whether background work was running when the operations ended (their own flushes or merges). */
  busyAtEnd: boolean;
}

/**
 * One row on a fresh engine in its own directory (no earlier row's collections or their merges): preload,
 * checkpoint, wait for the background work to go idle, then OPS operations timed and their bytes counted.
 */
async function measureKind(kind: Kind, size: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-types-row-"));
  const db = await open(dir);
  try {
    const key = `${kind.name.split(" ")[0]}:${size}`;
    await kind.load(db, key, size);
    await db.checkpoint();
    const { settleMs, settled } = await settle(db);
    const before = written(db);
    const jobs0 = db.stats().tree;
    const started = performance.now();
    for (let i = 0; i < OPS; i++) await kind.op(db, key, i);
    const ms = performance.now() - started;
    const after = written(db);
    const busyAtEnd = !db.stats().background.idle;
    await settle(db);
    const settledTree = written(db).tree;
    const jobs1 = db.stats().tree;
    return {
      kind: kind.name,
      size,
      usPerOp: (ms * 1000) / OPS,
      walBytesPerOp: (after.wal - before.wal) / OPS,
      treeBytesPerOp: (after.tree - before.tree) / OPS,
      settledTreeBytesPerOp: (settledTree - before.tree) / OPS,
      jobs: {
        flushes: jobs1.flushes - jobs0.flushes,
        merges: jobs1.merges - jobs0.merges,
        splits: jobs1.splits - jobs0.splits,
      },
      settleMs,
      settled,
      busyAtEnd,
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** DEL of a collection of `size` elements, against one small write, in ms. */
async function measureDelete(db: FuseDB, size: number): Promise<{ delMs: number; smallWriteMs: number }> {
  await KINDS[0]?.load(db, "del:big", size);
  await db.checkpoint();
  await settle(db);
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
        const row = await measureKind(kind, size);
        rows.push(row);
        console.log(
          `${row.kind} @ ${size}: ${row.usPerOp.toFixed(1)} µs/op, WAL ${row.walBytesPerOp.toFixed(0)} B/op, ` +
            `segments+manifest ${row.treeBytesPerOp.toFixed(0)} B/op, ${row.settledTreeBytesPerOp.toFixed(0)} ` +
            `once idle again; ${JSON.stringify(row.jobs)} (settled ${row.settled ? "" : "NOT "}` +
            `after ${row.settleMs.toFixed(0)} ms${row.busyAtEnd ? "; background busy at the end" : ""})`,
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
    "Each row runs on a fresh engine: preload, checkpoint, then the operations start once",
    "`stats().background.idle` holds (the preload's flushes and merges are not charged to them). WAL B/op is",
    "the operations' own records; tree B/op the segment and manifest bytes written while they ran (their",
    "flushes and the merges those cause), then in parentheses until the work they left went idle again.",
    "`*`: background work still running when the operations ended.",
    "",
    `| operation | ${SIZES.map((s) => `µs/op @ ${s}`).join(" | ")} | ${SIZES.map((s) => `WAL B/op @ ${s}`).join(" | ")} | ${SIZES.map((s) => `tree B/op @ ${s}`).join(" | ")} |`,
    `|---|${SIZES.map(() => "---:").join("|")}|${SIZES.map(() => "---:").join("|")}|${SIZES.map(() => "---:").join("|")}|`,
  ];
  for (const k of kinds) {
    const of = (s: number) => rows.find((r) => r.kind === k && r.size === s);
    const busy = (s: number) => (of(s)?.busyAtEnd ? "*" : "");
    lines.push(
      `| ${k} | ${SIZES.map((s) => of(s)?.usPerOp.toFixed(1)).join(" | ")} | ${SIZES.map((s) => of(s)?.walBytesPerOp.toFixed(0)).join(" | ")} | ${SIZES.map((s) => `${of(s)?.treeBytesPerOp.toFixed(0)}${busy(s)} (${of(s)?.settledTreeBytesPerOp.toFixed(0)})`).join(" | ")} |`,
    );
  }
  const unsettled = rows.filter((r) => !r.settled);
  if (unsettled.length > 0) {
    lines.push(
      "",
      `Not idle within ${SETTLE_MAX_MS / 1000} s after the preload: ${unsettled.map((r) => `${r.kind} @ ${r.size}`).join(", ")}.`,
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
