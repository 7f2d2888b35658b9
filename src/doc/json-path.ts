/**
 * Paths into a JSON document, in RedisJSON's two syntaxes (redis.io: develop/data-types/json/path):
 * - a JSONPath query, RFC 9535, when the text starts with `$` (`$.a.b`, `$..price`, `$.items[?@.qty > 1]`):
 *   it selects a list of nodes, possibly empty, possibly with duplicates (RFC 9535 section 2.6). Parsing and
 *   evaluation are the `jsonpath-rfc9535` library's (it passes the JSONPath compliance test suite);
 * - a legacy dot path otherwise, which addresses at most one value: `.` is the root; `.a.b`, `a.b`, `a[0]`,
 *   `a["x.y"]`, `a['x']`, `.a[-1]`. Grammar:
 *     dotPath = "." / ["."] step *("." name / bracket) ; step = name / bracket
 *     name    = 1*(any char but `.` `[` `]` `*` `"` `'` `$` or white space)  ; a member name, or an array
 *               index when the name is a canonical non-negative integer and the value is an array (MemFlux's
 *               `items.0`, JSON Pointer's rule)
 *     bracket = "[" int "]" / "[" quoted "]" ; int: an array index, negative counts from the end
 *     quoted  = a "..." or '...' string with JSON's backslash escapes (and \' in '...')
 *   A legacy path this grammar does not take (wildcards, descendants, filters: `.d.*`, `..a`, `.e[*]`) is
 *   read as RedisJSON reads it, as the JSONPath query `$` + path, and still answers reads with one value.
 *   MemFlux's `key.path` form (the key, a dot, then a dot path) is split by the server; this parses the path.
 * A location is the list of member names and array indexes from the root to one node.
 */
import { exec } from "jsonpath-rfc9535";
import parseQuery from "jsonpath-rfc9535/parser";
import { InvalidArgumentError } from "../errors.js";
import type { Json } from "./json.js";
import { isJsonObject } from "./json.js";

/** Longest path text accepted, in UTF-16 code units (paths are parsed on every call that names one). */
export const PATH_CHARS_MAX = 4096;

/** One step of a dot path: a member name, an array index, or (dot form, all digits) either, by the value. */
export interface DotStep {
  readonly name?: string;
  readonly index?: number;
}

/**
 * A parsed path: immutable, shareable between calls. Exactly one of `steps` (a dot path, walked here) and
 * `query` (RFC 9535 text, evaluated by the library) is set.
 */
export interface JsonPath {
  /** The path as given. */
  readonly text: string;
  /** A legacy path (not starting with `$`): it addresses one value; reads answer its first match. */
  readonly legacy: boolean;
  /** Whether it addresses the whole document (`$` or `.`). */
  readonly root: boolean;
  readonly steps?: readonly DotStep[];
  readonly query?: string;
}

/** Member names and array indexes from the root to one node. */
export type Location = readonly (string | number)[];

/**
 * Parses `text` as a path (see the module comment for both syntaxes).
 * @throws InvalidArgumentError `FUSEDB_INVALID_PATH` if `text` is not a string of at most
 *   {@link PATH_CHARS_MAX} chars that parses as either syntax.
 */
export function parsePath(text: unknown): JsonPath {
  if (typeof text !== "string" || text.length === 0 || text.length > PATH_CHARS_MAX) {
    throw invalidPath(`a path must be a non-empty string of at most ${PATH_CHARS_MAX} chars`);
  }
  if (text.startsWith("$")) return queryOf(text, text, false);
  let steps: DotStep[];
  try {
    steps = parseDotPath(text);
  } catch (err) {
    // A legacy path with wildcards, descendants or filters (`.d.*`, `..a`, `.e[*]`): RedisJSON reads it as
    // the JSONPath query `$` + path.
    try {
      return queryOf(text, text.startsWith(".") || text.startsWith("[") ? `$${text}` : `$.${text}`, true);
    } catch {
      throw err;
    }
  }
  return Object.freeze({ text, legacy: true, root: steps.length === 0, steps: Object.freeze(steps) });
}

function queryOf(text: string, query: string, legacy: boolean): JsonPath {
  let segments: number;
  try {
    segments = parseQuery(query).segments.length;
  } catch (err) {
    throw invalidPath(`invalid JSONPath ${JSON.stringify(text)}: ${(err as Error).message}`, err);
  }
  return Object.freeze({ text, legacy, root: segments === 0, query });
}

/**
 * The values `path` selects in `doc`: for a `$` query every node of its nodelist (RFC 9535, in its order,
 * with duplicates); for a legacy path the one value it addresses (its first match).
 * @throws InvalidArgumentError `FUSEDB_PATH_NOT_FOUND` for a legacy path that addresses nothing (RedisJSON's
 *   "Path ... does not exist"); `FUSEDB_INVALID_PATH` for a query whose evaluation fails (a bad regular
 *   expression in `match`/`search`) or that selects more than `matchesMax` nodes.
 */
