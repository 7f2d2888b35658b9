/**
 * RedisJSON's commands on today's documents, at the root path only (`$` in JSONPath form, `.` in legacy
 * form) until the engine gains sub-path operations: JSON.SET (NX/XX), JSON.GET (INDENT/NEWLINE/SPACE),
 * JSON.DEL/FORGET, JSON.MGET, JSON.MERGE (RFC 7396, the engine's patch), JSON.NUMINCRBY, JSON.TYPE.
 * A `$` path answers in RedisJSON's JSONPath shape (an array of matches); `.` in the legacy shape. Over
 * RESP3, JSON.NUMINCRBY at `$` answers numbers and JSON.TYPE one more array level, as RedisJSON 2.6+
 * (its tests/pytest/test_resp3.py; node-redis's JSON module reads these shapes).
 *
 * Differences from RedisJSON, all from the engine's value model: JSON.SET on an existing key clears its TTL
 * (the engine's set has no keep-TTL yet); numbers are JavaScript doubles, so 2.0 reads back as 2.
 */
import type { Buffer } from "node:buffer";
import { type FuseDB, InvalidArgumentError, type Json, VersionConflictError } from "../../index.js";
import { floatArg, keyword, text } from "../args.js";
import { casLoop } from "../cas.js";
import { type BatchStep, type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

type PathForm = "jsonpath" | "legacy";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The form of a root path; anything below the root is refused until the engine has sub-paths. */
function rootPath(arg: Buffer | undefined): PathForm {
  const path = arg === undefined ? "." : text(arg);
  if (path === "$") return "jsonpath";
  if (path === ".") return "legacy";
  throw new CommandError(
    `ERR Path '${path}' is not supported: fusedb serves the root path ($ or .) only, until JSON sub-paths land`,
  );
}

/** A JSON text argument as a document. */
function jsonArg(arg: Buffer): Json {
  try {
    return JSON.parse(utf8.decode(arg)) as Json;
  } catch (err) {
    throw new CommandError(`ERR invalid JSON: ${(err as Error).message}`);
  }
}

/** JSON text with RedisJSON's INDENT, NEWLINE and SPACE (all empty: compact, as JSON.stringify). */
export function formatJson(value: Json, indent: string, newline: string, space: string, level = 0): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = newline + indent.repeat(level + 1);
  const close = newline + indent.repeat(level);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${inner}${value.map((v) => formatJson(v, indent, newline, space, level + 1)).join(`,${inner}`)}${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const parts = entries.map(
    ([k, v]) => `${JSON.stringify(k)}:${space}${formatJson(v, indent, newline, space, level + 1)}`,
  );
  return `{${inner}${parts.join(`,${inner}`)}${close}}`;
}

function jsonTypeName(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function condition(args: readonly Buffer[]): "NX" | "XX" | undefined {
  if (args.length === 4) return undefined;
  const opt = keyword(args[4]);
  if (args.length !== 5 || (opt !== "NX" && opt !== "XX")) throw new CommandError(ERR.syntax);
  return opt;
}

async function jsonSet(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const engine = ctx.server.db;
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  const cond = condition(args);
  const path = text(args[2] as Buffer);
  if (path !== "$" && path !== "." && (await engine.get(key)) === undefined) {
    throw new CommandError("ERR new objects must be created at the root");
  }
  rootPath(args[2]);
  const value = jsonArg(args[3] as Buffer);
  if (cond === undefined) {
    await engine.set(key, value);
    return R.ok;
  }
  if (cond === "NX") {
    try {
      await engine.set(key, value, { ifVersion: 0 });
      return R.ok;
    } catch (err) {
      if ((err as { code?: string }).code === "FUSEDB_VERSION_CONFLICT") return R.null;
      throw err;
    }
  }
  return casLoop(async () => {
    const live = await engine.get(key);
    if (live === undefined) return R.null;
    await engine.set(key, value, { ifVersion: live.version });
    return R.ok;
  });
}

/** JSON.SET is blind with no condition or NX, at the root (one engine set, issued at once). */
function jsonSetBlind(args: readonly Buffer[]): boolean {
  const path = (args[2] as Buffer).toString("latin1");
  return (
    (path === "$" || path === ".") && (args.length === 4 || (args.length === 5 && keyword(args[4]) === "NX"))
  );
}

/** JSON.SET when blind, as one mutation: a set (NX: only if absent). */
function jsonSetMutation(ctx: CommandContext, args: readonly Buffer[]): BatchStep {
  const nx = condition(args) === "NX";
  rootPath(args[2]);
  const value = jsonArg(args[3] as Buffer);
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  return { mutation: { op: "set", key, value, ifVersion: nx ? 0 : undefined }, reply: () => R.ok };
}

async function jsonGet(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const format = { INDENT: "", NEWLINE: "", SPACE: "" };
  const paths: PathForm[] = [];
  const names: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]) as keyof typeof format;
    if (opt in format && i + 1 < args.length) {
      format[opt] = text(args[++i] as Buffer);
    } else {
      paths.push(rootPath(args[i]));
      names.push(text(args[i] as Buffer));
    }
  }
  const live = await ctx.server.db.get(dbKey(ctx.client.db, args[1] as Buffer));
  if (live === undefined) {
    ctx.server.stats.keyspaceMisses++;
    return R.null;
  }
  ctx.server.stats.keyspaceHits++;
  const doc = live.value;
  const shape = (form: PathForm): Json => (form === "jsonpath" ? [doc] : doc);
  let out: Json;
  if (paths.length <= 1) out = shape(paths[0] ?? "legacy");
  else out = Object.fromEntries(names.map((n, i) => [n, shape(paths[i] as PathForm)]));
  return R.bulk(formatJson(out, format.INDENT, format.NEWLINE, format.SPACE));
}

