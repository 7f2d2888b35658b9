/**
 * Key commands on today's documents: DEL, UNLINK, EXISTS, TYPE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL,
 * PTTL, EXPIRETIME, PEXPIRETIME, PERSIST (Redis 7.0 replies). Every key is a JSON document until the data
 * types land, so TYPE answers `ReJSON-RL` (RedisJSON's type name) or `none`.
 *
 * Expiry times are the engine's Clock milliseconds, which the server shares (Unix time on a real clock).
 */
import type { Buffer } from "node:buffer";
import { type FuseDB, NotFoundError } from "../../index.js";
import { int64Arg, keyword } from "../args.js";
import { casLoop } from "../cas.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { INT64_MAX, INT64_MIN, parseInteger } from "../integer-text.js";
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

/** The NX/XX/GT/LT options given (upper case). @throws CommandError for an unknown or incompatible one. */
function expireOptions(args: readonly Buffer[]): Set<string> {
  const opts = new Set<string>();
  for (const arg of args.slice(3)) {
    const o = keyword(arg);
    // Redis names the option as it was written.
    if (!["NX", "XX", "GT", "LT"].includes(o))
      throw new CommandError(`ERR Unsupported option ${arg.toString("latin1")}`);
    opts.add(o);
  }
  if (opts.has("NX") && opts.size > 1) {
    throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (opts.has("GT") && opts.has("LT"))
    throw new CommandError("ERR GT and LT options at the same time are not compatible");
  return opts;
}

/**
 * Whether every option lets a key with expiry `current` (undefined: none) take the expiry `at`, as Redis
 * 7.0's expireGenericCommand checks them in turn: no expiry counts as infinite (GT never passes, LT does).
 */
function allowed(opts: ReadonlySet<string>, current: number | undefined, at: number): boolean {
  if (opts.has("NX") && current !== undefined) return false;
  if (opts.has("XX") && current === undefined) return false;
  if (opts.has("GT") && (current === undefined || at <= current)) return false;
  if (opts.has("LT") && current !== undefined && at >= current) return false;
  return true;
}

/**
 * Latest expiry the server holds, in Clock ms: 2^52 (about the year 144,683), so that the engine's
 * `now + ms` stays a safe integer (2^53 - 1) with room to spare. Redis allows times up to 2^63 - 1 ms.
 */
const EXPIRY_MS_MAX = 2 ** 52;

/**
 * The expiry the call asks for, in Clock ms, checked with Redis's 64-bit arithmetic: seconds beyond
 * ±2^63/1000, or a relative time whose sum with now passes 2^63 - 1, are `invalid expire time`. A valid
 * time beyond {@link EXPIRY_MS_MAX} is held as that (never reached), one below its negative as that (long
 * past): the engine's times are doubles.
 * @throws CommandError "value is not an integer or out of range" or "invalid expire time in '...' command".
 */
function expireAt(ctx: CommandContext, args: readonly Buffer[], unit: ExpireUnit): number {
  let when = int64Arg(args[2] as Buffer);
  const invalid = new CommandError(`ERR invalid expire time in '${unit.name}' command`);
  if (unit.ms === 1000) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalid;
    when *= 1000n;
  }
  const base = unit.relative ? BigInt(ctx.server.clock.now()) : 0n;
  if (when > INT64_MAX - base) throw invalid;
  when += base;
  const max = BigInt(EXPIRY_MS_MAX);
  return Number(when > max ? max : when < -max ? -max : when);
}

/**
 * EXPIRE/PEXPIRE's duration on the blind path ({@link isPlainRelative}: a positive safe integer), in ms,
 * capped at {@link EXPIRY_MS_MAX} as {@link expireAt} caps it.
 */
function plainDurationMs(ctx: CommandContext, args: readonly Buffer[], unit: ExpireUnit): number {
  const n = parseInteger(args[2] as Buffer) as number;
  return Math.min(n * unit.ms, EXPIRY_MS_MAX - ctx.server.clock.now());
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
    const opts = expireOptions(args);
    const at = expireAt(ctx, args, unit);
    if (unit.relative && isPlainRelative(args)) {
      // Blind (see the table): one engine call, issued before anything is awaited.
      try {
        await engine.expire(key, plainDurationMs(ctx, args, unit));
        return R.integer(1);
      } catch (err) {
        if (err instanceof NotFoundError) return R.integer(0);
        throw err;
      }
    }
    return R.integer(
      await casLoop(async () => {
        const live = await engine.get(key);
        if (live === undefined || !allowed(opts, live.expiresAtMs, at)) return 0;
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
            ms: plainDurationMs(ctx, args, unit),
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
