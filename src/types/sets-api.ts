/**
 * The library's set operations: `db.sets` (src/types/sets.ts holds the operations). Keys as strings (UTF-8)
 * or bytes; members as strings (UTF-8) or bytes; answers as Buffers in bytewise member order. Every write
 * is one WAL record, acknowledged once durable; reads see exactly the durable writes.
 * Errors: WrongTypeError (FUSEDB_WRONG_TYPE) on a key of another type; InvalidArgumentError for bad
 * arguments (DataTypeError with Redis's reply text where Redis defines one); and what every write throws.
 * Every write takes the compare-and-set options (`ifVersion` of `key`, of `source` for SMOVE, of
 * `destination` for the *STORE methods; `ifVersions`; `onCommit`: src/types/write-options.ts) last, and then
 * throws VersionConflictError (FUSEDB_VERSION_CONFLICT) on a mismatch, changing nothing.
 * Idea: ioredis's command methods, named after Redis's commands.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { bytesOf } from "./encoding.js";
import type { BytesInput, OpRunner } from "./runner.js";
import { type ScanPage, scanCursor } from "./scan-cursor.js";
import {
  checkLimit,
  isMember,
  members,
  membersOf,
  randomMembers,
  sadd,
  sdiff,
  sinter,
  smove,
  spop,
  srem,
  storeSet,
  sunion,
} from "./sets.js";
import type { TypesWriteOptions } from "./write-options.js";

/** A count argument of SPOP/SRANDMEMBER: a safe integer. @throws InvalidArgumentError. */
function countOf(count: unknown): number {
  if (typeof count !== "number" || !Number.isSafeInteger(count)) {
    throw new DataTypeError("FUSEDB_NOT_INTEGER", "ERR value is not an integer or out of range");
  }
  return count;
}

/** See the module comment. */
export class Sets {
  /** @internal built by the database. */
  constructor(private readonly run: OpRunner) {}

  /** SADD: adds members; resolves with how many were new. */
  async sadd(key: KeyInput, items: readonly BytesInput[], options?: TypesWriteOptions): Promise<number> {
    const k = this.run.key(key);
    const ms = this.list(items, "sadd");
    return this.run.write((tx) => sadd(tx, k, ms), this.run.guard(options, k));
  }

  /** SREM: removes members; how many existed. */
  async srem(key: KeyInput, items: readonly BytesInput[], options?: TypesWriteOptions): Promise<number> {
    const k = this.run.key(key);
    const ms = this.list(items, "srem");
    return this.run.write((tx) => srem(tx, k, ms), this.run.guard(options, k));
  }

  /** SMEMBERS: every member, bytewise order. */
  async smembers(key: KeyInput): Promise<Buffer[]> {
    const k = this.run.key(key);
    return this.run.read((tx) => members(tx, k).map(bytesOf));
  }

  /** SISMEMBER. */
  async sismember(key: KeyInput, member: BytesInput): Promise<boolean> {
    const k = this.run.key(key);
    const m = this.run.bytes(member, "member");
    return this.run.read((tx) => isMember(tx, k, m));
  }

  /** SMISMEMBER: membership of each. */
  async smismember(key: KeyInput, items: readonly BytesInput[]): Promise<boolean[]> {
    const k = this.run.key(key);
    const ms = this.list(items, "smismember");
    return this.run.read((tx) => ms.map((m) => isMember(tx, k, m)));
  }

