/**
 * `fusedb server` with real clients over real TCP on 127.0.0.1 (node-redis, redis-cli when installed, a
 * raw socket), and the command as a process. Invariants checked:
 * - node-redis in RESP2 and RESP3: PING; a pipeline of interleaved writes and reads in one tick replies
 *   in request order and every read sees the writes before it on its connection; HELLO 3 gives a map;
 * - SELECT isolates databases between clients; AUTH with requirepass and a named user (node-redis's
 *   password and username options), NOAUTH without; CLIENT LIST shows names and lib-name; INFO fields;
 * - a malformed request gets Redis's error line and closes only its own connection, which is closed for
 *   real (a peer still sending gets a reset, as from Redis; unit/protocol's desync test);
 * - redis-cli: PING, JSON.SET/GET, RESP3 (-3), and `--pipe` mass insertion (every reply, no error);
 * - acknowledged writes are on disk: after the server stops, the engine reopened finds them;
 * - `fusedb server DIR --port 0 --config FILE` starts with a redis.conf-style file (a quoted password),
 *   serves, and on SIGTERM stops cleanly (exit 0) with the data durable.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@redis/client";
import { describe, expect, it } from "vitest";
import { open } from "../src/index.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { spawnFusedbServer, waitForOutput } from "./helpers/fusedb-process.js";
import { tcpServer } from "./helpers/resp-server.js";

const cleanups = cleanupsAfterEach();

/** A fresh directory, removed after the test (after everything the test started in it is stopped). */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-server-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Client = ReturnType<typeof createClient>;

async function client(port: number, options: Parameters<typeof createClient>[0] = {}): Promise<Client> {
  const c = createClient({ url: `redis://127.0.0.1:${port}`, ...options });
  c.on("error", () => undefined);
  await c.connect();
  cleanups.push(() => c.close());
  return c;
}

async function started(setup: Parameters<typeof tcpServer>[0] = {}) {
  const s = await tcpServer(setup);
  cleanups.push(() => s.server.close());
  return s;
}

/** Sends `request` on a fresh socket and resolves with the first `lines` reply lines received. */
function rawExchange(port: number, request: string, lines: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (text.split("\r\n").length > lines) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on("error", reject);
    socket.write(request);
  });
}

const hasRedisCli = spawnSync("redis-cli", ["--version"]).status === 0;

describe("node-redis", () => {
  it.each([2, 3] as const)(
    "RESP%s: PING, and a one-tick pipeline replies in order and reads its own writes",
    async (resp) => {
      const { port } = await started();
      const c = await client(port, { RESP: resp });
      expect(await c.ping()).toBe("PONG");
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) {
        pending.push(c.sendCommand(["JSON.SET", `doc${i % 7}`, "$", JSON.stringify({ i })]));
        pending.push(c.sendCommand(["JSON.GET", `doc${i % 7}`]));
        if (i === 0) pending.push(c.sendCommand(["JSON.SET", "n", "$", "0"]));
        pending.push(c.sendCommand(["JSON.NUMINCRBY", "n", ".", "1"]));
      }
      const replies = await Promise.all(pending);
      let at = 0;
      for (let i = 0; i < 100; i++) {
        expect(replies[at++]).toBe("OK");
        expect(replies[at++]).toBe(JSON.stringify({ i }));
        if (i === 0) expect(replies[at++]).toBe("OK");
        // RedisJSON 2.8: a legacy-path NUMINCRBY answers the number's text in RESP2, an array in RESP3.
        expect(replies[at++]).toEqual(resp === 2 ? String(i + 1) : [i + 1]);
      }
      const hello = (await c.sendCommand(["HELLO", "3"])) as Record<string, unknown> | unknown[];
      expect(Array.isArray(hello) ? hello : Object.entries(hello).flat()).toEqual(
        expect.arrayContaining(["proto", 3, "version", "7.0.15"]),
      );
    },
  );

  it("SELECT isolation, AUTH, CLIENT LIST and INFO", async () => {
    const { port } = await started({
      directives: [
        ["requirepass", "topsecret"],
        ["user", "alice", "on", ">wonderland", "~*", "+@all"],
      ],
    });
    expect(await rawExchange(port, "PING\r\n", 1)).toBe("-NOAUTH Authentication required.\r\n");
    const zero = await client(port, { password: "topsecret", name: "zero" });
    const five = await client(port, {
      username: "alice",
      password: "wonderland",
      name: "five",
      database: 5,
      RESP: 3,
    });
    await zero.sendCommand(["JSON.SET", "shared", "$", '"in zero"']);
    await five.sendCommand(["JSON.SET", "shared", "$", '"in five"']);
    expect(await zero.sendCommand(["JSON.GET", "shared"])).toBe('"in zero"');
    expect(await five.sendCommand(["JSON.GET", "shared"])).toBe('"in five"');
    expect(await five.sendCommand(["DBSIZE"])).toBe(1);
    const list = String(await zero.sendCommand(["CLIENT", "LIST"]));
    expect(list).toMatch(/name=zero .* db=0 .* user=default .*lib-name=node-redis/);
    expect(list).toMatch(/name=five .* db=5 .* user=alice redir=-1 resp=3 /);
    const info = String(await zero.sendCommand(["INFO"]));
    expect(info).toContain("redis_version:7.0.15\r\n");
    expect(info).toContain("blocked_clients:0\r\n");
    expect(Number(/connected_clients:(\d+)\r\n/.exec(info)?.[1])).toBeGreaterThanOrEqual(2);
    expect(info).toContain("db0:keys=1,expires=0,avg_ttl=0\r\ndb5:keys=1,expires=0,avg_ttl=0\r\n");
  });

  it("a malformed request gets Redis's error and closes only its own connection", async () => {
    const { port } = await started();
    const good = await client(port);
    const raw = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    raw.on("data", (d: Buffer) => received.push(d));
    const closed = new Promise<void>((resolve) => raw.on("close", () => resolve()));
    raw.write("PING\r\n*1\r\nfoo\r\nPING\r\n");
    await closed;
    expect(Buffer.concat(received).toString()).toBe(
      "+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n",
    );
    expect(await good.ping()).toBe("PONG");
  });

  it("a peer that keeps sending after a protocol error is cut off, not left blocked (Redis's desync test)", async () => {
    const { port } = await started();
    // allowHalfOpen: the server's FIN alone does not close this side; only a real close (a reset) stops it.
    const raw = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    raw.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => raw.on("close", () => resolve()));
    let open = true;
    void closed.then(() => {
      open = false;
    });
    raw.write("\x00");
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    // Bounded: at most 64 MB written; the server refuses the line at 64 KiB and closes the socket.
    for (let sent = 0; open && sent < 64 * 1024 * 1024; sent += chunk.length) {
      if (!raw.write(chunk)) await Promise.race([new Promise((r) => raw.once("drain", r)), closed]);
    }
    await closed;
  });

  it("acknowledged writes are on disk once the server stops", async () => {
    const dir = tempDir();
    const db = await open(dir);
    const { port, server } = await started({ db });
    const c = await client(port);
    const value = { text: "héllo ✓", big: "x".repeat(100_000) };
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.sendCommand(["JSON.SET", `k${i}`, "$", JSON.stringify({ ...value, i })]),
      ),
    );
    await c.close();
    await server.close();
    const again = await open(dir);
    cleanups.push(() => again.close());
    for (let i = 0; i < 50; i++)
      expect((await again.get(Buffer.from(`\x00k${i}`, "latin1")))?.value).toEqual({ ...value, i });
  });
});

