/**
 * Key commands on today's documents: DEL, UNLINK, EXISTS, TYPE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL,
 * PTTL, EXPIRETIME, PEXPIRETIME, PERSIST (Redis 7.0 replies). Every key is a JSON document until the data
 * types land, so TYPE answers `ReJSON-RL` (RedisJSON's type name) or `none`.
 *
 * Expiry times are the engine's Clock milliseconds, which the server shares (Unix time on a real clock).
 */
import type { Buffer } from "node:buffer";
import { type FuseDB, NotFoundError } from "../../index.js";
import { intArg, keyword } from "../args.js";
import { casLoop } from "../cas.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { parseInteger } from "../integer-text.js";
import { dbKey } from "../keyspace.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** RedisJSON's TYPE name for a document. */
export const JSON_TYPE_NAME = "ReJSON-RL";

function keysOf(ctx: CommandContext, args: readonly Buffer[]): Buffer[] {
  return args.slice(1).map((k) => dbKey(ctx.client.db, k));
}

async function del(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const unique = [...new Map(keysOf(ctx, args).map((k) => [k.toString("latin1"), k])).values()];
  const engine = ctx.server.db;
  const deleted = await casLoop(async () => {
    const found = await Promise.all(unique.map(async (key) => ({ key, live: await engine.get(key) })));
    const live = found.filter((f) => f.live !== undefined);
    if (live.length > 0) {
      await engine.batch(
        live.map((f) => ({ op: "delete" as const, key: f.key, ifVersion: f.live?.version })),
      );
    }
    return live.length;
  });
  return R.integer(deleted);
}

async function exists(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const found = await Promise.all(keysOf(ctx, args).map((k) => ctx.server.db.get(k)));
  return R.integer(found.filter((f) => f !== undefined).length);
}

type ExpireUnit = { relative: boolean; ms: number; name: string };
const UNITS: Record<string, ExpireUnit> = {
  expire: { relative: true, ms: 1000, name: "expire" },
  pexpire: { relative: true, ms: 1, name: "pexpire" },
  expireat: { relative: false, ms: 1000, name: "expireat" },
  pexpireat: { relative: false, ms: 1, name: "pexpireat" },
};

/** NX/XX/GT/LT as Redis 7 combines them. */
function expireCondition(args: readonly Buffer[]): string | undefined {
  const opts = new Set(args.slice(3).map((a) => keyword(a)));
  for (const o of opts)
    if (!["NX", "XX", "GT", "LT"].includes(o)) throw new CommandError(`ERR Unsupported option ${o}`);
  if (opts.has("NX") && opts.size > 1) {
    throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (opts.has("GT") && opts.has("LT"))
    throw new CommandError("ERR GT and LT options at the same time are not compatible");
  if (opts.has("GT")) return "GT";
  if (opts.has("LT")) return "LT";
  return opts.has("XX") ? "XX" : opts.has("NX") ? "NX" : undefined;
}

/** Whether the condition lets a key with expiry `current` (undefined: none) take the expiry `at`. */
function allowed(condition: string | undefined, current: number | undefined, at: number): boolean {
  switch (condition) {
    case "NX":
      return current === undefined;
    case "XX":
      return current !== undefined;
    case "GT":
      return current !== undefined && at > current;
    case "LT":
      return current === undefined || at < current;
    default:
      return true;
  }
}

function expireAt(ctx: CommandContext, args: readonly Buffer[], unit: ExpireUnit): number {
  const when = intArg(args[2] as Buffer);
  const invalid = new CommandError(`ERR invalid expire time in '${unit.name}' command`);
  const ms = when * unit.ms;
  if (!Number.isSafeInteger(ms)) throw invalid;
  const at = unit.relative ? ctx.server.clock.now() + ms : ms;
  if (!Number.isSafeInteger(at)) throw invalid;
  return at;
}

async function setExpiry(engine: FuseDB, key: Buffer, ms: number, version: number): Promise<number> {
  try {
    await engine.expire(key, ms, { ifVersion: version });
    return 1;
  } catch (err) {
    if (err instanceof NotFoundError) return 0;
    throw err;
  }
}

function expireHandler(unit: ExpireUnit) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const engine = ctx.server.db;
    const key = dbKey(ctx.client.db, args[1] as Buffer);
    const condition = expireCondition(args);
    const at = expireAt(ctx, args, unit);
    const durationMs = intArg(args[2] as Buffer) * unit.ms;
    if (unit.relative && condition === undefined && durationMs > 0) {
      // Blind (see the table): one engine call, issued before anything is awaited.
      try {
        await engine.expire(key, durationMs);
        return R.integer(1);
      } catch (err) {
        if (err instanceof NotFoundError) return R.integer(0);
        throw err;
      }
    }
    return R.integer(
      await casLoop(async () => {
        const live = await engine.get(key);
        if (live === undefined || !allowed(condition, live.expiresAtMs, at)) return 0;
        const ms = at - ctx.server.clock.now();
        if (ms > 0) return setExpiry(engine, key, ms, live.version);
        await engine.delete(key, { ifVersion: live.version });
        return 1;
      }),
    );
  };
}

