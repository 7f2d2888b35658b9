/**
 * Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME, SAVE, BGSAVE, LASTSAVE, SHUTDOWN, DEBUG, CONFIG.
 *
 * FLUSHDB and FLUSHALL run exclusive (src/server/gate.ts): no other command of any client runs between the
 * scan that finds the keys and the deletes, so clients see them atomic. The deletes (every type: O(1) per
 * key, src/types/key-ops.ts deleteRanges) go to the engine as one call, one WAL record, atomic and durable
 * across a crash as long as the record stays under {@link FLUSH_BATCH_BYTES_MAX}; a larger keyspace is
 * deleted in several records, so a crash in the middle can leave part of it (the engine has no range delete
 * yet). O(keys) metadata writes. Their reply leaves after the fdatasync.
 */
import type { Buffer } from "node:buffer";
import type { FuseDB } from "../../index.js";
import { deleteRanges } from "../../types/key-ops.js";
import { globMatch } from "../../util/glob.js";
import { floatArg, keyword, text } from "../args.js";
import { type CommandSpec, command, helpReply, NO_REPLY } from "../command-table.js";
import { ConfigError } from "../config.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { infoText } from "../info.js";
import { countDatabase, dbBounds } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** Payload budget of one flush record: half the engine's 64 MiB record bound, for the record's framing. */
export const FLUSH_BATCH_BYTES_MAX = 32 * 1024 * 1024;

/**
 * Deletes every live key of the given databases, whatever it holds (each an O(1) delete of its entry: a
 * collection's elements become a dead generation); see the module comment.
 */
export async function flushDatabases(engine: FuseDB, dbs: readonly number[]): Promise<void> {
  const ranges = dbs.map(dbBounds);
  // Bounded: each call deletes keys (about FLUSH_BATCH_BYTES_MAX bytes of them) until none remain.
  while (await engine.types.write((tx) => deleteRanges(tx, ranges, FLUSH_BATCH_BYTES_MAX))) {
    // another record for the rest
  }
}

function flushMode(args: readonly Buffer[], from: number): void {
  if (args.length > from + 1) throw new CommandError(ERR.syntax);
  const mode = keyword(args[from]);
  if (args.length === from + 1 && mode !== "ASYNC" && mode !== "SYNC") throw new CommandError(ERR.syntax);
}

async function flushdb(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  flushMode(args, 1);
  await flushDatabases(ctx.server.db, [ctx.client.db]);
  return R.ok;
}

async function flushall(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  flushMode(args, 1);
  const all = Array.from({ length: ctx.server.config.int("databases") }, (_, i) => i);
  await flushDatabases(ctx.server.db, all);
  return R.ok;
}

function shutdown(ctx: CommandContext, args: readonly Buffer[]): typeof NO_REPLY {
  for (const arg of args.slice(1)) {
    const opt = keyword(arg);
    if (opt === "ABORT") throw new CommandError("ERR No shutdown in progress.");
    if (!["NOSAVE", "SAVE", "NOW", "FORCE"].includes(opt)) throw new CommandError(ERR.syntax);
  }
  ctx.client.closeAfterReply = true;
  ctx.server.shutdown();
  return NO_REPLY;
}

async function debug(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const sub = keyword(args[1]);
  if (sub === "SLEEP" && args.length === 3) {
    const seconds = floatArg(args[2] as Buffer);
    if (seconds > 0) await ctx.server.clock.sleep(seconds * 1000);
    return R.ok;
  }
  if (sub === "HELP" && args.length === 2) {
    return R.array(
      [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
      ].map(R.simple),
    );
  }
  throw new CommandError(
    `ERR unknown subcommand or wrong number of arguments for '${text(args[1] as Buffer)}'. Try DEBUG HELP.`,
  );
}

function configGet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const patterns = args.slice(2);
  const found = ctx.server.config.show((name) => patterns.some((p) => globMatch(p, name, true)));
  return R.map(found.map(([k, v]) => [R.bulk(k), R.bulk(v)] as const));
}

function configSet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if ((args.length - 2) % 2 !== 0)
    throw new CommandError("ERR wrong number of arguments for 'config|set' command");
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([text(args[i] as Buffer), text(args[i + 1] as Buffer)]);
  try {
    ctx.server.config.set(pairs);
    ctx.server.configChanged();
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(`ERR ${err.message}`);
    throw err;
  }
  return R.ok;
}

