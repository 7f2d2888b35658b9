/**
 * Two Redis-protocol servers behind Debian's nutcracker (twemproxy 0.5.0; ketama over the backend names,
 * auto_eject_hosts false), reached with node-redis through the proxy. Invariants checked:
 * - crash of one shard mid-stream: while SET and INCR stream through the proxy, one backend is SIGKILLed,
 *   restarted on the same directory and port, and then every acknowledged SET is readable through the
 *   proxy with its value, every counter is at least its largest acknowledged INCR reply and at most the
 *   INCRs sent; the kill was seen (some writes failed), the other shard kept acknowledging writes while it
 *   was down, both shards hold keys, and the restarted one holds keys acknowledged before the kill and
 *   after the restart (direct reads on each backend); the read-back can fail (a write claimed but never
 *   made is reported);
 * - the same test against two Debian redis-servers (`--appendonly yes --appendfsync always`) proves the
 *   harness: it must pass there. The fusedb variant is skipped, its title saying why, while the server's
 *   command table lacks SET, INCR or GET (string commands come with issue 14);
 * - nutcracker's backend handshake is accepted by `fusedb server`: with redis_db it sends SELECT, and key
 *   commands through the proxy act on that database; with redis_auth it sends AUTH (and answers the
 *   client's AUTH itself). Not both at once: nutcracker 0.5.0 sends SELECT before AUTH, which a
 *   password-protected server refuses (NOAUTH) — Redis 7.0 too — so the proxy would stay in database 0.
 * Skipped, with a message, when nutcracker (or redis-server, for its variant) is not installed (.ci/run).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@redis/client";
import { describe, expect, it } from "vitest";
import { buildCommandTable } from "../src/server/commands/all.js";
import { type Ledger, startWriteStream, until } from "./helpers/acked-writes.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { freePort, waitForPort } from "./helpers/free-port.js";
import { spawnFusedbServer, waitForOutput } from "./helpers/fusedb-process.js";
import { hasNutcracker, startNutcracker } from "./helpers/nutcracker-process.js";
import { hasRedisServer } from "./helpers/redis-server-process.js";

const cleanups = cleanupsAfterEach();

/** Longest a whole crash test may take (two cold starts of the server from sources, then a restart). */
const CRASH_TEST_MS = 240_000;
/** Writes acknowledged before the kill, while the backend is down, and after the restart (at least). */
const ACKED_BEFORE_KILL = 600;
const ACKED_WHILE_DOWN = 100;
const ACKED_AFTER_RESTART = 600;
const WORKERS = 8;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-proxy-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Client = ReturnType<typeof createClient>;

/**
 * A node-redis client of `port`. nutcracker closes the connection on any command it does not know, so the
 * client must send none on connect: RESP2 (no `HELLO 3`), no `CLIENT SETINFO` (disableClientInfo), no
 * `CLIENT MAINT_NOTIFICATIONS` (maintNotifications "disabled"); node-redis 6 sends all three by default.
 */
async function client(port: number, options: Parameters<typeof createClient>[0] = {}): Promise<Client> {
  const c = createClient({
    url: `redis://127.0.0.1:${port}`,
    RESP: 2,
    disableClientInfo: true,
    maintNotifications: "disabled",
    ...options,
  });
  c.on("error", () => undefined);
  await c.connect();
  cleanups.push(async () => c.destroy());
  return c;
}

