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
import { checkHistory, installedFromMap, type TxRecord } from "../sim/tx-history-check.js";
import type { RecoveryMode } from "../src/db.js";
import { openWithRecoveryMode } from "../src/db.js";
import type { Isolation } from "../src/tx/transaction.js";
import { testSeed } from "./helpers/seed.js";

const KEYS = ["k0", "k1", "k2", "k3"];
const TXS = 14;
const INIT = "T0";

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

/** The history's violations; see the module comment (the checker is sim/tx-history-check.ts). */
function check(
  committed: readonly TxRecord[],
  installed: ReadonlyMap<string, { w: string; a: number }>,
  isolation: Isolation,
): string[] {
  return checkHistory(committed, installedFromMap(installed), isolation, INIT);
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
