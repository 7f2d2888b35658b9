/**
 * Writes at a path inside a document (RedisJSON's JSON.SET, JSON.DEL, JSON.NUMINCRBY, JSON.ARRAPPEND and
 * JSON.MERGE), as pure functions from the key's current document to its next one. Paths are parsed by
 * ./json-path.ts. The engine resolves these like every mutation, at write time against the newest state
 * (src/doc/entry.ts), so each is one new version of the key in one WAL record.
 *
 * Shared rules: a query (`$...`) writes every node it selects, each once; for a replace, merge or delete a
 * node inside another selected node is skipped (its old value is gone). A legacy path writes the same
 * nodes, but is strict where a query skips: a wrong type or nothing selected is an error. A new document is
 * built by copying only the containers on the way to a written node (copy on write, each container at most
 * once); everything else is shared with the old, frozen document. Size: before building, a lower bound on
 * the new text (the written values times the locations) is checked against `valueBytesMax`, so the work
 * stays O(valueBytesMax) whatever the number of matches; the caller checks the exact size on the text.
 */
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import type { ValueLimits } from "./encode-value.js";
import { encodeValue } from "./encode-value.js";
import type { Conditional } from "./entry.js";
import type { Json } from "./json.js";
import { deepFreeze, JSON_DEPTH_MAX } from "./json.js";
import type { JsonPath, Location } from "./json-path.js";
import { additionTarget, locate, parsePath, pathNotFound, valueAt } from "./json-path.js";
import type { KeyInput } from "./key.js";
import { applyMergePatch } from "./merge-patch.js";

/**
 * Writes at a path inside the key's document (src/doc/json-path-write.ts has the rules, src/doc/json-path.ts
 * the two path syntaxes: RFC 9535 `$` queries and legacy dot paths). Each keeps the key's expiry. `setPath`
 * and `mergePath` on an absent key take only the root path; `incrPath` and `appendPath` need a live key
 * (FUSEDB_NOT_FOUND); `deletePath` at the root deletes the key.
 */
export type PathMutation =
  | ({ op: "setPath"; key: KeyInput; path: string; value: Json } & Conditional)
  | ({ op: "deletePath"; key: KeyInput; path: string } & Conditional)
  | ({ op: "incrPath"; key: KeyInput; path: string; delta?: number } & Conditional)
  | ({ op: "appendPath"; key: KeyInput; path: string; values: Json[] } & Conditional)
  | ({ op: "mergePath"; key: KeyInput; path: string; patch: Json } & Conditional);

/** The ops of the path mutations, as `batch` takes them. */
export const PATH_OPS = ["setPath", "deletePath", "incrPath", "appendPath", "mergePath"] as const;
export type PathOpName = (typeof PATH_OPS)[number];

/**
 * A path mutation fixed at call time: path parsed, documents copied and frozen, with the UTF-8 size of
 * what each written location receives at least (`bytes`, for the size bound).
 */
export type CapturedPathOp =
  | { op: "setPath"; path: JsonPath; value: Json; bytes: number }
  | { op: "deletePath"; path: JsonPath }
  | { op: "incrPath"; path: JsonPath; delta: number }
  | { op: "appendPath"; path: JsonPath; values: readonly Json[]; bytes: number }
  | { op: "mergePath"; path: JsonPath; patch: Json; bytes: number };

/** Whether `op` names a path mutation. */
export function isPathOp(op: unknown): op is PathOpName {
  return (PATH_OPS as readonly unknown[]).includes(op);
}

/**
 * Reads the fields of a path mutation once, validates and fixes them: `path` (parsed), `value` (setPath),
 * `delta` (incrPath, a finite number, default 1), `values` (appendPath, a non-empty array), `patch`
 * (mergePath). Each document is at most `limits.valueBytesMax` bytes of JSON text.
 * @throws InvalidArgumentError FUSEDB_INVALID_PATH, FUSEDB_INVALID_ARGUMENT, FUSEDB_INVALID_JSON,
 *   FUSEDB_VALUE_TOO_LARGE.
 */
