/**
 * How a campaign issues the steps of sim/tx-workload.ts and judges them (issue 16): transactions, snapshot
 * readers, index creates and drops, index queries. The entries of sim/campaign-calls.ts's table for these
 * kinds call {@link txCalls}.
 *
 * A transaction's commit is one call of the commit order, registered with the oracle right before the
 * engine prepares it (the attempt's `commitRecord` is wrapped: nothing runs between registration and the
 * engine's prepare queue). Its fate is decided inside the prepare step: a conflict (or a unique index's
 * refusal) is seen there by the {@link PrepareProbe}, synchronously, and the call is retracted before any
 * later call is prepared, so the model never resolves a later call on a commit that did not happen.
 */
import type { FuseDB } from "../src/db.js";
import { IndexError, TxConflictError } from "../src/errors.js";
import type { Snapshot } from "../src/tx/snapshot.js";
import type { Transaction } from "../src/tx/transaction.js";
import { mark } from "../src/util/coverage.js";
import { type CallContext, called, type IssuedCall } from "./campaign-calls.js";
import { errorCode } from "./disk/sim-error.js";
import { checkQuery, duplicateAfter, uniqueRefusalExplained } from "./index-check.js";
import type { ModelMutation } from "./model.js";
import type { CallTicket } from "./oracle.js";
import { runTxOp, sawScan, txGet } from "./tx-ops.js";
import type { Attempt, TxOracle } from "./tx-oracle.js";
import { INDEX_DEFINITIONS, type TxWorkloadStep } from "./tx-workload.js";

type ResolveOp = (view: unknown, ctx: unknown) => unknown;

/**
 * Watches the prepare step of one call: wraps the pipeline's write-hooked operation (every `commitOp` takes
 * it, transactions' commits included) so that a conflict or a unique refusal thrown there is reported at
 * once, before the prepare queue moves on. Engine internals, for the simulator only.
 */
export class PrepareProbe {
  private pending: ((err: Error) => void) | undefined;

  /** Starts watching `db`'s pipeline. */
  install(db: FuseDB): void {
    const pipeline = (db as unknown as { pipeline: { hooked: (op: ResolveOp) => ResolveOp } }).pipeline;
    const hooked = pipeline.hooked.bind(pipeline);
    pipeline.hooked = (op) => {
      const h = hooked(op);
      const refused = this.pending;
      this.pending = undefined;
      if (refused === undefined) return h;
      return (view, ctx) => {
        try {
          return h(view, ctx);
        } catch (err) {
          if (retractable(err)) refused(err as Error);
          throw err;
        }
      };
    };
  }

  /** Runs `call` (which commits one operation synchronously) with `refused` told of its refusal. */
  tagged<T>(refused: (err: Error) => void, call: () => T): T {
    this.pending = refused;
    try {
      return call();
    } finally {
      this.pending = undefined;
    }
  }
}

function retractable(err: unknown): boolean {
  return (
    err instanceof TxConflictError || (err instanceof IndexError && err.code === "FUSEDB_UNIQUE_VIOLATION")
  );
}

/** What the calls of this module need besides the {@link CallContext}. */
export interface TxSupport {
  readonly oracle: TxOracle;
  readonly probe: PrepareProbe;
  /** Index creates and drops in flight (while any is, which unique indexes bind a write is unknown). */
  indexCalls: number;
  /** Transaction commits registered and not yet settled (a crash among them: `crash.during.tx-commit`). */
  commitsInFlight: number;
}

type TxStep<K extends TxWorkloadStep["kind"]> = Extract<TxWorkloadStep, { kind: K }>;

/** The snapshot's clock time of a transaction attempt or snapshot (engine internals). */
function atMsOf(handle: Transaction | Snapshot): number {
  return (handle as unknown as { reads: { atMs: number } }).reads.atMs;
}

