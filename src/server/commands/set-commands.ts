/**
 * Set commands (Redis 7.0, redis.io/commands/?group=set) on the engine's sets (src/types/sets.ts): each a
 * pure operation run as one engine call, and one step of EXEC's single atomic call.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import { scanCursor } from "../../types/scan-cursor.js";
import {
  checkLimit,
  isMember,
  members,
  membersOf,
  randomMembers,
  sadd,
  sdiff,
  sinter,
  smove,
  spop,
  srem,
  storeSet,
  sunion,
} from "../../types/sets.js";
import type { Txn } from "../../types/txn.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { INT64_MIN, parseInt64, parseInteger } from "../integer-text.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { scanArgs } from "../scan-cursors.js";

const G = { group: "set", since: "1.0.0" } as const;

function keyAt(ctx: CommandContext, args: readonly Buffer[], i: number): KeyString {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[i] as Buffer));
}

const bin = (arg: Buffer | undefined): string => (arg as Buffer).toString("latin1");
const bulk = (s: string): Reply => R.bulk(Buffer.from(s, "latin1"));

/** SRANDMEMBER's reply to a count of -2^63 (Redis reads it as a long in [-LONG_MAX, LONG_MAX]). */
const COUNT_RANGE =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/**
 * A count argument read as Redis's long: undefined when not a 64-bit integer; -Infinity for -2^63 (outside
 * [-LONG_MAX, LONG_MAX]); counts past the safe integers clamp to them (no set or reply is that large, and a
 * negative count that large is refused by the draw bound, src/types/random-draw.ts).
 */
function countArg(arg: Buffer | undefined): number | undefined {
  const n = parseInt64(arg as Buffer);
  if (n === undefined) return undefined;
  if (n === INT64_MIN) return Number.NEGATIVE_INFINITY;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(n > max ? max : n < -max ? -max : n);
}

/** A read-only or writing set command over keys [first, last] (-1: to the end). */
function op(
  name: string,
  arity: number,
  write: boolean,
  keys: readonly [number, number, number],
  summary: string,
  prepare: (ctx: CommandContext, args: readonly Buffer[]) => (tx: Txn) => Reply,
  fast = false,
): CommandSpec {
  const flags = write ? (["write", "denyoom"] as const) : (["readonly"] as const);
  return typedCommand({
    name,
    arity,
    flags: fast ? [...flags, "fast"] : [...flags],
    keys,
    ...G,
    summary,
    typed: { write, prepare },
  });
}

/** The keys named by args[from..]. */
function keysFrom(ctx: CommandContext, args: readonly Buffer[], from: number): KeyString[] {
  const out: KeyString[] = [];
  for (let i = from; i < args.length; i++) out.push(keyAt(ctx, args, i));
  return out;
}

/** SINTERCARD's numkeys and keys, then LIMIT. */
function intercardArgs(ctx: CommandContext, args: readonly Buffer[]): { keys: KeyString[]; limit: number } {
  const numkeys = parseInteger(args[1] as Buffer);
  // Redis reads numkeys as a long in [1, LONG_MAX]: a non-integer gets the same reply as 0.
  if (numkeys === undefined || numkeys <= 0) throw new CommandError("ERR numkeys should be greater than 0");
  if (numkeys > args.length - 2)
    throw new CommandError("ERR Number of keys can't be greater than number of args");
  const keys = keysFrom(ctx, args.slice(0, 2 + numkeys), 2);
  let limit = 0;
  for (let i = 2 + numkeys; i < args.length; i += 2) {
    if (bin(args[i]).toUpperCase() !== "LIMIT" || args[i + 1] === undefined)
      throw new CommandError(ERR.syntax);
    const l = parseInteger(args[i + 1] as Buffer);
    if (l === undefined) throw new CommandError("ERR LIMIT can't be negative");
    limit = checkLimit(l);
  }
  return { keys, limit };
}

const STORES = { sinterstore: sinter, sunionstore: sunion, sdiffstore: sdiff } as const;

