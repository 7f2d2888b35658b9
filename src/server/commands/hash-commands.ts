/**
 * Hash commands (Redis 7.0, redis.io/commands/?group=hash) on the engine's hashes (src/types/hashes.ts):
 * each a pure operation run as one engine call, and one step of EXEC's single atomic call.
 */
import { Buffer } from "node:buffer";
import { allFields, hdel, hget, hset } from "../../types/hashes.js";
import { typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

const G = { group: "hash", since: "2.0.0" } as const;

/** The engine key of the command's key argument `i`. */
function keyArg(ctx: CommandContext, args: readonly Buffer[], i = 1): string {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[i] as Buffer));
}

/** A binary string of an argument. */
function bin(arg: Buffer | undefined): string {
  return (arg as Buffer).toString("latin1");
}

/** A bulk reply of a binary string, or null. */
function bulkOf(s: string | undefined): Reply {
  return s === undefined ? R.null : R.bulk(Buffer.from(s, "latin1"));
}

export const hashCommands = [
  typedCommand({
    name: "hset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    keys: [1, 1, 1],
    ...G,
    summary: "Sets the values of one or more fields in a hash",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        if (args.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'hset' command");
        const k = keyArg(ctx, args);
        const pairs: [string, string][] = [];
        for (let i = 2; i < args.length; i += 2) pairs.push([bin(args[i]), bin(args[i + 1])]);
        return (tx) => R.integer(hset(tx, k, pairs));
      },
    },
  }),
  typedCommand({
    name: "hget",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: [1, 1, 1],
    ...G,
    summary: "Returns the value of a field in a hash",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const f = bin(args[2]);
        return (tx) => bulkOf(hget(tx, k, f));
      },
    },
  }),
  typedCommand({
    name: "hdel",
    arity: -3,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    ...G,
    summary: "Deletes one or more fields and their values from a hash",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const fields = args.slice(2).map(bin);
        return (tx) => R.integer(hdel(tx, k, fields));
      },
    },
  }),
  typedCommand({
    name: "hlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: [1, 1, 1],
    ...G,
    summary: "Returns the number of fields in a hash",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        return (tx) => R.integer(tx.collection(k, "hash")?.meta.n ?? 0);
      },
    },
  }),
  typedCommand({
    name: "hgetall",
    arity: 2,
    flags: ["readonly"],
    keys: [1, 1, 1],
    ...G,
    summary: "Returns all fields and values in a hash",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        return (tx) => {
          const h = tx.collection(k, "hash");
          const pairs = h === undefined ? [] : allFields(tx, k, h);
          return R.map(pairs.map(([f, v]) => [bulkOf(f), bulkOf(v)] as const));
        };
      },
    },
  }),
];
