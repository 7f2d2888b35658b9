/**
 * Randomized transactions checked by their history (Adya, "Weak Consistency: A Generalized Theory and
 * Optimistic Implementations for Distributed Transactions", 1999; Elle's cycle rules). Many concurrent
 * transactions over a few keys, with seeded interleavings, on the simulated disk; every committed
 * transaction's reads (the version it saw) and writes (the version it installed, taken from the
 * subscription stream, so from the engine's commit order and not from the transaction's own belief) are
 * recorded. Invariants:
 * - 'serializable': the direct serialization graph (ww, wr and rw edges between committed transactions) is
 *   acyclic, and every read saw a version some committed transaction installed;
 * - 'snapshot': no lost update (no two committed transactions read the same version of a key and both
 *   wrote that key), and every read saw a committed version;
 * - sensitivity: the broken variant 'skip-tx-conflicts' (no conflict check) is caught within 10 seeds
 *   under each isolation.
 * The seed is printed (FUSEDB_TEST_SEED replays it).
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { RecoveryMode } from "../src/db.js";
import { openWithRecoveryMode } from "../src/db.js";
import type { Isolation } from "../src/tx/transaction.js";
import { testSeed } from "./helpers/seed.js";

const KEYS = ["k0", "k1", "k2", "k3"];
const TXS = 14;
const INIT = "T0";

/** What one committed transaction did: the version of each key it read first, and the keys it wrote. */
interface TxRecord {
  id: string;
  attempt: number;
  reads: Map<string, number>;
  writes: Set<string>;
}

/** Yields to other transactions a seeded number of times (microtasks: the interleaving is the seed's). */
async function pause(prng: Prng): Promise<void> {
  for (let i = prng.int(4); i > 0; i--) await Promise.resolve();
}

/** Runs one history and returns its violations (empty: the history passes its isolation's check). */
async function runHistory(
  seed: number,
  isolation: Isolation,
  mode: RecoveryMode,
): Promise<{ violations: string[]; conflicts: number }> {
  const prng = new Prng(seed);
  const db = await openWithRecoveryMode(
    { dir: "/db", fs: new SimFileSystem({ latency: false }), clock: new SimClock(0) },
    mode,
  );
  await db.batch(KEYS.map((key) => ({ op: "set" as const, key, value: { w: INIT, a: 0 } })));
  // The installed versions, from the engine's commit order: key/version → writer id and attempt.
  const installed = new Map<string, { w: string; a: number }>();
  for (const key of KEYS) installed.set(`${key}/1`, { w: INIT, a: 0 });
  const sub = db.subscribe({ prefix: "k" });
  const collecting = (async () => {
    for await (const e of sub) installed.set(`${e.key}/${e.version}`, e.value as { w: string; a: number });
  })();

  const committed: TxRecord[] = [];
  const runs = Array.from({ length: TXS }, async (_, n) => {
    const id = `T${n + 1}`;
    const plan = prng.fork(id);
    const steps = Array.from({ length: plan.range(2, 4) }, () => ({
      key: plan.pick(KEYS),
      write: plan.bool(0.5),
    }));
    let last: TxRecord | undefined;
    let attempt = 0;
    const interleave = prng.fork(`${id}-pauses`);
    await pause(interleave);
    await db.transaction(
      async (tx) => {
        attempt++;
        const rec: TxRecord = { id, attempt, reads: new Map(), writes: new Set() };
        last = rec;
        for (const { key, write } of steps) {
          await pause(interleave);
          if (!rec.writes.has(key) && !rec.reads.has(key)) {
            rec.reads.set(key, (await tx.get(key))?.version ?? 0);
          }
          if (write) {
            await tx.set(key, { w: id, a: attempt });
            rec.writes.add(key);
          }
        }
        await pause(interleave);
      },
      { isolation, retries: 50 },
    );
    if (last !== undefined) committed.push(last);
  });
  await Promise.all(runs);
  const conflicts = db.stats().snapshots.txConflicts;
  await db.close();
  await collecting;
  return { violations: check(committed, installed, isolation), conflicts };
}

