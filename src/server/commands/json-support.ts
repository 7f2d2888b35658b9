/**
 * What the JSON commands share (json-commands.ts, json-path-commands.ts): arguments (JSON values, paths in
 * RedisJSON's two syntaxes, MemFlux's `key.path`), RedisJSON 2.8's error lines, JSON text formatting, the
 * matches of a path in a document, and the read-decide-write loop every path write runs.
 *
 * Path writes and their per-match replies: the engine's path mutations (src/doc/json-path-write.ts) answer
 * only the new document, while RedisJSON answers per match (NUMINCRBY's new numbers, ARRAPPEND's new
 * lengths, DEL's count, null for a match of another type). So a path write reads the document, decides
 * with the same pure functions the engine runs (`locate`, `valueAt`), and writes with `ifVersion` = the
 * version read ({@link readDecideWrite}): the engine then applies the mutation to exactly the document the
 * decision saw, or refuses it and the command starts over (src/server/cas.ts). Replies about new values are
 * read from the document the write returns, at the locations decided on (an increment, toggle or append
 * never moves a location).
 */
import type { Buffer } from "node:buffer";
import { type JsonPath, type Location, locate, parsePath, valueAt } from "../../doc/json-path.js";
import {
  InvalidArgumentError,
  type Json,
  type Mutation,
  queryPath,
  type Versioned,
  WrongTypeError,
} from "../../index.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { CommandError } from "../reply-errors.js";
import type { Reply } from "../resp-writer.js";

/**
 * Most nodes a path may select: a document of n bytes has fewer than n nodes, and documents are at most
 * 32 MiB (the largest `valueBytesMax`); only a union repeating a selector selects more, and that is refused.
 */
export const MATCHES_MAX = 32 * 1024 * 1024;

