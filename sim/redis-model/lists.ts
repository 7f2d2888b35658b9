/**
 * List commands of the Redis reference model (redis.io/commands/?group=list), Redis 7.0 semantics.
 * Index rules (LRANGE, LTRIM): negative indexes count from the tail (-1 is the last element); after that,
 * a start below 0 becomes 0 and an end past the tail becomes the last index; start > end is empty.
 * A list whose last element goes stops existing. Blocking pops belong to the engine and are not modelled.
 */

import { fail, MSG, RedisModelError } from "./errors.js";
import type { ByteString, RedisKeyspace } from "./keyspace.js";

/** Which end of a list: LEFT is the head (index 0). */
export type ListEnd = "left" | "right";

const fresh = () => ({ type: "list" as const, items: [] as ByteString[] });

/** LPUSH/RPUSH: pushes each element in turn (LPUSH a b c leaves c first); returns the new length. */
export function push(
  ks: RedisKeyspace,
  key: string,
  end: ListEnd,
  elements: ByteString[],
  nowMs: number,
): number {
  if (elements.length === 0)
    fail(`ERR wrong number of arguments for '${end === "left" ? "l" : "r"}push' command`);
  const l = ks.getOrCreate(key, "list", nowMs, fresh);
  for (const e of elements) end === "left" ? l.items.unshift(e) : l.items.push(e);
  return l.items.length;
}

/**
 * LPUSHX/RPUSHX: like {@link push} but only onto an existing list; 0 otherwise. No elements is the arity
 * error naming the X command, before the key is looked at (real Redis 7.0.15 answers so).
 */
export function pushx(
  ks: RedisKeyspace,
  key: string,
  end: ListEnd,
  elements: ByteString[],
  nowMs: number,
): number {
  if (elements.length === 0)
    fail(`ERR wrong number of arguments for '${end === "left" ? "l" : "r"}pushx' command`);
  return ks.get(key, "list", nowMs) ? push(ks, key, end, elements, nowMs) : 0;
}

/**
 * LPOP/RPOP. Without `count`: the element or null. With `count`: null when the key is absent, [] for
 * count 0, else up to `count` elements; a negative count fails "ERR value is out of range, must be positive".
 */
export function pop(
  ks: RedisKeyspace,
  key: string,
  end: ListEnd,
  count: number | undefined,
  nowMs: number,
): ByteString | ByteString[] | null {
  if (count !== undefined && count < 0) fail(MSG.mustBePositive);
  const l = ks.get(key, "list", nowMs);
  if (!l) return null;
  if (count === 0) return [];
  const n = Math.min(count ?? 1, l.items.length);
  const out = end === "left" ? l.items.splice(0, n) : l.items.splice(l.items.length - n, n).reverse();
  ks.settle(key);
  return count === undefined ? (out[0] ?? null) : out;
}

/** LLEN. */
export function llen(ks: RedisKeyspace, key: string, nowMs: number): number {
  return ks.get(key, "list", nowMs)?.items.length ?? 0;
}

/** Normalizes [start, stop] against `len`; undefined when the range is empty. */
export function normalizeRange(start: number, stop: number, len: number): [number, number] | undefined {
  let s = start < 0 ? len + start : start;
  let e = stop < 0 ? len + stop : stop;
  if (s < 0) s = 0;
  if (s > e || s >= len) return undefined;
  if (e >= len) e = len - 1;
  return [s, e];
}

/** LRANGE with the module's index rules. */
export function lrange(
  ks: RedisKeyspace,
  key: string,
  start: number,
  stop: number,
  nowMs: number,
): ByteString[] {
  const items = ks.get(key, "list", nowMs)?.items ?? [];
  const r = normalizeRange(start, stop, items.length);
  return r ? items.slice(r[0], r[1] + 1) : [];
}

/** LINDEX: the element at `index` (negative from the tail), or null when out of range. */
export function lindex(ks: RedisKeyspace, key: string, index: number, nowMs: number): ByteString | null {
  const items = ks.get(key, "list", nowMs)?.items ?? [];
  const i = index < 0 ? items.length + index : index;
  return items[i] ?? null;
}

/** LSET: "ERR no such key" (FUSEDB_NOT_FOUND) when absent, "ERR index out of range" when outside. */
export function lset(
  ks: RedisKeyspace,
  key: string,
  index: number,
  element: ByteString,
  nowMs: number,
): "OK" {
  const l = ks.get(key, "list", nowMs);
  if (!l) throw new RedisModelError("FUSEDB_NOT_FOUND", MSG.noSuchKey);
  const i = index < 0 ? l.items.length + index : index;
  if (i < 0 || i >= l.items.length) fail(MSG.indexOutOfRange);
  l.items[i] = element;
  return "OK";
}

