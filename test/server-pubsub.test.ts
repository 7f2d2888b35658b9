/**
 * Pub/sub and keyspace notifications of `fusedb server` (src/server/pubsub.ts, notifications.ts,
 * commands/pubsub-commands.ts, connection.ts). Invariants checked, with Redis 7.0's exact replies:
 * - (P)SUBSCRIBE/(P)UNSUBSCRIBE confirm once per name with the client's count; UNSUBSCRIBE without
 *   arguments leaves all, and with nothing to leave confirms once with a null name; PUBLISH answers the
 *   deliveries made (a pattern subscriber per matching pattern) and subscribers get message/pmessage;
 * - RESP2 subscribed mode allows only (P)(UN)SUBSCRIBE/PING/QUIT/RESET (Redis's error otherwise; PING
 *   answers ["pong", arg]); RESP3 subscribers get push frames and may run any command; RESET leaves all;
 * - PUBSUB CHANNELS/NUMSUB/NUMPAT, INFO pubsub_*, CLIENT LIST sub/psub/flags and TYPE pubsub;
 * - client-output-buffer-limit pubsub: a subscriber that does not read is disconnected past the hard limit,
 *   or past the soft limit for longer than its seconds (Clock), and the publisher never waits;
 * - notify-keyspace-events: Redis's flag parsing and canonical text; __keyspace@db__ / __keyevent@db__
 *   messages for document writes and deletes, sent only after the write's fdatasync, none after recovery;
 *   `new` for a write that creates a key only; `expired` once a key's expiry passes on the Clock, and not
 *   for a key written or persisted since; keys that had an expiry before class x was on are found too;
 * - real clients over TCP: node-redis (RESP2 and RESP3) subscribe/pSubscribe, and a slow raw-socket
 *   subscriber disconnected while a node-redis publisher goes on.
 */
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { createClient } from "@redis/client";
import { describe, expect, it } from "vitest";
import { FuseDB as Engine } from "../src/db.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import type { MemClient, MemServerSide } from "./helpers/mem-transport.js";
import {
  ManualClock,
  memServer,
  memServerClosedAfter,
  type ServerSetup,
  tcpServer,
} from "./helpers/resp-server.js";
import { TestDisk } from "./helpers/sim-disk.js";

const cleanups = cleanupsAfterEach();
const mem = (setup?: ServerSetup) => memServerClosedAfter(cleanups, setup);

