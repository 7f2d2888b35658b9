/**
 * The generic key operations (Redis 7.0, redis.io/commands/?group=generic) over every kind of key — JSON
 * documents and the data types — as pure operations on a {@link Txn} (src/types/txn.ts), so the library
 * (src/types/keys.ts) and the RESP server (src/server/commands/key-commands.ts, and EXEC) share them.
 *
 * Costs: DEL, EXPIRE, PERSIST, TTL and TYPE touch the key's own entry only (O(1) whatever it holds: a
 * deleted collection's elements become a dead generation for merges to drop). RENAME and COPY of a
 * collection copy its elements under a new generation of the destination: O(n) entries written, in one
 * record, read in bounded pages whose sizes double ({@link PAGE_FIRST}), so the operation reruns O(log n)
 * times. Key scans read pages of user keys and jump over the internal subkey range in one step.
 */
import type { DataType, Entry } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import { INTERNAL_KEY_END, KEY_BYTES_LIMIT } from "../doc/key.js";
import { assert, DataTypeError } from "../errors.js";
import { prefixEnd, TAG, type Tag } from "./encoding.js";
import { ELEMENTS_PER_READ } from "./scan-cursor.js";
import type { CollectionMeta, Txn } from "./txn.js";

/** What TYPE answers: "none", "json" (a document) or a data type. */
export type KeyType = DataType | "json" | "none";

/** A bound above every tree key (keys are at most KEY_BYTES_LIMIT bytes, each at most 0xff). */
export const KEYS_END: KeyString = "\xff".repeat(KEY_BYTES_LIMIT + 1);

/** Tree keys `gte <= k < lt` (user keys only are ever returned from them). */
export interface KeyBounds {
  readonly gte: KeyString;
  readonly lt: KeyString;
}

/** Every user key. */
export const ALL_KEYS: KeyBounds = { gte: INTERNAL_KEY_END, lt: KEYS_END };

/** Elements the first page of a copy reads; each later page reads twice as many as the one before. */
export const PAGE_FIRST = ELEMENTS_PER_READ;

/** A delete effect's bytes in a WAL record besides its key: kind u8, key length u16, version u64. */
const DELETE_EFFECT_BYTES = 1 + 2 + 8;

/** The element tags each collection type keeps. */
const TAGS: Readonly<Record<Exclude<DataType, "string">, readonly Tag[]>> = {
  hash: [TAG.hash],
  set: [TAG.set],
  list: [TAG.list],
  zset: [TAG.zsetMember, TAG.zsetScore],
};

/** DEL/UNLINK: deletes each live key (any type, O(1) each); how many were live (a repeat counts once). */
export function del(tx: Txn, keys: readonly KeyString[], op = "del"): number {
  let n = 0;
  for (const k of keys) if (tx.deleteKey(k, op)) n++;
  return n;
}

/** EXISTS: how many of `keys` are live, a key named twice counting twice. */
export function exists(tx: Txn, keys: readonly KeyString[]): number {
  let n = 0;
  for (const k of keys) if (tx.live(k) !== undefined) n++;
  return n;
}

/** TYPE. */
export function typeOf(tx: Txn, k: KeyString): KeyType {
  return tx.typeOf(k) ?? "none";
}

/**
 * Bytes of one stored entry as MEMORY USAGE counts them: its tree key, its JSON text, and a fixed
 * {@link ENTRY_OVERHEAD_BYTES} for the version, LSN, expiry and framing that go with it.
 */
const ENTRY_OVERHEAD_BYTES = 8 + 8 + 8 + 8; // version, lsn, expiry, lengths and type

/**
 * MEMORY USAGE: an estimate of the bytes `k` takes, or undefined if it is not live. The key's own entry,
 * plus for a collection its element entries: all of them when `samples` is 0, else the first `samples` of
 * each element tag, their average size times the element count (Redis's objectComputeSize samples the same
 * way, over its in-memory encodings; this counts fusedb's stored entries instead). O(samples) entries read.
 * @throws NeedRead.
 */
