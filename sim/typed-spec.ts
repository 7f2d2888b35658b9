/**
 * The shapes shared by the data-type operation tables (sim/typed-ops*.ts, issue 14): a drawn call, what it
 * does in the Redis reference model (sim/redis-model/: its answer and the keys it writes, in the engine's
 * write order), and how it calls the engine. Plus the helpers every table uses: the model content of a key
 * as canonical JSON, and which keys a call changed.
 *
 * Which keys a call writes is Redis's keyspace rule restated: a call writes a key when Redis would signal it
 * modified (`signalModifiedKey`): a key whose content, expiry or existence changed, and also the commands
 * that Redis counts as a modification even when nothing changed (SET, APPEND, SETRANGE of a non-empty value,
 * INCRBY, INCRBYFLOAT, LSET, LMOVE, HSET, EXPIRE that answered 1, ZADD that changed a score and changed it
 * back). Each write is one new version of the key.
 */
import { Buffer } from "node:buffer";
import type { FuseDB } from "../src/db.js";
import type { Prng } from "./disk/prng.js";
import type { ModelJson, ModelType } from "./model.js";
import { compareBytes, type RedisKeyspace, RedisModelError, type RedisValue } from "./redis-model/index.js";

/** One data-type call as drawn: its command, the keys it names (in order), its arguments and its flags. */
export interface TypedCall {
  cmd: string;
  keys: string[];
  args: ModelJson[];
  /** Flags and options (ZADD NX/GT/CH, SET PX/KEEPTTL, an EXPIRE condition, ...). */
  opts?: { [name: string]: ModelJson };
}

/** A key the call writes, in the engine's write order; `del`: written as a delete, whatever comes after. */
export interface TypedWrite {
  key: string;
  del?: boolean;
}

/** What an operation does in the model: its answer and the keys it changed. */
export interface ModelEffect {
  answer: ModelJson;
  writes: TypedWrite[];
}

/** The types a draw may ask a home key of. */
export type HomeType = ModelType;

/**
 * What a draw may use: the workload's stream and its key chooser: given a type, mostly one of that type's
 * home keys (sim/workload.ts), so collections grow, sometimes any key (Zipf), so WRONGTYPE happens.
 */
export interface TypedDraw {
  prng: Prng;
  key(type?: HomeType): string;
}

/** One operation; see the module comment. */
export interface TypedOpSpec {
  /** Reads change nothing and are judged against a window of positions, like `get`. */
  read: boolean;
  /** The engine's answer is a random choice: the model takes it (`replay`) once known (SPOP). */
  choice?: boolean;
  draw(d: TypedDraw): TypedCall;
  /**
   * Runs the call on `ks` (the involved keys' states at the call's position, JSON documents opaque), with
   * `replay` the engine's answer for a choice. @throws RedisModelError (FUSEDB_WRONG_TYPE, ...).
   */
  model(ks: RedisKeyspace, call: TypedCall, nowMs: number, replay?: ModelJson): ModelEffect;
  /** Calls the engine; resolves with the normalized answer (rejects with the engine's error). */
  engine(db: FuseDB, call: TypedCall): Promise<ModelJson>;
}

/** Bytes as the model's text (latin1: one char per byte). */
export const text = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
/** An optional engine answer: undefined as null. */
export const orNull = (b: Uint8Array | undefined): string | null => (b === undefined ? null : text(b));
export const str = (v: ModelJson | undefined): string => v as string;
export const strs = (v: ModelJson | undefined): string[] => v as string[];
export const num = (v: ModelJson | undefined): number => v as number;
/** The call's first key. */
export const key0 = (c: TypedCall): string => c.keys[0] as string;

/** A score as JSON can hold it: ±Infinity as "inf"/"-inf" (JSON has no infinities). */
export function scoreOut(s: number): number | string {
  if (s === Number.POSITIVE_INFINITY) return "inf";
  if (s === Number.NEGATIVE_INFINITY) return "-inf";
  return s;
}

