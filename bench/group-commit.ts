/**
 * Group commit in one trip or three (issue 13 point 4), A/B in one process: the same counter workload (64
 * `incr` in flight over `--keys` keys, fsync durability, default knobs) on the real disk with the
 * `NodeFileSystem` as the engine gets it (each group's slot write, group write and fdatasync as one
 * `File.writeAndSync` request on the sync thread), and behind a bare `ForwardingFileSystem` (which runs
 * `writeAndSync` as the separate calls through libuv's pool, each waiting for the event loop: the old path).
 * Rounds alternate so noise from other processes hits both; compare the ratio, not the absolute rates.
 *
 * Usage: `npx tsx bench/group-commit.ts [--seconds 3] [--rounds 3] [--keys 1000]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../src/index.js";
import type { FileSystem } from "../src/io/file-system.js";
import { ForwardingFileSystem } from "../src/io/forwarding-file-system.js";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import { positiveArg } from "./positive-arg.js";

const IN_FLIGHT = 64;

async function measure(
  dir: string,
  fs: FileSystem,
  seconds: number,
  keys: number,
): Promise<{ opsPerSec: number; text: string }> {
  const db = await open(dir, { fs });
  let ops = 0;
  let seed = 7;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    // Bounded by the deadline.
    while (performance.now() < deadline) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      await db.incr(`counter:${seed % keys}`, 1);
      ops++;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuUsPerOp = (used.user + used.system) / Math.max(1, ops);
  const wal = db.stats().wal;
  await db.close();
  const perGroup =
    wal === undefined ? "" : `, ${(wal.records / Math.max(1, wal.groups)).toFixed(1)} records/group`;
  const opsPerSec = (ops / ms) * 1000;
  return { opsPerSec, text: `${opsPerSec.toFixed(0)} ops/s, ${cpuUsPerOp.toFixed(1)} CPU µs/op${perGroup}` };
}

const seconds = positiveArg("seconds", 3);
const rounds = positiveArg("rounds", 3);
const keys = positiveArg("keys", 1000);
const root = mkdtempSync(join(tmpdir(), "fusedb-group-commit-"));
try {
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    // The order alternates, so JIT warm-up and drifting load favour neither.
    const runOne = () => measure(join(root, `one-${round}`), new NodeFileSystem(), seconds, keys);
    const runThree = () =>
      measure(join(root, `three-${round}`), new ForwardingFileSystem(new NodeFileSystem()), seconds, keys);
    let one: { opsPerSec: number; text: string };
    let three: { opsPerSec: number; text: string };
    if (round % 2 === 1) {
      one = await runOne();
      three = await runThree();
    } else {
      three = await runThree();
      one = await runOne();
    }
    ratios.push(one.opsPerSec / three.opsPerSec);
    console.log(`round ${round}: one trip (sync thread) ${one.text} | separate trips (pool) ${three.text}`);
  }
  ratios.sort((a, b) => a - b);
  console.log(
    `one trip / separate trips, median of ${rounds} rounds: ${ratios[Math.floor(rounds / 2)]?.toFixed(2)}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
