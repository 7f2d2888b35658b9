/**
 * The string type's operations (Redis 7.0 semantics, redis.io/commands/?group=string): pure functions of a
 * {@link Txn}, shared by the library (src/types/strings.ts) and the RESP server
 * (src/server/commands/string-commands.ts). A string is one typed entry whose JSON value is the bytes as a
 * binary string (one char per byte). Every operation validates everything before its first write, so an
 * error changes nothing. Operation names (the `op` of subscription events) are Redis's keyspace event names:
 * set, append, setrange, incrby, incrbyfloat, del, expire, persist.
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError, InvalidArgumentError } from "../errors.js";
import {
  INT64_MAX,
  INT64_MIN,
  incrementFloatText,
  incrementInt64,
  NUMBER_ERRORS,
  requireInt64,
} from "./numbers.js";
import type { Txn } from "./txn.js";

/** Redis's reply when a string would exceed the value limit (its proto-max-bulk-len; here valueBytesMax). */
export const TOO_LARGE = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/** An expiry as SET and GETEX take it: EX seconds, PX ms (relative), EXAT unix s, PXAT unix ms (absolute). */
export interface Expiry {
  readonly unit: "ex" | "px" | "exat" | "pxat";
  /** The argument as given: an integer, or its text (parsed by {@link expiryAtMs}, Redis's order). */
  readonly amount: bigint | string;
}

/**
 * The absolute engine-clock ms of `e` at `tx.nowMs` (Redis's getExpireMillisecondsOrReply): the amount must
 * be positive, seconds must not overflow as ms, and the result must be a time the engine stores (a safe
 * integer: Redis takes up to 2^63-1 ms, fusedb up to 2^53-1, about 285,000 years).
 * @throws DataTypeError FUSEDB_NOT_INTEGER for a text that is not an int64; FUSEDB_OUT_OF_RANGE "ERR invalid expire time in '<command>' command".
 */
export function expiryAtMs(tx: Txn, e: Expiry, command: string): number {
  const invalid = () =>
    new DataTypeError("FUSEDB_OUT_OF_RANGE", `ERR invalid expire time in '${command}' command`);
  const amount = typeof e.amount === "string" ? requireInt64(e.amount) : e.amount;
  const seconds = e.unit === "ex" || e.unit === "exat";
  if (amount <= 0n || (seconds && amount > INT64_MAX / 1000n)) throw invalid();
  let ms = seconds ? amount * 1000n : amount;
  if (e.unit === "ex" || e.unit === "px") ms += BigInt(tx.nowMs);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid();
  return Number(ms);
}

/** Throws {@link TOO_LARGE} unless a string of `bytes` fits the value limit. */
function checkLength(tx: Txn, bytes: bigint | number): void {
  if (BigInt(bytes) > BigInt(tx.ctx.valueBytesMax))
    throw new DataTypeError("FUSEDB_VALUE_TOO_LARGE", TOO_LARGE);
}

/**
 * Writes the string `value` at `k` (any type it held is replaced: its elements become a dead generation),
 * keeping a live key's TTL if `keepTtl`, else taking `expiresAtMs` (undefined: none).
 * @throws DataTypeError FUSEDB_VALUE_TOO_LARGE when the stored value would exceed valueBytesMax.
 */
export function putString(
  tx: Txn,
  k: KeyString,
  value: string,
  op: string,
  ttl: { keepTtl: boolean; expiresAtMs?: number },
): void {
  try {
    tx.putTyped(k, "string", value, op, ttl);
  } catch (err) {
    if (err instanceof InvalidArgumentError && err.code === "FUSEDB_VALUE_TOO_LARGE") {
      throw new DataTypeError("FUSEDB_VALUE_TOO_LARGE", TOO_LARGE);
    }
    throw err;
  }
}

/** GET: the string, or undefined if the key is not live. @throws WrongTypeError. */
export function get(tx: Txn, k: KeyString): string | undefined {
  return tx.string(k);
}

/** SET's options (syntax already checked: not both NX and XX, KEEPTTL not with an expiry). */
export interface SetFlags {
  readonly nx?: boolean;
  readonly xx?: boolean;
  readonly get?: boolean;
  readonly keepTtl?: boolean;
  readonly expiry?: Expiry;
}

/**
 * SET (Redis's setGenericCommand): validates the expiry, then with GET reads the old value (WRONGTYPE if
 * the key holds another type), then writes unless NX found the key or XX did not. `command` names the
 * command in the expiry error (set, setex, psetex). Returns whether it wrote and the old string.
 * @throws DataTypeError; WrongTypeError (GET only: SET overwrites any type).
 */
