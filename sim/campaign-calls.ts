/**
 * How the campaign issues each kind of workload step and judges its answer: one table, one entry per step
 * kind, each saying what the call is, how to make it, and how to check its answer with the oracle. Errors
 * go to the campaign's verdicts (sim/campaign-verdicts.ts): a mutation's as a rejection, any other call's as
 * a failed read.
 *
 * Order matters for determinism: an entry registers its call with the oracle and the trace before it calls
 * the engine, and the answer is judged in the promise's own callback (no extra microtask).
 */
import type { FuseDB } from "../src/db.js";
import { mark } from "../src/util/coverage.js";
import { type TxSupport, txCalls, watchedWrite } from "./campaign-tx.js";
import type { Verdicts } from "./campaign-verdicts.js";
import type { SimClock } from "./disk/sim-clock.js";
import { errorCode } from "./disk/sim-error.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";
import type { TraceHash } from "./disk/trace-hash.js";
import { applyMutations, describeMutations } from "./engine-under-test.js";
import { canonical } from "./model.js";
import type { Oracle, ReadAnswer, ReadTicket } from "./oracle.js";
import { checkScan } from "./oracle-scan.js";
import { describeTyped, typedSpec } from "./typed-ops.js";
import { issueTyped, typedAcked, typedReadDone } from "./typed-oracle.js";
import { refusalOf } from "./typed-spec.js";
import type { WorkloadStep } from "./workload.js";

/** What the calls need from their campaign. */
export interface CallContext {
  readonly oracle: Oracle;
  readonly trace: TraceHash;
  readonly verdicts: Verdicts;
  readonly clock: SimClock;
  /** The engine clock of handle `db` now (sim/engine-time.ts): what the model's time must follow. */
  engineNow(db: FuseDB): number;
  /** A read of `key` on `db` starts: returns its ticket, taken when it answers (see CampaignRun). */
  readStart(db: FuseDB, key: string): () => ReadTicket;
  /** Every key the workload may touch, ascending (what a scan may cover). */
  readonly keyUniverse: readonly string[];
  /** The disk the engine runs on now (for damage verdicts). */
  disk(): SimFileSystem;
  /** Transactions, snapshots and indexes (sim/campaign-tx.ts), in campaigns that run them. */
  readonly txs: TxSupport | undefined;
}

/** A call made: whether it reads, and how to wait for its verdict. */
export interface IssuedCall {
  /** Counts as a read (get, ttl, scan). */
  readonly read: boolean;
  /** Judges the answer or the error when the call settles, then runs `done`, in the same callback. */
  settle(done: () => void): void;
}

type StepKind = WorkloadStep["kind"];
type StepOf<K extends StepKind> = Extract<WorkloadStep, { kind: K }>;
type CallMaker<K extends StepKind> = (c: CallContext, db: FuseDB, step: StepOf<K>, id: number) => IssuedCall;

/** Makes call number `id` of `step` on `db`: registers it with the oracle and the trace, then calls the engine. */
export function issueCall(c: CallContext, db: FuseDB, step: WorkloadStep, id: number): IssuedCall {
  // The table is indexed by the step's own kind, so the entry takes exactly this step's type.
  const make = CALLS[step.kind] as CallMaker<StepKind>;
  return make(c, db, step, id);
}