/** One backend server on a fixed port and directory, which a test can SIGKILL and start again. */
interface Backend {
  name: string;
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

function killer(get: () => ChildProcess | undefined): () => Promise<void> {
  return async () => {
    const child = get();
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
}

function fusedbBackend(name: string, dir: string, port: number, extra: string[] = []): Backend {
  let child: ChildProcess | undefined;
  return {
    name,
    port,
    start: async () => {
      const server = spawnFusedbServer([dir, "--port", String(port), ...extra], cleanups);
      child = server.child;
      await waitForOutput(server, /ready: /);
    },
    kill: killer(() => child),
  };
}

function redisBackend(name: string, dir: string, port: number): Backend {
  let child: ChildProcess | undefined;
  return {
    name,
    port,
    start: async () => {
      const durable = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...durable];
      const started = spawn("redis-server", [...args, "--logfile", ""], { stdio: "ignore" });
      child = started;
      cleanups.push(async () => started.kill("SIGKILL"));
      await waitForPort(port, () => started.exitCode !== null, 250);
    },
    kill: killer(() => child),
  };
}

type MakeBackend = (name: string, dir: string, port: number) => Backend;

async function twoBackends(make: MakeBackend): Promise<[Backend, Backend]> {
  const root = tempDir();
  const made: Backend[] = [];
  for (const name of ["shard-a", "shard-b"]) {
    mkdirSync(join(root, name));
    made.push(make(name, join(root, name), await freePort()));
  }
  const [a, b] = made;
  if (a === undefined || b === undefined) throw new Error("two backends");
  await Promise.all([a.start(), b.start()]);
  return [a, b];
}

/** Reads back through the proxy what the ledger promises; returns the broken promises (none expected). */
async function brokenPromises(proxy: Client, ledger: Ledger): Promise<string[]> {
  const broken: string[] = [];
  const values = await Promise.all(ledger.sets.map((s) => proxy.get(s.key)));
  ledger.sets.forEach((s, i) => {
    if (values[i] !== s.value) broken.push(`${s.key}: acknowledged ${s.value}, read ${values[i]}`);
  });
  for (const [key, sent] of ledger.counterSent) {
    const value = Number(await proxy.get(key));
    const acked = ledger.counterAckedMax.get(key) ?? 0;
    if (value < acked || value > sent) broken.push(`${key}: ${value} outside [${acked}, ${sent}]`);
  }
  return broken;
}

/** Of the acknowledged SETs issued in `phase`, how many `backend` holds (read directly, not via the proxy). */
async function heldBy(backend: Backend, ledger: Ledger, phase: Ledger["sets"][number]["phase"]) {
  const direct = await client(backend.port);
  const keys = ledger.sets.filter((s) => s.phase === phase).map((s) => s.key);
  const found = await Promise.all(keys.map((k) => direct.exists(k)));
  return found.reduce((n, f) => n + f, 0);
}

/** The crash test on backends made by `make`. */
async function crashBehindProxy(make: MakeBackend) {
  const [kept, victim] = await twoBackends(make);
  const proxy = await startNutcracker(tempDir(), { backends: [kept, victim] }, cleanups);
  const viaProxy = await client(proxy.port);
  const stream = startWriteStream((args) => viaProxy.sendCommand(args), WORKERS);
  const { ledger } = stream;
  await until(() => ledger.acked >= ACKED_BEFORE_KILL, 60_000, "writes before the kill");
  await victim.kill();
  stream.phase = "down";
  const ackedAtKill = ledger.acked;
  await until(
    () => ledger.failed >= 20 && ledger.acked >= ackedAtKill + ACKED_WHILE_DOWN,
    60_000,
    "failed and acknowledged writes while a shard is down",
  );
  // Writes issued from here may reach the victim as soon as it listens, before start() returns.
  stream.phase = "restarting";
  await victim.start();
  stream.phase = "after-restart";
  const ackedAtRestart = ledger.acked;
  await until(() => ledger.acked >= ackedAtRestart + ACKED_AFTER_RESTART, 60_000, "writes after restart");
  await stream.stop();
  console.log(
    `proxy crash: ${ledger.acked} acknowledged, ${ledger.failed} failed, e.g. ${ledger.failureSamples[0]}`,
  );
  expect(await brokenPromises(viaProxy, ledger)).toEqual([]);
  // The check can fail: a write never made, claimed as acknowledged, is reported.
  const claimed = { ...ledger, sets: [{ key: "never-written", value: "x", phase: "down" as const }] };
  expect(await brokenPromises(viaProxy, { ...claimed, counterSent: new Map() })).toHaveLength(1);
  expect(ledger.failed).toBeGreaterThan(0);
  expect(ledger.sets.filter((s) => s.phase === "down").length).toBeGreaterThan(0);
  // Written while the victim was dead: all on the shard that stayed up.
  expect(await heldBy(victim, ledger, "down")).toBe(0);
  expect(await heldBy(victim, ledger, "before-kill")).toBeGreaterThan(0);
  expect(await heldBy(victim, ledger, "after-restart")).toBeGreaterThan(0);
  expect(await heldBy(kept, ledger, "after-restart")).toBeGreaterThan(0);
}

/** The commands the crash test sends that fusedb server's command table lacks (SET/INCR/GET: issue 14). */
const missingStringCommands = ["SET", "INCR", "GET"].filter((n) => buildCommandTable().get(n) === undefined);

describe.skipIf(!hasNutcracker)("nutcracker in front of two servers", () => {
  it.skipIf(!hasRedisServer)(
    "redis-server (the harness's proof): SIGKILL a shard mid-stream, restart it, every acknowledged write is read back",
    async () => {
      await crashBehindProxy((name, dir, port) => redisBackend(name, dir, port));
    },
    CRASH_TEST_MS,
  );

  it.skipIf(missingStringCommands.length > 0)(
    `fusedb server: SIGKILL a shard mid-stream, restart it, every acknowledged write is read back${
      missingStringCommands.length > 0
        ? ` (skipped: no ${missingStringCommands.join("/")} yet, issue 14)`
        : ""
    }`,
    async () => {
      await crashBehindProxy((name, dir, port) => fusedbBackend(name, dir, port));
    },
    CRASH_TEST_MS,
  );

  it(
    "fusedb server accepts nutcracker's backend handshake: redis_db (SELECT), then redis_auth (AUTH)",
    async () => {
      const [a, b] = await twoBackends((name, dir, port) => fusedbBackend(name, dir, port));
      const directs = await Promise.all([a, b].map((s) => client(s.port)));
      // The same document in database 3 of both shards, written directly: whichever owns it, it is there.
      for (const d of directs) {
        await d.select(3);
        expect(await d.sendCommand(["JSON.SET", "doc", "$", '{"n":1}'])).toBe("OK");
      }
      const selecting = await startNutcracker(tempDir(), { backends: [a, b], db: 3 }, cleanups);
      const inDb3 = await client(selecting.port);
      expect(await inDb3.exists("doc")).toBe(1);
      expect(await inDb3.type("doc")).toBe("ReJSON-RL");
      expect(await inDb3.exists("absent")).toBe(0);
      expect(await inDb3.del("doc")).toBe(1);
      expect(await inDb3.exists("doc")).toBe(0);
      const left = await Promise.all(directs.map((d) => d.exists("doc")));
      expect(left.reduce((n, x) => n + x, 0)).toBe(1);
      // Now with a password (the direct connections stay authenticated, as in Redis).
      for (const d of directs) {
        expect(await d.configSet("requirepass", "s3cret")).toBe("OK");
        await d.select(0);
        expect(await d.sendCommand(["JSON.SET", "doc2", "$", "2"])).toBe("OK");
      }
      const authing = await startNutcracker(tempDir(), { backends: [a, b], auth: "s3cret" }, cleanups);
      const withPassword = await client(authing.port, { password: "s3cret" });
      expect(await withPassword.exists("doc2")).toBe(1);
      expect(await withPassword.pTTL("doc2")).toBe(-1);
    },
    CRASH_TEST_MS,
  );
});