export function capturePathOp(
  op: PathOpName,
  fields: Record<string, unknown>,
  limits: ValueLimits,
): CapturedPathOp {
  const path = parsePath(fields.path);
  switch (op) {
    case "setPath": {
      const { value, bytes } = copy(fields.value, "value", limits);
      return { op, path, value, bytes };
    }
    case "deletePath":
      return { op, path };
    case "incrPath": {
      const delta = fields.delta ?? 1;
      if (typeof delta !== "number" || !Number.isFinite(delta)) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "incrPath delta must be a finite number");
      }
      return { op, path, delta: delta === 0 ? 0 : delta }; // no -0 in a document
    }
    case "appendPath": {
      const raw = fields.values;
      if (!Array.isArray(raw) || raw.length === 0) {
        throw new InvalidArgumentError(
          "FUSEDB_INVALID_ARGUMENT",
          "appendPath needs a non-empty array of values",
        );
      }
      const { value, bytes } = copy(raw, "values", limits);
      return { op, path, values: value as Json[], bytes: bytes - 2 }; // without the brackets
    }
    case "mergePath": {
      const { value } = copy(fields.patch, "patch", limits);
      // What the merge writes at a location at least: the patch without its nulls (RFC 7396 on nothing).
      const bytes = value === null ? 0 : JSON.stringify(applyMergePatch(undefined, value)).length;
      return { op, path, patch: value, bytes };
    }
  }
}

function copy(value: unknown, what: string, limits: ValueLimits): { value: Json; bytes: number } {
  const text = encodeValue(value, limits, what);
  return { value: deepFreeze(JSON.parse(text) as Json), bytes: text.length };
}

/**
 * The document after `m` on `doc` (undefined: no live document), or undefined when the write deletes the
 * key (deletePath at the root, or of an absent key). The result is not frozen yet; its unchanged parts are
 * `doc`'s own, frozen.
 * - setPath: replaces every selected node. If nothing is selected and the last step is a member name, adds
 *   it to each object the rest selects. An absent key takes only the root (RedisJSON: "new objects must be
 *   created at the root").
 * - deletePath: removes every selected node (array elements close up); the root deletes the key. Selecting
 *   nothing, or an absent key, changes nothing (RedisJSON answers 0).
 * - incrPath: adds `delta` to every selected number; a query skips other values (RedisJSON answers null
 *   for them), a legacy path requires a number.
 * - appendPath: appends `values` to every selected array; a query skips other values, a legacy path
 *   requires an array.
 * - mergePath: RFC 7396 merge of `patch` into every selected node; a null patch deletes it; adds a missing
 *   member as setPath does. An absent key takes only the root.
 * Source: the RedisJSON command reference (JSON.SET, JSON.DEL, JSON.NUMINCRBY, JSON.ARRAPPEND, JSON.MERGE).
 * @throws InvalidArgumentError FUSEDB_PATH_NOT_FOUND (a legacy path addressing nothing; a set or merge with
 *   nowhere to write), FUSEDB_TYPE_MISMATCH (incrPath or appendPath of a legacy path on the wrong type),
 *   FUSEDB_OUT_OF_RANGE (a sum that is not a finite number), FUSEDB_VALUE_TOO_LARGE, FUSEDB_INVALID_JSON
 *   (nesting past JSON_DEPTH_MAX), FUSEDB_INVALID_PATH (a query that fails or selects too much);
 *   NotFoundError (FUSEDB_NOT_FOUND) for incrPath or appendPath on an absent key.
 */
