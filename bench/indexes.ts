/**
 * Secondary-index costs (issue 16), short: at `--docs` documents (default 10k) `{ score, name }` under
 * `p:`, an indexed query (top 10 by score; an equality match) against the same answer by a full prefix scan
 * and a sort/filter in JavaScript, µs per query; then the write cost an index adds: µs and WAL bytes per
 * `set` of a document with 0, 1 and 2 indexes on it (64 writes in flight, fsync durability), on the real disk.
 *
 * Usage: `npm run bench:indexes -- [--docs 10000] [--queries 200] [--writes 2000]`. Prints a Markdown table.
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
    writes: { type: "string", default: "2000" },
  },
});
const DOCS = Number(values.docs);
const QUERIES = Number(values.queries);
const WRITES = Number(values.writes);
const IN_FLIGHT = 64;

const doc = (i: number) => ({ score: (i * 7919) % 100_000, name: `n${i % 1000}` });

async function load(db: FuseDB): Promise<void> {
  for (let i = 0; i < DOCS; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(DOCS, i + 1000); j++)
      batch.push({ op: "set" as const, key: `p:${j}`, value: doc(j) });
    await db.batch(batch);
  }
}

async function timeUs(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t0) * 1000) / n;
}

async function fullScan(db: FuseDB): Promise<{ key: string; value: unknown }[]> {
  return db.scan({ gte: "p:", lt: "p;", limit: 100_000 });
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-idx-"));
  const db = await open(dir);
  const rows: string[] = [];
  try {
    await load(db);
    await db.createIndex({ name: "score", prefix: "p:", path: "score" });
    await db.createIndex({ name: "name", prefix: "p:", path: "name" });
    const tb = performance.now();
    await db.waitForIndex("score");
    await db.waitForIndex("name");
    rows.push(
      `| build two indexes over ${DOCS} documents | ${((performance.now() - tb) / 1000).toFixed(2)} s |`,
    );
    const topIdx = await timeUs(QUERIES, () => db.query({ index: "score", reverse: true, limit: 10 }));
    const topScan = await timeUs(Math.max(5, QUERIES / 20), async () => {
      const all = await fullScan(db);
      return all
        .sort((a, b) => (b.value as { score: number }).score - (a.value as { score: number }).score)
        .slice(0, 10);
    });
    const eqIdx = await timeUs(QUERIES, (i) => db.query({ index: "name", eq: `n${i % 1000}`, limit: 100 }));
    const eqScan = await timeUs(Math.max(5, QUERIES / 20), async (i) =>
      (await fullScan(db)).filter((e) => (e.value as { name: string }).name === `n${i % 1000}`),
    );
    rows.push(
      `| top 10 by score: index | ${topIdx.toFixed(0)} µs |`,
      `| top 10 by score: full prefix scan + sort | ${topScan.toFixed(0)} µs |`,
    );
    rows.push(
      `| name = x (${DOCS / 1000} hits): index | ${eqIdx.toFixed(0)} µs |`,
      `| name = x: full prefix scan + filter | ${eqScan.toFixed(0)} µs |`,
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const n of [0, 1, 2]) {
    const c = await writeCost(n);
    rows.push(
      `| set with ${n} index(es), ${IN_FLIGHT} in flight | ${c.us.toFixed(1)} µs/write, ${c.walBytes.toFixed(0)} WAL bytes/write |`,
    );
  }
  console.log(`| ${DOCS} documents | cost |\n|---|---|\n${rows.join("\n")}`);
}

await main();
