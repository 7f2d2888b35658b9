/**
 * Sorted-set range commands (Redis 7.0): ZRANGE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES and its legacy
 * spellings, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*, ZUNION/ZINTER/ZDIFF and their *STORE forms, and
 * ZSCAN. Errors Redis finds only after its key lookups (WEIGHTS not a float, unknown options of the
 * combining commands and of ZSCAN) are raised inside the operation, after the type checks, as Redis does.
 */
import type { Buffer } from "node:buffer";
import { parseLexBound, parseScore, parseScoreBound } from "../../types/score.js";
import { zcard, zcount, zlexcount, zmpop, zrange, zremrange, zscan } from "../../types/zset-ops.js";
import {
  type CombineOptions,
  type SetOp,
  zcombine,
  zintercard,
  zrangestore,
  zstore,
} from "../../types/zset-store.js";
import { keyword } from "../args.js";
import type { CommandSpec } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { formatDouble, R } from "../resp-writer.js";
import { scanArgs } from "../scan-cursors.js";
import {
  bin,
  bulk,
  entriesReply,
  int64Arg,
  keyArg,
  type Prepare,
  parseRange,
  type RangeForm,
  resp3,
  zsetCommand,
} from "./zset-args.js";

/** A ZRANGE-family read. */
function rangePrepare(form: RangeForm): Prepare {
  return (ctx, args) => {
    const k = keyArg(ctx, args);
    const { query, withScores } = parseRange(args, form);
    const nested = resp3(ctx);
    return (tx) => entriesReply(zrange(tx, k, query), withScores, nested);
  };
}

/** The keys and options of ZUNION/ZINTER/ZDIFF (numkeys at `at`), as Redis 7.0 parses them. */
function parseCombine(
  ctx: CommandContext,
  args: readonly Buffer[],
  name: string,
  op: SetOp,
  at: number,
): { keys: string[]; opts: CombineOptions; withScores: boolean } {
  const numkeys = int64Arg(args[at]);
  if (numkeys < 1) throw new CommandError(`ERR at least 1 input key is needed for '${name}' command`);
  if (numkeys > args.length - at - 1) throw new CommandError(ERR.syntax);
  const keys = Array.from({ length: numkeys }, (_, i) => keyArg(ctx, args, at + 1 + i));
  const store = name.endsWith("store");
  let weights: number[] | undefined;
  let aggregate: CombineOptions["aggregate"];
  let withScores = false;
  let deferred: string | undefined;
  for (let j = at + 1 + numkeys; j < args.length && deferred === undefined; ) {
    const remaining = args.length - j;
    const kw = keyword(args[j]);
    if (op !== "diff" && remaining >= numkeys + 1 && kw === "WEIGHTS") {
      weights = [];
      for (j++; weights.length < numkeys; j++) {
        const w = parseScore(bin(args[j]));
        if (w === undefined) {
          deferred = "ERR weight value is not a float";
          break;
        }
        weights.push(w);
      }
    } else if (op !== "diff" && remaining >= 2 && kw === "AGGREGATE") {
      const how = keyword(args[j + 1]).toLowerCase();
      if (how === "sum" || how === "min" || how === "max") aggregate = how;
      else deferred = ERR.syntax;
      j += 2;
    } else if (!store && kw === "WITHSCORES") {
      withScores = true;
      j++;
    } else deferred = ERR.syntax;
  }
  const opts: CombineOptions = {
    ...(weights !== undefined && deferred === undefined ? { weights } : {}),
    ...(aggregate !== undefined ? { aggregate } : {}),
    ...(deferred !== undefined ? { deferred } : {}),
  };
  return { keys, opts, withScores };
}

function storeCommand(op: SetOp, since: string, summary: string): CommandSpec {
  const name = `z${op}store`;
  return zsetCommand(name, -4, ["write", "denyoom"], [1, 1, 1], since, summary, (ctx, args) => {
    const dest = keyArg(ctx, args);
    const { keys, opts } = parseCombine(ctx, args, name, op, 2);
    return (tx) => R.integer(zstore(tx, op, dest, keys, opts));
  });
}

