/**
 * The library's sorted sets: `db.zsets` ({@link SortedSets}), Redis 7.0 semantics
 * (redis.io/commands/?group=sorted-set) over the pure operations of src/types/zset-ops.ts and
 * zset-store.ts, and {@link ZsetTxn}, the same methods run synchronously inside one atomic call
 * (`db.zsets.atomic(z => ...)`: several operations, one WAL record, as a sliding-window limiter needs).
 *
 * Shapes: keys as strings (UTF-8) or bytes; members as strings (UTF-8) or bytes, answered as Buffers;
 * scores as numbers (±Infinity allowed, NaN refused); entries as `[member, score]`. Score bounds are a
 * number (inclusive) or Redis's text (`"(1.5"`, `"-inf"`, `"+inf"`); lex bounds Redis's text (`"[a"`,
 * `"(a"`, `"-"`, `"+"`), as a string (its UTF-8 bytes, like members: `"(\xff"` is `( C3 BF`) or as bytes
 * (`Buffer.from("(\xff", "latin1")` is the byte 0xFF); bounds and members compare as bytes (memcmp). Errors: WrongTypeError (FUSEDB_WRONG_TYPE); DataTypeError with Redis's reply
 * (FUSEDB_SYNTAX, FUSEDB_NOT_FLOAT, FUSEDB_NAN, FUSEDB_OUT_OF_RANGE); InvalidArgumentError for arguments
 * of the wrong shape; and what every read or write throws. Costs: src/types/zset-index.ts.
 * Compare-and-set: every write of `db.zsets` takes the options of src/types/write-options.ts last (`ifVersion`
 * of `key`, of `dest` for ZRANGESTORE and the *STORE methods; `ifVersions`; `onCommit`), in ZADD's flags,
 * ZRANGESTORE's and the *STORE methods' options, and throws VersionConflictError (FUSEDB_VERSION_CONFLICT)
 * on a mismatch, changing nothing; `atomic` takes `ifVersions` and `onCommit` (it names no key).
 * {@link ZsetTxn} and the shapes live in src/types/zset-txn.ts.
 */
import type { KeyInput } from "../doc/key.js";
import type { BytesInput, OpRunner } from "./runner.js";
import type { ScanPage } from "./scan-cursor.js";
import type { TypesWriteOptions } from "./write-options.js";
import type { Limit } from "./zset-index.js";
import type * as ops from "./zset-ops.js";
import {
  type ScoreBoundInput,
  type ZAddInput,
  type ZCombineOptions,
  type ZMember,
  type ZRangeOptions,
  ZsetTxn,
} from "./zset-txn.js";

export {
  type ScoreBoundInput,
  type ZAddInput,
  type ZCombineOptions,
  type ZMember,
  type ZRangeOptions,
  ZsetTxn,
};

/**
 * `db.zsets`: each method one call — writes one WAL record acknowledged once durable, reads on the visible
 * state — with {@link ZsetTxn}'s arguments and answers. Idea: ioredis's command methods.
 */
export class SortedSets {
  /** @internal built by the database. */
  constructor(private readonly run: OpRunner) {}

  /**
   * Runs `fn` as one atomic call over the newest state: every sorted-set operation it makes is one WAL
   * record, acknowledged once durable. `fn` must be pure and synchronous: it may run again from the start
   * after a read (src/types/view.ts). Resolves with what `fn` returns. `options`: `ifVersions` and
   * `onCommit` (src/types/write-options.ts; `ifVersion` is refused: the call names no key).
   * @throws what `fn` throws (nothing changed); VersionConflictError; and what every write throws.
   */
  atomic<T>(fn: (z: ZsetTxn) => T, options?: Omit<TypesWriteOptions, "ifVersion">): Promise<T> {
    return this.run.write((tx) => fn(new ZsetTxn(this.run, tx)), this.run.guard(options, undefined));
  }

  /** One write whose `ifVersion` names `primary`. */
  private write<T>(
    primary: KeyInput,
    options: TypesWriteOptions | undefined,
    fn: (z: ZsetTxn) => T,
  ): Promise<T> {
    const guard = this.run.guard(options, this.run.key(primary));
    return this.run.write((tx) => fn(new ZsetTxn(this.run, tx)), guard);
  }

  private read<T>(fn: (z: ZsetTxn) => T): Promise<T> {
    return this.run.read((tx) => fn(new ZsetTxn(this.run, tx)));
  }

