/**
 * One random call of the library's lists (db.lists) and the reference model's answer to the same call
 * (sim/redis-model/lists.ts), for the differential test in test/types-lists.test.ts.
 */
import { Buffer } from "node:buffer";
import type { Prng } from "../../sim/disk/prng.js";
import { lists as model, type RedisKeyspace, RedisModelError } from "../../sim/redis-model/index.js";
import type { FuseDB } from "../../src/db.js";

/** One random library call and the model's answer for it, compared as JSON texts. */
export async function randomListStep(
  db: FuseDB,
  ks: RedisKeyspace,
  r: Prng,
): Promise<[string, string, string]> {
  const keys = ["k1", "k2", "k3"];
  const members = ["a", "b", "c", "", "\xff"];
  const k = r.pick(keys);
  const end = r.pick(["left", "right"] as const);
  const idx = () => r.pick([-5, -2, -1, 0, 1, 2, 4, 50]);
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v instanceof Uint8Array
        ? Buffer.from(v).toString("latin1")
        : (v ?? null);
  const both = async (what: string, engine: () => Promise<unknown>, m: () => unknown) => {
    let a: unknown;
    let b: unknown;
    try {
      a = norm(await engine());
    } catch (e) {
      a = { error: (e as { reply?: string; code?: string }).reply ?? (e as { code?: string }).code };
    }
    try {
      b = norm(m());
    } catch (e) {
      if (!(e instanceof RedisModelError)) throw e;
      b = { error: e.code === "FUSEDB_WRONG_TYPE" ? "FUSEDB_WRONG_TYPE" : e.message };
    }
    return [what, JSON.stringify(a), JSON.stringify(b)] as [string, string, string];
  };
  // Elements as bytes (the model's byte strings): "\xff" is one byte, not UTF-8's two.
  const xs = Array.from({ length: 1 + r.int(3) }, () => r.pick(members));
  const x = r.pick(members);
  const [bxs, bx] = [xs.map((e) => Buffer.from(e, "latin1")), Buffer.from(x, "latin1")];
  switch (r.int(11)) {
    case 0:
      return both(
        `push ${k} ${end} ${xs}`,
        () => (end === "left" ? db.lists.lpush(k, bxs) : db.lists.rpush(k, bxs)),
        () => model.push(ks, k, end, xs, 0),
      );
    case 1: {
      const count = r.bool(0.5) ? undefined : r.pick([0, 1, 2, 5]);
      const f = end === "left" ? db.lists.lpop.bind(db.lists) : db.lists.rpop.bind(db.lists);
      return both(
        `pop ${k} ${end} ${count}`,
        () => (count === undefined ? f(k) : f(k, count)),
        () => model.pop(ks, k, end, count, 0),
      );
    }
    case 2: {
      const [a, b] = [idx(), idx()];
      return both(
        `lrange ${k} ${a} ${b}`,
        () => db.lists.lrange(k, a, b),
        () => model.lrange(ks, k, a, b, 0),
      );
    }
    case 3: {
      const i = idx();
      return both(
        `lindex ${k} ${i}`,
        () => db.lists.lindex(k, i),
        () => model.lindex(ks, k, i, 0),
      );
    }
    case 4: {
      const i = idx();
      return both(
        `lset ${k} ${i} ${x}`,
        () => db.lists.lset(k, i, bx),
        () => {
          model.lset(ks, k, i, x, 0);
        },
      );
    }
    case 5: {
      const where = r.pick(["before", "after"] as const);
      const p = r.pick(members);
      return both(
        `linsert ${k} ${where} ${p} ${x}`,
        () => db.lists.linsert(k, where, Buffer.from(p, "latin1"), bx),
        () => model.linsert(ks, k, where, p, x, 0),
      );
    }
    case 6: {
      const c = r.pick([-2, -1, 0, 1, 2]);
      return both(
        `lrem ${k} ${c} ${x}`,
        () => db.lists.lrem(k, c, bx),
        () => model.lrem(ks, k, c, x, 0),
      );
    }
    case 7: {
      const [a, b] = [idx(), idx()];
      return both(
        `ltrim ${k} ${a} ${b}`,
        () => db.lists.ltrim(k, a, b),
        () => {
          model.ltrim(ks, k, a, b, 0);
        },
      );
    }
    case 8: {
      const o: { rank?: number; count?: number; maxlen?: number } = {};
      if (r.bool()) o.rank = r.pick([-3, -1, 1, 2, 3]);
      if (r.bool()) o.count = r.pick([0, 1, 2]);
      if (r.bool()) o.maxlen = r.pick([0, 1, 3]);
      return both(
        `lpos ${k} ${x} ${JSON.stringify(o)}`,
        () => db.lists.lpos(k, bx, o as never),
        () => model.lpos(ks, k, x, o, 0),
      );
    }
    case 9: {
      const d = r.pick(keys);
      const to = r.pick(["left", "right"] as const);
      return both(
        `lmove ${k} ${d} ${end} ${to}`,
        () => db.lists.lmove(k, d, end, to),
        () => model.lmove(ks, k, d, end, to, 0),
      );
    }
    default:
      return both(
        `llen ${k}`,
        () => db.lists.llen(k),
        () => model.llen(ks, k, 0),
      );
  }
}
