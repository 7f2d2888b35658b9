/**
 * Strings (Redis 7.0 semantics, redis.io/commands/?group=string) in the library: `db.strings`. A string is
 * binary-safe bytes stored as one typed entry (its JSON value the bytes as a binary string); the operations
 * are the pure functions of src/types/string-ops.ts, each call one WAL record acknowledged once durable.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { bytesOf } from "./encoding.js";
import { optionalBytes } from "./hashes.js";
import type { BytesInput, OpRunner } from "./runner.js";
import * as ops from "./string-ops.js";
import type { TypesWriteOptions } from "./write-options.js";

/**
 * SET's options: Redis's NX, XX, GET, KEEPTTL and at most one of EX/PX/EXAT/PXAT (integers, > 0); and the
 * compare-and-set options of every write (src/types/write-options.ts).
 */
export interface StringSetOptions extends TypesWriteOptions {
  /** Only if the key is not live (of any type). */
  nx?: boolean;
  /** Only if the key is live. */
  xx?: boolean;
  /** Keep a live key's TTL (else SET clears it). */
  keepTtl?: boolean;
  /** Expire after this many seconds. */
  ex?: number | bigint;
  /** Expire after this many milliseconds. */
  px?: number | bigint;
  /** Expire at this Unix time (engine clock), seconds. */
  exat?: number | bigint;
  /** Expire at this Unix time (engine clock), milliseconds. */
  pxat?: number | bigint;
}

/** GETEX's options: one of EX/PX/EXAT/PXAT, or PERSIST; and the compare-and-set options of every write. */
export interface StringGetExOptions extends TypesWriteOptions {
  ex?: number | bigint;
  px?: number | bigint;
  exat?: number | bigint;
  pxat?: number | bigint;
  persist?: boolean;
}

const SYNTAX = "ERR syntax error";
/** GETBIT's offset bound (reads have no value limit at hand): Redis's default proto-max-bulk-len. */
const GETBIT_BYTES_MAX = 512 * 1024 * 1024;
const UNITS = ["ex", "px", "exat", "pxat"] as const;

/** A caller's integer (a safe-integer number or a bigint) as a bigint. @throws DataTypeError. */
function integerOf(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw new DataTypeError("FUSEDB_NOT_INTEGER", "ERR value is not an integer or out of range");
}

/** The one expiry among `options`' EX/PX/EXAT/PXAT, if any. @throws DataTypeError on two or a non-integer. */
function expiryOf(options: Partial<Record<(typeof UNITS)[number], unknown>>): ops.Expiry | undefined {
  const given = UNITS.filter((u) => options[u] !== undefined);
  if (given.length > 1) throw new DataTypeError("FUSEDB_SYNTAX", SYNTAX);
  const unit = given[0];
  return unit === undefined ? undefined : { unit, amount: integerOf(options[unit]) };
}

/**
 * The library's string operations: `db.strings`. Keys as strings (UTF-8) or bytes; values as strings (UTF-8)
 * or bytes; answers as Buffers (integers as bigint, floats as Redis's text). Expiry times are the engine
 * clock's (Unix time on a real clock). Errors: WrongTypeError (FUSEDB_WRONG_TYPE); DataTypeError with
 * Redis's reply text (FUSEDB_SYNTAX, FUSEDB_NOT_INTEGER, FUSEDB_NOT_FLOAT, FUSEDB_OVERFLOW, FUSEDB_NAN,
 * FUSEDB_OUT_OF_RANGE for expiries and offsets, FUSEDB_VALUE_TOO_LARGE past valueBytesMax); and what every
 * write throws. Every write takes the compare-and-set options (`ifVersion`, `ifVersions`, `onCommit`:
 * src/types/write-options.ts) last, and then throws VersionConflictError (FUSEDB_VERSION_CONFLICT) on a
 * mismatch, changing nothing. Idea: ioredis's command methods, named after Redis's commands.
 */
export class Strings {
  /** @internal built by the database. */
  constructor(private readonly run: OpRunner) {}