  /** SCARD: the number of members (0 for a missing key). */
  async scard(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => tx.collection(k, "set")?.meta.n ?? 0);
  }

  /**
   * SPOP: removes random members. Without `count`: one member or undefined; with `count` (≥ 0): up to that
   * many distinct members. @throws DataTypeError for a negative count.
   */
  spop(key: KeyInput, count?: undefined, options?: TypesWriteOptions): Promise<Buffer | undefined>;
  spop(key: KeyInput, count: number, options?: TypesWriteOptions): Promise<Buffer[]>;
  async spop(
    key: KeyInput,
    count?: number,
    options?: TypesWriteOptions,
  ): Promise<Buffer | undefined | Buffer[]> {
    const k = this.run.key(key);
    const n = count === undefined ? 1 : countOf(count);
    if (n < 0)
      throw new DataTypeError("FUSEDB_INDEX_OUT_OF_RANGE", "ERR value is out of range, must be positive");
    return this.run.write(
      (tx) => {
        const popped = spop(tx, k, n).map(bytesOf);
        return count === undefined ? popped[0] : popped;
      },
      this.run.guard(options, k),
    );
  }

  /**
   * SRANDMEMBER: random members without removing them. Without `count`: one or undefined; a positive count:
   * up to that many distinct; a negative count: exactly |count| picks that may repeat.
   */
  srandmember(key: KeyInput): Promise<Buffer | undefined>;
  srandmember(key: KeyInput, count: number): Promise<Buffer[]>;
  async srandmember(key: KeyInput, count?: number): Promise<Buffer | undefined | Buffer[]> {
    const k = this.run.key(key);
    const n = count === undefined ? 1 : countOf(count);
    return this.run.read((tx) => {
      const picked = randomMembers(tx, k, Math.abs(n), n < 0).map(bytesOf);
      return count === undefined ? picked[0] : picked;
    });
  }

  /** SMOVE: moves a member between sets (one atomic write); whether it was moved. `ifVersion`: the source's. */
  async smove(
    source: KeyInput,
    destination: KeyInput,
    member: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<boolean> {
    const src = this.run.key(source);
    const dst = this.run.key(destination);
    const m = this.run.bytes(member, "member");
    return this.run.write((tx) => smove(tx, src, dst, m), this.run.guard(options, src));
  }

  /** SINTER: members in every set (a missing key is empty). */
  async sinter(keys: readonly KeyInput[]): Promise<Buffer[]> {
    const ks = this.keys(keys);
    return this.run.read((tx) => sinter(tx, ks).map(bytesOf));
  }

  /** SUNION: members in any set. */
  async sunion(keys: readonly KeyInput[]): Promise<Buffer[]> {
    const ks = this.keys(keys);
    return this.run.read((tx) => sunion(tx, ks).map(bytesOf));
  }

  /** SDIFF: members of the first set in none of the others. */
  async sdiff(keys: readonly KeyInput[]): Promise<Buffer[]> {
    const ks = this.keys(keys);
    return this.run.read((tx) => sdiff(tx, ks).map(bytesOf));
  }

  /** SINTERSTORE: stores the intersection at `destination` (one atomic write); its size. `ifVersion`: its. */
  async sinterstore(
    destination: KeyInput,
    keys: readonly KeyInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.store(destination, keys, "sinterstore", sinter, options);
  }

  /** SUNIONSTORE (`ifVersion`: the destination's). */
  async sunionstore(
    destination: KeyInput,
    keys: readonly KeyInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.store(destination, keys, "sunionstore", sunion, options);
  }

  /** SDIFFSTORE (`ifVersion`: the destination's). */
  async sdiffstore(
    destination: KeyInput,
    keys: readonly KeyInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.store(destination, keys, "sdiffstore", sdiff, options);
  }

  /** SINTERCARD: the intersection's size, counting stops at `limit` (0: no limit). */
  async sintercard(keys: readonly KeyInput[], limit = 0): Promise<number> {
    const ks = this.keys(keys);
    const l = checkLimit(limit);
    return this.run.read((tx) => sinter(tx, ks, l).length);
  }

  /** SSCAN: a page of members after `cursor` (see src/types/scan-cursor.ts). */
  sscan(
    key: KeyInput,
    cursor: string,
    options: { match?: BytesInput; count?: number } = {},
  ): Promise<ScanPage<Buffer>> {
    const k = this.run.key(key);
    return this.run.read((tx) => {
      const s = tx.collection(k, "set");
      return scanCursor(tx, s === undefined ? undefined : membersOf(tx, k, s), cursor, options, (m) =>
        bytesOf(m),
      );
    });
  }

  private store(
    destination: KeyInput,
    keys: readonly KeyInput[],
    op: string,
    fn: (tx: Parameters<typeof sinter>[0], keys: readonly KeyString[]) => string[],
    options: TypesWriteOptions | undefined,
  ): Promise<number> {
    const dst = this.run.key(destination);
    const ks = this.keys(keys);
    return this.run.write((tx) => storeSet(tx, dst, fn(tx, ks), op), this.run.guard(options, dst));
  }

  private keys(keys: unknown): KeyString[] {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments (no keys)");
    }
    return keys.map((k) => this.run.key(k));
  }

  private list(items: unknown, command: string): string[] {
    if (!Array.isArray(items) || items.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", `ERR wrong number of arguments for '${command}' command`);
    }
    return items.map((i) => this.run.bytes(i, "member"));
  }
}
