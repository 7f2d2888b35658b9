/**
 * Lua scripting on `fusedb server` (src/server/scripting/, commands/script-commands.ts), Redis 7.0 semantics:
 * - conversions Lua → RESP (numbers truncated, true → 1, false/nil → null, tables → arrays up to the first
 *   nil, {ok=}, {err=}) and RESP → Lua (integers, bulk, null → false, status and error tables);
 * - redis.call raises a command's error (with Redis's `script: f_<sha>, on @user_script:N.` suffix),
 *   redis.pcall returns it; error_reply, status_reply, sha1hex; the sandbox (no os/io/loadfile, protected
 *   globals); math.random the same on every run;
 * - EVALSHA, SCRIPT LOAD/EXISTS/FLUSH, NOSCRIPT and argument errors; EVAL_RO and `#!lua flags=no-writes`
 *   refuse writes; SELECT inside a script leaves the caller's database alone;
 * - atomicity: a script's writes are one WAL record, reads inside it see its own writes, an error keeps
 *   the writes before it (Redis does not roll back);
 * - busy scripts: past `lua-time-limit` other clients get -BUSY, SCRIPT KILL stops a script that did not
 *   write, one that wrote is UNKILLABLE and its writes (made across time slices) still commit as one record;
 * - ioredis: EVAL and a defined command (EVALSHA with fallback to EVAL).
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { FuseDB as Engine } from "../src/db.js";
import { SystemClock } from "../src/index.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import type { MemClient } from "./helpers/mem-transport.js";
import { ManualClock, memServerClosedAfter, type ServerSetup, tcpServer } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const cleanups = cleanupsAfterEach();
const mem = (setup?: ServerSetup) => memServerClosedAfter(cleanups, setup);

/** Sends commands (each an array) and resolves with their replies. */
async function send(c: MemClient, ...commands: string[][]): Promise<unknown[]> {
  const before = c.replies.length;
  for (const cmd of commands) c.command(...cmd);
  await c.waitReplies(before + commands.length);
  return c.replies.slice(before, before + commands.length);
}