export function set(
  tx: Txn,
  k: KeyString,
  value: string,
  flags: SetFlags,
  command = "set",
): { written: boolean; old: string | undefined } {
  const expiresAtMs = flags.expiry === undefined ? undefined : expiryAtMs(tx, flags.expiry, command);
  const old = flags.get === true ? tx.string(k) : undefined;
  const found = tx.live(k) !== undefined;
  if ((flags.nx === true && found) || (flags.xx === true && !found)) return { written: false, old };
  putString(tx, k, value, "set", { keepTtl: flags.keepTtl === true, expiresAtMs });
  return { written: true, old };
}

/** APPEND: the new length; creates the key if absent, keeps its TTL. @throws WrongTypeError, DataTypeError. */
export function append(tx: Txn, k: KeyString, tail: string): number {
  const cur = tx.string(k) ?? "";
  checkLength(tx, cur.length + tail.length);
  const next = cur + tail;
  putString(tx, k, next, "append", { keepTtl: true });
  return next.length;
}

/**
 * GETRANGE (Redis 7.0's rules): negative indexes count from the end; two negative indexes with start > end
 * are empty; then both are clamped into the string (an end still negative becomes 0, so `0 -100` of "Hello"
 * is "H"). Indexes are int64s. @throws WrongTypeError.
 */
export function getrange(tx: Txn, k: KeyString, start: bigint, end: bigint): string {
  const s = tx.string(k) ?? "";
  if (start < 0n && end < 0n && start > end) return "";
  const len = BigInt(s.length);
  let from = start < 0n ? len + start : start;
  let to = end < 0n ? len + end : end;
  if (from < 0n) from = 0n;
  if (to < 0n) to = 0n;
  if (to >= len) to = len - 1n;
  if (len === 0n || from > to) return "";
  return s.slice(Number(from), Number(to) + 1);
}

/**
 * SETRANGE: overwrites from `offset`, padding with zero bytes; the new length. A negative offset fails
 * first ("ERR offset is out of range"); an empty value writes nothing and answers the current length.
 * @throws DataTypeError; WrongTypeError.
 */
export function setrange(tx: Txn, k: KeyString, offset: bigint, value: string): number {
  if (offset < 0n) throw new DataTypeError("FUSEDB_OUT_OF_RANGE", "ERR offset is out of range");
  const cur = tx.string(k);
  if (value.length === 0) return cur?.length ?? 0;
  checkLength(tx, offset + BigInt(value.length));
  const base = cur ?? "";
  const at = Number(offset);
  const padded = base.length >= at ? base : base + "\x00".repeat(at - base.length);
  const next = padded.slice(0, at) + value + padded.slice(at + value.length);
  putString(tx, k, next, "setrange", { keepTtl: true });
  return next.length;
}

/** STRLEN: the byte length, 0 if absent. @throws WrongTypeError. */
export function strlen(tx: Txn, k: KeyString): number {
  return tx.string(k)?.length ?? 0;
}

/** GETDEL: the string, deleting the key. @throws WrongTypeError. */
export function getdel(tx: Txn, k: KeyString): string | undefined {
  const v = tx.string(k);
  if (v !== undefined) tx.deleteKey(k, "del");
  return v;
}

/**
 * GETEX: the string; and sets the expiry (`expiry`) or removes it (`persist`). An absent key answers
 * undefined before the expiry is validated, as Redis 7.0; an absolute time already past deletes the key.
 * @throws WrongTypeError; DataTypeError for an invalid expiry.
 */
export function getex(
  tx: Txn,
  k: KeyString,
  options: { expiry?: Expiry; persist?: boolean },
): string | undefined {
  const v = tx.string(k);
  if (v === undefined) return undefined;
  if (options.expiry !== undefined) {
    const at = expiryAtMs(tx, options.expiry, "getex");
    if (at <= tx.nowMs) tx.deleteKey(k, "del");
    else tx.putExpiry(k, at, "expire");
  } else if (options.persist === true && tx.live(k)?.expiresAtMs !== undefined) {
    tx.putExpiry(k, undefined, "persist");
  }
  return v;
}

/**
 * INCRBY (INCR, DECR): the stored string must be a strict int64 (absent: 0); the new value, stored as its
 * decimal text with the TTL kept.
 * @throws DataTypeError FUSEDB_NOT_INTEGER, FUSEDB_OVERFLOW; WrongTypeError.
 */
