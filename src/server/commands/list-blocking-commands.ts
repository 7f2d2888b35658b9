/**
 * The blocking list pops (Redis 7.0): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH. Run by a connection, a command
 * that finds every list empty blocks only its own connection (src/server/connection.ts `block`: the client
 * lets go of the server's gate and counts in INFO's `blocked_clients`) until the engine serves it, oldest
 * waiter first, when a push becomes durable (src/types/list-waiters.ts), or until its timeout on the
 * server's clock, or CLIENT UNBLOCK. Inside MULTI (run by EXEC) it acts as its non-blocking form with the
 * timeout already expired, as Redis does. Replies: BLPOP/BRPOP [key, element]; BLMOVE/BRPOPLPUSH the
 * element; a timeout is a null array for all four (Redis 7.0's blocked-client timeout reply), but a
 * BLMOVE/BRPOPLPUSH inside MULTI that finds nothing answers a null bulk.
 */
import type { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import type { ListEnd } from "../../types/list-ops.js";
import { type BlockingPop, popFirst } from "../../types/list-waiters.js";
import type { Txn } from "../../types/txn.js";
import { floatArg } from "../args.js";
import { type CommandSpec, command, type Handler, type TypedOp } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { bulkOf, endArg, keyArg } from "./list-commands.js";

const G = { group: "list" } as const;

/** A parsed blocking command: the engine request (without its signal) and the key arguments to reply. */
interface Parsed {
  readonly req: Omit<BlockingPop, "signal">;
  readonly keyArgs: readonly Buffer[];
}

/**
 * A timeout argument in seconds as milliseconds, rounded up (Redis's getTimeoutFromObjectOrReply).
 * @throws CommandError "timeout is not a float or out of range", "timeout is out of range", "timeout is negative".
 */
function timeoutArg(arg: Buffer): number {
  let seconds: number;
  try {
    seconds = floatArg(arg);
  } catch {
    throw new CommandError("ERR timeout is not a float or out of range");
  }
  const ms = seconds * 1000;
  if (ms > 2 ** 63) throw new CommandError("ERR timeout is out of range");
  if (ms < 0) throw new CommandError("ERR timeout is negative");
  return Math.ceil(ms);
}

/** The reply of a served (or at-once) pop. */
function servedReply(p: Parsed, index: number, element: string): Reply {
  if (p.req.move !== undefined) return bulkOf(element);
  return R.array([R.bulk(p.keyArgs[index] as Buffer), bulkOf(element)]);
}

/** The spec of a blocking command: `parse` reads its arguments (@throws CommandError). */
function blockingCommand(
  def: Omit<Parameters<typeof command>[0], "handler" | "typed">,
  parse: (ctx: CommandContext, args: readonly Buffer[]) => Parsed,
): CommandSpec {
  const now =
    (p: Parsed) =>
    (tx: Txn): Reply => {
      const got = popFirst(
        tx,
        p.req,
        p.req.keys.map((_, i) => i),
      );
      if (got !== undefined) return servedReply(p, got.index, got.element);
      return p.req.move !== undefined ? R.null : R.nullArray;
    };
  const typed: TypedOp = { write: true, prepare: (ctx, args) => now(parse(ctx, args)) };
  const handler: Handler = (ctx, args) => {
    const p = parse(ctx, args);
    if (ctx.client.transaction.executing) return ctx.server.db.types.write(now(p));
    return ctx.client.block(async (signal) => {
      const served = await ctx.server.db.lists.block({ ...p.req, signal });
      if (served !== undefined) return servedReply(p, served.index, served.element);
      if (signal.reason === "error") throw new CommandError("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      return R.nullArray;
    });
  };
  return command({ ...def, handler, typed });
}

/** BLPOP/BRPOP key [key ...] timeout. */
function bpop(end: ListEnd): CommandSpec {
  return blockingCommand(
    {
      name: end === "left" ? "blpop" : "brpop",
      arity: -3,
      flags: ["write", "noscript", "blocking"],
      keys: [1, -2, 1],
      ...G,
      since: "2.0.0",
      summary: `Removes and returns the ${end === "left" ? "first" : "last"} element in a list; blocks until an element is available otherwise; deletes the list if the last element was popped`,
    },
    (ctx, args) => {
      const timeoutMs = timeoutArg(args[args.length - 1] as Buffer);
      const keyArgs = args.slice(1, -1);
      const keys: KeyString[] = keyArgs.map((_, i) => keyArg(ctx, args, i + 1));
      return { req: { keys, from: end, timeoutMs }, keyArgs };
    },
  );
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH source destination timeout. */
function bmove(name: "blmove" | "brpoplpush"): CommandSpec {
  const blmove = name === "blmove";
  return blockingCommand(
    {
      name,
      arity: blmove ? 6 : 4,
      flags: ["write", "denyoom", "noscript", "blocking"],
      keys: [1, 2, 1],
      ...G,
      since: blmove ? "6.2.0" : "2.2.0",
      summary: blmove
        ? "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise; deletes the list if the last element was moved"
        : "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise; deletes the list if the last element was popped",
    },
    (ctx, args) => {
      const [from, to]: [ListEnd, ListEnd] = blmove ? [endArg(args[3]), endArg(args[4])] : ["right", "left"];
      const timeoutMs = timeoutArg(args[args.length - 1] as Buffer);
      const [source, destination] = [keyArg(ctx, args, 1), keyArg(ctx, args, 2)];
      return {
        req: { keys: [source], from, move: { destination, to }, timeoutMs },
        keyArgs: [args[1] as Buffer],
      };
    },
  );
}

export const listBlockingCommands: CommandSpec[] = [
  bpop("left"),
  bpop("right"),
  bmove("blmove"),
  bmove("brpoplpush"),
];
