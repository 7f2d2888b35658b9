/**
 * Key commands over every type (Redis 7.0 replies): DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY,
 * MOVE, TOUCH (as EXISTS: no access times are kept), on
 * the engine's generic key operations (src/types/key-ops.ts), each a pure operation run as one engine call
 * and one step of EXEC's single atomic call (see `typedCommand`). The expiry commands are in
 * expire-commands.ts, the keyspace-wide ones (KEYS, SCAN, RANDOMKEY) in keyspace-commands.ts.
 *
 * TYPE answers Redis's type names; a JSON document answers `ReJSON-RL` (RedisJSON's type name).
 */
import type { Buffer } from "node:buffer";
import { copy, del, exists, move, rename, typeOf } from "../../types/key-ops.js";
import { intArg, keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R } from "../resp-writer.js";
import { expireCommands } from "./expire-commands.js";
import { keyspaceCommands } from "./keyspace-commands.js";

/** RedisJSON's TYPE name for a document. */
export const JSON_TYPE_NAME = "ReJSON-RL";

/** The engine key of argument `arg` in database `db` (the client's by default). */
export function keyArg(ctx: CommandContext, arg: Buffer | undefined, db = ctx.client.db): string {
  return ctx.server.db.types.key(dbKey(db, arg as Buffer));
}

function keysFrom(ctx: CommandContext, args: readonly Buffer[], from: number): string[] {
  return args.slice(from).map((a) => keyArg(ctx, a));
}

/** COPY's options: DB destination-db, REPLACE. */
function copyOptions(ctx: CommandContext, args: readonly Buffer[]): { db: number; replace: boolean } {
  let db = ctx.client.db;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = keyword(args[i]);
    if (opt === "REPLACE") replace = true;
    else if (opt === "DB" && i + 1 < args.length) {
      db = intArg(args[++i] as Buffer);
      if (db < 0 || db >= ctx.server.config.int("databases")) throw new CommandError(ERR.dbIndex);
      db = ctx.server.databases.storedOf(db);
    } else throw new CommandError(ERR.syntax);
  }
  return { db, replace };
}

const G = { group: "generic" } as const;
const KEY1 = [1, 1, 1] as const;
const KEY12 = [1, 2, 1] as const;

/** The key commands' table entries (with the expiry and keyspace families). */
export const keyCommands: CommandSpec[] = [
  typedCommand({
    ...G,
    name: "del",
    arity: -2,
    flags: ["write"],
    keys: [1, -1, 1],
    since: "1.0.0",
    summary: "Deletes one or more keys.",
    complexity: "O(N) for N keys: O(1) each, whatever it holds (a collection's elements are dropped later).",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const keys = keysFrom(ctx, args, 1);
        return (tx) => R.integer(del(tx, keys));
      },
    },
  }),
  typedCommand({
    ...G,
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    keys: [1, -1, 1],
    since: "4.0.0",
    summary: "Deletes one or more keys (as DEL: deletes are O(1) here).",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const keys = keysFrom(ctx, args, 1);
        return (tx) => R.integer(del(tx, keys, "unlink"));
      },
    },
  }),
  typedCommand({
    ...G,
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: [1, -1, 1],
    since: "1.0.0",
    summary: "Determines whether one or more keys exist.",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const keys = keysFrom(ctx, args, 1);
        return (tx) => R.integer(exists(tx, keys));
      },
    },
  }),
  typedCommand({
    ...G,
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY1,
    since: "1.0.0",
    summary: "Determines the type of value stored at a key.",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args[1]);
        return (tx) => {
          const t = typeOf(tx, k);
          return R.simple(t === "json" ? JSON_TYPE_NAME : t);
        };
      },
    },
  }),
  typedCommand({
    ...G,
    name: "rename",
    arity: 3,
    flags: ["write"],
    keys: KEY12,
    since: "1.0.0",
    summary: "Renames a key and overwrites the destination.",
    complexity: "O(1) for a string or document; O(N) for a collection of N elements (copied).",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const [src, dst] = [keyArg(ctx, args[1]), keyArg(ctx, args[2])];
        return (tx) => {
          rename(tx, src, dst, false);
          return R.ok;
        };
      },
    },
  }),
  typedCommand({
    ...G,
    name: "renamenx",
    arity: 3,
    flags: ["write", "fast"],
    keys: KEY12,
    since: "1.0.0",
    summary: "Renames a key only when the target key name doesn't exist.",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const [src, dst] = [keyArg(ctx, args[1]), keyArg(ctx, args[2])];
        return (tx) => R.integer(rename(tx, src, dst, true) === 1 ? 1 : 0);
      },
    },
  }),
  typedCommand({
    ...G,
    name: "copy",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: KEY12,
    since: "6.2.0",
    summary: "Copies the value of a key to a new key.",
    complexity: "O(1) for a string or document; O(N) for a collection of N elements.",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const { db, replace } = copyOptions(ctx, args);
        const [src, dst] = [keyArg(ctx, args[1]), keyArg(ctx, args[2], db)];
        return (tx) => R.integer(copy(tx, src, dst, replace));
      },
    },
  }),
  typedCommand({
    ...G,
    name: "move",
    arity: 3,
    flags: ["write", "fast"],
    keys: KEY1,
    since: "1.0.0",
    summary: "Moves a key to another database.",
    complexity: "O(1) for a string or document; O(N) for a collection of N elements (copied).",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const db = intArg(args[2] as Buffer);
        if (db < 0 || db >= ctx.server.config.int("databases")) throw new CommandError(ERR.dbIndex);
        if (db === ctx.client.selectedDb) {
          throw new CommandError("ERR source and destination objects are the same");
        }
        const [src, dst] = [keyArg(ctx, args[1]), keyArg(ctx, args[1], ctx.server.databases.storedOf(db))];
        return (tx) => R.integer(move(tx, src, dst));
      },
    },
  }),
  typedCommand({
    ...G,
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: [1, -1, 1],
    since: "3.2.1",
    summary:
      "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const keys = keysFrom(ctx, args, 1);
        return (tx) => R.integer(exists(tx, keys)); // no access times are kept: as EXISTS
      },
    },
  }),
  ...expireCommands,
  ...keyspaceCommands,
];
