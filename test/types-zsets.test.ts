/**
 * Sorted sets in the engine (src/types/zset-*.ts, db.zsets). Invariants checked:
 * - redis.io's examples and rules as tables: ZADD's flags (NX/XX/GT/LT/CH/INCR, their incompatibilities and
 *   reply shapes), ZRANGE by rank/score/lex with REV and LIMIT, exclusive and infinite bounds, lex bounds,
 *   ZINTERSTORE/ZUNIONSTORE with WEIGHTS and AGGREGATE, NaN refused, -0 equal to 0;
 * - lex ranges over mixed scores give redis-server 7.0.15's answers (its small encoding), engine and model;
 * - a seeded differential run (seed printed) of random operations agrees with sim/redis-model's zsets,
 *   zset-ranges and zset-store, answers and errors;
 * - durability across reopen and checkpoint; WRONGTYPE both ways; an error changes nothing (same version);
 *   a moved score leaves one index entry; DEL is O(1); user scans never show element subkeys;
 * - ZSCAN returns each member once; ZRANDMEMBER draws distinct members for positive counts;
 *   several operations in one `atomic` call are one record.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { RedisKeyspace, RedisModelError, zcombine, zsets, zstore } from "../sim/redis-model/index.js";
import type { FuseDB } from "../src/db.js";
import type { ZAddFlags } from "../src/index.js";
import { TAG } from "../src/types/encoding.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

type Entries = [Buffer, number][];
const flat = (es: Entries) => es.flatMap(([m, s]) => [m.toString("latin1"), s]);
const names = (es: Entries) => es.map(([m]) => m.toString("latin1"));

async function versionOf(db: FuseDB, key: string): Promise<number | undefined> {
  const k = db.types.key(key);
  return db.types.read((tx) => tx.live(k)?.version);
}

describe("sorted sets: redis.io tables", () => {
  it("ZADD flags, reply shapes and incompatibilities", async () => {
    const db = await openMem(new TestDisk());
    const z = db.zsets;
    expect(await z.zadd("myzset", [[1, "one"]])).toBe(1);
    expect(await z.zadd("myzset", [[1, "uno"]])).toBe(1);
    expect(
      await z.zadd("myzset", [
        [2, "two"],
        [3, "three"],
      ]),
    ).toBe(2);
    expect(flat(await z.zrange("myzset", 0, -1))).toEqual(["one", 1, "uno", 1, "two", 2, "three", 3]);
    const rows: [string, ZAddFlags, [number, string][], number | null, Record<string, number>][] = [
      [
        "GT never stops an add; CH counts it",
        { gt: true, ch: true },
        [
          [0, "a"],
          [5, "b"],
        ],
        2,
        { a: 0, b: 5 },
      ],
      ["GT keeps the greater score", { gt: true, ch: true }, [[-1, "a"]], 0, { a: 0 }],
      ["LT lowers", { lt: true, ch: true }, [[-1, "a"]], 1, { a: -1 }],
      ["XX never adds", { xx: true }, [[10, "c"]], 0, { a: -1 }],
      [
        "NX never updates",
        { nx: true },
        [
          [10, "a"],
          [7, "c"],
        ],
        1,
        { a: -1, c: 7 },
      ],
      ["INCR returns the new score", { incr: true }, [[2.5, "a"]], 1.5, { a: 1.5 }],
      ["INCR blocked by NX is null", { incr: true, nx: true }, [[1, "a"]], null, { a: 1.5 }],
      ["INCR blocked by GT is null", { incr: true, gt: true }, [[-1, "a"]], null, { a: 1.5 }],
      ["-0 equals 0: no change", { ch: true }, [[0, "z0"]], 1, { z0: 0 }],
      ["-0 equals 0: no change", { ch: true }, [[-0, "z0"]], 0, { z0: 0 }],
    ];
    for (const [what, flags, pairs, reply, scores] of rows) {
      expect(await z.zadd("f", pairs, flags as never), what).toBe(reply);
      for (const [m, s] of Object.entries(scores)) expect(await z.zscore("f", m), what).toBe(s);
    }
    const errors: [ZAddFlags, [number, string][], string][] = [
      [{ nx: true, xx: true }, [[1, "a"]], "ERR XX and NX options at the same time are not compatible"],
      [
        { nx: true, gt: true },
        [[1, "a"]],
        "ERR GT, LT, and/or NX options at the same time are not compatible",
      ],
      [
        { gt: true, lt: true },
        [[1, "a"]],
        "ERR GT, LT, and/or NX options at the same time are not compatible",
      ],
      [
        { incr: true },
        [
          [1, "a"],
          [2, "b"],
        ],
        "ERR INCR option supports a single increment-element pair",
      ],
      [{}, [[Number.NaN, "a"]], "ERR value is not a valid float"],
    ];
    const before = await versionOf(db, "f");
    for (const [flags, pairs, reply] of errors) {
      await expect(z.zadd("f", pairs, flags as never)).rejects.toMatchObject({ reply });
    }
    expect(await versionOf(db, "f")).toBe(before);
    await db.close();
  });

  it("ZRANGE by rank, score and lex; REV and LIMIT; exclusive and infinite bounds", async () => {
    const db = await openMem(new TestDisk());
    const z = db.zsets;
    await z.zadd("myzset", { one: 1, two: 2, three: 3 });
    const table: [Parameters<typeof z.zrange>, string[]][] = [
      [
        ["myzset", 0, -1],
        ["one", "two", "three"],
      ],
      [["myzset", 2, 3], ["three"]],
      [
        ["myzset", -2, -1],
        ["two", "three"],
      ],
      [["myzset", "(1", "+inf", { by: "score", limit: { offset: 1, count: 1 } }], ["three"]],
      [
        ["myzset", "-inf", "+inf", { by: "score" }],
        ["one", "two", "three"],
      ],
      [
        ["myzset", 1, 2, { by: "score" }],
        ["one", "two"],
      ],
      [["myzset", "(1", 2, { by: "score" }], ["two"]],
      [["myzset", "(1", "(2", { by: "score" }], []],
      [
        ["myzset", "+inf", "-inf", { by: "score", rev: true }],
        ["three", "two", "one"],
      ],
      [
        ["myzset", 2, 1, { by: "score", rev: true }],
        ["two", "one"],
      ],
      [["myzset", 0, 0, { rev: true }], ["three"]],
    ];
    for (const [args, want] of table)
      expect(names(await z.zrange(...args)), JSON.stringify(args)).toEqual(want);
    await z.zadd("lex", { a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0 });
    expect(names(await z.zrangebylex("lex", "-", "[c"))).toEqual(["a", "b", "c"]);
    expect(names(await z.zrangebylex("lex", "-", "(c"))).toEqual(["a", "b"]);
    expect(names(await z.zrangebylex("lex", "[aaa", "(g"))).toEqual(["b", "c", "d", "e", "f"]);
    expect(names(await z.zrevrangebylex("lex", "[c", "-"))).toEqual(["c", "b", "a"]);
    expect(names(await z.zrevrangebylex("lex", "(g", "[aaa"))).toEqual(["f", "e", "d", "c", "b"]);
    expect(names(await z.zrangebylex("lex", "-", "+", { offset: 2, count: 2 }))).toEqual(["c", "d"]);
    expect(await z.zlexcount("lex", "[b", "[f")).toBe(5);
    await expect(z.zrangebylex("lex", "a", "+")).rejects.toMatchObject({
      reply: "ERR min or max not valid string range item",
    });
    await expect(z.zrangebyscore("lex", "x", 1)).rejects.toMatchObject({
      reply: "ERR min or max is not a float",
    });
    await expect(z.zrange("lex", 0, 1, { limit: { offset: 0, count: 1 } })).rejects.toMatchObject({
      reply: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    });
    await z.zadd("inf", [
      [Number.POSITIVE_INFINITY, "x"],
      [Number.NEGATIVE_INFINITY, "y"],
      [0, "m"],
    ]);
    expect(flat(await z.zrange("inf", 0, -1))).toEqual(["y", -Infinity, "m", 0, "x", Infinity]);
    expect(names(await z.zrangebyscore("inf", "(-inf", "(+inf"))).toEqual(["m"]);
    await expect(z.zincrby("inf", Number.NEGATIVE_INFINITY, "x")).rejects.toMatchObject({
      reply: "ERR resulting score is not a number (NaN)",
    });
    expect(await z.zscore("inf", "x")).toBe(Infinity);
    expect(await z.zrank("inf", "x")).toBe(2);
    expect(await z.zrevrank("inf", "y")).toBe(2);
    await db.close();
  });

  it("ZINTERSTORE/ZUNIONSTORE with WEIGHTS and AGGREGATE; destination replaced, sources may be it", async () => {
    const db = await openMem(new TestDisk());
    const z = db.zsets;
    await z.zadd("zset1", { one: 1, two: 2 });
    await z.zadd("zset2", { one: 1, two: 2, three: 3 });
    expect(await z.zinterstore("out", ["zset1", "zset2"], { weights: [2, 3] })).toBe(2);
    expect(flat(await z.zrange("out", 0, -1))).toEqual(["one", 5, "two", 10]);
    expect(await z.zunionstore("out", ["zset1", "zset2"], { weights: [2, 3] })).toBe(3);
    expect(flat(await z.zrange("out", 0, -1))).toEqual(["one", 5, "three", 9, "two", 10]);
    expect(flat(await z.zunion(["zset1", "zset2"], { aggregate: "max", weights: [5, 1] }))).toEqual([
      "three",
      3,
      "one",
      5,
      "two",
      10,
    ]);
    expect(flat(await z.zinter(["zset1", "zset2"], { aggregate: "min" }))).toEqual(["one", 1, "two", 2]);
    expect(names(await z.zdiff(["zset2", "zset1"]))).toEqual(["three"]);
    expect(await z.zunionstore("out", ["out", "zset1"], { weights: [0, 1] })).toBe(3);
    expect(flat(await z.zrange("out", 0, -1))).toEqual(["three", 0, "one", 1, "two", 2]);
    expect(await z.zdiffstore("out", ["zset1", "zset2"])).toBe(0);
    expect(await z.zcard("out")).toBe(0);
    await expect(z.zunion(["zset1"], { weights: [Number.NaN] })).rejects.toMatchObject({
      reply: "ERR weight value is not a float",
    });
    await db.close();
  });
});

describe("sorted sets: storage", () => {
  it("durable across checkpoint and reopen; a moved score leaves one index entry", async () => {
    const fs = new TestDisk();
    let db = await openMem(fs);
    await db.zsets.zadd("z", { a: 1, b: 2, c: 3 });
    await db.checkpoint();
    await db.zsets.zadd("z", { a: 10 });
    expect(await db.zsets.zrem("z", ["b", "nope"])).toBe(1);
    await db.close();
    db = await openMem(fs);
    expect(flat(await db.zsets.zrange("z", 0, -1))).toEqual(["c", 3, "a", 10]);
    const k = db.types.key("z");
    const indexed = await db.types.read((tx) => {
      const meta = tx.collection(k, "zset")?.meta;
      return meta === undefined ? [] : tx.elements(tx.prefix(k, meta, TAG.zsetScore), 100).length;
    });
    expect(indexed).toBe(2);
    expect(await db.zsets.zpopmin("z", 5)).toHaveLength(2);
    expect(await db.zsets.zcard("z")).toBe(0);
    expect(await versionOf(db, "z")).toBeUndefined();
    await db.close();
  });

  it("WRONGTYPE both ways; scans show documents only; DEL is O(1); atomic calls", async () => {
    const db = await openMem(new TestDisk());
    await db.set("doc", { x: 1 });
    await expect(db.zsets.zadd("doc", { a: 1 })).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    const members: Record<string, number> = {};
    for (let i = 0; i < 200; i++) members[`m${i}`] = i;
    await db.zsets.zadd("z", members);
    await expect(db.get("z")).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    expect((await db.scan()).map((e) => e.key)).toEqual(["doc"]);
    const before = db.stats().userBytes;
    await db.delete("z");
    expect(db.stats().userBytes - before).toBeLessThan(10);
    expect(await db.zsets.zcard("z")).toBe(0);
    const version = await versionOf(db, "doc");
    const card = await db.zsets.atomic((z) => {
      z.zadd("w", { a: 1, b: 2, c: 3 });
      z.zremrangebyscore("w", "-inf", 2);
      return z.zcard("w");
    });
    expect(card).toBe(1);
    expect(await versionOf(db, "doc")).toBe(version);
    await db.close();
  });

  it("ZSCAN pages return each member once; ZRANDMEMBER's counts", async () => {
    const db = await openMem(new TestDisk());
    const members: Record<string, number> = {};
    for (let i = 0; i < 50; i++) members[`m${i}`] = i % 7;
    await db.zsets.zadd("z", members);
    const seen: string[] = [];
    let cursor = "0";
    do {
      const page = await db.zsets.zscan("z", cursor, { count: 6 });
      seen.push(...names(page.items));
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual(Object.keys(members).sort());
    const a = (await db.zsets.zrandmember("z", 10)) as Entries;
    expect(new Set(names(a)).size).toBe(10);
    for (const m of names(a)) expect(Object.keys(members)).toContain(m);
    expect((await db.zsets.zrandmember("z", -100)) as Entries).toHaveLength(100);
    expect((await db.zsets.zrandmember("z", 80)) as Entries).toHaveLength(50);
    await db.close();
  });
});

/** A library call and the same call on the model, each answered as comparable JSON (errors by reply). */
type Pair = [lib: (db: FuseDB) => Promise<unknown>, model: (ks: RedisKeyspace) => unknown, text: string];

