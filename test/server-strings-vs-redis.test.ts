/**
 * fusedb's string and hash number commands against a real redis-server (Debian's, skipped when absent):
 * the same seeded commands — SET/HSET of random float and integer texts, INCRBYFLOAT/HINCRBYFLOAT and
 * INCRBY/HINCRBY by random texts, GETRANGE/SETRANGE at random int64 indexes, SETBIT/GETBIT, LCS, SET with random
 * options —
 * must give byte-identical replies, so the long double digits, the parse rules and the error texts are
 * Redis's own, not only the reference model's. Then the differential test's string and hash command
 * generators, replies compared exactly except where Redis's order or draws are unspecified.
 */
import { Buffer } from "node:buffer";
import { RESP_TYPES as CLIENT_TYPES, createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { RedisKeyspace } from "../sim/redis-model/index.js";
import { floatText } from "./helpers/float-texts.js";
import { Decoder, type MemClient, RESP_TYPES } from "./helpers/mem-transport.js";
import { type Gen, KEYS } from "./helpers/redis-diff-alphabet.js";
import { HASH_STEPS } from "./helpers/redis-diff-gen-collections.js";
import { STRING_STEPS } from "./helpers/redis-diff-gen-strings.js";
import { normalizeReply, type Reply, type Step, show } from "./helpers/redis-diff-steps.js";
import { hasRedisServer, type RedisServerProcess, startRedisServer } from "./helpers/redis-server-process.js";
import { memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";

/** The engine's replies decoded as the real client decodes Redis's (Buffers, integers as text). */
class EngineClient {
  private at = 0;
  private readonly out: unknown[] = [];
  private readonly decoder = new Decoder({
    onReply: (r) => this.out.push(r),
    onErrorReply: (e) => this.out.push(e),
    onPush: () => undefined,
    getTypeMapping: () => ({
      [RESP_TYPES.BLOB_STRING as number]: Buffer,
      [RESP_TYPES.SIMPLE_STRING as number]: String,
      [RESP_TYPES.NUMBER as number]: String,
    }),
  });
  constructor(private readonly c: MemClient) {}

  async send(argv: string[]): Promise<Reply> {
    const before = this.c.replies.length;
    this.c.command(...argv.map((a) => Buffer.from(a, "latin1")));
    await this.c.waitReplies(before + 1);
    this.decoder.write(this.c.received.subarray(this.at));
    this.at = this.c.received.length;
    return normalizeReply(this.out.shift());
  }
}

function makeClient(port: number) {
  return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 2 }).withTypeMapping({
    [CLIENT_TYPES.NUMBER]: String,
    [CLIENT_TYPES.BLOB_STRING]: Buffer,
    [CLIENT_TYPES.SIMPLE_STRING]: String,
  });
}

const INT_TEXTS = ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808"];

/** One random command on keys "s" (a string) and "h" (a hash). */
function command(r: Prng): string[] {
  const int = () =>
    r.int(3) === 0
      ? (r.pick(INT_TEXTS) as string)
      : String(BigInt(r.int(2 ** 30)) * BigInt(r.int(2 ** 30) - 2 ** 29));
  const index = () =>
    String(r.int(2) === 0 ? r.int(40) - 20 : BigInt(r.int(2 ** 31)) ** 2n * (r.int(2) ? 1n : -1n));
  switch (r.int(14)) {
    case 0:
      return ["SET", "s", r.int(2) === 0 ? floatText(r) : int()];
    case 1:
      return ["INCRBYFLOAT", "s", floatText(r)];
    case 2:
      return ["HSET", "h", "f", r.int(2) === 0 ? floatText(r) : int()];
    case 3:
      return ["HINCRBYFLOAT", "h", "f", floatText(r)];
    case 4:
      return [r.pick(["INCRBY", "DECRBY"]) as string, "s", int()];
    case 5:
      return ["HINCRBY", "h", "f", int()];
    case 6:
      return ["GETRANGE", "s", index(), index()];
    case 10:
      return [
        "SET",
        r.pick(["s", "t"]) as string,
        Array.from({ length: r.int(14) }, () => r.pick(["a", "b", "c", "1"])).join(""),
      ];
    case 11:
    case 12: {
      const argv = ["LCS", "s", r.pick(["t", "h", "none"]) as string];
      const opts = ["IDX", "LEN", "WITHMATCHLEN", "MINMATCHLEN", String(r.int(4) - 1), "IDX", "FOO"];
      for (let i = r.int(4); i > 0; i--) argv.push(r.pick(opts) as string);
      return argv;
    }
    case 8:
      return ["SETBIT", "s", String(r.int(120) - 2), String(r.int(3))];
    case 9:
      return ["GETBIT", "s", String(r.int(120) - 2)];
    case 7:
      return ["SETRANGE", "s", String(r.int(30) - 2), r.pick(["", "x", "\x00\xff"]) as string];
    default: {
      const opts = ["NX", "XX", "GET", "KEEPTTL", "EX", "100", "PX", "0", "EXAT", "1", "PERSIST"];
      const argv = ["SET", "s", int()];
      for (let i = r.int(4); i > 0; i--) argv.push(r.pick(opts) as string);
      return argv;
    }
  }
}

