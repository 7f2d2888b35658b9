/**
 * The state of one key as the engine stores it, and the pure rules that turn a mutation into a new state.
 * Operations are resolved at write time (the base value is needed anyway for the version and for type
 * checks), so the WAL and the buffer hold resolved documents and no merge-operand chain can build up
 * (RocksDB issue #4095).
 */
import {
  assert,
  InvalidArgumentError,
  NotFoundError,
  VersionConflictError,
  WrongTypeError,
} from "../errors.js";
import { mark } from "../util/coverage.js";
import type { ValueLimits } from "./encode-value.js";
import { encodeValue } from "./encode-value.js";
import type { Json } from "./json.js";
import { decodeJson, deepFreeze } from "./json.js";
import type { CapturedPathOp, PathMutation } from "./json-path-write.js";
import { applyPathOp, capturePathOp, isPathOp } from "./json-path-write.js";
import type { KeyInput } from "./key.js";
import { applyMergePatch } from "./merge-patch.js";

const textEncoder = new TextEncoder();

/**
 * Texts of at most this many chars that are all ASCII are encoded by hand into a plain `Uint8Array`, which
 * V8 allocates on its heap at this size (its default `typed_array_max_size_in_heap`, 64): TextEncoder gives
 * every text an ArrayBuffer of its own, outside the heap (a malloc and external memory for the GC to track),
 * which for a counter's few digits cost more than the text (issue 13, GC per write).
 */
const SMALL_TEXT_CHARS_MAX = 64;

/**
 * The UTF-8 bytes of `json`, exactly what `TextEncoder.encode` gives (lone surrogates as U+FFFD): a short
 * ASCII text by hand, on the heap (see {@link SMALL_TEXT_CHARS_MAX}), anything else by the encoder.
 */
export function utf8Of(json: string): Uint8Array {
  const n = json.length;
  if (n > SMALL_TEXT_CHARS_MAX) return textEncoder.encode(json);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c > 0x7f) return textEncoder.encode(json);
    out[i] = c;
  }
  return out;
}

/**
 * One version of one key. `value === undefined` marks a tombstone (a deleted key; its version is also in the
 * dead-version floor of its bucket, src/doc/version-floor.ts, so background work may drop it and versions
 * still keep growing after a delete and re-create).
 */
export interface Entry {
  /**
   * Per-key version: +1 for each mutation while the key is live; a write to a key that is not live follows
   * both its last version and its bucket's dead-version floor (so 1 for a first write unless the bucket has
   * seen deletes or expiries).
   */
  readonly version: number;
  /** The document, frozen; undefined for a tombstone. */
  readonly value: Json | undefined;
  /** UTF-8 JSON text of `value`; undefined for a tombstone. */
  readonly text: Uint8Array | undefined;
  /** LSN of the WAL record that produced this version. */
  readonly lsn: number;
  /**
   * The Redis data type whose metadata this entry holds (src/types/, docs/key-encoding.md); undefined for a
   * JSON document (and for a tombstone, and for an internal element subkey). A typed entry's `value` is its
   * metadata as JSON (a string's bytes as a latin1 JSON string), so every generic path (codec, caches,
   * merges) handles it like a document.
   */
  readonly type?: DataType;
  /**
   * Absolute expiry time in Clock milliseconds; undefined if the document lives until changed. The entry is
   * expired, and reads treat it as absent, once `clock.now() >= expiresAtMs`. Never set on a tombstone.
   */
  readonly expiresAtMs?: number;
}

/** The Redis data types a key may hold besides a JSON document (issue 14). */
export type DataType = "string" | "hash" | "list" | "set" | "zset";

/** The name of what a live entry holds: its data type, or "json" for a document. */
export function typeNameOf(entry: Entry): DataType | "json" {
  return entry.type ?? "json";
}

/**
 * Whether `entry` holds a document that is visible at `nowMs`: present, not a tombstone, not expired.
 * Idea: Redis's lazy expiry (a key past its EXPIRE time is absent to every command).
 */
export function isLive(entry: Entry | undefined, nowMs: number): entry is Entry & { value: Json } {
  if (entry === undefined || entry.value === undefined) return false;
  return entry.expiresAtMs === undefined || nowMs < entry.expiresAtMs;
}

/** The version a key has now, counting deletes and expiries: 0 if it never existed. */
export function liveVersion(entry: Entry | undefined, nowMs: number): number {
  return isLive(entry, nowMs) ? entry.version : 0;
}