const MEMBERS = ["a", "b", "c", "d", "-1", "", "\xff"];
const SCORES = [0, 1, -1, 2.5, 1.1, 3, Infinity, -Infinity, -0, 1e308];
const BOUNDS = ["-inf", "+inf", "(1", "1", "(2.5", "0", "(-inf", "( 1", ""];
const LEX = ["-", "+", "[a", "(a", "[c", "(c", "[", "(\xff"];
const ZKEYS = ["k1", "k2", "k3"];

function lexSafe(ks: RedisKeyspace, k: string): boolean {
  const v = ks.entry(k, 0)?.value;
  return v?.type !== "zset" || new Set(v.scores.values()).size <= 1;
}

function draw(r: Prng, ks: RedisKeyspace): Pair {
  const k = r.pick(ZKEYS);
  const m = () => r.pick(MEMBERS);
  const bin = (s: string) => Buffer.from(s, "latin1");
  switch (r.int(9)) {
    case 0: {
      const flags: Record<string, boolean> = {};
      for (const f of ["nx", "xx", "gt", "lt", "ch", "incr"]) if (r.bool(0.15)) flags[f] = true;
      const same = lexSafe(ks, k) && r.bool(0.6);
      const pairs: [number, string][] = Array.from({ length: flags.incr ? 1 : 1 + r.int(3) }, () => [
        same ? 0 : r.pick(SCORES),
        m(),
      ]);
      const lib = pairs.map(([s, x]): [number, Buffer] => [s, bin(x)]);
      return [
        (db) => db.zsets.zadd(k, lib, flags as never),
        (s) => zsets.zadd(s, k, pairs, flags, 0),
        `zadd ${k} ${JSON.stringify([flags, pairs])}`,
      ];
    }
    case 1: {
      const [s, x] = [r.pick(SCORES), m()];
      return [
        (db) => db.zsets.zincrby(k, s, bin(x)),
        (ks2) => zsets.zincrby(ks2, k, s, x, 0),
        `zincrby ${k} ${s} ${x}`,
      ];
    }
    case 2: {
      const xs = [m(), m()];
      return [(db) => db.zsets.zrem(k, xs.map(bin)), (s) => zsets.zrem(s, k, xs, 0), `zrem ${k} ${xs}`];
    }
    case 3: {
      const by = r.pick(lexSafe(ks, k) ? (["rank", "score", "lex"] as const) : (["rank", "score"] as const));
      const rev = r.bool(0.3);
      const limit =
        by !== "rank" && r.bool(0.4)
          ? { offset: r.pick([0, 1, 2, -1]), count: r.pick([0, 1, 2, -1]) }
          : undefined;
      const [a, b] =
        by === "rank"
          ? [String(r.int(7) - 3), String(r.int(7) - 3)]
          : by === "score"
            ? [r.pick(BOUNDS), r.pick(BOUNDS)]
            : [r.pick(LEX), r.pick(LEX)];
      const opts = { by, rev, ...(limit ? { limit } : {}) };
      // Lex bounds go in as bytes, as the members do: a JS string is read as its UTF-8 bytes ("(\xff" as
      // ( C3 BF), not the bytes the model reads (seed 1975390207 once failed on that mismatch).
      const lib = by === "rank" ? [Number(a), Number(b)] : by === "lex" ? [bin(a), bin(b)] : [a, b];
      return [
        async (db) => {
          const es = await db.zsets.zrange(k, lib[0] as never, lib[1] as never, opts);
          return by === "lex" ? names(es) : flat(es);
        },
        (s) => {
          const es = zsets.zrange(s, k, a, b, { ...opts, withScores: by !== "lex" }, 0);
          return by === "lex" ? es : (es as [string, number][]).flat();
        },
        `zrange ${k} ${a} ${b} ${JSON.stringify(opts)}`,
      ];
    }
    case 4: {
      const [x, rev] = [m(), r.bool()];
      return [
        (db) => (rev ? db.zsets.zrevrank(k, bin(x)) : db.zsets.zrank(k, bin(x))),
        (s) => zsets.zrank(s, k, x, rev, 0) ?? undefined,
        `zrank ${k} ${x} ${rev}`,
      ];
    }
    case 5: {
      if (r.bool()) {
        const [a, b] = [r.int(7) - 3, r.int(7) - 3];
        return [
          (db) => db.zsets.zremrangebyrank(k, a, b),
          (s) => zsets.zremrangebyrank(s, k, a, b, 0),
          `zremrangebyrank ${k} ${a} ${b}`,
        ];
      }
      const [a, b] = [r.pick(BOUNDS), r.pick(BOUNDS)];
      return [
        (db) => db.zsets.zremrangebyscore(k, a, b),
        (s) => zsets.zremrangeby(s, k, "score", a, b, 0),
        `zremrangebyscore ${k} ${a} ${b}`,
      ];
    }
    case 6: {
      const [end, count] = [r.pick(["min", "max"] as const), r.bool() ? undefined : r.int(4)];
      return [
        async (db) => flat(await (end === "min" ? db.zsets.zpopmin(k, count) : db.zsets.zpopmax(k, count))),
        (s) => zsets.zpop(s, k, end, count, 0).flat(),
        `zpop${end} ${k} ${count}`,
      ];
    }
    case 7: {
      const op = r.pick(["union", "inter", "diff"] as const);
      const keys = [r.pick(ZKEYS), r.pick(ZKEYS)];
      const opts =
        op === "diff"
          ? {}
          : {
              ...(r.bool() ? { weights: [r.pick([1, 2, 0, -1, Infinity]), r.pick([1, 0.5])] } : {}),
              ...(r.bool() ? { aggregate: r.pick(["sum", "min", "max"] as const) } : {}),
            };
      const dest = r.pick(ZKEYS);
      const store = r.bool();
      return [
        async (db) => {
          if (store) return db.zsets[`z${op}store`](dest, keys, opts);
          return flat(await db.zsets[`z${op}`](keys, opts));
        },
        (s) => (store ? zstore(s, op, dest, keys, opts, 0) : zcombine(s, op, keys, opts, 0).flat()),
        `z${op}${store ? `store ${dest}` : ""} ${keys} ${JSON.stringify(opts)}`,
      ];
    }
    default: {
      const [a, b] = [r.pick(BOUNDS), r.pick(BOUNDS)];
      return [(db) => db.zsets.zcount(k, a, b), (s) => zsets.zcount(s, k, a, b, 0), `zcount ${k} ${a} ${b}`];
    }
  }
}

