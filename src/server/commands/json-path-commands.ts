/**
 * RedisJSON's per-path commands with RedisJSON 2.8's replies (redis_json/src/commands.rs): for a `$` query
 * one result per match, nil for a match of another type; for a legacy path one result (the last match
 * written, or the first read) and an error when no match has the right type.
 * - writes: JSON.NUMINCRBY, JSON.NUMMULTBY, JSON.TOGGLE, JSON.ARRAPPEND. Each reads, decides and writes
 *   conditionally (json-support.ts `readDecideWrite`): NUMINCRBY and ARRAPPEND as the engine's incrPath /
 *   appendPath, NUMMULTBY and TOGGLE as the whole new document written at `$` (the engine has no such path
 *   op; a write at `$` keeps the TTL like every path write). One version, one WAL record per command.
 * - reads: JSON.TYPE, JSON.ARRLEN, JSON.OBJKEYS, JSON.OBJLEN, JSON.STRLEN (string length in UTF-8 bytes).
 * RESP3: JSON.TYPE answers its RESP2 reply wrapped in an array, JSON.NUMINCRBY/NUMMULTBY an array of
 * numbers (nil for non-numbers) for either path form, as RedisJSON 2.8 does.
 */
import { Buffer } from "node:buffer";
import type { JsonPath, Location } from "../../doc/json-path.js";
import { valueAt } from "../../doc/json-path.js";
import type { Json, Mutation } from "../../index.js";
import { floatArg } from "../args.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import {
  enginePath,
  JERR,
  jsonArg,
  jsonTypeName,
  locationsOf,
  matchesOf,
  pathArg,
  readDecideWrite,
  rewriteAt,
  type WritePlan,
} from "./json-support.js";

type Kind = "number" | "boolean" | "array";

const isKind = (v: Json | undefined, kind: Kind): boolean =>
  kind === "array" ? Array.isArray(v) : typeof v === kind;

/** The key argument and the path argument (default: the legacy root `.`). */
function keyAndPath(ctx: CommandContext, args: readonly Buffer[]): { key: Buffer; path: JsonPath } {
  const path = pathArg(args.length > 2 ? (args[2] as Buffer) : ".");
  return { key: dbKey(ctx.client.db, args[1] as Buffer), path };
}

/**
 * The shared shape of the path writes: on a live document, the locations `path` selects and which of them
 * hold `kind`; a legacy path with none is `missing` (an error), a query with none writes nothing.
 * `write(doc, hits)` is the mutation; `reply(values)` gets, per location, the value after the write at a
 * hit and undefined elsewhere.
 */
function pathWrite(
  ctx: CommandContext,
  args: readonly Buffer[],
  kind: Kind,
  missing: string,
  write: (doc: Json, key: Buffer, path: JsonPath, hits: Location[]) => Mutation,
  reply: (path: JsonPath, values: (Json | undefined)[]) => Reply,
): Promise<Reply> {
  const { key, path } = keyAndPath(ctx, args);
  return readDecideWrite(ctx, key, (live): WritePlan => {
    if (live === undefined) throw new CommandError(JERR.noKey);
    const doc = live.value;
    const found = locationsOf(doc, path);
    const hits = found.filter((at) => isKind(valueAt(doc, at), kind));
    if (hits.length === 0 && path.legacy) throw new CommandError(missing);
    const after = (next: Json | undefined): (Json | undefined)[] =>
      found.map((at) =>
        next !== undefined && isKind(valueAt(doc, at), kind) ? valueAt(next, at) : undefined,
      );
    if (hits.length === 0) return { reply: () => reply(path, after(undefined)) };
    return { write: write(doc, key, path, hits), reply: (next) => reply(path, after(next)) };
  });
}

/** A finite number argument. @throws CommandError `ERR value is not a valid float`. */
function numberArg(arg: Buffer): number {
  const n = floatArg(arg);
  if (!Number.isFinite(n)) throw new CommandError(ERR.notFloat);
  return n;
}

