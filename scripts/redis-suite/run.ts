/**
 * Runs units of Redis 7.0.15's Tcl test suite in external mode (`--host/--port`) against a server: either
 * `fusedb server` or Debian's `redis-server` (the control that proves the harness). Each unit gets a fresh
 * server, so settings a unit changes with CONFIG SET (for example `proto-max-bulk-len 10gb` in
 * type/list's large-memory block) never leak into the next unit, as they would on one shared server.
 *
 * The suite is fetched by fetch-suite.sh (Debian's source package, cached under .cache/redis-src).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseUnitOutput, type UnitResult } from "./report.js";

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, "../..");

/** Every unit issue 15 names, in the order the README's table lists them. */
export const ALL_UNITS: readonly string[] = [
  "type/string",
  "type/incr",
  "type/hash",
  "type/list",
  "type/list-2",
  "type/list-3",
  "type/set",
  "type/zset",
  "expire",
  "keyspace",
  "multi",
  "pubsub",
  "protocol",
  "scan",
  "info-command",
];

/**
 * Tags denied to the harness: tests of what fusedb deliberately lacks, whole families at once. DEBUG's
 * internals (object encodings, RELOAD, jmap, quicklist tuning), replication, and maxmemory eviction.
 */
export const DENIED_TAGS: readonly string[] = ["needs:debug", "needs:repl", "needs:config-maxmemory"];

/** Harness timeout: seconds without any test finishing before it gives up on a unit. */
const HARNESS_IDLE_SECONDS = 120;
/** Hard limit on one unit's tclsh process, in ms (list-3's fuzzing takes ~40 s against Redis). */
const UNIT_MS_MAX = 600_000;
/** Longest wait for a server to accept connections, in ms (a cold `fusedb server` may compile sources). */
const START_MS_MAX = 90_000;

