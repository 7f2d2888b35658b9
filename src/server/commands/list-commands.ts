/**
 * List commands (Redis 7.0, redis.io/commands/?group=list) on the engine's lists (src/types/list-ops.ts,
 * list-edits.ts): each a pure operation run as one engine call, and one step of EXEC. The blocking pops
 * are in list-blocking-commands.ts.
 */
import { Buffer } from "node:buffer";
import { checkLposOptions, type LposOptions, linsert, lpos, lrem } from "../../types/list-edits.js";
import {
  type ListEnd,
  lindex,
  listOf,
  lmove,
  lrange,
  lset,
  ltrim,
  pop,
  push,
  pushx,
} from "../../types/list-ops.js";
import { keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

const G = { group: "list" } as const;

/** The engine key of the command's key argument `i`. */
export function keyArg(ctx: CommandContext, args: readonly Buffer[], i = 1): string {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[i] as Buffer));
}

/** A binary string of an argument. */
export function bin(arg: Buffer | undefined): string {
  return (arg as Buffer).toString("latin1");
}

/** A bulk reply of a binary string, or null. */
export function bulkOf(s: string | undefined): Reply {
  return s === undefined ? R.null : R.bulk(Buffer.from(s, "latin1"));
}

/**
 * An integer argument over Redis's whole signed 64-bit range (as a number: beyond 2^53 it is rounded, which
 * no index, count or rank of a list can tell from the exact value, except -2^63 as LPOS RANK: see below).
 * @throws CommandError "ERR value is not an integer or out of range".
 */
export function int64Arg(arg: Buffer | undefined): number {
  const text = (arg as Buffer).toString("latin1");
  if (!/^-?(0|[1-9][0-9]*)$/.test(text) || text === "-0") throw new CommandError(ERR.notInteger);
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw new CommandError(ERR.notInteger);
  return Number(n);
}

/** LEFT or RIGHT (any case). @throws CommandError "ERR syntax error". */
export function endArg(arg: Buffer | undefined): ListEnd {
  const k = keyword(arg);
  if (k === "LEFT") return "left";
  if (k === "RIGHT") return "right";
  throw new CommandError(ERR.syntax);
}

/** LPUSH, RPUSH, LPUSHX, RPUSHX. */
function pushCommand(end: ListEnd, onlyIfExists: boolean): CommandSpec {
  const name = `${end === "left" ? "l" : "r"}push${onlyIfExists ? "x" : ""}`;
  return typedCommand({
    name,
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keys: [1, 1, 1],
    ...G,
    since: onlyIfExists ? "2.2.0" : "1.0.0",
    summary: `${end === "left" ? "Prepends" : "Appends"} one or more elements to a list${onlyIfExists ? " only when the list exists" : ", creating it if absent"}`,
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const elements = args.slice(2).map(bin);
        return (tx) => R.integer((onlyIfExists ? pushx : push)(tx, k, end, elements, name));
      },
    },
  });
}

/** LPOP, RPOP: without a count a bulk (or null), with one an array (or a null array for no key). */
function popCommand(end: ListEnd): CommandSpec {
  const name = `${end === "left" ? "l" : "r"}pop`;
  return typedCommand({
    name,
    arity: -2,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: `Returns and removes the ${end === "left" ? "first" : "last"} elements of a list; deletes the list if it empties`,
    typed: {
      write: true,
      prepare: (ctx, args) => {
        if (args.length > 3) throw new CommandError(`ERR wrong number of arguments for '${name}' command`);
        const k = keyArg(ctx, args);
        if (args.length === 2) return (tx) => bulkOf(pop(tx, k, end, 1, name)?.[0]);
        const count = int64Arg(args[2] as Buffer);
        if (count < 0) throw new CommandError("ERR value is out of range, must be positive");
        return (tx) => {
          const got = pop(tx, k, end, count, name);
          return got === undefined ? R.nullArray : R.array(got.map(bulkOf));
        };
      },
    },
  });
}

/** LPOS's options in argument order, each checked as Redis does when it meets it. @throws CommandError. */
function lposOptions(args: readonly Buffer[]): LposOptions {
  const o: LposOptions = {};
  for (let i = 3; i < args.length; i++) {
    const opt = keyword(args[i]);
    const value = args[i + 1];
    if (value === undefined || (opt !== "RANK" && opt !== "COUNT" && opt !== "MAXLEN")) {
      throw new CommandError(ERR.syntax);
    }
    // Redis 7.0 negates a negative RANK in a C long: -2^63 stays negative and then skips nothing (as -1).
    const n = opt === "RANK" && keyword(value) === "-9223372036854775808" ? -1 : int64Arg(value);
    i++;
    if (opt === "RANK") checkLposOptions({ rank: n });
    else if (opt === "COUNT") checkLposOptions({ count: n });
    else checkLposOptions({ maxlen: n });
    o[opt.toLowerCase() as keyof LposOptions] = n;
  }
  return o;
}

