/**
 * Differential: the data-type namespaces inside a transaction (`tx.hashes` etc., src/tx/tx-runner.ts) answer
 * every call exactly as the database's (`db.hashes` etc.) answer the same calls made one by one, and leave the
 * same state once committed. Two databases get the same seeded sequence of calls over a few shared keys (so
 * WRONGTYPE and the other refusals happen, and a refused call must leave the transaction as before it): one
 * runs each round inside a transaction, the other calls the database directly. Answers (values, error
 * codes) are compared call by call, the keyspaces after each round. Draws at random (SPOP, ...) are left
 * out: their sources are seeded differently on purpose.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import type { FuseDB } from "../src/db.js";
import type { Transaction } from "../src/tx/transaction.js";
import { openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";

type Space = Pick<FuseDB | Transaction, "strings" | "hashes" | "lists" | "sets" | "zsets" | "keys">;

const KEYS = ["k0", "k1", "k2", "k3"];
const VALS = ["a", "b", "c", "1", "7"];

/** Answers as comparable JSON: Buffers as text, bigints as strings, errors as their code. */
function norm(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => {
      if (typeof x === "bigint") return `${x}n`;
      if (x && typeof x === "object" && (x as { type?: string }).type === "Buffer")
        return Buffer.from((x as { data: number[] }).data).toString("latin1");
      return x;
    }) ?? "null",
  );
}

async function answer(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return norm(await call());
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

/** One random call on `s`, the same for both databases given the same draws. */
function randomCall(rng: Prng): (s: Space) => Promise<unknown> {
  const k = rng.pick(KEYS);
  const k2 = rng.pick(KEYS);
  const v = rng.pick(VALS);
  const n = rng.int(5) - 1;
  const calls: ((s: Space) => Promise<unknown>)[] = [
    (s) => s.strings.set(k, v),
    (s) => s.strings.get(k),
    (s) => s.strings.append(k, v),
    (s) => s.strings.incrby(k, n),
    (s) => s.hashes.hset(k, { [v]: String(n) }),
    (s) => s.hashes.hget(k, v),
    (s) => s.hashes.hdel(k, [v]),
    (s) => s.hashes.hincrby(k, v, n),
    (s) => s.hashes.hgetall(k),
    (s) => s.lists.rpush(k, [v, v]),
    (s) => s.lists.lpush(k, [v]),
    (s) => s.lists.lpop(k),
    (s) => s.lists.lrange(k, 0, -1),
    (s) => s.lists.lmove(k, k2, "left", "right"),
    (s) => s.sets.sadd(k, [v]),
    (s) => s.sets.srem(k, [v]),
    (s) => s.sets.smembers(k).then((m) => m.map((b) => b.toString()).sort()),
    (s) => s.sets.sinterstore(k, [k2, k]),
    (s) => s.zsets.zadd(k, [[n, v]]),
    (s) => s.zsets.zincrby(k, n, v),
    (s) => s.zsets.zrange(k, 0, -1),
    (s) => s.zsets.zrem(k, [v]),
    (s) => s.keys.del([k]),
    (s) => s.keys.type(k),
    (s) => s.keys.exists([k, k2]),
    (s) => s.keys.rename(k, k2),
    (s) => s.keys.expire(k, 50 + n),
    (s) => s.keys.ttl(k),
    (s) => s.keys.dbsize(),
  ];
  return rng.pick(calls);
}

/** Every key's type and content, read through the same namespaces. */
async function dump(s: Space): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const type = await s.keys.type(k);
    const ttl = await s.keys.ttl(k);
    let content: unknown;
    if (type === "string") content = await s.strings.get(k);
    else if (type === "hash") content = await s.hashes.hgetall(k);
    else if (type === "list") content = await s.lists.lrange(k, 0, -1);
    else if (type === "set") content = (await s.sets.smembers(k)).map((b) => b.toString()).sort();
    else if (type === "zset") content = await s.zsets.zrange(k, 0, -1);
    out[k] = norm({ type, ttl, content });
  }
  return out;
}

describe("data types: a transaction against the database, call by call", () => {
  it("answers and states agree over seeded rounds", async () => {
    const seed = testSeed("tx-types-differential");
    const rng = new Prng(seed);
    const inTx = await openMem(new TestDisk());
    const direct = await openMem(new TestDisk());
    for (let round = 0; round < 25; round++) {
      const calls = Array.from({ length: 1 + rng.int(12) }, () => randomCall(rng));
      const got: unknown[] = [];
      const want: unknown[] = [];
      await inTx.transaction(async (tx) => {
        for (const call of calls) {
          got.push(await answer(() => call(tx)));
          want.push(await answer(() => call(direct)));
        }
        expect(await dump(tx), `seed ${seed} round ${round}: inside`).toEqual(await dump(direct));
      });
      expect(got, `seed ${seed} round ${round}`).toEqual(want);
      expect(await dump(inTx), `seed ${seed} round ${round}: committed`).toEqual(await dump(direct));
    }
    await inTx.close();
    await direct.close();
  });
});
