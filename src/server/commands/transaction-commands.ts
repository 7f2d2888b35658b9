/**
 * Transaction commands (Redis 7.0 replies and errors): MULTI, EXEC, DISCARD, WATCH, UNWATCH. The state and
 * EXEC's execution live in src/server/transaction.ts, which states the isolation and atomicity given.
 */
import type { Buffer } from "node:buffer";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { runQueued } from "../transaction.js";

async function exec(ctx: CommandContext): Promise<Reply> {
  const tx = ctx.client.transaction;
  const queued = tx.queued;
  if (queued === undefined) throw new CommandError("ERR EXEC without MULTI");
  const failed = tx.failed;
  const watch = tx.watchCheck();
  tx.end();
  if (failed) throw new CommandError("EXECABORT Transaction discarded because of previous errors.");
  // EXEC holds the gate alone: the watch check and the commands see one state (see runQueued).
  const replies = await runQueued(ctx, queued, watch);
  return replies === undefined ? R.nullArray : R.array(replies);
}

async function watch(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (ctx.client.transaction.active) throw new CommandError("ERR WATCH inside MULTI is not allowed");
  await ctx.client.transaction.watch(ctx, args.slice(1));
  return R.ok;
}

const FLAGS = ["noscript", "loading", "stale", "fast", "allow_busy"] as const;
const G = { group: "transactions" } as const;

/** The transaction commands' table entries. */
export const transactionCommands: CommandSpec[] = [
  command({
    ...G,
    name: "multi",
    arity: 1,
    flags: [...FLAGS],
    since: "1.2.0",
    summary: "Starts a transaction.",
    handler: (ctx) => {
      if (ctx.client.transaction.active) throw new CommandError("ERR MULTI calls can not be nested");
      ctx.client.transaction.begin();
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "exec",
    arity: 1,
    flags: ["noscript", "loading", "stale", "skip_slowlog"],
    since: "1.2.0",
    summary: "Executes all commands in a transaction.",
    handler: exec,
    exclusive: true,
  }),
  command({
    ...G,
    name: "discard",
    arity: 1,
    flags: [...FLAGS],
    since: "2.0.0",
    summary: "Discards a transaction.",
    handler: (ctx) => {
      if (!ctx.client.transaction.active) throw new CommandError("ERR DISCARD without MULTI");
      ctx.client.transaction.end();
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "watch",
    arity: -2,
    flags: [...FLAGS],
    keys: [1, -1, 1],
    since: "2.2.0",
    summary: "Monitors changes to keys to determine the execution of a transaction.",
    handler: watch,
  }),
  command({
    ...G,
    name: "unwatch",
    arity: 1,
    flags: [...FLAGS],
    since: "2.2.0",
    summary: "Forgets about all watched keys.",
    handler: (ctx) => {
      ctx.client.transaction.unwatch();
      return R.ok;
    },
  }),
];
