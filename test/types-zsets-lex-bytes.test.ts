/**
 * Lex ranges whose bounds and members hold bytes >= 0x80 (0x80, 0xFE, 0xFF, the UTF-8 pair C3 BF, a
 * trailing 0x00): Redis compares members and bounds as raw bytes (memcmp, then length), so `(\xff`
 * excludes the one-byte member 0xFF and includes 0xFF 0x00. Invariants checked:
 * - each table row's answer is redis-server 7.0.15's (recorded from it; when `redis-server` is on the PATH
 *   the rows are re-checked against a live one), and the engine (library, bounds as bytes), the reference
 *   model (sim/redis-model) and the RESP server give exactly that answer, ZREMRANGEBYLEX's leftover too;
 * - the library reads a bound given as a JS string as its UTF-8 bytes, like every other string argument:
 *   "(ÿ" is the bound C3 BF, not 0xFF (the seeded differential once passed such strings where the model
 *   read bytes, which looked like an engine bug: test/types-zsets.test.ts, seed 1975390207);
 * - on 600 two-byte members (more than one read page of the index walk) random high-byte bounds agree with
 *   the model (seed printed).
 */
import { Buffer } from "node:buffer";
import { createClient, RESP_TYPES } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { RedisKeyspace, zsets } from "../sim/redis-model/index.js";
import type { FuseDB } from "../src/db.js";
import type { ZMember } from "../src/types/zsets.js";
import { call } from "./helpers/mem-call.js";
import { RESP_TYPES as MEM_TYPES } from "./helpers/mem-transport.js";
import { openMem } from "./helpers/open-mem.js";
import { hasRedisServer, type RedisServerProcess, startRedisServer } from "./helpers/redis-server-process.js";
import { memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** Bytes as a binary string (one char per byte) and back. */
const bin = (s: string): Buffer => Buffer.from(s, "latin1");
const text = (b: Uint8Array): string => Buffer.from(b).toString("latin1");
const names = (es: ZMember[]): string[] => es.map(([m]) => text(m));

/** The members every row starts from, all at score 0 (lex ranges are defined only for equal scores). */
const MEMBERS = [
  "",
  "a",
  "\x7f",
  "\x80",
  "\x80\x00",
  "\xc3\xbf",
  "\xfe",
  "\xff",
  "\xff\x00",
  "\xff\xff",
  "b\xff",
  "b",
];

/**
 * [command and its arguments after the key, Redis 7.0.15's reply, for ZREMRANGEBYLEX the members left].
 * Recorded from redis-server 7.0.15 (ZADD z 0 m for every member, then the command).
 */
const ROWS: [argv: string[], want: string[] | number, left?: string[]][] = [
  [["ZRANGE", "(\xff", "+", "BYLEX", "LIMIT", "0", "1"], ["\xff\x00"]],
  [
    ["ZRANGE", "[\xff", "+", "BYLEX"],
    ["\xff", "\xff\x00", "\xff\xff"],
  ],
  [
    ["ZRANGE", "(\xff", "+", "BYLEX"],
    ["\xff\x00", "\xff\xff"],
  ],
  [
    ["ZRANGE", "-", "(\xff", "BYLEX"],
    ["", "a", "b", "b\xff", "\x7f", "\x80", "\x80\x00", "\xc3\xbf", "\xfe"],
  ],
  [
    ["ZRANGE", "-", "[\x80", "BYLEX"],
    ["", "a", "b", "b\xff", "\x7f", "\x80"],
  ],
  [["ZRANGE", "(\x7f", "(\x80\x00", "BYLEX"], ["\x80"]],
  [
    ["ZRANGE", "[\x80", "[\xc3\xbf", "BYLEX"],
    ["\x80", "\x80\x00", "\xc3\xbf"],
  ],
  [["ZRANGE", "(\xc3", "(\xc4", "BYLEX"], ["\xc3\xbf"]],
  [
    ["ZRANGE", "(\xfe", "[\xff\x00", "BYLEX"],
    ["\xff", "\xff\x00"],
  ],
  [["ZRANGE", "[\xff\xff", "(\xff", "BYLEX"], []],
  [
    ["ZRANGE", "[\xff\xff", "[\xff", "BYLEX", "REV"],
    ["\xff\xff", "\xff\x00", "\xff"],
  ],
  [
    ["ZRANGE", "(\xff", "(\x80", "BYLEX", "REV"],
    ["\xfe", "\xc3\xbf", "\x80\x00"],
  ],
  [["ZRANGE", "+", "(\xff", "BYLEX", "REV", "LIMIT", "1", "1"], ["\xff\x00"]],
  [["ZRANGE", "[b\xff", "(b", "BYLEX", "REV"], ["b\xff"]],
  [
    ["ZRANGE", "(b", "+", "BYLEX"],
    ["b\xff", "\x7f", "\x80", "\x80\x00", "\xc3\xbf", "\xfe", "\xff", "\xff\x00", "\xff\xff"],
  ],
  [["ZRANGE", "[\xff", "[\xff", "BYLEX"], ["\xff"]],
  [["ZRANGE", "(\xff", "[\xff", "BYLEX"], []],
  [
    ["ZRANGEBYLEX", "(\x7f", "[\xfe"],
    ["\x80", "\x80\x00", "\xc3\xbf", "\xfe"],
  ],
  [
    ["ZREVRANGEBYLEX", "[\xff\x00", "(\x7f", "LIMIT", "0", "3"],
    ["\xff\x00", "\xff", "\xfe"],
  ],
  [["ZLEXCOUNT", "(\xff", "+"], 2],
  [["ZLEXCOUNT", "[\x80", "(\xff"], 4],
  [["ZLEXCOUNT", "-", "(\x80"], 5],
  [["ZLEXCOUNT", "(\xff\xff", "+"], 0],
  [
    ["ZREMRANGEBYLEX", "(\xff", "+"],
    2,
    ["", "a", "b", "b\xff", "\x7f", "\x80", "\x80\x00", "\xc3\xbf", "\xfe", "\xff"],
  ],
  [["ZREMRANGEBYLEX", "[\x80", "(\xff"], 4, ["", "a", "b", "b\xff", "\x7f", "\xff", "\xff\x00", "\xff\xff"]],
  [
    ["ZREMRANGEBYLEX", "(\x7f", "[\xc3\xbf"],
    3,
    ["", "a", "b", "b\xff", "\x7f", "\xfe", "\xff", "\xff\x00", "\xff\xff"],
  ],
];

/** A row's command parsed: bounds low..high as ZRANGE takes them (high first with rev), REV, LIMIT. */
function parse(argv: string[]): {
  cmd: string;
  a: string;
  b: string;
  rev: boolean;
  limit?: { offset: number; count: number };
} {
  const [cmd = "", a = "", b = "", ...rest] = argv;
  const at = rest.indexOf("LIMIT");
  const limit = at < 0 ? undefined : { offset: Number(rest[at + 1]), count: Number(rest[at + 2]) };
  return { cmd, a, b, rev: rest.includes("REV") || cmd === "ZREVRANGEBYLEX", ...(limit ? { limit } : {}) };
}

/** A row on the engine's library API, bounds passed as bytes: [reply, members left]. */
async function onEngine(db: FuseDB, key: string, argv: string[]): Promise<[string[] | number, string[]]> {
  const { cmd, a, b, rev, limit } = parse(argv);
  let reply: string[] | number;
  if (cmd === "ZLEXCOUNT") reply = await db.zsets.zlexcount(key, bin(a), bin(b));
  else if (cmd === "ZREMRANGEBYLEX") reply = await db.zsets.zremrangebylex(key, bin(a), bin(b));
  else if (cmd === "ZRANGEBYLEX") reply = names(await db.zsets.zrangebylex(key, bin(a), bin(b), limit));
  else if (cmd === "ZREVRANGEBYLEX") reply = names(await db.zsets.zrevrangebylex(key, bin(a), bin(b), limit));
  else
    reply = names(
      await db.zsets.zrange(key, bin(a), bin(b), { by: "lex", rev, ...(limit ? { limit } : {}) }),
    );
  return [reply, names(await db.zsets.zrange(key, 0, -1))];
}

/** A row on the reference model: [reply, members left]. */
function onModel(argv: string[]): [string[] | number, string[]] {
  const ks = new RedisKeyspace();
  zsets.zadd(
    ks,
    "z",
    MEMBERS.map((m): [number, string] => [0, m]),
    {},
    0,
  );
  const { cmd, a, b, rev, limit } = parse(argv);
  let reply: string[] | number;
  if (cmd === "ZLEXCOUNT") reply = zsets.zlexcount(ks, "z", a, b, 0);
  else if (cmd === "ZREMRANGEBYLEX") reply = zsets.zremrangeby(ks, "z", "lex", a, b, 0);
  else reply = zsets.zrange(ks, "z", a, b, { by: "lex", rev, ...(limit ? { limit } : {}) }, 0) as string[];
  return [reply, zsets.zentries(ks, "z", 0).map(([m]) => m)];
}

/** A RESP reply of bulk strings (Buffers) or an integer, as the table writes it. */
function fromResp(r: unknown): string[] | number {
  if (Array.isArray(r)) return r.map((x) => (typeof x === "string" ? x : text(x as Uint8Array)));
  return Number(r);
}

describe("lex ranges over bytes >= 0x80 (Redis 7.0.15's answers)", () => {
  it("the engine and the reference model give the recorded replies", async () => {
    const db = await openMem(new TestDisk());
    for (const [i, [argv, want, left]] of ROWS.entries()) {
      const key = `z${i}`;
      await db.zsets.zadd(
        key,
        MEMBERS.map((m): [number, Buffer] => [0, bin(m)]),
      );
      const what = JSON.stringify(argv);
      const [got, after] = await onEngine(db, key, argv);
      expect(got, `engine ${what}`).toEqual(want);
      expect(onModel(argv)[0], `model ${what}`).toEqual(want);
      const rest = left ?? MEMBERS.slice().sort((x, y) => Buffer.compare(bin(x), bin(y)));
      expect(after, `engine left ${what}`).toEqual(rest);
      expect(onModel(argv)[1], `model left ${what}`).toEqual(rest);
    }
    await db.close();
  });

  it("the RESP server gives the recorded replies", async () => {
    const { net, db } = await memServer();
    const client = net.connect();
    client.typeMapping = { [MEM_TYPES.BLOB_STRING as number]: Buffer };
    for (const [i, [argv, want, left]] of ROWS.entries()) {
      const key = `z${i}`;
      await call(client, "ZADD", key, ...MEMBERS.flatMap((m) => ["0", bin(m)]));
      const [cmd = "", ...args] = argv;
      const got = fromResp(await call(client, cmd, key, ...args.map(bin)));
      expect(got, JSON.stringify(argv)).toEqual(want);
      if (left)
        expect(fromResp(await call(client, "ZRANGE", key, "0", "-1")), JSON.stringify(argv)).toEqual(left);
    }
    await db.close();
  });

  it("a bound given as a JS string is its UTF-8 bytes, as members given as strings are", async () => {
    const db = await openMem(new TestDisk());
    await db.zsets.zadd(
      "z",
      MEMBERS.map((m): [number, Buffer] => [0, bin(m)]),
    );
    // "(ÿ" is ( C3 BF: above it 0xFE, 0xFF, 0xFF 0x00, 0xFF 0xFF; the byte bound (FF leaves two.
    expect(names(await db.zsets.zrange("z", "(\xff", "+", { by: "lex" }))).toEqual([
      "\xfe",
      "\xff",
      "\xff\x00",
      "\xff\xff",
    ]);
    expect(names(await db.zsets.zrange("z", bin("(\xff"), "+", { by: "lex" }))).toEqual([
      "\xff\x00",
      "\xff\xff",
    ]);
    await db.zsets.zadd("u", [
      [0, "ÿ"],
      [0, "é"],
      [0, "z"],
    ]);
    expect(await db.zsets.zrangebylex("u", "(é", "[ÿ")).toEqual([[bin("\xc3\xbf"), 0]]);
    expect(await db.zsets.zlexcount("u", "(z", "+")).toBe(2);
    await db.close();
  });

  it("600 two-byte members: random high-byte bounds agree with the model across read pages", async () => {
    const seed = testSeed("zsets high-byte lex walk");
    const r = new Prng(seed);
    const db = await openMem(new TestDisk());
    const ks = new RedisKeyspace();
    const members = Array.from({ length: 600 }, (_, i) =>
      String.fromCharCode(0x7e + (i % 130), (i * 37) % 256),
    );
    await db.zsets.zadd(
      "big",
      members.map((m): [number, Buffer] => [0, bin(m)]),
    );
    zsets.zadd(
      ks,
      "big",
      members.map((m): [number, string] => [0, m]),
      {},
      0,
    );
    const bound = (): string => {
      const k = r.int(10);
      if (k === 0) return "-";
      if (k === 1) return "+";
      const body = r.bool() ? String.fromCharCode(0x7e + r.int(130)) : (r.pick(members) as string);
      return (r.bool() ? "(" : "[") + body;
    };
    for (let i = 0; i < 200; i++) {
      const [a, b, rev] = [bound(), bound(), r.bool()];
      const limit = r.bool(0.3) ? { offset: r.int(300), count: r.pick([-1, 1, 50, 400]) } : undefined;
      const opts = { by: "lex" as const, rev, ...(limit ? { limit } : {}) };
      const what = `seed ${seed} #${i}: ${JSON.stringify([a, b, opts])}`;
      const got = names(await db.zsets.zrange("big", bin(a), bin(b), opts));
      expect(got, what).toEqual(zsets.zrange(ks, "big", a, b, opts, 0));
      if (!rev)
        expect(await db.zsets.zlexcount("big", bin(a), bin(b)), what).toBe(
          zsets.zlexcount(ks, "big", a, b, 0),
        );
    }
    await db.close();
  });
});

describe.skipIf(!hasRedisServer)("the table against a live redis-server", () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  it("every row's recorded reply is the live server's", async () => {
    console.log(`live check against ${redis.version}`);
    const c = createClient({ url: `redis://127.0.0.1:${redis.port}`, RESP: 2 }).withTypeMapping({
      [RESP_TYPES.BLOB_STRING]: Buffer,
    });
    await c.connect();
    try {
      for (const [argv, want, left] of ROWS) {
        await c.del("z");
        await c.sendCommand([bin("ZADD"), bin("z"), ...MEMBERS.flatMap((m) => [bin("0"), bin(m)])]);
        const [cmd = "", ...args] = argv;
        expect(
          fromResp(await c.sendCommand([bin(cmd), bin("z"), ...args.map(bin)])),
          JSON.stringify(argv),
        ).toEqual(want);
        if (left)
          expect(
            fromResp(await c.sendCommand([bin("ZRANGE"), bin("z"), bin("0"), bin("-1")])),
            JSON.stringify(argv),
          ).toEqual(left);
      }
    } finally {
      await c.quit();
    }
  });
});
