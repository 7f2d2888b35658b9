/**
 * Where a command's engine calls go (issue 16): outside a transaction straight to the engine, each call its
 * own atomic, durable unit (autocommit: `db.types.write`, `db.get`, `db.batch`, ...); while the connection's
 * BEGIN is open (src/server/transaction-block.ts), into that transaction — data-type operations and JSON
 * path writes through `tx.typed`, whole documents through `tx.get/set/delete/patch` — where they see its
 * snapshot plus its own writes and reach the WAL only at COMMIT. Data commands call these, never the
 * engine's data methods, so no command writes around an open transaction.
 */
import type {
  FuseDB,
  IndexQuery,
  Json,
  KeyInput,
  Mutation,
  ScanEntry,
  Transaction,
  Versioned,
} from "../index.js";
import type { OpRunner } from "../types/runner.js";
import type { Txn } from "../types/txn.js";
import type { CommandContext } from "./context.js";

/** The engine calls data commands make; see the module comment. */
export interface DataAccess {
  /** A data-type operation that may write (one WAL record in autocommit). */
  write<T>(fn: (t: Txn) => T): Promise<T>;
  /** A read-only data-type operation. */
  read<T>(fn: (t: Txn) => T): Promise<T>;
  /** As {@link read}, answering synchronously when it can (autocommit only: see TypesRunner.readNow). */
  readNow<T>(fn: (t: Txn) => T): T | Promise<T>;
  /** A document (`db.get`). */
  get(key: KeyInput): Promise<Versioned | undefined>;
  set(
    key: KeyInput,
    value: Json,
    options: { ifVersion?: number; ttlMs?: number },
  ): Promise<{ version: number }>;
  delete(key: KeyInput, options: { ifVersion?: number }): Promise<{ version: number }>;
  patch(key: KeyInput, patch: Json): Promise<Versioned>;
  /** Mutations all or none, with each one's version and document (`db.batch`). */
  batch(mutations: readonly Mutation[]): Promise<{ version: number; value: Json | undefined }[]>;
  /** An index query (`db.query`; inside a transaction at its snapshot, with its own writes). */
  query(q: IndexQuery): Promise<ScanEntry[]>;
  /** What multi-call operations (counting keys) run on. */
  readonly runner: OpRunner;
}

const engines = new WeakMap<FuseDB, DataAccess>();

/** The calls of the connection of `ctx`: into its open transaction, else to the engine. */
export function dataOf(ctx: CommandContext): DataAccess {
  const tx = ctx.client.transactionBlock.open;
  if (tx !== undefined) return inTransaction(tx);
  const db = ctx.server.db;
  let access = engines.get(db);
  if (access === undefined) {
    access = autocommit(db);
    engines.set(db, access);
  }
  return access;
}

function autocommit(db: FuseDB): DataAccess {
  const types = db.types;
  return {
    write: (fn) => types.write(fn),
    read: (fn) => types.read(fn),
    readNow: (fn) => types.readNow(fn),
    get: (key) => db.get(key),
    set: (key, value, options) => db.set(key, value, options),
    delete: (key, options) => db.delete(key, options),
    patch: (key, patch) => db.patch(key, patch),
    batch: async (mutations) => (await db.batch(mutations)).results,
    query: (q) => db.query(q),
    runner: types,
  };
}

function inTransaction(tx: Transaction): DataAccess {
  return {
    write: (fn) => tx.typed(fn, { write: true }),
    read: (fn) => tx.typed(fn, { write: false }),
    readNow: (fn) => tx.typed(fn, { write: false }),
    get: (key) => tx.get(key),
    set: (key, value, options) => tx.set(key, value, options),
    delete: (key, options) => tx.delete(key, options),
    patch: (key, patch) => tx.patch(key, patch),
    batch: async (mutations) => (await tx.batch(mutations)).results,
    query: (q) => tx.query(q),
    runner: tx.typesRunner,
  };
}
