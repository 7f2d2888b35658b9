/**
 * Hashes (Redis 7.0 semantics, redis.io/commands/?group=hash): one metadata entry per key (generation,
 * field count) and one internal entry per field, its value the field's bytes (src/types/encoding.ts).
 * HSET of one field on a hash of a million writes two entries; HGETALL reads the fields in field order.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { bytesOf, TAG } from "./encoding.js";
import { incrementFloatText, incrementInt64, NUMBER_ERRORS, requireInt64, string2ld } from "./numbers.js";
import { type RandomSource, randomSource } from "./random.js";
import { checkDraws, drawFrom, drawPool } from "./random-draw.js";
import type { BytesInput, OpRunner } from "./runner.js";
import { ELEMENTS_PER_READ, type ScanPage, scanCursor } from "./scan-cursor.js";
import type { Collection, Txn } from "./txn.js";
import type { TypesWriteOptions } from "./write-options.js";

/** The field prefix of a live hash. */
function fieldsOf(tx: Txn, k: KeyString, h: Collection): KeyString {
  return tx.prefix(k, h.meta, TAG.hash);
}

/** Every field and value of a hash, in field (bytewise) order. @throws NeedRead. */
export function allFields(tx: Txn, k: KeyString, h: Collection): [string, string][] {
  return tx.elements(fieldsOf(tx, k, h), h.meta.n) as [string, string][];
}

/**
 * HSET: sets each pair (later pairs of the same field win) as one change; the number of fields added.
 * @throws WrongTypeError.
 */
export function hset(
  tx: Txn,
  k: KeyString,
  pairs: readonly (readonly [string, string])[],
  op = "hset",
): number {
  let h = tx.collection(k, "hash");
  const meta = h?.meta ?? { g: tx.newGeneration(), n: 0 };
  const prefix = tx.prefix(k, meta, TAG.hash);
  let added = 0;
  for (const [f, v] of pairs) {
    if (tx.element(prefix, f) === undefined) added++;
    tx.putElement(prefix, f, v);
  }
  const entry = tx.putTyped(k, "hash", { g: meta.g, n: meta.n + added }, op);
  h = { entry, meta: entry.value as unknown as Collection["meta"] };
  return added;
}

/** HDEL: removes fields; how many existed. The hash stops existing when its last field goes. */
export function hdel(tx: Txn, k: KeyString, fields: readonly string[]): number {
  const h = tx.collection(k, "hash");
  if (h === undefined) return 0;
  const prefix = fieldsOf(tx, k, h);
  let removed = 0;
  for (const f of fields) {
    if (tx.element(prefix, f) === undefined) continue;
    tx.putElement(prefix, f, undefined);
    removed++;
  }
  if (removed === 0) return 0;
  const n = h.meta.n - removed;
  if (n === 0) tx.deleteKey(k, "hdel");
  else tx.putTyped(k, "hash", { g: h.meta.g, n }, "hdel");
  return removed;
}

/** HGET of one field, or undefined. */
export function hget(tx: Txn, k: KeyString, field: string): string | undefined {
  const h = tx.collection(k, "hash");
  return h === undefined ? undefined : (tx.element(fieldsOf(tx, k, h), field) as string | undefined);
}

/** HSETNX: sets the field only if it is absent; whether it did. @throws WrongTypeError. */
export function hsetnx(tx: Txn, k: KeyString, field: string, value: string): boolean {
  if (hget(tx, k, field) !== undefined) return false;
  hset(tx, k, [[field, value]], "hset");
  return true;
}

/**
 * HINCRBY: the field's value must be a strict int64 ("ERR hash value is not an integer"; absent: 0); the new
 * value. @throws WrongTypeError; DataTypeError FUSEDB_NOT_INTEGER, FUSEDB_OVERFLOW.
 */
export function hincrby(tx: Txn, k: KeyString, field: string, delta: bigint): bigint {
  const cur = hget(tx, k, field);
  const old = cur === undefined ? 0n : requireInt64(cur, NUMBER_ERRORS.hashNotInteger);
  const next = incrementInt64(old, delta);
  hset(tx, k, [[field, next.toString()]], "hincrby");
  return next;
}

/**
 * HINCRBYFLOAT in Redis 7.0's order: the increment must be a float ("ERR value is not a valid float") and
 * finite ("ERR value is NaN or Infinity") before the key is looked at; then the field's value must be a
 * float ("ERR hash value is not a float"); the sum as INCRBYFLOAT's (src/types/numbers.ts). The stored text.
 * @throws DataTypeError; WrongTypeError.
 */
export function hincrbyfloat(tx: Txn, k: KeyString, field: string, increment: string): string {
  const incr = string2ld(increment);
  if (incr === undefined) throw new DataTypeError("FUSEDB_NOT_FLOAT", NUMBER_ERRORS.notFloat);
  if (incr === "infinity") throw new DataTypeError("FUSEDB_NAN", NUMBER_ERRORS.valueNanOrInfinity);
  const text = incrementFloatText(hget(tx, k, field), increment, NUMBER_ERRORS.hashNotFloat);
  hset(tx, k, [[field, text]], "hincrbyfloat");
  return text;
}

