/**
 * Data commands on today's documents, reply by reply, over the in-memory network on a manual Clock:
 * - SELECT isolates databases (a key in one is absent from every other), FLUSHDB empties one database and
 *   FLUSHALL all, in one engine batch; DBSIZE counts per database; errors for bad indexes;
 * - DEL/UNLINK count the distinct keys that existed (and write nothing for absent ones), EXISTS counts
 *   repeats, TYPE is ReJSON-RL or none;
 * - EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT as Redis 7 combines them (every option must
 *   pass), Redis's 64-bit overflow checks (`invalid expire time`), a time in the past deletes, TTL/PTTL/EXPIRETIME/PEXPIRETIME (-2 absent, -1 no expiry, TTL rounded), PERSIST; keys expire
 *   on the Clock;
 * - JSON.SET (NX/XX at the root, invalid JSON), JSON.GET (legacy and $ shapes, several paths,
 *   INDENT/NEWLINE/SPACE), JSON.MGET, JSON.MERGE (RFC 7396), JSON.NUMINCRBY (integer keeps the TTL, float,
 *   absent key, not a number), JSON.DEL/FORGET, JSON.TYPE;
 * - FUSEDB.VERSION/GET/SETIFVERSION/DELIFVERSION and the VERSIONCONFLICT error.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";

describe("databases", () => {
  it("SELECT isolates; FLUSHDB one database; FLUSHALL every one; DBSIZE per database", async () => {
    const { net, db } = await memServer();
    const c = net.connect();
    expect(errorOf(await call(c, "SELECT", "16"))).toBe("ERR DB index is out of range");
    expect(errorOf(await call(c, "SELECT", "01"))).toBe("ERR value is not an integer or out of range");
    await call(c, "JSON.SET", "k", "$", '"zero"');
    await call(c, "JSON.SET", "", "$", '"empty key"');
    expect(await call(c, "SELECT", "1")).toBe("OK");
    expect(await call(c, "JSON.GET", "k")).toBe(null);
    expect(await call(c, "EXISTS", "k", "")).toBe(0);
    await call(c, "JSON.SET", "k", "$", '"one"');
    expect(await call(c, "DBSIZE")).toBe(1);
    await call(c, "SELECT", "0");
    expect(await call(c, "JSON.GET", "k")).toBe('"zero"');
    expect(await call(c, "JSON.GET", "")).toBe('"empty key"');
    expect(await call(c, "DBSIZE")).toBe(2);
    const other = net.connect();
    await call(other, "SELECT", "1");
    expect(await call(other, "FLUSHDB")).toBe("OK");
    expect(await call(other, "DBSIZE")).toBe(0);
    expect(await call(c, "DBSIZE")).toBe(2);
    await call(other, "JSON.SET", "x", "$", "1");
    const lsn = db.stats().durableLsn;
    expect(await call(c, "FLUSHALL", "SYNC")).toBe("OK");
    expect(db.stats().durableLsn).toBe(lsn + 1); // one batch: one WAL record
    expect(await call(c, "DBSIZE")).toBe(0);
    expect(await call(other, "DBSIZE")).toBe(0);
    expect(errorOf(await call(c, "FLUSHDB", "LATER"))).toBe("ERR syntax error");
  });
});

describe("keys", () => {
  it("DEL/UNLINK count what existed, EXISTS counts repeats, TYPE", async () => {
    const { net, db } = await memServer();
    const c = net.connect();
    await call(c, "JSON.SET", "a", "$", "1");
    await call(c, "JSON.SET", "b", "$", "2");
    expect(await call(c, "EXISTS", "a", "a", "b", "zz")).toBe(3);
    expect(await call(c, "TYPE", "a")).toBe("ReJSON-RL");
    expect(await call(c, "TYPE", "zz")).toBe("none");
    const lsn = db.stats().durableLsn;
    expect(await call(c, "DEL", "zz", "yy")).toBe(0);
    expect(db.stats().durableLsn).toBe(lsn); // nothing written for absent keys
    expect(await call(c, "DEL", "a", "a", "zz")).toBe(1);
    expect(await call(c, "UNLINK", "b")).toBe(1);
    expect(await call(c, "EXISTS", "a", "b")).toBe(0);
  });

  it("EXPIRE family with NX/XX/GT/LT, TTL/PTTL/EXPIRETIME, PERSIST, expiry on the Clock", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { net } = await memServer({ clock });
    const c = net.connect();
    await call(c, "JSON.SET", "k", "$", "{}");
    expect(await call(c, "TTL", "k")).toBe(-1);
    expect(await call(c, "TTL", "nope")).toBe(-2);
    expect(await call(c, "EXPIRE", "nope", "10")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "10", "XX")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "10", "NX")).toBe(1);
    expect(await call(c, "EXPIRE", "k", "20", "NX")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "5", "GT")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "20", "GT")).toBe(1);
    expect(await call(c, "PEXPIRE", "k", "15000", "LT")).toBe(1);
    clock.advance(400);
    expect(await call(c, "PTTL", "k")).toBe(14_600);
    expect(await call(c, "TTL", "k")).toBe(15);
    expect(await call(c, "EXPIRETIME", "k")).toBe(1_700_000_015);
    expect(await call(c, "PEXPIRETIME", "k")).toBe(1_700_000_015_000);
    expect(await call(c, "PERSIST", "k")).toBe(1);
    expect(await call(c, "PERSIST", "k")).toBe(0);
    expect(await call(c, "TTL", "k")).toBe(-1);
    expect(await call(c, "EXPIRE", "k", "5", "LT")).toBe(1); // no expiry counts as infinite
    expect(await call(c, "EXPIREAT", "k", "1800000000")).toBe(1);
    expect(await call(c, "PEXPIREAT", "k", String(clock.now() + 3000))).toBe(1);
    clock.advance(3000);
    expect(await call(c, "EXISTS", "k")).toBe(0);
    await call(c, "JSON.SET", "p", "$", "1");
    expect(await call(c, "EXPIRE", "p", "-1")).toBe(1); // a time in the past deletes
    expect(await call(c, "EXISTS", "p")).toBe(0);
    expect(errorOf(await call(c, "EXPIRE", "p", "10", "NX", "XX"))).toBe(
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    expect(errorOf(await call(c, "EXPIRE", "p", "10", "GT", "LT"))).toBe(
      "ERR GT and LT options at the same time are not compatible",
    );
    expect(errorOf(await call(c, "EXPIRE", "p", "10", "SOON"))).toBe("ERR Unsupported option SOON");
    expect(errorOf(await call(c, "EXPIRE", "p", "ten"))).toBe("ERR value is not an integer or out of range");
    expect(errorOf(await call(c, "EXPIRE", "p", "10", "soon"))).toBe("ERR Unsupported option soon");
  });

  it("EXPIRE family: Redis 7.0's 64-bit overflow checks and its combined NX/XX/GT/LT (redis expire.tcl)", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { net } = await memServer({ clock });
    const c = net.connect();
    await call(c, "JSON.SET", "k", "$", "1");
    const invalid = (name: string) => `ERR invalid expire time in '${name}' command`;
    // now + seconds * 1000 passes 2^63 - 1; seconds beyond ±2^63/1000; past 2^64.
    for (const big of ["9223370399119966", "9223372036854776", "10000000000000000", "-9223372036854776"]) {
      expect(errorOf(await call(c, "EXPIRE", "k", big))).toBe(invalid("expire"));
    }
    expect(errorOf(await call(c, "EXPIRE", "k", "18446744073709561"))).toBe(invalid("expire"));
    expect(errorOf(await call(c, "PEXPIRE", "k", "9223372036854770000"))).toBe(invalid("pexpire"));
    expect(errorOf(await call(c, "PEXPIRE", "k", "9223372036854775808"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(await call(c, "TTL", "k")).toBe(-1);
    // Valid 64-bit times past 2^52 ms (year 144,683): held as 2^52 (never reached), or long past (the key goes).
    expect(await call(c, "EXPIRE", "k", "9007199254740991")).toBe(1);
    expect(await call(c, "PEXPIRETIME", "k")).toBe(2 ** 52);
    expect(await call(c, "PEXPIREAT", "k", "9223372036854770000")).toBe(1);
    expect(await call(c, "PEXPIRETIME", "k")).toBe(2 ** 52);
    expect(await call(c, "PEXPIREAT", "k", "-9223372036854770000")).toBe(1);
    expect(await call(c, "TTL", "k")).toBe(-2);
    // Every option given must pass: XX fails on a key without expiry even with LT.
    await call(c, "JSON.SET", "k", "$", "1");
    expect(await call(c, "EXPIRE", "k", "100", "LT", "XX")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "100", "XX", "GT")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "100", "LT")).toBe(1);
    expect(await call(c, "EXPIRE", "k", "50", "LT", "XX")).toBe(1);
    expect(await call(c, "EXPIRE", "k", "60", "LT", "XX")).toBe(0);
    expect(await call(c, "EXPIRE", "k", "60", "GT", "XX")).toBe(1);
    expect(await call(c, "TTL", "k")).toBe(60);
  });
});

describe("keys over every type", () => {
  it("DEL/EXISTS/TYPE/RENAME/RENAMENX/COPY (DB, REPLACE) on hashes and documents", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HSET", "h", "a", "1", "b", "2");
    await call(c, "JSON.SET", "doc", "$", '{"x":1}');
    expect(await call(c, "TYPE", "h")).toBe("hash");
    expect(await call(c, "TYPE", "doc")).toBe("ReJSON-RL");
    expect(await call(c, "EXISTS", "h", "doc", "h", "nope")).toBe(3);
    expect(await call(c, "RENAME", "h", "h2")).toBe("OK");
    expect(errorOf(await call(c, "RENAME", "h", "h3"))).toBe("ERR no such key");
    expect(await call(c, "HGETALL", "h2")).toEqual(["a", "1", "b", "2"]);
    expect(await call(c, "RENAMENX", "h2", "doc")).toBe(0);
    expect(await call(c, "RENAMENX", "h2", "h")).toBe(1);
    expect(await call(c, "RENAME", "h", "h")).toBe("OK");
    expect(await call(c, "COPY", "h", "doc")).toBe(0);
    expect(await call(c, "COPY", "h", "doc", "REPLACE")).toBe(1);
    expect(await call(c, "TYPE", "doc")).toBe("hash");
    expect(await call(c, "COPY", "h", "h", "DB", "3")).toBe(1);
    expect(errorOf(await call(c, "COPY", "h", "h"))).toBe("ERR source and destination objects are the same");
    expect(errorOf(await call(c, "COPY", "h", "x", "DB", "16"))).toBe("ERR DB index is out of range");
    expect(errorOf(await call(c, "COPY", "h", "x", "NOW"))).toBe("ERR syntax error");
    await call(c, "SELECT", "3");
    expect(await call(c, "HGETALL", "h")).toEqual(["a", "1", "b", "2"]);
    await call(c, "SELECT", "0");
    await call(c, "HSET", "h", "c", "3"); // the copies are apart
    expect(await call(c, "HLEN", "doc")).toBe(2);
    await call(c, "PEXPIRE", "doc", "100000");
    expect(await call(c, "MOVE", "doc", "3")).toBe(1);
    expect(await call(c, "MOVE", "h", "3")).toBe(0); // h exists there (the COPY above)
    expect(await call(c, "MOVE", "nope", "3")).toBe(0);
    expect(errorOf(await call(c, "MOVE", "h", "0"))).toBe("ERR source and destination objects are the same");
    expect(errorOf(await call(c, "MOVE", "h", "99"))).toBe("ERR DB index is out of range");
    expect(await call(c, "TOUCH", "h", "h", "doc")).toBe(2);
    await call(c, "SELECT", "3");
    expect(await call(c, "HLEN", "doc")).toBe(2);
    expect(await call(c, "PTTL", "doc")).toBeGreaterThan(99_000);
    expect(await call(c, "MOVE", "doc", "0")).toBe(1);
    await call(c, "SELECT", "0");
    expect(await call(c, "DEL", "h", "doc", "nope", "h")).toBe(2);
    expect(await call(c, "EXISTS", "h", "doc")).toBe(0);
  });

  it("EXPIRE family on a hash (XX with LT), TTL, PERSIST; DBSIZE, FLUSHDB and INFO keyspace count hashes", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { net, db } = await memServer({ clock });
    const c = net.connect();
    await call(c, "HSET", "h", "a", "1");
    expect(await call(c, "EXPIRE", "h", "10", "XX", "LT")).toBe(0); // XX: no TTL yet
    expect(await call(c, "EXPIRE", "h", "10")).toBe(1);
    expect(await call(c, "EXPIRE", "h", "20", "XX", "LT")).toBe(0);
    expect(await call(c, "EXPIRE", "h", "5", "XX", "LT")).toBe(1);
    expect(await call(c, "TTL", "h")).toBe(5);
    expect(await call(c, "PEXPIRETIME", "h")).toBe(1_700_000_005_000);
    expect(await call(c, "PERSIST", "h")).toBe(1);
    expect(await call(c, "PTTL", "h")).toBe(-1);
    await call(c, "HSET", "g", "a", "1");
    await call(c, "PEXPIRE", "g", "100");
    await call(c, "JSON.SET", "doc", "$", "1");
    expect(await call(c, "DBSIZE")).toBe(3);
    expect(String(await call(c, "INFO", "keyspace"))).toContain("db0:keys=3,expires=1,avg_ttl=0");
    clock.advance(100);
    expect(await call(c, "DBSIZE")).toBe(2);
    const lsn = db.stats().durableLsn;
    expect(await call(c, "FLUSHDB")).toBe("OK");
    expect(db.stats().durableLsn).toBe(lsn + 1);
    expect(await call(c, "DBSIZE")).toBe(0);
    expect(await call(c, "HLEN", "h")).toBe(0);
  });

  it("SCAN with MATCH/COUNT/TYPE over every key once; KEYS; RANDOMKEY; bad cursors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "RANDOMKEY")).toBe(null);
    const want: string[] = [];
    for (let i = 0; i < 30; i++) {
      const k = `key:${i}`;
      if (i % 2 === 0) await call(c, "HSET", k, "f", "v");
      else await call(c, "JSON.SET", k, "$", "1");
      want.push(k);
    }
    await call(c, "SELECT", "1");
    await call(c, "HSET", "key:other-db", "f", "v");
    await call(c, "SELECT", "0");
    const scanAll = async (...options: string[]) => {
      const seen: string[] = [];
      let cursor = "0";
      let calls = 0;
      do {
        const [next, keys] = (await call(c, "SCAN", cursor, ...options)) as [string, string[]];
        seen.push(...keys);
        cursor = next;
        calls++;
      } while (cursor !== "0" && calls < 100);
      return { seen, calls };
    };
    const all = await scanAll("COUNT", "4");
    expect(all.seen.sort()).toEqual([...want].sort());
    expect(all.calls).toBeGreaterThan(5);
    expect((await scanAll("TYPE", "hash", "MATCH", "key:1*")).seen.sort()).toEqual([
      "key:10",
      "key:12",
      "key:14",
      "key:16",
      "key:18",
    ]);
    expect((await scanAll("TYPE", "ReJSON-RL", "COUNT", "100")).seen.length).toBe(15);
    expect((await call(c, "KEYS", "key:2?")) as string[]).toEqual([
      "key:20",
      "key:21",
      "key:22",
      "key:23",
      "key:24",
      "key:25",
      "key:26",
      "key:27",
      "key:28",
      "key:29",
    ]);
    expect(want).toContain(await call(c, "RANDOMKEY"));
    expect(errorOf(await call(c, "SCAN", "12345678"))).toBe("ERR invalid cursor");
    expect(errorOf(await call(c, "SCAN", "abc"))).toBe("ERR invalid cursor");
    expect(errorOf(await call(c, "SCAN", "0", "COUNT", "0"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "SCAN", "0", "MATCH"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "SCAN", "0", "COUNT", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
  });
});

describe("JSON", () => {
  it("JSON.SET with NX/XX at the root, JSON.GET in both shapes and with formatting", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "JSON.SET", "d", "$", '{"a":[1,{"b":null}],"c":"x"}')).toBe("OK");
    expect(await call(c, "JSON.SET", "d", "$", "1", "NX")).toBe(null);
    expect(await call(c, "JSON.SET", "e", "$", "1", "XX")).toBe(null);
    expect(await call(c, "JSON.SET", "e", ".", "1", "NX")).toBe("OK");
    expect(await call(c, "JSON.SET", "e", "$", "2", "XX")).toBe("OK");
    expect(errorOf(await call(c, "JSON.SET", "e", "$", "2", "YY"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "JSON.SET", "new", "$.a", "2"))).toBe(
      "ERR new objects must be created at the root",
    );
    expect(await call(c, "JSON.SET", "d", "$.z", "2")).toBe("OK"); // a sub-path (test/server-json-paths.test.ts)
    expect(await call(c, "JSON.DEL", "d", "$.z")).toBe(1);
    expect(errorOf(await call(c, "JSON.SET", "d", "$", "{bad"))).toMatch(/^ERR invalid JSON: /);
    expect(await call(c, "JSON.GET", "d")).toBe('{"a":[1,{"b":null}],"c":"x"}');
    expect(await call(c, "JSON.GET", "d", "$")).toBe('[{"a":[1,{"b":null}],"c":"x"}]');
    expect(await call(c, "JSON.GET", "e", "$", ".")).toBe('{"$":[2],".":[2]}');
    expect(await call(c, "JSON.GET", "d", "INDENT", "\t", "NEWLINE", "\n", "SPACE", " ", ".")).toBe(
      '{\n\t"a": [\n\t\t1,\n\t\t{\n\t\t\t"b": null\n\t\t}\n\t],\n\t"c": "x"\n}',
    );
    expect(await call(c, "JSON.GET", "nope")).toBe(null);
    expect(await call(c, "JSON.MGET", "d", "nope", "e", "$")).toEqual([
      '[{"a":[1,{"b":null}],"c":"x"}]',
      null,
      "[2]",
    ]);
    expect(await call(c, "JSON.MGET", "e", ".")).toEqual(["2"]);
    expect(await call(c, "JSON.TYPE", "d")).toBe("object");
    expect(await call(c, "JSON.TYPE", "e", "$")).toEqual(["integer"]);
    expect(await call(c, "JSON.TYPE", "nope")).toBe(null);
  });

  it("JSON.MERGE is RFC 7396; JSON.NUMINCRBY; JSON.DEL and FORGET", async () => {
    const clock = new ManualClock();
    const { net } = await memServer({ clock });
    const c = net.connect();
    await call(c, "JSON.SET", "m", "$", '{"a":1,"b":{"c":2}}');
    expect(await call(c, "JSON.MERGE", "m", "$", '{"a":null,"b":{"d":3}}')).toBe("OK");
    expect(await call(c, "JSON.GET", "m")).toBe('{"b":{"c":2,"d":3}}');
    expect(await call(c, "JSON.MERGE", "fresh", "$", '{"x":1}')).toBe("OK");
    expect(await call(c, "JSON.GET", "fresh")).toBe('{"x":1}');
    await call(c, "JSON.SET", "n", "$", "10");
    await call(c, "EXPIRE", "n", "100");
    expect(await call(c, "JSON.NUMINCRBY", "n", "$", "5")).toBe("[15]");
    expect(await call(c, "JSON.NUMINCRBY", "n", ".", "0.5")).toBe("15.5");
    expect(await call(c, "JSON.NUMINCRBY", "n", ".", "-20")).toBe("-4.5");
    expect(await call(c, "TTL", "n")).toBe(100); // both paths keep the expiry
    expect(errorOf(await call(c, "JSON.NUMINCRBY", "none", "$", "1"))).toBe(
      "ERR could not perform this operation on a key that doesn't exist",
    );
    expect(await call(c, "JSON.NUMINCRBY", "m", "$", "1")).toBe("[null]");
    expect(errorOf(await call(c, "JSON.NUMINCRBY", "m", ".", "1"))).toBe(
      "ERR Path does not exist or does not contains a number",
    );
    expect(errorOf(await call(c, "JSON.NUMINCRBY", "n", "$", "x"))).toBe("ERR value is not a valid float");
    expect(await call(c, "JSON.DEL", "m")).toBe(1);
    expect(await call(c, "JSON.DEL", "m", "$")).toBe(0);
    expect(await call(c, "JSON.FORGET", "fresh", ".")).toBe(1);
    expect(await call(c, "EXISTS", "m", "fresh")).toBe(0);
  });
});

describe("FUSEDB versions", () => {
  it("VERSION, GET, SETIFVERSION and DELIFVERSION; a conflict names both versions", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "FUSEDB.VERSION", "v")).toBe(0);
    expect(await call(c, "FUSEDB.SETIFVERSION", "v", "0", '{"n":1}')).toBe(1);
    expect(errorOf(await call(c, "FUSEDB.SETIFVERSION", "v", "0", "2"))).toBe(
      "VERSIONCONFLICT expected version 0, key is at 1",
    );
    expect(await call(c, "FUSEDB.SETIFVERSION", "v", "1", '{"n":2}', "PX", "5000")).toBe(2);
    expect(await call(c, "FUSEDB.GET", "v")).toEqual(['{"n":2}', 2]);
    expect(await call(c, "PTTL", "v")).toBeGreaterThan(0);
    expect(await call(c, "JSON.SET", "v", "$", "3")).toBe("OK");
    expect(await call(c, "FUSEDB.VERSION", "v")).toBe(3);
    expect(errorOf(await call(c, "FUSEDB.DELIFVERSION", "v", "2"))).toBe(
      "VERSIONCONFLICT expected version 2, key is at 3",
    );
    expect(await call(c, "FUSEDB.DELIFVERSION", "v", "3")).toBe(4);
    expect(await call(c, "FUSEDB.VERSION", "v")).toBe(0);
    expect(await call(c, "FUSEDB.GET", "v")).toBe(null);
    expect(errorOf(await call(c, "FUSEDB.SETIFVERSION", "v", "-1", "1"))).toBe(
      "ERR version must be a non-negative integer",
    );
  });
});