/** Calls the engine's `fn` now, turning a synchronous throw into a rejection. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** One entry per step kind of sim/tx-workload.ts. */
export const txCalls = {
  tx(c: CallContext, t: TxSupport, db: FuseDB, step: TxStep<"tx">, id: number): IssuedCall {
    const what = `op#${id} tx ${step.isolation}`;
    let attempts = 0;
    let commitJudged = false;
    const epoch = t.oracle.epoch;
    const run = attempt(() =>
      db.transaction(
        async (tx) => {
          attempts++;
          commitJudged = false;
          if (attempts > 1) mark("txsim.retry");
          const a = t.oracle.begin(`${what} attempt ${attempts}`, atMsOf(tx), epoch);
          const muts: ModelMutation[] = [];
          const savepoints: { name: string; len: number }[] = [];
          for (const op of step.ops) await runTxOp(c, t, tx, a, op, muts, savepoints);
          const inner = tx as unknown as { commitRecord: () => Promise<number | undefined> };
          const commit = inner.commitRecord.bind(tx);
          inner.commitRecord = () => {
            if (t.oracle.stale(a)) {
              // The handle outlived a crash (its disk is gone): its commit never lands; nothing to judge.
              mark("txsim.stale-attempt");
              commitJudged = true;
              return commit();
            }
            t.oracle.checkReads(a);
            const writes = new Set(muts.map((m) => m.key));
            if (muts.length === 0) return readOnlyCommit(c, t, a, step, commit);
            const nowMs = c.engineNow(db);
            const quiet = t.indexCalls === 0;
            const uniques = quiet ? db.indexes().filter((i) => i.unique && i.state === "ready") : [];
            const ticket = c.oracle.issue(muts, nowMs);
            c.trace.update(`issue ${what} commit ${attempts} (${muts.length} writes)`);
            let refused = false;
            t.commitsInFlight++;
            const p = t.probe.tagged((err) => {
              refused = true;
              refusedInPrepare(c, ticket, err, nowMs, `${what} attempt ${attempts}`);
            }, commit);
            p.then(
              () => {
                t.commitsInFlight--;
                c.trace.update(`ack ${what} attempt ${attempts}`);
                if (!c.oracle.noteAcked(ticket, what) || !ticket.outcome.ok) return;
                const o = ticket.outcome;
                mark(`txsim.committed.${step.isolation}`);
                t.oracle.committed(a, o.pos, writes, step.isolation, `t${ticket.id}`);
                for (const info of uniques) {
                  const def = INDEX_DEFINITIONS.find((d) => d.name === info.name);
                  const dup =
                    def && duplicateAfter(c.oracle.model, def, o.pos, o.changes, c.keyUniverse, nowMs);
                  if (dup !== undefined)
                    c.oracle.report(`${what}: unique index ${info.name} admitted a duplicate: ${dup}`);
                }
              },
              (err: unknown) => {
                t.commitsInFlight--;
                commitJudged = true;
                c.trace.update(`reject ${what} attempt ${attempts} ${errorCode(err)}`);
                if (!refused) c.verdicts.rejected(ticket, err, what, c.disk());
              },
            );
            return p;
          };
        },
        { isolation: step.isolation, retries: step.retries },
      ),
    );
    return called(
      true,
      run,
      () => c.trace.update(`tx #${id} done after ${attempts}`),
      (err) => {
        const code = errorCode(err);
        c.trace.update(`tx #${id} failed ${code}`);
        if (code === "FUSEDB_TX_CONFLICT") mark("txsim.retries-exhausted");
        else if (!commitJudged) c.verdicts.readFailed(err, what, c.disk());
      },
    );
  },

  snapshot(c: CallContext, t: TxSupport, db: FuseDB, step: TxStep<"snapshot">, id: number): IssuedCall {
    const what = `op#${id} snapshot`;
    const run = attempt(async () => {
      const snap = db.snapshot();
      const a = t.oracle.begin(what, atMsOf(snap));
      try {
        for (const [i, r] of step.reads.entries()) {
          // Let the world move on between reads: writes land after the snapshot.
          await c.clock.sleep((id * 7 + i * 13) % 40);
          if (c.oracle.model.lastPos > a.hi) mark("txsim.snapshot-read-after-write");
          if (r.op === "get") await txGet(t, a, r.key, () => snap.get(r.key));
          else {
            const found = await snap.scan({ gte: r.gte, lt: r.lt, limit: r.limit });
            sawScan(c, t, a, { ...r, reverse: false }, found);
          }
        }
      } finally {
        await snap.close();
      }
      t.oracle.checkReads(a);
    });
    return called(
      true,
      run,
      () => c.trace.update(`snapshot #${id} done`),
      (err) => c.verdicts.readFailed(err, what, c.disk()),
    );
  },

  index(c: CallContext, t: TxSupport, db: FuseDB, step: TxStep<"index">, id: number): IssuedCall {
    const { def } = step;
    const what = `op#${id} ${step.action} index ${def.name}`;
    c.trace.update(`issue ${what}`);
    t.indexCalls++;
    const run = attempt(() =>
      step.action === "create"
        ? db
            .createIndex({ name: def.name, prefix: def.prefix, path: def.path, unique: def.unique })
            .then(() => undefined)
        : db.dropIndex(def.name),
    );
    const settled = run.finally(() => {
      t.indexCalls--;
    });
    return called(
      true,
      settled,
      () => {
        c.trace.update(`${what} done`);
        mark(`txsim.index-${step.action}${def.unique ? "-unique" : ""}`);
      },
      (err) => {
        const code = errorCode(err);
        c.trace.update(`${what} failed ${code}`);
        if (code === "FUSEDB_INDEX_EXISTS" || code === "FUSEDB_INDEX_NOT_FOUND") return;
        c.verdicts.readFailed(err, what, c.disk());
      },
    );
  },

  query(c: CallContext, _t: TxSupport, db: FuseDB, step: TxStep<"query">, id: number): IssuedCall {
    const what = `op#${id} query ${step.def.name} ${JSON.stringify(step.q)}`;
    const ticketAt = c.readStart(db, "");
    const q = Object.fromEntries(Object.entries(step.q).filter(([, v]) => v !== undefined));
    return called(
      true,
      attempt(() => db.query({ index: step.def.name, ...q })),
      (answer) => {
        c.trace.update(`query #${id} ${answer.length}`);
        checkQuery(c.oracle, step.def, step.q, ticketAt(), answer, c.keyUniverse, what, c.engineNow(db));
      },
      (err) => {
        const code = errorCode(err);
        c.trace.update(`query #${id} ${code}`);
        if (code === "FUSEDB_INDEX_NOT_FOUND" || code === "FUSEDB_INDEX_NOT_READY") {
          mark("txsim.query-not-ready");
          return;
        }
        c.verdicts.readFailed(err, what, c.disk());
      },
    );
  },
};

