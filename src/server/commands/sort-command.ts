/**
 * SORT and SORT_RO (Redis 7.0): options parsed in Redis's order (sort.c's loop: ASC, DESC, ALPHA, LIMIT
 * offset count, STORE destination (SORT only), BY pattern, GET pattern; anything else is a syntax error),
 * then run as one engine call (src/types/sort.ts). Replies: the elements (or GET values, null for none), or
 * with STORE the number of values stored.
 */
import { Buffer } from "node:buffer";
import { type SortRequest, sort } from "../../types/sort.js";
import { keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R } from "../resp-writer.js";
import { bin, bulkOf, int64Arg, keyArg } from "./list-commands.js";

/** Parses SORT's arguments (`readonly`: SORT_RO, no STORE). @throws CommandError. */
function parseSort(ctx: CommandContext, args: readonly Buffer[], readonly: boolean): SortRequest {
  const get: string[] = [];
  let [desc, alpha] = [false, false];
  let by: string | undefined;
  let limit: SortRequest["limit"];
  let store: string | undefined;
  for (let j = 2; j < args.length; j++) {
    const opt = keyword(args[j]);
    const left = args.length - j - 1;
    if (opt === "ASC") desc = false;
    else if (opt === "DESC") desc = true;
    else if (opt === "ALPHA") alpha = true;
    else if (opt === "LIMIT" && left >= 2) {
      limit = { offset: int64Arg(args[j + 1]), count: int64Arg(args[j + 2]) };
      j += 2;
    } else if (!readonly && opt === "STORE" && left >= 1) store = keyArg(ctx, args, ++j);
    else if (opt === "BY" && left >= 1) by = bin(args[++j]);
    else if (opt === "GET" && left >= 1) get.push(bin(args[++j]));
    else throw new CommandError(ERR.syntax);
  }
  const db = ctx.client.db;
  const types = ctx.server.db.types;
  const keyOf = (k: string) => {
    try {
      return types.key(dbKey(db, Buffer.from(k, "latin1")));
    } catch {
      return undefined; // longer than any key can be: absent
    }
  };
  return {
    key: keyArg(ctx, args),
    get,
    desc,
    alpha,
    keyOf,
    ...(by !== undefined ? { by } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(store !== undefined ? { store } : {}),
  };
}

function sortCommand(name: "sort" | "sort_ro"): CommandSpec {
  const readonly = name === "sort_ro";
  return typedCommand({
    name,
    arity: -2,
    flags: readonly ? ["readonly"] : ["write", "denyoom"],
    keys: [1, 1, 1],
    group: "generic",
    since: readonly ? "7.0.0" : "1.0.0",
    summary: readonly
      ? "Returns the sorted elements of a list, a set, or a sorted set."
      : "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
    typed: {
      // SORT without STORE writes nothing, but one spec has one kind: SORT runs as a write.
      write: !readonly,
      prepare: (ctx, args) => {
        const req = parseSort(ctx, args, readonly);
        return (tx) => {
          const out = sort(tx, req);
          return typeof out === "number" ? R.integer(out) : R.array(out.map(bulkOf));
        };
      },
    },
  });
}

export const sortCommands: CommandSpec[] = [sortCommand("sort"), sortCommand("sort_ro")];
