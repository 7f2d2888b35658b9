/**
 * Behaviours Redis 7.0.15's units type/string, type/hash and type/set check (issue 15), held here too so a
 * regression shows without the Tcl suite. Invariants checked:
 * - MEMORY USAGE answers an integer for a live key of every type (more for a bigger collection, SAMPLES 0
 *   reading every element), nil for a missing key, and Redis's errors for bad options;
 * - SINTERCARD, SPOP and SRANDMEMBER refuse bad numkeys and counts with Redis's exact texts;
 * - SRANDMEMBER and SPOP draw uniformly from a small set: every member of a 50-member set shows up, and
 *   the counts over a 10-member set pass Redis's own chi-square bound (the server's draws are
 *   deterministic, so this is not flaky);
 * - `fusedb server` (the command) stores and returns a 4 MB string (type/string's "Very big payload").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { spawnFusedbServer, waitForOutput } from "./helpers/fusedb-process.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

const cleanups = cleanupsAfterEach();

/** Redis's test helper chi_square_value: the statistic of `draws` against equal counts per value seen. */
function chiSquare(draws: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const d of draws) counts.set(d, (counts.get(d) ?? 0) + 1);
  const expected = Math.floor(draws.length / counts.size);
  let x2 = 0;
  for (const n of counts.values()) x2 += (n - expected) ** 2 / expected;
  return x2;
}

const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

describe("MEMORY USAGE", () => {
  it("an integer per live key of every type, nil for a missing one, Redis's errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "SET", "s", "x".repeat(100));
    await call(c, "HSET", "h", "a", "1", "b", "2");
    await call(c, "SADD", "small", "a");
    await call(c, "SADD", "big", ...range(200));
    await call(c, "RPUSH", "l", "a", "b");
    await call(c, "ZADD", "z", "1", "a");
    await call(c, "JSON.SET", "doc", "$", '{"a":1}');
    for (const k of ["s", "h", "small", "big", "l", "z", "doc"]) {
      expect(typeof (await call(c, "MEMORY", "USAGE", k)), k).toBe("number");
    }
    expect(await call(c, "MEMORY", "USAGE", "s")).toBeGreaterThan(100);
    const small = (await call(c, "MEMORY", "USAGE", "small")) as number;
    const big = (await call(c, "MEMORY", "USAGE", "big")) as number;
    expect(big).toBeGreaterThan(small * 50);
    const all = (await call(c, "MEMORY", "USAGE", "big", "SAMPLES", "0")) as number;
    expect(all).toBeGreaterThan(small * 50);
    expect(await call(c, "MEMORY", "USAGE", "missing")).toBe(null);
    expect(errorOf(await call(c, "MEMORY", "USAGE", "s", "SAMPLES", "-1"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "MEMORY", "USAGE", "s", "SAMPLES", "a"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorOf(await call(c, "MEMORY", "USAGE", "s", "SAMPLES"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "MEMORY", "USAGE", "s", "foo"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "MEMORY", "USAGE"))).toBe(
      "ERR wrong number of arguments for 'memory|usage' command",
    );
    expect(errorOf(await call(c, "MEMORY", "NOPE"))).toBe("ERR unknown subcommand 'NOPE'. Try MEMORY HELP.");
  });
});

describe("set commands' argument errors (Redis 7.0's texts)", () => {
  it("SINTERCARD numkeys, SPOP and SRANDMEMBER counts", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "SADD", "s", "a", "b");
    const numkeys = "ERR numkeys should be greater than 0";
    expect(errorOf(await call(c, "SINTERCARD", "0", "s"))).toBe(numkeys);
    expect(errorOf(await call(c, "SINTERCARD", "a", "s"))).toBe(numkeys);
    expect(errorOf(await call(c, "SINTERCARD", "99999999999999999999", "s"))).toBe(numkeys);
    const positive = "ERR value is out of range, must be positive";
    expect(errorOf(await call(c, "SPOP", "s", "-1"))).toBe(positive);
    expect(errorOf(await call(c, "SPOP", "s", "a"))).toBe(positive);
    expect(errorOf(await call(c, "SPOP", "s", "9223372036854775808"))).toBe(positive);
    expect(((await call(c, "SPOP", "s", "9223372036854775807")) as string[]).sort()).toEqual(["a", "b"]);
    await call(c, "SADD", "s", "a", "b");
    expect(errorOf(await call(c, "SRANDMEMBER", "s", "-9223372036854775808"))).toBe(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    expect(errorOf(await call(c, "SRANDMEMBER", "s", "a"))).toBe(
      "ERR value is not an integer or out of range",
    );
    // fusedb bounds repeating draws (Redis would try to build the reply).
    expect(errorOf(await call(c, "SRANDMEMBER", "s", "-9223372036854775807"))).toBe(
      "ERR value is out of range",
    );
    expect(((await call(c, "SRANDMEMBER", "s", "9223372036854775807")) as string[]).sort()).toEqual([
      "a",
      "b",
    ]);
  });
});

describe("SRANDMEMBER and SPOP draw uniformly from a small set", () => {
  it("every member of a 50-member set shows up; a 10-member set passes the chi-square bound", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "SADD", "fifty", ...range(50));
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 50; i++) {
      for (const m of (await call(c, "SRANDMEMBER", "fifty", "-10")) as string[]) seen.add(m);
    }
    expect(seen.size).toBe(50);
    const distinct = new Set<string>();
    for (let i = 0; i < 100 && distinct.size < 50; i++) {
      for (const m of (await call(c, "SRANDMEMBER", "fifty", "5")) as string[]) distinct.add(m);
    }
    expect(distinct.size).toBe(50);

    // Redis's histogram test: df = 9, 40 means a probability of 0.00001.
    const mixed = ["1", "5", "10", "50", "125", "MARY", "PATRICIA", "LINDA", "BARBARA", "ELIZABETH"];
    await call(c, "SADD", "ten", ...mixed);
    expect(chiSquare((await call(c, "SRANDMEMBER", "ten", "-1000")) as string[])).toBeLessThan(40);
    const positive: string[] = [];
    for (let i = 0; i < 250; i++) positive.push(...((await call(c, "SRANDMEMBER", "ten", "4")) as string[]));
    expect(chiSquare(positive)).toBeLessThan(40);
    const popped: string[] = [];
    for (let i = 0; i < 300; i++) {
      await call(c, "SADD", "pop", ...mixed);
      popped.push((await call(c, "SPOP", "pop")) as string);
    }
    expect(chiSquare(popped)).toBeLessThan(40);
  });
});

/** Sends one command as RESP on a raw socket and resolves with the whole reply's bytes once `done` says so. */
function exchange(port: number, args: string[], done: (reply: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      const reply = Buffer.concat(chunks);
      if (done(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on("error", reject);
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
  });
}

describe("fusedb server (the command) and large strings", () => {
  it("stores and returns a 4 MB string (Redis's proto-max-bulk-len allows it; the library's 1 MiB does not)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fusedb-big-string-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const server = spawnFusedbServer([join(dir, "data"), "--port", "0"], cleanups);
    const port = Number((await waitForOutput(server, /ready: 127\.0\.0\.1:(\d+)/))[1]);
    const big = "abcd".repeat(1_000_000);
    const set = await exchange(port, ["SET", "foo", big], (r) => r.includes("\r\n"));
    expect(set.toString("latin1")).toBe("+OK\r\n");
    const header = `$${big.length}\r\n`;
    const got = await exchange(port, ["GET", "foo"], (r) => r.length >= header.length + big.length + 2);
    expect(got.toString("latin1")).toBe(`${header}${big}\r\n`);
  }, 120_000);
});
