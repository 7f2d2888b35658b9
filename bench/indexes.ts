/**
 * Secondary-index costs (issue 16), short: for each size in `--docs` (default 10k; a comma-separated list
 * such as `10000,1000000` runs each in its own database) `{ score, name }` documents under `p:`, an indexed
 * query (top 10 by score; an equality match, every hit) against the same answer by a full prefix scan (paged,
 * 100k documents a page, computed as the pages stream: top 10 kept, matches counted) in JavaScript, µs per
 * query; then the write cost an index adds: µs and WAL bytes per `set` of a document with 0, 1 and 2 indexes
 * on it (64 writes in flight, fsync durability), on the real disk.
 *
 * Usage: `npm run bench:indexes -- [--docs 10000[,1000000]] [--queries 200] [--scans 10] [--writes 2000]`.
 * `--scans`: full prefix scans timed per query kind (default: queries / 20, at least 5). Prints a Markdown
 * table per size. At 1M documents expect minutes (load, two index builds, scans) and about 1 GB of disk.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FuseDB } from "../src/db.js";
import { open } from "../src/index.js";

const { values } = parseArgs({
  options: {
    docs: { type: "string", default: "10000" },
    queries: { type: "string", default: "200" },
    scans: { type: "string" },
    writes: { type: "string", default: "2000" },
  },
});

/** A positive integer option. @throws Error naming the option otherwise. */
function count(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, not ${v}`);
  return n;
}

const SIZES = (values.docs ?? "10000").split(",").map((v) => count("docs", v.trim()));
const QUERIES = count("queries", values.queries ?? "200");
const SCANS =
  values.scans === undefined ? Math.max(5, Math.floor(QUERIES / 20)) : count("scans", values.scans);
const WRITES = count("writes", values.writes ?? "2000");
const IN_FLIGHT = 64;
/** Names n0 .. n999: an equality query on one matches docs / 1000 documents. */
const NAMES = 1000;
/** Documents per page of the full prefix scan (the scan limit's maximum). */
const SCAN_PAGE = 100_000;

const doc = (i: number) => ({ score: (i * 7919) % 100_000, name: `n${i % 1000}` });

async function load(db: FuseDB, docs: number): Promise<void> {
  for (let i = 0; i < docs; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(docs, i + 1000); j++)
      batch.push({ op: "set" as const, key: `p:${j}`, value: doc(j) });
    await db.batch(batch);
  }
}

async function timeUs(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t0) * 1000) / n;
}

/** Every document under `p:`, page by page; `visit` sees each as the pages stream (none is kept). */
async function fullScan(db: FuseDB, visit: (key: string, value: unknown) => void): Promise<void> {
  let after: Uint8Array | undefined;
  // Bounded: each page moves `after` past the documents it returned.
  for (;;) {
    const page = await db.scan(
      after === undefined
        ? { gte: "p:", lt: "p;", limit: SCAN_PAGE }
        : { gt: after, lt: "p;", limit: SCAN_PAGE },
    );
    for (const e of page) visit(e.key, e.value);
    const last = page[page.length - 1];
    if (page.length < SCAN_PAGE || last === undefined) return;
    after = last.keyBytes;
  }
}

/** The top 10 scores by a full prefix scan (a small sorted list kept as the pages stream). */
async function topByScan(db: FuseDB): Promise<number[]> {
  const top: number[] = [];
  await fullScan(db, (_k, v) => {
    const score = (v as { score: number }).score;
    if (top.length === 10 && score <= (top[9] as number)) return;
    top.push(score);
    top.sort((a, b) => b - a);
    if (top.length > 10) top.pop();
  });
  return top;
}

async function writeCost(indexes: number): Promise<{ us: number; walBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-idx-"));
  const db = await open(dir);
  try {
    if (indexes >= 1) await db.createIndex({ name: "score", prefix: "w:", path: "score" });
    if (indexes >= 2) await db.createIndex({ name: "name", prefix: "w:", path: "name" });
    const wal0 = db.stats().wal.bytesWritten;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < WRITES; i = next++) await db.set(`w:${i % 500}`, doc(i));
      }),
    );
    const us = ((performance.now() - t0) * 1000) / WRITES;
    return { us, walBytes: (db.stats().wal.bytesWritten - wal0) / WRITES };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The query rows of one size: load, build, then index queries against full prefix scans. */
async function querySize(docs: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-idx-"));
  const db = await open(dir);
  const rows: string[] = [];
  const hits = Math.max(1, Math.ceil(docs / NAMES));
  try {
    const tl = performance.now();
    await load(db, docs);
    rows.push(
      `| load ${docs} documents (batches of 1000) | ${((performance.now() - tl) / 1000).toFixed(2)} s |`,
    );
    await db.createIndex({ name: "score", prefix: "p:", path: "score" });
    await db.createIndex({ name: "name", prefix: "p:", path: "name" });
    const tb = performance.now();
    await db.waitForIndex("score");
    await db.waitForIndex("name");
    rows.push(
      `| build two indexes over ${docs} documents | ${((performance.now() - tb) / 1000).toFixed(2)} s |`,
    );
    // Both ways must agree before either is timed.
    const byIndex = (await db.query({ index: "score", reverse: true, limit: 10 })).map(
      (e) => (e.value as { score: number }).score,
    );
    const byScan = await topByScan(db);
    if (JSON.stringify(byIndex) !== JSON.stringify(byScan))
      throw new Error("index and scan disagree on top 10");
    const topIdx = await timeUs(QUERIES, () => db.query({ index: "score", reverse: true, limit: 10 }));
    const topScan = await timeUs(SCANS, () => topByScan(db));
    const eqIdx = await timeUs(QUERIES, async (i) => {
      const found = await db.query({ index: "name", eq: `n${i % NAMES}`, limit: Math.min(hits, SCAN_PAGE) });
      if (docs >= NAMES && found.length !== hits)
        throw new Error(`name query found ${found.length} of ${hits}`);
    });
    const eqScan = await timeUs(SCANS, async (i) => {
      let n = 0;
      await fullScan(db, (_k, v) => {
        if ((v as { name: string }).name === `n${i % NAMES}`) n++;
      });
      return n;
    });
    rows.push(
      `| top 10 by score: index | ${topIdx.toFixed(0)} µs |`,
      `| top 10 by score: full prefix scan + sort | ${topScan.toFixed(0)} µs |`,
    );
    rows.push(
      `| name = x (${hits} hits): index | ${eqIdx.toFixed(0)} µs |`,
      `| name = x: full prefix scan + filter | ${eqScan.toFixed(0)} µs |`,
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  for (const docs of SIZES) {
    const rows = await querySize(docs);
    console.log(`| ${docs} documents | cost |\n|---|---|\n${rows.join("\n")}\n`);
  }
  const rows: string[] = [];
  for (const n of [0, 1, 2]) {
    const c = await writeCost(n);
    rows.push(
      `| set with ${n} index(es), ${IN_FLIGHT} in flight | ${c.us.toFixed(1)} µs/write, ${c.walBytes.toFixed(0)} WAL bytes/write |`,
    );
  }
  console.log(`| writes (${WRITES}) | cost |\n|---|---|\n${rows.join("\n")}`);
}

await main();