async function answer(run: () => Promise<unknown> | unknown): Promise<string> {
  try {
    return JSON.stringify(await run(), (_k, v) =>
      typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    );
  } catch (e) {
    const reply = (e as { reply?: string }).reply ?? (e instanceof RedisModelError ? e.message : undefined);
    if (reply === undefined) throw e;
    return `error ${reply}`;
  }
}

describe("sorted sets: lex ranges over mixed scores, as Redis 7.0's small encoding answers", () => {
  // Redis leaves BYLEX over mixed scores unspecified; its small (listpack) encoding answers nothing when the
  // last member in score order is below min or the first above max (zzlIsInLexRange), else walks in score
  // order from the first member at or above min while members stay at or below max. Expected answers are
  // redis-server 7.0.15's (ZADD the entries in order, then the command).
  const cases: [entries: [number, string][], cmd: string, a: string, b: string, want: string[] | number][] = [
    // The last member (m0) is below min: nothing, though m1..m8 lie between.
    [
      [
        [-3, "m1"],
        [-3, "m10"],
        [-2, "m2"],
        [-1, "m5"],
        [2, "m6"],
        [2, "m8"],
        [3, "m0"],
      ],
      "zrangebylex",
      "[m1",
      "[m9",
      [],
    ],
    // The first member (m9, descending: the last) is above max: nothing.
    [
      [
        [-3, "m11"],
        [-3, "m3"],
        [-2, "m9"],
        [0, "m0"],
        [1, "m7"],
      ],
      "zrevrangebylex",
      "[m1",
      "[m0",
      [],
    ],
    [
      [
        [-3, "m8"],
        [-1, "m9"],
        [0, "m2"],
        [0, "m6"],
        [1, "m3"],
        [3, "m4"],
      ],
      "zlexcount",
      "[m5",
      "[m8",
      0,
    ],
    // m9 m7 m2 in score order, (m2 .. [m9: the last member m2 is not above min: nothing removed.
    [
      [
        [-1, "m9"],
        [0, "m7"],
        [1, "m2"],
      ],
      "zremrangebylex",
      "(m2",
      "[m9",
      0,
    ],
    // In range at both ends: the walk from the first member at or above min (m7) while at or below max.
    [
      [
        [-1, "m1"],
        [0, "m7"],
        [1, "m3"],
        [2, "m8"],
        [3, "m5"],
      ],
      "zrangebylex",
      "[m3",
      "[m7",
      ["m7", "m3"],
    ],
  ];
  it("the engine and the model give Redis's answers", async () => {
    const db = await openMem(new TestDisk());
    for (const [i, [entries, cmd, a, b, want]] of cases.entries()) {
      const key = `mixed${i}`;
      const ks = new RedisKeyspace();
      await db.zsets.zadd(key, entries);
      zsets.zadd(ks, key, entries, {}, 0);
      const what = `${cmd} ${JSON.stringify(entries)} ${a} ${b}`;
      if (cmd === "zlexcount") {
        expect(await db.zsets.zlexcount(key, a, b), what).toBe(want);
        expect(zsets.zlexcount(ks, key, a, b, 0), what).toBe(want);
      } else if (cmd === "zremrangebylex") {
        expect(await db.zsets.zremrangebylex(key, a, b), what).toBe(want);
        expect(zsets.zremrangeby(ks, key, "lex", a, b, 0), what).toBe(want);
      } else {
        const rev = cmd === "zrevrangebylex";
        const lib = rev ? await db.zsets.zrevrangebylex(key, b, a) : await db.zsets.zrangebylex(key, a, b);
        expect(names(lib), what).toEqual(want);
        expect(zsets.zrange(ks, key, rev ? b : a, rev ? a : b, { by: "lex", rev }, 0), what).toEqual(want);
      }
    }
    await db.close();
  });
});