/**
 * Optional condition on any mutation: the key's current live version must equal `ifVersion`, where 0 means
 * "the key does not exist" (never written, deleted, or expired). A mismatch rejects the whole call with
 * `VersionConflictError` (FUSEDB_VERSION_CONFLICT) and changes nothing. Checked against the newest state,
 * including earlier mutations of the same call and of calls not yet durable (compare-and-set).
 */
export interface Conditional {
  ifVersion?: number;
}

/**
 * A mutation as callers pass it to `batch`.
 * - `set` replaces the document; `ttlMs` (a positive integer) makes it expire `ttlMs` Clock milliseconds
 *   after the call; without `ttlMs` the key lives until changed (any old expiry is cleared, as Redis SET).
 * - `patch` and `incr` keep the key's expiry; on an absent or expired key they start from nothing.
 * - `expire` sets the expiry of a live key to `ms` (a positive integer) after the call, as a new version;
 *   on an absent or expired key it fails with `NotFoundError` (FUSEDB_NOT_FOUND). Redis EXPIRE semantics.
 * - the path mutations write inside the document at a JSONPath or dot path ({@link PathMutation}).
 */
export type Mutation =
  | ({ op: "set"; key: KeyInput; value: Json; ttlMs?: number } & Conditional)
  | ({ op: "delete"; key: KeyInput } & Conditional)
  | ({ op: "patch"; key: KeyInput; patch: Json } & Conditional)
  | ({ op: "incr"; key: KeyInput; delta?: number } & Conditional)
  | ({ op: "expire"; key: KeyInput; ms: number } & Conditional)
  | PathMutation;

/**
 * Validates the non-key, non-document arguments of a mutation (op, ifVersion, ttlMs, ms, delta) before it
 * touches any state. Documents (a `set` value, a `patch`) are checked while they are copied, in one bounded
 * pass ({@link copyJson}): both are at most `limits.valueBytesMax` bytes of JSON text (a larger patch is
 * refused even if its result would fit; split it).
 * @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT).
 */
function validateArguments(m: Mutation): void {
  if (m.ifVersion !== undefined && !(Number.isSafeInteger(m.ifVersion) && m.ifVersion >= 0)) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      "ifVersion must be a non-negative safe integer",
    );
  }
  switch (m.op) {
    case "set":
      if (m.ttlMs !== undefined) assertDurationMs(m.ttlMs, "ttlMs");
      return;
    case "expire":
      assertDurationMs(m.ms, "expire ms");
      return;
    case "patch":
      return;
    case "incr": {
      const delta = m.delta ?? 1;
      if (typeof delta !== "number" || !Number.isSafeInteger(delta)) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `incr delta must be a safe integer`);
      }
      return;
    }
    case "delete":
      return;
    case "setPath":
    case "deletePath":
    case "incrPath":
    case "appendPath":
    case "mergePath":
      return; // their other fields are checked as they are captured (capturePathOp)
    default:
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        `unknown op ${JSON.stringify((m as { op: unknown }).op)}`,
      );
  }
}

/**
 * A mutation fixed at call time (issue 12 item 2): its fields read once from the caller's object and
 * validated, its document or patch a frozen copy (a set's with its stored UTF-8 text), so nothing the
 * caller does afterwards (or a getter answering differently) changes what is stored.
 */
export type CapturedMutation =
  | ({ op: "set"; value: Json; text: Uint8Array; ttlMs?: number } & Conditional)
  | ({ op: "delete" } & Conditional)
  | ({ op: "patch"; patch: Json } & Conditional)
  | ({ op: "incr"; delta?: number } & Conditional)
  | ({ op: "expire"; ms: number } & Conditional)
  | (CapturedPathOp & Conditional);

/**
 * Validates `m` and fixes it: every field is read exactly once, documents are encoded and copied.
 * Returns the key as given (the caller converts it) and the captured mutation.
 * @throws InvalidArgumentError as {@link validateArguments} and {@link copyJson}; `FUSEDB_INVALID_JSON` if a document cannot be
 *   encoded or its encoded copy breaks a rule the original passed (an accessor answering differently).
 */
