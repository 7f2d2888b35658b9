/**
 * Hash commands of the Redis reference model (redis.io/commands/?group=hash), Redis 7.0 semantics.
 * Field order is insertion order here (Redis's is unspecified); a hash whose last field goes stops existing.
 */

import { fail, MSG } from "./errors.js";
import { globMatch } from "./glob.js";
import type { ByteString, RandomSource, RedisKeyspace } from "./keyspace.js";
import { addLongDouble, formatLongDoubleHuman } from "./long-double.js";
import { addInt64, parseLongDouble, parseRedisInteger } from "./numbers.js";

const fresh = () => ({ type: "hash" as const, fields: new Map<ByteString, ByteString>() });

/** HSET: sets each pair (later pairs win); returns how many fields were new. */
export function hset(
  ks: RedisKeyspace,
  key: string,
  pairs: [ByteString, ByteString][],
  nowMs: number,
): number {
  if (pairs.length === 0) fail("ERR wrong number of arguments for 'hset' command");
  const h = ks.getOrCreate(key, "hash", nowMs, fresh);
  let added = 0;
  for (const [f, v] of pairs) {
    if (!h.fields.has(f)) added++;
    h.fields.set(f, v);
  }
  return added;
}

/** HSETNX: sets the field only if absent; 1 if set. */
export function hsetnx(
  ks: RedisKeyspace,
  key: string,
  field: ByteString,
  value: ByteString,
  nowMs: number,
): 0 | 1 {
  if (ks.get(key, "hash", nowMs)?.fields.has(field)) return 0;
  hset(ks, key, [[field, value]], nowMs);
  return 1;
}

/** HGET: the value or null. */
export function hget(ks: RedisKeyspace, key: string, field: ByteString, nowMs: number): ByteString | null {
  return ks.get(key, "hash", nowMs)?.fields.get(field) ?? null;
}

/** HMGET: each field's value or null. */
export function hmget(
  ks: RedisKeyspace,
  key: string,
  fields: ByteString[],
  nowMs: number,
): (ByteString | null)[] {
  const h = ks.get(key, "hash", nowMs);
  return fields.map((f) => h?.fields.get(f) ?? null);
}

/** HDEL: removes fields; returns how many existed. Deletes the key when it empties. */
export function hdel(ks: RedisKeyspace, key: string, fields: ByteString[], nowMs: number): number {
  const h = ks.get(key, "hash", nowMs);
  if (!h) return 0;
  let n = 0;
  for (const f of fields) if (h.fields.delete(f)) n++;
  ks.settle(key);
  return n;
}

/** HEXISTS: 1 if the field exists. */
export function hexists(ks: RedisKeyspace, key: string, field: ByteString, nowMs: number): 0 | 1 {
  return ks.get(key, "hash", nowMs)?.fields.has(field) ? 1 : 0;
}

/** HLEN: number of fields (0 when absent). */
export function hlen(ks: RedisKeyspace, key: string, nowMs: number): number {
  return ks.get(key, "hash", nowMs)?.fields.size ?? 0;
}

/** HSTRLEN: byte length of the field's value (0 when absent). */
export function hstrlen(ks: RedisKeyspace, key: string, field: ByteString, nowMs: number): number {
  return hget(ks, key, field, nowMs)?.length ?? 0;
}

/** HGETALL as pairs; HKEYS and HVALS are its projections. */
export function hgetall(ks: RedisKeyspace, key: string, nowMs: number): [ByteString, ByteString][] {
  return [...(ks.get(key, "hash", nowMs)?.fields ?? [])];
}

/** HKEYS. */
export function hkeys(ks: RedisKeyspace, key: string, nowMs: number): ByteString[] {
  return hgetall(ks, key, nowMs).map(([f]) => f);
}

/** HVALS. */
export function hvals(ks: RedisKeyspace, key: string, nowMs: number): ByteString[] {
  return hgetall(ks, key, nowMs).map(([, v]) => v);
}