/** A score drawn as JSON (see {@link scoreOut}) as the number it stands for. */
export function scoreIn(v: ModelJson | undefined): number {
  if (v === "inf") return Number.POSITIVE_INFINITY;
  if (v === "-inf") return Number.NEGATIVE_INFINITY;
  return v as number;
}

/** How many elements a write names: mostly 1..3, sometimes 20..60 (a big multi-entry record to tear). */
export function count(p: Prng): number {
  return p.bool(0.12) ? p.range(20, 60) : p.range(1, 3);
}

/** Keys written when `changed`. */
export function wroteIf(changed: boolean, ...keys: string[]): TypedWrite[] {
  return changed ? keys.map((key) => ({ key })) : [];
}

/** A JSON document as the Redis model holds it: an opaque value of its own type, carrying the document. */
export interface OpaqueDocument {
  type: "json";
  doc: ModelJson;
}

/**
 * A Redis model value's content as the reference model (sim/model.ts) holds it, canonical JSON with its
 * type: a string's bytes as text, a hash as an object, a list's items in order, a set's members sorted, a
 * sorted set's [member, score] entries in Redis's order; a JSON document (opaque) as itself, no type.
 */
export function contentOf(v: RedisValue | OpaqueDocument): { type?: ModelType; value: ModelJson } {
  switch (v.type) {
    case "json":
      return { value: v.doc };
    case "string":
      return { type: "string", value: text(v.bytes) };
    case "hash":
      return { type: "hash", value: Object.fromEntries(v.fields) };
    case "list":
      return { type: "list", value: [...v.items] };
    case "set":
      return { type: "set", value: [...v.members].sort(compareBytes) };
    case "zset": {
      const entries = [...v.scores].sort((a, b) =>
        a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : compareBytes(a[0], b[0]),
      );
      return { type: "zset", value: entries.map(([m, s]) => [m, scoreOut(s)]) };
    }
  }
}

/** One line naming `key`'s state in `ks` (content, type, expiry), "-" when not live: to see a change. */
function fingerprint(ks: RedisKeyspace, key: string, nowMs: number): string {
  const e = ks.entry(key, nowMs);
  if (e === undefined) return "-";
  const c = contentOf(e.value as RedisValue | OpaqueDocument);
  return JSON.stringify([c.type ?? "json", c.value, e.expiresAtMs ?? null]);
}

/**
 * Runs `run` on `ks` and returns its answer with the keys among `keys` (each once, in the order given: the
 * engine's write order) whose state it changed: content, expiry or existence.
 */
export function tracked(
  ks: RedisKeyspace,
  keys: readonly string[],
  nowMs: number,
  run: () => ModelJson,
): ModelEffect {
  const order = [...new Set(keys)];
  const before = order.map((k) => fingerprint(ks, k, nowMs));
  const answer = run();
  const writes = order.filter((k, i) => fingerprint(ks, k, nowMs) !== before[i]).map((key) => ({ key }));
  return { answer, writes };
}

/**
 * The code a refused data-type call is judged by, from the model's error or the engine's: WRONGTYPE as
 * FUSEDB_WRONG_TYPE, any other refusal by Redis's rules as its reply text ("ERR no such key"), which the
 * model and the engine both carry (the engine's DataTypeError as `reply`). Undefined for an engine error
 * of another kind (poison, I/O, crash: judged as for documents).
 */
export function refusalOf(err: unknown): "FUSEDB_WRONG_TYPE" | `ERR ${string}` | undefined {
  if (err instanceof RedisModelError) {
    return err.code === "FUSEDB_WRONG_TYPE" ? err.code : (err.message as `ERR ${string}`);
  }
  const e = err as { code?: unknown; reply?: unknown } | null;
  if (e?.code === "FUSEDB_WRONG_TYPE") return "FUSEDB_WRONG_TYPE";
  return typeof e?.reply === "string" && e.reply.startsWith("ERR ")
    ? (e.reply as `ERR ${string}`)
    : undefined;
}