/** Sends one command and waits for `n` more replies (pushes included). */
async function call(c: MemClient, n: number, ...args: string[]): Promise<unknown[]> {
  const before = c.replies.length;
  c.command(...args);
  await c.waitReplies(before + n);
  return c.replies.slice(before, before + n);
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("SUBSCRIBE, PSUBSCRIBE, PUBLISH (RESP2)", () => {
  it("confirm per name with counts; messages and pmessages; PUBLISH counts deliveries", async () => {
    const { net } = await mem();
    const sub = net.connect();
    const pub = net.connect();
    expect(await call(sub, 2, "SUBSCRIBE", "news", "sport")).toEqual([
      ["subscribe", "news", 1],
      ["subscribe", "sport", 2],
    ]);
    expect(await call(sub, 2, "PSUBSCRIBE", "n*", "*s")).toEqual([
      ["psubscribe", "n*", 3],
      ["psubscribe", "*s", 4],
    ]);
    expect(await call(pub, 1, "PUBLISH", "news", "hello")).toEqual([4 - 1]);
    await sub.waitReplies(7);
    expect(sub.replies.slice(4, 7)).toEqual([
      ["message", "news", "hello"],
      ["pmessage", "n*", "news", "hello"],
      ["pmessage", "*s", "news", "hello"],
    ]);
    expect(await call(pub, 1, "PUBLISH", "nobody", "x")).toEqual([1]);
    expect(await call(pub, 1, "PUBLISH", "zzz", "x")).toEqual([0]);
    expect(await call(sub, 2, "UNSUBSCRIBE")).toEqual([
      ["unsubscribe", "news", 3],
      ["unsubscribe", "sport", 2],
    ]);
    expect(await call(sub, 1, "UNSUBSCRIBE")).toEqual([["unsubscribe", null, 2]]);
    expect(await call(sub, 1, "PUNSUBSCRIBE", "n*")).toEqual([["punsubscribe", "n*", 1]]);
    expect(await call(sub, 1, "PUNSUBSCRIBE")).toEqual([["punsubscribe", "*s", 0]]);
    expect(await call(sub, 1, "PUNSUBSCRIBE")).toEqual([["punsubscribe", null, 0]]);
    expect(await call(sub, 1, "PING")).toEqual(["PONG"]);
  });

  it("RESP2 subscribed mode allows only (P)(UN)SUBSCRIBE, PING, QUIT, RESET", async () => {
    const { net } = await mem();
    const sub = net.connect();
    await call(sub, 1, "SUBSCRIBE", "ch");
    expect(await call(sub, 1, "JSON.GET", "k")).toEqual([
      {
        error:
          "ERR Can't execute 'json.get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      },
    ]);
    expect(await call(sub, 1, "CLIENT", "ID")).toEqual([
      { error: expect.stringContaining("Can't execute 'client|id'") },
    ]);
    expect(await call(sub, 1, "PING")).toEqual([["pong", ""]]);
    expect(await call(sub, 1, "PING", "hi")).toEqual([["pong", "hi"]]);
    // Unknown commands and wrong arity keep their own errors, as in Redis.
    expect(await call(sub, 1, "NOSUCH")).toEqual([{ error: expect.stringContaining("unknown command") }]);
    expect(await call(sub, 1, "RESET")).toEqual(["RESET"]);
    expect(await call(sub, 1, "PUBSUB", "NUMSUB", "ch")).toEqual([["ch", 0]]);
    expect(await call(sub, 1, "PING")).toEqual(["PONG"]);
  });

  it("RESP3: pushes, any command while subscribed", async () => {
    const { net } = await mem();
    const sub = net.connect();
    const pub = net.connect();
    await call(sub, 1, "HELLO", "3");
    expect(await call(sub, 1, "SUBSCRIBE", "ch")).toEqual([
      { push: [Buffer.from("subscribe"), Buffer.from("ch"), 1] },
    ]);
    expect(await call(sub, 1, "JSON.SET", "k", "$", "1")).toEqual(["OK"]);
    expect(await call(sub, 1, "PING")).toEqual(["PONG"]);
    await call(pub, 1, "PUBLISH", "ch", "m");
    await sub.waitReplies(5);
    expect(sub.replies[4]).toEqual({ push: ["message", "ch", "m"].map((t) => Buffer.from(t)) });
  });
});

describe("PUBSUB, INFO, CLIENT LIST", () => {
  it("report channels, subscribers and patterns", async () => {
    const { net } = await mem();
    const a = net.connect();
    const b = net.connect();
    const admin = net.connect();
    await call(a, 2, "SUBSCRIBE", "x", "y");
    await call(b, 1, "SUBSCRIBE", "x");
    await call(b, 1, "PSUBSCRIBE", "p*");
    await call(a, 1, "PSUBSCRIBE", "p*");
    const [channels] = await call(admin, 1, "PUBSUB", "CHANNELS");
    expect((channels as string[]).sort()).toEqual(["x", "y"]);
    expect(await call(admin, 1, "PUBSUB", "CHANNELS", "y*")).toEqual([["y"]]);
    expect(await call(admin, 1, "PUBSUB", "NUMSUB", "x", "y", "z")).toEqual([["x", 2, "y", 1, "z", 0]]);
    expect(await call(admin, 1, "PUBSUB", "NUMPAT")).toEqual([1]);
    const [info] = await call(admin, 1, "INFO", "stats");
    expect(info).toContain("pubsub_channels:2\r\npubsub_patterns:1\r\n");
    const [list] = await call(admin, 1, "CLIENT", "LIST", "TYPE", "pubsub");
    const lines = String(list).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/flags=P db=0 sub=2 psub=1 /);
    const [normal] = await call(admin, 1, "CLIENT", "LIST", "TYPE", "normal");
    expect(String(normal).trim().split("\n")).toHaveLength(1);
    a.close();
    await tick();
    expect(await call(admin, 1, "PUBSUB", "NUMSUB", "x", "y")).toEqual([["x", 1, "y", 0]]);
  });
});

describe("client-output-buffer-limit pubsub", () => {
  it("a subscriber that does not read is closed past the hard limit; the publisher goes on", async () => {
    const log: string[] = [];
    const { net } = await mem({ log });
    const admin = net.connect();
    expect(await call(admin, 1, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1kb 0 0")).toEqual([
      "OK",
    ]);
    expect(await call(admin, 1, "CONFIG", "GET", "client-output-buffer-limit")).toEqual([
      ["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 1024 0 0"],
    ]);
    const slow = net.connect();
    const fast = net.connect();
    await call(slow, 1, "SUBSCRIBE", "ch");
    await call(fast, 1, "SUBSCRIBE", "ch");
    (slow.server as MemServerSide).stalled = true;
    const payload = "x".repeat(100);
    const counts: unknown[] = [];
    for (let i = 0; i < 20; i++) counts.push(...(await call(admin, 1, "PUBLISH", "ch", payload)));
    expect(counts.slice(0, 5)).toEqual([2, 2, 2, 2, 2]);
    expect(counts[19]).toBe(1);
    expect(slow.closedByServer).toBe(true);
    expect(fast.replies.filter((r) => Array.isArray(r) && r[0] === "message")).toHaveLength(20);
    expect(log.join("\n")).toContain("output buffer limits");
  });

  it("past the soft limit for longer than its seconds (on the Clock), the subscriber is closed", async () => {
    const clock = new ManualClock();
    const { net } = await mem({
      clock,
      directives: [["client-output-buffer-limit", "pubsub", "0", "200", "5"]],
    });
    const slow = net.connect();
    const admin = net.connect();
    await call(slow, 1, "SUBSCRIBE", "ch");
    (slow.server as MemServerSide).stalled = true;
    for (let i = 0; i < 5; i++) await call(admin, 1, "PUBLISH", "ch", "y".repeat(100));
    expect(slow.closedByServer).toBe(false);
    clock.advance(5000);
    await call(admin, 1, "PUBLISH", "ch", "z");
    expect(slow.closedByServer).toBe(false);
    clock.advance(1);
    await call(admin, 1, "PUBLISH", "ch", "z");
    expect(slow.closedByServer).toBe(true);
  });

  it("CONFIG SET refuses bad limits with Redis's errors and changes nothing", async () => {
    const { net } = await mem();
    const c = net.connect();
    const prefix = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
    expect(await call(c, 1, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2")).toEqual([
      { error: `${prefix}Wrong number of arguments in buffer limit configuration.` },
    ]);
    expect(await call(c, 1, "CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3")).toEqual([
      { error: `${prefix}Invalid client class specified in buffer limit configuration.` },
    ]);
    expect(await call(c, 1, "CONFIG", "SET", "client-output-buffer-limit", "pubsub x 2 3")).toEqual([
      { error: `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.` },
    ]);
  });
});

describe("keyspace notifications", () => {
  it("parse Redis's classes, show them canonically, refuse unknown ones", async () => {
    const { net } = await mem();
    const c = net.connect();
    expect(await call(c, 1, "CONFIG", "GET", "notify-keyspace-events")).toEqual([
      ["notify-keyspace-events", ""],
    ]);
    await call(c, 1, "CONFIG", "SET", "notify-keyspace-events", "KEA");
    expect(await call(c, 1, "CONFIG", "GET", "notify-keyspace-events")).toEqual([
      ["notify-keyspace-events", "AKE"],
    ]);
    await call(c, 1, "CONFIG", "SET", "notify-keyspace-events", "Egdxm");
    expect(await call(c, 1, "CONFIG", "GET", "notify-keyspace-events")).toEqual([
      ["notify-keyspace-events", "gxdEm"],
    ]);
    expect(await call(c, 1, "CONFIG", "SET", "notify-keyspace-events", "KEw")).toEqual([
      {
        error:
          "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
      },
    ]);
  });

  it("__keyspace@db__ and __keyevent@db__ messages for writes and deletes, per class", async () => {
    const { net } = await mem({ directives: [["notify-keyspace-events", "KEA"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, 1, "PSUBSCRIBE", "__key*__:*");
    await call(w, 1, "JSON.SET", "doc", "$", '{"a":1}');
    await call(w, 1, "DEL", "doc");
    await call(w, 1, "SELECT", "3");
    await call(w, 1, "JSON.SET", "other", "$", "2");
    await sub.waitReplies(1 + 6);
    expect(sub.replies.slice(1, 7)).toEqual([
      ["pmessage", "__key*__:*", "__keyspace@0__:doc", "json.set"],
      ["pmessage", "__key*__:*", "__keyevent@0__:json.set", "doc"],
      ["pmessage", "__key*__:*", "__keyspace@0__:doc", "del"],
      ["pmessage", "__key*__:*", "__keyevent@0__:del", "doc"],
      ["pmessage", "__key*__:*", "__keyspace@3__:other", "json.set"],
      ["pmessage", "__key*__:*", "__keyevent@3__:json.set", "other"],
    ]);
    // Only generic events (g) on keyspace channels (K): no json.set, no keyevent.
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "Kg");
    await call(w, 1, "JSON.SET", "other", "$", "3");
    await call(w, 1, "DEL", "other");
    await sub.waitReplies(8);
    await tick();
    expect(sub.replies.slice(7)).toEqual([["pmessage", "__key*__:*", "__keyspace@3__:other", "del"]]);
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "");
    await call(w, 1, "JSON.SET", "other", "$", "4");
    await tick();
    expect(sub.replies).toHaveLength(8);
  });

  it("JSON writes at a path send json.set; JSON.DEL of the root sends del", async () => {
    const { net } = await mem({ directives: [["notify-keyspace-events", "KEA"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, 1, "PSUBSCRIBE", "__keyevent@0__:*");
    await call(w, 1, "JSON.SET", "doc", "$", '{"a":1,"l":[]}');
    await call(w, 1, "JSON.NUMINCRBY", "doc", "$.a", "1");
    await call(w, 1, "JSON.ARRAPPEND", "doc", "$.l", "1");
    await call(w, 1, "JSON.DEL", "doc", "$.a");
    await call(w, 1, "JSON.NUMINCRBY", "doc", "$.zz", "1"); // nothing selected: nothing written, no event
    await call(w, 1, "JSON.DEL", "doc", "$");
    await sub.waitReplies(1 + 5);
    await tick();
    const set = ["pmessage", "__keyevent@0__:*", "__keyevent@0__:json.set", "doc"];
    expect(sub.replies.slice(1)).toEqual([
      set,
      set,
      set,
      set,
      ["pmessage", "__keyevent@0__:*", "__keyevent@0__:del", "doc"],
    ]);
  });

  it("data-type commands send Redis's event names in their own class; emptying a hash sends hdel then del", async () => {
    const { net } = await mem({ directives: [["notify-keyspace-events", "Kh"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, 1, "PSUBSCRIBE", "__key*__:*");
    await call(w, 1, "HSET", "h", "a", "1");
    await call(w, 1, "SADD", "s", "x");
    await call(w, 1, "HDEL", "h", "a");
    await sub.waitReplies(1 + 2);
    await tick();
    expect(sub.replies.slice(1)).toEqual([
      ["pmessage", "__key*__:*", "__keyspace@0__:h", "hset"],
      ["pmessage", "__key*__:*", "__keyspace@0__:h", "hdel"],
    ]);
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "KEA");
    await call(w, 1, "SADD", "s", "y");
    await call(w, 1, "SREM", "s", "x", "y");
    await sub.waitReplies(3 + 6);
    expect(sub.replies.slice(3)).toEqual([
      ["pmessage", "__key*__:*", "__keyspace@0__:s", "sadd"],
      ["pmessage", "__key*__:*", "__keyevent@0__:sadd", "s"],
      ["pmessage", "__key*__:*", "__keyspace@0__:s", "srem"],
      ["pmessage", "__key*__:*", "__keyevent@0__:srem", "s"],
      ["pmessage", "__key*__:*", "__keyspace@0__:s", "del"],
      ["pmessage", "__key*__:*", "__keyevent@0__:del", "s"],
    ]);
  });

  it("`new` (class n) goes out before the event of a write that creates a key, never for an existing one", async () => {
    const { net } = await mem({ directives: [["notify-keyspace-events", "En"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, 1, "PSUBSCRIBE", "*");
    await call(w, 1, "SET", "foo", "bar");
    await call(w, 1, "SET", "foo", "baz"); // exists: no `new`
    await call(w, 1, "SADD", "s", "a");
    await call(w, 1, "SADD", "s", "b");
    await call(w, 1, "JSON.SET", "j", "$", "{}");
    await call(w, 1, "JSON.SET", "j", "$", "{}");
    await call(w, 1, "COPY", "foo", "foo2");
    await call(w, 1, "DEL", "s");
    await call(w, 1, "SADD", "s", "c"); // created again after its delete
    await sub.waitReplies(1 + 5);
    await tick();
    expect(sub.replies.slice(1).map((r) => (r as string[])[3])).toEqual(["foo", "s", "j", "foo2", "s"]);
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "KA");
    await call(w, 1, "SET", "other", "1"); // n is not part of A
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "Kn");
    await call(w, 1, "RPUSH", "l", "x");
    await sub.waitReplies(1 + 5 + 2);
    await tick();
    expect(sub.replies.slice(6)).toEqual([
      ["pmessage", "*", "__keyspace@0__:other", "set"],
      ["pmessage", "*", "__keyspace@0__:l", "new"],
    ]);
  });

  it("`expired` (class x) goes out once a key's expiry passes (Clock), not for a key written or persisted since", async () => {
    const clock = new ManualClock();
    const { net } = await mem({ clock, directives: [["notify-keyspace-events", "KEx"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, 1, "PSUBSCRIBE", "*");
    await call(w, 1, "PSETEX", "foo", "100", "1");
    await call(w, 1, "HSET", "h", "f", "v");
    await call(w, 1, "PEXPIRE", "h", "300");
    await call(w, 1, "PSETEX", "kept", "100", "1");
    await call(w, 1, "PERSIST", "kept");
    await call(w, 1, "PSETEX", "rewritten", "100", "1");
    await call(w, 1, "SET", "rewritten", "2");
    clock.advance(99);
    await tick();
    expect(sub.replies).toHaveLength(1);
    clock.advance(2);
    await sub.waitReplies(1 + 2);
    await tick();
    expect(sub.replies.slice(1)).toEqual([
      ["pmessage", "*", "__keyspace@0__:foo", "expired"],
      ["pmessage", "*", "__keyevent@0__:expired", "foo"],
    ]);
    expect(await call(w, 1, "EXISTS", "foo", "kept", "rewritten")).toEqual([2]);
    clock.advance(300);
    await sub.waitReplies(1 + 4);
    await tick();
    expect(sub.replies.slice(3)).toEqual([
      ["pmessage", "*", "__keyspace@0__:h", "expired"],
      ["pmessage", "*", "__keyevent@0__:expired", "h"],
    ]);
  });

  it("`expired` also for keys whose expiry was set before class x was turned on (once per expiry)", async () => {
    const clock = new ManualClock();
    const { net } = await mem({ clock });
    const sub = net.connect();
    const w = net.connect();
    await call(w, 1, "PSETEX", "early", "100", "1");
    await call(w, 1, "HSET", "h", "f", "v");
    await call(w, 1, "PEXPIRE", "h", "100");
    await call(w, 1, "SET", "forever", "1");
    await call(sub, 1, "PSUBSCRIBE", "*");
    await call(w, 1, "CONFIG", "SET", "notify-keyspace-events", "Ex");
    await tick();
    await call(w, 1, "PEXPIRE", "h", "150"); // a change during or after the scan: its expiry wins
    clock.advance(101);
    await sub.waitReplies(1 + 1);
    await tick();
    clock.advance(50);
    await sub.waitReplies(1 + 2);
    await tick();
    expect(sub.replies.slice(1)).toEqual([
      ["pmessage", "*", "__keyevent@0__:expired", "early"],
      ["pmessage", "*", "__keyevent@0__:expired", "h"],
    ]);
  });

  it("are sent only after the write's fdatasync, and recovery sends none", async () => {
    const fs = new TestDisk();
    const clock = {
      now: () => 0,
      sleep: () => Promise.resolve(),
      timer: () => () => {},
      yield: () => Promise.resolve(),
    };
    const db = await Engine.open({ dir: "db", fs, clock });
    const first = await memServer({ db, directives: [["notify-keyspace-events", "KA"]] });
    const sub = first.net.connect();
    const w = first.net.connect();
    await call(sub, 1, "SUBSCRIBE", "__keyspace@0__:k");
    const hold = fs.holdSync();
    w.command("JSON.SET", "k", "$", "1");
    await hold.entered;
    await tick();
    expect(w.replies).toEqual([]);
    expect(sub.replies).toHaveLength(1);
    hold.release();
    await w.waitReplies(1);
    await sub.waitReplies(2);
    expect(sub.replies[1]).toEqual(["message", "__keyspace@0__:k", "json.set"]);
    await first.server.close();

    const reopened = await Engine.open({ dir: "db", fs, clock });
    const second = await mem({ db: reopened, directives: [["notify-keyspace-events", "KA"]] });
    const sub2 = second.net.connect();
    await call(sub2, 1, "PSUBSCRIBE", "*");
    expect(await call(second.net.connect(), 1, "JSON.GET", "k")).toEqual(["1"]);
    await tick();
    expect(sub2.replies).toHaveLength(1);
  });
});

describe("real clients over TCP", () => {
  it.each([2, 3] as const)(
    "node-redis RESP%s: subscribe and pSubscribe receive published messages",
    async (resp) => {
      const s = await tcpServer();
      cleanups.push(() => s.server.close());
      const url = `redis://127.0.0.1:${s.port}`;
      const sub = createClient({ url, RESP: resp });
      const pub = createClient({ url });
      for (const c of [sub, pub]) {
        c.on("error", () => undefined);
        await c.connect();
        cleanups.push(() => c.close());
      }
      const got: string[] = [];
      await sub.subscribe("room", (message, channel) => got.push(`${channel}:${message}`));
      await sub.pSubscribe("ro*", (message, channel) => got.push(`p ${channel}:${message}`));
      expect(await pub.publish("room", "hi")).toBe(2);
      expect(await pub.sendCommand(["PUBSUB", "NUMPAT"])).toBe(1);
      for (let i = 0; i < 200 && got.length < 2; i++) await tick();
      expect(got.sort()).toEqual(["p room:hi", "room:hi"]);
      await sub.unsubscribe("room");
      await sub.pUnsubscribe();
      expect(await pub.publish("room", "again")).toBe(0);
    },
  );

  it("a raw-socket subscriber that never reads is disconnected; node-redis publishes on", async () => {
    const s = await tcpServer({ directives: [["client-output-buffer-limit", "pubsub", "256kb", "0", "0"]] });
    cleanups.push(() => s.server.close());
    const raw = connect(s.port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => raw.on("close", () => resolve()));
    raw.on("error", () => undefined);
    raw.write("SUBSCRIBE flood\r\n");
    await new Promise<void>((resolve) => raw.once("data", () => resolve()));
    raw.pause();
    const pub = createClient({ url: `redis://127.0.0.1:${s.port}` });
    pub.on("error", () => undefined);
    await pub.connect();
    cleanups.push(() => pub.close());
    const message = Buffer.alloc(64 * 1024, 0x61).toString();
    let receivers = 1;
    // Bounded: kernel buffers hold a few MB at most; the limit is 256 KB above them.
    for (let i = 0; i < 2000 && receivers > 0; i++) receivers = await pub.publish("flood", message);
    expect(receivers).toBe(0);
    raw.resume(); // a paused socket reports the server's close only once its data is read
    await closed;
    expect(await pub.ping()).toBe("PONG");
  });
});