export function applyPathOp(doc: Json | undefined, m: CapturedPathOp, limits: ValueLimits): Json | undefined {
  if (doc === undefined) return applyToAbsent(m);
  const matchesMax = limits.valueBytesMax;
  if (m.path.root && m.op === "deletePath") return undefined;
  const selected = locate(doc, m.path, matchesMax);
  // A replace or delete of a node makes the nodes inside it moot; an increment or append never does.
  const found = m.op === "incrPath" || m.op === "appendPath" ? selected : outermost(selected);
  const tree = new CopyOnWrite(doc);
  switch (m.op) {
    case "setPath":
    case "mergePath": {
      const merge = m.op === "mergePath";
      const written = merge ? m.patch : m.value;
      const depth = depthOf(written);
      if (found.length === 0 && !(merge && written === null)) {
        const target = additionTarget(doc, m.path, matchesMax);
        if (target === undefined || target.parents.length === 0)
          throw pathNotFound(m.path, "has no parent to add to");
        checkSize(target.parents.length, m.bytes + target.name.length, limits);
        for (const parent of target.parents) {
          checkDepth(parent.length + 1 + depth);
          tree.put([...parent, target.name], merge ? applyMergePatch(undefined, written) : written);
        }
        return tree.root;
      }
      checkSize(found.length, m.bytes, limits);
      for (const at of found) {
        checkDepth(at.length + depth);
        if (!merge) tree.put(at, written);
        else if (written === null && at.length > 0) tree.remove(at);
        else tree.put(at, applyMergePatch(valueAt(doc, at), written));
      }
      return tree.compact();
    }
    case "deletePath":
      for (const at of found) tree.remove(at);
      return tree.compact();
    case "incrPath":
      for (const at of requireFound(found, m.path)) {
        const base = valueAt(doc, at);
        if (typeof base !== "number") {
          if (m.path.legacy) throw typeMismatch(m.path, "a number", base);
          continue;
        }
        const sum = base + m.delta;
        if (!Number.isFinite(sum)) {
          throw new InvalidArgumentError(
            "FUSEDB_OUT_OF_RANGE",
            `${base} + ${m.delta} is not a finite number`,
          );
        }
        tree.put(at, sum === 0 ? 0 : sum);
      }
      return tree.root;
    case "appendPath": {
      const arrays = requireFound(found, m.path).filter((at) => {
        const base = valueAt(doc, at);
        if (Array.isArray(base)) return true;
        if (m.path.legacy) throw typeMismatch(m.path, "an array", base);
        return false;
      });
      checkSize(arrays.length, m.bytes, limits);
      const depth = m.values.reduce((d: number, v) => Math.max(d, depthOf(v)), 0);
      for (const at of arrays) {
        checkDepth(at.length + 1 + depth);
        tree.append(at, m.values);
      }
      return tree.root;
    }
  }
}

function applyToAbsent(m: CapturedPathOp): Json | undefined {
  switch (m.op) {
    case "deletePath":
      return undefined;
    case "setPath":
    case "mergePath":
      if (!m.path.root) throw pathNotFound(m.path, "is not the root, and the key does not exist");
      return m.op === "setPath" ? m.value : applyMergePatch(undefined, m.patch);
    case "incrPath":
    case "appendPath":
      throw new NotFoundError(`${m.op} needs a live key`);
  }
}

/** A legacy path must address something; a query may select nothing. */
function requireFound(found: Location[], path: JsonPath): Location[] {
  if (found.length === 0 && path.legacy) throw pathNotFound(path);
  return found;
}

/** `found` without the locations inside another location of `found`. */
function outermost(found: Location[]): Location[] {
  const lengths = new Set(found.map((l) => l.length));
  if (lengths.size < 2) return found; // locations of one length never hold one another
  const ids = new Set(found.map((l) => JSON.stringify(l)));
  return found.filter((l) => {
    for (let n = 0; n < l.length; n++) {
      if (lengths.has(n) && ids.has(JSON.stringify(l.slice(0, n)))) return false;
    }
    return true;
  });
}

