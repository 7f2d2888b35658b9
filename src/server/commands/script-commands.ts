/**
 * Lua scripting commands with Redis 7.0's replies and errors: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
 * LOAD / EXISTS / FLUSH / KILL / HELP. How a script runs (atomic, one WAL record, reply after durability,
 * time slices past `busy-reply-threshold`) is in src/server/scripting/script-run.ts; the interpreter and its
 * sandbox in src/server/scripting/lua-engine.ts.
 */
import type { Buffer } from "node:buffer";
import { intArg, keyword } from "../args.js";
import { type CommandSpec, command, helpReply } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import type { CompiledScript } from "../scripting/lua-engine.js";

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/** EVAL / EVALSHA (`bySha`), read-only variants (`readOnly`). */
function evalCommand(bySha: boolean, readOnly: boolean) {
  return (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const scripts = ctx.server.scripts;
    let numKeys: number;
    try {
      numKeys = intArg(args[2] as Buffer);
    } catch {
      throw new CommandError(ERR.notInteger);
    }
    if (numKeys > args.length - 3)
      throw new CommandError("ERR Number of keys can't be greater than number of args");
    if (numKeys < 0) throw new CommandError("ERR Number of keys can't be negative");
    let script: CompiledScript | undefined;
    if (bySha) {
      script = scripts.engine.get((args[1] as Buffer).toString("latin1"));
      if (script === undefined) throw new CommandError(NOSCRIPT);
    } else script = scripts.engine.compile(args[1] as Buffer);
    const keys = args.slice(3, 3 + numKeys);
    const argv = args.slice(3 + numKeys);
    return scripts.run(ctx, script, keys, argv, readOnly);
  };
}

function scriptFlush(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  const mode = keyword(args[2]);
  if (args.length === 3 && mode !== "ASYNC" && mode !== "SYNC") {
    throw new CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  ctx.server.scripts.flush();
  return R.ok;
}

const S = { group: "scripting" } as const;

function evalSpec(name: string, bySha: boolean, readOnly: boolean, summary: string): CommandSpec {
  return command({
    ...S,
    name,
    arity: -3,
    flags: ["noscript", "skip_monitor", "stale"],
    since: readOnly ? "7.0.0" : "2.6.0",
    summary,
    complexity: "Depends on the script that is executed.",
    handler: evalCommand(bySha, readOnly),
    // Atomic: no other client's command runs while the script does (src/server/gate.ts).
    exclusive: true,
  });
}

const subcommands: CommandSpec[] = [
  command({
    ...S,
    name: "load",
    arity: 3,
    flags: ["noscript", "stale"],
    since: "2.6.0",
    summary: "Loads a server-side Lua script to the script cache.",
    complexity: "O(N) with N being the length in bytes of the script body.",
    handler: (ctx, args) => R.bulk(ctx.server.scripts.engine.compile(args[2] as Buffer).sha),
  }),
  command({
    ...S,
    name: "exists",
    arity: -3,
    flags: ["noscript"],
    since: "2.6.0",
    summary: "Determines whether server-side Lua scripts exist in the script cache.",
    complexity: "O(N) with N being the number of scripts to check.",
    handler: (ctx, args) =>
      R.array(
        args.slice(2).map((a) => R.integer(ctx.server.scripts.engine.get(a.toString("latin1")) ? 1 : 0)),
      ),
  }),
  command({
    ...S,
    name: "flush",
    arity: -2,
    flags: ["noscript"],
    since: "2.6.0",
    summary: "Removes all server-side Lua scripts from the script cache.",
    complexity: "O(N) with N being the number of scripts in cache",
    handler: scriptFlush,
  }),
  command({
    ...S,
    name: "kill",
    arity: 2,
    flags: ["noscript", "allow_busy"],
    since: "2.6.0",
    summary: "Terminates a server-side Lua script during execution.",
    complexity: "O(1)",
    handler: (ctx) => ctx.server.scripts.kill(),
  }),
];

const scriptCommand = command({
  ...S,
  name: "script",
  arity: -2,
  flags: [],
  since: "2.6.0",
  summary: "A container for Lua scripts management commands.",
  complexity: "Depends on subcommand.",
  subcommands,
});
subcommands.push(
  command({
    ...S,
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    since: "5.0.0",
    summary: "Returns helpful text about the different subcommands.",
    complexity: "O(1)",
    handler: () => helpReply(scriptCommand),
  }),
);

/** The scripting commands' table entries. */
export const scriptCommands: CommandSpec[] = [
  evalSpec("eval", false, false, "Executes a server-side Lua script."),
  evalSpec("evalsha", true, false, "Executes a server-side Lua script by SHA1 digest."),
  evalSpec("eval_ro", false, true, "Executes a read-only server-side Lua script."),
  evalSpec("evalsha_ro", true, true, "Executes a read-only server-side Lua script by SHA1 digest."),
  scriptCommand,
];
