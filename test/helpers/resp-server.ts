/**
 * Builds RESP servers for tests: over the in-memory network (test/helpers/mem-transport.ts) or real TCP on
 * 127.0.0.1 with an OS-chosen port, on an engine in memory unless the test passes one.
 */
import type { Clock, FuseDB } from "../../src/index.js";
import { open, SystemClock } from "../../src/index.js";
import { listenTcp, listenTls, type TlsSettings } from "../../src/io/node-listener.js";
import type { Listener } from "../../src/io/transport.js";
import type { CommandTable } from "../../src/server/command-table.js";
import { buildCommandTable } from "../../src/server/commands/all.js";
import { ServerConfig } from "../../src/server/config.js";
import type { ProcessInfo } from "../../src/server/context.js";
import { RespServer } from "../../src/server/server.js";
import type { Cleanup } from "./cleanups.js";
import { MemListener } from "./mem-transport.js";

export const TEST_PROCESS: ProcessInfo = {
  pid: 4242,
  runId: "0123456789abcdef0123456789abcdef01234567",
  executable: "/test/fusedb",
  os: "Test OS",
  archBits: 64,
  nodeVersion: "v20",
  memory: () => ({ rssBytes: 1 << 20, heapUsedBytes: 1 << 19 }),
  cpuUsage: () => ({ userMicros: 1_500_000, systemMicros: 250_042 }),
};

export interface ServerSetup {
  /** redis.conf directives: [name, ...args]. */
  directives?: string[][];
  db?: FuseDB;
  clock?: Clock;
  table?: CommandTable;
  log?: string[];
}

async function build(setup: ServerSetup, listener: Listener): Promise<{ server: RespServer; db: FuseDB }> {
  const config = new ServerConfig();
  for (const [name, ...args] of setup.directives ?? []) config.apply(name as string, args);
  const clock = setup.clock ?? new SystemClock();
  const db = setup.db ?? (await open("mem", { durability: "memory", clock }));
  const server = new RespServer({
    db,
    clock,
    config,
    table: setup.table ?? buildCommandTable(),
    listeners: [listener],
    process: TEST_PROCESS,
    version: "0.1.0-test",
    log: (line) => setup.log?.push(line),
  });
  server.start();
  return { server, db };
}

/** A server on the in-memory network. */
export async function memServer(
  setup: ServerSetup = {},
): Promise<{ server: RespServer; db: FuseDB; net: MemListener }> {
  const net = new MemListener();
  return { ...(await build(setup, net)), net };
}

/** A {@link memServer} that `cleanups` (test/helpers/cleanups.ts) closes after the test. */
export async function memServerClosedAfter(
  cleanups: Cleanup[],
  setup: ServerSetup = {},
): Promise<{ server: RespServer; db: FuseDB; net: MemListener }> {
  const s = await memServer(setup);
  cleanups.push(() => s.server.close());
  return s;
}

/** A server on 127.0.0.1, port chosen by the OS. */
export async function tcpServer(
  setup: ServerSetup = {},
): Promise<{ server: RespServer; db: FuseDB; port: number }> {
  const listener = await listenTcp("127.0.0.1", 0);
  return { ...(await build(setup, listener)), port: listener.port };
}

/** A server on 127.0.0.1 over TLS only, port chosen by the OS; handshake failures go to `setup.log`. */
export async function tlsServer(
  setup: ServerSetup,
  tls: TlsSettings,
): Promise<{ server: RespServer; db: FuseDB; port: number }> {
  const listener = await listenTls("127.0.0.1", 0, tls, (m) => setup.log?.push(`TLS: ${m}`));
  return { ...(await build(setup, listener)), port: listener.port };
}

/** A clock the test moves: `sleep` resolves once `advance` has passed its deadline. */
export class ManualClock implements Clock {
  private nowMs: number;
  private sleepers: { at: number; wake: () => void }[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.nowMs + ms, wake }));
  }

  /** Calls `fire` once `advance` has passed `ms` from now, unless cancelled first. */
  timer(ms: number, fire: () => void): () => void {
    const sleeper = { at: this.nowMs + ms, wake: fire };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  /** Resolves at once: this clock never holds back a scan's pacing. */
  yield(): Promise<void> {
    return Promise.resolve();
  }

  /** Moves time forward and wakes every sleeper whose deadline passed. */
  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.sleepers.filter((s) => s.at <= this.nowMs);
    this.sleepers = this.sleepers.filter((s) => s.at > this.nowMs);
    for (const s of due) s.wake();
  }
}
