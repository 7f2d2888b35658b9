/**
 * `db.json`: reads and writes at a path inside a key's JSON document, in the shape node-redis gives
 * RedisJSON (`client.json.get/set/del/numIncrBy/arrAppend/merge`), with fusedb's names. Paths are RedisJSON's
 * (src/doc/json-path.ts): an RFC 9535 JSONPath query starting with `$` selects a list of nodes; a legacy
 * path (`.`, `.a.b`, `a.b`, `a[0]`, `a["x.y"]`, `.d.*`) addresses one value. The write rules are
 * src/doc/json-path-write.ts's. Each write is one mutation of the key (`batch` takes the same ones as
 * `setPath`, `deletePath`, `incrPath`, `appendPath`, `mergePath`): one new version, one WAL record, durable
 * as any write, with `ifVersion`, the key's expiry kept, and one "put" (or "delete") event for subscribers.
 * Built on the public `get` and `batch` only.
 */

import { optionsOf } from "./arguments.js";
import type { Json } from "./doc/json.js";
import { parsePath, queryPath } from "./doc/json-path.js";
import type { PathMutation } from "./doc/json-path-write.js";
import type { KeyInput } from "./doc/key.js";
import { assert, InvalidArgumentError } from "./errors.js";
import type {
  BatchResult,
  ConditionalOptions,
  PathValues,
  PathWriteResult,
  ValueWriteResult,
  Versioned,
} from "./types.js";

/** What {@link JsonPaths} needs of the database: its public reads and writes and its value size limit. */
export interface JsonPathsHost {
  get(key: KeyInput): Promise<Versioned | undefined>;
  batch(mutations: readonly PathMutation[]): Promise<BatchResult>;
  readonly valueBytesMax: number;
}

/** Sub-path operations on JSON documents; reach them as `db.json`. */
export class JsonPaths {
  constructor(private readonly host: JsonPathsHost) {}

  /**
   * The values at `path` in the document under `key`, with the document's version: for a `$` query every
   * node it selects (RFC 9535 nodelist order, duplicates kept; `[]` if none); for a legacy path its one
   * value (the first match).
   * Undefined if the key is missing, deleted or expired. Sees what `get` sees. RedisJSON JSON.GET.
   * @example `await db.json.get("doc", "$..price")` → `{ values: [8.95, 12.99], version: 3 }`
   * @throws InvalidArgumentError FUSEDB_INVALID_PATH (bad syntax, a failing query, more matches than
   *   valueBytesMax), FUSEDB_PATH_NOT_FOUND (a legacy path addressing nothing); the errors of `get`.
   */
  async get(key: KeyInput, path: string): Promise<PathValues | undefined> {
    const parsed = parsePath(path);
    const found = await this.host.get(key);
    if (found === undefined) return undefined;
    const out: PathValues = {
      values: queryPath(found.value, parsed, this.host.valueBytesMax),
      version: found.version,
    };
    if (found.expiresAtMs !== undefined) out.expiresAtMs = found.expiresAtMs;
    return out;
  }

  /**
   * Replaces the value at `path` (every node a `$` query selects); when nothing is there but the path's
   * parent is an object, adds the last member name to it. A missing key takes only the root (`$` or `.`).
   * Keeps the document's expiry. Resolves with the new document once durable. RedisJSON JSON.SET.
   * @example `await db.json.set("doc", "$.b", 8)` on `{ a: 2 }` → `{ value: { a: 2, b: 8 }, ... }`
   * @throws InvalidArgumentError FUSEDB_PATH_NOT_FOUND (nowhere to write), FUSEDB_INVALID_PATH,
   *   FUSEDB_INVALID_JSON, FUSEDB_VALUE_TOO_LARGE; VersionConflictError; and as every write.
   */
  async set(
    key: KeyInput,
    path: string,
    value: Json,
    options?: ConditionalOptions,
  ): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "json.set options");
    return withValue(await this.host.batch([{ op: "setPath", key, path, value, ifVersion }]));
  }

  /**
   * Removes the value at `path` (every node a `$` query selects; array elements close up). The root
   * deletes the key; a path that selects nothing, or a missing key, changes nothing but the version.
   * Resolves with the new document (undefined if the key was deleted). RedisJSON JSON.DEL.
   * @throws InvalidArgumentError FUSEDB_INVALID_PATH; VersionConflictError; and as every write.
   */
  async delete(key: KeyInput, path: string, options?: ConditionalOptions): Promise<PathWriteResult> {
    const { ifVersion } = optionsOf(options, "json.delete options");
    const r = await this.host.batch([{ op: "deletePath", key, path, ifVersion }]);
    const first = r.results[0];
    assert(first !== undefined, "a single mutation has one result");
    return { value: first.value, version: first.version, lsn: r.lsn };
  }

  /**
   * Adds the finite number `delta` (default 1; floats allowed, as JSON numbers) to the number at `path`; a
   * `$` query adds to every number it selects and skips other values. Resolves with the new document.
   * RedisJSON JSON.NUMINCRBY.
   * @throws InvalidArgumentError FUSEDB_TYPE_MISMATCH (a legacy path on a non-number), FUSEDB_PATH_NOT_FOUND
   *   (a legacy path addressing nothing), FUSEDB_OUT_OF_RANGE (a sum that is not finite),
   *   FUSEDB_INVALID_ARGUMENT (a bad delta), FUSEDB_INVALID_PATH; NotFoundError (FUSEDB_NOT_FOUND) for a
   *   missing key; VersionConflictError; and as every write.
   */
  async incr(
    key: KeyInput,
    path: string,
    delta = 1,
    options?: ConditionalOptions,
  ): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "json.incr options");
    return withValue(await this.host.batch([{ op: "incrPath", key, path, delta, ifVersion }]));
  }

  /**
   * Appends `values` (a non-empty array), in order, to the array at `path`; a `$` query appends to every
   * array it selects and skips other values. Resolves with the new document. RedisJSON JSON.ARRAPPEND.
   * @throws InvalidArgumentError FUSEDB_TYPE_MISMATCH (a legacy path on a non-array), FUSEDB_PATH_NOT_FOUND,
   *   FUSEDB_INVALID_ARGUMENT (no values), FUSEDB_INVALID_PATH, FUSEDB_INVALID_JSON,
   *   FUSEDB_VALUE_TOO_LARGE; NotFoundError for a missing key; VersionConflictError; and as every write.
   */
  async append(
    key: KeyInput,
    path: string,
    values: Json[],
    options?: ConditionalOptions,
  ): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "json.append options");
    if (!Array.isArray(values))
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "values must be an array");
    return withValue(await this.host.batch([{ op: "appendPath", key, path, values, ifVersion }]));
  }

  /**
   * Merges `patch` into the value at `path` by RFC 7396 (objects merge, `null` removes a member, anything
   * else replaces); a `null` patch removes the value; a missing last member is added as `set` adds it. A
   * missing key takes only the root. Resolves with the new document. RedisJSON JSON.MERGE.
   * @throws as {@link set}.
   */
  async merge(
    key: KeyInput,
    path: string,
    patch: Json,
    options?: ConditionalOptions,
  ): Promise<ValueWriteResult> {
    const { ifVersion } = optionsOf(options, "json.merge options");
    return withValue(await this.host.batch([{ op: "mergePath", key, path, patch, ifVersion }]));
  }
}

function withValue(r: BatchResult): ValueWriteResult {
  const first = r.results[0];
  assert(first !== undefined, "a single mutation has one result");
  assert(first.value !== undefined, "a path write other than a delete leaves a document");
  return { value: first.value, version: first.version, lsn: r.lsn };
}
