/**
 * A private, throwaway real Redis (Debian's `redis-server`) for differential tests: a free port chosen by
 * binding a server to port 0 first (Redis 7.0 refuses `--port 0`), no persistence (`--save ""`,
 * `--appendonly no`) and its own temporary directory, stopped with SIGTERM and the directory removed.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** Whether `redis-server` is on the PATH (tests that need it skip otherwise). */
export const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

/** A running private redis-server. */
export interface RedisServerProcess {
  port: number;
  /** The `redis-server --version` line, for the test log. */
  version: string;
  stop(): Promise<void>;
}

/** Resolves once something accepts connections on `port`, trying every 20 ms for at most `attempts`. */
async function waitForPort(port: number, child: ChildProcess, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server did not listen on port ${port}`);
}

/** Starts redis-server on a free port of 127.0.0.1 with persistence off; at most ~5 s to come up. */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-redis-"));
  const port = await freePort();
  const version = spawnSync("redis-server", ["--version"]).stdout.toString().trim();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", [...args, "--dir", dir, "--logfile", ""], { stdio: "ignore" });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, 250);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, version, stop };
}