function ttlHandler(ms: boolean) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const left = await ctx.server.db.ttl(dbKey(ctx.client.db, args[1] as Buffer));
    if (left === undefined) return R.integer(-2);
    if (left === null) return R.integer(-1);
    return R.integer(ms ? left : Math.floor((left + 500) / 1000));
  };
}

function expireTimeHandler(ms: boolean) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const live = await ctx.server.db.get(dbKey(ctx.client.db, args[1] as Buffer));
    if (live === undefined) return R.integer(-2);
    if (live.expiresAtMs === undefined) return R.integer(-1);
    return R.integer(ms ? live.expiresAtMs : Math.floor(live.expiresAtMs / 1000));
  };
}

async function persist(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const engine = ctx.server.db;
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  return R.integer(
    await casLoop(async () => {
      const live = await engine.get(key);
      if (live?.expiresAtMs === undefined) return 0;
      // A set without ttlMs clears the expiry (the engine has no "persist" mutation).
      await engine.set(key, live.value, { ifVersion: live.version });
      return 1;
    }),
  );
}

const KEY1 = [1, 1, 1] as const;
const WRITE_FAST = ["write", "fast"] as const;
const READ_FAST = ["readonly", "fast"] as const;
/** EXPIRE/PEXPIRE with a positive duration and no option: one blind engine call. */
const isPlainRelative = (args: readonly Buffer[]): boolean =>
  args.length === 3 && (parseInteger(args[2] as Buffer) ?? 0) > 0;

function expireSpec(name: keyof typeof UNITS, since: string, summary: string): CommandSpec {
  const unit = UNITS[name] as ExpireUnit;
  return command({
    name,
    arity: -3,
    flags: [...WRITE_FAST],
    keys: KEY1,
    group: "generic",
    since,
    summary,
    handler: expireHandler(unit),
    blind: unit.relative ? isPlainRelative : undefined,
    mutation: unit.relative
      ? (ctx, args) => ({
          mutation: {
            op: "expire",
            key: dbKey(ctx.client.db, args[1] as Buffer),
            ms: intArg(args[2] as Buffer) * unit.ms,
          },
          reply: () => R.integer(1),
        })
      : undefined,
  });
}

/** The key commands' table entries. */
export const keyCommands: CommandSpec[] = [
  command({
    name: "del",
    arity: -2,
    flags: ["write"],
    keys: [1, -1, 1],
    group: "generic",
    since: "1.0.0",
    summary: "Deletes one or more keys.",
    handler: del,
  }),
  command({
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    keys: [1, -1, 1],
    group: "generic",
    since: "4.0.0",
    summary: "Deletes one or more keys (as DEL: deletes are O(1) here).",
    handler: del,
  }),
  command({
    name: "exists",
    arity: -2,
    flags: [...READ_FAST],
    keys: [1, -1, 1],
    group: "generic",
    since: "1.0.0",
    summary: "Determines whether one or more keys exist.",
    handler: exists,
  }),
  command({
    name: "type",
    arity: 2,
    flags: [...READ_FAST],
    keys: KEY1,
    group: "generic",
    since: "1.0.0",
    summary: "Determines the type of value stored at a key.",
    handler: async (ctx, args) =>
      R.simple((await ctx.server.db.get(dbKey(ctx.client.db, args[1] as Buffer))) ? JSON_TYPE_NAME : "none"),
  }),
  expireSpec("expire", "1.0.0", "Sets the expiration time of a key in seconds."),
  expireSpec("pexpire", "2.6.0", "Sets the expiration time of a key in milliseconds."),
  expireSpec("expireat", "1.2.0", "Sets the expiration time of a key to a Unix timestamp."),
  expireSpec("pexpireat", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp."),
  command({
    name: "ttl",
    arity: 2,
    flags: [...READ_FAST],
    keys: KEY1,
    group: "generic",
    since: "1.0.0",
    summary: "Returns the expiration time in seconds of a key.",
    handler: ttlHandler(false),
  }),
  command({
    name: "pttl",
    arity: 2,
    flags: [...READ_FAST],
    keys: KEY1,
    group: "generic",
    since: "2.6.0",
    summary: "Returns the expiration time in milliseconds of a key.",
    handler: ttlHandler(true),
  }),
  command({
    name: "expiretime",
    arity: 2,
    flags: [...READ_FAST],
    keys: KEY1,
    group: "generic",
    since: "7.0.0",
    summary: "Returns the expiration time of a key as a Unix timestamp.",
    handler: expireTimeHandler(false),
  }),
  command({
    name: "pexpiretime",
    arity: 2,
    flags: [...READ_FAST],
    keys: KEY1,
    group: "generic",
    since: "7.0.0",
    summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.",
    handler: expireTimeHandler(true),
  }),
  command({
    name: "persist",
    arity: 2,
    flags: [...WRITE_FAST],
    keys: KEY1,
    group: "generic",
    since: "2.2.0",
    summary: "Removes the expiration time of a key.",
    handler: persist,
  }),
];