/** The history's violations; see the module comment. */
function check(
  committed: readonly TxRecord[],
  installed: ReadonlyMap<string, { w: string; a: number }>,
  isolation: Isolation,
): string[] {
  const out: string[] = [];
  const byId = new Map(committed.map((t) => [t.id, t]));
  // Versions of each key in order, by their writer; a version installed by an attempt that did not commit
  // (possible only if the engine is broken) is a violation.
  const writerOf = (key: string, version: number): string | undefined =>
    installed.get(`${key}/${version}`)?.w;
  const lastVersion = new Map<string, number>();
  for (const [kv, by] of installed) {
    const [key, v] = kv.split("/") as [string, string];
    lastVersion.set(key, Math.max(lastVersion.get(key) ?? 0, Number(v)));
    if (by.w !== INIT && byId.get(by.w)?.attempt !== by.a)
      out.push(`${kv} installed by ${by.w}#${by.a}, not committed`);
  }
  const edges = new Map<string, Set<string>>();
  const edge = (from: string | undefined, to: string | undefined, why: string): void => {
    if (from === undefined || to === undefined || from === to) return;
    if (!edges.has(from)) edges.set(from, new Set());
    (edges.get(from) as Set<string>).add(`${to}|${why}`);
  };
  for (const key of KEYS) {
    const top = lastVersion.get(key) ?? 1;
    for (let v = 1; v < top; v++) edge(writerOf(key, v), writerOf(key, v + 1), `ww ${key}`);
  }
  for (const t of committed) {
    for (const [key, v] of t.reads) {
      const w = writerOf(key, v);
      if (w === undefined) {
        out.push(`${t.id} read ${key} version ${v}, which no committed transaction installed`);
        continue;
      }
      edge(w, t.id, `wr ${key}`);
      edge(t.id, writerOf(key, v + 1), `rw ${key}`);
      if (isolation === "snapshot" && t.writes.has(key)) {
        for (const u of committed) {
          if (u.id < t.id && u.writes.has(key) && u.reads.get(key) === v) {
            out.push(`lost update on ${key}: ${u.id} and ${t.id} both read version ${v} and wrote it`);
          }
        }
      }
    }
  }
  if (isolation === "serializable") {
    const cycle = findCycle(edges);
    if (cycle !== undefined) out.push(`dependency cycle: ${cycle.join(" -> ")}`);
  }
  return out;
}

/** A cycle in the graph (nodes joined by "to|why" edges) as its path, or undefined if acyclic. */
function findCycle(edges: ReadonlyMap<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    path.push(node);
    for (const e of edges.get(node) ?? []) {
      const [to, why] = e.split("|") as [string, string];
      if (state.get(to) === "open") return [...path.slice(path.indexOf(to)), `${to} (${why})`];
      if (state.get(to) === undefined) {
        const found = visit(to);
        if (found !== undefined) return found;
      }
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

describe("transaction histories", () => {
  for (const isolation of ["snapshot", "serializable"] as const) {
    it(`'${isolation}': 20 seeded histories pass their check`, async () => {
      const base = testSeed(`tx-history ${isolation}`);
      let conflicts = 0;
      for (let i = 0; i < 20; i++) {
        const run = await runHistory(base + i, isolation, "strict");
        expect(run.violations, `seed ${base + i}`).toEqual([]);
        conflicts += run.conflicts;
      }
      expect(conflicts).toBeGreaterThan(0); // the transactions did overlap
    });

    it(`'${isolation}': the broken variant without conflict checks is caught within 10 seeds`, async () => {
      const base = testSeed(`tx-history broken ${isolation}`);
      let caught = -1;
      for (let i = 0; i < 10 && caught < 0; i++) {
        if ((await runHistory(base + i, isolation, "skip-tx-conflicts")).violations.length > 0) caught = i;
      }
      expect(caught).toBeGreaterThanOrEqual(0);
    });
  }

  it("the checker finds a write-skew cycle and a lost update in hand-made histories", () => {
    const installed = new Map([
      ["k0/1", { w: INIT, a: 0 }],
      ["k1/1", { w: INIT, a: 0 }],
      ["k0/2", { w: "T1", a: 1 }],
      ["k1/2", { w: "T2", a: 1 }],
    ]);
    const skew: TxRecord[] = [
      {
        id: "T1",
        attempt: 1,
        reads: new Map([
          ["k0", 1],
          ["k1", 1],
        ]),
        writes: new Set(["k0"]),
      },
      {
        id: "T2",
        attempt: 1,
        reads: new Map([
          ["k0", 1],
          ["k1", 1],
        ]),
        writes: new Set(["k1"]),
      },
    ];
    expect(check(skew, installed, "serializable")[0]).toMatch(/dependency cycle/);
    expect(check(skew, installed, "snapshot")).toEqual([]);
    const lost = new Map([...installed, ["k0/3", { w: "T2", a: 1 }]]);
    lost.delete("k1/2");
    const both: TxRecord[] = [
      { id: "T1", attempt: 1, reads: new Map([["k0", 1]]), writes: new Set(["k0"]) },
      { id: "T2", attempt: 1, reads: new Map([["k0", 1]]), writes: new Set(["k0"]) },
    ];
    expect(check(both, lost, "snapshot")[0]).toMatch(/lost update on k0/);
  });
});