/** One entry per step kind; see the module comment. */
const CALLS: { [K in StepKind]: CallMaker<K> } = {
  mutate: (c, db, step, id) => {
    const what = `op#${id} ${describeMutations(step.mutations, step.batch)}`;
    const nowMs = c.engineNow(db);
    const ticket = c.oracle.issue(step.mutations, nowMs);
    c.trace.update(`issue ${what}`);
    let refused = false;
    return called(
      false,
      watchedWrite(
        c,
        ticket,
        nowMs,
        what,
        () => applyMutations(db, step.mutations, step.batch),
        () => {
          refused = true;
        },
      ),
      (applied) => {
        c.trace.update(`ack #${id}`);
        c.oracle.acked(ticket, applied.results, what);
      },
      (err) => {
        c.trace.update(`reject #${id} ${errorCode(err)}`);
        if (!refused) c.verdicts.rejected(ticket, err, what, c.disk());
      },
    );
  },
  get: (c, db, step, id) => {
    const what = `op#${id} get ${step.key}`;
    const ticketAt = c.readStart(db, step.key);
    return called(
      true,
      db.get(step.key),
      (answer) => {
        c.trace.update(`read #${id} ${answer ? `v${answer.version}` : "absent"}`);
        c.oracle.readDone(ticketAt(), answer as ReadAnswer, what, c.engineNow(db));
      },
      (err) => {
        // A key holding a collection: `get` reads documents only.
        if (errorCode(err) !== "FUSEDB_WRONG_TYPE") return c.verdicts.readFailed(err, what, c.disk());
        c.trace.update(`read #${id} wrong type`);
        c.oracle.wrongTypeDone(ticketAt(), undefined, what, c.engineNow(db));
      },
    );
  },
  ttl: (c, db, step, id) => {
    const what = `op#${id} ttl ${step.key}`;
    const ticketAt = c.readStart(db, step.key);
    return read(c, what, db.ttl(step.key), (answer) => {
      c.trace.update(`ttl #${id} ${answer}`);
      c.oracle.ttlDone(ticketAt(), answer, what, c.engineNow(db));
    });
  },
  scan: (c, db, step, id) => {
    const what = `op#${id} scan ${JSON.stringify(step)}`;
    const ticketAt = c.readStart(db, "");
    const answer = db.scan({ gte: step.gte, lt: step.lt, limit: step.limit, reverse: step.reverse });
    return read(c, what, answer, (entries) => {
      c.trace.update(`scan #${id} ${entries.length}`);
      checkScan(c.oracle, step, ticketAt(), entries, c.keyUniverse, what, c.engineNow(db));
    });
  },
  typed: (c, db, { call }, id) => {
    const spec = typedSpec(call.cmd);
    const what = `op#${id} ${describeTyped(call)}`;
    if (spec.read) {
      const ticketAt = c.readStart(db, call.keys[0] as string);
      return called(
        true,
        spec.engine(db, call),
        (answer) => {
          c.trace.update(`read #${id} ${canonical(answer).length}`);
          typedReadDone(c.oracle, ticketAt(), call, { answer }, what, c.engineNow(db));
        },
        (err) => {
          // Refused by Redis's rules (WRONGTYPE, a bad argument): an answer the model must give too.
          const code = refusalOf(err);
          if (code === undefined) return c.verdicts.readFailed(err, what, c.disk());
          c.trace.update(`read #${id} refused ${code}`);
          typedReadDone(c.oracle, ticketAt(), call, { code }, what, c.engineNow(db));
        },
      );
    }
    const nowMs = c.engineNow(db);
    const ticket = issueTyped(c.oracle, call, nowMs);
    c.trace.update(`issue ${what}`);
    let refused = false;
    return called(
      false,
      watchedWrite(
        c,
        ticket,
        nowMs,
        what,
        () => spec.engine(db, call),
        () => {
          refused = true;
        },
      ),
      (answer) => {
        c.trace.update(`ack #${id} ${canonical(answer).length}`);
        typedAcked(c.oracle, ticket, call, nowMs, answer, what);
      },
      (err) => {
        c.trace.update(`reject #${id} ${errorCode(err)}`);
        if (refused) return;
        const code = refusalOf(err);
        if (code !== undefined) {
          mark(`typed.${call.cmd}.refused`);
          c.oracle.rejected(ticket, code, what);
        } else c.verdicts.rejected(ticket, err, what, c.disk());
      },
    );
  },
  tx: (c, db, step, id) => txCalls.tx(c, txSupport(c), db, step, id),
  snapshot: (c, db, step, id) => txCalls.snapshot(c, txSupport(c), db, step, id),
  index: (c, db, step, id) => txCalls.index(c, txSupport(c), db, step, id),
  query: (c, db, step, id) => txCalls.query(c, txSupport(c), db, step, id),
  checkpoint: (c, db, _step, id) => {
    const what = `op#${id} checkpoint`;
    // Not counted as a read, but its errors are judged like a read's.
    return called(
      false,
      db.checkpoint(),
      (r) => c.trace.update(`checkpoint #${id} lsn=${r.lsn}`),
      (err) => c.verdicts.readFailed(err, what, c.disk()),
    );
  },
};

/** The campaign's transaction support (its workload draws these steps only when it has it). */
function txSupport(c: CallContext): TxSupport {
  if (c.txs === undefined) throw new Error("a transaction step in a campaign without transactions");
  return c.txs;
}

/** A read-like call: its errors are judged as failed reads. */
function read<T>(c: CallContext, what: string, answer: Promise<T>, answered: (a: T) => void): IssuedCall {
  return called(true, answer, answered, (err) => c.verdicts.readFailed(err, what, c.disk()));
}

/** An issued call: its promise, judged by `answered` and `failed` (`reads`: it is a read). */
export function called<T>(
  reads: boolean,
  answer: Promise<T>,
  answered: (a: T) => void,
  failed: (err: unknown) => void,
): IssuedCall {
  return {
    read: reads,
    settle: (done) => {
      answer.then(
        (a) => {
          answered(a);
          done();
        },
        (err: unknown) => {
          failed(err);
          done();
        },
      );
    },
  };
}
