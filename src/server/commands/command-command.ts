/**
 * COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, HELP), answered from the command table so
 * what clients learn about a command is what dispatch enforces.
 */
import type { Buffer } from "node:buffer";
import { globMatch } from "../../util/glob.js";
import { keyword, text } from "../args.js";
import {
  type CommandSpec,
  command,
  commandDocsReply,
  commandInfoReply,
  helpReply,
} from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** A command or a subcommand by full name (`get`, `client|list`), with its parent's name. */
function find(ctx: CommandContext, fullName: string): { spec: CommandSpec; parent?: string } | undefined {
  const [name = "", sub] = fullName.toLowerCase().split("|");
  const spec = ctx.server.table.get(name);
  if (spec === undefined || sub === undefined) return spec && { spec };
  const child = spec.subcommands?.find((s) => s.name === sub);
  return child && { spec: child, parent: spec.name };
}

function info(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length <= 2) return R.array(ctx.server.table.all().map((s) => commandInfoReply(s)));
  return R.array(
    args.slice(2).map((a) => {
      const found = find(ctx, text(a));
      return found === undefined ? R.nullArray : commandInfoReply(found.spec, found.parent);
    }),
  );
}

function docs(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const wanted =
    args.length <= 2
      ? ctx.server.table.all().map((spec) => ({ spec, parent: undefined as string | undefined }))
      : args.slice(2).flatMap((a) => find(ctx, text(a)) ?? []);
  return R.map(
    wanted.map(({ spec, parent }) => {
      const fullName = parent === undefined ? spec.name : `${parent}|${spec.name}`;
      return [R.bulk(fullName), commandDocsReply(spec, parent)] as const;
    }),
  );
}

function list(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let names = ctx.server.table.all().map((s) => s.name);
  if (args.length > 2) {
    if (args.length !== 5 || keyword(args[2]) !== "FILTERBY" || keyword(args[3]) !== "PATTERN") {
      throw new CommandError(ERR.syntax);
    }
    const pattern = args[4] as Buffer;
    names = names.filter((n) => globMatch(pattern, n, true));
  }
  return R.array(names.map(R.bulk));
}

function getkeys(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const target = args.slice(2);
  const resolved = ctx.server.table.resolve(target);
  if ("error" in resolved) {
    if (resolved.error.startsWith("ERR wrong number")) {
      throw new CommandError("ERR Invalid number of arguments specified for command");
    }
    throw new CommandError("ERR Invalid command specified");
  }
  const keys = ctx.server.table.keysOf(resolved.spec, target);
  if (keys.length === 0) throw new CommandError("ERR The command has no key arguments");
  return R.array(keys.map(R.bulk));
}

const FLAGS = ["loading", "stale"] as const;

const subcommands: CommandSpec[] = [
  command({
    name: "count",
    arity: 2,
    flags: [...FLAGS],
    group: "server",
    since: "2.8.13",
    summary: "Returns a count of commands.",
    handler: (ctx) => R.integer(ctx.server.table.all().length),
  }),
  command({
    name: "info",
    arity: -2,
    flags: [...FLAGS],
    group: "server",
    since: "2.8.13",
    summary: "Returns information about one, multiple or all commands.",
    handler: info,
  }),
  command({
    name: "docs",
    arity: -2,
    flags: [...FLAGS],
    group: "server",
    since: "7.0.0",
    summary: "Returns documentary information about one, multiple or all commands.",
    handler: docs,
  }),
  command({
    name: "list",
    arity: -2,
    flags: [...FLAGS],
    group: "server",
    since: "7.0.0",
    summary: "Returns a list of command names.",
    handler: list,
  }),
  command({
    name: "getkeys",
    arity: -3,
    flags: [...FLAGS],
    group: "server",
    since: "2.8.13",
    summary: "Extracts the key names from an arbitrary command.",
    handler: getkeys,
  }),
];

const commandSpec = command({
  name: "command",
  arity: -1,
  flags: [...FLAGS],
  group: "server",
  since: "2.8.13",
  summary: "Returns detailed information about all commands.",
  handler: (ctx) => R.array(ctx.server.table.all().map((s) => commandInfoReply(s))),
  subcommands,
});

subcommands.push(
  command({
    name: "help",
    arity: 2,
    flags: [...FLAGS],
    group: "server",
    since: "5.0.0",
    summary: "Returns helpful text about the different subcommands.",
    handler: () => helpReply(commandSpec),
  }),
);

export const commandCommands: CommandSpec[] = [commandSpec];
