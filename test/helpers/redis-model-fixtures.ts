/**
 * Small fixtures the Redis reference model's tests share (sim/redis-model): byte strings from and to test
 * text, and sorted sets built with ZADD.
 */
import { RedisKeyspace, zsets } from "../../sim/redis-model/index.js";

/** The byte string of `s`, one byte per UTF-16 code unit (test text is ASCII or Latin-1). */
export const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The text of a byte string (one character per byte), or null for a null reply. */
export const text = (b: Uint8Array | null): string | null => (b === null ? null : String.fromCharCode(...b));

/** `ks` (a fresh keyspace by default) after ZADD `key` of `pairs` ([score, member]) at time 0. */
export function zsetOf(pairs: [number, string][], key = "z", ks = new RedisKeyspace()): RedisKeyspace {
  zsets.zadd(ks, key, pairs, {}, 0);
  return ks;
}

/** ZRANGE `key` 0 -1 WITHSCORES at time 0: every [member, score] in order. */
export const all = (ks: RedisKeyspace, key = "z") =>
  zsets.zrange(ks, key, "0", "-1", { withScores: true }, 0);

/** The redis.io sorted-set pages' usual input: one 1, two 2, three 3. */
export const ONE_TWO_THREE: [number, string][] = [
  [1, "one"],
  [2, "two"],
  [3, "three"],
];
