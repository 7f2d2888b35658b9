/**
 * Real Redis clients, unchanged, against `fusedb server` on 127.0.0.1 (issue 15, judge 2). Invariants:
 * - ioredis, RESP2 and RESP3: connects (its INFO ready check), a pipeline answers in request order with a
 *   failing command's ReplyError in its own slot, MULTI/EXEC answers each command, a command refused while
 *   queueing aborts EXEC with EXECABORT, a WATCH conflict gives a null EXEC, auto-pipelining keeps order,
 *   and SUBSCRIBE/PSUBSCRIBE deliver `message` and `pmessage`; its password, username, db and
 *   connectionName options work (a wrong password surfaces WRONGPASS);
 * - node-redis (`redis`, with its JSON module), RESP2 and RESP3: JSON helpers, MULTI/EXEC and
 *   execAsPipeline, WatchError, pub/sub (and PING on a subscribed RESP3 connection), HELLO 3 as a map,
 *   errors as its ErrorReply;
 * - many connections incrementing one counter at once all succeed and none is lost (JSON.NUMINCRBY once
 *   starved under contention), and redis-benchmark runs without a CONFIG warning and counts exactly;
 * - redis-cli: interactive on a pseudo-terminal (prompt follows SELECT, errors shown), commands from a
 *   non-terminal stdin, and `--pipe` mass insertion of 10,000 RESP-encoded commands, then DBSIZE and reads;
 * - redis-py (Debian's python3-redis): test/helpers/redis_py_smoke.py passes.
 * Tools that are not installed skip their tests (CI installs them: .ci/run).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis, type RedisOptions, ReplyError } from "ioredis";
import { createClient, ErrorReply, WatchError } from "redis";
import { describe, expect, it } from "vitest";
import { open } from "../src/index.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { type ServerSetup, tcpServer } from "./helpers/resp-server.js";

const cleanups = cleanupsAfterEach();

const has = (tool: string, args: string[]) => spawnSync(tool, args).status === 0;
const hasRedisCli = has("redis-cli", ["--version"]);
const hasBenchmark = has("redis-benchmark", ["--version"]);
const hasScript = has("script", ["--version"]);
/** Debian's python3 (python3-redis installs there), else whichever python3 is first on PATH. */
const python = ["/usr/bin/python3", "python3"].find((p) => has(p, ["-c", "import redis"]));

async function started(setup: ServerSetup = {}): Promise<number> {
  const s = await tcpServer(setup);
  cleanups.push(() => s.server.close());
  return s.port;
}

/** A server on an engine on disk (fdatasync before each reply), in a directory removed after the test. */
async function startedOnDisk(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-clients-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return started({ db: await open(dir) });
}

function ioredis(port: number, options: RedisOptions = {}): Redis {
  const c = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, ...options });
  c.on("error", () => undefined);
  cleanups.push(async () => c.disconnect());
  return c;
}

async function nodeRedis(port: number, RESP: 2 | 3) {
  const c = createClient({ url: `redis://127.0.0.1:${port}`, RESP });
  c.on("error", () => undefined);
  await c.connect();
  cleanups.push(() => c.close());
  return c;
}

/** Resolves once `check` holds, looking every 10 ms, at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waitedMs = 0; !check(); waitedMs += 10) {
    if (waitedMs > 5000) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a command to its end; resolves with its stdout, stderr and exit code. */
function run(
  cmd: string,
  args: string[],
  input = "",
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(input);
  });
}