const EVAL = (body: string, ...rest: string[]) => ["EVAL", body, ...rest];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("EVAL conversions and the redis library", () => {
  it("converts Lua values to replies and replies to Lua values as Redis documents", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(
      await send(
        c,
        EVAL("return {1, 'two', {3.7, -2.9, true, false}, nil, 5}", "0"),
        EVAL("return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"),
        EVAL("local s = redis.call('set', 'k', 'v'); return type(s) .. ':' .. s.ok", "0"),
        EVAL("local v = redis.call('get', 'nokey'); return type(v) .. tostring(v)", "0"),
        EVAL(
          "return {redis.call('incr', 'n'), redis.call('get', 'n'), redis.call('lrange', 'nol', 0, -1)}",
          "0",
        ),
        EVAL("return {ok='FIXED'}", "0"),
        EVAL("return redis.status_reply('FINE')", "0"),
        EVAL("return {err='My Error'}", "0"),
        EVAL("return redis.error_reply('MY_CODE custom')", "0"),
        EVAL("return redis.error_reply('')", "0"),
        EVAL("return redis.error_reply('X\\r\\n+INJECTED')", "0"),
        EVAL("return redis.sha1hex('')", "0"),
        EVAL("return 3.99", "0"),
        EVAL("return nil", "0"),
        EVAL("return {KEYS[2], ARGV[2], #KEYS, #ARGV}", "2", "a", "b", "c", "d"),
      ),
    ).toEqual([
      [1, "two", [3, -2, 1, null]],
      "OK",
      "table:OK",
      "booleanfalse",
      [1, "1", []],
      "FIXED",
      "FINE",
      { error: "My Error" },
      { error: "MY_CODE custom" },
      { error: "ERR" },
      { error: "ERR X  +INJECTED" },
      "da39a3ee5e6b4b0d3255bfef95601890afd80709",
      3,
      null,
      ["b", "d", 2, 2],
    ]);
  });

  it("redis.call raises a command's error, redis.pcall returns it; argument errors", async () => {
    const { net } = await mem();
    const c = net.connect();
    await send(c, ["SET", "s", "text"]);
    const body = "return redis.call('incr', 's')";
    const replies = await send(
      c,
      EVAL(body, "0"),
      EVAL("local e = redis.pcall('incr', 's'); return e.err", "0"),
      EVAL("return redis.call('nosuch')", "0"),
      EVAL("return redis.call('get')", "0"),
      EVAL("return redis.call('multi')", "0"),
      EVAL("return redis.call()", "0"),
      EVAL("return redis.call('get', {})", "0"),
      EVAL("return x", "0"),
      EVAL("y = 1", "0"),
      EVAL("return os.time()", "0"),
      EVAL("return loadfile('/etc/passwd')", "0"),
      EVAL("return 'unterminated", "0"),
    );
    const sha = (await send(c, ["SCRIPT", "LOAD", body]))[0] as string;
    expect(replies).toEqual([
      { error: `ERR value is not an integer or out of range script: f_${sha}, on @user_script:1.` },
      "ERR value is not an integer or out of range",
      {
        error: expect.stringMatching(
          /^ERR Unknown Redis command called from script script: .* on @user_script:1\.$/,
        ),
      },
      { error: expect.stringMatching(/^ERR Wrong number of args calling Redis command from script/) },
      { error: expect.stringMatching(/^ERR This Redis command is not allowed from script/) },
      { error: expect.stringMatching(/^ERR Please specify at least one argument for this redis lib call/) },
      { error: expect.stringMatching(/^ERR Lua redis lib command arguments must be strings or integers/) },
      { error: expect.stringMatching(/Script attempted to access nonexistent global variable 'x'/) },
      { error: expect.stringMatching(/^ERR .*Attempt to modify a readonly table/) },
      { error: expect.stringMatching(/nonexistent global variable 'os'/) },
      { error: expect.stringMatching(/nonexistent global variable 'loadfile'/) },
      { error: expect.stringMatching(/^ERR Error compiling script \(new function\): user_script:1: /) },
    ]);
  });

  it("math.random: a new sequence per run, the same sequence per server start; redis.log", async () => {
    const body = "redis.log(redis.LOG_WARNING, 'hello'); return {math.random(1000000), math.random(1000000)}";
    const runs: unknown[][] = [];
    for (let i = 0; i < 2; i++) {
      const { net } = await mem();
      runs.push(await send(net.connect(), EVAL(body, "0"), EVAL(body, "0")));
    }
    expect(runs[0]).toEqual(runs[1]);
    const [a, b] = runs[0] as number[][];
    expect(a).not.toEqual(b);
    expect((a as number[])[0]).not.toEqual((a as number[])[1]);
  });

  it("cjson encodes and decodes as lua-cjson; bit works on 32-bit integers", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(
      await send(
        c,
        EVAL("return cjson.encode({1, 'a/b', {x = true}, {}})", "0"),
        EVAL("return cjson.encode({n = 1.5})", "0"),
        EVAL(
          `cjson.decode_max_depth(1); cjson.encode_max_depth(1)
           local r = {pcall(cjson.decode, '{"o": {"a": 1}}'), pcall(cjson.encode, {{1}}), cjson.encode({1})}
           cjson.decode_max_depth(1000); cjson.encode_max_depth(1000)
           return {tostring(r[1]), tostring(r[2]), r[3]}`,
          "0",
        ),
        EVAL("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')", "0"),
        EVAL(
          "local d = cjson.decode(ARGV[1]); return {d.a, d.b[2], tostring(d.c == cjson.null)}",
          "0",
          '{"a":"x","b":[1,2],"c":null}',
        ),
        EVAL("local t = {}; t[false] = 1; return {pcall(cjson.encode, t)}", "0"),
        EVAL(
          "return {bit.band(7, 3), bit.bor(1, 2, 4), bit.bxor(1, 3), bit.lshift(1, 31), bit.tohex(65535, -2147483648), bit.tohex(-1, 4)}",
          "0",
        ),
      ),
    ).toEqual([
      '[1,"a\\/b",{"x":true},{}]',
      '{"n":1.5}',
      ["false", "false", "[1]"],
      "0 -5000 -1 0.0003 1023.2 0",
      ["x", 2, "true"],
      [null, "Cannot serialise table: table key must be a number or string"],
      [3, 7, 2, -2147483648, "0000FFFF", "ffff"],
    ]);
  });

  it("globals and library tables are read-only; the sandbox survives tricks", async () => {
    const { net } = await mem();
    const c = net.connect();
    const tricks = [
      "setmetatable(_G, {})",
      "local g = getmetatable(_G); g.__index = {}",
      "redis = function() return 1 end",
      "_G = {}",
      "redis.call = function() return 1 end",
      "string.upper = nil",
      "getmetatable('').__index = function() return 1 end",
      "rawset(_G, 'KEYS', 1)",
      "cjson.encode = nil",
      "bit.band = nil",
    ];
    const replies = await send(c, ...tricks.map((t) => EVAL(t, "0")));
    for (const r of replies) {
      expect(r).toEqual({ error: expect.stringMatching(/^ERR .*Attempt to modify a readonly table/) });
    }
    expect(
      await send(
        c,
        EVAL("return {redis.call('ping'), string.upper('a'), ('b'):upper(), KEYS[1]}", "1", "k"),
        EVAL("return loadstring(string.dump(function() return 1 end))", "0"),
        EVAL("local a = {}; local b = {a}; a[1] = b; return a", "0"),
      ),
    ).toEqual([["PONG", "A", "B", "k"], null, expect.any(Array)]);
  });
});

