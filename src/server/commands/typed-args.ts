/**
 * Argument and reply helpers shared by the data-type command families (string-commands.ts,
 * hash-commands.ts): engine keys of key arguments, arguments as binary strings, int64 arguments with
 * Redis's rules, bulk replies of binary strings.
 */
import { Buffer } from "node:buffer";
import { string2ll } from "../../types/numbers.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** The engine key of the command's key argument `i`. */
export function keyArg(ctx: CommandContext, args: readonly Buffer[], i = 1): string {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[i] as Buffer));
}

/** An argument as a binary string (one char per byte). */
export function bin(arg: Buffer | undefined): string {
  return (arg as Buffer).toString("latin1");
}

/** An argument as Redis's int64 (string2ll). @throws CommandError "ERR value is not an integer or out of range". */
export function int64Arg(arg: Buffer | undefined): bigint {
  const v = string2ll(bin(arg));
  if (v === undefined) throw new CommandError(ERR.notInteger);
  return v;
}

/** A bulk reply of a binary string, or null. */
export function bulkOf(s: string | undefined): Reply {
  return s === undefined ? R.null : R.bulk(Buffer.from(s, "latin1"));
}