function combineCommand(op: SetOp, summary: string): CommandSpec {
  const name = `z${op}`;
  return zsetCommand(name, -3, ["readonly"], [0, 0, 0], "6.2.0", summary, (ctx, args) => {
    const { keys, opts, withScores } = parseCombine(ctx, args, name, op, 1);
    const nested = resp3(ctx);
    return (tx) => entriesReply(zcombine(tx, op, keys, opts), withScores, nested);
  });
}

/** ZINTERCARD numkeys key [key ...] [LIMIT limit]: option errors deferred past the type checks. */
const zintercardPrepare: Prepare = (ctx, args) => {
  const numkeys = int64Arg(args[1]);
  if (numkeys < 1) throw new CommandError("ERR at least 1 input key is needed for 'zintercard' command");
  if (numkeys > args.length - 2) throw new CommandError(ERR.syntax);
  const keys = Array.from({ length: numkeys }, (_, i) => keyArg(ctx, args, 2 + i));
  let limit = 0;
  let deferred: string | undefined;
  for (let j = 2 + numkeys; j < args.length && deferred === undefined; j += 2) {
    if (args.length - j < 2 || keyword(args[j]) !== "LIMIT") deferred = ERR.syntax;
    else {
      const text = bin(args[j + 1]);
      if (/^(?:0|[1-9]\d*)$/.test(text)) limit = Math.min(Number(text), Number.MAX_SAFE_INTEGER);
      else deferred = "ERR LIMIT can't be negative";
    }
  }
  return (tx) => R.integer(zintercard(tx, keys, limit, deferred));
};

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score], ...]] or a null array. */
const zmpopPrepare: Prepare = (ctx, args) => {
  const text = bin(args[1]);
  if (!/^[1-9]\d*$/.test(text) || text.length > 18)
    throw new CommandError("ERR numkeys should be greater than 0");
  const numkeys = Number(text);
  const whereAt = 2 + numkeys;
  if (whereAt >= args.length) throw new CommandError(ERR.syntax);
  const where = keyword(args[whereAt]);
  if (where !== "MIN" && where !== "MAX") throw new CommandError(ERR.syntax);
  let count: number | undefined;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count !== undefined || keyword(args[j]) !== "COUNT" || j + 1 >= args.length) {
      throw new CommandError(ERR.syntax);
    }
    const c = bin(args[++j]);
    if (!/^[1-9]\d*$/.test(c) || c.length > 18) throw new CommandError("ERR count should be greater than 0");
    count = Number(c);
  }
  const keys = Array.from({ length: numkeys }, (_, i) => keyArg(ctx, args, 2 + i));
  const end = where === "MIN" ? "min" : "max";
  return (tx) => {
    const r = zmpop(tx, keys, end, count ?? 1);
    if (r === undefined) return R.nullArray;
    const userKey = args[2 + keys.indexOf(r.key)] as Buffer;
    return R.array([R.bulk(userKey), entriesReply(r.popped, true, true)]);
  };
};

const RO = ["readonly"] as const;
const RO_FAST = ["readonly", "fast"] as const;
const ONE: [number, number, number] = [1, 1, 1];