describe.each([2, 3] as const)("ioredis, RESP%s", (protocol) => {
  it("pipeline in order with an error in its slot, MULTI/EXEC, EXECABORT and WATCH", async () => {
    const port = await started();
    const c = ioredis(port, { protocol });
    expect(await c.ping()).toBe("PONG");
    const piped = await c
      .pipeline()
      .call("JSON.SET", "n", "$", "1")
      .call("JSON.NUMINCRBY", "n", ".", "2")
      .call("NOPE")
      .call("JSON.GET", "n")
      .exec();
    // RedisJSON 2.8: a legacy-path NUMINCRBY answers the number's text in RESP2, an array in RESP3.
    expect(piped?.map(([, reply]) => reply)).toEqual(["OK", protocol === 3 ? [3] : "3", undefined, "3"]);
    const failed = piped?.[2]?.[0];
    expect(failed).toBeInstanceOf(ReplyError);
    expect(failed?.message).toMatch(/^ERR unknown command 'NOPE'/);
    await expect(c.call("JSON.NUMINCRBY", "absent", ".", "1")).rejects.toBeInstanceOf(ReplyError);

    const tx = await c
      .multi()
      .call("JSON.SET", "a", "$", "7")
      .call("JSON.SET", "b", "$", "7")
      .call("JSON.GET", "a")
      .exec();
    expect(tx).toEqual([
      [null, "OK"],
      [null, "OK"],
      [null, "7"],
    ]);
    await expect(c.multi().call("JSON.SET", "c", "$", "1").call("NOPE").exec()).rejects.toThrow(/^EXECABORT/);
    expect(await c.exists("c")).toBe(0);

    const watcher = ioredis(port, { protocol });
    await watcher.watch("a");
    await c.call("JSON.SET", "a", "$", "8");
    expect(await watcher.multi().call("JSON.SET", "a", "$", "9").exec()).toBeNull();
    expect(await c.call("JSON.GET", "a")).toBe("8");
  });

  it("auto-pipelining keeps order; SELECT, keys and expiry; pub/sub delivers", async () => {
    const port = await started();
    const c = ioredis(port, { protocol, enableAutoPipelining: true });
    await c.call("JSON.SET", "hits", "$", "0");
    const counted = await Promise.all(
      Array.from({ length: 200 }, () => c.call("JSON.NUMINCRBY", "hits", ".", "1")),
    );
    expect(counted).toEqual(
      Array.from({ length: 200 }, (_, i) => (protocol === 3 ? [i + 1] : String(i + 1))),
    );
    expect(await c.expire("hits", 100)).toBe(1);
    expect(await c.ttl("hits")).toBe(100);
    expect(await c.type("hits")).toBe("ReJSON-RL");
    const other = ioredis(port, { protocol, db: 4 });
    expect(await other.dbsize()).toBe(0);
    expect(await c.dbsize()).toBe(1);

    const sub = ioredis(port, { protocol });
    const got: string[] = [];
    sub.on("message", (channel: string, message: string) => got.push(`${channel}:${message}`));
    sub.on("pmessage", (pattern: string, channel: string, message: string) =>
      got.push(`${pattern}>${channel}:${message}`),
    );
    await sub.subscribe("news");
    await sub.psubscribe("n*");
    expect(await c.publish("news", "hello")).toBe(2);
    await until(() => got.length === 2);
    expect(got.sort()).toEqual(["n*>news:hello", "news:hello"]);
  });
});