  /**
   * ZADD: adds or updates members (NX only adds, XX only updates, GT/LT only raise/lower, CH counts changes);
   * resolves with the added (CH: added + changed) count, or with `incr` the new score (null when blocked).
   */
  zadd(
    key: KeyInput,
    members: ZAddInput,
    flags?: ops.ZAddFlags & TypesWriteOptions & { incr?: false },
  ): Promise<number>;
  zadd(
    key: KeyInput,
    members: ZAddInput,
    flags: ops.ZAddFlags & TypesWriteOptions & { incr: true },
  ): Promise<number | null>;
  zadd(
    key: KeyInput,
    members: ZAddInput,
    flags: ops.ZAddFlags & TypesWriteOptions = {},
  ): Promise<number | null> {
    return this.write(key, flags, (z) => z.zadd(key, members, flags));
  }
  /** ZINCRBY: adds `increment` to the member's score (0 if absent); the new score. @throws FUSEDB_NAN. */
  zincrby(
    key: KeyInput,
    increment: number,
    member: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.write(key, options, (z) => z.zincrby(key, increment, member));
  }
  /** ZREM: removes members; how many existed. The set stops existing when its last member goes. */
  zrem(key: KeyInput, members: readonly BytesInput[], options?: TypesWriteOptions): Promise<number> {
    return this.write(key, options, (z) => z.zrem(key, members));
  }
  /** ZSCORE: the member's score, or undefined. */
  zscore(key: KeyInput, member: BytesInput): Promise<number | undefined> {
    return this.read((z) => z.zscore(key, member));
  }
  /** ZMSCORE: each member's score or undefined. */
  zmscore(key: KeyInput, members: readonly BytesInput[]): Promise<(number | undefined)[]> {
    return this.read((z) => z.zmscore(key, members));
  }
  /** ZCARD: the number of members (0 for a missing key). */
  zcard(key: KeyInput): Promise<number> {
    return this.read((z) => z.zcard(key));
  }
  /** ZCOUNT: members with scores within [min, max]; O(count). */
  zcount(key: KeyInput, min: ScoreBoundInput, max: ScoreBoundInput): Promise<number> {
    return this.read((z) => z.zcount(key, min, max));
  }
  /** ZLEXCOUNT: members within the lex range [min, max]. */
  zlexcount(key: KeyInput, min: BytesInput, max: BytesInput): Promise<number> {
    return this.read((z) => z.zlexcount(key, min, max));
  }
  /**
   * ZRANGE: entries by rank (indexes, negative from the end), by score or by lex; REV, LIMIT. Lex bounds may
   * be bytes (a bound with bytes >= 0x80 that are not UTF-8 can only be given so); ranks and score bounds not.
   */
  zrange(
    key: KeyInput,
    start: number | BytesInput,
    stop: number | BytesInput,
    options?: ZRangeOptions,
  ): Promise<ZMember[]> {
    return this.read((z) => z.zrange(key, start, stop, options));
  }
  /** ZRANGEBYSCORE: entries with scores in [min, max], ascending; LIMIT offset count. */
  zrangebyscore(
    key: KeyInput,
    min: ScoreBoundInput,
    max: ScoreBoundInput,
    limit?: Limit,
  ): Promise<ZMember[]> {
    return this.read((z) => z.zrangebyscore(key, min, max, limit));
  }
  /** ZREVRANGEBYSCORE: entries with scores in [min, max], descending (max given first). */
  zrevrangebyscore(
    key: KeyInput,
    max: ScoreBoundInput,
    min: ScoreBoundInput,
    limit?: Limit,
  ): Promise<ZMember[]> {
    return this.read((z) => z.zrevrangebyscore(key, max, min, limit));
  }
  /** ZRANGEBYLEX: members in the lex range [min, max] (all scores equal, as Redis requires). */
  zrangebylex(key: KeyInput, min: BytesInput, max: BytesInput, limit?: Limit): Promise<ZMember[]> {
    return this.read((z) => z.zrangebylex(key, min, max, limit));
  }
  /** ZREVRANGEBYLEX: the lex range descending (max given first). */
  zrevrangebylex(key: KeyInput, max: BytesInput, min: BytesInput, limit?: Limit): Promise<ZMember[]> {
    return this.read((z) => z.zrevrangebylex(key, max, min, limit));
  }
  /** ZREVRANGE: entries by rank in descending order. */
  zrevrange(key: KeyInput, start: number, stop: number): Promise<ZMember[]> {
    return this.read((z) => z.zrevrange(key, start, stop));
  }
  /** ZRANGESTORE: stores ZRANGE's selection of `src` at `dest` (replaced); its size. `ifVersion`: `dest`'s. */
  zrangestore(
    dest: KeyInput,
    src: KeyInput,
    start: number | BytesInput,
    stop: number | BytesInput,
    options?: ZRangeOptions & TypesWriteOptions,
  ): Promise<number> {
    return this.write(dest, options, (z) => z.zrangestore(dest, src, start, stop, options));
  }
  /** ZRANK: the member's 0-based rank by ascending score, or undefined; O(rank). */
  zrank(key: KeyInput, member: BytesInput): Promise<number | undefined> {
    return this.read((z) => z.zrank(key, member));
  }
  /** ZREVRANK: the member's rank by descending score, or undefined; O(rank). */
  zrevrank(key: KeyInput, member: BytesInput): Promise<number | undefined> {
    return this.read((z) => z.zrevrank(key, member));
  }
  /** ZREMRANGEBYRANK: removes the members at ranks start..stop; how many. */
  zremrangebyrank(key: KeyInput, start: number, stop: number, options?: TypesWriteOptions): Promise<number> {
    return this.write(key, options, (z) => z.zremrangebyrank(key, start, stop));
  }
  /** ZREMRANGEBYSCORE: removes the members with scores in [min, max]; how many. */
  zremrangebyscore(
    key: KeyInput,
    min: ScoreBoundInput,
    max: ScoreBoundInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.write(key, options, (z) => z.zremrangebyscore(key, min, max));
  }
  /** ZREMRANGEBYLEX: removes the members in the lex range; how many. */
  zremrangebylex(
    key: KeyInput,
    min: BytesInput,
    max: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.write(key, options, (z) => z.zremrangebylex(key, min, max));
  }
  /** ZPOPMIN: removes and returns up to `count` (default 1) lowest entries. @throws FUSEDB_OUT_OF_RANGE. */
  zpopmin(key: KeyInput, count?: number, options?: TypesWriteOptions): Promise<ZMember[]> {
    return this.write(key, options, (z) => z.zpopmin(key, count));
  }
  /** ZPOPMAX: removes and returns up to `count` (default 1) highest entries. @throws FUSEDB_OUT_OF_RANGE. */
  zpopmax(key: KeyInput, count?: number, options?: TypesWriteOptions): Promise<ZMember[]> {
    return this.write(key, options, (z) => z.zpopmax(key, count));
  }
  /** ZRANDMEMBER: one member (no count) or entries by Redis's count rule; seeded, deterministic. */
  zrandmember(key: KeyInput, count?: number): Promise<ZMember[] | ZMember | undefined> {
    return this.read((z) => z.zrandmember(key, count));
  }
  /**
   * ZUNIONSTORE: stores the union (WEIGHTS, AGGREGATE) at `dest` (replaced in O(1)); its size.
   * `ifVersion`: `dest`'s.
   */
  zunionstore(
    dest: KeyInput,
    keys: readonly KeyInput[],
    options?: ZCombineOptions & TypesWriteOptions,
  ): Promise<number> {
    return this.write(dest, options, (z) => z.zunionstore(dest, keys, options));
  }
  /** ZINTERSTORE: stores the intersection at `dest` (replaced in O(1)); its size. `ifVersion`: `dest`'s. */
  zinterstore(
    dest: KeyInput,
    keys: readonly KeyInput[],
    options?: ZCombineOptions & TypesWriteOptions,
  ): Promise<number> {
    return this.write(dest, options, (z) => z.zinterstore(dest, keys, options));
  }
  /**
   * ZDIFFSTORE: stores the members of the first key in none of the others at `dest`; its size.
   * `ifVersion`: `dest`'s.
   */
  zdiffstore(dest: KeyInput, keys: readonly KeyInput[], options?: TypesWriteOptions): Promise<number> {
    return this.write(dest, options, (z) => z.zdiffstore(dest, keys));
  }
  /** ZUNION: the union's entries (WEIGHTS, AGGREGATE), in sorted-set order. */
  zunion(keys: readonly KeyInput[], options?: ZCombineOptions): Promise<ZMember[]> {
    return this.read((z) => z.zunion(keys, options));
  }
  /** ZINTER: the intersection's entries, in sorted-set order. */
  zinter(keys: readonly KeyInput[], options?: ZCombineOptions): Promise<ZMember[]> {
    return this.read((z) => z.zinter(keys, options));
  }
  /** ZDIFF: the first key's entries found in none of the others. */
  zdiff(keys: readonly KeyInput[]): Promise<ZMember[]> {
    return this.read((z) => z.zdiff(keys));
  }
  /** ZSCAN: a page of entries after `cursor` ("0" starts and ends); every member exactly once. */
  zscan(
    key: KeyInput,
    cursor: string,
    options?: { match?: BytesInput; count?: number },
  ): Promise<ScanPage<ZMember>> {
    return this.read((z) => z.zscan(key, cursor, options));
  }
}
