/**
 * Restart after SIGKILL, and WAL replay speed (issue 13, recovery). A child process opens a fresh database
 * with the default knobs, writes 1 KB documents (64 in flight, keys drawn from `--keys`) until its WAL files
 * hold `--mb` MiB, and is SIGKILLed. Then two fresh processes each time one thing on the killed directory
 * (a copy of it, so both see the same bytes):
 *
 * - `replay`: the WAL reader alone, read-only (read, checksum, decode every batch): WAL bytes / time = the
 *   replay rate the issue asks to be at least 200 MB/s;
 * - `open`: the whole `open` (lock, manifest, segments, WAL replay into the leaves, new WAL writer), as the
 *   full bench times a restart.
 *
 * Usage: `npx tsx bench/recovery.ts [--mb 32] [--keys 100000] [--runs 3] [--from DIR]`. Keep `--mb` under
 * the 64 MiB checkpoint bound, or checkpoints trim the WAL before the kill. `--from DIR` skips the writing
 * and times copies of a killed directory kept from before (the same input for two builds: an A/B).
 */
import { type ChildProcess, fork } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { open } from "../src/index.js";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import { listDbFiles } from "../src/tools/db-files.js";
import { readManifest } from "../src/tree/manifest.js";
import { decodeBatchRecord } from "../src/wal/batch-codec.js";
import { resolveLiveWal } from "../src/wal/wal-head.js";
import { recoverWal } from "../src/wal/wal-reader.js";
import { positiveArg } from "./positive-arg.js";

const SELF = fileURLToPath(import.meta.url);
const IN_FLIGHT = 64;

function walBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir))
    if (/^wal-\d{16}\.log$/.test(name)) total += statSync(join(dir, name)).size;
  return total;
}

/** Child: write until the WAL holds `mb` MiB, tell the parent, wait to be killed. */
async function writeUntil(dir: string, mb: number, keys: number): Promise<void> {
  const db = await open(dir);
  const target = mb * 2 ** 20;
  let n = 0;
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const doc = (i: number) => ({ n: i, pad: "x".repeat(960) });
  const worker = async (): Promise<void> => {
    // Bounded by the WAL size target, checked before every write (a small target, such as 0.1 MiB, is
    // overshot by at most the writes in flight).
    while (walBytes(dir) < target) await db.set(`user${next() % keys}`, doc(n++));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  process.send?.({ type: "written", writes: n, walBytes: walBytes(dir) });
  setInterval(() => undefined, 1000);
}

/** Child: the WAL reader alone over `dir`, read-only. */
async function timeReplay(dir: string): Promise<void> {
  const fs = new NodeFileSystem();
  const read = await readManifest(fs, dir);
  const checkpointLsn = read?.manifest.checkpointLsn ?? 0;
  const files = await listDbFiles(fs, dir);
  const live = await resolveLiveWal(fs, dir, files.walFiles, { checkpointLsn, hasSegments: true });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let effects = 0;
  const rec = await recoverWal(
    fs,
    dir,
    live.files,
    checkpointLsn,
    (record) => {
      effects += decodeBatchRecord(record.type, record.payload, record.lsn, true).effects.length;
    },
    {},
    { readOnly: true },
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  let bytes = 0;
  for (const f of rec.files) bytes += statSync(join(dir, f.name)).size;
  process.send?.({ type: "replay", ms, cpuMs, records: rec.replayed, effects, bytes });
}

/** Child: the whole open. */
async function timeOpen(dir: string): Promise<void> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const db = await open(dir);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const info = db.recovery;
  await db.close();
  process.send?.({ type: "open", ms, cpuMs, records: info.replayedRecords });
}

function child(args: string[]): ChildProcess {
  return fork(SELF, args, { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function message<T>(proc: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    proc.once("message", (m) => resolve(m as T));
    proc.once("exit", (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
}

async function parent(): Promise<void> {
  const mb = positiveArg("mb", 32);
  const keys = positiveArg("keys", 100_000);
  const runs = positiveArg("runs", 3);
  const root = mkdtempSync(join(tmpdir(), "fusedb-recovery-"));
  try {
    const from = process.argv.indexOf("--from");
    const dir = from >= 0 ? (process.argv[from + 1] ?? "") : join(root, "killed");
    if (from < 0) {
      const writer = child(["--child", "write", dir, String(mb), String(keys)]);
      const written = await message<{ writes: number; walBytes: number }>(writer);
      writer.kill("SIGKILL");
      await new Promise((r) => writer.once("exit", r));
      console.log(`wrote ${written.writes} docs`);
    }
    const bytes = walBytes(dir);
    console.log(`WAL after SIGKILL: ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    for (let run = 1; run <= runs; run++) {
      const copy = join(root, `copy-${run}`);
      cpSync(dir, copy, { recursive: true });
      const replay = await message<{ ms: number; cpuMs: number; records: number; bytes: number }>(
        child(["--child", "replay", copy]),
      );
      const opened = await message<{ ms: number; cpuMs: number; records: number }>(
        child(["--child", "open", copy]),
      );
      const rate = replay.bytes / 1e6 / (replay.ms / 1000);
      console.log(
        `run ${run}: replay of ${(replay.bytes / 2 ** 20).toFixed(1)} MiB of live WAL (${replay.records} records ` +
          `above the checkpoint) in ${replay.ms.toFixed(1)} ms (CPU ${replay.cpuMs.toFixed(0)} ms) = ` +
          `${rate.toFixed(0)} MB/s (${(replay.bytes / 1e6 / (replay.cpuMs / 1000)).toFixed(0)} MB per CPU s); ` +
          `open ${opened.ms.toFixed(1)} ms (CPU ${opened.cpuMs.toFixed(0)} ms; ${opened.records} records replayed)`,
      );
      rmSync(copy, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const mode =
  process.argv.indexOf("--child") >= 0 ? process.argv[process.argv.indexOf("--child") + 1] : undefined;
const rest = process.argv.slice(process.argv.indexOf("--child") + 2);
if (mode === "write") await writeUntil(rest[0] ?? "", Number(rest[1]), Number(rest[2]));
else if (mode === "replay") await timeReplay(rest[0] ?? "");
else if (mode === "open") await timeOpen(rest[0] ?? "");
else await parent();
if (mode === "replay" || mode === "open") process.exit(0);
