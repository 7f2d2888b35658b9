/**
 * Hash commands (Redis 7.0, redis.io/commands/?group=hash) on the engine's hashes (src/types/hashes.ts):
 * each a pure operation run as one engine call, and one step of EXEC's single atomic call.
 *
 * HRANDFIELD draws from a seed taken when the command is prepared (the database's seed sequence,
 * src/types/random.ts), so a rerun of its operation draws the same. HSCAN replies integer cursors that
 * stand for the engine's cursors through the server's bounded cursor table (src/server/scan-cursors.ts).
 */
import type { Buffer } from "node:buffer";
import { bytesOf } from "../../types/encoding.js";
import {
  allFields,
  hdel,
  hget,
  hincrby,
  hincrbyfloat,
  hrandfield,
  hset,
  hsetnx,
} from "../../types/hashes.js";
import { randomSource } from "../../types/random.js";
import { SCAN_COUNT_MAX, scanCursor } from "../../types/scan-cursor.js";
import type { Txn } from "../../types/txn.js";
import { keyword } from "../args.js";
import { type CommandFlag, type CommandSpec, type TypedOp, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

import { bin, bulkOf, int64Arg, keyArg } from "./typed-args.js";

const READ_FAST = ["readonly", "fast"] as const;
const WRITE_FAST = ["write", "denyoom", "fast"] as const;

/** One hash command's spec (Redis 7.0's COMMAND INFO metadata) running `prepare`'s operation. */
function hashCommand(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  since: string,
  summary: string,
  write: boolean,
  prepare: TypedOp["prepare"],
): CommandSpec {
  return typedCommand({
    name,
    arity,
    flags,
    keys: [1, 1, 1],
    group: "hash",
    since,
    summary,
    typed: { write, prepare },
  });
}

/** An operation on the command's key and its other arguments as binary strings. */
function onKey(op: (tx: Txn, k: string, rest: string[]) => Reply): TypedOp["prepare"] {
  return (ctx: CommandContext, args: readonly Buffer[]) => {
    const k = keyArg(ctx, args);
    const rest = args.slice(2).map(bin);
    return (tx) => op(tx, k, rest);
  };
}

/** HSET/HMSET's field-value pairs. @throws CommandError (Redis's arity error) on an odd count. */
function pairsOf(args: readonly Buffer[], name: string): [string, string][] {
  if (args.length % 2 !== 0) throw new CommandError(`ERR wrong number of arguments for '${name}' command`);
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([bin(args[i]), bin(args[i + 1])]);
  return pairs;
}

/** The fields (and values) of a whole hash, or none. */
function whole(tx: Txn, k: string): [string, string][] {
  const h = tx.collection(k, "hash");
  return h === undefined ? [] : allFields(tx, k, h);
}

/** Redis 7.0 takes HRANDFIELD's count in [-(2^63-1), 2^63-1], and with WITHVALUES |count| ≤ 2^62-ish. */
const COUNT_RANGE =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
const LONG_MAX_HALF = (2n ** 63n - 1n) / 2n;

function hrandfieldCommand(ctx: CommandContext, args: readonly Buffer[]): (tx: Txn) => Reply {
  const k = keyArg(ctx, args);
  const seed = ctx.server.db.types.seeds.next();
  if (args.length === 2) {
    return (tx) => bulkOf(hrandfield(tx, k, undefined, randomSource(seed))?.[0]?.[0]);
  }
  const count = int64Arg(args[2]);
  if (count < -(2n ** 63n - 1n)) throw new CommandError(COUNT_RANGE);
  if (args.length > 4 || (args.length === 4 && keyword(args[3]) !== "WITHVALUES")) {
    throw new CommandError(ERR.syntax);
  }
  const withValues = args.length === 4;
  if (withValues && (count < -LONG_MAX_HALF || count > LONG_MAX_HALF)) {
    throw new CommandError("ERR value is out of range");
  }
  // Beyond the safe integers a count means "all of them" (positive) or more draws than allowed (negative).
  const n = Number(count);
  const resp3 = ctx.client.protocol === 3;
  return (tx) => {
    const pairs = hrandfield(tx, k, n, randomSource(seed)) ?? [];
    if (!withValues) return R.array(pairs.map(([f]) => bulkOf(f)));
    if (resp3) return R.array(pairs.map(([f, v]) => R.array([bulkOf(f), bulkOf(v)])));
    return R.array(pairs.flatMap(([f, v]) => [bulkOf(f), bulkOf(v)]));
  };
}

/**
 * HSCAN in Redis 7.0's order: the cursor is checked first ("ERR invalid cursor"), then the key (an absent
 * key answers an empty page whatever the options), then MATCH and COUNT (COUNT < 1: syntax error).
 */
function hscanCommand(ctx: CommandContext, args: readonly Buffer[]): (tx: Txn) => Reply {
  const k = keyArg(ctx, args);
  const cursors = ctx.server.scanCursors;
  const cursor = cursors.fromWire(args[2] as Buffer);
  return (tx) => {
    const h = tx.collection(k, "hash");
    if (h === undefined) return R.array([R.bulk("0"), R.array([])]);
    let match: Buffer | undefined;
    let count = 10;
    for (let i = 3; i < args.length; i += 2) {
      const opt = keyword(args[i]);
      const value = args[i + 1];
      if (value === undefined) throw new CommandError(ERR.syntax);
      if (opt === "COUNT") {
        const c = int64Arg(value);
        if (c < 1n) throw new CommandError(ERR.syntax);
        count = Number(c > BigInt(SCAN_COUNT_MAX) ? SCAN_COUNT_MAX : c);
      } else if (opt === "MATCH") match = value.length === 1 && value[0] === 0x2a ? undefined : value;
      else throw new CommandError(ERR.syntax);
    }
    const prefix = tx.prefix(k, h.meta, "h");
    const page = scanCursor(tx, prefix, cursor, { match, count }, (f, v) => [f, v as string] as const);
    const items = page.items.flatMap(([f, v]) => [R.bulk(bytesOf(f)), R.bulk(bytesOf(v))]);
    return R.array([R.bulk(cursors.toWire(page.cursor)), R.array(items)]);
  };
}

export const hashCommands: CommandSpec[] = [
  hashCommand(
    "hset",
    -4,
    WRITE_FAST,
    "2.0.0",
    "Sets the values of one or more fields in a hash",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const pairs = pairsOf(args, "hset");
      return (tx) => R.integer(hset(tx, k, pairs));
    },
  ),
  hashCommand("hmset", -4, WRITE_FAST, "2.0.0", "Sets the values of multiple fields", true, (ctx, args) => {
    const k = keyArg(ctx, args);
    const pairs = pairsOf(args, "hmset");
    return (tx) => {
      hset(tx, k, pairs);
      return R.ok;
    };
  }),
  hashCommand(
    "hsetnx",
    4,
    WRITE_FAST,
    "2.0.0",
    "Sets the value of a field in a hash only when the field doesn't exist",
    true,
    onKey((tx, k, [f, v]) => R.integer(hsetnx(tx, k, f as string, v as string) ? 1 : 0)),
  ),
  hashCommand(
    "hget",
    3,
    READ_FAST,
    "2.0.0",
    "Returns the value of a field in a hash",
    false,
    onKey((tx, k, [f]) => bulkOf(hget(tx, k, f as string))),
  ),
  hashCommand(
    "hmget",
    -3,
    READ_FAST,
    "2.0.0",
    "Returns the values of all fields in a hash",
    false,
    onKey((tx, k, fields) => R.array(fields.map((f) => bulkOf(hget(tx, k, f))))),
  ),
  hashCommand(
    "hdel",
    -3,
    ["write", "fast"],
    "2.0.0",
    "Deletes one or more fields and their values from a hash",
    true,
    onKey((tx, k, fields) => R.integer(hdel(tx, k, fields))),
  ),
  hashCommand(
    "hexists",
    3,
    READ_FAST,
    "2.0.0",
    "Determines whether a field exists in a hash",
    false,
    onKey((tx, k, [f]) => R.integer(hget(tx, k, f as string) === undefined ? 0 : 1)),
  ),
  hashCommand(
    "hlen",
    2,
    READ_FAST,
    "2.0.0",
    "Returns the number of fields in a hash",
    false,
    onKey((tx, k) => R.integer(tx.collection(k, "hash")?.meta.n ?? 0)),
  ),
  hashCommand(
    "hstrlen",
    3,
    READ_FAST,
    "3.2.0",
    "Returns the length of the value of a field",
    false,
    onKey((tx, k, [f]) => R.integer(hget(tx, k, f as string)?.length ?? 0)),
  ),
  hashCommand(
    "hgetall",
    2,
    ["readonly"],
    "2.0.0",
    "Returns all fields and values in a hash",
    false,
    onKey((tx, k) => R.map(whole(tx, k).map(([f, v]) => [bulkOf(f), bulkOf(v)] as const))),
  ),
  hashCommand(
    "hkeys",
    2,
    ["readonly"],
    "2.0.0",
    "Returns all fields in a hash",
    false,
    onKey((tx, k) => R.array(whole(tx, k).map(([f]) => bulkOf(f)))),
  ),
  hashCommand(
    "hvals",
    2,
    ["readonly"],
    "2.0.0",
    "Returns all values in a hash",
    false,
    onKey((tx, k) => R.array(whole(tx, k).map(([, v]) => bulkOf(v)))),
  ),
  hashCommand(
    "hincrby",
    4,
    WRITE_FAST,
    "2.0.0",
    "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const f = bin(args[2]);
      const delta = int64Arg(args[3]);
      return (tx) => R.integer(hincrby(tx, k, f, delta));
    },
  ),
  hashCommand(
    "hincrbyfloat",
    4,
    WRITE_FAST,
    "2.6.0",
    "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist",
    true,
    onKey((tx, k, [f, incr]) => R.bulk(hincrbyfloat(tx, k, f as string, incr as string))),
  ),
  hashCommand(
    "hrandfield",
    -2,
    ["readonly"],
    "6.2.0",
    "Returns one or more random fields from a hash",
    false,
    hrandfieldCommand,
  ),
  hashCommand(
    "hscan",
    -3,
    ["readonly"],
    "2.8.0",
    "Iterates over fields and values of a hash",
    false,
    hscanCommand,
  ),
];
