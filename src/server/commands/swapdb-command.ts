/**
 * SWAPDB index1 index2 (Redis 7.0): clients connected to either database see the other's keys at once.
 * O(1) whatever the databases hold: it rewrites the database map (src/server/database-map.ts, one small
 * durable write), not the keys. Exclusive (src/server/gate.ts): no other command runs meanwhile. Then
 * every client's stored database follows its database number, and WATCH's keys of the two databases are
 * touched as Redis touches them (src/server/transaction.ts `swapped`).
 *
 * Unlike Redis, a client blocked (BLPOP, ...) on a key of either database keeps waiting on the database it
 * blocked in; it is not woken by data the swap brings in.
 */
import type { Buffer } from "node:buffer";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { parseInteger } from "../integer-text.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** A database index argument as Redis's getIntFromObjectOrReply reads it, with its error text. */
function indexArg(arg: Buffer | undefined, which: "first" | "second"): number {
  const n = parseInteger(arg as Buffer);
  if (n === undefined || n < -(2 ** 31) || n >= 2 ** 31) {
    throw new CommandError(`ERR invalid ${which} DB index`);
  }
  return n;
}

async function swapdb(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const a = indexArg(args[1], "first");
  const b = indexArg(args[2], "second");
  const databases = ctx.server.config.int("databases");
  if (a < 0 || a >= databases || b < 0 || b >= databases) {
    throw new CommandError("ERR DB index is out of range");
  }
  if (a === b) return R.ok;
  const map = ctx.server.databases;
  const [storedA, storedB] = [map.storedOf(a), map.storedOf(b)];
  await map.swap(ctx.server.db, a, b);
  for (const c of ctx.server.clients()) c.db = map.storedOf(c.selectedDb);
  for (const c of ctx.server.clients()) await c.transaction.swapped(ctx, storedA, storedB);
  return R.ok;
}

/** SWAPDB's table entry. */
export const swapdbCommands: CommandSpec[] = [
  command({
    name: "swapdb",
    arity: 3,
    flags: ["write", "fast"],
    group: "server",
    since: "4.0.0",
    summary: "Swaps two Redis databases.",
    complexity: "O(1) here (a durable rewrite of the database map); O(N) for N clients watching keys.",
    handler: swapdb,
    exclusive: true,
  }),
];