const ADMIN = ["admin", "noscript", "loading", "stale"] as const;

const configSubcommands: CommandSpec[] = [
  command({
    name: "get",
    arity: -3,
    flags: [...ADMIN],
    group: "server",
    since: "2.0.0",
    summary: "Returns the effective values of configuration parameters.",
    handler: configGet,
  }),
  command({
    name: "set",
    arity: -4,
    flags: [...ADMIN],
    group: "server",
    since: "2.0.0",
    summary: "Sets configuration parameters in-flight.",
    handler: configSet,
  }),
  command({
    name: "resetstat",
    arity: 2,
    flags: [...ADMIN],
    group: "server",
    since: "2.0.0",
    summary: "Resets the server's statistics.",
    handler: (ctx) => {
      ctx.server.resetStats();
      return R.ok;
    },
  }),
];
const config = command({
  name: "config",
  arity: -2,
  flags: [],
  group: "server",
  since: "2.0.0",
  summary: "A container for server configuration commands.",
  subcommands: configSubcommands,
});
configSubcommands.push(
  command({
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    since: "5.0.0",
    summary: "Returns helpful text about the different subcommands.",
    handler: () => helpReply(config),
  }),
);

/** The server commands' table entries. */
export const serverCommands: CommandSpec[] = [
  command({
    name: "info",
    arity: -1,
    flags: ["loading", "stale"],
    group: "server",
    since: "1.0.0",
    summary: "Returns information and statistics about the server.",
    handler: async (ctx, args) =>
      R.verbatim(
        await infoText(
          ctx.server,
          args.slice(1).map((a) => text(a).toLowerCase()),
        ),
      ),
  }),
  command({
    name: "dbsize",
    arity: 1,
    flags: ["readonly"],
    group: "server",
    since: "1.0.0",
    summary: "Returns the number of keys in the database (O(keys) here: the engine keeps no count).",
    handler: async (ctx) => R.integer((await countDatabase(dataOf(ctx).runner, ctx.client.db)).keys),
  }),
  command({
    name: "flushdb",
    arity: -1,
    flags: ["write"],
    group: "server",
    since: "1.0.0",
    summary: "Removes all keys from the current database.",
    handler: flushdb,
    exclusive: true,
  }),
  command({
    name: "flushall",
    arity: -1,
    flags: ["write"],
    group: "server",
    since: "1.0.0",
    summary: "Removes all keys from all databases.",
    handler: flushall,
    exclusive: true,
  }),
  command({
    name: "time",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    group: "server",
    since: "2.6.0",
    summary: "Returns the server time.",
    handler: (ctx) => {
      const ms = ctx.server.clock.now();
      return R.array([R.bulk(String(Math.floor(ms / 1000))), R.bulk(String((ms % 1000) * 1000))]);
    },
  }),
  command({
    name: "save",
    arity: 1,
    flags: ["admin", "noscript", "no_multi"],
    group: "server",
    since: "1.0.0",
    summary: "Checkpoints the database: buffers to segments, old WAL files removed.",
    handler: async (ctx) => {
      if (ctx.server.bgsaveInProgress) throw new CommandError("ERR Background save already in progress");
      await ctx.server.save();
      return R.ok;
    },
  }),
  command({
    name: "bgsave",
    arity: -1,
    flags: ["admin", "noscript", "no_multi"],
    group: "server",
    since: "1.0.0",
    summary: "Starts a checkpoint in the background.",
    handler: (ctx, args) => {
      if (args.length > 2 || (args.length === 2 && keyword(args[1]) !== "SCHEDULE"))
        throw new CommandError(ERR.syntax);
      if (!ctx.server.bgsave()) throw new CommandError("ERR Background save already in progress");
      return R.simple("Background saving started");
    },
  }),
  command({
    name: "lastsave",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    group: "server",
    since: "1.0.0",
    summary: "Returns the Unix time of the last successful checkpoint.",
    handler: (ctx) => R.integer(Math.floor(ctx.server.lastSaveMs / 1000)),
  }),
  command({
    name: "shutdown",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    group: "server",
    since: "1.0.0",
    summary: "Stops accepting, finishes running commands, closes the engine, exits.",
    handler: shutdown,
  }),
  command({
    name: "debug",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    since: "1.0.0",
    summary: "A container for debugging commands (SLEEP only).",
    handler: debug,
    exclusive: true,
  }),
  config,
];
