/**
 * Sorted-set commands (Redis 7.0, redis.io/commands/?group=sorted-set) on the engine's sorted sets
 * (src/types/zset-ops.ts): each a pure operation run as one engine call (EXEC-composable). This file holds
 * the point commands, ranks, pops and random members; ranges, stores and ZSCAN are in
 * zset-range-commands.ts. Metadata (arity, flags, key positions, since) as Redis 7.0's COMMAND INFO.
 */
import type { Buffer } from "node:buffer";
import { parseScore } from "../../types/score.js";
import type { ZEntry } from "../../types/zset-index.js";
import {
  checkZAdd,
  type ZAddFlags,
  zadd,
  zcard,
  zincrby,
  zpop,
  zrandmember,
  zrank,
  zrem,
  zscore,
} from "../../types/zset-ops.js";
import { keyword } from "../args.js";
import type { CommandSpec } from "../command-table.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R } from "../resp-writer.js";
import {
  bin,
  bulk,
  entriesReply,
  int64Arg,
  isInt64Min,
  keyArg,
  type Prepare,
  resp3,
  scoreReply,
  zsetCommand,
} from "./zset-args.js";
import { zsetRangeCommands } from "./zset-range-commands.js";

const ZADD_FLAGS: Record<string, keyof ZAddFlags> = {
  NX: "nx",
  XX: "xx",
  CH: "ch",
  INCR: "incr",
  GT: "gt",
  LT: "lt",
};

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], checked as Redis 7.0 does. */
const zaddPrepare: Prepare = (ctx, args) => {
  const k = keyArg(ctx, args);
  const flags: Partial<Record<keyof ZAddFlags, boolean>> = {};
  let i = 2;
  for (; i < args.length; i++) {
    const flag = ZADD_FLAGS[keyword(args[i])];
    if (flag === undefined) break;
    flags[flag] = true;
  }
  const elements = args.length - i;
  if (elements === 0 || elements % 2 !== 0) throw new CommandError(ERR.syntax);
  const pairs: [number, string][] = [];
  for (; i < args.length; i += 2) pairs.push([parseScore(bin(args[i])) ?? Number.NaN, bin(args[i + 1])]);
  checkZAdd(pairs, flags);
  return (tx) => {
    const r = zadd(tx, k, pairs, flags);
    return flags.incr ? scoreReply(r) : R.integer(r as number);
  };
};

/** A score argument (ZINCRBY's increment): "ERR value is not a valid float" when strtod refuses it. */
function scoreArg(arg: Buffer | undefined): number {
  const s = parseScore(bin(arg));
  if (s === undefined) throw new CommandError(ERR.notFloat);
  return s;
}

/** ZPOPMIN/ZPOPMAX key [count]: a flat pair without a count; pairs (nested in RESP3) with one. */
function zpopPrepare(end: "min" | "max"): Prepare {
  return (ctx, args) => {
    if (args.length > 3) throw new CommandError(ERR.syntax);
    const k = keyArg(ctx, args);
    const count = args.length === 3 ? int64Arg(args[2]) : undefined;
    const nested = resp3(ctx) && count !== undefined;
    return (tx) => entriesReply(zpop(tx, k, end, count), true, nested);
  };
}

/** ZRANDMEMBER key [count [WITHSCORES]], with Redis 7.0's range checks on the count. */
const zrandmemberPrepare: Prepare = (ctx, args) => {
  const k = keyArg(ctx, args);
  if (args.length === 2) {
    return (tx) => {
      const one = zrandmember(tx, k) as ZEntry | undefined;
      return one === undefined ? R.null : bulk(one[0]);
    };
  }
  const count = int64Arg(args[2]);
  if (isInt64Min(args[2])) {
    throw new CommandError(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  if (args.length > 4 || (args.length === 4 && keyword(args[3]) !== "WITHSCORES")) {
    throw new CommandError(ERR.syntax);
  }
  const withScores = args.length === 4;
  if (withScores && BigInt(bin(args[2])) ** 2n > (2n ** 62n - 1n) ** 2n)
    throw new CommandError("ERR value is out of range");
  const nested = resp3(ctx);
  return (tx) => entriesReply(zrandmember(tx, k, count) as ZEntry[], withScores, nested);
};

const RW = ["write", "denyoom", "fast"] as const;
const RO = ["readonly", "fast"] as const;
const ONE: [number, number, number] = [1, 1, 1];

export const zsetCommands: CommandSpec[] = [
  zsetCommand(
    "zadd",
    -4,
    RW,
    ONE,
    "1.2.0",
    "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
    zaddPrepare,
  ),
  zsetCommand(
    "zincrby",
    4,
    RW,
    ONE,
    "1.2.0",
    "Increments the score of a member in a sorted set.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const incr = scoreArg(args[2]);
      const m = bin(args[3]);
      return (tx) => R.double(zincrby(tx, k, incr, m));
    },
  ),
  zsetCommand(
    "zrem",
    -3,
    ["write", "fast"],
    ONE,
    "1.2.0",
    "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const ms = args.slice(2).map(bin);
      return (tx) => R.integer(zrem(tx, k, ms));
    },
  ),
  zsetCommand(
    "zscore",
    3,
    RO,
    ONE,
    "1.2.0",
    "Returns the score of a member in a sorted set.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const m = bin(args[2]);
      return (tx) => scoreReply(zscore(tx, k, m));
    },
  ),
  zsetCommand(
    "zmscore",
    -3,
    RO,
    ONE,
    "6.2.0",
    "Returns the score of one or more members in a sorted set.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const ms = args.slice(2).map(bin);
      return (tx) => R.array(ms.map((m) => scoreReply(zscore(tx, k, m))));
    },
  ),
  zsetCommand("zcard", 2, RO, ONE, "1.2.0", "Returns the number of members in a sorted set.", (ctx, args) => {
    const k = keyArg(ctx, args);
    return (tx) => R.integer(zcard(tx, k));
  }),
  ...(["zrank", "zrevrank"] as const).map((name) =>
    zsetCommand(
      name,
      3,
      RO,
      ONE,
      "2.0.0",
      `Returns the index of a member in a sorted set ordered by ${name === "zrank" ? "ascending" : "descending"} scores.`,
      (ctx, args) => {
        const k = keyArg(ctx, args);
        const m = bin(args[2]);
        return (tx) => {
          const r = zrank(tx, k, m, name === "zrevrank");
          return r === undefined ? R.null : R.integer(r);
        };
      },
    ),
  ),
  zsetCommand(
    "zpopmin",
    -2,
    ["write", "fast"],
    ONE,
    "5.0.0",
    "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    zpopPrepare("min"),
  ),
  zsetCommand(
    "zpopmax",
    -2,
    ["write", "fast"],
    ONE,
    "5.0.0",
    "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
    zpopPrepare("max"),
  ),
  zsetCommand(
    "zrandmember",
    -2,
    ["readonly"],
    ONE,
    "6.2.0",
    "Returns one or more random members from a sorted set.",
    zrandmemberPrepare,
  ),
  ...zsetRangeCommands,
];
