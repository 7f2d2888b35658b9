/**
 * The operations of a transaction's plan and a snapshot reader's reads, run on the engine and noted for
 * the oracle (sim/tx-oracle.ts): what each read saw, and the writes the transaction buffered, kept exactly
 * as the engine keeps them (a refused write buffers nothing; `rollbackTo` forgets the writes since its
 * savepoint; a batch is all or nothing).
 */
import type { Transaction } from "../src/tx/transaction.js";
import { mark } from "../src/util/coverage.js";
import type { CallContext } from "./campaign-calls.js";
import type { TxSupport } from "./campaign-tx.js";
import { errorCode } from "./disk/sim-error.js";
import type { ModelMutation } from "./model.js";
import type { Attempt } from "./tx-oracle.js";
import type { TxOp } from "./tx-workload.js";

/** Errors a write may meet on its own snapshot, by the model's rules: the write is then not buffered. */
const WRITE_REFUSALS = new Set([
  "FUSEDB_TYPE_MISMATCH",
  "FUSEDB_OUT_OF_RANGE",
  "FUSEDB_WRONG_TYPE",
  "FUSEDB_NOT_FOUND",
  "FUSEDB_VERSION_CONFLICT",
]);

/** Reads `key` through `get` for attempt `a`, noting what it saw. */
export async function txGet(
  t: TxSupport,
  a: Attempt,
  key: string,
  get: () => Promise<{ value: unknown; version: number; expiresAtMs?: number } | undefined>,
): Promise<{ value: unknown; version: number } | undefined | "collection"> {
  try {
    const r = await get();
    t.oracle.sawDoc(a, key, r);
    return r;
  } catch (err) {
    if (errorCode(err) !== "FUSEDB_WRONG_TYPE") throw err;
    t.oracle.sawCollection(a, key);
    return "collection";
  }
}

/** Notes a scan's answer: each entry, and each key of the universe it covered but did not list (absent). */
export function sawScan(
  c: CallContext,
  t: TxSupport,
  a: Attempt,
  r: { gte: string; lt: string; limit: number; reverse: boolean },
  found: readonly { key: string; value: unknown; version: number; expiresAtMs?: number }[],
): void {
  const got = new Set(found.map((e) => e.key));
  for (const e of found) t.oracle.sawDoc(a, e.key, e);
  const last = found[found.length - 1]?.key;
  const full = found.length === r.limit && last !== undefined;
  for (const key of c.keyUniverse) {
    if (key < r.gte || key >= r.lt || got.has(key)) continue;
    if (full && (r.reverse ? key < last : key > last)) continue;
    t.oracle.sawDoc(a, key, undefined, true);
  }
}

/** Runs one operation of a transaction's plan, keeping `muts` (the writes buffered) as the engine does. */
export async function runTxOp(
  c: CallContext,
  t: TxSupport,
  tx: Transaction,
  a: Attempt,
  op: TxOp,
  muts: ModelMutation[],
  savepoints: { name: string; len: number }[],
): Promise<void> {
  switch (op.op) {
    case "get":
      await txGet(t, a, op.key, () => tx.get(op.key));
      return;
    case "scan":
      sawScan(c, t, a, op, await tx.scan({ gte: op.gte, lt: op.lt, limit: op.limit, reverse: op.reverse }));
      return;
    case "write":
      await buffered(t, a, muts, [op.m], () => txWrite(tx, op.m));
      return;
    case "batch":
      await buffered(t, a, muts, op.ms, () => tx.batch(op.ms));
      return;
    case "transfer": {
      const from = await txGet(t, a, op.from, () => tx.get(op.from));
      if (op.from === op.to || from === "collection") return;
      const to = await txGet(t, a, op.to, () => tx.get(op.to));
      if (to === "collection") return;
      const num = (d: { value: unknown } | undefined): number =>
        d !== undefined && Number.isSafeInteger(d.value) ? (d.value as number) : 0;
      const ms: ModelMutation[] = [
        { op: "set", key: op.from, value: num(from) - op.amount },
        { op: "set", key: op.to, value: num(to) + op.amount },
      ];
      mark("txsim.transfer");
      await buffered(t, a, muts, ms, () => tx.batch(ms));
      return;
    }
    case "savepoint":
      tx.savepoint(op.name);
      savepoints.push({ name: op.name, len: muts.length });
      return;
    case "rollbackTo": {
      const i = lastIndex(savepoints, op.name);
      if (i < 0) return;
      tx.rollbackTo(op.name);
      muts.length = (savepoints[i] as { len: number }).len;
      savepoints.length = i + 1;
      mark("txsim.rollback-to");
      return;
    }
    case "release": {
      const i = lastIndex(savepoints, op.name);
      if (i < 0) return;
      tx.release(op.name);
      savepoints.length = i;
      mark("txsim.release");
      return;
    }
  }
}

function lastIndex(savepoints: readonly { name: string }[], name: string): number {
  for (let i = savepoints.length - 1; i >= 0; i--) if (savepoints[i]?.name === name) return i;
  return -1;
}

/** Buffers `ms` through `write`; on a refusal by the model's rules (on the snapshot) nothing is buffered. */
async function buffered(
  t: TxSupport,
  a: Attempt,
  muts: ModelMutation[],
  ms: readonly ModelMutation[],
  write: () => Promise<unknown>,
): Promise<void> {
  try {
    await write();
  } catch (err) {
    const code = errorCode(err);
    if (code === undefined || !WRITE_REFUSALS.has(code)) throw err;
    mark("txsim.write-refused");
    // A single write's refusal says what its key held on the snapshot (a key not written yet).
    const key = ms.length === 1 ? (ms[0] as ModelMutation).key : undefined;
    if (key !== undefined && code === "FUSEDB_WRONG_TYPE") t.oracle.constrain(a, key, "collection");
    if (key !== undefined && code === "FUSEDB_NOT_FOUND") t.oracle.constrain(a, key, "absent");
    return;
  }
  for (const m of ms) {
    muts.push(m);
    a.touched.add(m.key);
  }
}

/** One buffered mutation on `tx`, as `db` would take it. */
function txWrite(tx: Transaction, m: ModelMutation): Promise<unknown> {
  switch (m.op) {
    case "set":
      return tx.set(m.key, m.value, m.ttlMs === undefined ? {} : { ttlMs: m.ttlMs });
    case "delete":
      return tx.delete(m.key);
    case "patch":
      return tx.patch(m.key, m.patch);
    case "incr":
      return tx.incr(m.key, m.delta);
    case "expire":
      return tx.expire(m.key, m.ms);
  }
}