/**
 * NUMINCRBY/NUMMULTBY's reply: RESP2 a JSON text (legacy path: the last number); RESP3 an array of numbers
 * for any path (RedisJSON 2.8's source; node-redis's RESP3 reply type for JSON.NUMINCRBY is that array).
 */
function numbersReply(ctx: CommandContext): (path: JsonPath, values: (Json | undefined)[]) => Reply {
  return (path, values) => {
    if (ctx.client.protocol === 3) {
      return R.array(values.map((v) => (typeof v !== "number" ? R.null : numberReply(v))));
    }
    if (path.legacy) return R.bulk(JSON.stringify(values.filter((v) => v !== undefined).at(-1) ?? null));
    return R.bulk(JSON.stringify(values.map((v) => v ?? null)));
  };
}

function numberReply(v: number): Reply {
  return Number.isSafeInteger(v) ? R.integer(v) : R.double(v);
}

/** @throws CommandError `result is not a number` (RedisJSON's text, no ERR) for an infinite result. */
function finite(n: number): number {
  if (!Number.isFinite(n)) throw new CommandError("result is not a number");
  return n === 0 ? 0 : n; // no -0 in a document
}

function jsonNumIncrBy(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const delta = numberArg(args[3] as Buffer);
  return pathWrite(
    ctx,
    args,
    "number",
    JERR.noPathOr("does not contains a number"),
    (doc, key, path, hits) => {
      for (const at of hits) finite((valueAt(doc, at) as number) + delta); // checked before the write
      return { op: "incrPath", key, path: enginePath(path), delta };
    },
    numbersReply(ctx),
  );
}

function jsonNumMultBy(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const factor = numberArg(args[3] as Buffer);
  return pathWrite(
    ctx,
    args,
    "number",
    JERR.noPathOr("does not contains a number"),
    (doc, key, _path, hits) => ({
      op: "setPath",
      key,
      path: "$",
      value: rewriteAt(doc, hits, (old) => finite((old as number) * factor)),
    }),
    numbersReply(ctx),
  );
}

function jsonToggle(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return pathWrite(
    ctx,
    args,
    "boolean",
    JERR.noPathOr("not a bool"),
    (doc, key, _path, hits) => ({
      op: "setPath",
      key,
      path: "$",
      value: rewriteAt(doc, hits, (old) => !old),
    }),
    (path, values) => {
      if (path.legacy) return R.bulk(String(values.filter((v) => v !== undefined).at(-1)));
      return R.array(values.map((v) => (v === undefined ? R.null : R.integer(v === true ? 1 : 0))));
    },
  );
}

function jsonArrAppend(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const values = args.slice(3).map((a) => jsonArg(a));
  return pathWrite(
    ctx,
    args,
    "array",
    JERR.noPathOr("not an array"),
    (_doc, key, path) => ({ op: "appendPath", key, path: enginePath(path), values }),
    (path, after) => {
      const lengths = after.map((v) => (Array.isArray(v) ? R.integer(v.length) : R.null));
      return path.legacy ? (lengths.filter((r) => r !== R.null).at(-1) ?? R.null) : R.array(lengths);
    },
  );
}

/** The document under the key argument (undefined if absent). @throws WrongTypeError (WRONGTYPE). */
async function readDoc(ctx: CommandContext, key: Buffer): Promise<Json | undefined> {
  return (await dataOf(ctx).get(key))?.value;
}

async function jsonType(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const { key, path } = keyAndPath(ctx, args);
  const doc = await readDoc(ctx, key);
  let reply: Reply = R.null;
  if (doc !== undefined) {
    const names = matchesOf(doc, path).map((v) => R.bulk(jsonTypeName(v)));
    reply = path.legacy ? (names[0] ?? R.null) : R.array(names);
  }
  return ctx.client.protocol === 3 ? R.array([reply]) : reply;
}