/**
 * HRANDFIELD: without `count`, one [field, value] (undefined if the key is absent); with a positive count,
 * that many distinct pairs (the whole hash if it has no more); with a negative one, |count| draws that may
 * repeat; 0 or an absent key: none. Draws come from `rng` only, uniform on hashes of up to
 * RANDOM_UNIFORM_ELEMENTS_MAX fields, from a window on larger ones (src/types/random-draw.ts).
 * @throws WrongTypeError; DataTypeError FUSEDB_OUT_OF_RANGE for more than RANDOM_DRAWS_MAX draws.
 */
export function hrandfield(
  tx: Txn,
  k: KeyString,
  count: number | undefined,
  rng: RandomSource,
): [string, string][] | undefined {
  const h = tx.collection(k, "hash");
  if (h === undefined) return count === undefined ? undefined : [];
  if (count === 0) return [];
  if (count !== undefined && count >= h.meta.n) return allFields(tx, k, h);
  checkDraws(count ?? 1);
  const pool = drawPool(tx, fieldsOf(tx, k, h), h.meta.n, Math.abs(count ?? 1), rng) as [string, string][];
  return drawFrom(pool, count ?? 1, rng);
}

/**
 * The library's hash operations: `db.hashes`. Keys as strings (UTF-8) or bytes; fields and values as
 * strings (UTF-8) or bytes; answers as Buffers. Every write is one WAL record, acknowledged once durable.
 * Errors: WrongTypeError (FUSEDB_WRONG_TYPE) on a key of another type; InvalidArgumentError for bad
 * arguments; DataTypeError (FUSEDB_NOT_INTEGER, ...) with Redis's reply text; and what every write throws.
 * Every write takes the compare-and-set options (`ifVersion` of `key`, `ifVersions`, `onCommit`:
 * src/types/write-options.ts) last, and then throws VersionConflictError (FUSEDB_VERSION_CONFLICT) on a
 * mismatch, changing nothing. Idea: ioredis's command methods, named after Redis's commands.
 */
export class Hashes {
  /** @internal built by the database. */
  constructor(private readonly run: OpRunner) {}