/** LINSERT: inserts next to the first `pivot` from the head; new length, -1 without pivot, 0 if no key. */
export function linsert(
  ks: RedisKeyspace,
  key: string,
  where: "before" | "after",
  pivot: ByteString,
  element: ByteString,
  nowMs: number,
): number {
  const l = ks.get(key, "list", nowMs);
  if (!l) return 0;
  const i = l.items.indexOf(pivot);
  if (i < 0) return -1;
  l.items.splice(where === "before" ? i : i + 1, 0, element);
  return l.items.length;
}

/** LREM: removes up to |count| matches from the head (count > 0), the tail (< 0), or all (0). */
export function lrem(
  ks: RedisKeyspace,
  key: string,
  count: number,
  element: ByteString,
  nowMs: number,
): number {
  const l = ks.get(key, "list", nowMs);
  if (!l) return 0;
  const limit = count === 0 ? Number.POSITIVE_INFINITY : Math.abs(count);
  const order = l.items.map((_, i) => i);
  if (count < 0) order.reverse();
  const drop = new Set<number>();
  for (const i of order) {
    if (drop.size >= limit) break;
    if (l.items[i] === element) drop.add(i);
  }
  l.items = l.items.filter((_, i) => !drop.has(i));
  ks.settle(key);
  return drop.size;
}

/** LTRIM: keeps [start, stop] (module's index rules); an empty range deletes the key. */
export function ltrim(ks: RedisKeyspace, key: string, start: number, stop: number, nowMs: number): "OK" {
  const l = ks.get(key, "list", nowMs);
  if (!l) return "OK";
  const r = normalizeRange(start, stop, l.items.length);
  l.items = r ? l.items.slice(r[0], r[1] + 1) : [];
  ks.settle(key);
  return "OK";
}

/** LPOS options: RANK (which match to start from, negative from the tail), COUNT (0: all), MAXLEN. */
export interface LposOptions {
  rank?: number;
  count?: number;
  maxlen?: number;
}

/**
 * LPOS: index of matches of `element`, scanning from the head (rank > 0) or tail (rank < 0) and skipping
 * |rank|-1 matches, comparing at most MAXLEN elements (0: all). Without COUNT: one index or null; with
 * COUNT: an array (COUNT 0: every match). Errors: rank 0, negative COUNT, negative MAXLEN (Redis's texts).
 */
export function lpos(
  ks: RedisKeyspace,
  key: string,
  element: ByteString,
  opts: LposOptions,
  nowMs: number,
): number | number[] | null {
  const rank = opts.rank ?? 1;
  if (rank === 0) fail(MSG.rankZero);
  if (opts.count !== undefined && opts.count < 0) fail(MSG.countNegative);
  if (opts.maxlen !== undefined && opts.maxlen < 0) fail(MSG.maxlenNegative);
  const items = ks.get(key, "list", nowMs)?.items ?? [];
  const want = opts.count === undefined ? 1 : opts.count === 0 ? Number.POSITIVE_INFINITY : opts.count;
  const maxlen = opts.maxlen ? opts.maxlen : Number.POSITIVE_INFINITY;
  const found: number[] = [];
  // Redis 7.0 negates a negative RANK in a C long: -2^63 stays negative and then counts as "skip nothing",
  // so RANK -9223372036854775808 finds the last match like -1 (real Redis 7.0.15 answers so).
  let skip = rank <= -(2 ** 63) ? 0 : Math.abs(rank) - 1;
  for (let step = 0; step < items.length && step < maxlen && found.length < want; step++) {
    const i = rank > 0 ? step : items.length - 1 - step;
    if (items[i] !== element) continue;
    if (skip > 0) skip--;
    else found.push(i);
  }
  if (opts.count === undefined) return found[0] ?? null;
  return found;
}

/**
 * LMOVE: pops from `from` of `source` and pushes to `to` of `destination` (the same key rotates in place,
 * so a one-element list keeps its key and TTL: real Redis 7.0.15 answers so); returns the element, or null
 * when the source is absent (then the destination's type is not checked).
 */
export function lmove(
  ks: RedisKeyspace,
  source: string,
  destination: string,
  from: ListEnd,
  to: ListEnd,
  nowMs: number,
): ByteString | null {
  const src = ks.get(source, "list", nowMs);
  if (!src) return null;
  if (source === destination) {
    const element = (from === "left" ? src.items.shift() : src.items.pop()) as ByteString;
    to === "left" ? src.items.unshift(element) : src.items.push(element);
    return element;
  }
  ks.get(destination, "list", nowMs);
  const element = pop(ks, source, from, undefined, nowMs);
  if (typeof element !== "string") return null;
  push(ks, destination, to, [element], nowMs);
  return element;
}
