/**
 * Invariants of connections and the server (src/server/connection.ts, server.ts), over the in-memory
 * network so every case is deterministic:
 * - replies leave in request order even when a later command's handler finishes first;
 * - blind (pipelinable) writes start together; any other command starts only after every earlier command
 *   of its connection finished (a connection reads its own writes); at most PIPELINE_MAX run at once and
 *   the rest wait, in order;
 * - a write's reply leaves only after the engine's fdatasync, and writes of many connections that arrive
 *   during one fdatasync share the next (group commit);
 * - a malformed request: earlier replies, then Redis's error line, then only that connection closes; the
 *   query buffer limit closes without a reply;
 * - protected mode refuses non-loopback clients while the default user has no password; maxclients;
 *   unauthenticated clients get NOAUTH and Redis's small request bounds;
 * - CLIENT REPLY OFF/SKIP/ON, QUIT (later pipelined commands never run), idle timeout on the Clock;
 * - stop: running commands finish and reply, the engine closes, new connections are refused.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import { FuseDB as Engine } from "../src/db.js";
import { CommandTable, command } from "../src/server/command-table.js";
import { clientCommands } from "../src/server/commands/client-command.js";
import { connectionCommands } from "../src/server/commands/connection-commands.js";
import { PIPELINE_MAX } from "../src/server/connection.js";
import { R, type Reply } from "../src/server/resp-writer.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** A table with a blind write `w id` resolved by the test, and a plain `r id`, plus the connection commands. */
function controlledTable() {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const table = new CommandTable([
    command({
      name: "w",
      arity: 2,
      flags: ["write"],
      group: "server",
      since: "0",
      summary: "test write",
      blind: () => true,
      handler: (_ctx, args) => {
        const id = (args[1] as Buffer).toString();
        started.push(id);
        return new Promise<Reply>((resolve) => pending.set(id, () => resolve(R.bulk(id))));
      },
    }),
    command({
      name: "r",
      arity: 2,
      flags: ["readonly"],
      group: "server",
      since: "0",
      summary: "test read",
      handler: (_ctx, args) => {
        const id = `r${(args[1] as Buffer).toString()}`;
        started.push(id);
        return R.bulk(id);
      },
    }),
    ...connectionCommands,
    ...clientCommands,
  ]);
  const resolve = (id: string): void => {
    const f = pending.get(id);
    if (f === undefined) throw new Error(`w ${id} is not running`);
    pending.delete(id);
    f();
  };
  return { table, started, resolve, pending };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe("ordering", () => {
  it("replies leave in request order although later handlers finish first", async () => {
    const c = controlledTable();
    const { net } = await memServer({ table: c.table });
    const client = net.connect();
    client.send("*2\r\n$1\r\nw\r\n$1\r\n1\r\n*2\r\n$1\r\nw\r\n$1\r\n2\r\n*2\r\n$1\r\nw\r\n$1\r\n3\r\n");
    await tick();
    expect(c.started).toEqual(["1", "2", "3"]);
    c.resolve("3");
    c.resolve("2");
    await tick();
    expect(client.replies).toEqual([]);
    c.resolve("1");
    expect(await client.waitReplies(3)).toEqual(["1", "2", "3"]);
  });

  it("a non-blind command waits for every earlier command; later ones wait for it", async () => {
    const c = controlledTable();
    const { net } = await memServer({ table: c.table });
    const client = net.connect();
    client.command("w", "1");
    client.command("r", "a");
    client.command("w", "2");
    await tick();
    expect(c.started).toEqual(["1"]);
    c.resolve("1");
    await tick();
    expect(c.started).toEqual(["1", "ra", "2"]);
    c.resolve("2");
    expect(await client.waitReplies(3)).toEqual(["1", "ra", "2"]);
  });

  it(`at most PIPELINE_MAX (${PIPELINE_MAX}) commands run; the rest wait and all reply in order`, async () => {
    const c = controlledTable();
    const { net } = await memServer({ table: c.table });
    const client = net.connect();
    const n = PIPELINE_MAX + 300;
    client.send(Array.from({ length: n }, (_, i) => `w ${i}\r\n`).join(""));
    await tick();
    expect(c.started.length).toBe(PIPELINE_MAX);
    for (let i = 0; i < n; i++) {
      while (!c.pending.has(String(i))) await tick();
      c.resolve(String(i));
    }
    const replies = await client.waitReplies(n);
    expect(replies).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it("CLIENT REPLY OFF, SKIP and ON; QUIT replies OK and later pipelined commands never run", async () => {
    const c = controlledTable();
    const { net } = await memServer({ table: c.table });
    const client = net.connect();
    client.send("r 1\r\nCLIENT REPLY OFF\r\nr 2\r\nCLIENT REPLY ON\r\nCLIENT REPLY SKIP\r\nr 3\r\nr 4\r\n");
    expect(await client.waitReplies(3)).toEqual(["r1", "OK", "r4"]);
    client.send("QUIT\r\nr 5\r\n");
    await client.waitClosed();
    expect(client.replies.slice(3)).toEqual(["OK"]);
    expect(c.started).not.toContain("r5");
  });
});

describe("durability and group commit", () => {
  it("a write's reply leaves only after the fdatasync; writes arriving meanwhile share the next one", async () => {
    const fs = new TestDisk();
    const db = await Engine.open({
      dir: "db",
      fs,
      clock: {
        now: () => 0,
        sleep: () => Promise.resolve(),
        timer: () => () => {},
        yield: () => Promise.resolve(),
      },
    });
    const { net, server } = await memServer({ db });
    const first = net.connect();
    const hold = fs.holdSync();
    first.command("JSON.SET", "k0", "$", "0");
    await hold.entered;
    const others = Array.from({ length: 10 }, () => net.connect());
    for (const [i, c] of others.entries()) c.command("JSON.SET", `k${i + 1}`, "$", String(i + 1));
    await tick();
    expect(first.replies).toEqual([]);
    const syncsBefore = db.stats().wal.syncs;
    hold.release();
    await first.waitReplies(1);
    for (const c of others) expect(await c.waitReplies(1)).toEqual(["OK"]);
    // The first write's sync, then one for all ten.
    expect(db.stats().wal.syncs - syncsBefore).toBeLessThanOrEqual(2);
    expect((await db.get(Buffer.from("\x00k7", "latin1")))?.value).toBe(7);
    await server.close();
  });
});

describe("malformed requests and limits", () => {
  it("earlier commands reply, then the protocol error, then only that connection closes", async () => {
    const { net } = await memServer();
    const bad = net.connect();
    const good = net.connect();
    bad.send("PING\r\n*1\r\n$4\r\nECHO\r\n*1\r\nfoo\r\nPING\r\n");
    await bad.waitClosed();
    expect(bad.replies).toEqual([
      "PONG",
      { error: "ERR wrong number of arguments for 'echo' command" },
      { error: "ERR Protocol error: expected '$', got 'f'" },
    ]);
    good.send("PING\r\n");
    expect(await good.waitReplies(1)).toEqual(["PONG"]);
    expect(good.closedByServer).toBe(false);
  });

  it("the query buffer limit closes the connection without a reply", async () => {
    const log: string[] = [];
    const { net } = await memServer({
      directives: [
        ["client-query-buffer-limit", "1mb"],
        ["proto-max-bulk-len", "1mb"],
      ],
      log,
    });
    const c = net.connect();
    c.send(`*2\r\n$4\r\nECHO\r\n$${1024 * 1024}\r\n`);
    c.send(Buffer.alloc(1024 * 1024, 0x61));
    await c.waitClosed();
    expect(c.replies).toEqual([]);
    expect(log.join("\n")).toContain("query buffer limit");
  });

  it("unauthenticated clients get NOAUTH and Redis's small request bounds", async () => {
    const { net } = await memServer({ directives: [["requirepass", "s3cret"]] });
    const c = net.connect();
    c.send("PING\r\nAUTH wrong\r\nAUTH s3cret\r\nPING\r\n");
    expect(await c.waitReplies(4)).toEqual([
      { error: "NOAUTH Authentication required." },
      { error: "WRONGPASS invalid username-password pair or user is disabled." },
      "OK",
      "PONG",
    ]);
    const d = net.connect();
    d.send(`*11\r\n`);
    await d.waitClosed();
    expect(d.replies).toEqual([{ error: "ERR Protocol error: unauthenticated multibulk length" }]);
  });
});

describe("admission", () => {
  it("protected mode refuses non-loopback clients until a password is set", async () => {
    const { net, server } = await memServer();
    const remote = net.connect("10.1.2.3", false);
    await remote.waitClosed();
    expect(String((remote.replies[0] as { error: string }).error)).toMatch(/^DENIED .*protected mode/);
    expect(server.stats.rejectedConnections).toBe(1);
    const local = net.connect();
    local.send("CONFIG SET requirepass pw\r\n");
    expect(await local.waitReplies(1)).toEqual(["OK"]);
    const remote2 = net.connect("10.1.2.3", false);
    remote2.send("PING\r\nAUTH pw\r\nPING\r\n");
    expect(await remote2.waitReplies(3)).toEqual([
      { error: "NOAUTH Authentication required." },
      "OK",
      "PONG",
    ]);
  });

  it("maxclients: one more connection gets Redis's error and is closed", async () => {
    const { net } = await memServer({ directives: [["maxclients", "2"]] });
    const a = net.connect();
    net.connect();
    const c = net.connect();
    await c.waitClosed();
    expect(c.replies).toEqual([{ error: "ERR max number of clients reached" }]);
    a.send("PING\r\n");
    expect(await a.waitReplies(1)).toEqual(["PONG"]);
  });

  it("idle timeout: a client idle longer than `timeout` seconds is closed, on the server's Clock", async () => {
    const clock = new ManualClock();
    const { net } = await memServer({ clock, directives: [["timeout", "2"]] });
    const idle = net.connect();
    const busy = net.connect();
    for (let s = 0; s < 4; s++) {
      busy.send("PING\r\n");
      clock.advance(1000);
      await tick();
    }
    expect(idle.closedByServer).toBe(true);
    expect(busy.closedByServer).toBe(false);
  });
});

describe("stop", () => {
  it("running commands finish and reply, the engine closes, new connections are refused", async () => {
    const fs = new TestDisk();
    const db: FuseDB = await Engine.open({
      dir: "db",
      fs,
      clock: {
        now: () => 0,
        sleep: () => Promise.resolve(),
        timer: () => () => {},
        yield: () => Promise.resolve(),
      },
    });
    const { net, server } = await memServer({ db });
    const c = net.connect();
    const hold = fs.holdSync();
    c.command("JSON.SET", "k", "$", '{"a":1}');
    await hold.entered;
    const closing = server.close();
    c.command("PING");
    await tick();
    expect(c.replies).toEqual([]);
    hold.release();
    await closing;
    expect(c.replies).toEqual(["OK"]);
    await c.waitClosed();
    expect(() => net.connect()).toThrow(/not accepting/);
    const reopened = await Engine.open({
      dir: "db",
      fs,
      clock: {
        now: () => 0,
        sleep: () => Promise.resolve(),
        timer: () => () => {},
        yield: () => Promise.resolve(),
      },
    });
    expect((await reopened.get(Buffer.from("\x00k", "latin1")))?.value).toEqual({ a: 1 });
    await reopened.close();
  });
});