describe.skipIf(!hasRedisCli)("redis-cli", () => {
  /** redis-cli in a child process (asynchronous: the server runs in this process). */
  const cli = (port: number, args: string[], input?: string): Promise<{ stdout: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn("redis-cli", ["-p", String(port), ...args], { stdio: ["pipe", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.on("error", reject);
      child.on("exit", () => resolve({ stdout }));
      child.stdin.end(input ?? "");
    });

  it("PING, JSON.SET/GET, RESP3 and --pipe mass insertion", async () => {
    const { port } = await started();
    expect((await cli(port, ["PING"])).stdout).toBe("PONG\n");
    expect((await cli(port, ["JSON.SET", "k", "$", '{"a":[1,2]}'])).stdout).toBe("OK\n");
    expect((await cli(port, ["JSON.GET", "k", "$"])).stdout).toBe('[{"a":[1,2]}]\n');
    expect((await cli(port, ["-3", "CLIENT", "INFO"])).stdout).toMatch(/ resp=3 /);
    const n = 2000;
    const lines = Array.from({ length: n }, (_, i) => `JSON.SET key:${i} $ ${i}\r\n`).join("");
    const piped = await cli(port, ["--pipe"], lines);
    expect(piped.stdout).toContain(`errors: 0, replies: ${n}`);
    expect((await cli(port, ["DBSIZE"])).stdout).toBe(`${n + 1}\n`);
    expect((await cli(port, ["JSON.GET", "key:1999"])).stdout).toBe("1999\n");
  });
});

describe("fusedb server (the command)", () => {
  it("starts from a config file, serves, and stops cleanly on SIGTERM", async () => {
    const dir = tempDir();
    const conf = join(dir, "fusedb.conf");
    writeFileSync(conf, '# test config\nrequirepass "p w"\ntimeout 0\nprotected-mode yes\n');
    const server = spawnFusedbServer([join(dir, "data"), "--port", "0", "--config", conf], cleanups);
    const port = Number((await waitForOutput(server, /ready: 127\.0\.0\.1:(\d+)/))[1]);
    const c = await client(port, { password: "p w" });
    expect(await c.sendCommand(["JSON.SET", "after", "$", '"signal"'])).toBe("OK");
    expect(JSON.stringify(await c.sendCommand(["CONFIG", "GET", "dir"]))).toContain(join(dir, "data"));
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("SIGTERM: stopping");
    expect(server.output()).toContain("fusedb server: stopped");
    const db = await open(join(dir, "data"));
    cleanups.push(() => db.close());
    expect((await db.get(Buffer.from("\x00after", "latin1")))?.value).toBe("signal");
  });
});
