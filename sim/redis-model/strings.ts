/**
 * String commands of the Redis reference model (redis.io/commands/?group=string), Redis 7.0 semantics.
 * Values are bytes; numeric commands read them as ASCII text with Redis's exact parse rules.
 */

import { fail, MSG, wrongType } from "./errors.js";
import { absoluteExpiryMs, type ExpiryArg } from "./expiry.js";
import type { RedisKeyspace } from "./keyspace.js";
import { addLongDouble, formatLongDoubleHuman } from "./long-double.js";
import { addInt64, INT64_MIN, parseLongDouble, parseRedisInteger } from "./numbers.js";

/** proto-max-bulk-len: the largest string SETRANGE/APPEND may build, 512 MiB. */
export const STRING_BYTES_MAX = 512 * 1024 * 1024;

/** Bytes as a byte string (one code unit per byte). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** ASCII/byte string to bytes (code units above 255 are truncated: pass byte strings only). */
export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** SET options; `get` makes SET reply the old value. NX+XX and KEEPTTL with an expiry are syntax errors. */
export interface SetOptions {
  nx?: boolean;
  xx?: boolean;
  get?: boolean;
  keepTtl?: boolean;
  expiry?: ExpiryArg;
}

/** GET: the bytes, or null when absent. WRONGTYPE for other types. */
export function get(ks: RedisKeyspace, key: string, nowMs: number): Uint8Array | null {
  return ks.get(key, "string", nowMs)?.bytes ?? null;
}

/**
 * SET: "OK", or null when NX/XX prevented it; with `get`, the old value (or null) instead, whether or not
 * the write happened (WRONGTYPE if the old value is not a string, and then nothing is written).
 */
export function set(
  ks: RedisKeyspace,
  key: string,
  value: Uint8Array,
  opts: SetOptions,
  nowMs: number,
): Uint8Array | "OK" | null {
  if ((opts.nx && opts.xx) || (opts.keepTtl && opts.expiry)) fail(MSG.syntax);
  const expiresAtMs = opts.expiry ? absoluteExpiryMs(opts.expiry, nowMs, "set", true) : undefined;
  const old = ks.entry(key, nowMs);
  if (opts.get && old !== undefined && old.value.type !== "string") wrongType();
  const oldBytes = old?.value.type === "string" ? old.value.bytes : null;
  const blocked = (opts.nx && old !== undefined) || (opts.xx && old === undefined);
  if (!blocked) {
    ks.put(key, { type: "string", bytes: value.slice() }, nowMs, opts.keepTtl === true);
    const e = ks.entry(key, nowMs);
    if (e && expiresAtMs !== undefined) e.expiresAtMs = expiresAtMs;
  }
  if (opts.get) return oldBytes;
  return blocked ? null : "OK";
}

/** APPEND: creates the key if absent; returns the new length. */
export function append(ks: RedisKeyspace, key: string, tail: Uint8Array, nowMs: number): number {
  const cur = ks.get(key, "string", nowMs);
  const oldLen = cur?.bytes.length ?? 0;
  if (oldLen + tail.length > STRING_BYTES_MAX) fail(MSG.tooBig);
  const next = new Uint8Array(oldLen + tail.length);
  if (cur) next.set(cur.bytes);
  next.set(tail, oldLen);
  ks.put(key, { type: "string", bytes: next }, nowMs, true);
  return next.length;
}

/**
 * GETRANGE with Redis 7.0's index rules: negative indexes count from the end, then both are clamped to
 * [0, len-1]; two negative indexes with start > end are empty. Oddity kept: an end that is still negative
 * after adding len clamps to 0, so `0 -100` (and `-100 -100`) on "Hello" give "H".
 */
export function getrange(
  ks: RedisKeyspace,
  key: string,
  start: number,
  end: number,
  nowMs: number,
): Uint8Array {
  const bytes = ks.get(key, "string", nowMs)?.bytes ?? new Uint8Array();
  if (start < 0 && end < 0 && start > end) return new Uint8Array();
  const len = bytes.length;
  let s = start < 0 ? len + start : start;
  let e = end < 0 ? len + end : end;
  if (s < 0) s = 0;
  if (e < 0) e = 0;
  if (e >= len) e = len - 1;
  if (len === 0 || s > e) return new Uint8Array();
  return bytes.slice(s, e + 1);
}

/** SETRANGE: overwrites from `offset`, zero-padding; returns the new length. Empty value: no change. */
export function setrange(
  ks: RedisKeyspace,
  key: string,
  offset: number,
  value: Uint8Array,
  nowMs: number,
): number {
  if (offset < 0) fail(MSG.offsetOutOfRange);
  const cur = ks.get(key, "string", nowMs);
  const oldLen = cur?.bytes.length ?? 0;
  if (value.length === 0) return oldLen;
  if (offset + value.length > STRING_BYTES_MAX) fail(MSG.tooBig);
  const next = new Uint8Array(Math.max(oldLen, offset + value.length));
  if (cur) next.set(cur.bytes);
  next.set(value, offset);
  ks.put(key, { type: "string", bytes: next }, nowMs, true);
  return next.length;
}