export function queryPath(doc: Json, path: JsonPath, matchesMax: number): Json[] {
  if (path.steps !== undefined) {
    const found = walkDot(doc, path.steps);
    if (found === undefined) throw pathNotFound(path);
    return [found.value];
  }
  const out: Json[] = [];
  evaluate(doc, path, matchesMax, (value) => out.push(value));
  if (!path.legacy) return out;
  if (out.length === 0) throw pathNotFound(path);
  return out.slice(0, 1);
}

/**
 * The locations `path` selects in `doc`, each once (a query's duplicates are dropped), in selection order.
 * A dot path without wildcards gives zero or one.
 * @throws InvalidArgumentError `FUSEDB_INVALID_PATH` as {@link queryPath}.
 */
export function locate(doc: Json, path: JsonPath, matchesMax: number): Location[] {
  if (path.steps !== undefined) {
    const found = walkDot(doc, path.steps);
    return found === undefined ? [] : [found.location];
  }
  const seen = new Set<string>();
  const out: Location[] = [];
  evaluate(doc, path, matchesMax, (_, location) => {
    const id = JSON.stringify(location);
    if (seen.has(id)) return;
    seen.add(id);
    out.push(location);
  });
  return out;
}

/**
 * Where a write may add a new member when `path` selects nothing (RedisJSON's JSON.SET rule: "when the path
 * exists, except for the last element, a new child is added"): the objects that the path without its last
 * step selects, and that last step's member name. Undefined if the last step is not a single member name
 * (an index, a wildcard, a filter, a descendant segment) or the path is the root.
 */
export function additionTarget(
  doc: Json,
  path: JsonPath,
  matchesMax: number,
): { parents: Location[]; name: string } | undefined {
  if (path.root) return undefined;
  if (path.steps !== undefined) {
    const last = path.steps[path.steps.length - 1];
    if (last?.name === undefined) return undefined;
    const parent = walkDot(doc, path.steps.slice(0, -1));
    if (parent === undefined || !isJsonObject(parent.value)) return { parents: [], name: last.name };
    return { parents: [parent.location], name: last.name };
  }
  const split = splitLastName(path.query ?? "$");
  if (split === undefined) return undefined;
  const parents = locate(doc, split.parent, matchesMax).filter((l) => isJsonObject(valueAt(doc, l)));
  return { parents, name: split.name };
}

/** The value at `location` in `doc`, or undefined if there is none. */
export function valueAt(doc: Json, location: Location): Json | undefined {
  let node: Json | undefined = doc;
  for (const step of location) {
    node = childOf(node, step);
    if (node === undefined) return undefined;
  }
  return node;
}

/** The InvalidArgumentError for a path that addresses nothing where something is needed. */
export function pathNotFound(path: JsonPath, why = "does not exist"): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_PATH_NOT_FOUND", `path ${JSON.stringify(path.text)} ${why}`);
}

function invalidPath(message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    "FUSEDB_INVALID_PATH",
    message,
    cause === undefined ? undefined : { cause },
  );
}

function childOf(node: Json | undefined, step: string | number): Json | undefined {
  if (typeof step === "number") return Array.isArray(node) ? node[step] : undefined;
  return isJsonObject(node) && Object.hasOwn(node, step) ? node[step] : undefined;
}

/** Runs the library on `doc`, reporting each node with its location (member names unescaped). */
function evaluate(
  doc: Json,
  path: JsonPath,
  matchesMax: number,
  onMatch: (value: Json, location: Location) => void,
): void {
  let matches = 0;
  try {
    exec(doc, path.query ?? "$", (value, normalized) => {
      if (++matches > matchesMax) throw new RangeError(`selects more than ${matchesMax} nodes`);
      onMatch(
        value as Json,
        normalized.map((s) => (typeof s === "number" ? s : unescapeName(s))),
      );
    });
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw invalidPath(`JSONPath ${JSON.stringify(path.text)} failed: ${(err as Error).message}`, err);
  }
}

const NAME_ESCAPES: Readonly<Record<string, string>> = {
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  "'": "'",
  "\\": "\\",
};

/**
 * A member name as the document holds it, from the library's location step, which escapes it as a
 * normalized path does (RFC 9535 section 2.7: `'` `\` and control characters).
 */
function unescapeName(escaped: string): string {
  if (!escaped.includes("\\")) return escaped;
  return escaped.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) =>
    e.length === 5 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : (NAME_ESCAPES[e] ?? e),
  );
}

/**
 * A query whose last segment is one member name (`.name` or `['name']`), split there: the query before it
 * and the name. Tries each `.` or `[` from the right as the cut and keeps the first whose two sides parse
 * as the whole query's segments.
 */