export const setCommands: CommandSpec[] = [
  op(
    "sadd",
    -3,
    true,
    [1, 1, 1],
    "Adds one or more members to a set",
    (ctx, args) => {
      const k = keyAt(ctx, args, 1);
      const ms = args.slice(2).map(bin);
      return (tx) => R.integer(sadd(tx, k, ms));
    },
    true,
  ),
  op(
    "srem",
    -3,
    true,
    [1, 1, 1],
    "Removes one or more members from a set",
    (ctx, args) => {
      const k = keyAt(ctx, args, 1);
      const ms = args.slice(2).map(bin);
      return (tx) => R.integer(srem(tx, k, ms));
    },
    true,
  ),
  op("smembers", 2, false, [1, 1, 1], "Returns all members of a set", (ctx, args) => {
    const k = keyAt(ctx, args, 1);
    return (tx) => R.set(members(tx, k).map(bulk));
  }),
  op(
    "sismember",
    3,
    false,
    [1, 1, 1],
    "Determines whether a member belongs to a set",
    (ctx, args) => {
      const k = keyAt(ctx, args, 1);
      const m = bin(args[2]);
      return (tx) => R.integer(isMember(tx, k, m) ? 1 : 0);
    },
    true,
  ),
  op(
    "smismember",
    -3,
    false,
    [1, 1, 1],
    "Determines whether multiple members belong to a set",
    (ctx, args) => {
      const k = keyAt(ctx, args, 1);
      const ms = args.slice(2).map(bin);
      return (tx) => R.array(ms.map((m) => R.integer(isMember(tx, k, m) ? 1 : 0)));
    },
    true,
  ),
  op(
    "scard",
    2,
    false,
    [1, 1, 1],
    "Returns the number of members in a set",
    (ctx, args) => {
      const k = keyAt(ctx, args, 1);
      return (tx) => R.integer(tx.collection(k, "set")?.meta.n ?? 0);
    },
    true,
  ),
  op(
    "spop",
    -2,
    true,
    [1, 1, 1],
    "Returns one or more random members from a set after removing them",
    (ctx, args) => {
      if (args.length > 3) throw new CommandError(ERR.syntax);
      const k = keyAt(ctx, args, 1);
      if (args.length === 2) {
        return (tx) => {
          const [m] = spop(tx, k, 1);
          return m === undefined ? R.null : bulk(m);
        };
      }
      const n = countArg(args[2]);
      // Redis reads SPOP's count as a positive long: anything else, a non-integer too, gets this reply.
      if (n === undefined || n < 0) throw new CommandError("ERR value is out of range, must be positive");
      return (tx) => R.set(spop(tx, k, n).map(bulk));
    },
    true,
  ),
  op("srandmember", -2, false, [1, 1, 1], "Get one or multiple random members from a set", (ctx, args) => {
    if (args.length > 3) throw new CommandError(ERR.syntax);
    const k = keyAt(ctx, args, 1);
    if (args.length === 2) {
      return (tx) => {
        const [m] = randomMembers(tx, k, 1, false);
        return m === undefined ? R.null : bulk(m);
      };
    }
    const n = countArg(args[2]);
    if (n === undefined) throw new CommandError(ERR.notInteger);
    if (n === Number.NEGATIVE_INFINITY) throw new CommandError(COUNT_RANGE);
    return (tx) => R.array(randomMembers(tx, k, Math.abs(n), n < 0).map(bulk));
  }),
  op(
    "smove",
    4,
    true,
    [1, 2, 1],
    "Moves a member from one set to another",
    (ctx, args) => {
      const src = keyAt(ctx, args, 1);
      const dst = keyAt(ctx, args, 2);
      const m = bin(args[3]);
      return (tx) => R.integer(smove(tx, src, dst, m) ? 1 : 0);
    },
    true,
  ),
  op("sinter", -2, false, [1, -1, 1], "Returns the intersect of multiple sets", (ctx, args) => {
    const ks = keysFrom(ctx, args, 1);
    return (tx) => R.set(sinter(tx, ks).map(bulk));
  }),
  op("sunion", -2, false, [1, -1, 1], "Returns the union of multiple sets", (ctx, args) => {
    const ks = keysFrom(ctx, args, 1);
    return (tx) => R.set(sunion(tx, ks).map(bulk));
  }),
  op("sdiff", -2, false, [1, -1, 1], "Returns the difference of multiple sets", (ctx, args) => {
    const ks = keysFrom(ctx, args, 1);
    return (tx) => R.set(sdiff(tx, ks).map(bulk));
  }),
  ...(Object.keys(STORES) as (keyof typeof STORES)[]).map((name) =>
    op(
      name,
      -3,
      true,
      [1, -1, 1],
      `Stores the ${name.slice(1, -5)} of multiple sets in a key`,
      (ctx, args) => {
        const dst = keyAt(ctx, args, 1);
        const ks = keysFrom(ctx, args, 2);
        return (tx) => R.integer(storeSet(tx, dst, STORES[name](tx, ks), name));
      },
    ),
  ),
  op(
    "sintercard",
    -3,
    false,
    [0, 0, 0],
    "Returns the number of members of the intersect of multiple sets",
    (ctx, args) => {
      const { keys, limit } = intercardArgs(ctx, args);
      return (tx) => R.integer(sinter(tx, keys, limit).length);
    },
  ),
  op("sscan", -3, false, [1, 1, 1], "Iterates over members of a set", (ctx, args) => {
    const k = keyAt(ctx, args, 1);
    const cursor = ctx.server.scanCursors.fromWire(args[2] as Buffer);
    const { match, count } = scanArgs(args, 3);
    return (tx) => {
      const s = tx.collection(k, "set");
      const page = scanCursor(
        tx,
        s === undefined ? undefined : membersOf(tx, k, s),
        cursor,
        { match, count },
        (m) => m,
      );
      return R.array([R.bulk(ctx.server.scanCursors.toWire(page.cursor)), R.array(page.items.map(bulk))]);
    };
  }),
];