/** A server the harness talks to. */
export interface Target {
  port: number;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** How to start a target server; `start` is called once per unit. */
export interface TargetKind {
  name: string;
  start(): Promise<Target>;
}

/** Where fetch-suite.sh caches the suite unless told otherwise. */
export const DEFAULT_CACHE = join(ROOT, ".cache", "redis-src");

/**
 * Fetches (or finds in `cache`) the suite and returns the directory holding tests/test_helper.tcl.
 * @throws Error with fetch-suite.sh's message when the download or unpacking fails.
 */
export function fetchSuite(cache: string = DEFAULT_CACHE): string {
  const script = join(ROOT, "scripts", "redis-suite", "fetch-suite.sh");
  const r = spawnSync("bash", [script, cache], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`fetching the Redis suite failed: ${r.stderr.trim()}`);
  return r.stdout.trim().split("\n").pop() as string;
}

/**
 * The skip list (test/redis-suite/skip.txt) as the harness reads it: one exact test name, or `/regexp`, a
 * line. The file's `#` lines (the reasons) and blank lines are dropped. Returns the written file's path.
 */
export function writeHarnessSkipFile(skipList: string, dir: string): string {
  const names = readFileSync(skipList, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const path = join(dir, "skip-harness.txt");
  writeFileSync(path, `${names.join("\n")}\n`);
  return path;
}

/** A port of 127.0.0.1 that was free a moment ago (redis-server refuses `--port 0`). */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Resolves once `port` accepts connections. @throws Error if `child` exits or START_MS_MAX passes. */
async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + START_MS_MAX;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const up = await new Promise<boolean>((res) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        res(true);
      });
      s.once("error", () => res(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on port ${port}`);
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Where the servers' data directories go: REDIS_SUITE_DATA_ROOT if set, else /dev/shm (a RAM file system)
 * where it exists, else the OS temp directory. The suite judges command semantics; `fusedb server` still
 * runs with its default durability (a write's reply waits for its fdatasync), but on a RAM file system an
 * fdatasync costs microseconds instead of a disk's milliseconds, and the suite's fuzzers make tens of
 * thousands of sequential writes (type/set's SDIFF fuzzing about 27,000: over two minutes at 5 ms each,
 * past the harness's idle timeout). The control redis-server runs without persistence anyway.
 */
function dataRoot(): string {
  const chosen = process.env.REDIS_SUITE_DATA_ROOT;
  if (chosen !== undefined && chosen !== "") return chosen;
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

/** Starts a process serving on a fresh port in a fresh directory; `argv(dir, port)` is its command line. */
async function startProcess(
  what: string,
  argv: (dir: string, port: number) => string[],
  cwd: string,
): Promise<Target> {
  const dir = mkdtempSync(join(dataRoot(), "fusedb-rsuite-"));
  const port = await freePort();
  const [cmd, ...args] = argv(dir, port);
  const child = spawn(cmd as string, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, what);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return { port, stop };
}

/**
 * `fusedb server DIR --port P` (defaults otherwise: appendfsync always). `command` is how to run the
 * `fusedb` CLI: by default the built one (`node bin/fusedb.js`, after `npm run build`).
 * @throws Error when dist/ is missing and the default command is used.
 */
export function fusedbTarget(command?: readonly string[], extraArgs: readonly string[] = []): TargetKind {
  const cli = command ?? [process.execPath, join(ROOT, "bin", "fusedb.js")];
  if (command === undefined && !existsSync(join(ROOT, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first");
  }
  return {
    name: "fusedb server",
    start: () =>
      startProcess(
        "fusedb server",
        (dir, port) => [...cli, "server", join(dir, "data"), "--port", String(port), ...extraArgs],
        ROOT,
      ),
  };
}

/** Debian's `redis-server` with persistence off, the harness's control. */
export function redisServerTarget(): TargetKind {
  return {
    name: "redis-server",
    start: () =>
      startProcess(
        "redis-server",
        (dir, port) => [
          "redis-server",
          ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          ...["--dir", dir, "--logfile", join(dir, "redis.log")],
        ],
        ROOT,
      ),
  };
}

/** Runs `tclsh tests/test_helper.tcl ... --single unit/UNIT` and resolves with its output (both streams). */
export function runHarness(suite: string, unit: string, port: number, skipFile: string): Promise<string> {
  const args = [
    "tests/test_helper.tcl",
    ...["--host", "127.0.0.1", "--port", String(port), "--single", `unit/${unit}`],
    ...["--ignore-encoding", "--ignore-digest", "--durable", "--clients", "1"],
    ...["--tags", DENIED_TAGS.map((t) => `-${t}`).join(" ")],
    ...["--skipfile", skipFile, "--timeout", String(HARNESS_IDLE_SECONDS)],
    // Two harness runs at once on one machine need disjoint port ranges (the harness's own client port is
    // taken just below --baseport): REDIS_SUITE_BASEPORT picks one; the harness's default is 21111.
    ...(process.env.REDIS_SUITE_BASEPORT ? ["--baseport", process.env.REDIS_SUITE_BASEPORT] : []),
  ];
  return new Promise((res, rej) => {
    const child = spawn("tclsh", args, { cwd: suite, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString("latin1");
    });
    const timer = setTimeout(() => {
      out += `\n[exception]: killed after ${UNIT_MS_MAX / 1000} s\n`;
      child.kill("SIGKILL");
    }, UNIT_MS_MAX);
    child.once("error", rej);
    child.once("close", () => {
      clearTimeout(timer);
      res(out);
    });
  });
}

/** What {@link runUnits} needs. */
export interface SuiteRun {
  suite: string;
  units: readonly string[];
  target: TargetKind;
  /** test/redis-suite/skip.txt or another list in its format. */
  skipList: string;
  /** Called with each unit's result and raw output as it finishes (for progress and logs). */
  onUnit?: (result: UnitResult, output: string) => void;
}

/** Runs each unit against a fresh server of `target` in turn; resolves with the results in unit order. */
export async function runUnits(run: SuiteRun): Promise<UnitResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-rsuite-skip-"));
  const skipFile = writeHarnessSkipFile(run.skipList, dir);
  const results: UnitResult[] = [];
  try {
    for (const unit of run.units) {
      const startedMs = Date.now();
      const server = await run.target.start();
      let output: string;
      try {
        output = await runHarness(run.suite, unit, server.port, skipFile);
      } finally {
        await server.stop();
      }
      const seconds = Math.round((Date.now() - startedMs) / 100) / 10;
      const result = parseUnitOutput(unit, output, seconds);
      results.push(result);
      run.onUnit?.(result, output);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The units the vitest test asserts on (test/redis-suite/enabled.txt, one a line, `#` comments). */
export function enabledUnits(): Set<string> {
  const text = readFileSync(join(ROOT, "test", "redis-suite", "enabled.txt"), "utf8");
  return new Set(
    text
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter((l) => l !== ""),
  );
}

/** Whether `tclsh` runs (the harness's interpreter). */
export function hasTclsh(): boolean {
  return spawnSync("tclsh", [], { input: "exit 0\n" }).status === 0;
}