export function captureMutation(
  m: Mutation,
  limits: ValueLimits,
): { key: KeyInput; mutation: CapturedMutation } {
  const fields = m as Partial<Record<"value" | "patch" | "delta" | "ms" | "ttlMs", unknown>>;
  const { op, key, ifVersion } = m;
  if (isPathOp(op)) {
    validateArguments({ op: "delete", key, ifVersion }); // ifVersion; capturePathOp checks the rest
    return {
      key,
      mutation: { ...capturePathOp(op, m as unknown as Record<string, unknown>, limits), ifVersion },
    };
  }
  let once: PlainMutation;
  switch (op) {
    case "set":
      once = { op, key, value: fields.value as Json, ttlMs: fields.ttlMs as number | undefined, ifVersion };
      break;
    case "patch":
      once = { op, key, patch: fields.patch as Json, ifVersion };
      break;
    case "incr":
      once = { op, key, delta: fields.delta as number | undefined, ifVersion };
      break;
    case "expire":
      once = { op, key, ms: fields.ms as number, ifVersion };
      break;
    default:
      once = { op, key, ifVersion } as PlainMutation;
  }
  validateArguments(once);
  return { key, mutation: fixed(once, limits) };
}

type PlainMutation = Exclude<Mutation, PathMutation>;

/** The captured form of a validated mutation read once: documents copied, the key left out. */
function fixed(m: PlainMutation, limits: ValueLimits): CapturedMutation {
  const { ifVersion } = m;
  switch (m.op) {
    case "set": {
      const { value, text } = copyJson(m.value, "value", limits);
      return { op: "set", value, text, ttlMs: m.ttlMs, ifVersion };
    }
    case "patch":
      return { op: "patch", patch: copyJson(m.patch, "patch", limits).value, ifVersion };
    case "incr":
      return { op: "incr", delta: m.delta, ifVersion };
    case "expire":
      return { op: "expire", ms: m.ms, ifVersion };
    case "delete":
      return { op: "delete", ifVersion };
  }
}

/**
 * A document's frozen copy and its UTF-8 text, from one bounded pass over the caller's object
 * ({@link encodeValue}: validated while encoded, so what is stored is exactly what was checked).
 * @throws InvalidArgumentError (FUSEDB_INVALID_JSON, FUSEDB_VALUE_TOO_LARGE).
 */
function copyJson(value: Json, what: string, limits: ValueLimits): { value: Json; text: Uint8Array } {
  const json = encodeValue(value, limits, what);
  // The copy is parsed from the encoder's string, not decoded back from the bytes: the same document.
  return { value: deepFreeze(JSON.parse(json) as Json), text: utf8Of(json) };
}

function assertDurationMs(ms: unknown, what: string): void {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 1) {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `${what} must be a positive safe integer`);
  }
}

/** `nowMs + ms` as an absolute expiry. @throws InvalidArgumentError if it leaves the safe-integer range. */
function expiryAfter(nowMs: number, ms: number): number {
  const at = nowMs + ms;
  if (!Number.isSafeInteger(at)) {
    throw new InvalidArgumentError("FUSEDB_OUT_OF_RANGE", `expiry ${nowMs} + ${ms} ms is out of range`);
  }
  return at;
}

/**
 * Resolves a validated mutation against the key's current entry (undefined if the key never existed, or its
 * tombstone was collected) at Clock time `nowMs` (the time of the call: expiries are `nowMs + ttl`, and an
 * entry expired at `nowMs` counts as absent, though its version still counts). `deadFloor` is the
 * dead-version floor of the key's bucket (src/doc/version-floor.ts): a key that is not live gets version
 * `max(current version, deadFloor) + 1`, a live key its version + 1. Pure: returns the new entry and changes
 * nothing.
 * @throws VersionConflictError (FUSEDB_VERSION_CONFLICT) if `ifVersion` does not match; NotFoundError
 *   (FUSEDB_NOT_FOUND) for `expire` on an absent key; InvalidArgumentError `FUSEDB_TYPE_MISMATCH` (incr on a
 *   non-integer), `FUSEDB_OUT_OF_RANGE` (incr leaving the safe-integer range), `FUSEDB_VALUE_TOO_LARGE`;
 *   for path mutations, the errors of `applyPathOp` (src/doc/json-path-write.ts).
 */
