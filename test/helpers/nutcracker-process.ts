/**
 * Debian's nutcracker (twemproxy 0.5.0) as a child process in front of Redis-protocol servers: its YAML
 * config generated from a list of backends, a free listen port and a free stats port (the default 22222
 * would collide between tests), its log in a file beside the config.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Cleanup } from "./cleanups.js";
import { freePort, waitForPort } from "./free-port.js";

/** Whether `nutcracker` is on the PATH (tests that need it skip otherwise; CI installs it: .ci/run). */
export const hasNutcracker = spawnSync("nutcracker", ["--version"]).status === 0;

/** One backend of the pool: where it listens and its name (the ketama hash is over the name). */
export interface NutcrackerBackend {
  port: number;
  name: string;
}

/** The pool's settings that a test may change; the rest are fixed in {@link nutcrackerConfig}. */
export interface NutcrackerPool {
  listenPort: number;
  backends: NutcrackerBackend[];
  /** Sent by nutcracker as `AUTH` on every new backend connection (redis_auth). */
  auth?: string;
  /** Sent by nutcracker as `SELECT` on every new backend connection when not 0 (redis_db). */
  db?: number;
}

/**
 * The YAML of one pool named `fusedb`: Redis protocol, ketama consistent hashing over the backend names,
 * hosts never ejected (a key's owner never changes, so a restarted backend serves its own keys again),
 * and a 2 s request timeout. Pure: the same pool gives the same text.
 */
export function nutcrackerConfig(pool: NutcrackerPool): string {
  const lines = [
    "fusedb:",
    `  listen: 127.0.0.1:${pool.listenPort}`,
    "  redis: true",
    "  hash: fnv1a_64",
    "  distribution: ketama",
    "  auto_eject_hosts: false",
    "  server_retry_timeout: 500",
    "  server_failure_limit: 1",
    "  timeout: 2000",
    "  preconnect: true",
  ];
  if (pool.auth !== undefined) lines.push(`  redis_auth: ${pool.auth}`);
  if (pool.db !== undefined) lines.push(`  redis_db: ${pool.db}`);
  lines.push("  servers:");
  for (const b of pool.backends) lines.push(`    - 127.0.0.1:${b.port}:1 ${b.name}`);
  return `${lines.join("\n")}\n`;
}

/** A running nutcracker. */
export interface NutcrackerProcess {
  port: number;
  child: ChildProcess;
  /** Its log so far (connections to backends opened and closed, errors). */
  log(): string;
}

/**
 * Writes the config into `dir`, checks it (`nutcracker -t`), starts nutcracker on a free port in front of
 * `backends` and waits (at most ~5 s) until it accepts connections; `cleanups` SIGKILLs it after the test.
 * @throws Error with nutcracker's output when the config test fails or it does not come up.
 */
export async function startNutcracker(
  dir: string,
  pool: Omit<NutcrackerPool, "listenPort">,
  cleanups: Cleanup[],
): Promise<NutcrackerProcess> {
  const port = await freePort();
  const statsPort = await freePort();
  const conf = join(dir, "nutcracker.yml");
  const logFile = join(dir, "nutcracker.log");
  writeFileSync(conf, nutcrackerConfig({ ...pool, listenPort: port }));
  const check = spawnSync("nutcracker", ["-t", "-c", conf]);
  if (check.status !== 0) throw new Error(`nutcracker -t: ${check.stderr.toString()}`);
  const args = ["-c", conf, "-s", String(statsPort), "-a", "127.0.0.1", "-o", logFile, "-v", "6"];
  const child = spawn("nutcracker", args, { stdio: "ignore" });
  cleanups.push(async () => child.kill("SIGKILL"));
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  try {
    await waitForPort(port, () => child.exitCode !== null, 250);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${log()}`);
  }
  return { port, child, log };
}
