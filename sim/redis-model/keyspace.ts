/**
 * The keyspace of the Redis reference model: every key holds one typed value and an optional absolute expiry.
 * Element bytes (hash fields and values, list elements, set and zset members) are "byte strings": JS strings
 * whose code units are all below 256, one per byte, so `<` on them is Redis's memcmp order. String values
 * are Uint8Array. Expiry follows fusedb's rule (sim/model.ts): a key is gone once `nowMs >= expiresAtMs`.
 */

import { wrongType } from "./errors.js";

/** One byte per code unit (0..255); see the module comment. */
export type ByteString = string;

/** The six Redis 7.0 types the model holds (JSON documents stay in sim/model.ts). */
export type RedisValue =
  | { type: "string"; bytes: Uint8Array }
  | { type: "hash"; fields: Map<ByteString, ByteString> }
  | { type: "list"; items: ByteString[] }
  | { type: "set"; members: Set<ByteString> }
  | { type: "zset"; scores: Map<ByteString, number> };

/** The name TYPE replies. */
export type RedisType = RedisValue["type"];

/** The value of type `T`. */
export type ValueOf<T extends RedisType> = Extract<RedisValue, { type: T }>;

/** What one key holds. */
export interface KeyEntry {
  value: RedisValue;
  /** Absolute virtual ms at which the key disappears; absent: no TTL. */
  expiresAtMs?: number;
}

/** A source of seeded randomness (sim/disk/prng.ts `Prng` fits): uniform integer in [0, maxExclusive). */
export interface RandomSource {
  int(maxExclusive: number): number;
}

/** Compares byte strings as memcmp would (shorter prefix first). */
export function compareBytes(a: ByteString, b: ByteString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** All keys and their values; expired keys are dropped lazily on access, as Redis does. */
export class RedisKeyspace {
  private readonly entries = new Map<string, KeyEntry>();

  /** The live entry of `key` at `nowMs`, dropping it if expired. */
  entry(key: string, nowMs: number): KeyEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAtMs !== undefined && nowMs >= e.expiresAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The live value of `key` if it has type `type`; undefined if absent. Throws FUSEDB_WRONG_TYPE otherwise. */
  get<T extends RedisType>(key: string, type: T, nowMs: number): ValueOf<T> | undefined {
    const e = this.entry(key, nowMs);
    if (e === undefined) return undefined;
    if (e.value.type !== type) wrongType();
    return e.value as ValueOf<T>;
  }

  /** Like {@link get} but creates an empty `type` value (not yet stored if left empty: call {@link settle}). */
  getOrCreate<T extends RedisType>(key: string, type: T, nowMs: number, fresh: () => ValueOf<T>): ValueOf<T> {
    const v = this.get(key, type, nowMs);
    if (v !== undefined) return v;
    const created = fresh();
    this.entries.set(key, { value: created });
    return created;
  }

  /** Stores `value` at `key`, replacing any value; the TTL is cleared unless `keepTtl`. */
  put(key: string, value: RedisValue, nowMs: number, keepTtl = false): void {
    const old = keepTtl ? this.entry(key, nowMs) : undefined;
    const e: KeyEntry = { value };
    if (old?.expiresAtMs !== undefined) e.expiresAtMs = old.expiresAtMs;
    this.entries.set(key, e);
  }

  /** Stores a whole entry (value and expiry) as is. */
  putEntry(key: string, e: KeyEntry): void {
    this.entries.set(key, e);
  }

  /** Removes `key`; whether a live key was removed. */
  delete(key: string, nowMs: number): boolean {
    const live = this.entry(key, nowMs) !== undefined;
    this.entries.delete(key);
    return live;
  }

  /** Deletes `key` if it holds an empty collection: a collection whose last element goes stops existing. */
  settle(key: string): void {
    const v = this.entries.get(key)?.value;
    if (v === undefined || v.type === "string") return;
    const size =
      v.type === "hash"
        ? v.fields.size
        : v.type === "list"
          ? v.items.length
          : v.type === "set"
            ? v.members.size
            : v.scores.size;
    if (size === 0) this.entries.delete(key);
  }

  /** Every live key at `nowMs`, sorted (Redis's order is unspecified; the model's is fixed). */
  keys(nowMs: number): string[] {
    return [...this.entries.keys()].filter((k) => this.entry(k, nowMs) !== undefined).sort(compareBytes);
  }
}
