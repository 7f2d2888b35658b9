/**
 * The command table: one entry per command (and per subcommand of a container like CLIENT) with Redis's
 * metadata — arity, flags, first/last key and step — and its handler, as Redis's commands.def. It drives
 * dispatch (with Redis's exact errors for unknown commands, unknown subcommands and wrong arity) and the
 * replies of COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS), so what clients read and what runs never differ.
 *
 * Arity counts the command name: `n` means exactly n arguments, `-n` at least n. Key positions are
 * argument indexes (1 = the first after the name); lastKey -1 means the last argument; 0/0/0 means no keys.
 */
import type { Buffer } from "node:buffer";
import { assert, type Json, type Mutation } from "../index.js";
import type { Txn } from "../types/txn.js";
import type { CommandContext } from "./context.js";
import { R, type Reply } from "./resp-writer.js";

/** A handler's result: a reply, or {@link NO_REPLY} (CLIENT REPLY OFF/SKIP, SHUTDOWN). */
export const NO_REPLY = Symbol("no reply");
export type HandlerResult = Reply | typeof NO_REPLY;
export type Handler = (
  ctx: CommandContext,
  args: readonly Buffer[],
) => HandlerResult | Promise<HandlerResult>;

/** Redis's command flags (COMMAND INFO), those that apply here. */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "no_multi"
  | "allow_busy";

/** Redis's command groups (COMMAND DOCS). fusedb's own and JSON commands are "module". */
export type CommandGroup =
  | "connection"
  | "server"
  | "generic"
  | "module"
  | "pubsub"
  | "transactions"
  | "scripting"
  | "string"
  | "hash"
  | "list"
  | "set"
  | "sorted_set";

/** A blind command as one engine mutation, for EXEC's single batch (src/server/transaction.ts). */
export interface BatchStep {
  readonly mutation: Mutation;
  /** The command's reply, from its mutation's result in the batch. */
  reply(result: { version: number; value: Json | undefined }): Reply;
}

/** One command or subcommand. */
export interface CommandSpec {
  /** Lowercase name; a subcommand's own name (`list`), its full name is `client|list`. */
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly group: CommandGroup;
  /** The Redis (or fusedb) version that introduced it. */
  readonly since: string;
  readonly summary: string;
  readonly complexity?: string;
  /** Absent on containers with `subcommands`, except one that also answers when called bare (COMMAND). */
  readonly handler?: Handler;
  readonly subcommands?: readonly CommandSpec[];
  /**
   * Pipelining (src/server/connection.ts): true when, for these arguments, the handler's first engine call
   * is a mutation made synchronously when it starts and it reads nothing before, so it may start while
   * earlier blind commands of its connection are still waiting for their fdatasync. Default: never.
   */
  readonly blind?: (args: readonly Buffer[]) => boolean;
  /**
   * For a command that is blind for these arguments: the one engine mutation it makes and how the result
   * becomes its reply, so EXEC can commit several such commands as one batch. Must mean exactly what the
   * handler does. @throws CommandError for arguments the handler would refuse.
   */
  readonly mutation?: (ctx: CommandContext, args: readonly Buffer[]) => BatchStep | undefined;
  /** Runs alone: every other command on every connection finishes first, none starts meanwhile. */
  readonly exclusive?: boolean;
  /**
   * A data-type command as one pure operation over the engine's types (src/types/): `prepare` parses the
   * arguments (throwing CommandError for bad ones, before any engine call) and returns the operation, which
   * the handler runs as one engine call (`db.types.write` or, for a read, `db.types.read`; inside BEGIN, one
   * `tx.typed` call of the connection's transaction) and which EXEC
   * runs with the other queued ones in one atomic call. Built by {@link typedCommand}.
   */
  readonly typed?: TypedOp;
}

/** See {@link CommandSpec.typed}. */
export interface TypedOp {
  /** Whether the operation may write (runs through the commit pipeline). */
  readonly write: boolean;
  readonly prepare: (ctx: CommandContext, args: readonly Buffer[]) => (tx: Txn) => Reply;
}

/**
 * A data-type command: its spec with a handler that runs `typed` as one engine call (see
 * {@link CommandSpec.typed}); a writing one is blind (pipelined behind earlier writes awaiting fdatasync).
 */
export function typedCommand(
  def: Omit<CommandSpec, "firstKey" | "lastKey" | "keyStep" | "handler" | "typed"> & {
    keys?: readonly [number, number, number];
    typed: TypedOp;
  },
): CommandSpec {
  const { typed } = def;
  const handler: Handler = (ctx, args) => {
    const op = typed.prepare(ctx, args);
    // Inside BEGIN: one call of the connection's transaction (src/server/data-access.ts).
    const tx = ctx.client.transactionBlock.open;
    if (tx !== undefined) return tx.typed(op, { write: typed.write });
    const types = ctx.server.db.types;
    // A read memory answers replies synchronously (no promise, no async frame); see TypesRunner.readNow.
    return typed.write ? types.write(op) : types.readNow(op);
  };
  // A typed write's first engine call is its operation, made synchronously when the handler starts, and it
  // resolves on the newest state (pending writes included): so it may start while earlier writes of its
  // connection await their fdatasync (pipelining) and still sees them, in order.
  const blind = def.blind ?? (typed.write ? () => true : undefined);
  return command({ ...def, handler, blind });
}