export const listCommands: CommandSpec[] = [
  pushCommand("left", false),
  pushCommand("right", false),
  pushCommand("left", true),
  pushCommand("right", true),
  popCommand("left"),
  popCommand("right"),
  typedCommand({
    name: "llen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Returns the length of a list",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        return (tx) => R.integer(listOf(tx, k)?.n ?? 0);
      },
    },
  }),
  typedCommand({
    name: "lrange",
    arity: 4,
    flags: ["readonly"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Returns a range of elements from a list",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const [s, e] = [int64Arg(args[2] as Buffer), int64Arg(args[3] as Buffer)];
        return (tx) => R.array(lrange(tx, k, s, e).map(bulkOf));
      },
    },
  }),
  typedCommand({
    name: "lindex",
    arity: 3,
    flags: ["readonly"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Returns an element from a list by its index",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const i = int64Arg(args[2] as Buffer);
        return (tx) => bulkOf(lindex(tx, k, i));
      },
    },
  }),
  typedCommand({
    name: "lset",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Sets the value of an element in a list by its index",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const i = int64Arg(args[2] as Buffer);
        const e = bin(args[3]);
        return (tx) => {
          lset(tx, k, i, e);
          return R.ok;
        };
      },
    },
  }),
  typedCommand({
    name: "linsert",
    arity: 5,
    flags: ["write", "denyoom"],
    keys: [1, 1, 1],
    ...G,
    since: "2.2.0",
    summary: "Inserts an element before or after another element in a list",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const where = keyword(args[2]);
        if (where !== "BEFORE" && where !== "AFTER") throw new CommandError(ERR.syntax);
        const k = keyArg(ctx, args);
        const [pivot, e] = [bin(args[3]), bin(args[4])];
        return (tx) => R.integer(linsert(tx, k, where === "BEFORE" ? "before" : "after", pivot, e));
      },
    },
  }),
  typedCommand({
    name: "lrem",
    arity: 4,
    flags: ["write"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Removes elements from a list; deletes the list if the last element was removed",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const count = int64Arg(args[2] as Buffer);
        const e = bin(args[3]);
        return (tx) => R.integer(lrem(tx, k, count, e));
      },
    },
  }),
  typedCommand({
    name: "ltrim",
    arity: 4,
    flags: ["write"],
    keys: [1, 1, 1],
    ...G,
    since: "1.0.0",
    summary: "Removes elements from both ends a list; deletes the list if all elements were trimmed",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const [s, e] = [int64Arg(args[2] as Buffer), int64Arg(args[3] as Buffer)];
        return (tx) => {
          ltrim(tx, k, s, e);
          return R.ok;
        };
      },
    },
  }),
  typedCommand({
    name: "lpos",
    arity: -3,
    flags: ["readonly"],
    keys: [1, 1, 1],
    ...G,
    since: "6.0.6",
    summary: "Returns the index of matching elements in a list",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const o = lposOptions(args);
        const k = keyArg(ctx, args);
        const e = bin(args[2]);
        return (tx) => {
          const found = lpos(tx, k, e, o);
          if (Array.isArray(found)) return R.array(found.map((i) => R.integer(i)));
          return found === undefined ? R.null : R.integer(found);
        };
      },
    },
  }),
  typedCommand({
    name: "lmove",
    arity: 5,
    flags: ["write", "denyoom"],
    keys: [1, 2, 1],
    ...G,
    since: "6.2.0",
    summary:
      "Returns an element after popping it from one list and pushing it to another; deletes the list if the last element was moved",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const [from, to] = [endArg(args[3]), endArg(args[4])];
        const [s, d] = [keyArg(ctx, args, 1), keyArg(ctx, args, 2)];
        return (tx) => bulkOf(lmove(tx, s, d, from, to));
      },
    },
  }),
  typedCommand({
    name: "rpoplpush",
    arity: 3,
    flags: ["write", "denyoom"],
    keys: [1, 2, 1],
    ...G,
    since: "1.2.0",
    summary:
      "Returns the last element of a list after removing and pushing it to another list; deletes the list if the last element was popped",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const [s, d] = [keyArg(ctx, args, 1), keyArg(ctx, args, 2)];
        return (tx) => bulkOf(lmove(tx, s, d, "right", "left"));
      },
    },
  }),
];