export function resolveMutation(
  current: Entry | undefined,
  m: CapturedMutation,
  lsn: number,
  limits: ValueLimits,
  nowMs: number,
  deadFloor: number,
): Entry {
  const live = isLive(current, nowMs) ? current : undefined;
  if (m.ifVersion !== undefined && m.ifVersion !== (live?.version ?? 0)) {
    throw new VersionConflictError(m.ifVersion, live?.version ?? 0);
  }
  // A key of another data type: only the type-free mutations (delete, expire) apply to it.
  if (live?.type !== undefined && m.op !== "delete" && m.op !== "expire") {
    throw new WrongTypeError(live.type, "json document");
  }
  // Versions never reset: a deleted or expired key's next version follows its last one and every dead
  // version of its bucket (its own tombstone may have been collected; the floor remembers it).
  const version = (live?.version ?? Math.max(current?.version ?? 0, deadFloor)) + 1;
  // Deleting or expiring a collection is O(1): its elements are left to background merges.
  if (live?.type !== undefined && live.type !== "string") mark(`types.${m.op}-collection`);
  switch (m.op) {
    case "delete":
      return { version, value: undefined, text: undefined, lsn };
    case "set":
      return entryOf(
        m.value,
        m.text,
        version,
        lsn,
        limits,
        m.ttlMs === undefined ? undefined : expiryAfter(nowMs, m.ttlMs),
      );
    case "patch":
      return materialise(applyMergePatch(live?.value, m.patch), version, lsn, limits, live?.expiresAtMs);
    case "expire":
      if (live === undefined) throw new NotFoundError("expire needs a live key");
      return withType(
        { version, value: live.value, text: live.text, lsn, expiresAtMs: expiryAfter(nowMs, m.ms) },
        live.type,
      );
    case "incr": {
      // A missing, deleted or expired key counts as 0; JSON null is a value, and not a number.
      const base = live === undefined ? 0 : live.value;
      if (typeof base !== "number" || !Number.isSafeInteger(base)) {
        throw new InvalidArgumentError(
          "FUSEDB_TYPE_MISMATCH",
          `incr needs an integer value; the key holds ${describeJson(base)}`,
        );
      }
      const next = base + (m.delta ?? 1);
      if (!Number.isSafeInteger(next)) {
        throw new InvalidArgumentError(
          "FUSEDB_OUT_OF_RANGE",
          `incr result ${next} leaves the safe-integer range`,
        );
      }
      return materialise(next, version, lsn, limits, live?.expiresAtMs);
    }
    case "setPath":
    case "deletePath":
    case "incrPath":
    case "appendPath":
    case "mergePath": {
      const doc = applyPathOp(live?.value, m, limits);
      if (doc === undefined) return { version, value: undefined, text: undefined, lsn };
      return materialise(doc, version, lsn, limits, live?.expiresAtMs);
    }
  }
}

/** `entry` with the data type `type` (unchanged when undefined: a JSON document). */
export function withType(entry: Entry, type: DataType | undefined): Entry {
  if (type === undefined) return entry;
  // Literals, not a spread (a hot path: a spread built fresh hidden classes per call); the same own fields.
  const { version, value, text, lsn, expiresAtMs } = entry;
  return expiresAtMs === undefined
    ? { version, value, text, lsn, type }
    : { version, value, text, lsn, type, expiresAtMs };
}

/** An entry for a document computed while resolving (patch, incr): encoded and normalised here. */
function materialise(
  value: Json,
  version: number,
  lsn: number,
  limits: ValueLimits,
  expiresAtMs: number | undefined,
): Entry {
  // `value` is built from validated, normalised documents only: a stored document and a captured patch (each
  // decoded from its own text: a tree, no -0, no accessors, at most valueBytesMax bytes of text) or a safe
  // integer. So JSON.stringify writes exactly the text the validating encoder would, in work bounded by
  // 2 * valueBytesMax, and the result needs no round trip through its text to be normalised: the merge
  // builds fresh objects over frozen parts, frozen here. (The bounded encoder plus the round trip cost
  // 2.5-4x JSON.stringify; issue 13 point 5.) The size limit is checked on the text by entryOf.
  const text = utf8Of(JSON.stringify(value));
  return entryOf(deepFreeze(value), text, version, lsn, limits, expiresAtMs);
}

/** An entry for `value`, frozen and equal to the JSON `text` it is stored as. */
function entryOf(
  value: Json,
  text: Uint8Array,
  version: number,
  lsn: number,
  limits: ValueLimits,
  expiresAtMs: number | undefined,
): Entry {
  if (text.length > limits.valueBytesMax) {
    throw new InvalidArgumentError(
      "FUSEDB_VALUE_TOO_LARGE",
      `value is ${text.length} bytes of JSON; the limit is ${limits.valueBytesMax}`,
    );
  }
  return expiresAtMs === undefined
    ? { version, value, text, lsn }
    : { version, value, text, lsn, expiresAtMs };
}

/**
 * An entry read from a segment whose document is decoded on first use: a block read for one key decodes
 * one document, not every document in the block. The text is covered by the block's crc32.
 * @throws from `value` if the text is not JSON (only possible when checksums are ignored).
 */