describe("ioredis, connection options", () => {
  it("password, named user, database and connection name", async () => {
    const port = await started({
      directives: [
        ["requirepass", "topsecret"],
        ["user", "alice", "on", ">wonderland", "~*", "+@all"],
      ],
    });
    const admin = ioredis(port, { password: "topsecret", connectionName: "admin" });
    const alice = ioredis(port, { username: "alice", password: "wonderland", db: 7, connectionName: "al" });
    await alice.call("JSON.SET", "mine", "$", "1");
    expect(await alice.dbsize()).toBe(1);
    expect(await admin.dbsize()).toBe(0);
    const list = String(await admin.client("LIST"));
    expect(list).toMatch(/name=al .*db=7 .*user=alice/);
    expect(list).toMatch(/name=admin .*db=0 .*user=default/);
    // A wrong password: ioredis reports the server's WRONGPASS as an error event, then gives up.
    const wrong = ioredis(port, {
      username: "alice",
      password: "wrong",
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const seen: string[] = [];
    wrong.on("error", (err: Error) => seen.push(err.message));
    await wrong.connect().catch(() => undefined);
    expect(seen.join("\n")).toMatch(/WRONGPASS invalid username-password pair/);
  });
});

describe.each([2, 3] as const)("node-redis, RESP%s", (RESP) => {
  it("JSON helpers, MULTI/EXEC, execAsPipeline, WatchError, ErrorReply, pub/sub", async () => {
    const port = await started();
    const c = await nodeRedis(port, RESP);
    expect(await c.json.set("doc", "$", { a: [1, 2], s: "é" })).toBe("OK");
    expect(await c.json.get("doc")).toEqual({ a: [1, 2], s: "é" });
    expect(await c.json.type("doc")).toBe("object");
    expect(await c.json.type("doc", { path: "$" })).toEqual(["object"]);
    // RESP2 answers the JSON text "[3]"; RESP3 an array of numbers: node-redis gives [3] from either.
    await c.json.set("n", "$", 1);
    expect(await c.json.numIncrBy("n", "$", 2)).toEqual([3]);
    expect(await c.json.numIncrBy("n", "$", 0.5)).toEqual([3.5]);
    expect(await c.multi().json.set("k1", "$", 5).json.set("k2", "$", 5).json.get("k1").exec()).toEqual([
      "OK",
      "OK",
      5,
    ]);
    const piped = await c.multi().json.set("p", "$", 1).json.get("p").execAsPipeline();
    expect(piped).toEqual(["OK", 1]);
    await expect(c.sendCommand(["NOPE"])).rejects.toBeInstanceOf(ErrorReply);
    // A command refused while queueing: the whole transaction is discarded (node-redis throws that error).
    await expect(c.multi().json.set("never", "$", 1).addCommand(["NOPE"]).exec()).rejects.toBeInstanceOf(
      ErrorReply,
    );
    expect(await c.exists("never")).toBe(0);

    const watcher = c.duplicate();
    watcher.on("error", () => undefined);
    await watcher.connect();
    cleanups.push(() => watcher.close());
    await watcher.watch("k1");
    await c.json.set("k1", "$", 6);
    await expect(watcher.multi().json.set("k1", "$", 7).exec()).rejects.toBeInstanceOf(WatchError);
    expect(await c.json.get("k1")).toBe(6);

    const sub = c.duplicate();
    sub.on("error", () => undefined);
    await sub.connect();
    cleanups.push(() => sub.close());
    const got: string[] = [];
    await sub.subscribe("ch", (message, channel) => got.push(`${channel}:${message}`));
    await sub.pSubscribe("c*", (message, channel) => got.push(`c*>${channel}:${message}`));
    // RESP3 lets a subscribed connection run ordinary commands; over RESP2, PING answers ["pong", ""].
    expect(await sub.ping()).toBe(RESP === 3 ? "PONG" : "pong");
    expect(await c.publish("ch", "yo")).toBe(2);
    await until(() => got.length === 2);
    expect(got.sort()).toEqual(["c*>ch:yo", "ch:yo"]);
    await sub.unsubscribe("ch");
    await sub.pUnsubscribe("c*");
    expect(await c.publish("ch", "again")).toBe(0);
  });

  it("the connection speaks the protocol asked for (HELLO, CLIENT INFO)", async () => {
    const port = await started();
    const c = await nodeRedis(port, RESP);
    expect(String(await c.sendCommand(["CLIENT", "INFO"]))).toContain(` resp=${RESP} `);
    const hello = await c.sendCommand(["HELLO", String(RESP)]);
    // RESP3 answers a map (an object here); RESP2 a flat array.
    if (RESP === 3) expect(hello).toMatchObject({ server: "redis", version: "7.0.15", proto: 3 });
    else expect(hello).toEqual(expect.arrayContaining(["server", "redis", "proto", 2]));
  });
});

describe("many clients on one counter", () => {
  it("every concurrent JSON.NUMINCRBY of one key succeeds and counts", async () => {
    const port = await startedOnDisk();
    const clients = Array.from({ length: 8 }, () => ioredis(port));
    await clients[0]?.call("JSON.SET", "hot", "$", "0");
    const rounds = 13;
    const inFlight = 4;
    const total = clients.length * rounds * inFlight;
    const replies = await Promise.all(
      clients.map(async (c) => {
        const mine: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const batch = Array.from({ length: inFlight }, () => c.call("JSON.NUMINCRBY", "hot", ".", "1"));
          for (const r of await Promise.all(batch)) mine.push(Number(r));
        }
        return mine;
      }),
    );
    const all = replies.flat().sort((a, b) => a - b);
    // Each increment saw a distinct count: 1..N, none lost, none doubled.
    expect(all).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await clients[0]?.call("JSON.GET", "hot")).toBe(String(total));
  });

  it.skipIf(!hasBenchmark)("redis-benchmark: 20 clients, pipelines of 16, an exact count", async () => {
    const port = await startedOnDisk();
    const c = ioredis(port);
    await c.call("JSON.SET", "bench", "$", "0");
    const n = 4000;
    const args = ["-p", String(port), "-c", "20", "-P", "16", "-n", String(n), "-q"];
    const out = await run("redis-benchmark", [...args, "JSON.NUMINCRBY", "bench", ".", "1"]);
    expect(out.stdout + out.stderr).not.toMatch(/WARNING|Error/);
    expect(out.code).toBe(0);
    expect(await c.call("JSON.GET", "bench")).toBe(String(n));
  });
});

