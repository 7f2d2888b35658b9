/**
 * Sorted-set commands over RESP (src/server/commands/zset-*.ts). Invariants checked:
 * - seeded random command sequences (test/helpers/redis-diff-gen-zsets.ts: every ZADD flag, ZRANGE form,
 *   bound, LIMIT, store and combine option, error case) get exactly the reference model's replies
 *   (sim/redis-model/zsets.ts, zset-ranges.ts, zset-store.ts), errors by their full text; whole states agree
 *   every so often (seed printed; FUSEDB_TEST_SEED replays);
 * - RESP3 sends scores as doubles and WITHSCORES replies as [member, score] pairs, as Redis 7.0 does;
 * - ZSCAN's numeric cursors resume a scan, every member once; ZINTERCARD/ZMPOP argument errors as the
 *   Redis suite checks them; keyspace notifications carry Redis's zset event names.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { formatRedisDouble, RedisKeyspace, zsets } from "../sim/redis-model/index.js";
import { formatDouble } from "../src/server/resp-writer.js";
import { call, errorOf } from "./helpers/mem-call.js";
import { Decoder, type MemClient, RESP_TYPES } from "./helpers/mem-transport.js";
import { type Gen, KEYS } from "./helpers/redis-diff-alphabet.js";
import { ZSET_STEPS } from "./helpers/redis-diff-gen-zsets.js";
import { exact, flatEntries, normalizeReply, type Reply, type Step } from "./helpers/redis-diff-steps.js";
import { memServer } from "./helpers/resp-server.js";
import { testSeed } from "./helpers/seed.js";

/** A client whose replies keep bulk strings as bytes (members are binary). */
function binaryClient(c: MemClient): (argv: string[]) => Promise<Reply> {
  const replies: unknown[] = [];
  const decoder = new Decoder({
    onReply: (r) => replies.push(r),
    onErrorReply: (e) => replies.push(e),
    onPush: () => undefined,
    getTypeMapping: () => ({
      [RESP_TYPES.BLOB_STRING as number]: Buffer,
      [RESP_TYPES.NUMBER as number]: String,
      [RESP_TYPES.SIMPLE_STRING as number]: String,
    }),
  });
  const receive = c.receive.bind(c);
  c.receive = (bytes: Buffer) => {
    receive(bytes);
    decoder.write(bytes);
  };
  return async (argv) => {
    const before = c.replies.length;
    c.command(...argv.map((a) => Buffer.from(a, "latin1")));
    await c.waitReplies(before + 1);
    return normalizeReply(replies[before]);
  };
}

const STEPS_PER_SEED = 2000;
const SEEDS = 2;
const STATE_EVERY = 200;

