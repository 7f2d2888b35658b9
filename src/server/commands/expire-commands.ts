/**
 * Expiry commands over every type (Redis 7.0 replies): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT),
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, on src/types/key-ops.ts, each a pure operation (one engine
 * call, and one step of EXEC's single call).
 *
 * Expiry times are the engine's Clock milliseconds, which the server shares (Unix time on a real clock).
 * EXPIRE/PEXPIRE with a positive duration and no option are also "blind" (one engine mutation, `expire`,
 * which applies to every type) so EXEC can batch them with the JSON commands' mutations.
 */
import type { Buffer } from "node:buffer";
import {
  type ExpireCondition,
  expireAt,
  expireTime,
  expiryTimeMs,
  persist,
  ttl,
} from "../../types/key-ops.js";
import { int64Arg, intArg, keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { INT64_MAX, INT64_MIN, parseInteger } from "../integer-text.js";
import { dbKey } from "../keyspace.js";
import { CommandError } from "../reply-errors.js";
import { R } from "../resp-writer.js";

type Unit = "ex" | "px" | "exat" | "pxat";

/** NX/XX/GT/LT as Redis 7 combines them (XX with GT or LT: both must hold). @throws CommandError. */
function expireConditions(args: readonly Buffer[]): ExpireCondition[] {
  const opts = new Set<string>();
  for (const arg of args.slice(3)) {
    const o = keyword(arg);
    // Redis names the option as it was written.
    if (!["NX", "XX", "GT", "LT"].includes(o)) {
      throw new CommandError(`ERR Unsupported option ${arg.toString("latin1")}`);
    }
    opts.add(o);
  }
  if (opts.has("NX") && opts.size > 1) {
    throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (opts.has("GT") && opts.has("LT"))
    throw new CommandError("ERR GT and LT options at the same time are not compatible");
  return [...opts] as ExpireCondition[];
}

function keyArg(ctx: CommandContext, args: readonly Buffer[]): string {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[1] as Buffer));
}

/**
 * Latest expiry the server holds, in Clock ms: 2^52 (about the year 144,683), so that the engine's
 * `now + ms` stays a safe integer with room to spare. Redis allows times up to 2^63 - 1 ms.
 */
const EXPIRY_MS_MAX = 2 ** 52;

/**
 * The expiry a command asks for, in Clock ms, checked with Redis's 64-bit arithmetic: seconds beyond
 * ±2^63/1000, or a relative time whose sum with now passes 2^63 - 1, are `invalid expire time`. A valid time
 * beyond {@link EXPIRY_MS_MAX} is held as that (never reached), one below its negative as that (long past).
 * @throws DataTypeError via expiryTimeMs' message: "ERR invalid expire time in '<command>' command".
 */
function expiryFromWire(amount: bigint, unit: Unit, nowMs: number, command: string): number {
  let when = amount;
  const invalid = new CommandError(`ERR invalid expire time in '${command}' command`);
  if (unit === "ex" || unit === "exat") {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw invalid;
    when *= 1000n;
  }
  const base = unit === "ex" || unit === "px" ? BigInt(nowMs) : 0n;
  if (when > INT64_MAX - base) throw invalid;
  when += base;
  const max = BigInt(EXPIRY_MS_MAX);
  return expiryTimeMs(Number(when > max ? max : when < -max ? -max : when), "pxat", nowMs, command);
}

/** EXPIRE/PEXPIRE with a positive duration and no option: one blind engine call. */
const isPlainRelative = (args: readonly Buffer[]): boolean =>
  args.length === 3 && (parseInteger(args[2] as Buffer) ?? 0) > 0;

function expireSpec(name: string, unit: Unit, since: string, summary: string): CommandSpec {
  const relative = unit === "ex" || unit === "px";
  const scale = unit === "ex" ? 1000 : 1;
  return typedCommand({
    name,
    arity: -3,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    group: "generic",
    since,
    summary,
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        const conditions = expireConditions(args); // Redis reads the options before the time
        const amount = int64Arg(args[2] as Buffer);
        return (tx) => R.integer(expireAt(tx, k, expiryFromWire(amount, unit, tx.nowMs, name), conditions));
      },
    },
    blind: relative ? isPlainRelative : undefined,
    mutation: relative
      ? (ctx, args) => ({
          mutation: {
            op: "expire",
            key: dbKey(ctx.client.db, args[1] as Buffer),
            ms: Math.min(intArg(args[2] as Buffer) * scale, EXPIRY_MS_MAX - ctx.server.clock.now()),
          },
          reply: () => R.integer(1),
        })
      : undefined,
  });
}

function readSpec(name: string, since: string, summary: string, answer: typeof ttl): CommandSpec {
  const ms = name.startsWith("p");
  return typedCommand({
    name,
    arity: 2,
    flags: ["readonly", "fast"],
    keys: [1, 1, 1],
    group: "generic",
    since,
    summary,
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        return (tx) => R.integer(answer(tx, k, ms));
      },
    },
  });
}

/** The expiry commands' table entries. */
export const expireCommands: CommandSpec[] = [
  expireSpec("expire", "ex", "1.0.0", "Sets the expiration time of a key in seconds."),
  expireSpec("pexpire", "px", "2.6.0", "Sets the expiration time of a key in milliseconds."),
  expireSpec("expireat", "exat", "1.2.0", "Sets the expiration time of a key to a Unix timestamp."),
  expireSpec(
    "pexpireat",
    "pxat",
    "2.6.0",
    "Sets the expiration time of a key to a Unix milliseconds timestamp.",
  ),
  readSpec("ttl", "1.0.0", "Returns the expiration time in seconds of a key.", ttl),
  readSpec("pttl", "2.6.0", "Returns the expiration time in milliseconds of a key.", ttl),
  readSpec("expiretime", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", expireTime),
  readSpec(
    "pexpiretime",
    "7.0.0",
    "Returns the expiration time of a key as a Unix milliseconds timestamp.",
    expireTime,
  ),
  typedCommand({
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    keys: [1, 1, 1],
    group: "generic",
    since: "2.2.0",
    summary: "Removes the expiration time of a key.",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args);
        return (tx) => R.integer(persist(tx, k));
      },
    },
  }),
];