const TITLE = hasRedisServer
  ? "string and hash numbers against a real redis-server"
  : "string and hash numbers against a real redis-server: SKIPPED, redis-server is not installed";

describe.skipIf(!hasRedisServer)(TITLE, () => {
  let redis: RedisServerProcess;
  let client: ReturnType<typeof makeClient>;
  beforeAll(async () => {
    redis = await startRedisServer();
    client = makeClient(redis.port);
    client.on("error", () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await redis?.stop();
  });

  it("gives Redis's replies byte for byte over seeded random commands", async () => {
    const seed = testSeed("server-strings vs redis");
    const r = new Prng(seed);
    const { net } = await memServer();
    const engine = new EngineClient(net.connect());
    await client.sendCommand(["FLUSHALL"]);
    const problems: string[] = [];
    for (let i = 0; i < 1500 && problems.length < 5; i++) {
      const argv = command(r);
      let real: Reply;
      try {
        real = normalizeReply(await client.sendCommand(argv.map((a) => Buffer.from(a, "latin1"))));
      } catch (e) {
        real = normalizeReply(e);
      }
      const mine = await engine.send(argv);
      if (show(mine) !== show(real)) {
        problems.push(
          `seed ${seed} step ${i} ${JSON.stringify(argv)}: fusedb ${show(mine)} redis ${show(real)}`,
        );
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it("answers the differential generators' string and hash commands as Redis does", async () => {
    const seed = testSeed("server-strings generators vs redis");
    const r = new Prng(seed);
    const { net } = await memServer();
    const engine = new EngineClient(net.connect());
    await client.sendCommand(["FLUSHALL"]);
    const ks = new RedisKeyspace();
    const unordered = new Set(["HGETALL", "HKEYS", "HVALS", "HRANDFIELD", "HSCAN"]);
    const problems: string[] = [];
    let compared = 0;
    for (let i = 0; i < 1500 && problems.length < 5; i++) {
      const g: Gen = { r, ks, nowMs: Date.now(), setExpired: new Set() };
      const step = (r.pick([...STRING_STEPS, ...HASH_STEPS]) as (g: Gen, k: string) => Step)(
        g,
        r.pick(KEYS) as string,
      );
      const argv = step.argv;
      // fusedb stores expiry times up to 2^53 ms (docs: invalid expire time beyond), Redis up to 2^63.
      const farExpiry = argv.some(
        (a, j) => j > 1 && /^\d{16,}$/.test(a) && /^(EX|PX|EXAT|PXAT)$/i.test(argv[j - 1] ?? ""),
      );
      if (farExpiry) continue;
      let real: Reply;
      try {
        real = normalizeReply(await client.sendCommand(argv.map((a) => Buffer.from(a, "latin1"))));
      } catch (e) {
        real = normalizeReply(e);
      }
      const mine = await engine.send(argv);
      step.check(ks, real, Date.now()); // keeps the generators' model in step with Redis
      if (unordered.has((argv[0] ?? "").toUpperCase())) continue;
      compared++;
      if (show(mine) !== show(real)) {
        problems.push(
          `seed ${seed} step ${i} ${JSON.stringify(argv)}: fusedb ${show(mine)} redis ${show(real)}`,
        );
      }
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  }, 60_000);
});
