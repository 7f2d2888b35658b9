/**
 * The library's generic key operations over every kind of key (JSON documents, strings, hashes, lists,
 * sets, sorted sets): `db.keys`. The operations themselves are src/types/key-ops.ts (shared with the RESP
 * server); this class validates the caller's arguments and runs them, a write as one WAL record
 * acknowledged once durable, a read on the visible state.
 *
 * Key counts: the engine keeps no count of keys, so {@link Keys.dbsize} scans the user keys, O(keys), in
 * bounded pages (memory bounded by one page); concurrent writes may or may not be counted.
 */
import { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { userKeyBytes } from "../doc/key.js";
import { InvalidArgumentError } from "../errors.js";
import { globMatch } from "../util/glob.js";
import {
  ALL_KEYS,
  copy,
  del,
  type ExpireCondition,
  exists,
  expireAt,
  expireTime,
  expiryTimeMs,
  type KeyBounds,
  type KeyFound,
  type KeyType,
  keyPage,
  persist,
  rename,
  ttl,
  typeOf,
} from "./key-ops.js";
import type { BytesInput, OpRunner } from "./runner.js";
import { cursorAfter, cursorSub, type ScanPage, scanCount } from "./scan-cursor.js";
import type { Txn } from "./txn.js";
import type { TypesWriteOptions } from "./write-options.js";

/** Keys a count reads per call (bounds the memory of {@link Keys.dbsize}). */
export const COUNT_PAGE_KEYS = 10_000;

const CONDITIONS: ReadonlySet<string> = new Set(["NX", "XX", "GT", "LT"]);
const KEY_TYPES: ReadonlySet<string> = new Set(["string", "hash", "list", "set", "zset", "json"]);

/** Options of {@link Keys.scan}. */
export interface KeyScanOptions {
  /** A Redis glob (`*`, `?`, `[a-z]`, `\x`) the key's bytes must match. */
  match?: BytesInput;
  /** Only keys holding this type ("json" for documents). */
  type?: Exclude<KeyType, "none">;
  /** Keys examined per page (default 10, at most 100,000). */
  count?: number;
}

/**
 * One page of a key scan inside `bounds` (tree keys) after the opaque `cursor`; `userKey` maps a tree key
 * to the bytes `match` is matched against and the page answers. Shared with the RESP server's SCAN.
 * @throws DataTypeError ("ERR invalid cursor"); NeedRead.
 */
export function scanKeysPage(
  tx: Txn,
  bounds: KeyBounds,
  cursor: string,
  count: number,
  filter: { match?: Buffer; type?: string },
  userKey: (found: KeyFound) => Buffer,
): ScanPage<Buffer> {
  const after = cursorSub(cursor);
  const { found, next } = keyPage(tx, bounds, after, count);
  const items: Buffer[] = [];
  for (const f of found) {
    if (filter.type !== undefined && f.type !== filter.type) continue;
    const key = userKey(f);
    if (filter.match !== undefined && !globMatch(filter.match, key)) continue;
    items.push(key);
  }
  return { cursor: next === undefined ? "0" : cursorAfter(next), items };
}

/**
 * Generic key operations: `db.keys`. Keys as strings (UTF-8) or bytes. Errors: InvalidArgumentError for bad
 * arguments; DataTypeError with Redis's reply text (FUSEDB_NO_SUCH_KEY for RENAME of a missing key,
 * FUSEDB_OVERFLOW for an expire time out of range); and what every write throws. Every write takes the
 * compare-and-set options (`ifVersion` of `key`, of `key` (the source) for RENAME, RENAMENX and COPY, of the
 * first key for DEL and UNLINK; `ifVersions`; `onCommit`: src/types/write-options.ts) last, and then throws
 * VersionConflictError (FUSEDB_VERSION_CONFLICT) on a mismatch, changing nothing.
 * Idea: ioredis's command methods, named after Redis's commands.
 */
export class Keys {
  /** @internal built by the database. */
  constructor(private readonly run: OpRunner) {}

  /**
   * DEL: deletes the keys, whatever they hold (O(1) each); how many existed (a repeat counts once).
   * `ifVersion`: the first key's.
   */
  del(keys: readonly KeyInput[], options?: TypesWriteOptions): Promise<number> {
    const ks = this.keys(keys);
    return this.run.write((tx) => del(tx, ks), this.run.guard(options, ks[0]));
  }

  /** UNLINK: as DEL (deletes are O(1) here, never a scan of a collection). `ifVersion`: the first key's. */
  unlink(keys: readonly KeyInput[], options?: TypesWriteOptions): Promise<number> {
    const ks = this.keys(keys);
    return this.run.write((tx) => del(tx, ks, "unlink"), this.run.guard(options, ks[0]));
  }

  /** EXISTS: how many of the keys exist, a key named twice counting twice. */
  exists(keys: readonly KeyInput[]): Promise<number> {
    const ks = this.keys(keys);
    return this.run.read((tx) => exists(tx, ks));
  }

  /** TYPE: "none", "json" (a document), "string", "hash", "list", "set" or "zset". */
  type(key: KeyInput): Promise<KeyType> {
    const k = this.run.key(key);
    return this.run.read((tx) => typeOf(tx, k));
  }

  /**
   * RENAME: moves the value and its TTL to `destination`, replacing what it held. A collection's elements
   * are copied (O(n), one record). `ifVersion`: `key`'s (the source). @throws DataTypeError
   * FUSEDB_NO_SUCH_KEY if `key` does not exist.
   */
  async rename(key: KeyInput, destination: KeyInput, options?: TypesWriteOptions): Promise<void> {
    const [src, dst] = [this.run.key(key), this.run.key(destination)];
    await this.run.write((tx) => rename(tx, src, dst, false), this.run.guard(options, src));
  }

  /** RENAMENX: RENAME only if `destination` does not exist; whether it was renamed. `ifVersion`: `key`'s. */
  async renamenx(key: KeyInput, destination: KeyInput, options?: TypesWriteOptions): Promise<boolean> {
    const [src, dst] = [this.run.key(key), this.run.key(destination)];
    return (await this.run.write((tx) => rename(tx, src, dst, true), this.run.guard(options, src))) === 1;
  }

  /**
   * COPY: copies the value and its TTL to `destination` (with `replace`, over an existing key); whether it
   * was copied. `ifVersion`: `key`'s (the source; `ifVersions` may name `destination`).
   * @throws DataTypeError if both keys are the same.
   */
  async copy(
    key: KeyInput,
    destination: KeyInput,
    options: { replace?: boolean } & TypesWriteOptions = {},
  ): Promise<boolean> {
    const [src, dst] = [this.run.key(key), this.run.key(destination)];
    const replace = options.replace === true;
    return (await this.run.write((tx) => copy(tx, src, dst, replace), this.run.guard(options, src))) === 1;
  }

  /**
   * EXPIRE: the key expires `seconds` from now (a time at or before now deletes it), if `condition` allows
   * (NX: no TTL yet; XX: has one; GT: later than its TTL; LT: earlier, no TTL counting as infinite);
   * whether it was set.
   */
  expire(
    key: KeyInput,
    seconds: number,
    condition?: ExpireCondition,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    return this.expiry(key, seconds, "ex", "expire", condition, options);
  }

  /** PEXPIRE: as EXPIRE, in milliseconds. */
  pexpire(
    key: KeyInput,
    ms: number,
    condition?: ExpireCondition,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    return this.expiry(key, ms, "px", "pexpire", condition, options);
  }

  /** EXPIREAT: as EXPIRE, at a Unix time in seconds (the engine Clock's). */
  expireat(
    key: KeyInput,
    unixSeconds: number,
    condition?: ExpireCondition,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    return this.expiry(key, unixSeconds, "exat", "expireat", condition, options);
  }

  /** PEXPIREAT: as EXPIRE, at a Unix time in milliseconds. */
  pexpireat(
    key: KeyInput,
    unixMs: number,
    condition?: ExpireCondition,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    return this.expiry(key, unixMs, "pxat", "pexpireat", condition, options);
  }

  /** TTL: seconds left (rounded), -1 without expiry, -2 if the key does not exist. */
  ttl(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => ttl(tx, k, false));
  }

  /** PTTL: milliseconds left, -1 without expiry, -2 if the key does not exist. */
  pttl(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => ttl(tx, k, true));
  }

  /** EXPIRETIME: the expiry as a Unix time in seconds, -1 without expiry, -2 if the key does not exist. */
  expiretime(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => expireTime(tx, k, false));
  }

  /** PEXPIRETIME: as EXPIRETIME, in milliseconds. */
  pexpiretime(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => expireTime(tx, k, true));
  }

  /** PERSIST: removes the key's expiry; whether it had one. */
  async persist(key: KeyInput, options?: TypesWriteOptions): Promise<boolean> {
    const k = this.run.key(key);
    return (await this.run.write((tx) => persist(tx, k), this.run.guard(options, k))) === 1;
  }

  /** DBSIZE: the number of keys. O(keys): see the module comment. */
  async dbsize(): Promise<number> {
    return countKeys(this.run, ALL_KEYS);
  }

  /**
   * SCAN: a page of keys after `cursor` ("0" to start; the answer's cursor is "0" when done), about `count`
   * keys examined, those matching `match` and `type` returned. The cursor is the last key examined, so a
   * scan resumes after it however leaves split or keys come and go: every key present for the whole scan
   * is returned exactly once (Redis promises at least once).
   */
  scan(cursor: string, options: KeyScanOptions = {}): Promise<ScanPage<Buffer>> {
    const count = scanCount(options.count);
    const match =
      options.match === undefined ? undefined : Buffer.from(this.run.bytes(options.match, "match"), "latin1");
    const type = options.type;
    if (type !== undefined && !KEY_TYPES.has(type)) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        `type must be one of ${[...KEY_TYPES].join(", ")}`,
      );
    }
    return this.run.read((tx) =>
      scanKeysPage(tx, ALL_KEYS, cursor, count, { match, type }, (f) => userKeyBytes(f.key)),
    );
  }

  private expiry(
    key: KeyInput,
    amount: number,
    unit: "ex" | "px" | "exat" | "pxat",
    command: string,
    condition: ExpireCondition | undefined,
    options: TypesWriteOptions | undefined,
  ): Promise<boolean> {
    const k = this.run.key(key);
    if (condition !== undefined && !CONDITIONS.has(condition)) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "condition must be NX, XX, GT or LT");
    }
    if (typeof amount !== "number") {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `${command} time must be a number`);
    }
    const write = this.run.write(
      (tx) =>
        expireAt(
          tx,
          k,
          expiryTimeMs(amount, unit, tx.nowMs, command),
          condition === undefined ? [] : [condition],
        ),
      this.run.guard(options, k),
    );
    return write.then((r) => r === 1);
  }

  private keys(keys: unknown): KeyString[] {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "keys must be a non-empty array");
    }
    return keys.map((k) => this.run.key(k));
  }
}

/**
 * The live keys inside `bounds` and how many of them expire: O(keys), read in calls of
 * {@link COUNT_PAGE_KEYS} keys each (see the module comment).
 */
export async function countKeys(run: OpRunner, bounds: KeyBounds): Promise<number> {
  return (await countKeysAndExpires(run, bounds)).keys;
}

/** {@link countKeys}, with the number of keys that have an expiry. */
export async function countKeysAndExpires(
  run: OpRunner,
  bounds: KeyBounds,
): Promise<{ keys: number; expires: number }> {
  let keys = 0;
  let expires = 0;
  let after: KeyString | undefined;
  // Bounded by the keys inside `bounds`: every page moves `after` forward.
  for (;;) {
    const from = after;
    const page = await run.read((tx) => keyPage(tx, bounds, from, COUNT_PAGE_KEYS));
    keys += page.found.length;
    for (const f of page.found) if (f.expires) expires++;
    if (page.next === undefined) return { keys, expires };
    after = page.next;
  }
}
