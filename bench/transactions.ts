/**
 * `npm run bench:tx`: transaction throughput and abort rate (issue 16): bank transfers between accounts
 * chosen Zipf-skewed (theta 0.99, account 0 hottest) at 1, 16 and 64 concurrent transfers, on the real disk
 * (NodeFileSystem in a temp directory, durability 'fsync'), under 'snapshot' and 'serializable'. Each
 * transfer is `db.transaction` reading two balances and writing both; conflicts retry (up to 1000). The
 * total across accounts is checked at the end (it must never change). Prints a table; no file is written.
 * Options: --transfers N per cell (default 2000), --accounts N (default 1000), --seed S.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { Prng } from "../sim/disk/prng.js";
import { Zipf } from "../sim/disk/zipf.js";
import { FuseDB } from "../src/db.js";
import { SystemClock } from "../src/io/node-clock.js";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import type { Isolation } from "../src/tx/transaction.js";

const BALANCE = 1_000_000;

async function cell(
  isolation: Isolation,
  inflight: number,
  transfers: number,
  accounts: number,
  seed: string,
) {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-bench-tx-"));
  const db = await FuseDB.open({ dir, fs: new NodeFileSystem(), clock: new SystemClock() });
  try {
    for (let i = 0; i < accounts; i += 500) {
      const n = Math.min(500, accounts - i);
      await db.batch(
        Array.from({ length: n }, (_, j) => ({ op: "set" as const, key: `a:${i + j}`, value: BALANCE })),
      );
    }
    const prng = new Prng(`${seed}/${isolation}/${inflight}`);
    const zipf = new Zipf(prng, accounts);
    let issued = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (issued < transfers) {
        issued++;
        const from = zipf.next();
        let to = zipf.next();
        if (to === from) to = (from + 1) % accounts;
        await db.transaction(
          async (tx) => {
            const a = (await tx.get(`a:${from}`))?.value as number;
            const b = (await tx.get(`a:${to}`))?.value as number;
            await tx.set(`a:${from}`, a - 1);
            await tx.set(`a:${to}`, b + 1);
          },
          { isolation, retries: 1000 },
        );
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    let total = 0;
    for (const e of await db.scan({ gte: "a:", lt: "a;", limit: 100_000 })) total += e.value as number;
    const s = db.stats().snapshots;
    if (total !== BALANCE * accounts) throw new Error(`total changed: ${total}`);
    return {
      isolation,
      inflight,
      txPerSec: Math.round(s.txCommitted / seconds),
      abortRate: s.txConflicts / (s.txCommitted + s.txConflicts),
      committed: s.txCommitted,
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command()
  .option("--transfers <n>", "transfers per cell", "2000")
  .option("--accounts <n>", "accounts", "1000")
  .option("--seed <s>", "seed", "1");
program.parse();
const o = program.opts<{ transfers: string; accounts: string; seed: string }>();
console.log("| isolation | in flight | committed/s | abort rate | total kept |");
console.log("|---|---|---|---|---|");
for (const isolation of ["snapshot", "serializable"] as const) {
  for (const inflight of [1, 16, 64]) {
    const r = await cell(isolation, inflight, Number(o.transfers), Number(o.accounts), o.seed);
    console.log(
      `| ${r.isolation} | ${r.inflight} | ${r.txPerSec} | ${(r.abortRate * 100).toFixed(1)}% | yes |`,
    );
  }
}
