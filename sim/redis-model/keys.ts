/**
 * Generic key commands of the Redis reference model (redis.io/commands/?group=generic), Redis 7.0
 * semantics, over every type. TTLs are absolute virtual ms; `nowMs` is the call's time.
 */

import { fail, MSG, RedisModelError } from "./errors.js";
import { absoluteExpiryMs, type ExpiryArg } from "./expiry.js";
import { globMatch } from "./glob.js";
import type { KeyEntry, RedisKeyspace, RedisType, RedisValue } from "./keyspace.js";

/** DEL/UNLINK: how many of `keys` existed (each removed once). */
export function del(ks: RedisKeyspace, keys: string[], nowMs: number): number {
  let n = 0;
  for (const k of keys) if (ks.delete(k, nowMs)) n++;
  return n;
}

/** EXISTS: counts live keys, a key named twice counting twice. */
export function exists(ks: RedisKeyspace, keys: string[], nowMs: number): number {
  return keys.filter((k) => ks.entry(k, nowMs) !== undefined).length;
}

/** TYPE: the type name, or "none". */
export function type(ks: RedisKeyspace, key: string, nowMs: number): RedisType | "none" {
  return ks.entry(key, nowMs)?.value.type ?? "none";
}

function cloneValue(v: RedisValue): RedisValue {
  switch (v.type) {
    case "string":
      return { type: "string", bytes: v.bytes.slice() };
    case "hash":
      return { type: "hash", fields: new Map(v.fields) };
    case "list":
      return { type: "list", items: [...v.items] };
    case "set":
      return { type: "set", members: new Set(v.members) };
    case "zset":
      return { type: "zset", scores: new Map(v.scores) };
  }
}

function cloneEntry(e: KeyEntry): KeyEntry {
  const c: KeyEntry = { value: cloneValue(e.value) };
  if (e.expiresAtMs !== undefined) c.expiresAtMs = e.expiresAtMs;
  return c;
}

/**
 * RENAME (`nx` false) / RENAMENX (`nx` true): moves the value and its TTL, replacing the destination
 * (RENAMENX: only when the destination is absent, else 0). "ERR no such key" (FUSEDB_NOT_FOUND) when the
 * source is absent; renaming a key to itself succeeds without change.
 */
export function rename(
  ks: RedisKeyspace,
  source: string,
  destination: string,
  nx: boolean,
  nowMs: number,
): "OK" | 0 | 1 {
  const e = ks.entry(source, nowMs);
  if (!e) throw new RedisModelError("FUSEDB_NOT_FOUND", MSG.noSuchKey);
  if (source === destination) return nx ? 0 : "OK";
  if (nx && ks.entry(destination, nowMs)) return 0;
  ks.delete(source, nowMs);
  ks.putEntry(destination, e);
  return nx ? 1 : "OK";
}

/**
 * COPY: copies value and TTL to `destination`; 0 if the source is absent or the destination exists without
 * `replace`; "ERR source and destination objects are the same" for one key.
 */
export function copy(
  ks: RedisKeyspace,
  source: string,
  destination: string,
  replace: boolean,
  nowMs: number,
): 0 | 1 {
  if (source === destination) fail(MSG.sameObject);
  const e = ks.entry(source, nowMs);
  if (!e) return 0;
  if (!replace && ks.entry(destination, nowMs)) return 0;
  ks.putEntry(destination, cloneEntry(e));
  return 1;
}

/** EXPIRE's condition flags. */
export interface ExpireFlags {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: sets the TTL; 1 if set, 0 if the key is absent or a flag refused
 * (NX: only without TTL; XX: only with one; GT/LT: only if the new expiry is later/earlier, a key without
 * TTL counting as infinite). A time at or before now deletes the key (and returns 1).
 */
export function expire(
  ks: RedisKeyspace,
  key: string,
  when: ExpiryArg,
  flags: ExpireFlags,
  nowMs: number,
): 0 | 1 {
  if (flags.nx && (flags.xx || flags.gt || flags.lt)) fail(MSG.expireNxXx);
  if (flags.gt && flags.lt) fail(MSG.expireGtLt);
  const command = { ex: "expire", px: "pexpire", exat: "expireat", pxat: "pexpireat" }[when.unit];
  const at = absoluteExpiryMs(when, nowMs, command, false);
  const e = ks.entry(key, nowMs);
  if (!e) return 0;
  const cur = e.expiresAtMs;
  if (flags.nx && cur !== undefined) return 0;
  if (flags.xx && cur === undefined) return 0;
  if (flags.gt && (cur === undefined || at <= cur)) return 0;
  if (flags.lt && cur !== undefined && at >= cur) return 0;
  if (at <= nowMs) ks.delete(key, nowMs);
  else e.expiresAtMs = at;
  return 1;
}

/** PTTL (`ms`) / TTL: -2 when absent, -1 without TTL, else the time left (TTL rounds ms to nearest s). */
export function ttl(ks: RedisKeyspace, key: string, ms: boolean, nowMs: number): number {
  const e = ks.entry(key, nowMs);
  if (!e) return -2;
  if (e.expiresAtMs === undefined) return -1;
  const left = e.expiresAtMs - nowMs;
  return ms ? left : Math.floor((left + 500) / 1000);
}

/** PEXPIRETIME (`ms`) / EXPIRETIME: the absolute expiry (unix s, truncated, or ms), -2 absent, -1 none. */
export function expiretime(ks: RedisKeyspace, key: string, ms: boolean, nowMs: number): number {
  const e = ks.entry(key, nowMs);
  if (!e) return -2;
  if (e.expiresAtMs === undefined) return -1;
  return ms ? e.expiresAtMs : Math.floor(e.expiresAtMs / 1000);
}

/** PERSIST: 1 if a TTL was removed. */
export function persist(ks: RedisKeyspace, key: string, nowMs: number): 0 | 1 {
  const e = ks.entry(key, nowMs);
  if (e?.expiresAtMs === undefined) return 0;
  delete e.expiresAtMs;
  return 1;
}

/** DBSIZE: live keys. */
export function dbsize(ks: RedisKeyspace, nowMs: number): number {
  return ks.keys(nowMs).length;
}

/**
 * KEYS / SCAN as one full pass: live keys (sorted) matching the glob `match` and of type `type` if given.
 * Real SCAN may return a key more than once; the model's promise is "at least once".
 */
export function scanKeys(
  ks: RedisKeyspace,
  opts: { match?: string; type?: RedisType },
  nowMs: number,
): string[] {
  return ks
    .keys(nowMs)
    .filter((k) => opts.match === undefined || globMatch(opts.match, k))
    .filter((k) => opts.type === undefined || ks.entry(k, nowMs)?.value.type === opts.type);
}