/** A command looked up for its arguments: its spec and full name, or the error to reply with. */
export type Resolved =
  | { spec: CommandSpec; fullName: string }
  | {
      error: string;
      /** Set when the command exists (wrong arity): its INFO commandstats count the rejection. */
      fullName?: string;
    };

const ARGS_SHOWN_BYTES = 128;
/** Longer first arguments skip the fast lookup of {@link CommandTable.resolve} (no command name is longer). */
const PLAIN_NAME_BYTES_MAX = 32;

function lowerName(arg: Buffer): string {
  return arg.toString("latin1").toLowerCase();
}

/** `arg`'s first `max` bytes as text (UTF-8 where valid). */
function shown(arg: Buffer, max: number): string {
  return arg.subarray(0, max).toString("utf8");
}

/** See the module comment. */
export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  private readonly subs = new Map<string, Map<string, CommandSpec>>();
  /**
   * Per-request fast path of {@link resolve}: a command without subcommands by its name as clients send it
   * (lowercase and uppercase), with its arity-checked resolution, shared by every call (immutable).
   */
  private readonly plain = new Map<string, { spec: CommandSpec; ok: Resolved }>();

  /** @throws on a duplicate name or inconsistent metadata (a bug in the table, not in input). */
  constructor(specs: readonly CommandSpec[]) {
    for (const spec of specs) {
      assert(!this.byName.has(spec.name), `command ${spec.name} is defined once`);
      checkSpec(spec);
      this.byName.set(spec.name, spec);
      if (spec.subcommands === undefined) {
        const entry = { spec, ok: Object.freeze({ spec, fullName: spec.name }) };
        this.plain.set(spec.name, entry);
        this.plain.set(spec.name.toUpperCase(), entry);
      }
      if (spec.subcommands !== undefined) {
        const map = new Map<string, CommandSpec>();
        for (const sub of spec.subcommands) {
          assert(!map.has(sub.name), `subcommand ${spec.name}|${sub.name} is defined once`);
          checkSpec(sub);
          map.set(sub.name, sub);
        }
        this.subs.set(spec.name, map);
      }
    }
  }

  /** Top-level commands, in table order. */
  all(): CommandSpec[] {
    return [...this.byName.values()];
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Finds the command for `args` (at least one) and checks its arity, with Redis's error texts. */
  resolve(args: readonly Buffer[]): Resolved {
    const first = args[0] as Buffer;
    if (first.length <= PLAIN_NAME_BYTES_MAX) {
      const hit = this.plain.get(first.toString("latin1"));
      if (hit !== undefined) {
        const { arity } = hit.spec;
        if (arity > 0 ? args.length === arity : args.length >= -arity) return hit.ok;
      }
    }
    const name = lowerName(first);
    const spec = this.byName.get(name);
    if (spec === undefined) {
      let list = "";
      for (let i = 1; i < args.length && list.length < ARGS_SHOWN_BYTES; i++) {
        list += `'${shown(args[i] as Buffer, ARGS_SHOWN_BYTES - list.length)}' `;
      }
      return {
        error: `ERR unknown command '${shown(first, ARGS_SHOWN_BYTES)}', with args beginning with: ${list}`,
      };
    }
    const subs = this.subs.get(name);
    if (subs !== undefined && args.length >= 2) {
      const sub = subs.get(lowerName(args[1] as Buffer));
      if (sub === undefined) {
        return {
          error: `ERR unknown subcommand '${shown(args[1] as Buffer, ARGS_SHOWN_BYTES)}'. Try ${name.toUpperCase()} HELP.`,
        };
      }
      return withArity(sub, `${name}|${sub.name}`, args.length);
    }
    return withArity(spec, name, args.length);
  }

  /** The key arguments of a command, by its key positions (COMMAND GETKEYS). */
  keysOf(spec: CommandSpec, args: readonly Buffer[]): Buffer[] {
    if (spec.firstKey === 0) return [];
    const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
    const keys: Buffer[] = [];
    for (let i = spec.firstKey; i <= last && i < args.length; i += spec.keyStep) keys.push(args[i] as Buffer);
    return keys;
  }
}

function withArity(spec: CommandSpec, fullName: string, argc: number): Resolved {
  const wrong = spec.arity > 0 ? argc !== spec.arity : argc < -spec.arity;
  if (wrong) return { error: `ERR wrong number of arguments for '${fullName}' command`, fullName };
  return { spec, fullName };
}