describe("sorted-set commands", () => {
  it("agree with the Redis reference model over seeded random commands", async () => {
    const { net } = await memServer();
    const send = binaryClient(net.connect());
    const base = testSeed("server zsets differential");
    const problems: string[] = [];
    const kinds = new Set<string>();
    for (let seed = base; seed < base + SEEDS; seed++) {
      // FLUSHALL and DEL see JSON documents only until the key commands learn the types: empty each key.
      for (const k of KEYS) await send(["ZREMRANGEBYRANK", k, "0", "-1"]);
      const r = new Prng(seed);
      const ks = new RedisKeyspace();
      const recent: string[] = [];
      const apply = async (step: Step, at: number) => {
        const real = await send(step.argv);
        kinds.add(step.argv[0] ?? "");
        recent.push(JSON.stringify(step.argv));
        if (recent.length > 8) recent.shift();
        const problem = step.check(ks, real, 0);
        if (problem !== undefined)
          problems.push(
            `seed ${seed} step ${at}: ${JSON.stringify(step.argv)}: ${problem}\n after ${recent.join(" ")}`,
          );
        return problem === undefined;
      };
      for (let at = 0; at < STEPS_PER_SEED && problems.length === 0; at++) {
        const g: Gen = { r, ks, nowMs: 0, setExpired: new Set() };
        await apply(r.pick(ZSET_STEPS)(g, r.pick(KEYS)), at);
        if ((at + 1) % STATE_EVERY !== 0) continue;
        for (const k of KEYS) {
          await apply(
            exact(["ZRANGE", k, "0", "-1", "WITHSCORES"], (m) => flatEntries(zsets.zentries(m, k, 0))),
            at,
          );
        }
      }
    }
    console.log(`server zsets differential: ${kinds.size} command kinds`);
    expect(problems.slice(0, 3).join("\n")).toBe("");
    expect(kinds.size).toBeGreaterThan(25);
  });

  it("RESP3: doubles and [member, score] pairs where Redis 7.0 sends them", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HELLO", "3");
    expect(await call(c, "ZADD", "z", "1.5", "a", "2", "b", "inf", "c")).toBe(3);
    expect(await call(c, "ZSCORE", "z", "a")).toBe(1.5);
    expect(await call(c, "ZRANGE", "z", "0", "1", "WITHSCORES")).toEqual([
      ["a", 1.5],
      ["b", 2],
    ]);
    expect(await call(c, "ZINCRBY", "z", "1", "a")).toBe(2.5);
    expect(await call(c, "ZPOPMAX", "z")).toEqual(["c", Number.POSITIVE_INFINITY]);
    expect(await call(c, "ZPOPMIN", "z", "1")).toEqual([["b", 2]]);
    expect(await call(c, "ZADD", "z", "XX", "INCR", "1", "nobody")).toBe(null);
  });

  it("RESP2: Redis 7.0's %.17g score texts; ZSCAN cursors resume; errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "ZADD", "z", "1.1", "a", "-inf", "b", "1e20", "c", "0x10", "d")).toBe(4);
    expect(await call(c, "ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual([
      "b",
      "-inf",
      "a",
      "1.1000000000000001",
      "d",
      "16",
      "c",
      "1e+20",
    ]);
    expect(errorOf(await call(c, "ZADD", "z", "NX", "XX", "1", "a"))).toBe(
      "ERR XX and NX options at the same time are not compatible",
    );
    expect(errorOf(await call(c, "ZADD", "z", "nan", "a"))).toBe("ERR value is not a valid float");
    expect(errorOf(await call(c, "ZINCRBY", "z", "inf", "b"))).toBe(
      "ERR resulting score is not a number (NaN)",
    );
    for (let i = 0; i < 40; i++) await call(c, "ZADD", "big", String(i), `m${i}`);
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, items] = (await call(c, "ZSCAN", "big", cursor, "COUNT", "7")) as [string, string[]];
      expect(next).toMatch(/^\d+$/);
      for (let i = 0; i < items.length; i += 2) seen.push(items[i] as string);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.length).toBe(40);
    expect(new Set(seen).size).toBe(40);
    expect(errorOf(await call(c, "ZSCAN", "big", "abc"))).toBe("ERR invalid cursor");
    await call(c, "JSON.SET", "doc", "$", "1");
    expect(errorOf(await call(c, "ZADD", "doc", "1", "a"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    await call(c, "SADD", "plain", "a", "x");
    expect(await call(c, "ZUNION", "2", "plain", "z", "WITHSCORES")).toEqual([
      "b",
      "-inf",
      "x",
      "1",
      "a",
      "2.1000000000000001",
      "d",
      "16",
      "c",
      "1e+20",
    ]);
    expect(await call(c, "ZINTER", "2", "plain", "z", "WEIGHTS", "3", "1")).toEqual(["a"]);
    expect(await call(c, "ZUNIONSTORE", "doc", "1", "z")).toBe(4);
    expect(await call(c, "ZCARD", "doc")).toBe(4);
  });

  it("ZINTERCARD and ZMPOP (Redis 7.0) with the suite's illegal arguments", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "ZADD", "za", "1", "a", "2", "b", "3", "c");
    await call(c, "ZADD", "zb", "1", "b", "2", "c", "3", "d");
    expect(await call(c, "ZINTERCARD", "2", "za", "zb")).toBe(2);
    expect(await call(c, "ZINTERCARD", "2", "za", "zb", "LIMIT", "1")).toBe(1);
    expect(await call(c, "ZINTERCARD", "2", "za", "nokey")).toBe(0);
    expect(errorOf(await call(c, "ZINTERCARD", "1", "za", "za"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "ZINTERCARD", "1", "za", "LIMIT"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "ZINTERCARD", "1", "za", "LIMIT", "-1"))).toBe(
      "ERR LIMIT can't be negative",
    );
    expect(errorOf(await call(c, "ZINTERCARD", "1", "za", "LIMIT", "a"))).toBe("ERR LIMIT can't be negative");
    expect(errorOf(await call(c, "ZINTERCARD", "0", "za"))).toBe(
      "ERR at least 1 input key is needed for 'zintercard' command",
    );
    expect(await call(c, "ZMPOP", "2", "nokey", "zb", "MAX", "COUNT", "2")).toEqual([
      "zb",
      [
        ["d", "3"],
        ["c", "2"],
      ],
    ]);
    expect(await call(c, "ZMPOP", "1", "nokey", "MIN")).toBe(null);
    expect(errorOf(await call(c, "ZMPOP", "0", "za", "MIN"))).toBe("ERR numkeys should be greater than 0");
    expect(errorOf(await call(c, "ZMPOP", "1", "za", "MID"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "ZMPOP", "1", "za", "MIN", "COUNT", "0"))).toBe(
      "ERR count should be greater than 0",
    );
    expect(await call(c, "ZMPOP", "1", "za", "MIN")).toEqual(["za", [["a", "1"]]]);
  });

  it("score texts: formatDouble is Redis 7.0's %.17g (the model's formatRedisDouble) on random doubles", () => {
    const r = new Prng(testSeed("zset score format"));
    const buf = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 20_000; i++) {
      buf.setUint32(0, r.int(2 ** 32));
      buf.setUint32(4, r.int(2 ** 32));
      let x = buf.getFloat64(0);
      if (Number.isNaN(x)) continue;
      if (i % 2 === 0) x = Math.round(x) % 1e6;
      if (i % 3 === 0) x = r.int(1e9) / 1000;
      expect(formatDouble(x)).toBe(formatRedisDouble(x));
    }
  });

  it("keyspace notifications: Redis's event names in class z (zadd, zincr, zpopmin), del when emptied", async () => {
    const { net } = await memServer({ directives: [["notify-keyspace-events", "Kzg"]] });
    const sub = net.connect();
    const w = net.connect();
    await call(sub, "PSUBSCRIBE", "__keyspace@0__:*");
    await call(w, "ZADD", "z", "1", "a");
    await call(w, "ZINCRBY", "z", "1", "a");
    await call(w, "ZPOPMIN", "z");
    await sub.waitReplies(1 + 4);
    const event = (e: string) => ["pmessage", "__keyspace@0__:*", "__keyspace@0__:z", e];
    expect(sub.replies.slice(1)).toEqual([event("zadd"), event("zincr"), event("zpopmin"), event("del")]);
  });
});