/**
 * The read commands that measure a value of one type: `measure` on each match of a `$` query (nil for
 * another type); a legacy path measures its first match, with the errors `legacy` gives for a missing
 * key (nil when it returns undefined), no match, or a match of another type.
 */
async function measure(
  ctx: CommandContext,
  args: readonly Buffer[],
  size: (v: Json) => Reply | undefined,
  errors: { noKey: string; legacyNoMatch?: string; legacyWrongType: string },
): Promise<Reply> {
  const { key, path } = keyAndPath(ctx, args);
  const doc = await readDoc(ctx, key);
  if (doc === undefined) {
    if (path.legacy) return R.null;
    throw new CommandError(errors.noKey);
  }
  const matches = matchesOf(doc, path);
  if (!path.legacy) return R.array(matches.map((v) => size(v) ?? R.null));
  const first = matches[0];
  if (first === undefined) {
    if (errors.legacyNoMatch === undefined) return R.null;
    throw new CommandError(errors.legacyNoMatch);
  }
  const out = size(first);
  if (out === undefined) throw new CommandError(errors.legacyWrongType);
  return out;
}

const isObject = (v: Json): v is { [k: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const jsonArrLen = (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> =>
  measure(ctx, args, (v) => (Array.isArray(v) ? R.integer(v.length) : undefined), {
    noKey: JERR.noKey,
    legacyNoMatch: JERR.noPath,
    legacyWrongType: JERR.noPathOr("not an array"),
  });

const jsonObjKeys = (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> =>
  measure(ctx, args, (v) => (isObject(v) ? R.array(Object.keys(v).map((k) => R.bulk(k))) : undefined), {
    noKey: JERR.noKey,
    legacyWrongType: JERR.noPathOr("not an object"),
  });

const jsonObjLen = (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> =>
  measure(ctx, args, (v) => (isObject(v) ? R.integer(Object.keys(v).length) : undefined), {
    noKey: JERR.noPathOr("not an object"),
    legacyWrongType: JERR.expected("object"),
  });

const jsonStrLen = (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> =>
  measure(ctx, args, (v) => (typeof v === "string" ? R.integer(Buffer.byteLength(v, "utf8")) : undefined), {
    noKey: JERR.noKey,
    legacyNoMatch: JERR.noPath,
    legacyWrongType: JERR.expected("string"),
  });

const G = { group: "module", since: "1.0.0" } as const;
const KEY1 = [1, 1, 1] as const;

function spec(
  name: string,
  arity: number,
  write: boolean,
  summary: string,
  handler: (ctx: CommandContext, args: readonly Buffer[]) => Promise<Reply>,
  since = "1.0.0",
): CommandSpec {
  const flags = write ? (["write", "denyoom"] as const) : (["readonly"] as const);
  return command({ ...G, since, name, arity, flags: [...flags], keys: KEY1, summary, handler });
}

/** The per-path JSON commands' table entries (registered with json-commands.ts's). */
export const jsonPathCommands: CommandSpec[] = [
  spec("json.numincrby", 4, true, "Increments the numeric values at a path by a number.", jsonNumIncrBy),
  spec("json.nummultby", 4, true, "Multiplies the numeric values at a path by a number.", jsonNumMultBy),
  spec("json.toggle", 3, true, "Toggles the boolean values at a path.", jsonToggle, "2.0.0"),
  spec("json.arrappend", -4, true, "Appends values to the arrays at a path.", jsonArrAppend),
  spec("json.arrlen", -2, false, "Returns the lengths of the arrays at a path.", jsonArrLen),
  spec("json.objkeys", -2, false, "Returns the member names of the objects at a path.", jsonObjKeys),
  spec("json.objlen", -2, false, "Returns the member counts of the objects at a path.", jsonObjLen),
  spec("json.strlen", -2, false, "Returns the UTF-8 byte lengths of the strings at a path.", jsonStrLen),
  spec("json.type", -2, false, "Returns the types of the JSON values at a path.", jsonType),
];
