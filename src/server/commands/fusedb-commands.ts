/**
 * fusedb's own commands, in the `FUSEDB.` namespace: per-key versions and compare-and-set, which Redis has
 * no command for (its WATCH is per connection and version-less).
 *
 *   FUSEDB.VERSION key                      -> the key's live version (0: absent, deleted or expired)
 *   FUSEDB.GET key                          -> nil, or [JSON text, version]
 *   FUSEDB.SETIFVERSION key version json [PX ms]
 *                                           -> the new version; VERSIONCONFLICT if the key is not at `version`
 *                                              (0: the key must not exist); PX sets a TTL, else none
 *   FUSEDB.DELIFVERSION key version         -> the new (tombstone) version; VERSIONCONFLICT as above
 *
 * A conflict is the error `VERSIONCONFLICT expected version E, key is at A`, so a client can retry with A.
 */
import type { Buffer } from "node:buffer";
import type { Json, Mutation } from "../../index.js";
import { intArg, keyword } from "../args.js";
import { type BatchStep, type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function versionArg(arg: Buffer): number {
  const v = intArg(arg);
  if (v < 0) throw new CommandError("ERR version must be a non-negative integer");
  return v;
}

/** FUSEDB.SETIFVERSION's one mutation. @throws CommandError for bad arguments. */
function setIfVersionMutation(
  ctx: CommandContext,
  args: readonly Buffer[],
): BatchStep & { mutation: Extract<Mutation, { op: "set" }> } {
  const version = versionArg(args[2] as Buffer);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(args[3] as Buffer));
  } catch (err) {
    throw new CommandError(`ERR invalid JSON: ${(err as Error).message}`);
  }
  let ttlMs: number | undefined;
  if (args.length === 6 && keyword(args[4]) === "PX") {
    ttlMs = intArg(args[5] as Buffer);
    if (ttlMs <= 0) throw new CommandError("ERR invalid expire time in 'fusedb.setifversion' command");
  } else if (args.length !== 4) throw new CommandError(ERR.syntax);
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  return {
    mutation: { op: "set", key, value: value as Json, ifVersion: version, ttlMs },
    reply: (r) => R.integer(r.version),
  };
}

async function setIfVersion(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const { mutation } = setIfVersionMutation(ctx, args);
  const r = await dataOf(ctx).set(mutation.key, mutation.value, {
    ifVersion: mutation.ifVersion,
    ttlMs: mutation.ttlMs,
  });
  return R.integer(r.version);
}

function delIfVersionMutation(ctx: CommandContext, args: readonly Buffer[]): BatchStep {
  const ifVersion = versionArg(args[2] as Buffer);
  return {
    mutation: { op: "delete", key: dbKey(ctx.client.db, args[1] as Buffer), ifVersion },
    reply: (r) => R.integer(r.version),
  };
}

const G = { group: "module", since: "0.1.0" } as const;
const KEY1 = [1, 1, 1] as const;

/** The FUSEDB.* commands' table entries. */
export const fusedbCommands: CommandSpec[] = [
  command({
    ...G,
    name: "fusedb.version",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY1,
    summary: "Returns the key's live version (0 if absent).",
    handler: async (ctx, args) =>
      R.integer((await dataOf(ctx).get(dbKey(ctx.client.db, args[1] as Buffer)))?.version ?? 0),
  }),
  command({
    ...G,
    name: "fusedb.get",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY1,
    summary: "Returns the document as JSON text and its version.",
    handler: async (ctx, args) => {
      const live = await dataOf(ctx).get(dbKey(ctx.client.db, args[1] as Buffer));
      if (live === undefined) return R.nullArray;
      return R.array([R.bulk(JSON.stringify(live.value)), R.integer(live.version)]);
    },
  }),
  command({
    ...G,
    name: "fusedb.setifversion",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: KEY1,
    summary: "Sets the document if the key is at the given version (compare-and-set).",
    handler: setIfVersion,
    blind: () => true,
    mutation: setIfVersionMutation,
  }),
  command({
    ...G,
    name: "fusedb.delifversion",
    arity: 3,
    flags: ["write", "fast"],
    keys: KEY1,
    summary: "Deletes the key if it is at the given version.",
    handler: async (ctx, args) => {
      const version = versionArg(args[2] as Buffer);
      const r = await dataOf(ctx).delete(dbKey(ctx.client.db, args[1] as Buffer), { ifVersion: version });
      return R.integer(r.version);
    },
    blind: () => true,
    mutation: delIfVersionMutation,
  }),
];