describe("sorted sets: larger than one read page", () => {
  it("lex walks, ranks from both ends and removals agree with the model on 700 members", async () => {
    const db = await openMem(new TestDisk());
    const ks = new RedisKeyspace();
    const same: [number, string][] = [];
    const mixed: [number, string][] = [];
    for (let i = 0; i < 700; i++) {
      same.push([0, `m${String(i).padStart(3, "0")}`]);
      mixed.push([i % 13, `x${i}`]);
    }
    await db.zsets.zadd("same", same);
    await db.zsets.zadd("mixed", mixed);
    zsets.zadd(ks, "same", same, {}, 0);
    zsets.zadd(ks, "mixed", mixed, {}, 0);
    const ranges: [string, string, string, object][] = [
      ["same", "[m100", "(m500", { by: "lex" }],
      ["same", "(m650", "[m100", { by: "lex", rev: true }],
      ["same", "-", "+", { by: "lex", limit: { offset: 300, count: 50 } }],
      ["same", "+", "-", { by: "lex", rev: true, limit: { offset: 600, count: -1 } }],
      ["mixed", "0", "8", {}],
      ["mixed", "600", "690", {}],
      ["mixed", "-5", "-1", { rev: true }],
      ["mixed", "(3", "7", { by: "score", limit: { offset: 100, count: 20 } }],
      ["mixed", "+inf", "(11", { by: "score", rev: true }],
    ];
    for (const [k, a, b, opts] of ranges) {
      const o = opts as { by?: "lex" | "score" };
      const lib = await db.zsets.zrange(k, o.by ? a : Number(a), o.by ? b : Number(b), opts);
      const model = zsets.zrange(ks, k, a, b, { ...opts, withScores: o.by !== "lex" }, 0);
      expect(o.by === "lex" ? names(lib) : flat(lib), `${k} ${a} ${b} ${JSON.stringify(opts)}`).toEqual(
        o.by === "lex" ? model : (model as [string, number][]).flat(),
      );
    }
    for (const m of ["x0", "x699", "x350", "x13"]) {
      expect(await db.zsets.zrank("mixed", m)).toBe(zsets.zrank(ks, "mixed", m, false, 0));
      expect(await db.zsets.zrevrank("mixed", m)).toBe(zsets.zrank(ks, "mixed", m, true, 0));
    }
    expect(await db.zsets.zlexcount("same", "[m200", "[m699")).toBe(500);
    expect(await db.zsets.zremrangebylex("same", "(m099", "[m599")).toBe(500);
    expect(await db.zsets.zcard("same")).toBe(200);
    expect(await db.zsets.zremrangebyscore("mixed", 5, "+inf")).toBe(
      zsets.zremrangeby(ks, "mixed", "score", "5", "+inf", 0),
    );
    expect(flat(await db.zsets.zrange("mixed", 0, -1))).toEqual(zsets.zentries(ks, "mixed", 0).flat());
    await db.close();
  });
});

describe("sorted sets: differential against the Redis reference model", () => {
  it("agrees over seeded random operations", async () => {
    await differential(testSeed("zsets library differential"));
  });
  // Found failing: step 1007, ZRANGE k1 (\xff + BYLEX LIMIT 0 1 answered the member \xff (the bound went in
  // as a JS string, read as its UTF-8 bytes, where the model read the byte 0xFF).
  it("agrees on fixed seed 1975390207", async () => {
    await differential(1975390207);
  });
});

/** The seeded differential: 1500 random calls on the engine and the model, then whole states compared. */
async function differential(seed: number): Promise<void> {
  const r = new Prng(seed);
  const db = await openMem(new TestDisk());
  const ks = new RedisKeyspace();
  const log: string[] = [];
  for (let step = 0; step < 1500; step++) {
    const [lib, model, text] = draw(r, ks);
    log.push(text);
    const got = await answer(() => lib(db));
    const want = await answer(() => model(ks));
    expect(got, `seed ${seed} step ${step}: ${log.slice(-6).join(" | ")}`).toBe(want);
  }
  for (const k of ZKEYS) {
    expect(flat(await db.zsets.zrange(k, 0, -1))).toEqual(zsets.zentries(ks, k, 0).flat());
  }
  await db.close();
}
