/**
 * RedisJSON's document commands at any path, with RedisJSON 2.8's replies: JSON.SET (NX/XX), JSON.GET
 * (INDENT/NEWLINE/SPACE, several paths), JSON.DEL/FORGET, JSON.MGET, JSON.MERGE; the per-path commands
 * (NUMINCRBY, ARRAPPEND, TYPE, ...) are in json-path-commands.ts. A path starting with `$` is an RFC 9535
 * query answered in RedisJSON's JSONPath shape (one result per match); any other path is a legacy path
 * answered with one value, and an error where RedisJSON 2.8 gives one.
 *
 * MemFlux's form: `JSON.SET key.path value`, `JSON.GET key.path`, `JSON.DEL key.path` — a key argument
 * with no path argument after it, holding a `.` followed by a valid path, names the key before the first
 * `.` and the dot path after it (json-support.ts `splitKeyPath`). JSON.SET in that form creates missing
 * object members along the path, and JSON.GET answers nil for a path that addresses nothing, as MemFlux.
 * A key that itself holds a dot must be given with a path argument (`JSON.GET user.1 $`).
 *
 * The root path (`$`, `.`) is written blind (JSON.SET without XX, JSON.MERGE): one engine mutation issued at
 * once. Every other write reads, decides and writes conditionally (json-support.ts `readDecideWrite`).
 * Writes keep the key's TTL, as RedisJSON's do.
 */