export const zsetRangeCommands: CommandSpec[] = [
  zsetCommand(
    "zcount",
    4,
    RO_FAST,
    ONE,
    "2.0.0",
    "Returns the count of members in a sorted set that have scores within a range.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const [min, max] = [parseScoreBound(bin(args[2])), parseScoreBound(bin(args[3]))];
      return (tx) => R.integer(zcount(tx, k, min, max));
    },
  ),
  zsetCommand(
    "zlexcount",
    4,
    RO_FAST,
    ONE,
    "2.8.9",
    "Returns the number of members in a sorted set within a lexicographical range.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const [min, max] = [parseLexBound(bin(args[2])), parseLexBound(bin(args[3]))];
      return (tx) => R.integer(zlexcount(tx, k, min, max));
    },
  ),
  zsetCommand(
    "zrange",
    -4,
    RO,
    ONE,
    "1.2.0",
    "Returns members in a sorted set within a range of indexes.",
    rangePrepare({ src: 1 }),
  ),
  zsetCommand(
    "zrangebyscore",
    -4,
    RO,
    ONE,
    "1.0.5",
    "Returns members in a sorted set within a range of scores.",
    rangePrepare({ src: 1, by: "score", rev: false }),
  ),
  zsetCommand(
    "zrevrangebyscore",
    -4,
    RO,
    ONE,
    "2.2.0",
    "Returns members in a sorted set within a range of scores in reverse order.",
    rangePrepare({ src: 1, by: "score", rev: true }),
  ),
  zsetCommand(
    "zrangebylex",
    -4,
    RO,
    ONE,
    "2.8.9",
    "Returns members in a sorted set within a lexicographical range.",
    rangePrepare({ src: 1, by: "lex", rev: false }),
  ),
  zsetCommand(
    "zrevrangebylex",
    -4,
    RO,
    ONE,
    "2.8.9",
    "Returns members in a sorted set within a lexicographical range in reverse order.",
    rangePrepare({ src: 1, by: "lex", rev: true }),
  ),
  zsetCommand(
    "zrevrange",
    -4,
    RO,
    ONE,
    "1.2.0",
    "Returns members in a sorted set within a range of indexes in reverse order.",
    rangePrepare({ src: 1, by: "rank", rev: true }),
  ),
  zsetCommand(
    "zrangestore",
    -5,
    ["write", "denyoom"],
    [1, 2, 1],
    "6.2.0",
    "Stores a range of members from sorted set in a key.",
    (ctx, args) => {
      const dest = keyArg(ctx, args);
      const src = keyArg(ctx, args, 2);
      const { query } = parseRange(args, { src: 2, store: true });
      return (tx) => R.integer(zrangestore(tx, dest, src, query));
    },
  ),
  zsetCommand(
    "zremrangebyrank",
    4,
    ["write"],
    ONE,
    "2.0.0",
    "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const [start, stop] = [int64Arg(args[2]), int64Arg(args[3])];
      return (tx) => R.integer(zremrange(tx, k, { by: "rank", start, stop }));
    },
  ),
  zsetCommand(
    "zremrangebyscore",
    4,
    ["write"],
    ONE,
    "1.2.0",
    "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const [min, max] = [parseScoreBound(bin(args[2])), parseScoreBound(bin(args[3]))];
      return (tx) => R.integer(zremrange(tx, k, { by: "score", min, max }));
    },
  ),
  zsetCommand(
    "zremrangebylex",
    4,
    ["write"],
    ONE,
    "2.8.9",
    "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const [min, max] = [parseLexBound(bin(args[2])), parseLexBound(bin(args[3]))];
      return (tx) => R.integer(zremrange(tx, k, { by: "lex", min, max }));
    },
  ),
  storeCommand("union", "2.0.0", "Stores the union of multiple sorted sets in a key."),
  storeCommand("inter", "2.0.0", "Stores the intersect of multiple sorted sets in a key."),
  storeCommand("diff", "6.2.0", "Stores the difference of multiple sorted sets in a key."),
  combineCommand("union", "Returns the union of multiple sorted sets."),
  combineCommand("inter", "Returns the intersect of multiple sorted sets."),
  combineCommand("diff", "Returns the difference between multiple sorted sets."),
  zsetCommand(
    "zintercard",
    -3,
    RO,
    [0, 0, 0],
    "7.0.0",
    "Returns the number of members of the intersect of multiple sorted sets.",
    zintercardPrepare,
  ),
  zsetCommand(
    "zmpop",
    -4,
    ["write"],
    [0, 0, 0],
    "7.0.0",
    "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
    zmpopPrepare,
  ),
  zsetCommand(
    "zscan",
    -3,
    RO,
    ONE,
    "2.8.0",
    "Iterates over members and scores of a sorted set.",
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const cursor = ctx.server.scanCursors.fromWire(args[2] as Buffer);
      return (tx) => {
        if (zcard(tx, k) === 0) return R.array([bulk("0"), R.array([])]);
        // Redis reads MATCH and COUNT after the key's type check.
        const page = zscan(tx, k, cursor, scanArgs(args, 3));
        const items = page.items.flatMap(([m, s]) => [bulk(m), bulk(formatDouble(s))]);
        return R.array([bulk(ctx.server.scanCursors.toWire(page.cursor)), R.array(items)]);
      };
    },
  ),
];