class StoredEntry implements Entry {
  private decoded: Json | undefined;
  constructor(
    readonly version: number,
    readonly text: Uint8Array,
    readonly lsn: number,
    readonly expiresAtMs: number | undefined,
    readonly type: DataType | undefined,
  ) {}

  get value(): Json {
    if (this.decoded === undefined) this.decoded = decodeJson(this.text);
    return this.decoded;
  }

  /** The document if it was decoded already, else undefined (reads nothing). */
  get decodedValue(): Json | undefined {
    return this.decoded;
  }
}

/**
 * Rebuilds an entry from stored fields. With `lazy` the document is decoded on the first read of `value`
 * (segment blocks: most entries of a block read for one key are never looked at).
 * @throws on undecodable text, at once or (lazy) from `value`; callers report corruption.
 */
export function entryFromStored(
  version: number,
  text: Uint8Array | undefined,
  lsn: number,
  expiresAtMs?: number,
  lazy = false,
  type?: DataType,
): Entry {
  if (text === undefined) return { version, value: undefined, text: undefined, lsn };
  if (lazy) return new StoredEntry(version, text, lsn, expiresAtMs, type);
  const value = decodeJson(text);
  const entry: Entry =
    expiresAtMs === undefined ? { version, value, text, lsn } : { version, value, text, lsn, expiresAtMs };
  return withType(entry, type);
}

/**
 * A row cache's copy of a live entry, holding its document once: as an owned copy of its text until the
 * document is first read, then decoded, with the text dropped. A row that kept both (as the first row cache
 * did) held about 2.7 KB for a 1.1 KB YCSB record, against about 1.25 KB for the decoded document alone
 * (measured with `process.memoryUsage().rss` over 50k rows), so the same budget now holds about twice the
 * rows. `text` is re-encoded on demand (only `expire` of a cached key reads it): JSON.stringify of the
 * decoded document gives the text back, since stored text is what JSON.stringify writes
 * (src/doc/encode-value.ts).
 */
class RowEntry implements Entry {
  private doc: Json | undefined;
  private bytes: Uint8Array | undefined;
  constructor(
    readonly version: number,
    readonly lsn: number,
    readonly expiresAtMs: number | undefined,
    readonly type: DataType | undefined,
    /** UTF-8 bytes of the document's text (the row cache's size estimate). */
    readonly textBytes: number,
    doc: Json | undefined,
    bytes: Uint8Array | undefined,
  ) {
    this.doc = doc;
    this.bytes = bytes;
  }

  get value(): Json {
    if (this.doc === undefined) {
      assert(this.bytes !== undefined, "a row entry holds its document or its text");
      this.doc = decodeJson(this.bytes);
      this.bytes = undefined;
    }
    return this.doc;
  }

  get text(): Uint8Array {
    return this.bytes ?? textEncoder.encode(JSON.stringify(this.doc));
  }
}

/**
 * The form of `entry` a row cache holds (see {@link RowEntry}): a tombstone as it is; a live entry with
 * its document decoded if it already is, else with its own copy of the text (a segment entry's text is a
 * view of its whole block, which a row must not keep alive). Reads no lazily decoded document.
 */
export function rowEntryOf(entry: Entry): Entry {
  if (entry instanceof RowEntry) return entry;
  const text = entry.text;
  if (text === undefined) return entry;
  const decoded = entry instanceof StoredEntry ? entry.decodedValue : entry.value;
  let bytes: Uint8Array | undefined;
  if (decoded === undefined) {
    bytes = new Uint8Array(text.byteLength);
    bytes.set(text);
  }
  return new RowEntry(
    entry.version,
    entry.lsn,
    entry.expiresAtMs,
    entry.type,
    text.byteLength,
    decoded,
    bytes,
  );
}

/** Bytes of the document text `entry` stands for (0 for a tombstone); never decodes nor re-encodes. */
export function textBytesOf(entry: Entry): number {
  return entry instanceof RowEntry ? entry.textBytes : (entry.text?.byteLength ?? 0);
}

/** The tombstone that background work leaves for an expired entry: same version and LSN, no value. */
export function expiredToTombstone(entry: Entry): Entry {
  return { version: entry.version, value: undefined, text: undefined, lsn: entry.lsn };
}

function describeJson(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") {
    return Number.isInteger(v) ? `${v}, beyond the safe-integer range` : `the non-integer ${v}`;
  }
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
