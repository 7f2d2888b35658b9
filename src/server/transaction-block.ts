/**
 * One connection's explicit transaction (BEGIN ... COMMIT | ROLLBACK: PostgreSQL's "transaction block",
 * MemFlux's per-connection transaction handle): a `db.begin()` handle (src/tx/transaction.ts) held between
 * the commands, with MemFlux's replies and errors.
 *
 * - While it is open every data command of the connection runs inside it (src/server/data-access.ts): it
 *   reads the transaction's snapshot plus its own writes, and nothing it writes is visible to other
 *   connections, nor durable, until COMMIT; outside one every command is its own transaction (autocommit).
 * - COMMIT writes everything as one WAL record and answers after fdatasync; a conflict with a write
 *   committed since BEGIN answers `ERR ABORT: ...` (FUSEDB_TX_CONFLICT) and writes nothing. COMMIT ends the
 *   transaction whatever it answers, as MemFlux's does. ROLLBACK, RESET, QUIT and the connection's end roll
 *   it back. Either way the snapshot's pin is released.
 * - A command that fails inside the transaction answers its error and leaves the transaction open with
 *   that command's effects undone (MemFlux; not PostgreSQL's aborted state).
 * - Savepoints follow MemFlux's naming rules (a name may not be reused while it exists) and SQL's stack:
 *   rolling back to one keeps it and drops later ones; releasing one drops it and later ones.
 * - Commands that cannot be part of a transaction are refused while one is open ({@link NOT_IN_BLOCK}).
 */
import type { FuseDB, Isolation, Transaction } from "../index.js";
import { TxConflictError } from "../index.js";
import type { CommandSpec } from "./command-table.js";
import { CommandError } from "./reply-errors.js";

/** MemFlux's error texts (src/commands.rs), with Redis's `ERR` code as MemFlux sends them. */
export const BLOCK_ERR = {
  noTransaction: "ERR No transaction in progress",
  inProgress: "ERR Transaction already in progress",
  conflict: "ERR ABORT: Serialization failure, please retry transaction (FUSEDB_TX_CONFLICT)",
  exists: (name: string) => `ERR Savepoint '${name}' already exists`,
  notFound: (name: string) => `ERR Savepoint '${name}' not found`,
} as const;

/**
 * Commands refused inside a transaction block, and why (each is its own durable action that a rollback
 * could not undo, or waits on other clients' writes a snapshot never sees): besides these, every command
 * flagged `blocking`. MULTI/EXEC and BEGIN do not nest either way.
 */
const NOT_IN_BLOCK: ReadonlyMap<string, string> = new Map([
  ["multi", "a transaction block is already open"],
  ["watch", "WATCH belongs to MULTI/EXEC"],
  ["flushdb", "it is not transactional"],
  ["flushall", "it is not transactional"],
  ["swapdb", "it is not transactional"],
  ["subscribe", "subscriptions are not transactional"],
  ["psubscribe", "subscriptions are not transactional"],
  ["publish", "messages are not transactional"],
  ["idx.create", "index builds run in the background, outside any transaction"],
  ["createindex", "index builds run in the background, outside any transaction"],
  ["idx.drop", "index changes are not transactional"],
  ["eval", "a script commits its own writes"],
  ["evalsha", "a script commits its own writes"],
  ["eval_ro", "a script runs on its own"],
  ["evalsha_ro", "a script runs on its own"],
  ["sql", "a SQL statement runs in its own transaction"],
]);

/** The error for `spec` run while a transaction block is open, or undefined if it may run. */
export function refusedInBlock(spec: CommandSpec): string | undefined {
  const why = spec.flags.includes("blocking")
    ? "a blocking command would wait on a snapshot that never changes"
    : NOT_IN_BLOCK.get(spec.name);
  if (why === undefined) return undefined;
  return `ERR ${spec.name.toUpperCase()} cannot run inside a transaction (BEGIN): ${why}; COMMIT or ROLLBACK first`;
}

/** See the module comment. */
export class TransactionBlock {
  private tx: Transaction | undefined;
  /** Savepoint names, oldest first (MemFlux: unique while they exist). */
  private savepoints: string[] = [];

  /** The open transaction, if any: data commands run inside it. */
  get open(): Transaction | undefined {
    return this.tx;
  }

  /** BEGIN. @throws CommandError if one is open. */
  begin(db: FuseDB, isolation: Isolation): void {
    if (this.tx !== undefined) throw new CommandError(BLOCK_ERR.inProgress);
    this.tx = db.begin({ isolation });
    this.savepoints = [];
  }

  /**
   * COMMIT: ends the transaction, writing its writes as one record (durable when this resolves).
   * @throws CommandError without a transaction or on a conflict (nothing written); the engine's errors.
   */
  async commit(): Promise<void> {
    const tx = this.take();
    try {
      await tx.commit();
    } catch (err) {
      if (err instanceof TxConflictError) throw new CommandError(BLOCK_ERR.conflict);
      throw err;
    } finally {
      await tx.rollback(); // no-op unless commit failed before ending it (a write in flight)
    }
  }

  /** ROLLBACK. @throws CommandError without a transaction. */
  async rollback(): Promise<void> {
    await this.take().rollback();
  }

  /**
   * RESET, the connection's end: rolls back the transaction if one is open, at once (`rollback` ends the
   * handle and releases its pin synchronously; its promise only reports that).
   */
  close(): void {
    if (this.tx !== undefined) void this.take().rollback();
  }

  /** SAVEPOINT name. */
  savepoint(name: string): void {
    const tx = this.current();
    if (this.savepoints.includes(name)) throw new CommandError(BLOCK_ERR.exists(name));
    tx.savepoint(name);
    this.savepoints.push(name);
  }

  /** ROLLBACK_TO_SAVEPOINT name: undoes the writes since; the savepoint stays, later ones go. */
  rollbackTo(name: string): void {
    const tx = this.current();
    const i = this.indexOf(name);
    tx.rollbackTo(name);
    this.savepoints.length = i + 1;
  }

  /** RELEASE_SAVEPOINT name: forgets it and the later ones, keeping the writes. */
  release(name: string): void {
    const tx = this.current();
    const i = this.indexOf(name);
    tx.release(name);
    this.savepoints.length = i;
  }

  private indexOf(name: string): number {
    const i = this.savepoints.indexOf(name);
    if (i < 0) throw new CommandError(BLOCK_ERR.notFound(name));
    return i;
  }

  private current(): Transaction {
    if (this.tx === undefined) throw new CommandError(BLOCK_ERR.noTransaction);
    return this.tx;
  }

  /** Ends the block (the transaction itself is ended by the caller). */
  private take(): Transaction {
    const tx = this.current();
    this.tx = undefined;
    this.savepoints = [];
    return tx;
  }
}