/**
 * HINCRBY: the field's value must be a strict int64 ("ERR hash value is not an integer"); absent counts as 0;
 * overflow fails with "ERR increment or decrement would overflow". Returns the new value.
 */
export function hincrby(
  ks: RedisKeyspace,
  key: string,
  field: ByteString,
  delta: bigint,
  nowMs: number,
): bigint {
  const cur = hget(ks, key, field, nowMs);
  const old = cur === null ? 0n : parseRedisInteger(cur);
  if (old === undefined) return fail(MSG.hashNotInteger);
  const next = addInt64(old, delta);
  if (next === undefined) return fail(MSG.overflow);
  hset(ks, key, [[field, next.toString()]], nowMs);
  return next;
}

/**
 * HINCRBYFLOAT: as INCRBYFLOAT, but a bad stored value fails with "ERR hash value is not a float" (a bad
 * increment still with "ERR value is not a valid float"), and an infinite increment fails first, before the
 * key's type is checked, with "ERR value is NaN or Infinity" (real Redis 7.0.15 answers so). Returns the
 * stored text.
 */
export function hincrbyfloat(
  ks: RedisKeyspace,
  key: string,
  field: ByteString,
  increment: string,
  nowMs: number,
): string {
  const incr = parseLongDouble(increment);
  if (incr === undefined) return fail(MSG.notFloat);
  if (incr === "inf") return fail(MSG.valueNanOrInf);
  const cur = hget(ks, key, field, nowMs);
  const old = cur === null ? { neg: false, mant: 0n, exp: 0 } : parseLongDouble(cur);
  if (old === undefined) return fail(MSG.hashNotFloat);
  if (old === "inf") return fail(MSG.nanOrInf);
  const sum = addLongDouble(old, incr);
  if (sum === "overflow") return fail(MSG.nanOrInf);
  const text = formatLongDoubleHuman(sum);
  hset(ks, key, [[field, text]], nowMs);
  return text;
}

/**
 * HRANDFIELD with a count: positive → that many distinct fields (at most all), negative → |count| draws
 * with repetition, 0 → none. Without a count: one field or null. Draws come from `rng` only.
 */
export function hrandfield(
  ks: RedisKeyspace,
  key: string,
  count: number | undefined,
  rng: RandomSource,
  nowMs: number,
): [ByteString, ByteString][] | ByteString | null {
  checkRandomCount(count);
  const pairs = hgetall(ks, key, nowMs);
  if (count === undefined) return pairs.length === 0 ? null : (pairs[rng.int(pairs.length)]?.[0] ?? null);
  return randomPick(pairs, count, rng);
}

/**
 * HRANDFIELD/SRANDMEMBER/ZRANDMEMBER take a count in [-(2^63-1), 2^63-1], checked before the key is looked
 * up (real Redis 7.0.15 answers a count of -9223372036854775808 with {@link MSG.randomCountRange}). As a JS
 * number, -(2^63-1) rounds to -2^63 too: callers pass -2^63 only for Redis's -2^63.
 */
export function checkRandomCount(count: number | undefined): void {
  if (count !== undefined && count <= -(2 ** 63)) fail(MSG.randomCountRange);
}

/** Redis's random-pick rule for HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a count (see {@link hrandfield}). */
export function randomPick<T>(items: T[], count: number, rng: RandomSource): T[] {
  if (items.length === 0 || count === 0) return [];
  if (count < 0) return Array.from({ length: -count }, () => items[rng.int(items.length)] as T);
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(rng.int(pool.length), 1)[0] as T);
  return out;
}

/**
 * HSCAN, modelled as one full pass: cursor "0" in and out, every field matching `match` (a glob) once.
 * Real Redis may split the pass and repeat fields; the guarantee the model checks is "each field present
 * for the whole scan is returned at least once".
 */
export function hscan(
  ks: RedisKeyspace,
  key: string,
  match: string | undefined,
  nowMs: number,
): [ByteString, ByteString][] {
  return hgetall(ks, key, nowMs).filter(([f]) => match === undefined || globMatch(match, f));
}
