/**
 * The processes of `npm run bench:server`: `fusedb server` (the built CLI, bin/fusedb.js) and Debian's
 * `redis-server` with `--appendonly yes --appendfsync always`, each on 127.0.0.1 with its own data
 * directory; a one-command probe over a raw socket; and redis-benchmark runs parsed from `--csv`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import {
  type BenchmarkFigures,
  type CellOutcome,
  isUnknownCommand,
  parseBenchmarkCsv,
} from "./server-report.js";

/** Longest wait for a server to accept connections. */
const START_MS_MAX = 60_000;
/** Longest wait for a server to exit after SIGTERM before it is SIGKILLed. */
const STOP_MS_MAX = 30_000;

/** A server under test. */
export interface RunningServer {
  port: number;
  child: ChildProcess;
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

/** Stops `server` with SIGTERM (SIGKILL after {@link STOP_MS_MAX}) and waits for its exit. */
export async function stopServer(server: RunningServer): Promise<void> {
  const exited = exitOf(server.child);
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), STOP_MS_MAX);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the built `fusedb server DIR --port 0 --appendfsync always` and resolves once it prints its port.
 * @throws Error with its output when it exits or does not print "ready" within {@link START_MS_MAX}.
 */
export function startFusedb(dir: string): Promise<RunningServer> {
  const bin = join(import.meta.dirname, "..", "bin", "fusedb.js");
  const args = [bin, "server", dir, "--port", "0", "--appendfsync", "always"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      child.kill("SIGKILL");
      reject(new Error(`fusedb server ${why}: ${out}`));
    };
    const timer = setTimeout(() => fail("did not start"), START_MS_MAX);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /ready: 127\.0\.0\.1:(\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), child });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fusedb server exited (${code}): ${out}`));
    });
  });
}

/** A port of 127.0.0.1 that was free a moment ago (redis-server 7.0 refuses `--port 0`). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts `redis-server --appendonly yes --appendfsync always` (no RDB snapshots) on a free port with
 * `dir` as its data directory, and resolves once it accepts connections.
 * @throws Error when it exits or does not listen within {@link START_MS_MAX}.
 */
export async function startRedis(dir: string): Promise<RunningServer> {
  const port = await freePort();
  const durable = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...durable, "--logfile", ""];
  const child = spawn("redis-server", args, { stdio: "ignore" });
  const deadline = Date.now() + START_MS_MAX;
  // Bounded by START_MS_MAX.
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, child };
}

/** RESP's array-of-bulk-strings encoding of one command. */
function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(""));
}

/**
 * Sends one command on a fresh connection and resolves with the first line of the reply (`-ERR ...` for an
 * error), within 10 s.
 * @throws Error when the connection fails, closes first or the reply does not come in time.
 */
export function firstReplyLine(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => finish(new Error(`no reply to ${args[0]} within 10 s`)), 10_000);
    const finish = (result: string | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (typeof result === "string") resolve(result);
      else reject(result);
    };
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      const end = text.indexOf("\r\n");
      if (end >= 0) finish(text.slice(0, end));
    });
    socket.on("error", (e) => finish(e));
    socket.on("close", () => finish(new Error(`connection closed before a reply to ${args[0]}`)));
    socket.write(encodeCommand(args));
  });
}

/** n/a when the server answers `probe` with an unknown-command error, an error outcome for any other error. */
export async function probeServer(port: number, probe: readonly string[]): Promise<CellOutcome | undefined> {
  const line = await firstReplyLine(port, probe);
  if (!line.startsWith("-")) return undefined;
  const reason = line.slice(1);
  return isUnknownCommand(reason) ? { kind: "n/a", reason } : { kind: "error", reason };
}

/** The load of one redis-benchmark run. */
export interface BenchmarkLoad {
  clients: number;
  requests: number;
  keyspace: number;
  valueBytes: number;
}

/**
 * Runs `redis-benchmark -t TEST -P PIPELINE --csv` (with `load`) against `port` and returns its figures for
 * the test, or an error outcome (the server's error text when it printed one).
 */
export function runBenchmark(port: number, test: string, pipeline: number, load: BenchmarkLoad) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-t", test, "-P", String(pipeline), "--csv"];
  args.push("-c", String(load.clients), "-n", String(load.requests));
  args.push("-r", String(load.keyspace), "-d", String(load.valueBytes));
  return new Promise<CellOutcome>((resolve) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => resolve(benchmarkOutcome(test, out, code)));
  });
}

/** The outcome of one redis-benchmark run from its output and exit code (exported for the tests). */
export function benchmarkOutcome(test: string, output: string, exitCode: number | null): CellOutcome {
  const serverError = /Error from server: (.*)/.exec(output)?.[1];
  if (serverError !== undefined)
    return isUnknownCommand(serverError)
      ? { kind: "n/a", reason: serverError }
      : { kind: "error", reason: serverError };
  if (exitCode !== 0) return { kind: "error", reason: `redis-benchmark exited ${exitCode}: ${output}` };
  try {
    // A test's line starts with its name ("LRANGE_100 (first 100 elements)").
    const named = (f: BenchmarkFigures) => f.test.split(" ")[0]?.toLowerCase() === test.toLowerCase();
    const row = parseBenchmarkCsv(output).find(named);
    if (row === undefined) return { kind: "error", reason: `no ${test} line in ${JSON.stringify(output)}` };
    return { kind: "ok", figures: row };
  } catch (e) {
    return { kind: "error", reason: (e as Error).message };
  }
}

/** The first line of `command --version`, or "unknown". */
export function versionOf(command: string): string {
  const r = spawnSync(command, ["--version"]);
  return r.status === 0 ? (r.stdout.toString().split("\n")[0] ?? "unknown").trim() : "unknown";
}