  /** GET: the value, or undefined. */
  get(key: KeyInput): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    return this.run.read((tx) => optionalBytes(ops.get(tx, k)));
  }

  /**
   * SET: writes the value (replacing a key of any type); resolves with whether it wrote (false: NX or XX
   * stopped it). With `get: true`, resolves with the old value instead (WRONGTYPE if it is not a string).
   */
  set(
    key: KeyInput,
    value: BytesInput,
    options: StringSetOptions & { get: true },
  ): Promise<Buffer | undefined>;
  set(key: KeyInput, value: BytesInput, options?: StringSetOptions & { get?: false }): Promise<boolean>;
  async set(
    key: KeyInput,
    value: BytesInput,
    options: StringSetOptions & { get?: boolean } = {},
  ): Promise<boolean | Buffer | undefined> {
    const k = this.run.key(key);
    const v = this.run.bytes(value, "value");
    const expiry = expiryOf(options);
    if ((options.nx && options.xx) || (options.keepTtl && expiry !== undefined)) {
      throw new DataTypeError("FUSEDB_SYNTAX", SYNTAX);
    }
    const flags: ops.SetFlags = {
      nx: options.nx,
      xx: options.xx,
      get: options.get,
      keepTtl: options.keepTtl,
      expiry,
    };
    const r = await this.run.write((tx) => ops.set(tx, k, v, flags), this.run.guard(options, k));
    return options.get === true ? optionalBytes(r.old) : r.written;
  }

  /** SETNX: sets only if the key is not live; whether it did. */
  setnx(key: KeyInput, value: BytesInput, options: TypesWriteOptions = {}): Promise<boolean> {
    return this.set(key, value, { ...options, nx: true, get: false });
  }

  /** SETEX: sets with a TTL of `seconds` (> 0). */
  async setex(
    key: KeyInput,
    seconds: number | bigint,
    value: BytesInput,
    options: TypesWriteOptions = {},
  ): Promise<void> {
    await this.setWith(key, value, { unit: "ex", amount: integerOf(seconds) }, "setex", options);
  }

  /** PSETEX: sets with a TTL of `ms` (> 0). */
  async psetex(
    key: KeyInput,
    ms: number | bigint,
    value: BytesInput,
    options: TypesWriteOptions = {},
  ): Promise<void> {
    await this.setWith(key, value, { unit: "px", amount: integerOf(ms) }, "psetex", options);
  }

  /** GETSET: sets the value (clearing the TTL), resolving with the old one. */
  getset(key: KeyInput, value: BytesInput, options: TypesWriteOptions = {}): Promise<Buffer | undefined> {
    return this.set(key, value, { ...options, get: true });
  }

  /** APPEND: appends bytes (creating the key); resolves with the new length. */
  append(key: KeyInput, value: BytesInput, options?: TypesWriteOptions): Promise<number> {
    const k = this.run.key(key);
    const v = this.run.bytes(value, "value");
    return this.run.write((tx) => ops.append(tx, k, v), this.run.guard(options, k));
  }

  /** GETRANGE: the bytes from `start` to `end` inclusive, negative indexes from the end (Redis's rules). */
  getrange(key: KeyInput, start: number | bigint, end: number | bigint): Promise<Buffer> {
    const k = this.run.key(key);
    const from = integerOf(start);
    const to = integerOf(end);
    return this.run.read((tx) => bytesOf(ops.getrange(tx, k, from, to)));
  }

  /** SETRANGE: overwrites from `offset` (zero-padding); resolves with the new length. */
  setrange(
    key: KeyInput,
    offset: number | bigint,
    value: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    const k = this.run.key(key);
    const at = integerOf(offset);
    const v = this.run.bytes(value, "value");
    return this.run.write((tx) => ops.setrange(tx, k, at, v), this.run.guard(options, k));
  }

  /** SETBIT: sets (`1`) or clears (`0`) the bit at `offset` (bit 0: the top bit of byte 0); the old bit. */
  setbit(key: KeyInput, offset: number | bigint, bit: 0 | 1, options?: TypesWriteOptions): Promise<0 | 1> {
    const k = this.run.key(key);
    const at = integerOf(offset);
    if (bit !== 0 && bit !== 1) throw new DataTypeError("FUSEDB_OUT_OF_RANGE", ops.BIT_VALUE_ERROR);
    return this.run.write((tx) => ops.setbit(tx, k, at, bit), this.run.guard(options, k));
  }

  /** GETBIT: the bit at `offset` (0 past the end or for an absent key). */
  getbit(key: KeyInput, offset: number | bigint): Promise<0 | 1> {
    const k = this.run.key(key);
    const at = ops.bitOffset(integerOf(offset), GETBIT_BYTES_MAX);
    return this.run.read((tx) => ops.getbit(tx, k, at));
  }

  /** STRLEN: the length in bytes (0 if absent). */
  strlen(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => ops.strlen(tx, k));
  }

  /** GETDEL: the value, deleting the key. */
  getdel(key: KeyInput, options?: TypesWriteOptions): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    return this.run.write((tx) => optionalBytes(ops.getdel(tx, k)), this.run.guard(options, k));
  }

  /** GETEX: the value, setting (EX/PX/EXAT/PXAT) or removing (PERSIST) its TTL. */
  getex(key: KeyInput, options: StringGetExOptions = {}): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    const expiry = expiryOf(options);
    if (expiry !== undefined && options.persist) throw new DataTypeError("FUSEDB_SYNTAX", SYNTAX);
    const o = { expiry, persist: options.persist };
    return this.run.write((tx) => optionalBytes(ops.getex(tx, k, o)), this.run.guard(options, k));
  }

  /** INCR: adds 1 to the integer string (absent: 0); the new value. */
  incr(key: KeyInput, options?: TypesWriteOptions): Promise<bigint> {
    return this.incrby(key, 1n, options);
  }

  /** DECR: subtracts 1. */
  decr(key: KeyInput, options?: TypesWriteOptions): Promise<bigint> {
    return this.incrby(key, -1n, options);
  }

  /** INCRBY: adds `delta` (an int64); the new value. */
  incrby(key: KeyInput, delta: number | bigint, options?: TypesWriteOptions): Promise<bigint> {
    const k = this.run.key(key);
    const d = integerOf(delta);
    return this.run.write((tx) => ops.incrby(tx, k, d), this.run.guard(options, k));
  }

  /** DECRBY: subtracts `delta`. */
  decrby(key: KeyInput, delta: number | bigint, options?: TypesWriteOptions): Promise<bigint> {
    const k = this.run.key(key);
    const d = integerOf(delta);
    return this.run.write((tx) => ops.decrby(tx, k, d), this.run.guard(options, k));
  }

  /**
   * INCRBYFLOAT: adds `increment` (a number, or a float text as Redis reads it: `1.5`, `2e3`, `0x1p-2`) in
   * long double arithmetic; resolves with the stored text ("10.6").
   */
  incrbyfloat(key: KeyInput, increment: number | string, options?: TypesWriteOptions): Promise<string> {
    const k = this.run.key(key);
    const incr = typeof increment === "number" ? String(increment) : this.run.bytes(increment, "increment");
    return this.run.write((tx) => ops.incrbyfloat(tx, k, incr), this.run.guard(options, k));
  }

  /** MGET: each key's value; undefined for absent keys and keys of other types. */
  mget(keys: readonly KeyInput[]): Promise<(Buffer | undefined)[]> {
    const ks = this.keys(keys);
    return this.run.read((tx) => ops.mget(tx, ks).map(optionalBytes));
  }

  /**
   * MSET: sets every pair (an object or [key, value] pairs) atomically, in one record. `ifVersion` names the
   * first pair's key; `ifVersions` any.
   */
  async mset(
    pairs: Record<string, BytesInput> | readonly (readonly [KeyInput, BytesInput])[],
    options?: TypesWriteOptions,
  ): Promise<void> {
    const ps = this.pairs(pairs);
    await this.run.write((tx) => ops.mset(tx, ps), this.run.guard(options, ps[0]?.[0]));
  }

  /** MSETNX: sets every pair only if none of the keys is live; whether it did. `ifVersion` as MSET's. */
  msetnx(
    pairs: Record<string, BytesInput> | readonly (readonly [KeyInput, BytesInput])[],
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    const ps = this.pairs(pairs);
    return this.run.write((tx) => ops.msetnx(tx, ps), this.run.guard(options, ps[0]?.[0]));
  }

  private async setWith(
    key: KeyInput,
    value: BytesInput,
    expiry: ops.Expiry,
    command: string,
    options: TypesWriteOptions,
  ): Promise<void> {
    const k = this.run.key(key);
    const v = this.run.bytes(value, "value");
    await this.run.write((tx) => ops.set(tx, k, v, { expiry }, command), this.run.guard(options, k));
  }

  private keys(keys: unknown): KeyString[] {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments (no keys)");
    }
    return keys.map((k) => this.run.key(k));
  }

  private pairs(pairs: unknown): [KeyString, string][] {
    const raw: unknown[] = Array.isArray(pairs)
      ? pairs
      : typeof pairs === "object" && pairs !== null && !(pairs instanceof Uint8Array)
        ? Object.entries(pairs)
        : [];
    if (raw.length === 0)
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments (no pairs)");
    return raw.map((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw new DataTypeError("FUSEDB_SYNTAX", SYNTAX);
      return [this.run.key(p[0]), this.run.bytes(p[1], "value")];
    });
  }
}
