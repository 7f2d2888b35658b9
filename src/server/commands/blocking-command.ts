/**
 * What every blocking pop shares (Redis 7.0's blockingGenericCommand): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP (list-blocking-commands.ts) and BZPOPMIN, BZPOPMAX, BZMPOP (zset-blocking-commands.ts). Run by a
 * connection, a command that finds every key empty blocks only its own connection
 * (src/server/connection.ts `block`: the client lets go of the server's gate and counts in INFO's
 * `blocked_clients`) until the engine serves it, oldest waiter first, when a write leaving one of its keys
 * a non-empty collection of its type becomes durable (src/types/pop-waiters.ts), or until its timeout on
 * the server's clock, or CLIENT UNBLOCK. Inside MULTI (run by EXEC) it acts as its non-blocking form with
 * the timeout already expired, as Redis does. A timeout replies a null array (Redis 7.0's blocked-client
 * timeout reply, every type); what a command replies when it finds nothing inside MULTI is its own.
 */
import type { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import { type PopType, popFirst, type Taken } from "../../types/pop-waiters.js";
import type { Txn } from "../../types/txn.js";
import { floatArg } from "../args.js";
import { type CommandSpec, command, type Handler, type TypedOp } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** A parsed blocking command. */
export interface BlockingCall<T> {
  /** The keys, tried in this order. */
  readonly keys: readonly KeyString[];
  readonly type: PopType;
  /** One try on `keys[index]` (src/types/pop-waiters.ts `BlockingPop.take`). */
  readonly take: (tx: Txn, index: number) => Taken<T> | undefined;
  readonly timeoutMs: number;
  /** The reply of a pop served from `keys[index]`. */
  readonly reply: (index: number, value: T) => Reply;
  /** The reply inside MULTI when every key is empty. */
  readonly none: Reply;
}

/**
 * A timeout argument in seconds as milliseconds, rounded up (Redis's getTimeoutFromObjectOrReply).
 * @throws CommandError "timeout is not a float or out of range", "timeout is out of range", "timeout is negative".
 */
export function timeoutArg(arg: Buffer | undefined): number {
  let seconds: number;
  try {
    seconds = floatArg(arg as Buffer);
  } catch {
    throw new CommandError("ERR timeout is not a float or out of range");
  }
  const ms = seconds * 1000;
  if (ms > 2 ** 63) throw new CommandError("ERR timeout is out of range");
  if (ms < 0) throw new CommandError("ERR timeout is negative");
  return Math.ceil(ms);
}

/**
 * A positive count or numkeys argument as Redis's getRangeLongFromObjectOrReply(1, LONG_MAX) reads it.
 * @throws CommandError `ERR ${what} should be greater than 0` for anything else (a non-integer included).
 */
export function positiveArg(arg: Buffer | undefined, what: "numkeys" | "count"): number {
  const text = (arg as Buffer).toString("latin1");
  const n = /^[1-9][0-9]{0,18}$/.test(text) ? BigInt(text) : 0n;
  if (n < 1n || n > 9223372036854775807n) throw new CommandError(`ERR ${what} should be greater than 0`);
  return Number(n);
}

/**
 * The argument layout of LMPOP/BLMPOP/ZMPOP/BZMPOP: numkeys at `at`, the keys, a direction keyword
 * (`ends`, any case), then `COUNT n` at most once; checked in Redis 7.0's order (numkeys, direction,
 * options). Returns the key argument indexes, the direction's index in `ends`, and the count (1 without).
 * @throws CommandError "ERR numkeys should be greater than 0", "ERR syntax error", "ERR count should be greater than 0".
 */
export function parseMpop(
  args: readonly Buffer[],
  at: number,
  ends: readonly [string, string],
): { keyAt: number[]; end: 0 | 1; count: number } {
  const numkeys = positiveArg(args[at], "numkeys");
  const whereAt = at + 1 + numkeys;
  if (whereAt >= args.length) throw new CommandError("ERR syntax error");
  const where = (args[whereAt] as Buffer).toString("latin1").toUpperCase();
  const end = ends.indexOf(where);
  if (end === -1) throw new CommandError("ERR syntax error");
  let count: number | undefined;
  for (let j = whereAt + 1; j < args.length; j++) {
    const opt = (args[j] as Buffer).toString("latin1").toUpperCase();
    if (count !== undefined || opt !== "COUNT" || j + 1 >= args.length)
      throw new CommandError("ERR syntax error");
    count = positiveArg(args[++j], "count");
  }
  const keyAt = Array.from({ length: numkeys }, (_, i) => at + 1 + i);
  return { keyAt, end: end as 0 | 1, count: count ?? 1 };
}

/** The spec of a blocking command: `parse` reads its arguments (@throws CommandError). */
export function blockingCommand<T>(
  def: Omit<Parameters<typeof command>[0], "handler" | "typed">,
  parse: (ctx: CommandContext, args: readonly Buffer[]) => BlockingCall<T>,
): CommandSpec {
  const now =
    (p: BlockingCall<T>) =>
    (tx: Txn): Reply => {
      const got = popFirst(
        tx,
        p,
        p.keys.map((_, i) => i),
      );
      return got === undefined ? p.none : p.reply(got.index, got.value);
    };
  const typed: TypedOp = { write: true, prepare: (ctx, args) => now(parse(ctx, args)) };
  const handler: Handler = (ctx, args) => {
    const p = parse(ctx, args);
    if (ctx.client.transaction.executing) return ctx.server.db.types.write(now(p));
    return ctx.client.block(async (signal) => {
      const { keys, type, take, timeoutMs } = p;
      const served = await ctx.server.db.popWaiters.wait({ keys, type, take, timeoutMs, signal });
      if (served !== undefined) return p.reply(served.index, served.value);
      if (signal.reason === "error") throw new CommandError("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      return R.nullArray;
    });
  };
  return command({ ...def, handler, typed });
}