/**
 * Makes `call` (a write registered as `ticket` at `nowMs`) with its prepare step watched, in a campaign
 * with transactions and indexes: a unique refusal is judged and retracted there (see the module comment),
 * and `refused` runs. Elsewhere just makes the call.
 */
export function watchedWrite<T>(
  c: CallContext,
  ticket: CallTicket,
  nowMs: number,
  what: string,
  call: () => Promise<T>,
  refused: () => void,
): Promise<T> {
  if (c.txs === undefined) return call();
  return c.txs.probe.tagged((err) => {
    refused();
    refusedInPrepare(c, ticket, err, nowMs, what);
  }, call);
}

/** A read-only attempt's commit: under 'serializable' validated by the engine, so checked as committed. */
function readOnlyCommit(
  c: CallContext,
  t: TxSupport,
  a: Attempt,
  step: TxStep<"tx">,
  commit: () => Promise<number | undefined>,
): Promise<number | undefined> {
  const at = c.oracle.model.lastPos + 1;
  const retracted = c.oracle.retractedLog.length;
  const p = commit();
  p.then(
    () => {
      if (step.isolation !== "serializable") return;
      // Calls retracted since moved the commit point down.
      const moved = c.oracle.retractedLog.slice(retracted).filter((r) => r < at).length;
      mark("txsim.read-only-serializable");
      t.oracle.committed(a, at - moved, new Set(), "serializable", undefined);
    },
    () => undefined,
  );
  return p;
}

/** The engine refused `ticket`'s commit inside its prepare step (a conflict or a unique refusal). */
function refusedInPrepare(c: CallContext, ticket: CallTicket, err: Error, nowMs: number, what: string): void {
  if (err instanceof TxConflictError) {
    mark("txsim.conflict");
    c.oracle.retract(ticket, what);
    return;
  }
  const e = err as IndexError;
  const def = INDEX_DEFINITIONS.find((d) => d.name === e.index);
  const o = ticket.outcome;
  if (
    o.ok &&
    def !== undefined &&
    uniqueRefusalExplained(c.oracle.model, def, o.pos, o.changes, e.key, nowMs)
  ) {
    mark("txsim.unique-refused");
  } else {
    c.oracle.report(
      `${what}: refused by unique index ${e.index} (holder ${e.key}), but no duplicate in the model`,
    );
  }
  c.oracle.retract(ticket, what);
}