describe("script cache and read-only scripts", () => {
  it("EVALSHA, SCRIPT LOAD/EXISTS/FLUSH, NOSCRIPT, numkeys errors", async () => {
    const { net } = await mem();
    const c = net.connect();
    const [sha] = await send(c, ["SCRIPT", "LOAD", "return ARGV[1]"]);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(
      await send(
        c,
        ["EVALSHA", sha as string, "0", "hi"],
        ["EVALSHA", (sha as string).toUpperCase(), "0", "hi"],
        ["SCRIPT", "EXISTS", sha as string, "0".repeat(40)],
        ["SCRIPT", "FLUSH"],
        ["EVALSHA", sha as string, "0", "hi"],
        ["EVAL", "return 1", "2", "a"],
        ["EVAL", "return 1", "-1"],
        ["EVAL", "return 1", "x"],
        ["SCRIPT", "KILL"],
      ),
    ).toEqual([
      "hi",
      "hi",
      [1, 0],
      "OK",
      { error: "NOSCRIPT No matching script. Please use EVAL." },
      { error: "ERR Number of keys can't be greater than number of args" },
      { error: "ERR Number of keys can't be negative" },
      { error: "ERR value is not an integer or out of range" },
      { error: "NOTBUSY No scripts in execution right now." },
    ]);
  });

  it("EVAL_RO and no-writes scripts refuse writes; SELECT in a script is the script's own", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(
      await send(
        c,
        ["SET", "k", "v"],
        ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"],
        ["EVAL_RO", "return redis.call('set', 'k', 'x')", "0"],
        EVAL("#!lua flags=no-writes\nreturn redis.call('del', 'k')", "0"),
        EVAL("redis.call('select', 3); redis.call('set', 'k', 'in3'); return redis.call('get', 'k')", "0"),
        ["GET", "k"],
        ["SELECT", "3"],
        ["GET", "k"],
      ),
    ).toEqual([
      "OK",
      "v",
      { error: expect.stringMatching(/^ERR Write commands are not allowed from read-only scripts\./) },
      { error: expect.stringMatching(/^ERR Write commands are not allowed from read-only scripts\./) },
      "in3",
      "v",
      "OK",
      "in3",
    ]);
  });
});