async function jsonDel(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  rootPath(args[2]);
  const engine = ctx.server.db;
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  return R.integer(
    await casLoop(async () => {
      const live = await engine.get(key);
      if (live === undefined) return 0;
      await engine.delete(key, { ifVersion: live.version });
      return 1;
    }),
  );
}

async function jsonMget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const form = rootPath(args[args.length - 1]);
  const keys = args.slice(1, -1).map((k) => dbKey(ctx.client.db, k));
  const found = await Promise.all(keys.map((k) => ctx.server.db.get(k)));
  return R.array(
    found.map((f) => {
      if (f === undefined) {
        ctx.server.stats.keyspaceMisses++;
        return R.null;
      }
      ctx.server.stats.keyspaceHits++;
      return R.bulk(JSON.stringify(form === "jsonpath" ? [f.value] : f.value));
    }),
  );
}

async function jsonMerge(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  rootPath(args[2]);
  await ctx.server.db.patch(dbKey(ctx.client.db, args[1] as Buffer), jsonArg(args[3] as Buffer));
  return R.ok;
}

/**
 * The engine's increment of `key` by the integer `delta`, unconditional: ordered against every write
 * already committed, durable or not, so concurrent increments of one key all succeed in one group commit
 * (as Redis's INCR does). Undefined if the key no longer holds an integer, or the sum would leave the
 * safe-integer range (another client wrote in between): the caller reads again. Keeps the expiry exactly.
 */
async function incrIfInteger(engine: FuseDB, key: Buffer, delta: number): Promise<number | undefined> {
  try {
    return (await engine.incr(key, delta)).value as number;
  } catch (err) {
    const changed =
      err instanceof InvalidArgumentError &&
      (err.code === "FUSEDB_TYPE_MISMATCH" || err.code === "FUSEDB_OUT_OF_RANGE");
    if (changed) return undefined;
    throw err;
  }
}

/**
 * JSON.NUMINCRBY at the root. An integer plus an integer is one unconditional engine increment
 * ({@link incrIfInteger}): a read-then-conditional-write starves under contention, since reads see only
 * durable writes while the conditional write is checked against pending ones too (redis-benchmark with two
 * clients on one key got "the key changed under this command 64 times"). The price: a DEL landing between
 * the existence check and the increment lets the increment recreate the key at `delta`. A float sum is a
 * conditional set, retried on conflict.
 */
