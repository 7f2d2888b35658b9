/**
 * The blocking sorted-set pops (Redis 7.0): BZPOPMIN, BZPOPMAX and BZMPOP (how they block:
 * blocking-command.ts). Replies: BZPOPMIN/BZPOPMAX [key, member, score]; BZMPOP [key, [[member, score],
 * ...]] (ZMPOP's shape); a score is a double in RESP3 and its text in RESP2; nothing there (a timeout, or
 * inside MULTI) is a null array.
 */
import type { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import type { ZEntry } from "../../types/zset-index.js";
import { zpopTake } from "../../types/zset-ops.js";
import type { CommandSpec } from "../command-table.js";
import { R } from "../resp-writer.js";
import { type BlockingCall, blockingCommand, parseMpop, timeoutArg } from "./blocking-command.js";
import { bulk, entriesReply, keyArg } from "./zset-args.js";

const G = { group: "sorted_set" } as const;

/** BZPOPMIN/BZPOPMAX key [key ...] timeout. */
function bzpop(end: "min" | "max"): CommandSpec {
  return blockingCommand(
    {
      name: `bzpop${end}`,
      arity: -3,
      flags: ["write", "noscript", "fast", "blocking"],
      keys: [1, -2, 1],
      ...G,
      since: "5.0.0",
      summary: `Removes and returns the member with the ${end === "min" ? "lowest" : "highest"} score from one or more sorted sets; blocks until a member is available otherwise; deletes the sorted set if the last element was popped`,
    },
    (ctx, args): BlockingCall<ZEntry[]> => {
      const timeoutMs = timeoutArg(args[args.length - 1]);
      const keyArgs = args.slice(1, -1);
      const keys: KeyString[] = keyArgs.map((_, i) => keyArg(ctx, args, i + 1));
      return {
        keys,
        type: "zset",
        take: zpopTake(keys, end, 1),
        timeoutMs,
        reply: (i, [e]) => {
          const [member, score] = e as ZEntry;
          return R.array([R.bulk(keyArgs[i] as Buffer), bulk(member), R.double(score)]);
        },
        none: R.nullArray,
      };
    },
  );
}

export const zsetBlockingCommands: CommandSpec[] = [
  bzpop("min"),
  bzpop("max"),
  blockingCommand(
    {
      name: "bzmpop",
      arity: -5,
      flags: ["write", "blocking"],
      ...G,
      since: "7.0.0",
      summary:
        "Removes and returns a member by score from one or more sorted sets; blocks until a member is available otherwise; deletes the sorted set if the last element was popped",
    },
    (ctx, args): BlockingCall<ZEntry[]> => {
      const { keyAt, end, count } = parseMpop(args, 2, ["MIN", "MAX"]);
      const keys = keyAt.map((i) => keyArg(ctx, args, i));
      return {
        keys,
        type: "zset",
        take: zpopTake(keys, end === 0 ? "min" : "max", count),
        timeoutMs: timeoutArg(args[1]),
        reply: (i, popped) =>
          R.array([R.bulk(args[keyAt[i] as number] as Buffer), entriesReply(popped, true, true)]),
        none: R.nullArray,
      };
    },
  ),
];
