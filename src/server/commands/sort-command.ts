/**
 * SORT and SORT_RO (Redis 7.0): the options parsed with Redis's errors, then one pure operation
 * (src/types/sort.ts) run as one engine call and one step of EXEC's single atomic call.
 *
 *   SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
 *        [STORE destination]
 *
 * Options may come in any order and repeat (the last wins, GETs add up); SORT_RO refuses STORE as a
 * syntax error. Patterns find keys in the client's database.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import { InvalidArgumentError } from "../../errors.js";
import { type SortOptions, sort } from "../../types/sort.js";
import { keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { bin, bulkOf, int64Arg, keyArg } from "./typed-args.js";

/** A LIMIT argument: Redis's long, held as a number (any value beyond ±2^53 selects the same elements). */
function limitArg(arg: Buffer | undefined): number {
  return Number(int64Arg(arg));
}

/** Parses SORT's options (arguments from index 2). @throws CommandError ERR syntax error / not an integer. */
function sortOptions(ctx: CommandContext, args: readonly Buffer[], readOnly: boolean): SortOptions {
  let by: string | undefined;
  let limit: SortOptions["limit"];
  const get: string[] = [];
  let desc = false;
  let alpha = false;
  let store: KeyString | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]);
    const left = args.length - i - 1;
    if (opt === "ASC") desc = false;
    else if (opt === "DESC") desc = true;
    else if (opt === "ALPHA") alpha = true;
    else if (opt === "LIMIT" && left >= 2) {
      limit = { offset: limitArg(args[i + 1]), count: limitArg(args[i + 2]) };
      i += 2;
    } else if (opt === "STORE" && !readOnly && left >= 1) store = keyArg(ctx, args, ++i);
    else if (opt === "BY" && left >= 1) by = bin(args[++i]);
    else if (opt === "GET" && left >= 1) get.push(bin(args[++i]));
    else throw new CommandError(ERR.syntax);
  }
  const types = ctx.server.db.types;
  const db = ctx.client.db;
  const keyOf = (userKey: string): KeyString | undefined => {
    try {
      return types.key(dbKey(db, Buffer.from(userKey, "latin1")));
    } catch (err) {
      if (err instanceof InvalidArgumentError) return undefined; // longer than a key can be: no such key
      throw err;
    }
  };
  return {
    ...(by === undefined ? {} : { by }),
    ...(limit === undefined ? {} : { limit }),
    get,
    desc,
    alpha,
    ...(store === undefined ? {} : { store }),
    keyOf,
  };
}

function prepare(readOnly: boolean) {
  return (ctx: CommandContext, args: readonly Buffer[]) => {
    const k = keyArg(ctx, args, 1);
    const o = sortOptions(ctx, args, readOnly);
    return (tx: Parameters<typeof sort>[0]): Reply => {
      const r = sort(tx, k, o);
      return typeof r === "number" ? R.integer(r) : R.array(r.map((v) => bulkOf(v ?? undefined)));
    };
  };
}

const G = { group: "generic", keys: [1, 1, 1] } as const;

/** SORT's and SORT_RO's table entries. */
export const sortCommands: CommandSpec[] = [
  typedCommand({
    ...G,
    name: "sort",
    arity: -2,
    flags: ["write", "denyoom"],
    since: "1.0.0",
    summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
    complexity:
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements.",
    typed: { write: true, prepare: prepare(false) },
  }),
  typedCommand({
    ...G,
    name: "sort_ro",
    arity: -2,
    flags: ["readonly"],
    since: "7.0.0",
    summary: "Returns the sorted elements of a list, a set, or a sorted set.",
    complexity:
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements.",
    typed: { write: false, prepare: prepare(true) },
  }),
];