function checkSpec(spec: CommandSpec): void {
  assert(spec.name === spec.name.toLowerCase(), `command ${spec.name} is lowercase`);
  assert(spec.arity !== 0, `command ${spec.name} has an arity`);
  assert(
    spec.handler !== undefined || spec.subcommands !== undefined,
    `${spec.name}: a handler or subcommands`,
  );
  // A container runs its own handler only when called without a subcommand (bare COMMAND); others need one.
  assert(
    spec.handler !== undefined || spec.arity <= -2,
    `${spec.name}: a container without handler needs a subcommand`,
  );
  const keyless = spec.firstKey === 0 && spec.lastKey === 0 && spec.keyStep === 0;
  assert(keyless || (spec.firstKey > 0 && spec.keyStep > 0), `${spec.name}: key positions are consistent`);
}

/** The ACL category of each data type's commands (Redis: @string, @hash, ...). */
const TYPE_CATEGORIES: Partial<Record<CommandGroup, string>> = {
  string: "@string",
  hash: "@hash",
  list: "@list",
  set: "@set",
  sorted_set: "@sortedset",
};

/** ACL categories, derived from flags and group as Redis assigns them. */
function aclCategories(spec: CommandSpec): string[] {
  const out: string[] = [];
  if (spec.flags.includes("write")) out.push("@write");
  if (spec.flags.includes("readonly")) out.push("@read");
  const typeCategory = TYPE_CATEGORIES[spec.group];
  if (typeCategory !== undefined) out.push(typeCategory);
  else if (spec.firstKey > 0) out.push("@keyspace");
  if (spec.flags.includes("admin")) out.push("@admin", "@dangerous");
  out.push(spec.flags.includes("fast") ? "@fast" : "@slow");
  if (spec.group === "connection") out.push("@connection");
  if (spec.group === "scripting") out.push("@scripting");
  return out;
}

function keySpecs(spec: CommandSpec): Reply[] {
  if (spec.firstKey === 0) return [];
  const write = spec.flags.includes("write");
  const lastRelative = spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey;
  return [
    R.fields([
      ["flags", R.set((write ? ["RW", "UPDATE"] : ["RO", "ACCESS"]).map(R.simple))],
      [
        "begin_search",
        R.fields([
          ["type", R.bulk("index")],
          ["spec", R.fields([["index", R.integer(spec.firstKey)]])],
        ]),
      ],
      [
        "find_keys",
        R.fields([
          ["type", R.bulk("range")],
          [
            "spec",
            R.fields([
              ["lastkey", R.integer(lastRelative)],
              ["keystep", R.integer(spec.keyStep)],
              ["limit", R.integer(0)],
            ]),
          ],
        ]),
      ],
    ]),
  ];
}

/** COMMAND INFO's entry for `spec` (Redis 7: ten fields, subcommands nested). */
export function commandInfoReply(spec: CommandSpec, parent?: string): Reply {
  const fullName = parent === undefined ? spec.name : `${parent}|${spec.name}`;
  return R.array([
    R.bulk(fullName),
    R.integer(spec.arity),
    R.set(spec.flags.map(R.simple)),
    R.integer(spec.firstKey),
    R.integer(spec.lastKey),
    R.integer(spec.keyStep),
    R.set(aclCategories(spec).map(R.simple)),
    R.set([]),
    R.array(keySpecs(spec)),
    R.array((spec.subcommands ?? []).map((s) => commandInfoReply(s, fullName))),
  ]);
}

/** COMMAND DOCS's value for `spec`: summary, since, group, complexity, subcommands. */
export function commandDocsReply(spec: CommandSpec, parent?: string): Reply {
  const fullName = parent === undefined ? spec.name : `${parent}|${spec.name}`;
  const fields: [string, Reply][] = [
    ["summary", R.bulk(spec.summary)],
    ["since", R.bulk(spec.since)],
    ["group", R.bulk(spec.group)],
  ];
  if (spec.complexity !== undefined) fields.push(["complexity", R.bulk(spec.complexity)]);
  if (spec.subcommands !== undefined) {
    fields.push([
      "subcommands",
      R.map(
        spec.subcommands.map(
          (s) => [R.bulk(`${fullName}|${s.name}`), commandDocsReply(s, fullName)] as const,
        ),
      ),
    ]);
  }
  return R.fields(fields);
}

/** The reply to `<CONTAINER> HELP`: one line per subcommand, from the table. */
export function helpReply(spec: CommandSpec): Reply {
  const lines = [`${spec.name.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const sub of spec.subcommands ?? []) {
    lines.push(sub.name.toUpperCase(), `    ${sub.summary}`);
  }
  return R.array(lines.map(R.simple));
}

/** A spec with key positions given as `keys: [first, last, step]` (default: no keys). */
export function command(
  def: Omit<CommandSpec, "firstKey" | "lastKey" | "keyStep"> & { keys?: readonly [number, number, number] },
): CommandSpec {
  const [firstKey, lastKey, keyStep] = def.keys ?? [0, 0, 0];
  const { keys: _keys, ...rest } = def;
  return { ...rest, firstKey, lastKey, keyStep };
}