  /** HSET: sets fields (an object or [field, value] pairs); resolves with how many were new. */
  async hset(
    key: KeyInput,
    fields: Record<string, BytesInput> | readonly (readonly [BytesInput, BytesInput])[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    const k = this.run.key(key);
    const pairs = this.pairs(fields);
    return this.run.write((tx) => hset(tx, k, pairs), this.run.guard(options, k));
  }

  /** HSETNX: sets the field only if it is absent; whether it was set. */
  async hsetnx(
    key: KeyInput,
    field: BytesInput,
    value: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    const v = this.run.bytes(value, "value");
    return this.run.write((tx) => hsetnx(tx, k, f, v), this.run.guard(options, k));
  }

  /** HGET: the field's value, or undefined. */
  async hget(key: KeyInput, field: BytesInput): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => optionalBytes(hget(tx, k, f)));
  }

  /** HMGET: each field's value or undefined. */
  async hmget(key: KeyInput, fields: readonly BytesInput[]): Promise<(Buffer | undefined)[]> {
    const k = this.run.key(key);
    const fs = this.list(fields, "field");
    return this.run.read((tx) => fs.map((f) => optionalBytes(hget(tx, k, f))));
  }

  /** HDEL: removes fields; how many existed. */
  async hdel(key: KeyInput, fields: readonly BytesInput[], options?: TypesWriteOptions): Promise<number> {
    const k = this.run.key(key);
    const fs = this.list(fields, "field");
    return this.run.write((tx) => hdel(tx, k, fs), this.run.guard(options, k));
  }

  /** HEXISTS. */
  async hexists(key: KeyInput, field: BytesInput): Promise<boolean> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => hget(tx, k, f) !== undefined);
  }

  /** HLEN: the number of fields (0 for a missing key). */
  async hlen(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => tx.collection(k, "hash")?.meta.n ?? 0);
  }

  /** HSTRLEN: the byte length of the field's value (0 if absent). */
  async hstrlen(key: KeyInput, field: BytesInput): Promise<number> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => hget(tx, k, f)?.length ?? 0);
  }

  /** HGETALL: every [field, value], in bytewise field order. */
  async hgetall(key: KeyInput): Promise<[Buffer, Buffer][]> {
    const k = this.run.key(key);
    return this.run.read((tx) => {
      const h = tx.collection(k, "hash");
      if (h === undefined) return [];
      return allFields(tx, k, h).map(([f, v]) => [bytesOf(f), bytesOf(v)] as [Buffer, Buffer]);
    });
  }

  /** HKEYS: every field, in bytewise order. */
  async hkeys(key: KeyInput): Promise<Buffer[]> {
    return (await this.hgetall(key)).map(([f]) => f);
  }

  /** HVALS: every value, in field order. */
  async hvals(key: KeyInput): Promise<Buffer[]> {
    return (await this.hgetall(key)).map(([, v]) => v);
  }

  /** HINCRBY: adds `delta` (an int64) to the field's integer value (absent: 0); the new value. */
  hincrby(
    key: KeyInput,
    field: BytesInput,
    delta: number | bigint,
    options?: TypesWriteOptions,
  ): Promise<bigint> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    const d = int64Of(delta);
    return this.run.write((tx) => hincrby(tx, k, f, d), this.run.guard(options, k));
  }

  /** HINCRBYFLOAT: adds `increment` (a number or Redis float text) in long doubles; the stored text. */
  hincrbyfloat(
    key: KeyInput,
    field: BytesInput,
    increment: number | string,
    options?: TypesWriteOptions,
  ): Promise<string> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    const incr = typeof increment === "number" ? String(increment) : this.run.bytes(increment, "increment");
    return this.run.write((tx) => hincrbyfloat(tx, k, f, incr), this.run.guard(options, k));
  }

  /**
   * HRANDFIELD: a random field (undefined if the key is absent), or with `count` that many distinct fields
   * (negative: |count| draws that may repeat). Deterministic: the database's seed sequence
   * (src/types/random.ts) draws. See {@link hrandfield} for the rules.
   */
  hrandfield(key: KeyInput): Promise<Buffer | undefined>;
  hrandfield(key: KeyInput, count: number): Promise<Buffer[]>;
  async hrandfield(key: KeyInput, count?: number): Promise<Buffer | undefined | Buffer[]> {
    const pairs = await this.random(key, count);
    if (count === undefined) return optionalBytes(pairs?.[0]?.[0]);
    return (pairs ?? []).map(([f]) => bytesOf(f));
  }

  /** HRANDFIELD ... WITHVALUES: `count` random [field, value] pairs, as {@link hrandfield}. */
  async hrandfieldWithValues(key: KeyInput, count: number): Promise<[Buffer, Buffer][]> {
    const pairs = (await this.random(key, count)) ?? [];
    return pairs.map(([f, v]) => [bytesOf(f), bytesOf(v)]);
  }

  private random(key: KeyInput, count: number | undefined): Promise<[string, string][] | undefined> {
    const k = this.run.key(key);
    if (count !== undefined && !Number.isSafeInteger(count)) {
      throw new DataTypeError("FUSEDB_NOT_INTEGER", "ERR value is not an integer or out of range");
    }
    const seed = this.run.seeds.next();
    return this.run.read((tx) => hrandfield(tx, k, count, randomSource(seed)));
  }

  /**
   * HSCAN: a page of [field, value] pairs after `cursor` ("0" to start; the answer's cursor "0" when done),
   * fields matching the glob `match` if given, about `count` (default 10) examined. Every field present for
   * the whole scan is returned exactly once (the cursor is the last field returned).
   */
  hscan(
    key: KeyInput,
    cursor: string,
    options: { match?: BytesInput; count?: number } = {},
  ): Promise<ScanPage<[Buffer, Buffer]>> {
    const k = this.run.key(key);
    return this.run.read((tx) => {
      const h = tx.collection(k, "hash");
      return scanCursor(tx, h === undefined ? undefined : fieldsOf(tx, k, h), cursor, options, (sub, v) => [
        bytesOf(sub),
        bytesOf(v as string),
      ]);
    });
  }

  private pairs(fields: unknown): [string, string][] {
    const raw: unknown[] = Array.isArray(fields)
      ? fields
      : typeof fields === "object" && fields !== null && !(fields instanceof Uint8Array)
        ? Object.entries(fields)
        : [];
    if (raw.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments for 'hset' command");
    }
    return raw.map((p) => {
      if (!Array.isArray(p) || p.length !== 2) {
        throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
      }
      return [this.run.bytes(p[0], "field"), this.run.bytes(p[1], "value")];
    });
  }

  private list(items: unknown, what: string): string[] {
    if (!Array.isArray(items) || items.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", `ERR wrong number of arguments (no ${what})`);
    }
    return items.map((i) => this.run.bytes(i, what));
  }
}

/** A caller's int64 (a safe-integer number or a bigint). @throws DataTypeError FUSEDB_NOT_INTEGER. */
function int64Of(v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "bigint" && BigInt.asIntN(64, v) === v) return v;
  throw new DataTypeError("FUSEDB_NOT_INTEGER", "ERR value is not an integer or out of range");
}

/** A binary string as a Buffer, undefined as undefined. */
export function optionalBytes(s: string | undefined): Buffer | undefined {
  return s === undefined ? undefined : bytesOf(s);
}

export { ELEMENTS_PER_READ };
