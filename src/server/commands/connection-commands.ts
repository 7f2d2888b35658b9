/**
 * Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET (Redis 7.0 semantics and replies).
 * CLIENT lives in client-command.ts.
 */
import type { Buffer } from "node:buffer";
import { intArg, keyword, text } from "../args.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { parseInteger } from "../integer-text.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** The Redis version fusedb answers as (HELLO, INFO redis_version): the one whose behaviour it follows. */
export const REDIS_COMPAT_VERSION = "7.0.15";

const NO_PASSWORD_AUTH =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";

/** Authenticates `client` as `user`, or throws WRONGPASS and changes nothing. */
function authenticate(ctx: CommandContext, user: string, password: Buffer): void {
  if (!ctx.server.users.check(user, password)) throw new CommandError(ERR.wrongPass);
  ctx.client.user = user;
  ctx.client.authenticated = true;
}

/** Redis's rule for client names: printable ASCII without spaces (`!`..`~`), or empty. */
export function checkClientName(name: Buffer): void {
  for (const c of name) {
    if (c < 0x21 || c > 0x7e) {
      throw new CommandError("ERR Client names cannot contain spaces, newlines or special characters.");
    }
  }
}

function hello(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let protocol = ctx.client.protocol;
  if (args.length >= 2) {
    const version = parseInteger(args[1] as Buffer);
    if (version === undefined) {
      throw new CommandError("ERR Protocol version is not an integer or out of range");
    }
    if (version !== 2 && version !== 3) throw new CommandError("NOPROTO unsupported protocol version");
    protocol = version;
  }
  let auth: [string, Buffer] | undefined;
  let name: Buffer | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]);
    const more = args.length - i - 1;
    if (opt === "AUTH" && more >= 2) {
      auth = [text(args[i + 1] as Buffer), args[i + 2] as Buffer];
      i += 2;
    } else if (opt === "SETNAME" && more >= 1) {
      name = args[i + 1] as Buffer;
      checkClientName(name);
      i += 1;
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${text(args[i] as Buffer)}'`);
    }
  }
  if (auth !== undefined) authenticate(ctx, auth[0], auth[1]);
  if (!ctx.client.authenticated && ctx.server.users.authRequired) {
    throw new CommandError(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (name !== undefined) ctx.client.name = name.toString("latin1");
  ctx.client.protocol = protocol;
  return R.fields([
    ["server", R.bulk("redis")],
    ["version", R.bulk(REDIS_COMPAT_VERSION)],
    ["proto", R.integer(protocol)],
    ["id", R.integer(ctx.client.id)],
    ["mode", R.bulk("standalone")],
    ["role", R.bulk("master")],
    ["modules", R.array([])],
  ]);
}

function auth(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  if (args.length === 2 && ctx.server.users.defaultHasNoPassword) throw new CommandError(NO_PASSWORD_AUTH);
  const user = args.length === 3 ? text(args[1] as Buffer) : "default";
  authenticate(ctx, user, args[args.length - 1] as Buffer);
  return R.ok;
}

function select(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const db = intArg(args[1] as Buffer);
  if (db < 0 || db >= ctx.server.config.int("databases")) throw new CommandError(ERR.dbIndex);
  ctx.client.selectedDb = db;
  ctx.client.db = ctx.server.databases.storedOf(db);
  return R.ok;
}

/**
 * Puts a connection back as it was when it connected (RESET): also out of MULTI, pub/sub and WATCH, and an
 * open BEGIN transaction rolled back.
 */
export function resetClient(ctx: CommandContext, authRequired: boolean): void {
  const client = ctx.client;
  client.transaction.end();
  client.transactionBlock.close();
  ctx.server.pubsub.forget(client);
  client.selectedDb = 0;
  client.db = ctx.server.databases.storedOf(0);
  client.protocol = 2;
  client.name = "";
  client.replyMode = "on";
  client.noEvict = false;
  client.user = "default";
  client.authenticated = !authRequired;
}

const CONNECTION_FLAGS = ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"] as const;

/** The connection commands' table entries. */
export const connectionCommands: CommandSpec[] = [
  command({
    name: "ping",
    arity: -1,
    flags: ["fast"],
    group: "connection",
    since: "1.0.0",
    summary: "Returns the server's liveliness response.",
    handler: (ctx, args) => {
      if (args.length > 2) throw new CommandError("ERR wrong number of arguments for 'ping' command");
      if (ctx.client.protocol === 2 && ctx.client.subscriptions.count > 0) {
        // Redis 7.0: a subscribed RESP2 client gets ["pong", argument or ""].
        return R.array([R.bulk("pong"), R.bulk(args.length === 2 ? (args[1] as Buffer) : "")]);
      }
      return args.length === 2 ? R.bulk(args[1] as Buffer) : R.simple("PONG");
    },
  }),
  command({
    name: "echo",
    arity: 2,
    flags: ["fast"],
    group: "connection",
    since: "1.0.0",
    summary: "Returns the given string.",
    handler: (_ctx, args) => R.bulk(args[1] as Buffer),
  }),
  command({
    name: "hello",
    arity: -1,
    flags: [...CONNECTION_FLAGS],
    group: "connection",
    since: "6.0.0",
    summary: "Handshakes with the server: protocol version, optional AUTH and SETNAME.",
    handler: hello,
  }),
  command({
    name: "auth",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    group: "connection",
    since: "1.0.0",
    summary: "Authenticates the connection.",
    handler: auth,
  }),
  command({
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    group: "connection",
    since: "1.0.0",
    summary: "Changes the selected database.",
    handler: select,
  }),
  command({
    name: "quit",
    arity: -1,
    flags: [...CONNECTION_FLAGS],
    group: "connection",
    since: "1.0.0",
    summary: "Closes the connection.",
    handler: (ctx) => {
      ctx.client.closeAfterReply = true;
      return R.ok;
    },
  }),
  command({
    name: "reset",
    arity: 1,
    flags: [...CONNECTION_FLAGS],
    group: "connection",
    since: "6.2.0",
    summary: "Resets the connection.",
    handler: (ctx) => {
      resetClient(ctx, ctx.server.users.authRequired);
      return R.simple("RESET");
    },
  }),
];
