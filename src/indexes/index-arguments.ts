/**
 * The public shapes of secondary indexes and the checks of their arguments (bad input: a typed error,
 * nothing changed).
 */
import { Buffer } from "node:buffer";
import { optionsOf } from "../arguments.js";
import type { KeyInput, KeyString } from "../doc/key.js";
import { InvalidArgumentError } from "../errors.js";
import { SCAN_LIMIT_MAX } from "../types.js";
import {
  encodeIndexValue,
  encodeStringPrefix,
  INDEX_NAME_BYTES_MAX,
  type IndexValue,
  isIndexValue,
  pathSegments,
  successor,
} from "./index-keys.js";
import type { EncodedRange } from "./query.js";

export type { IndexValue } from "./index-keys.js";

/** What `createIndex` takes. */
export interface IndexSpec {
  /** 1..200 bytes (UTF-8). */
  name: string;
  /** Documents whose key starts with this (bytewise, non-empty) are indexed. */
  prefix: KeyInput;
  /** Dot path of the field (`email`, `profile.age`, `tags`, `scores.0`). */
  path: string;
  /** Refuse a write that would give two live documents one value (FUSEDB_UNIQUE_VIOLATION). */
  unique?: boolean;
}

/** An index as `indexes()` reports it. */
export interface IndexInfo {
  name: string;
  prefix: string;
  path: string;
  unique: boolean;
  /** `building`: existing documents are being indexed; `ready`: queryable; `failed`: see `error`. */
  state: "building" | "ready" | "failed";
  /** Progress: documents the build has indexed so far (writes since the creation are indexed as they commit). */
  indexed: number;
  error?: string;
}

/**
 * What `query` takes: an index, at most one of `eq`, `prefix` (strings starting with it) or range bounds
 * (one lower: `gt`/`gte`, one upper: `lt`/`lte`), `limit` (default 100, at most SCAN_LIMIT_MAX), `reverse`.
 */
export interface IndexQuery {
  index: string;
  eq?: IndexValue;
  gt?: IndexValue;
  gte?: IndexValue;
  lt?: IndexValue;
  lte?: IndexValue;
  prefix?: string;
  limit?: number;
  reverse?: boolean;
}

/** Most indexes one database holds. */
export const INDEXES_MAX = 64;

function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", message);
}

/** An index name. @throws InvalidArgumentError. */
export function indexName(name: unknown): string {
  if (
    typeof name !== "string" ||
    name.length === 0 ||
    Buffer.byteLength(name, "utf8") > INDEX_NAME_BYTES_MAX
  ) {
    throw invalid(`an index name is a string of 1..${INDEX_NAME_BYTES_MAX} bytes`);
  }
  return name;
}

/** A checked spec, its prefix as a tree key. @throws InvalidArgumentError. */
export function indexSpec(
  spec: IndexSpec,
  toKey: (k: KeyInput) => KeyString,
): { name: string; prefix: KeyString; path: string; segments: string[]; unique: boolean } {
  const { name, prefix, path, unique = false } = optionsOf(spec, "index spec");
  const segments = typeof path === "string" ? pathSegments(path) : undefined;
  if (segments === undefined)
    throw new InvalidArgumentError("FUSEDB_INVALID_PATH", "an index path is a dot path: a.b.c");
  if (typeof unique !== "boolean") throw invalid("unique must be a boolean");
  const key = toKey(prefix as KeyInput);
  if (successor(key) === undefined) throw invalid("an index prefix cannot be all 0xff bytes");
  return { name: indexName(name), prefix: key, path: path as string, segments, unique };
}

function value(v: unknown, what: string): string {
  if (!isIndexValue(v)) throw invalid(`${what} must be null, a boolean, a finite number or a string`);
  return encodeIndexValue(v);
}

/** A checked query: its bounds over encoded values. @throws InvalidArgumentError. */
export function indexQuery(q: IndexQuery): {
  name: string;
  range: EncodedRange;
  limit: number;
  reverse: boolean;
} {
  const { index, eq, gt, gte, lt, lte, prefix, limit = 100, reverse = false } = optionsOf(q, "query");
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
    throw invalid(`query limit must be 1..${SCAN_LIMIT_MAX}`);
  }
  if (typeof reverse !== "boolean") throw invalid("query reverse must be a boolean");
  const name = indexName(index);
  const bounded = gt !== undefined || gte !== undefined || lt !== undefined || lte !== undefined;
  const kinds = (eq !== undefined ? 1 : 0) + (prefix !== undefined ? 1 : 0) + (bounded ? 1 : 0);
  if (kinds > 1) throw invalid("a query takes one of eq, prefix or range bounds");
  if ((gt !== undefined && gte !== undefined) || (lt !== undefined && lte !== undefined)) {
    throw invalid("a query takes at most one lower and one upper bound");
  }
  // Successors exist: every encoding starts with a type byte below 0xff.
  const after = (e: string): string => successor(e) as string;
  let range: EncodedRange = { gte: "", lt: undefined };
  if (eq !== undefined) {
    const e = value(eq, "eq");
    range = { gte: e, lt: after(e) };
  } else if (prefix !== undefined) {
    if (typeof prefix !== "string") throw invalid("query prefix must be a string");
    const p = encodeStringPrefix(prefix);
    range = { gte: p, lt: after(p) };
  } else if (bounded) {
    const low = gte !== undefined ? value(gte, "gte") : gt !== undefined ? after(value(gt, "gt")) : "";
    const high =
      lt !== undefined ? value(lt, "lt") : lte !== undefined ? after(value(lte, "lte")) : undefined;
    range = { gte: low, lt: high };
  }
  return { name, range, limit, reverse };
}
