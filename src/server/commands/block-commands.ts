/**
 * MemFlux's transaction commands (its names, `+OK` replies and error texts; src/server/transaction-block.ts
 * holds the state and says what runs inside): BEGIN, COMMIT, ROLLBACK, SAVEPOINT name,
 * ROLLBACK_TO_SAVEPOINT name, RELEASE_SAVEPOINT name; also the SQL spellings MemFlux's documentation uses,
 * `ROLLBACK TO [SAVEPOINT] name` and `RELEASE [SAVEPOINT] name`. BEGIN takes PostgreSQL's optional
 * `ISOLATION LEVEL {SNAPSHOT | REPEATABLE READ | SERIALIZABLE}` (REPEATABLE READ is snapshot isolation, as
 * in PostgreSQL); the default is SNAPSHOT, `db.transaction`'s. None of them may be queued inside MULTI.
 */
import type { Buffer } from "node:buffer";
import type { Isolation } from "../../index.js";
import { keyword, text } from "../args.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** BEGIN's isolation: none, or `ISOLATION LEVEL` and a level. @throws CommandError. */
function isolationArg(args: readonly Buffer[]): Isolation {
  if (args.length === 1) return "snapshot";
  if (args.length < 4 || keyword(args[1]) !== "ISOLATION" || keyword(args[2]) !== "LEVEL") {
    throw new CommandError(ERR.syntax);
  }
  const level = args
    .slice(3)
    .map((a) => keyword(a))
    .join(" ");
  if (level === "SNAPSHOT" || level === "REPEATABLE READ") return "snapshot";
  if (level === "SERIALIZABLE") return "serializable";
  if (level === "READ COMMITTED" || level === "READ UNCOMMITTED") {
    throw new CommandError(
      `ERR isolation level ${level} is not supported: SNAPSHOT, REPEATABLE READ or SERIALIZABLE`,
    );
  }
  throw new CommandError(ERR.syntax);
}

/** The savepoint name of `ROLLBACK TO [SAVEPOINT] name` / `RELEASE [SAVEPOINT] name` from `from` on. */
function sqlSavepointName(args: readonly Buffer[], from: number): string {
  const rest = args.slice(from);
  if (rest.length === 2 && keyword(rest[0]) === "SAVEPOINT") return text(rest[1] as Buffer);
  if (rest.length === 1) return text(rest[0] as Buffer);
  throw new CommandError(ERR.syntax);
}

async function rollback(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const block = ctx.client.transactionBlock;
  if (args.length === 1) {
    await block.rollback();
    return R.ok;
  }
  if (keyword(args[1]) !== "TO") throw new CommandError(ERR.syntax);
  block.rollbackTo(sqlSavepointName(args, 2));
  return R.ok;
}

const FLAGS = ["noscript", "loading", "stale", "fast", "no_multi", "allow_busy"] as const;
const G = { group: "transactions", since: "0.1.0" } as const;

/** The table entries of BEGIN, COMMIT, ROLLBACK and the savepoint commands. */
export const blockCommands: CommandSpec[] = [
  command({
    ...G,
    name: "begin",
    arity: -1,
    // Not allow_busy (nor COMMIT): a snapshot or a commit taken while a Lua script runs would land between
    // the script's slices and break its atomicity; they answer -BUSY like every write.
    flags: ["noscript", "loading", "stale", "fast", "no_multi"],
    summary:
      "Starts a transaction on this connection (MemFlux): later commands run inside it until COMMIT or ROLLBACK.",
    handler: (ctx, args) => {
      ctx.client.transactionBlock.begin(ctx.server.db, isolationArg(args));
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "commit",
    arity: 1,
    flags: ["noscript", "loading", "stale", "no_multi"],
    summary: "Commits the transaction as one atomic, durable write; a conflict aborts it.",
    complexity: "O(N) where N is the number of writes of the transaction.",
    handler: async (ctx) => {
      await ctx.client.transactionBlock.commit();
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "rollback",
    arity: -1,
    flags: [...FLAGS],
    summary: "Discards the transaction, or with TO [SAVEPOINT] name the writes since that savepoint.",
    handler: rollback,
  }),
  command({
    ...G,
    name: "savepoint",
    arity: 2,
    flags: [...FLAGS],
    summary: "Marks a savepoint in the transaction.",
    handler: (ctx, args) => {
      ctx.client.transactionBlock.savepoint(text(args[1] as Buffer));
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "rollback_to_savepoint",
    arity: 2,
    flags: [...FLAGS],
    summary: "Discards the writes made since the savepoint, which stays; later savepoints go.",
    handler: (ctx, args) => {
      ctx.client.transactionBlock.rollbackTo(text(args[1] as Buffer));
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "release_savepoint",
    arity: 2,
    flags: [...FLAGS],
    summary: "Forgets the savepoint and later ones, keeping the writes.",
    handler: (ctx, args) => {
      ctx.client.transactionBlock.release(text(args[1] as Buffer));
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "release",
    arity: -2,
    flags: [...FLAGS],
    summary: "RELEASE [SAVEPOINT] name: RELEASE_SAVEPOINT in SQL's spelling.",
    handler: (ctx, args) => {
      ctx.client.transactionBlock.release(sqlSavepointName(args, 1));
      return R.ok;
    },
  }),
];