describe("atomicity", () => {
  it("a script's writes are one WAL record; it reads its own writes; an error keeps earlier writes", async () => {
    const db = await Engine.open({ dir: "db", fs: new TestDisk(), clock: new ManualClock() });
    const { net } = await mem({ db });
    const c = net.connect();
    await send(c, ["SET", "s", "text"]);
    const lsn = db.stats().durableLsn;
    const body = `
      for i = 1, 50 do redis.call('rpush', KEYS[1], i) end
      redis.call('hset', KEYS[2], 'f', redis.call('llen', KEYS[1]))
      redis.call('incr', 's')
      redis.call('set', 'after', 'never')`;
    const [reply] = await send(c, EVAL(body, "2", "l", "h"));
    expect(reply).toEqual({ error: expect.stringMatching(/^ERR value is not an integer/) });
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect(await send(c, ["LLEN", "l"], ["HGET", "h", "f"], ["EXISTS", "after"])).toEqual([50, "50", 0]);
    const pcalled = `local e = redis.pcall('incr', 's'); redis.call('set', 'after2', 'yes')
      return {e.err, redis.call('get', 's'), redis.call('get', 'after2')}`;
    expect(await send(c, EVAL(pcalled, "0"))).toEqual([
      ["ERR value is not an integer or out of range", "text", "yes"],
    ]);
    expect(db.stats().durableLsn).toBe(lsn + 2);
    const before = db.stats().durableLsn;
    expect(await send(c, EVAL("return redis.call('get', 's')", "0"))).toEqual(["text"]);
    expect(db.stats().durableLsn).toBe(before); // a script that writes nothing adds no record
  });
});