/** STRLEN: 0 when absent. */
export function strlen(ks: RedisKeyspace, key: string, nowMs: number): number {
  return ks.get(key, "string", nowMs)?.bytes.length ?? 0;
}

/** GETDEL: the value, deleting the key; null when absent. */
export function getdel(ks: RedisKeyspace, key: string, nowMs: number): Uint8Array | null {
  const v = get(ks, key, nowMs);
  if (v !== null) ks.delete(key, nowMs);
  return v;
}

/**
 * GETEX: the value, and sets (`expiry`) or removes (`persist`) the TTL. Both at once: syntax error. An
 * absent key replies null and a non-string WRONGTYPE before the expiry is validated (real Redis 7.0.15
 * answers `GETEX absent PX -5` with null).
 */
export function getex(
  ks: RedisKeyspace,
  key: string,
  opts: { expiry?: ExpiryArg; persist?: boolean },
  nowMs: number,
): Uint8Array | null {
  if (opts.expiry && opts.persist) fail(MSG.syntax);
  const v = get(ks, key, nowMs);
  const e = ks.entry(key, nowMs);
  if (v === null || e === undefined) return null;
  const at = opts.expiry ? absoluteExpiryMs(opts.expiry, nowMs, "getex", true) : undefined;
  if (opts.persist) delete e.expiresAtMs;
  if (at !== undefined) e.expiresAtMs = at;
  ks.entry(key, nowMs);
  return v;
}

/**
 * INCRBY: the stored text must be a strict int64 (else "ERR value is not an integer or out of range"); an
 * absent key counts as 0; a result outside int64 fails with "ERR increment or decrement would overflow".
 * Keeps the TTL. Returns the new value.
 */
export function incrBy(ks: RedisKeyspace, key: string, delta: bigint, nowMs: number): bigint {
  const cur = ks.get(key, "string", nowMs);
  const old = cur ? parseRedisInteger(latin1(cur.bytes)) : 0n;
  if (old === undefined) return fail(MSG.notInteger);
  const next = addInt64(old, delta);
  if (next === undefined) return fail(MSG.overflow);
  ks.put(key, { type: "string", bytes: asciiBytes(next.toString()) }, nowMs, true);
  return next;
}

/** DECRBY: INCRBY of `-delta`; `delta` = -2^63 fails with "ERR decrement would overflow" (Redis 7.0). */
export function decrBy(ks: RedisKeyspace, key: string, delta: bigint, nowMs: number): bigint {
  if (delta === INT64_MIN) fail(MSG.decrOverflow);
  return incrBy(ks, key, -delta, nowMs);
}

/**
 * INCRBYFLOAT on x87 long doubles (see long-double.ts): both the stored text and `increment` must parse
 * as string2ld does ("ERR value is not a valid float"); an infinite operand or result fails with
 * "ERR increment would produce NaN or Infinity". Stores and returns the `%.17Lf`-trimmed text. Keeps TTL.
 */
export function incrByFloat(ks: RedisKeyspace, key: string, increment: string, nowMs: number): string {
  const cur = ks.get(key, "string", nowMs);
  const old = cur ? parseLongDouble(latin1(cur.bytes)) : { neg: false, mant: 0n, exp: 0 };
  const incr = parseLongDouble(increment);
  if (old === undefined || incr === undefined) return fail(MSG.notFloat);
  if (old === "inf" || incr === "inf") return fail(MSG.nanOrInf);
  const sum = addLongDouble(old, incr);
  if (sum === "overflow") return fail(MSG.nanOrInf);
  const text = formatLongDoubleHuman(sum);
  ks.put(key, { type: "string", bytes: asciiBytes(text) }, nowMs, true);
  return text;
}

/** MGET: each key's bytes, null for absent keys and keys of other types (no WRONGTYPE). */
export function mget(ks: RedisKeyspace, keys: string[], nowMs: number): (Uint8Array | null)[] {
  return keys.map((k) => {
    const v = ks.entry(k, nowMs)?.value;
    return v?.type === "string" ? v.bytes : null;
  });
}

/** MSET: sets every pair (later pairs win), clearing TTLs, atomically. */
export function mset(ks: RedisKeyspace, pairs: [string, Uint8Array][], nowMs: number): "OK" {
  for (const [k, v] of pairs) ks.put(k, { type: "string", bytes: v.slice() }, nowMs);
  return "OK";
}

/** MSETNX: sets every pair only if none of the keys exists (of any type); 1 if it did, else 0. */
export function msetnx(ks: RedisKeyspace, pairs: [string, Uint8Array][], nowMs: number): 0 | 1 {
  if (pairs.some(([k]) => ks.entry(k, nowMs) !== undefined)) return 0;
  mset(ks, pairs, nowMs);
  return 1;
}