async function jsonNumIncrBy(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const form = rootPath(args[2]);
  const delta = floatArg(args[3] as Buffer);
  const engine = ctx.server.db;
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  const result = await casLoop(async () => {
    const live = await engine.get(key);
    if (live === undefined)
      throw new CommandError("ERR could not perform this operation on a key that doesn't exist");
    if (typeof live.value !== "number") return undefined;
    const next = live.value + delta;
    if (!Number.isFinite(next)) throw new CommandError("ERR result is not a finite number");
    if (Number.isSafeInteger(live.value) && Number.isSafeInteger(delta) && Number.isSafeInteger(next)) {
      const counted = await incrIfInteger(engine, key, delta);
      // Another client changed the value's kind in between: read it again.
      if (counted === undefined) throw new VersionConflictError(live.version, live.version + 1);
      return counted;
    }
    const ttlMs =
      live.expiresAtMs === undefined ? undefined : Math.max(1, live.expiresAtMs - ctx.server.clock.now());
    await engine.set(key, next, { ifVersion: live.version, ttlMs });
    return next;
  });
  if (form === "jsonpath") {
    // RESP3 (RedisJSON 2.6+): the matches as an array of numbers, not their JSON text.
    if (ctx.client.protocol === 3) return R.array([result === undefined ? R.null : numberReply(result)]);
    return R.bulk(JSON.stringify([result ?? null]));
  }
  if (result === undefined) throw new CommandError("ERR Path '.' does not exist or does not hold a number");
  return R.bulk(JSON.stringify(result));
}

async function jsonType(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  const form = rootPath(args[2]);
  const live = await ctx.server.db.get(dbKey(ctx.client.db, args[1] as Buffer));
  const resp3 = ctx.client.protocol === 3;
  // RESP3 (RedisJSON 2.6+) wraps the RESP2 answer in one more array, and answers [null] for a missing key.
  if (live === undefined) return resp3 ? R.array([R.null]) : form === "jsonpath" ? R.array([]) : R.null;
  const name = jsonTypeName(live.value);
  const reply = form === "jsonpath" ? R.array([R.bulk(name)]) : R.simple(name);
  return resp3 ? R.array([reply]) : reply;
}

/** A JSON number as a RESP3 reply: an integer reply when it is a safe integer, else a double. */
function numberReply(value: number): Reply {
  return Number.isSafeInteger(value) ? R.integer(value) : R.double(value);
}

const G = { group: "module", since: "1.0.0" } as const;
const KEY1 = [1, 1, 1] as const;

/** The JSON commands' table entries. */
export const jsonCommands: CommandSpec[] = [
  command({
    ...G,
    name: "json.set",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: KEY1,
    summary: "Sets the JSON value at path in key (root only for now).",
    handler: jsonSet,
    blind: jsonSetBlind,
    mutation: jsonSetMutation,
  }),
  command({
    ...G,
    name: "json.get",
    arity: -2,
    flags: ["readonly"],
    keys: KEY1,
    summary: "Gets the value at one or more paths in JSON serialized form.",
    handler: jsonGet,
  }),
  command({
    ...G,
    name: "json.del",
    arity: -2,
    flags: ["write"],
    keys: KEY1,
    summary: "Deletes a value.",
    handler: jsonDel,
  }),
  command({
    ...G,
    name: "json.forget",
    arity: -2,
    flags: ["write"],
    keys: KEY1,
    summary: "Deletes a value (alias of JSON.DEL).",
    handler: jsonDel,
  }),
  command({
    ...G,
    name: "json.mget",
    arity: -3,
    flags: ["readonly"],
    keys: [1, -2, 1],
    summary: "Returns the values at a path from one or more keys.",
    handler: jsonMget,
  }),
  command({
    ...G,
    since: "2.6.0",
    name: "json.merge",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: KEY1,
    summary: "Merges a given JSON value into matching paths (RFC 7396).",
    handler: jsonMerge,
    blind: (args) => ["$", "."].includes((args[2] as Buffer).toString("latin1")),
    mutation: (ctx, args) => {
      rootPath(args[2]);
      const patch = jsonArg(args[3] as Buffer);
      return {
        mutation: { op: "patch", key: dbKey(ctx.client.db, args[1] as Buffer), patch },
        reply: () => R.ok,
      };
    },
  }),
  command({
    ...G,
    name: "json.numincrby",
    arity: 4,
    flags: ["write"],
    keys: KEY1,
    summary: "Increments the numeric value at path by a value.",
    handler: jsonNumIncrBy,
  }),
  command({
    ...G,
    name: "json.type",
    arity: -2,
    flags: ["readonly"],
    keys: KEY1,
    summary: "Returns the type of the JSON value at path.",
    handler: jsonType,
  }),
];