function splitLastName(text: string): { parent: JsonPath; name: string } | undefined {
  const whole = parseQuery(text).segments;
  const last = whole[whole.length - 1];
  if (last === undefined || last.type !== "ChildSegment") return undefined;
  let name: string;
  if (last.node.type === "MemberNameShorthand") name = last.node.value;
  else if (last.node.type === "BracketedSelection" && last.node.selectors.length === 1) {
    const only = last.node.selectors[0];
    if (only?.type !== "NameSelector") return undefined;
    name = only.value;
  } else return undefined;
  for (let cut = text.length - 1; cut > 0; cut--) {
    if (text[cut] !== "." && text[cut] !== "[") continue;
    const head = text.slice(0, cut).trimEnd(); // blank space may separate segments (RFC 9535 2.5)
    try {
      const prefix = parseQuery(head).segments;
      const tail = parseQuery(`$${text.slice(cut)}`).segments;
      if (prefix.length === whole.length - 1 && tail.length === 1) {
        return { parent: { text: head, legacy: false, root: prefix.length === 0, query: head }, name };
      }
    } catch {
      // Not a cut between segments (inside a quoted name or a filter); try the next one.
    }
  }
  return undefined;
}

/** The value a dot path addresses and its location, or undefined if it addresses nothing. */
function walkDot(doc: Json, steps: readonly DotStep[]): { value: Json; location: Location } | undefined {
  let node: Json = doc;
  const location: (string | number)[] = [];
  for (const step of steps) {
    let next: Json | undefined;
    let at: string | number | undefined;
    if (Array.isArray(node) && step.index !== undefined) {
      at = step.index < 0 ? node.length + step.index : step.index;
      next = at >= 0 ? node[at] : undefined;
    } else if (isJsonObject(node) && step.name !== undefined) {
      at = step.name;
      next = childOf(node, at);
    }
    if (next === undefined || at === undefined) return undefined;
    location.push(at);
    node = next;
  }
  return { value: node, location };
}

const INDEX = /^(?:0|-?[1-9][0-9]*)$/;
const NAME_CHAR_FORBIDDEN = /[.[\]*"'$\s]/;

/** The steps of a dot path (see the module comment's grammar). @throws FUSEDB_INVALID_PATH. */
function parseDotPath(text: string): DotStep[] {
  if (text === ".") return [];
  const steps: DotStep[] = [];
  let i = text.startsWith(".") ? 1 : 0;
  let needName = i === 1;
  const bad = (why: string): InvalidArgumentError =>
    invalidPath(`invalid path ${JSON.stringify(text)} at char ${i}: ${why}`);
  while (i < text.length) {
    if (text[i] === "[" && !needName) {
      const close = bracketEnd(text, i);
      if (close < 0) throw bad("unterminated [");
      steps.push(bracketStep(text.slice(i + 1, close), bad));
      i = close + 1;
    } else {
      let end = i;
      while (end < text.length && !NAME_CHAR_FORBIDDEN.test(text[end] as string)) end++;
      if (end === i) throw bad("expected a member name");
      const name = text.slice(i, end);
      const index = INDEX.test(name) && !name.startsWith("-") ? Number(name) : undefined;
      steps.push(index !== undefined && Number.isSafeInteger(index) ? { name, index } : { name });
      i = end;
    }
    needName = false;
    if (i < text.length && text[i] === ".") {
      i++;
      needName = true;
      if (i === text.length) throw bad("expected a member name");
    } else if (i < text.length && text[i] !== "[") throw bad(`unexpected ${JSON.stringify(text[i])}`);
  }
  return steps;
}

/** The index of the `]` closing the bracket opened at `open`, skipping quoted text; -1 if none. */
function bracketEnd(text: string, open: number): number {
  const quote = text[open + 1];
  if (quote !== '"' && quote !== "'") return text.indexOf("]", open);
  for (let j = open + 2; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === quote) return text[j + 1] === "]" ? j + 1 : -1;
  }
  return -1;
}

function bracketStep(inner: string, bad: (why: string) => InvalidArgumentError): DotStep {
  if (INDEX.test(inner)) {
    const index = Number(inner);
    if (!Number.isSafeInteger(index)) throw bad("index out of range");
    return { index };
  }
  const quote = inner[0];
  if (quote !== '"' && quote !== "'") throw bad("expected an index or a quoted name");
  // As JSON text: a '...' name has \' for ' and may hold a bare ".
  const body = inner.slice(1, -1);
  const json =
    quote === '"' ? body : body.replace(/\\(.)|"/g, (m, e?: string) => (e === "'" ? "'" : e ? m : '\\"'));
  try {
    return { name: JSON.parse(`"${json}"`) as string };
  } catch {
    throw bad("bad escape in a quoted name");
  }
}
