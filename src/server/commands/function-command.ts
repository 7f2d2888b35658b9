/**
 * FUNCTION (Redis 7.0), for clients and test harnesses that clear functions before they start (Redis's
 * own Tcl suite sends `FUNCTION FLUSH` before each test group). fusedb has no Redis functions (its Lua
 * scripts are EVAL's: commands/script-commands.ts), so there are never
 * any functions: FLUSH [ASYNC|SYNC] replies +OK, LIST replies an empty array, HELP lists these. Every other
 * subcommand (LOAD, DELETE, DUMP, RESTORE, STATS, KILL) gets the table's unknown-subcommand error, as Redis
 * gives for a subcommand it does not know.
 */
import type { Buffer } from "node:buffer";
import { keyword, text } from "../args.js";
import { type CommandSpec, command, helpReply } from "../command-table.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** Checks FLUSH's one optional mode with Redis 7.0's errors; there is nothing to delete. */
function flush(_ctx: unknown, args: readonly Buffer[]): Reply {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  const mode = keyword(args[2]);
  if (args.length === 3 && mode !== "ASYNC" && mode !== "SYNC") {
    throw new CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  return R.ok;
}

/** Checks LIST's options (`LIBRARYNAME <pattern>`, `WITHCODE`) with Redis 7.0's errors; no libraries. */
function list(_ctx: unknown, args: readonly Buffer[]): Reply {
  let withCode = false;
  let pattern = false;
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]);
    if (opt === "WITHCODE" && !withCode) withCode = true;
    else if (opt === "LIBRARYNAME" && !pattern) {
      if (i + 1 >= args.length) throw new CommandError("ERR library name argument was not given");
      pattern = true;
      i++;
    } else throw new CommandError(`ERR Unknown argument ${text(args[i] as Buffer)}`);
  }
  return R.array([]);
}

const subcommands: CommandSpec[] = [
  command({
    name: "flush",
    arity: -2,
    flags: ["write", "noscript"],
    group: "scripting",
    since: "7.0.0",
    summary: "Deletes all libraries and functions (there are none: fusedb has no functions).",
    complexity: "O(N) where N is the number of functions deleted",
    handler: flush,
  }),
  command({
    name: "list",
    arity: -2,
    flags: ["noscript"],
    group: "scripting",
    since: "7.0.0",
    summary: "Returns information about all libraries (always none).",
    complexity: "O(N) where N is the number of functions",
    handler: list,
  }),
];

const functionCommand = command({
  name: "function",
  arity: -2,
  flags: [],
  group: "scripting",
  since: "7.0.0",
  summary: "A container for function commands.",
  complexity: "Depends on subcommand.",
  subcommands,
});
subcommands.push(
  command({
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "scripting",
    since: "7.0.0",
    summary: "Returns helpful text about the different subcommands.",
    complexity: "O(1)",
    handler: () => helpReply(functionCommand),
  }),
);

/** FUNCTION's table entry. */
export const functionCommands: CommandSpec[] = [functionCommand];
