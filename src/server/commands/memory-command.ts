/**
 * MEMORY USAGE and MEMORY HELP (Redis 7.0's `memory` container). USAGE estimates the bytes a key takes in
 * fusedb's stored form (src/types/key-ops.ts `memoryUsage`): its entry, and for a collection its element
 * entries sampled as Redis samples them (`SAMPLES count`, default 5, 0 for all). Redis's other MEMORY
 * subcommands report its allocator (jemalloc) and are not offered.
 */
import type { Buffer } from "node:buffer";
import { memoryUsage } from "../../types/key-ops.js";
import { int64Arg, keyword } from "../args.js";
import { type CommandSpec, command, helpReply, typedCommand } from "../command-table.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R } from "../resp-writer.js";
import { keyArg } from "./key-commands.js";

/** Elements sampled per collection when SAMPLES is not given (Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES). */
export const MEMORY_SAMPLES_DEFAULT = 5;

/** USAGE's options after the key: `SAMPLES count` (0: every element). @throws CommandError. */
function samplesOf(args: readonly Buffer[]): number {
  let samples = MEMORY_SAMPLES_DEFAULT;
  for (let i = 3; i < args.length; i++) {
    if (keyword(args[i]) !== "SAMPLES" || i + 1 >= args.length) throw new CommandError(ERR.syntax);
    const n = int64Arg(args[++i] as Buffer);
    if (n < 0n) throw new CommandError(ERR.syntax);
    samples = n === 0n || n > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(n);
  }
  return samples;
}

const memorySubcommands: CommandSpec[] = [
  typedCommand({
    name: "usage",
    arity: -3,
    flags: ["readonly"],
    keys: [2, 2, 1],
    group: "server",
    since: "4.0.0",
    summary: "Estimates the bytes a key and its value take (stored entries, elements sampled).",
    complexity: "O(N) where N is the number of samples.",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args[2]);
        const samples = samplesOf(args);
        return (tx) => {
          const bytes = memoryUsage(tx, k, samples);
          return bytes === undefined ? R.null : R.integer(bytes);
        };
      },
    },
  }),
];
const memory = command({
  name: "memory",
  arity: -2,
  flags: [],
  group: "server",
  since: "4.0.0",
  summary: "A container for memory diagnostics commands.",
  subcommands: memorySubcommands,
});
memorySubcommands.push(
  command({
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    since: "4.0.0",
    summary: "Returns helpful text about the different subcommands.",
    handler: () => helpReply(memory),
  }),
);

/** The MEMORY command's table entry. */
export const memoryCommands: CommandSpec[] = [memory];
