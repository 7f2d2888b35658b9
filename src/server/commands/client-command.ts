/**
 * CLIENT and its subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, REPLY, NO-EVICT, SETINFO, UNBLOCK,
 * HELP. CLIENT LIST lines carry Redis 7.0's fields; those that describe Redis internals fusedb does not have
 * (fd, argv-mem, rbs) are reported as 0 or -1, as Redis does for fake clients.
 */
import type { Buffer } from "node:buffer";
import { intArg, keyword, text } from "../args.js";
import { type CommandSpec, command, helpReply, NO_REPLY } from "../command-table.js";
import type { ClientState, CommandContext } from "../context.js";
import { parseInteger } from "../integer-text.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { checkClientName } from "./connection-commands.js";

/** One CLIENT LIST line (without the newline) for `c` at Clock time `nowMs`. */
export function clientLine(c: ClientState, nowMs: number): string {
  let flags = "";
  if (c.subscriptions.count > 0) flags += "P";
  if (c.transaction.active) flags += "x";
  if (c.noEvict) flags += "e";
  if (flags === "") flags = "N";
  const fields: [string, string | number][] = [
    ["id", c.id],
    ["addr", c.remoteAddress],
    ["laddr", c.localAddress],
    ["fd", -1],
    ["name", c.name],
    ["age", Math.floor((nowMs - c.createdMs) / 1000)],
    ["idle", Math.floor((nowMs - c.lastCommandMs) / 1000)],
    ["flags", flags],
    ["db", c.selectedDb],
    ["sub", c.subscriptions.channels.size],
    ["psub", c.subscriptions.patterns.size],
    ["ssub", 0],
    ["multi", c.transaction.queued?.length ?? -1],
    ["qbuf", c.queryBufferBytes],
    ["qbuf-free", 0],
    ["argv-mem", 0],
    ["multi-mem", 0],
    ["rbs", 0],
    ["rbp", 0],
    ["obl", 0],
    ["oll", 0],
    ["omem", c.outputBytes],
    ["tot-mem", c.queryBufferBytes + c.outputBytes],
    ["events", "r"],
    ["cmd", c.lastCommand],
    ["user", c.user],
    ["redir", -1],
    ["resp", c.protocol],
    ["lib-name", c.libName],
    ["lib-ver", c.libVersion],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(" ");
}

/** Redis's client type of `c` (CLIENT LIST/KILL TYPE): pubsub while subscribed to anything. */
function clientType(c: ClientState): "normal" | "pubsub" {
  return c.subscriptions.count > 0 ? "pubsub" : "normal";
}

function list(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let clients = ctx.server.clients();
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]);
    if (opt === "TYPE" && i + 1 < args.length) {
      const type = keyword(args[++i]);
      if (!["NORMAL", "MASTER", "REPLICA", "SLAVE", "PUBSUB"].includes(type)) {
        throw new CommandError(`ERR Unknown client type '${text(args[i] as Buffer)}'`);
      }
      const want = type === "PUBSUB" ? "pubsub" : type === "NORMAL" ? "normal" : "none";
      clients = clients.filter((c) => clientType(c) === want);
    } else if (opt === "ID" && i + 1 < args.length) {
      const ids = new Set<number>();
      for (i++; i < args.length; i++) {
        const id = intArg(args[i] as Buffer);
        if (id <= 0) throw new CommandError(ERR.notInteger);
        ids.add(id);
      }
      clients = clients.filter((c) => ids.has(c.id));
    } else throw new CommandError(ERR.syntax);
  }
  const now = ctx.server.clock.now();
  return R.verbatim(clients.map((c) => `${clientLine(c, now)}\n`).join(""));
}

/** Which clients a CLIENT KILL filter list selects; the old form (one address) selects by address. */
function killFilter(ctx: CommandContext, args: readonly Buffer[]): (c: ClientState) => boolean {
  const tests: ((c: ClientState) => boolean)[] = [];
  let skipMe = true;
  for (let i = 2; i < args.length; i += 2) {
    const opt = keyword(args[i]);
    const value = args[i + 1];
    if (value === undefined) throw new CommandError(ERR.syntax);
    const v = text(value);
    if (opt === "ID") {
      // Redis 7.0 gives this one text for a non-integer id too (getRangeLongFromObjectOrReply's message).
      const id = parseInteger(value);
      if (id === undefined || id <= 0) throw new CommandError("ERR client-id should be greater than 0");
      tests.push((c) => c.id === id);
    } else if (opt === "ADDR") tests.push((c) => c.remoteAddress === v);
    else if (opt === "LADDR") tests.push((c) => c.localAddress === v);
    else if (opt === "USER") tests.push((c) => c.user === v);
    else if (opt === "TYPE") {
      const type = v.toLowerCase();
      if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) {
        throw new CommandError(`ERR Unknown client type '${v}'`);
      }
      tests.push((c) => clientType(c) === type);
    } else if (opt === "SKIPME") {
      const yes = v.toLowerCase();
      if (yes !== "yes" && yes !== "no") throw new CommandError(ERR.syntax);
      skipMe = yes === "yes";
    } else throw new CommandError(ERR.syntax);
  }
  return (c) => (!skipMe || c !== ctx.client) && tests.every((t) => t(c));
}