describe("reads from disk", () => {
  it("a script whose commands need reads from disk (rerun slices) still commits one record", async () => {
    const disk = new TestDisk();
    const clock = new ManualClock();
    const db = await Engine.open({ dir: "db", fs: disk, clock });
    const first = await mem({ db });
    const c = first.net.connect();
    const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`);
    for (const k of keys) await send(c, ["SET", k, "1".repeat(500)]);
    await send(c, ["SAVE"]);
    await first.server.close();
    const reopened = await Engine.open({ dir: "db", fs: disk, clock });
    const { net } = await mem({ db: reopened });
    const d = net.connect();
    const lsn = reopened.stats().durableLsn;
    const body = `local n = 0
      for i = 1, #KEYS do n = n + redis.call('strlen', KEYS[i]); redis.call('append', KEYS[i], 'x') end
      return {n, redis.call('strlen', KEYS[1])}`;
    expect(await send(d, EVAL(body, String(keys.length), ...keys))).toEqual([[300 * 500, 501]]);
    expect(reopened.stats().durableLsn).toBe(lsn + 1);
    expect(await send(d, ["STRLEN", "key:299"])).toEqual([501]);
  });
});

describe("busy scripts", () => {
  it("past lua-time-limit others get BUSY; SCRIPT KILL stops a script that did not write", async () => {
    const { net } = await mem({ directives: [["lua-time-limit", "20"]] });
    const [a, b, k] = [net.connect(), net.connect(), net.connect()];
    const running = send(a, EVAL("local n = 0; while true do n = n + 1 end", "0"));
    await sleep(100);
    expect(await send(b, ["PING"], ["CONFIG", "GET", "busy-reply-threshold"])).toEqual([
      { error: "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." },
      { error: expect.stringMatching(/^BUSY /) },
    ]);
    expect(await send(b, ["MULTI"], ["INCR", "x"])).toEqual([
      "OK",
      { error: expect.stringMatching(/^BUSY /) },
    ]);
    expect(await send(k, ["SCRIPT", "KILL"])).toEqual(["OK"]);
    expect(await running).toEqual([
      { error: expect.stringMatching(/^ERR Script killed by user with SCRIPT KILL\.\.\. script: f_/) },
    ]);
    expect(await send(b, ["EXEC"], ["PING"], ["GET", "x"])).toEqual([
      { error: "EXECABORT Transaction discarded because of previous errors." },
      "PONG",
      null,
    ]);
  });

  it("SCRIPT KILL ends a script whose pcall catches errors, and the time limit survives a caught error", async () => {
    const { net } = await mem({ directives: [["lua-time-limit", "20"]] });
    const [a, b] = [net.connect(), net.connect()];
    const body = `pcall(error, 'caught')
      local f = function() while true do redis.call('ping') end end
      while true do pcall(f) end`;
    const running = send(a, EVAL(body, "0"));
    await sleep(100);
    expect(await send(b, ["PING"], ["SCRIPT", "KILL"])).toEqual([
      { error: expect.stringMatching(/^BUSY /) },
      "OK",
    ]);
    expect(await running).toEqual([
      {
        error: expect.stringMatching(
          /^ERR Script killed by user with SCRIPT KILL\.\.\. script: f_\w+, on @user_script:\d\.$/,
        ),
      },
    ]);
    expect(await send(b, ["PING"])).toEqual(["PONG"]);
  });

  it("a busy script that wrote is UNKILLABLE; its writes across slices commit as one record", async () => {
    const db = await Engine.open({ dir: "db", fs: new TestDisk(), clock: new SystemClock() });
    const { net } = await mem({ db, directives: [["lua-time-limit", "20"]] });
    const [a, b] = [net.connect(), net.connect()];
    const lsn = db.stats().durableLsn;
    const body = `
      redis.call('set', 'first', '1')
      local t = 0
      for i = 1, 400 do
        redis.call('incr', 'count')
        for j = 1, 20000 do t = t + j end
      end
      return {redis.call('get', 'count'), redis.call('get', 'first')}`;
    const running = send(a, EVAL(body, "0"));
    await sleep(80);
    expect(await send(b, ["GET", "count"], ["SCRIPT", "KILL"])).toEqual([
      { error: expect.stringMatching(/^BUSY /) },
      { error: expect.stringMatching(/^UNKILLABLE Sorry the script already executed write commands/) },
    ]);
    expect(await running).toEqual([["400", "1"]]);
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect(await send(b, ["GET", "count"])).toEqual(["400"]);
  });
});

describe("stopping", () => {
  it("the server stops during a busy script that wrote: the script ends and commits nothing", async () => {
    const disk = new TestDisk();
    const clock = new SystemClock();
    const db = await Engine.open({ dir: "db", fs: disk, clock });
    const { server, net } = await mem({ db, directives: [["lua-time-limit", "10"]] });
    const a = net.connect();
    const lsn = db.stats().durableLsn;
    void send(a, EVAL("redis.call('set', 'w', '1'); while true do end", "0")).catch(() => undefined);
    await sleep(60);
    await server.close();
    const reopened = await Engine.open({ dir: "db", fs: disk, clock });
    expect(reopened.stats().durableLsn).toBe(lsn);
    await reopened.close();
  });
});

describe("clients", () => {
  it("ioredis: eval and a defined command", async () => {
    const { server, port } = await tcpServer();
    const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
    cleanups.push(async () => {
      r.disconnect();
      await server.close();
    });
    await r.connect();
    r.defineCommand("limited", {
      numberOfKeys: 1,
      lua: `local n = redis.call('incr', KEYS[1])
            if n == 1 then redis.call('pexpire', KEYS[1], ARGV[2]) end
            if n > tonumber(ARGV[1]) then return 0 end
            return 1`,
    });
    const limited = (r as unknown as { limited(k: string, max: number, ms: number): Promise<number> })
      .limited;
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(await limited.call(r, "rate:u1", 3, 60_000));
    expect(got).toEqual([1, 1, 1, 0]);
    expect(await r.eval("return {KEYS[1], ARGV[1]}", 1, "k", "a")).toEqual(["k", "a"]);
    expect(await r.pttl("rate:u1")).toBeGreaterThan(0);
  });
});