export function memoryUsage(tx: Txn, k: KeyString, samples: number): number | undefined {
  const live = tx.live(k);
  if (live === undefined) return undefined;
  let bytes = k.length + (live.text?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
  if (live.type === undefined || live.type === "string") return bytes;
  const meta = live.value as unknown as CollectionMeta;
  for (const tag of TAGS[live.type]) {
    const prefix = tx.prefix(k, meta, tag);
    const limit = samples === 0 ? meta.n : Math.min(samples, meta.n);
    if (limit === 0) continue;
    const found = tx.scan({ gte: prefix, lt: prefixEnd(prefix), reverse: false, limit });
    let sampled = 0;
    for (const [sub, e] of found) sampled += sub.length + (e.text?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
    if (found.length > 0) bytes += Math.round((sampled / found.length) * meta.n);
  }
  return bytes;
}

/**
 * Writes `from` (the live entry at `src`) as a new version of `dst` by `op`, with its expiry: a document or
 * string as one entry, a collection's elements copied under a new generation. Reads the elements in pages.
 * @throws NeedRead; InvalidArgumentError FUSEDB_VALUE_TOO_LARGE / FUSEDB_KEY_TOO_LARGE (a subkey of the
 *   longer destination key too large).
 */
function copyEntry(tx: Txn, src: KeyString, dst: KeyString, from: Entry, op: string): void {
  if (from.type === undefined || from.type === "string") {
    tx.putCopy(dst, from, op);
    return;
  }
  const meta = from.value as unknown as CollectionMeta;
  const copy: CollectionMeta = { ...meta, g: tx.newGeneration() };
  for (const tag of TAGS[from.type]) {
    const source = tx.prefix(src, meta, tag);
    const target = tx.prefix(dst, copy, tag);
    let after: string | undefined;
    // Bounded: each page moves `after` forward; the pages together hold the n elements of the tag.
    for (let page = PAGE_FIRST; ; page = Math.min(page * 2, meta.n + 1)) {
      const found = tx.elements(source, page, false, after === undefined ? undefined : `${after}\x00`);
      for (const [sub, value] of found) tx.putElement(target, sub, value);
      const last = found[found.length - 1];
      if (found.length < page || last === undefined) break;
      after = last[0];
    }
  }
  tx.putCopy(dst, from, op, copy as unknown as Json);
}

/**
 * RENAME (`nx` false: "OK") / RENAMENX (`nx`: 1 if renamed, 0 if the destination exists): moves the value
 * and its TTL to `dst` (replacing what it held), deleting `src`. Renaming a key to itself changes nothing.
 * @throws DataTypeError FUSEDB_NO_SUCH_KEY ("ERR no such key") when `src` is not live.
 */
export function rename(tx: Txn, src: KeyString, dst: KeyString, nx: boolean): "OK" | 0 | 1 {
  const from = tx.live(src);
  if (from === undefined) throw new DataTypeError("FUSEDB_NO_SUCH_KEY", "ERR no such key");
  if (src === dst) return nx ? 0 : "OK";
  if (nx && tx.live(dst) !== undefined) return 0;
  copyEntry(tx, src, dst, from, "rename_to");
  tx.deleteKey(src, "rename_from");
  return nx ? 1 : "OK";
}

/**
 * MOVE (to another database, `dst` being the key there): moves the value and its TTL when `src` is live
 * and `dst` is not; 1 if moved, else 0.
 */
export function move(tx: Txn, src: KeyString, dst: KeyString): 0 | 1 {
  const from = tx.live(src);
  if (from === undefined || tx.live(dst) !== undefined) return 0;
  copyEntry(tx, src, dst, from, "move_to");
  tx.deleteKey(src, "move_from");
  return 1;
}

/**
 * COPY: copies value and TTL to `dst`; 0 if `src` is not live or `dst` is live without `replace`.
 * @throws DataTypeError ("ERR source and destination objects are the same") when `src` is `dst`.
 */
export function copy(tx: Txn, src: KeyString, dst: KeyString, replace: boolean): 0 | 1 {
  if (src === dst)
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR source and destination objects are the same");
  const from = tx.live(src);
  if (from === undefined) return 0;
  if (!replace && tx.live(dst) !== undefined) return 0;
  copyEntry(tx, src, dst, from, "copy_to");
  return 1;
}

/** EXPIRE's conditions (Redis 7): only without a TTL, only with one, only later, only earlier. */
export type ExpireCondition = "NX" | "XX" | "GT" | "LT";

/** Whether a key whose expiry is `current` (undefined: none) may take `atMs` under `condition`. */
function allows(condition: ExpireCondition, current: number | undefined, atMs: number): boolean {
  switch (condition) {
    case "NX":
      return current === undefined;
    case "XX":
      return current !== undefined;
    case "GT":
      return current !== undefined && atMs > current;
    case "LT":
      return current === undefined || atMs < current;
  }
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT at the absolute time `atMs`: 1 if set, 0 if the key is not live or a
 * condition refused (all of `conditions` must hold, as Redis's XX with GT or LT; GT/LT: a key without TTL
 * counts as never expiring). A time at or before now deletes the key (1). The conditions are checked first,
 * as Redis does.
 */
export function expireAt(
  tx: Txn,
  k: KeyString,
  atMs: number,
  conditions: readonly ExpireCondition[] = [],
): 0 | 1 {
  const live = tx.live(k);
  if (live === undefined) return 0;
  for (const c of conditions) if (!allows(c, live.expiresAtMs, atMs)) return 0;
  if (atMs <= tx.nowMs) tx.deleteKey(k, "del");
  else tx.putExpiry(k, atMs, "expire");
  return 1;
}

/**
 * The absolute time of an expiry given in `unit` (relative seconds or ms, or an absolute Unix time in s or
 * ms) at `nowMs`. @throws DataTypeError FUSEDB_OVERFLOW ("ERR invalid expire time in '<command>' command")
 * when the time is not a safe integer of ms.
 */
export function expiryTimeMs(
  amount: number,
  unit: "ex" | "px" | "exat" | "pxat",
  nowMs: number,
  command: string,
): number {
  const seconds = unit === "ex" || unit === "exat";
  const ms = seconds ? amount * 1000 : amount;
  const at = unit === "ex" || unit === "px" ? nowMs + ms : ms;
  if (!Number.isSafeInteger(amount) || !Number.isSafeInteger(ms) || !Number.isSafeInteger(at)) {
    throw new DataTypeError("FUSEDB_OVERFLOW", `ERR invalid expire time in '${command}' command`);
  }
  return at;
}

/** PERSIST: 1 if a TTL was removed. */
export function persist(tx: Txn, k: KeyString): 0 | 1 {
  if (tx.live(k)?.expiresAtMs === undefined) return 0;
  tx.putExpiry(k, undefined, "persist");
  return 1;
}

/**
 * PTTL (`ms`) / TTL: -2 when not live, -1 without TTL, else the time left (TTL rounds ms to the nearest
 * second). Sets `tx.usedTime` (the answer depends on now: a read makes now durable first).
 */
export function ttl(tx: Txn, k: KeyString, ms: boolean): number {
  tx.usedTime = true;
  const live = tx.live(k);
  if (live === undefined) return -2;
  if (live.expiresAtMs === undefined) return -1;
  const left = live.expiresAtMs - tx.nowMs;
  return ms ? left : Math.floor((left + 500) / 1000);
}

/** PEXPIRETIME (`ms`) / EXPIRETIME: the absolute expiry (Unix ms, or s truncated); -2 not live, -1 none. */
export function expireTime(tx: Txn, k: KeyString, ms: boolean): number {
  const live = tx.live(k);
  if (live === undefined) return -2;
  if (live.expiresAtMs === undefined) return -1;
  return ms ? live.expiresAtMs : Math.floor(live.expiresAtMs / 1000);
}

/** One key found by {@link keyPage}: its tree key, what it holds, whether it expires. */
export interface KeyFound {
  readonly key: KeyString;
  readonly type: DataType | "json";
  readonly expires: boolean;
}

/** A page of keys: those found, and the key to resume after (undefined: the range is done). */
export interface KeyPage {
  readonly found: KeyFound[];
  readonly next: KeyString | undefined;
}

/**
 * Live user keys among the next `limit` keys examined inside `bounds` after the tree key `after` (undefined:
 * from the start), in key order. The internal subkeys (0x00 0x00 ...) are never read: every user key sorts
 * at or above INTERNAL_KEY_END, so the range starts there (one jump, however many elements there are).
 * @throws NeedRead.
 */
export function keyPage(tx: Txn, bounds: KeyBounds, after: KeyString | undefined, limit: number): KeyPage {
  assert(limit >= 1, "a key page examines at least one key");
  let gte = after === undefined ? bounds.gte : `${after}\x00`;
  if (gte < INTERNAL_KEY_END) gte = INTERNAL_KEY_END;
  if (gte >= bounds.lt) return { found: [], next: undefined };
  const found: KeyFound[] = [];
  const examined = tx.scan({ gte, lt: bounds.lt, reverse: false, limit });
  for (const [key, e] of examined) {
    if (e.expiresAtMs !== undefined && e.expiresAtMs <= tx.nowMs) continue;
    found.push({ key, type: e.type ?? "json", expires: e.expiresAtMs !== undefined });
  }
  return { found, next: examined.length < limit ? undefined : examined[examined.length - 1]?.[0] };
}

/**
 * Deletes every live key of each of `ranges` (FLUSHDB/FLUSHALL) in this call, each with `tx.deleteKey`
 * (O(1) per key whatever it holds), until about `bytesMax` bytes of keys are deleted; whether keys may
 * remain (the caller runs another call). Reads keys in pages that double.
 * @throws NeedRead.
 */
export function deleteRanges(tx: Txn, ranges: readonly KeyBounds[], bytesMax: number): boolean {
  let bytes = 0;
  for (const bounds of ranges) {
    let after: KeyString | undefined;
    // Bounded by the keys of the range: each page moves `after` forward.
    for (let page = PAGE_FIRST; ; page *= 2) {
      const { found, next } = keyPage(tx, bounds, after, page);
      for (const f of found) {
        tx.deleteKey(f.key, "del");
        bytes += DELETE_EFFECT_BYTES + f.key.length;
        if (bytes >= bytesMax) return true;
      }
      if (next === undefined) break;
      after = next;
    }
  }
  return false;
}
