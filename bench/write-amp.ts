/**
 * `npm run bench:wa`: write amplification of the leaf tree (issue 5) — bytes written to disk per byte of user
 * data (keys and documents of the mutations) — for one update-heavy workload run twice: on the simulator's
 * virtual disk (deterministic, in process) and on the real disk (NodeFileSystem in a temp directory).
 * Engine counters split the bytes into WAL, segments (flushes, merges, splits) and manifest; on the real disk
 * /proc/self/io `write_bytes` adds what the device saw (whole pages, so tiny synced writes count 4 KiB each).
 * Writes bench/results/write-amp.json and write-amp.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { Zipf } from "../sim/disk/zipf.js";
import { Driver } from "../sim/driver.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import { SystemClock } from "../src/io/node-clock.js";
import { NodeFileSystem } from "../src/io/node-file-system.js";

interface Options {
  updates: number;
  keys: number;
  valueBytes: number;
  inflight: number;
  seed: string;
}

interface Run {
  disk: "simulated" | "real";
  seconds: number;
  userBytes: number;
  walBytes: number;
  segmentBytes: number;
  manifestBytes: number;
  writeAmplification: number;
  /** Real disk only: /proc/self/io write_bytes during the run, per user byte. */
  deviceWriteAmplification: number | undefined;
  flushes: number;
  merges: number;
  splits: number;
  leafMerges: number;
  leaves: number;
  segments: number;
}

/** Knobs that make a modest data set exercise the tree: 64 KiB buffers, 1 MiB leaves. */
const KNOBS: FuseDBOptions = {
  leafBufferBytes: 64 * 1024,
  leafBytesMax: 1024 * 1024,
  checkpointWalBytes: 4 * 1024 * 1024,
  walFileBytesMax: 4 * 1024 * 1024,
};

/** The update-heavy workload: `updates` writes over `keys` keys (Zipf 0.99), documents of ~valueBytes. */
async function workload(
  db: FuseDB,
  o: Options,
  pump: (p: Promise<unknown>) => Promise<unknown>,
): Promise<void> {
  const prng = new Prng(o.seed);
  const zipf = new Zipf(prng.fork("keys"), o.keys, 0.99, true);
  const pad = "v".repeat(Math.max(0, o.valueBytes - 40));
  let inflight: Promise<unknown>[] = [];
  for (let i = 0; i < o.updates; i++) {
    const k = `user:${String(zipf.next()).padStart(8, "0")}`;
    const r = prng.int(10);
    inflight.push(
      r < 6 ? db.set(k, { i, pad }) : r < 9 ? db.patch(k, { seen: i }) : db.incr(`counter:${i % 64}`),
    );
    if (inflight.length >= o.inflight) {
      await pump(Promise.all(inflight));
      inflight = [];
    }
  }
  await pump(Promise.all(inflight));
}

function summarize(db: FuseDB, disk: Run["disk"], seconds: number, device: number | undefined): Run {
  const s = db.stats();
  return {
    disk,
    seconds,
    userBytes: s.userBytes,
    walBytes: s.wal.bytesWritten,
    segmentBytes: s.tree.segmentBytesWritten,
    manifestBytes: s.tree.manifestBytes,
    writeAmplification: s.writeAmplification,
    deviceWriteAmplification: device === undefined ? undefined : device / s.userBytes,
    flushes: s.tree.flushes,
    merges: s.tree.merges,
    splits: s.tree.splits,
    leafMerges: s.tree.leafMerges,
    leaves: s.tree.leaves,
    segments: s.tree.segments,
  };
}

async function simulated(o: Options): Promise<Run> {
  const clock = new SimClock();
  const fs = new SimFileSystem({ clock, prng: new Prng(o.seed).fork("disk") });
  const driver = new Driver(clock);
  const started = performance.now();
  const db = await driver.run(FuseDB.open({ ...KNOBS, dir: "/db", fs, clock }), "open");
  await workload(db, o, (p) => driver.run(p, "workload"));
  const run = summarize(db, "simulated", (performance.now() - started) / 1000, undefined);
  await driver.run(db.close(), "close");
  return run;
}

function procWriteBytes(): number | undefined {
  try {
    const m = /write_bytes: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function real(o: Options, parent: string): Promise<Run> {
  const dir = mkdtempSync(join(parent, "fusedb-wa-"));
  try {
    const before = procWriteBytes();
    const started = performance.now();
    const db = await FuseDB.open({ ...KNOBS, dir, fs: new NodeFileSystem(), clock: new SystemClock() });
    await workload(db, o, (p) => p);
    const after = procWriteBytes();
    const run = summarize(
      db,
      "real",
      (performance.now() - started) / 1000,
      before === undefined || after === undefined ? undefined : after - before,
    );
    await db.close();
    return run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function markdown(o: Options, runs: Run[], command: string): string {
  const f = (n: number | undefined, d = 2) => (n === undefined ? "n/a" : n.toFixed(d));
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return [
    "# Write amplification (leaf tree)",
    "",
    `Command: \`${command}\``,
    "",
    `${o.updates.toLocaleString("en")} updates over ${o.keys.toLocaleString("en")} keys (scrambled Zipf 0.99; 60% set of ~${o.valueBytes} B documents, 30% merge patch, 10% increments), ${o.inflight} in flight; knobs ${JSON.stringify(KNOBS)}.`,
    "",
    "| disk | user MB | WAL MB | segments MB | manifest MB | write amp. (engine) | write amp. (device) | flushes | merges | splits | merge-backs | leaves | seconds |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...runs.map(
      (r) =>
        `| ${r.disk} | ${mb(r.userBytes)} | ${mb(r.walBytes)} | ${mb(r.segmentBytes)} | ${mb(r.manifestBytes)} | ${f(r.writeAmplification)} | ${f(r.deviceWriteAmplification)} | ${r.flushes} | ${r.merges} | ${r.splits} | ${r.leafMerges} | ${r.leaves} | ${f(r.seconds, 1)} |`,
    ),
    "",
    "Engine write amplification counts whole WAL records, segment files and manifest records; the device figure",
    "(real disk, /proc/self/io) adds page rounding of every synced write and the file system's own metadata.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const program = new Command()
    .name("bench:wa")
    .description("write amplification of the leaf tree on the simulated and the real disk")
    .option("--updates <n>", "updates", (v) => Number(v), 200_000)
    .option("--keys <n>", "distinct keys", (v) => Number(v), 20_000)
    .option("--value-bytes <n>", "document size in bytes", (v) => Number(v), 200)
    .option("--inflight <n>", "writes in flight", (v) => Number(v), 64)
    .option("--seed <s>", "workload seed", "wa")
    .option("--dir <path>", "parent directory for the real-disk run", tmpdir())
    .parse();
  const o = program.opts<Options & { dir: string }>();
  const command = `npm run bench:wa -- ${process.argv.slice(2).join(" ")}`.trim();
  const runs = [await simulated(o), await real(o, o.dir)];
  const md = markdown(o, runs, command);
  const out = join(import.meta.dirname, "results");
  writeFileSync(
    join(out, "write-amp.json"),
    `${JSON.stringify({ command, options: o, knobs: KNOBS, runs }, null, 2)}\n`,
  );
  writeFileSync(join(out, "write-amp.md"), md);
  console.log(md);
}

await main();