/** RedisJSON 2.8's error lines (redis_json/src/manager.rs, commands.rs, key_value.rs). */
export const JERR = {
  noKey: "ERR could not perform this operation on a key that doesn't exist",
  noPath: "ERR Path does not exist",
  noPathOr: (what: string): string => `ERR Path does not exist or ${what}`,
  expected: (what: string): string => `WRONGTYPE wrong type of path value - expected ${what}`,
  atRoot: "ERR new objects must be created at the root",
  notStatic: "Err wrong static path",
  indexRange: "ERR array index out of range",
} as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A JSON text argument as a document. @throws CommandError `ERR invalid JSON: ...`. */
export function jsonArg(arg: Buffer): Json {
  try {
    return JSON.parse(utf8.decode(arg)) as Json;
  } catch (err) {
    throw new CommandError(`ERR invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * A path argument, parsed (src/doc/json-path.ts). A path RFC 9535 refuses that holds `.[` outside quotes is
 * read without the dot, as RedisJSON reads it (`$.[*]`, in its JSON.ARRLEN example); its `text` is then
 * the corrected one. @throws CommandError `ERR invalid ...` for bad syntax.
 */
export function pathArg(arg: Buffer | string): JsonPath {
  const given = typeof arg === "string" ? arg : arg.toString("utf8");
  try {
    return parsePath(given);
  } catch (err) {
    const lenient = withoutDotBracket(given);
    if (lenient !== given) {
      try {
        return parsePath(lenient);
      } catch {
        // Report the error of the path as given.
      }
    }
    if (err instanceof InvalidArgumentError) throw new CommandError(`ERR ${err.message}`);
    throw err;
  }
}

/** `text` with each `.[` outside quoted names turned into `[` (a descendant `..[` is kept). */
function withoutDotBracket(text: string): string {
  let out = "";
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== "") {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === "." && text[i + 1] === "[" && text[i - 1] !== ".") continue;
    out += c;
  }
  return out;
}

/**
 * MemFlux's `key.path` form of a key argument given without a path argument: the key is the bytes before
 * the first `.`, the path the legacy dot path after it (`user:1.profile.age` → key `user:1`, path
 * `profile.age`). Undefined — the argument is then a key — when it has no `.` with bytes on both sides, or
 * what follows the `.` is not a path (`v1.tar.gz*`).
 */
export function splitKeyPath(arg: Buffer): { key: Buffer; path: JsonPath } | undefined {
  const dot = arg.indexOf(0x2e);
  if (dot <= 0 || dot === arg.length - 1) return undefined;
  try {
    return { key: arg.subarray(0, dot), path: pathArg(arg.subarray(dot + 1)) };
  } catch (err) {
    if (err instanceof CommandError) return undefined;
    throw err;
  }
}

/**
 * The values `path` selects in `doc` as RedisJSON's reads see them: a `$` query's whole nodelist
 * (duplicates kept); a legacy path's first match only (none: empty).
 */
export function matchesOf(doc: Json, path: JsonPath): Json[] {
  if (!path.legacy) return queryPath(doc, path, MATCHES_MAX);
  const first = locate(doc, path, MATCHES_MAX)[0];
  return first === undefined ? [] : [valueAt(doc, first) as Json];
}

/**
 * Every value `path` selects, a legacy path read as the query `$` + path (how JSON.GET reads a legacy path
 * listed with a `$` one). A legacy path without wildcards selects at most one value either way.
 */
export function allMatchesOf(doc: Json, path: JsonPath): Json[] {
  if (path.legacy && path.query !== undefined) {
    return queryPath(doc, { ...path, legacy: false }, MATCHES_MAX);
  }
  return matchesOf(doc, path);
}

/** The distinct locations `path` selects in `doc`, in selection order (a legacy query: all of them). */
export function locationsOf(doc: Json, path: JsonPath): Location[] {
  return locate(doc, path, MATCHES_MAX);
}

/**
 * The path text a write hands the engine: a legacy path with wildcards as its `$` query, so the engine
 * skips the values of another type as RedisJSON does for legacy writes (the server has already checked
 * that at least one match has the right type); any other path as given.
 */
export function enginePath(path: JsonPath): string {
  return path.legacy && path.query !== undefined ? path.query : path.text;
}

/** RedisJSON's name of a value's type (JSON.TYPE). A number with no fraction is an integer. */
export function jsonTypeName(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "boolean") return "boolean";
  return typeof v;
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

/**
 * A copy of `doc` with `update(old)` written at each of `locations` (none inside another: numbers or
 * booleans). O(size of doc). Members are defined, not assigned, so a member named `__proto__` stays one.
 */
export function rewriteAt(doc: Json, locations: readonly Location[], update: (old: Json) => Json): Json {
  let out = JSON.parse(JSON.stringify(doc)) as Json;
  for (const at of locations) {
    const old = valueAt(out, at) as Json;
    if (at.length === 0) {
      out = update(old);
      continue;
    }
    const parent = valueAt(out, at.slice(0, -1)) as Record<string | number, Json>;
    Object.defineProperty(parent, at[at.length - 1] as string | number, {
      value: update(old),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** What a path write decided on the document it read: the mutation to make (none: write nothing) and its reply. */
export interface WritePlan {
  /** Applied to the state the decision read, in the same engine call (`Txn.mutate`). */
  readonly write?: Mutation;
  /** The reply, given the document after the write (undefined when nothing was written or the key went). */
  reply(after: Json | undefined): Reply;
}

/**
 * Reads `key` (absent, expired: undefined; another data type: WrongTypeError, WRONGTYPE), asks `decide`,
 * and makes its write conditional on the version read; a conflict starts over (see the module comment).
 * Errors `decide` throws change nothing.
 */
export function readDecideWrite(
  ctx: CommandContext,
  key: Buffer,
  decide: (live: Versioned | undefined) => WritePlan,
): Promise<Reply> {
  const k = ctx.server.db.types.key(key);
  // One engine call: the decision reads the newest state (pending writes included) and the write lands on
  // exactly that, so concurrent writers of one key never make each other retry (a compare-and-set loop
  // against the durable state starved under contention: every pending write counted as a change). Inside
  // BEGIN, one call of the transaction (its state; resolved again at COMMIT).
  return dataOf(ctx).write((tx) => {
    const e = tx.live(k);
    if (e?.type !== undefined) throw new WrongTypeError(e.type, "json document");
    const live: Versioned | undefined =
      e === undefined
        ? undefined
        : {
            value: e.value as Json,
            version: e.version,
            ...(e.expiresAtMs === undefined ? {} : { expiresAtMs: e.expiresAtMs }),
          };
    const plan = decide(live);
    if (plan.write === undefined) return plan.reply(undefined);
    return plan.reply(tx.mutate(k, plan.write).value);
  });
}
