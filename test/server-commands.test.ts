/**
 * Connection and server commands, reply by reply, over the in-memory network (Redis 7.0's texts):
 * - dispatch errors: unknown command (args listed, truncated at 128 bytes), unknown subcommand, wrong
 *   arity by full name (`client|setname`);
 * - PING, ECHO, HELLO (2/3, AUTH, SETNAME, NOPROTO), AUTH with requirepass and named users, RESET;
 *   replies before a HELLO keep the protocol they were made in, even in one packet;
 * - CLIENT ID/SETNAME/GETNAME/LIST/INFO/KILL/NO-EVICT/SETINFO/UNBLOCK/HELP;
 * - CONFIG GET (globs)/SET (all or nothing, immutable and unknown options)/RESETSTAT;
 * - INFO sections and fields; COMMAND COUNT/INFO/DOCS/LIST/GETKEYS agree with the table;
 * - TIME on the server's Clock, DEBUG SLEEP, SAVE/BGSAVE/LASTSAVE, SHUTDOWN stops the server;
 * - FUNCTION FLUSH/LIST with no functions; INFO cpu and commandstats (counts, clock usec, RESETSTAT).
 */
import { describe, expect, it } from "vitest";
import { buildCommandTable } from "../src/server/commands/all.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";

describe("dispatch", () => {
  it("unknown commands, unknown subcommands and wrong arity get Redis's errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(errorOf(await call(c, "NOPE", "a", "b"))).toBe(
      "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ",
    );
    expect(errorOf(await call(c, "nope"))).toBe("ERR unknown command 'nope', with args beginning with: ");
    const long = errorOf(await call(c, "x", "y".repeat(200), "z"));
    expect(long).toBe(`ERR unknown command 'x', with args beginning with: '${"y".repeat(128)}' `);
    expect(errorOf(await call(c, "CLIENT", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
    expect(errorOf(await call(c, "client", "setname"))).toBe(
      "ERR wrong number of arguments for 'client|setname' command",
    );
    expect(errorOf(await call(c, "CLIENT"))).toBe("ERR wrong number of arguments for 'client' command");
    expect(errorOf(await call(c, "ECHO"))).toBe("ERR wrong number of arguments for 'echo' command");
    expect(errorOf(await call(c, "PING", "a", "b"))).toBe("ERR wrong number of arguments for 'ping' command");
  });
});

describe("connection", () => {
  it("PING, ECHO, HELLO and the protocol of each reply", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "PING")).toBe("PONG");
    expect(await call(c, "PING", "hi")).toBe("hi");
    expect(await call(c, "ECHO", "\r\n")).toBe("\r\n");
    expect(errorOf(await call(c, "HELLO", "4"))).toBe("NOPROTO unsupported protocol version");
    expect(errorOf(await call(c, "HELLO", "x"))).toBe(
      "ERR Protocol version is not an integer or out of range",
    );
    expect(errorOf(await call(c, "HELLO", "3", "FOO"))).toBe("ERR Syntax error in HELLO option 'FOO'");
    expect(await call(c, "HELLO", "3", "SETNAME", "me")).toEqual({
      server: "redis",
      version: "7.0.15",
      proto: 3,
      id: 1,
      mode: "standalone",
      role: "master",
      modules: [],
    });
    expect(await call(c, "CLIENT", "GETNAME")).toBe("me");
    const raw = net.connect();
    raw.send("ECHO a\r\nHELLO 3\r\nCONFIG GET port\r\n");
    await raw.waitReplies(3);
    const text = raw.received.toString("latin1");
    expect(text.startsWith("$1\r\na\r\n%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")).toBe(true);
    expect(text.endsWith("$7\r\nmodules\r\n*0\r\n%1\r\n$4\r\nport\r\n$4\r\n6379\r\n")).toBe(true);
  });

  it("AUTH with requirepass and named users; HELLO AUTH; RESET logs out", async () => {
    const { net } = await memServer({
      directives: [
        ["requirepass", "pw"],
        ["user", "alice", "on", ">wonder", "~*", "+@all"],
        ["user", "bob", "off", ">x", "~*", "+@all"],
      ],
    });
    const c = net.connect();
    expect(errorOf(await call(c, "JSON.GET", "k"))).toBe("NOAUTH Authentication required.");
    expect(errorOf(await call(c, "AUTH", "alice", "nope"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(errorOf(await call(c, "AUTH", "bob", "x"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(errorOf(await call(c, "AUTH", "a", "b", "c"))).toBe("ERR syntax error");
    expect(await call(c, "AUTH", "alice", "wonder")).toBe("OK");
    expect(String(await call(c, "CLIENT", "INFO"))).toContain(" user=alice ");
    expect(await call(c, "RESET")).toBe("RESET");
    expect(errorOf(await call(c, "PING"))).toBe("NOAUTH Authentication required.");
    expect(errorOf(await call(c, "HELLO", "3"))).toMatch(
      /^NOAUTH HELLO must be called with the client already authenticated/,
    );
    expect(await call(c, "HELLO", "3", "AUTH", "default", "pw")).toMatchObject({ proto: 3 });
    expect(await call(c, "PING")).toBe("PONG");
    const open = await memServer();
    const d = open.net.connect();
    expect(errorOf(await call(d, "AUTH", "x"))).toMatch(
      /^ERR AUTH <password> called without any password configured/,
    );
  });

  it("a user line that would restrict a user in Redis is refused", async () => {
    await expect(
      memServer({ directives: [["user", "carol", "on", ">p", "~cache:*", "+@all"]] }),
    ).rejects.toThrow(/not supported/);
    await expect(memServer({ directives: [["user", "dave", "on", ">p"]] })).rejects.toThrow(
      /every key and command/,
    );
  });

  it("CLIENT subcommands", async () => {
    const { net } = await memServer();
    const a = net.connect();
    const b = net.connect();
    expect(await call(a, "CLIENT", "ID")).toBe(1);
    expect(await call(a, "CLIENT", "GETNAME")).toBe(null);
    expect(errorOf(await call(a, "CLIENT", "SETNAME", "a b"))).toBe(
      "ERR Client names cannot contain spaces, newlines or special characters.",
    );
    expect(await call(a, "CLIENT", "SETNAME", "alpha")).toBe("OK");
    expect(await call(a, "CLIENT", "SETINFO", "LIB-NAME", "test-lib")).toBe("OK");
    expect(await call(a, "CLIENT", "NO-EVICT", "on")).toBe("OK");
    expect(await call(b, "SELECT", "3")).toBe("OK");
    const list = String(await call(b, "CLIENT", "LIST"))
      .trimEnd()
      .split("\n");
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(
      /^id=1 addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:6379 fd=-1 name=alpha age=\d+ idle=\d+ flags=e db=0 /,
    );
    expect(list[0]).toContain(" lib-name=test-lib ");
    expect(list[1]).toMatch(/ db=3 .* cmd=client\|list user=default /);
    expect(String(await call(b, "CLIENT", "LIST", "ID", "2")).split("\n")[0]).toMatch(/^id=2 /);
    expect(await call(b, "CLIENT", "UNBLOCK", "1")).toBe(0);
    expect(await call(b, "CLIENT", "KILL", "ID", "1")).toBe(1);
    await a.waitClosed();
    expect(errorOf(await call(b, "CLIENT", "KILL", "1.2.3.4:5"))).toBe("ERR No such client");
    for (const id of ["0", "-1", "x"]) {
      expect(errorOf(await call(b, "CLIENT", "KILL", "ID", id))).toBe(
        "ERR client-id should be greater than 0",
      );
    }
    expect(await call(b, "CLIENT", "KILL", "ID", "2")).toBe(0);
    expect(await call(b, "CLIENT", "KILL", "ID", "2", "SKIPME", "no")).toBe(1);
    await b.waitClosed();
    const help = (await call(net.connect(), "CLIENT", "HELP")) as string[];
    expect(help[0]).toMatch(/^CLIENT <subcommand>/);
    expect(help).toContain("SETNAME");
  });
});

describe("server", () => {
  it("CONFIG GET, SET (all or nothing) and RESETSTAT", async () => {
    const { net, server } = await memServer();
    const c = net.connect();
    expect(await call(c, "CONFIG", "GET", "maxclients")).toEqual(["maxclients", "10000"]);
    expect(await call(c, "CONFIG", "GET", "*bulk*", "time?ut")).toEqual([
      "timeout",
      "0",
      "proto-max-bulk-len",
      "8388608",
    ]);
    expect(await call(c, "CONFIG", "SET", "maxclients", "5", "timeout", "30")).toBe("OK");
    expect(await call(c, "CONFIG", "GET", "maxclients")).toEqual(["maxclients", "5"]);
    expect(errorOf(await call(c, "CONFIG", "SET", "timeout", "1", "port", "1"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config",
    );
    expect(errorOf(await call(c, "CONFIG", "SET", "nosuch", "1"))).toBe(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    expect(errorOf(await call(c, "CONFIG", "SET", "maxclients", "many"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
    );
    expect(errorOf(await call(c, "CONFIG", "SET", "proto-max-bulk-len", "100mb"))).toMatch(
      /must not exceed client-query-buffer-limit/,
    );
    expect(await call(c, "CONFIG", "GET", "timeout")).toEqual(["timeout", "30"]);
    // What Redis's test suite sets before groups of tests: accepted, shown, no effect.
    expect(await call(c, "CONFIG", "SET", "save", "", "list-max-ziplist-size", "4")).toBe("OK");
    expect(await call(c, "CONFIG", "GET", "save", "list-max-ziplist-size")).toEqual([
      "save",
      "",
      "list-max-ziplist-size",
      "4",
    ]);
    expect(errorOf(await call(c, "CONFIG", "SET", "timeout"))).toBe(
      "ERR wrong number of arguments for 'config|set' command",
    );
    expect(server.stats.commandsProcessed).toBeGreaterThan(5);
    expect(await call(c, "CONFIG", "RESETSTAT")).toBe("OK");
    expect(server.stats.commandsProcessed).toBe(1);
  });

  it("INFO: Redis's sections and fields, keyspace counts per database", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "JSON.SET", "a", "$", "1");
    await call(c, "JSON.SET", "b", "$", "2");
    await call(c, "EXPIRE", "b", "100");
    await call(c, "SELECT", "2");
    await call(c, "JSON.SET", "c", "$", "3");
    const all = String(await call(c, "INFO"));
    for (const field of [
      "redis_version:7.0.15",
      "blocked_clients:0",
      "connected_clients:1",
      "role:master",
      "aof_enabled:0",
      "run_id:0123456789abcdef0123456789abcdef01234567",
    ]) {
      expect(all).toContain(`\r\n${field}\r\n`);
    }
    expect(all).toMatch(/^# Server\r\n/);
    expect(all).toContain(
      "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n",
    );
    const clients = String(await call(c, "INFO", "clients"));
    expect(clients.startsWith("# Clients\r\n")).toBe(true);
    expect(clients).not.toContain("# Server");
    expect(await call(c, "INFO", "nosuchsection")).toBe("");
  });

  it("COMMAND COUNT, INFO, DOCS, LIST and GETKEYS agree with the table", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const table = buildCommandTable();
    expect(await call(c, "COMMAND", "COUNT")).toBe(table.all().length);
    expect(((await call(c, "COMMAND")) as unknown[]).length).toBe(table.all().length);
    const [get, set] = (await call(c, "COMMAND", "INFO", "get", "JSON.SET")) as unknown[][];
    expect(get?.slice(0, 6)).toEqual(["get", 2, ["readonly", "fast"], 1, 1, 1]);
    expect(set?.slice(0, 6)).toEqual(["json.set", -3, ["write", "denyoom"], 1, 1, 1]);
    const [clientList] = (await call(c, "COMMAND", "INFO", "client|list")) as unknown[][];
    expect(clientList?.slice(0, 2)).toEqual(["client|list", -2]);
    const docs = (await call(c, "COMMAND", "DOCS", "ping")) as unknown[];
    expect(docs[0]).toBe("ping");
    expect(docs[1]).toEqual([
      "summary",
      "Returns the server's liveliness response.",
      "since",
      "1.0.0",
      "group",
      "connection",
    ]);
    expect(await call(c, "COMMAND", "LIST", "FILTERBY", "PATTERN", "json.m*")).toEqual([
      "json.mget",
      "json.merge",
    ]);
    expect(await call(c, "COMMAND", "GETKEYS", "JSON.MGET", "a", "b", "$")).toEqual(["a", "b"]);
    expect(await call(c, "COMMAND", "GETKEYS", "DEL", "x", "y", "z")).toEqual(["x", "y", "z"]);
    expect(errorOf(await call(c, "COMMAND", "GETKEYS", "PING"))).toBe("ERR The command has no key arguments");
    expect(errorOf(await call(c, "COMMAND", "GETKEYS", "NOPE", "a"))).toBe("ERR Invalid command specified");
    expect(errorOf(await call(c, "COMMAND", "GETKEYS", "TTL"))).toBe(
      "ERR Invalid number of arguments specified for command",
    );
  });

  it("TIME, DEBUG, SAVE, BGSAVE, LASTSAVE on the server's Clock", async () => {
    const clock = new ManualClock(1_700_000_000_123);
    const { net } = await memServer({ clock });
    const c = net.connect();
    expect(await call(c, "TIME")).toEqual(["1700000000", "123000"]);
    expect(await call(c, "DEBUG", "SLEEP", "0")).toBe("OK");
    expect(errorOf(await call(c, "DEBUG", "JMAP"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.",
    );
    clock.advance(5000);
    expect(await call(c, "SAVE")).toBe("OK");
    expect(await call(c, "LASTSAVE")).toBe(1_700_000_005);
    expect(await call(c, "BGSAVE")).toBe("Background saving started");
    expect(errorOf(await call(c, "BGSAVE", "NOW"))).toBe("ERR syntax error");
  });

  it("FUNCTION: FLUSH and LIST with no functions, Redis's errors, in COMMAND INFO", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "FUNCTION", "FLUSH")).toBe("OK");
    expect(await call(c, "function", "flush", "async")).toBe("OK");
    expect(await call(c, "FUNCTION", "FLUSH", "SYNC")).toBe("OK");
    expect(errorOf(await call(c, "FUNCTION", "FLUSH", "LATER"))).toBe(
      "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
    );
    expect(errorOf(await call(c, "FUNCTION", "FLUSH", "SYNC", "ASYNC"))).toBe("ERR syntax error");
    expect(await call(c, "FUNCTION", "LIST")).toEqual([]);
    expect(await call(c, "FUNCTION", "LIST", "LIBRARYNAME", "lib*", "WITHCODE")).toEqual([]);
    expect(errorOf(await call(c, "FUNCTION", "LIST", "LIBRARYNAME"))).toBe(
      "ERR library name argument was not given",
    );
    expect(errorOf(await call(c, "FUNCTION", "LIST", "BOGUS"))).toBe("ERR Unknown argument BOGUS");
    expect(errorOf(await call(c, "FUNCTION", "LOAD", "#!lua name=x\n"))).toBe(
      "ERR unknown subcommand 'LOAD'. Try FUNCTION HELP.",
    );
    expect(errorOf(await call(c, "FUNCTION"))).toBe("ERR wrong number of arguments for 'function' command");
    const [info] = (await call(c, "COMMAND", "INFO", "function|flush")) as unknown[][];
    expect(info?.slice(0, 6)).toEqual(["function|flush", -2, ["write", "noscript"], 0, 0, 0]);
    const help = (await call(c, "FUNCTION", "HELP")) as string[];
    expect(help).toContain("FLUSH");
  });

  it("INFO cpu from the process seam; commandstats counted per command, cleared by RESETSTAT", async () => {
    const clock = new ManualClock();
    const { net } = await memServer({ clock });
    const c = net.connect();
    expect(await call(c, "INFO", "cpu")).toBe(
      "# CPU\r\nused_cpu_sys:0.250042\r\nused_cpu_user:1.500000\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n",
    );
    expect(String(await call(c, "INFO"))).toContain("\r\n\r\n# CPU\r\n");
    expect(String(await call(c, "INFO"))).not.toContain("# Commandstats");
    expect(await call(c, "CONFIG", "RESETSTAT")).toBe("OK");
    // DEBUG SLEEP 0.25 on the manual clock: time moves in 50 ms steps until it replies, so it took 250 ms.
    const before = c.replies.length;
    c.command("DEBUG", "SLEEP", "0.25");
    while (c.replies.length === before) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(50);
    }
    expect(errorOf(await call(c, "CLIENT", "KILL", "ID", "0"))).toMatch(/^ERR client-id/);
    expect(errorOf(await call(c, "CLIENT", "LIST", "x"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "ECHO"))).toBe("ERR wrong number of arguments for 'echo' command");
    expect(errorOf(await call(c, "NOSUCH"))).toMatch(/^ERR unknown command/);
    expect(await call(c, "INFO", "commandstats")).toBe(
      [
        "# Commandstats",
        "cmdstat_client|kill:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1",
        "cmdstat_client|list:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1",
        "cmdstat_config|resetstat:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0",
        "cmdstat_debug:calls=1,usec=250000,usec_per_call=250000.00,rejected_calls=0,failed_calls=0",
        "cmdstat_echo:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0",
        "",
      ].join("\r\n"),
    );
    expect(await call(c, "CONFIG", "RESETSTAT")).toBe("OK");
    expect(String(await call(c, "INFO", "all"))).toContain(
      "# Commandstats\r\ncmdstat_config|resetstat:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n\r\n# Keyspace",
    );
  });

  it("SHUTDOWN stops the server without a reply", async () => {
    const { net, server, db } = await memServer();
    const c = net.connect();
    expect(errorOf(await call(c, "SHUTDOWN", "MAYBE"))).toBe("ERR syntax error");
    c.command("SHUTDOWN", "NOSAVE");
    await server.closed;
    await c.waitClosed();
    expect(c.replies).toHaveLength(1);
    await expect(db.get("x")).rejects.toThrow(/closed/);
  });
});