function kill(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const killOne = (c: ClientState): void => {
    if (c === ctx.client) ctx.client.closeAfterReply = true;
    else c.kill();
  };
  if (args.length === 3) {
    const addr = text(args[2] as Buffer);
    const target = ctx.server.clients().find((c) => c.remoteAddress === addr);
    if (target === undefined) throw new CommandError("ERR No such client");
    killOne(target);
    return R.ok;
  }
  const selected = ctx.server.clients().filter(killFilter(ctx, args));
  for (const c of selected) killOne(c);
  return R.integer(selected.length);
}

function reply(ctx: CommandContext, args: readonly Buffer[]): Reply | typeof NO_REPLY {
  const mode = keyword(args[2]);
  if (mode === "ON") {
    ctx.client.replyMode = "on";
    return R.ok;
  }
  if (mode === "OFF") {
    ctx.client.replyMode = "off";
    return NO_REPLY;
  }
  if (mode === "SKIP") {
    if (ctx.client.replyMode !== "off") ctx.client.replyMode = "skip";
    return NO_REPLY;
  }
  throw new CommandError(ERR.syntax);
}

function onOff(args: readonly Buffer[]): boolean {
  const v = keyword(args[2]);
  if (v !== "ON" && v !== "OFF") throw new CommandError(ERR.syntax);
  return v === "ON";
}

const SUB = { group: "connection", flags: ["noscript", "loading", "stale"] } as const;

const subcommands: CommandSpec[] = [
  command({
    ...SUB,
    name: "id",
    arity: 2,
    since: "5.0.0",
    summary: "Returns the unique client ID of the connection.",
    handler: (ctx) => R.integer(ctx.client.id),
  }),
  command({
    ...SUB,
    name: "setname",
    arity: 3,
    since: "2.6.9",
    summary: "Sets the connection name.",
    handler: (ctx, args) => {
      checkClientName(args[2] as Buffer);
      ctx.client.name = (args[2] as Buffer).toString("latin1");
      return R.ok;
    },
  }),
  command({
    ...SUB,
    name: "getname",
    arity: 2,
    since: "2.6.9",
    summary: "Returns the name of the connection.",
    handler: (ctx) => (ctx.client.name === "" ? R.null : R.bulk(ctx.client.name)),
  }),
  command({
    ...SUB,
    name: "list",
    arity: -2,
    flags: [...SUB.flags, "admin"],
    since: "2.4.0",
    summary: "Lists open connections.",
    handler: list,
  }),
  command({
    ...SUB,
    name: "info",
    arity: 2,
    since: "6.2.0",
    summary: "Returns information about the connection.",
    handler: (ctx) => R.verbatim(`${clientLine(ctx.client, ctx.server.clock.now())}\n`),
  }),
  command({
    ...SUB,
    name: "kill",
    arity: -3,
    flags: [...SUB.flags, "admin"],
    since: "2.4.0",
    summary: "Terminates open connections.",
    handler: kill,
  }),
  command({
    ...SUB,
    name: "reply",
    arity: 3,
    since: "3.2.0",
    summary: "Instructs the server whether to reply to commands.",
    handler: reply,
  }),
  command({
    ...SUB,
    name: "no-evict",
    arity: 3,
    flags: [...SUB.flags, "admin"],
    since: "7.0.0",
    summary: "Sets the client eviction mode of the connection.",
    handler: (ctx, args) => {
      ctx.client.noEvict = onOff(args);
      return R.ok;
    },
  }),
  command({
    ...SUB,
    name: "setinfo",
    arity: 4,
    since: "7.2.0",
    summary: "Sets information specific to the client or connection.",
    handler: (ctx, args) => {
      const attr = keyword(args[2]);
      const value = (args[3] as Buffer).toString("latin1");
      if (attr === "LIB-NAME") {
        checkClientName(args[3] as Buffer);
        ctx.client.libName = value;
      } else if (attr === "LIB-VER") ctx.client.libVersion = value;
      else throw new CommandError(`ERR Unrecognized option '${text(args[2] as Buffer)}'`);
      return R.ok;
    },
  }),
  command({
    ...SUB,
    name: "unblock",
    arity: -3,
    flags: [...SUB.flags, "admin"],
    since: "5.0.0",
    summary: "Unblocks a client blocked by a blocking command from a different connection.",
    handler: (ctx, args) => {
      const id = intArg(args[2] as Buffer);
      const how = keyword(args[3]);
      if (args.length > 4 || (args.length === 4 && how !== "TIMEOUT" && how !== "ERROR")) {
        throw new CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      }
      const target = ctx.server.clients().find((c) => c.id === id);
      return R.integer(target?.unblock(how === "ERROR" ? "error" : "timeout") ? 1 : 0);
    },
  }),
];

const client: CommandSpec = command({
  name: "client",
  arity: -2,
  flags: [],
  group: "connection",
  since: "2.4.0",
  summary: "A container for client connection commands.",
  subcommands,
});

subcommands.push(
  command({
    ...SUB,
    name: "help",
    arity: 2,
    since: "5.0.0",
    summary: "Returns helpful text about the different subcommands.",
    handler: () => helpReply(client),
  }),
);

export const clientCommands: CommandSpec[] = [client];