import type { Buffer } from "node:buffer";
import type { JsonPath } from "../../doc/json-path.js";
import { additionTarget, lastStepKind } from "../../doc/json-path.js";
import { outermost } from "../../doc/json-path-write.js";
import { type Json, type Mutation, WrongTypeError } from "../../index.js";
import { keyword, text } from "../args.js";
import { type BatchStep, type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { jsonPathCommands } from "./json-path-commands.js";
import {
  allMatchesOf,
  formatJson,
  JERR,
  jsonArg,
  locationsOf,
  MATCHES_MAX,
  matchesOf,
  pathArg,
  readDecideWrite,
  splitKeyPath,
  type WritePlan,
} from "./json-support.js";

/** The arguments of JSON.SET: both forms. */
interface SetArgs {
  key: Buffer;
  path: JsonPath;
  value: Json;
  cond?: "NX" | "XX";
  memflux: boolean;
}

function setArgs(ctx: CommandContext, args: readonly Buffer[]): SetArgs {
  if (args.length === 3) {
    const split = splitKeyPath(args[1] as Buffer);
    if (split === undefined) throw new CommandError("ERR wrong number of arguments for 'json.set' command");
    const key = dbKey(ctx.client.db, split.key);
    return { key, path: split.path, value: jsonArg(args[2] as Buffer), memflux: true };
  }
  let cond: "NX" | "XX" | undefined;
  for (let i = 4; i < args.length; i++) {
    const opt = keyword(args[i]);
    if ((opt === "NX" || opt === "XX") && cond === undefined) cond = opt;
    else throw new CommandError(ERR.syntax);
  }
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  return { key, path: pathArg(args[2] as Buffer), value: jsonArg(args[3] as Buffer), cond, memflux: false };
}

const nothing = (reply: Reply): WritePlan => ({ reply: () => reply });

async function jsonSet(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const a = setArgs(ctx, args);
  // A plain root write is blind; NX and XX read the key first, so a key of another type answers WRONGTYPE
  // (as RedisJSON, which checks the type before the condition) rather than NX's nil.
  if (a.path.root && a.cond === undefined) return applyBlind(ctx, rootSet(a));
  return readDecideWrite(ctx, a.key, (live) => {
    if (live === undefined) {
      if (a.cond === "XX") return nothing(R.null);
      if (a.path.root) return { write: rootSet(a).mutation, reply: () => R.ok };
      if (a.memflux) return memfluxCreate(a, {});
      throw new CommandError(JERR.atRoot);
    }
    const doc = live.value;
    if (a.path.root)
      return a.cond === "NX" ? nothing(R.null) : { write: rootSet(a).mutation, reply: () => R.ok };
    const write: Mutation = { op: "setPath", key: a.key, path: a.path.text, value: a.value };
    const exists = locationsOf(doc, a.path).length > 0;
    if (exists && a.cond !== "NX") return { write, reply: () => R.ok };
    if (a.cond === "XX") return nothing(R.null);
    if (a.memflux) return memfluxCreate(a, doc);
    // RedisJSON's find_add_paths: only a static path whose last step is a member name may add a value.
    const kind = lastStepKind(a.path);
    if (kind === "dynamic") throw new CommandError(JERR.notStatic);
    if (kind === "index") {
      if (exists) return nothing(R.null);
      throw new CommandError(JERR.indexRange);
    }
    if (exists) return nothing(R.null);
    const target = additionTarget(doc, a.path, MATCHES_MAX);
    if (target === undefined || target.parents.length === 0) return nothing(R.null);
    return { write, reply: () => R.ok };
  });
}

/**
 * JSON.SET at the root as one mutation: a path write at `$`, which keeps the TTL (NX: only if absent, a
 * condition that also holds inside {@link readDecideWrite}, which already saw the key absent).
 */
function rootSet(a: SetArgs): BatchStep {
  const ifVersion = a.cond === "NX" ? 0 : undefined;
  return {
    mutation: { op: "setPath", key: a.key, path: "$", value: a.value, ifVersion },
    reply: () => R.ok,
  };
}

/** Runs a blind step now; a version conflict (NX on a live key) answers nil. */
async function applyBlind(ctx: CommandContext, step: BatchStep): Promise<Reply> {
  try {
    const first = (await dataOf(ctx).batch([step.mutation]))[0];
    return step.reply({ version: first?.version ?? 0, value: first?.value });
  } catch (err) {
    if ((err as { code?: string }).code === "FUSEDB_VERSION_CONFLICT") return R.null;
    throw err;
  }
}

/**
 * MemFlux's JSON.SET on a path that addresses nothing: creates the missing object members along a dot
 * path (`a.b.c` on `{}` gives `{"a":{"b":{"c":v}}}`), written as the whole document at `$`.
 * @throws CommandError `ERR Path does not exist` where a step meets a value it cannot enter (a scalar, an
 *   array without that index, an index on an object) or the path has wildcards.
 */
function memfluxCreate(a: SetArgs, doc: Json): WritePlan {
  const steps = a.path.steps;
  if (steps === undefined) throw new CommandError(JERR.noPath);
  const out = JSON.parse(JSON.stringify(doc)) as Json;
  let node: Json = out;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as { name?: string; index?: number };
    const last = i === steps.length - 1;
    if (Array.isArray(node) && step.index !== undefined) {
      const at = step.index < 0 ? node.length + step.index : step.index;
      if (at < 0 || at >= node.length) throw new CommandError(JERR.noPath);
      if (last) node[at] = a.value;
      else node = node[at] as Json;
    } else if (node !== null && typeof node === "object" && !Array.isArray(node) && step.name !== undefined) {
      const has = Object.hasOwn(node, step.name);
      const child: Json = last ? a.value : has ? (node[step.name] as Json) : {};
      if (last || !has) {
        Object.defineProperty(node, step.name, {
          value: child,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      node = child;
    } else throw new CommandError(JERR.noPath);
  }
  return { write: { op: "setPath", key: a.key, path: "$", value: out }, reply: () => R.ok };
}

/** JSON.SET is blind at the root with no condition or NX (one engine mutation, issued at once). */
function jsonSetBlind(args: readonly Buffer[]): boolean {
  if (args.length < 4) return false;
  const path = (args[2] as Buffer).toString("latin1");
  return (
    (path === "$" || path === ".") && (args.length === 4 || (args.length === 5 && keyword(args[4]) === "NX"))
  );
}

const FORMAT_WORDS = new Set(["INDENT", "NEWLINE", "SPACE"]);
/** RedisJSON reads an argument longer than its longest keyword (NOESCAPE) as a path. */
const KEYWORD_CHARS_MAX = 8;

async function jsonGet(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const format: Record<string, string> = { INDENT: "", NEWLINE: "", SPACE: "" };
  const paths: JsonPath[] = [];
  const names: string[] = []; // the paths as given: the keys of a several-path answer
  for (let i = 2; i < args.length; i++) {
    const arg = args[i] as Buffer;
    const word = arg.length <= KEYWORD_CHARS_MAX ? keyword(arg) : "";
    if (FORMAT_WORDS.has(word)) {
      if (i + 1 >= args.length)
        throw new CommandError("ERR wrong number of arguments for 'json.get' command");
      format[word] = text(args[++i] as Buffer);
    } else if (word !== "NOESCAPE") {
      paths.push(pathArg(arg));
      names.push(text(arg));
    }
  }
  let keyArg = args[1] as Buffer;
  const split = args.length === 2 ? splitKeyPath(keyArg) : undefined;
  if (split !== undefined) {
    keyArg = split.key;
    paths.push(split.path);
  }
  const live = await dataOf(ctx).get(dbKey(ctx.client.db, keyArg));
  if (live === undefined) {
    ctx.server.stats.keyspaceMisses++;
    return R.null;
  }
  ctx.server.stats.keyspaceHits++;
  const out = getValue(live.value, paths, names, split !== undefined);
  if (out === undefined) return R.null;
  return R.bulk(formatJson(out, format.INDENT ?? "", format.NEWLINE ?? "", format.SPACE ?? ""));
}

/**
 * JSON.GET's answer: no path, the document; one path, its matches (`$`) or first match (legacy); several,
 * an object keyed by path text — first matches if every path is legacy, else every path's matches.
 * Undefined (nil) for MemFlux's form addressing nothing. @throws CommandError `ERR Path does not exist`.
 */
function getValue(
  doc: Json,
  paths: readonly JsonPath[],
  names: readonly string[],
  memflux: boolean,
): Json | undefined {
  const first = paths[0];
  if (first === undefined) return doc;
  const legacy = paths.every((p) => p.legacy);
  const single = (p: JsonPath): Json | undefined => {
    const m = matchesOf(doc, p);
    if (m.length === 0 && !memflux) throw new CommandError(JERR.noPath);
    return m[0];
  };
  if (paths.length === 1) return legacy ? single(first) : matchesOf(doc, first);
  const out: Record<string, Json> = {};
  for (const [i, p] of paths.entries()) {
    const value = legacy ? (single(p) as Json) : allMatchesOf(doc, p);
    Object.defineProperty(out, names[i] ?? p.text, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

async function jsonDel(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  let keyArg = args[1] as Buffer;
  let path = args.length > 2 ? pathArg(args[2] as Buffer) : undefined;
  const split = path === undefined ? splitKeyPath(keyArg) : undefined;
  if (split !== undefined) {
    keyArg = split.key;
    path = split.path;
  }
  const key = dbKey(ctx.client.db, keyArg);
  return readDecideWrite(ctx, key, (live) => {
    if (live === undefined) return nothing(R.integer(0));
    if (path === undefined || path.root) return { write: { op: "delete", key }, reply: () => R.integer(1) };
    const count = outermost(locationsOf(live.value, path)).length;
    if (count === 0) return nothing(R.integer(0));
    return { write: { op: "deletePath", key, path: path.text }, reply: () => R.integer(count) };
  });
}

async function jsonMget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const path = pathArg(args[args.length - 1] as Buffer);
  const keys = args.slice(1, -1).map((k) => dbKey(ctx.client.db, k));
  const data = dataOf(ctx);
  const found = await Promise.all(
    keys.map((k) =>
      data.get(k).catch((err: unknown) => {
        if (err instanceof WrongTypeError) return undefined; // RedisJSON answers nil for such a key
        throw err;
      }),
    ),
  );
  return R.array(
    found.map((f) => {
      if (f === undefined) {
        ctx.server.stats.keyspaceMisses++;
        return R.null;
      }
      ctx.server.stats.keyspaceHits++;
      const m = matchesOf(f.value, path);
      if (!path.legacy) return R.bulk(JSON.stringify(m));
      return m.length === 0 ? R.null : R.bulk(JSON.stringify(m[0]));
    }),
  );
}

function isRootArg(arg: Buffer | undefined): boolean {
  const path = arg?.toString("latin1");
  return path === "$" || path === ".";
}

async function jsonMerge(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const key = dbKey(ctx.client.db, args[1] as Buffer);
  const path = pathArg(args[2] as Buffer);
  const patch = jsonArg(args[3] as Buffer);
  if (path.root) {
    await dataOf(ctx).patch(key, patch);
    return R.ok;
  }
  return readDecideWrite(ctx, key, (live) => {
    if (live === undefined) throw new CommandError(JERR.atRoot);
    const write: Mutation = { op: "mergePath", key, path: path.text, patch };
    if (locationsOf(live.value, path).length > 0) return { write, reply: () => R.ok };
    const kind = lastStepKind(path);
    if (kind === "dynamic") throw new CommandError(JERR.notStatic);
    if (kind === "index") throw new CommandError(JERR.indexRange);
    const target = additionTarget(live.value, path, MATCHES_MAX);
    if (patch === null || target === undefined || target.parents.length === 0) return nothing(R.null);
    return { write, reply: () => R.ok };
  });
}

const G = { group: "module", since: "1.0.0" } as const;
const KEY1 = [1, 1, 1] as const;

/** The JSON commands' table entries. */
export const jsonCommands: CommandSpec[] = [
  command({
    ...G,
    name: "json.set",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: KEY1,
    summary: "Sets or updates the JSON value at a path (MemFlux: JSON.SET key.path value).",
    handler: jsonSet,
    blind: jsonSetBlind,
    mutation: (ctx, args) => {
      const a = setArgs(ctx, args);
      assertRoot(a.path);
      return rootSet(a);
    },
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
    blind: (args) => isRootArg(args[2]),
    mutation: (ctx, args) => {
      assertRoot(pathArg(args[2] as Buffer));
      const patch = jsonArg(args[3] as Buffer);
      return {
        mutation: { op: "patch", key: dbKey(ctx.client.db, args[1] as Buffer), patch },
        reply: () => R.ok,
      };
    },
  }),
  ...jsonPathCommands,
];

/** The `mutation` hooks are asked only when `blind` said yes: at the root. */
function assertRoot(path: JsonPath): void {
  if (!path.root) throw new CommandError("ERR only a root path write is one mutation");
}
