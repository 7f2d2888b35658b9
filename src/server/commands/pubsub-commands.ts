/**
 * Pub/sub commands (Redis 7.0): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB
 * (CHANNELS, NUMSUB, NUMPAT, HELP). Confirmations are pushes, one per channel or pattern:
 * `[subscribe|unsubscribe|psubscribe|punsubscribe, name, count]`, count being the client's channels plus
 * patterns after the change; UNSUBSCRIBE/PUNSUBSCRIBE without arguments leave every channel (pattern), and
 * with nothing to leave confirm once with a null name. Sharded pub/sub (SSUBSCRIBE, SPUBLISH) is not
 * served: one server has one shard.
 */
import { Buffer } from "node:buffer";
import { type CommandSpec, command, helpReply, NO_REPLY } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

type Kind = "channel" | "pattern";

function confirm(ctx: CommandContext, what: string, name: Buffer | undefined): void {
  ctx.client.deliver(
    R.push([
      R.bulk(what),
      name === undefined ? R.null : R.bulk(name),
      R.integer(ctx.client.subscriptions.count),
    ]),
  );
}

function subscribeHandler(kind: Kind) {
  const what = kind === "channel" ? "subscribe" : "psubscribe";
  return (ctx: CommandContext, args: readonly Buffer[]): typeof NO_REPLY => {
    const hub = ctx.server.pubsub;
    for (const name of args.slice(1)) {
      if (kind === "channel") hub.subscribe(ctx.client, name);
      else hub.psubscribe(ctx.client, name);
      confirm(ctx, what, name);
    }
    return NO_REPLY;
  };
}

function unsubscribeHandler(kind: Kind) {
  const what = kind === "channel" ? "unsubscribe" : "punsubscribe";
  return (ctx: CommandContext, args: readonly Buffer[]): typeof NO_REPLY => {
    const hub = ctx.server.pubsub;
    const own = kind === "channel" ? ctx.client.subscriptions.channels : ctx.client.subscriptions.patterns;
    const names = args.length > 1 ? args.slice(1) : [...own.values()];
    if (names.length === 0) confirm(ctx, what, undefined);
    for (const name of names) {
      if (kind === "channel") hub.unsubscribe(ctx.client, name);
      else hub.punsubscribe(ctx.client, name);
      confirm(ctx, what, name);
    }
    return NO_REPLY;
  };
}

const PUBSUB_FLAGS = ["pubsub", "noscript", "loading", "stale"] as const;
const G = { group: "pubsub" } as const;

const pubsubSubcommands: CommandSpec[] = [
  command({
    ...G,
    name: "channels",
    arity: -2,
    flags: [...PUBSUB_FLAGS],
    since: "2.8.0",
    summary: "Returns the active channels.",
    handler: (ctx, args) => {
      if (args.length > 3)
        throw new CommandError("ERR wrong number of arguments for 'pubsub|channels' command");
      return R.array(ctx.server.pubsub.channelNames(args[2]).map((c) => R.bulk(c)));
    },
  }),
  command({
    ...G,
    name: "numsub",
    arity: -2,
    flags: [...PUBSUB_FLAGS],
    since: "2.8.0",
    summary: "Returns a count of subscribers to channels.",
    handler: (ctx, args) =>
      R.array(
        args.slice(2).flatMap((c): Reply[] => [R.bulk(c), R.integer(ctx.server.pubsub.subscribers(c))]),
      ),
  }),
  command({
    ...G,
    name: "numpat",
    arity: 2,
    flags: [...PUBSUB_FLAGS],
    since: "2.8.0",
    summary: "Returns a count of unique pattern subscriptions.",
    handler: (ctx) => R.integer(ctx.server.pubsub.patternCount),
  }),
];
const pubsub = command({
  ...G,
  name: "pubsub",
  arity: -2,
  flags: [],
  since: "2.8.0",
  summary: "A container for Pub/Sub commands.",
  subcommands: pubsubSubcommands,
});
pubsubSubcommands.push(
  command({
    ...G,
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    since: "6.2.0",
    summary: "Returns helpful text about the different subcommands.",
    handler: () => helpReply(pubsub),
  }),
);

/** The pub/sub commands' table entries. */
export const pubsubCommands: CommandSpec[] = [
  command({
    ...G,
    name: "subscribe",
    arity: -2,
    flags: [...PUBSUB_FLAGS],
    since: "2.0.0",
    summary: "Listens for messages published to channels.",
    handler: subscribeHandler("channel"),
  }),
  command({
    ...G,
    name: "unsubscribe",
    arity: -1,
    flags: [...PUBSUB_FLAGS],
    since: "2.0.0",
    summary: "Stops listening to messages posted to channels.",
    handler: unsubscribeHandler("channel"),
  }),
  command({
    ...G,
    name: "psubscribe",
    arity: -2,
    flags: [...PUBSUB_FLAGS],
    since: "2.0.0",
    summary: "Listens for messages published to channels that match one or more patterns.",
    handler: subscribeHandler("pattern"),
  }),
  command({
    ...G,
    name: "punsubscribe",
    arity: -1,
    flags: [...PUBSUB_FLAGS],
    since: "2.0.0",
    summary: "Stops listening to messages published to channels that match patterns.",
    handler: unsubscribeHandler("pattern"),
  }),
  command({
    ...G,
    name: "publish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast"],
    since: "2.0.0",
    summary: "Posts a message to a channel.",
    handler: (ctx, args) =>
      R.integer(ctx.server.pubsub.publish(Buffer.from(args[1] as Buffer), args[2] as Buffer)),
  }),
  pubsub,
];