/** @throws FUSEDB_VALUE_TOO_LARGE if `count` copies of `bytes` bytes cannot fit one document. */
function checkSize(count: number, bytes: number, limits: ValueLimits): void {
  if (count * bytes > limits.valueBytesMax) {
    throw new InvalidArgumentError(
      "FUSEDB_VALUE_TOO_LARGE",
      `writing ${bytes} bytes at ${count} locations passes the limit of ${limits.valueBytesMax}`,
    );
  }
}

/** @throws FUSEDB_INVALID_JSON if a written value's deepest node would sit at `depth` > JSON_DEPTH_MAX. */
function checkDepth(depth: number): void {
  if (depth > JSON_DEPTH_MAX) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_JSON",
      `the result would nest deeper than ${JSON_DEPTH_MAX}`,
    );
  }
}

/** Levels below `value` (0 for a scalar); at most JSON_DEPTH_MAX, as `value` is a validated document. */
function depthOf(value: Json): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

function typeMismatch(path: JsonPath, want: string, found: Json | undefined): InvalidArgumentError {
  const kind = found === null ? "null" : Array.isArray(found) ? "an array" : typeof found;
  return new InvalidArgumentError(
    "FUSEDB_TYPE_MISMATCH",
    `path ${JSON.stringify(path.text)} holds ${kind}, not ${want}`,
  );
}

type Container = Json[] | { [field: string]: Json };

/**
 * A new document built from a frozen one: the containers on the way to a written node are copied once
 * (tracked in `fresh`) and then changed in place. Array elements removed are only marked until
 * {@link compact}, so the indexes of later locations stay valid.
 */
class CopyOnWrite {
  root: Json;
  private readonly fresh = new Set<Container>();
  private readonly holes = new Map<Json[], Set<number>>();

  constructor(doc: Json) {
    this.root = doc;
  }

  put(at: Location, value: Json): void {
    if (at.length === 0) {
      this.root = value;
      return;
    }
    define(this.parentOf(at), at[at.length - 1] as string | number, value);
  }

  remove(at: Location): void {
    const parent = this.parentOf(at);
    const step = at[at.length - 1] as string | number;
    if (Array.isArray(parent)) {
      const marked = this.holes.get(parent) ?? new Set<number>();
      marked.add(step as number);
      this.holes.set(parent, marked);
    } else delete parent[step as string];
  }

  append(at: Location, values: readonly Json[]): void {
    const array = this.writable(at) as Json[];
    array.push(...values);
  }

  /** The new document, with every array's removed elements gone. */
  compact(): Json {
    for (const [array, marked] of this.holes) {
      let w = 0;
      for (let r = 0; r < array.length; r++) if (!marked.has(r)) array[w++] = array[r] as Json;
      array.length = w;
    }
    return this.root;
  }

  /** The fresh copy of the container holding `at`'s last step. */
  private parentOf(at: Location): Container {
    return this.writable(at.slice(0, -1));
  }

  /** The fresh copy of the container at `at`, copying it and its ancestors on first use. */
  private writable(at: Location): Container {
    this.root = this.own(this.root as Container);
    let node = this.root as Container;
    for (const step of at) {
      const current = (node as Record<string | number, Json>)[step] as Container;
      const child = this.own(current);
      if (child !== current) define(node, step, child);
      node = child;
    }
    return node;
  }

  private own(c: Container): Container {
    if (this.fresh.has(c)) return c;
    let copy: Container;
    if (Array.isArray(c)) copy = c.slice();
    else {
      copy = {};
      for (const field of Object.keys(c)) define(copy, field, c[field] as Json);
    }
    this.fresh.add(copy);
    return copy;
  }
}

// defineProperty, not assignment, so a field named "__proto__" stays an ordinary field.
function define(c: Container, step: string | number, value: Json): void {
  if (Array.isArray(c)) c[step as number] = value;
  else Object.defineProperty(c, step, { value, enumerable: true, writable: true, configurable: true });
}
