/**
 * `db.transaction(fn, options)`: runs `fn` on a fresh {@link Transaction} (a new snapshot each attempt) and
 * commits it; on a conflict it runs `fn` again, up to `retries` times, then rejects with TxConflictError
 * (FUSEDB_TX_CONFLICT) having written nothing. `fn` must be safe to run again: only its transaction's
 * effects are undone between attempts. Idea: FoundationDB's `db.run(fn)` retry loop and Deno KV's
 * `atomic()` with checks.
 */
import type { CommitPipeline } from "../commit-pipeline.js";
import { assert, ClosedError, InvalidArgumentError, TxConflictError } from "../errors.js";
import type { Clock } from "../io/clock.js";
import type { ResolvedOptions } from "../options.js";
import { SnapshotReads } from "./snapshot-reads.js";
import { type Isolation, Transaction, type TransactionOptions } from "./transaction.js";

/** Most reruns a caller may ask for. */
export const TX_RETRIES_MAX = 1000;
const TX_RETRIES_DEFAULT = 10;

/** What transactions and snapshots run on: the engine's pipeline, clock, options and directory. */
export interface TxHost {
  pipeline: CommitPipeline;
  clock: Clock;
  options: ResolvedOptions;
  dir: string;
}

/**
 * Pins a snapshot of the visible state now and returns its reads.
 * @throws ClosedError after close.
 */
export function pinReads(host: TxHost): SnapshotReads {
  if (host.pipeline.closed) throw new ClosedError();
  const pin = host.pipeline.versions.pin(host.pipeline.appliedLsn, host.clock.now());
  return new SnapshotReads(host.pipeline, pin, host.dir);
}

/**
 * See the module comment.
 * @throws InvalidArgumentError for bad options; TxConflictError after the last attempt; whatever `fn`
 *   or a write throws (nothing of the attempt is written); SnapshotTooOldError if an attempt's snapshot
 *   was released (not retried).
 */
export async function runTransaction<T>(
  host: TxHost,
  fn: (tx: Transaction) => Promise<T> | T,
  options: TransactionOptions = {},
): Promise<T> {
  if (typeof fn !== "function") {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "transaction needs a function");
  }
  const { isolation, retries } = transactionArguments(options);
  // Bounded: at most retries + 1 attempts.
  for (let attempt = 1; ; attempt++) {
    const tx = new Transaction(host.pipeline, pinReads(host), isolation, host.options);
    try {
      const result = await fn(tx);
      const lsn = await tx.commitRecord();
      if (lsn !== undefined) host.pipeline.versions.txCommitted++;
      return result;
    } catch (err) {
      if (!(err instanceof TxConflictError)) throw err;
      host.pipeline.versions.txConflicts++;
      if (attempt > retries) throw new TxConflictError(attempt, err.key);
    } finally {
      tx.end();
    }
    // The records it conflicted with may not be visible yet (their group's fdatasync is in flight): a new
    // snapshot now would miss them and conflict again at once. Wait until they are.
    await host.pipeline.appendedVisible();
    assert(attempt <= retries, "attempts are bounded by retries");
  }
}

/**
 * `db.begin(options)`: an explicit transaction on a snapshot pinned now, ended by the caller's `commit()`
 * (one WAL record; a conflict rejects with TxConflictError, never rerun) or `rollback()`. Until then it
 * pins its snapshot's versions (bounded by snapshotBytesMax, as a snapshot's).
 * @throws InvalidArgumentError for bad options, or `retries` other than 0 (nothing reruns an explicit
 *   transaction); ClosedError after close.
 */
export function beginTransaction(host: TxHost, options: TransactionOptions = {}): Transaction {
  const { isolation, retries } = transactionArguments(options);
  if (options.retries !== undefined && retries !== 0) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      "db.begin() takes no retries: an explicit transaction is never rerun (db.transaction(fn) retries)",
    );
  }
  return new Transaction(host.pipeline, pinReads(host), isolation, host.options, true);
}

function transactionArguments(options: TransactionOptions): { isolation: Isolation; retries: number } {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "transaction options must be an object");
  }
  const { isolation = "snapshot", retries = TX_RETRIES_DEFAULT } = options;
  if (isolation !== "snapshot" && isolation !== "serializable") {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      "transaction isolation must be 'snapshot' or 'serializable'",
    );
  }
  if (!Number.isSafeInteger(retries) || retries < 0 || retries > TX_RETRIES_MAX) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      `transaction retries must be 0..${TX_RETRIES_MAX}`,
    );
  }
  return { isolation, retries };
}