describe.skipIf(!hasRedisCli)("redis-cli", () => {
  it.skipIf(!hasScript)("interactive on a pseudo-terminal", async () => {
    const port = await started();
    // `script` gives redis-cli a terminal; TERM=dumb keeps its line editor plain (no hints, no colours).
    const child = spawn("script", ["-qfec", `redis-cli -p ${port}`, "/dev/null"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, TERM: "dumb" },
    });
    cleanups.push(async () => child.kill("SIGKILL"));
    const commands = ["JSON.SET k $ 42", "JSON.GET k", "SELECT 2", "DBSIZE", "NOPE x", "quit"];
    let out = "";
    let sent = 0;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      // A cursor-position query from the line editor: answer as a terminal would.
      if (d.includes("\x1b[6n")) child.stdin.write("\x1b[1;1R");
      if (/> $/.test(out) && sent < commands.length) child.stdin.write(`${commands[sent++]}\r`);
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await exited;
    const p = `127.0.0.1:${port}`;
    expect(out.replace(/\r/g, "")).toBe(
      `${p}> JSON.SET k $ 42\nOK\n${p}> JSON.GET k\n"42"\n${p}> SELECT 2\nOK\n${p}[2]> DBSIZE\n(integer) 0\n` +
        `${p}[2]> NOPE x\n(error) ERR unknown command 'NOPE', with args beginning with: 'x' \n${p}[2]> quit\n`,
    );
  });

  it("commands from a non-terminal stdin, one per line", async () => {
    const port = await started();
    const input = 'JSON.SET a $ "\\"x y\\""\nJSON.GET a\nEXISTS a b\nDEL a\nNOPE\n';
    const out = await run("redis-cli", ["-p", String(port)], input);
    expect(out.stdout).toBe(`OK\n"x y"\n1\n1\nERR unknown command 'NOPE', with args beginning with: \n\n`);
  });

  it("--pipe mass insertion of 10,000 RESP-encoded commands", async () => {
    const port = await startedOnDisk();
    const n = 10_000;
    const resp = (...args: string[]) =>
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
    const input = Array.from({ length: n }, (_, i) =>
      resp("JSON.SET", `user:${i}`, "$", JSON.stringify({ i, name: `name ${i} ✓` })),
    ).join("");
    const piped = await run("redis-cli", ["-p", String(port), "--pipe"], input);
    expect(piped.stdout).toContain(`errors: 0, replies: ${n}`);
    expect(piped.code).toBe(0);
    expect((await run("redis-cli", ["-p", String(port), "DBSIZE"])).stdout).toBe(`${n}\n`);
    const c = ioredis(port);
    for (const i of [0, 4321, n - 1]) {
      expect(JSON.parse(String(await c.call("JSON.GET", `user:${i}`)))).toEqual({ i, name: `name ${i} ✓` });
    }
  });
});

describe.skipIf(python === undefined)("redis-py", () => {
  it("the smoke script passes", async () => {
    const port = await started();
    const out = await run(python as string, [
      join(import.meta.dirname, "helpers", "redis_py_smoke.py"),
      String(port),
    ]);
    expect(out.stderr).toBe("");
    expect(out.stdout).toMatch(/^redis-py ok: \d+ checks\n$/);
    expect(out.code).toBe(0);
  });
});
