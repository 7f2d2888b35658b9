/**
 * OBJECT (Redis 7.0 object.c), the subcommands that mean something here: REFCOUNT and HELP.
 *
 * - `OBJECT REFCOUNT key`: the number of references to the key's value — nil for a missing key, else 1:
 *   fusedb never shares one stored value between keys (Redis shares small integers, which answer
 *   2147483647 there; COPY here writes a value of its own, as Redis's COPY does for every type).
 * - ENCODING, IDLETIME and FREQ describe Redis's internal representations and its LRU/LFU clocks, which
 *   fusedb does not have (one representation per type, no access times, as TOUCH's entry says): they get
 *   the table's unknown-subcommand error, as Redis gives for a subcommand it does not know.
 */
import { type CommandSpec, command, helpReply, typedCommand } from "../command-table.js";
import { R } from "../resp-writer.js";
import { keyArg } from "./key-commands.js";

/** The reference count of every stored value (see the module comment). */
const REFCOUNT_OWNED = 1;

const subcommands: CommandSpec[] = [
  typedCommand({
    name: "refcount",
    arity: 3,
    flags: ["readonly"],
    keys: [2, 2, 1],
    group: "generic",
    since: "2.2.3",
    summary: "Returns the reference count of a value of a key.",
    complexity: "O(1)",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const k = keyArg(ctx, args[2]);
        return (tx) => (tx.live(k) === undefined ? R.null : R.integer(REFCOUNT_OWNED));
      },
    },
  }),
];

const objectCommand = command({
  name: "object",
  arity: -2,
  flags: [],
  group: "generic",
  since: "2.2.3",
  summary: "A container for object introspection commands.",
  complexity: "Depends on subcommand.",
  subcommands,
});
subcommands.push(
  command({
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "generic",
    since: "6.2.0",
    summary: "Returns helpful text about the different subcommands.",
    complexity: "O(1)",
    handler: () => helpReply(objectCommand),
  }),
);

/** OBJECT's table entry. */
export const objectCommands: CommandSpec[] = [objectCommand];
