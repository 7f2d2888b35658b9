/**
 * The blocking list pops (Redis 7.0): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (how they block:
 * blocking-command.ts), and LMPOP, the non-blocking form of BLMPOP. Replies: BLPOP/BRPOP [key, element];
 * BLMOVE/BRPOPLPUSH the element; LMPOP/BLMPOP [key, [element, ...]]; nothing there is a null array, but a
 * BLMOVE/BRPOPLPUSH inside MULTI that finds nothing answers a null bulk.
 */
import type { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import { type ListEnd, moveTake, popTake } from "../../types/list-ops.js";
import { popFirst } from "../../types/pop-waiters.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { R, type Reply } from "../resp-writer.js";
import { type BlockingCall, blockingCommand, parseMpop, timeoutArg } from "./blocking-command.js";
import { bulkOf, endArg, keyArg } from "./list-commands.js";

const G = { group: "list" } as const;

/** [key, [element, ...]]: the reply of LMPOP/BLMPOP. */
function mpopReply(keyArg: Buffer, elements: readonly string[]): Reply {
  return R.array([R.bulk(keyArg), R.array(elements.map(bulkOf))]);
}

/** BLPOP/BRPOP key [key ...] timeout. */
function bpop(end: ListEnd): CommandSpec {
  const name = end === "left" ? "blpop" : "brpop";
  return blockingCommand(
    {
      name,
      arity: -3,
      flags: ["write", "noscript", "blocking"],
      keys: [1, -2, 1],
      ...G,
      since: "2.0.0",
      summary: `Removes and returns the ${end === "left" ? "first" : "last"} element in a list; blocks until an element is available otherwise; deletes the list if the last element was popped`,
    },
    (ctx, args): BlockingCall<string[]> => {
      const timeoutMs = timeoutArg(args[args.length - 1]);
      const keyArgs = args.slice(1, -1);
      const keys: KeyString[] = keyArgs.map((_, i) => keyArg(ctx, args, i + 1));
      return {
        keys,
        type: "list",
        take: popTake(keys, end, 1, name),
        timeoutMs,
        reply: (i, [e]) => R.array([R.bulk(keyArgs[i] as Buffer), bulkOf(e)]),
        none: R.nullArray,
      };
    },
  );
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH source destination timeout. */
function bmove(name: "blmove" | "brpoplpush"): CommandSpec {
  const blmove = name === "blmove";
  return blockingCommand(
    {
      name,
      arity: blmove ? 6 : 4,
      flags: ["write", "denyoom", "noscript", "blocking"],
      keys: [1, 2, 1],
      ...G,
      since: blmove ? "6.2.0" : "2.2.0",
      summary: blmove
        ? "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise; deletes the list if the last element was moved"
        : "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise; deletes the list if the last element was popped",
    },
    (ctx, args): BlockingCall<string> => {
      const [from, to]: [ListEnd, ListEnd] = blmove ? [endArg(args[3]), endArg(args[4])] : ["right", "left"];
      const timeoutMs = timeoutArg(args[args.length - 1]);
      const [source, destination] = [keyArg(ctx, args, 1), keyArg(ctx, args, 2)];
      return {
        keys: [source],
        type: "list",
        take: moveTake(source, destination, from, to),
        timeoutMs,
        reply: (_, e) => bulkOf(e),
        none: R.null,
      };
    },
  );
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] from `at` (1: LMPOP; 2: BLMPOP after its timeout). */
function parseLmpop(ctx: CommandContext, args: readonly Buffer[], at: number) {
  const { keyAt, end, count } = parseMpop(args, at, ["LEFT", "RIGHT"]);
  const keys = keyAt.map((i) => keyArg(ctx, args, i));
  const from: ListEnd = end === 0 ? "left" : "right";
  const take = popTake(keys, from, count, from === "left" ? "lpop" : "rpop");
  const reply = (i: number, elements: string[]) => mpopReply(args[keyAt[i] as number] as Buffer, elements);
  return { keys, take, reply };
}

export const listBlockingCommands: CommandSpec[] = [
  bpop("left"),
  bpop("right"),
  bmove("blmove"),
  bmove("brpoplpush"),
  blockingCommand(
    {
      name: "blmpop",
      arity: -5,
      flags: ["write", "blocking"],
      ...G,
      since: "7.0.0",
      summary:
        "Pops the first element from one of multiple lists; blocks until an element is available otherwise; deletes the list if the last element was popped",
    },
    (ctx, args): BlockingCall<string[]> => {
      const { keys, take, reply } = parseLmpop(ctx, args, 2);
      return { keys, type: "list", take, timeoutMs: timeoutArg(args[1]), reply, none: R.nullArray };
    },
  ),
  typedCommand({
    name: "lmpop",
    arity: -4,
    flags: ["write"],
    ...G,
    since: "7.0.0",
    summary:
      "Returns multiple elements from a list after removing them; deletes the list if the last element was popped",
    typed: {
      write: true,
      prepare: (ctx, args) => {
        const p = parseLmpop(ctx, args, 1);
        return (tx) => {
          const got = popFirst(
            tx,
            { ...p, type: "list" },
            p.keys.map((_, i) => i),
          );
          return got === undefined ? R.nullArray : p.reply(got.index, got.value);
        };
      },
    },
  }),
];