export function incrby(tx: Txn, k: KeyString, delta: bigint): bigint {
  const cur = tx.string(k);
  const next = incrementInt64(cur === undefined ? 0n : requireInt64(cur), delta);
  putString(tx, k, next.toString(), "incrby", { keepTtl: true });
  return next;
}

/** DECRBY: INCRBY of -delta; -2^63 fails first with "ERR decrement would overflow" (Redis 7.0). */
export function decrby(tx: Txn, k: KeyString, delta: bigint): bigint {
  if (delta === INT64_MIN) throw new DataTypeError("FUSEDB_OVERFLOW", NUMBER_ERRORS.decrementOverflow);
  return incrby(tx, k, -delta);
}

/**
 * INCRBYFLOAT: the key's type is checked first, then the stored text and the increment must parse as
 * long doubles; the sum's text (see src/types/numbers.ts) is stored with the TTL kept and returned.
 * @throws WrongTypeError; DataTypeError FUSEDB_NOT_FLOAT, FUSEDB_NAN.
 */
export function incrbyfloat(tx: Txn, k: KeyString, increment: string): string {
  const text = incrementFloatText(tx.string(k), increment);
  putString(tx, k, text, "incrbyfloat", { keepTtl: true });
  return text;
}

/** Redis's reply for a bad SETBIT/GETBIT offset and a bad SETBIT value. */
export const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
export const BIT_VALUE_ERROR = "ERR bit is not an integer or out of range";

/**
 * A SETBIT/GETBIT offset (bits) within `bytesMax` bytes (Redis: proto-max-bulk-len).
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE "ERR bit offset is not an integer or out of range".
 */
export function bitOffset(offset: bigint, bytesMax: number): number {
  if (offset < 0n || offset >> 3n >= BigInt(bytesMax)) {
    throw new DataTypeError("FUSEDB_OUT_OF_RANGE", BIT_OFFSET_ERROR);
  }
  return Number(offset);
}

/** GETBIT: the bit at `offset` (bit 0 is the most significant of byte 0); 0 past the end. */
export function getbit(tx: Txn, k: KeyString, offset: number): 0 | 1 {
  const s = tx.string(k) ?? "";
  const byte = Math.floor(offset / 8);
  return byte < s.length && (s.charCodeAt(byte) >> (7 - (offset % 8))) & 1 ? 1 : 0;
}

/**
 * SETBIT: sets or clears the bit at `offset` (bits; limited by the value limit), zero-padding the string;
 * the bit's old value. Writes only if the string grows or the bit changes (Redis's rule).
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE; WrongTypeError.
 */
export function setbit(tx: Txn, k: KeyString, offset: bigint, on: 0 | 1): 0 | 1 {
  const at = bitOffset(offset, tx.ctx.valueBytesMax);
  const cur = tx.string(k);
  const old = getbit(tx, k, at);
  const byte = Math.floor(at / 8);
  const grows = cur === undefined || byte >= cur.length;
  if (!grows && old === on) return old;
  const base = (cur ?? "").padEnd(byte + 1, "\x00");
  const mask = 1 << (7 - (at % 8));
  const value = on === 1 ? base.charCodeAt(byte) | mask : base.charCodeAt(byte) & ~mask;
  putString(tx, k, base.slice(0, byte) + String.fromCharCode(value) + base.slice(byte + 1), "setbit", {
    keepTtl: true,
  });
  return old;
}

/** MGET: each key's string; undefined for keys absent or of another type (never WRONGTYPE). */
export function mget(tx: Txn, keys: readonly KeyString[]): (string | undefined)[] {
  return keys.map((k) => {
    const e = tx.live(k);
    return e?.type === "string" ? (e.value as string) : undefined;
  });
}

/** MSET: sets every pair (a later pair of the same key wins), clearing TTLs, in one record. */
export function mset(tx: Txn, pairs: readonly (readonly [KeyString, string])[]): void {
  // One write per key (the last pair's value), so a key named twice still takes one new version.
  for (const [k, v] of new Map(pairs)) putString(tx, k, v, "set", { keepTtl: false });
}

/** MSETNX: sets every pair only if no key of them is live (of any type); whether it did. */
export function msetnx(tx: Txn, pairs: readonly (readonly [KeyString, string])[]): boolean {
  if (pairs.some(([k]) => tx.live(k) !== undefined)) return false;
  mset(tx, pairs);
  return true;
}
