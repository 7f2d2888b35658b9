/**
 * The library's sorted sets: `db.zsets` ({@link SortedSets}), Redis 7.0 semantics
 * (redis.io/commands/?group=sorted-set) over the pure operations of src/types/zset-ops.ts and
 * zset-store.ts, and {@link ZsetTxn}, the same methods run synchronously inside one atomic call
 * (`db.zsets.atomic(z => ...)`: several operations, one WAL record, as a sliding-window limiter needs).
 *
 * Shapes: keys as strings (UTF-8) or bytes; members as strings (UTF-8) or bytes, answered as Buffers;
 * scores as numbers (±Infinity allowed, NaN refused); entries as `[member, score]`. Score bounds are a
 * number (inclusive) or Redis's text (`"(1.5"`, `"-inf"`, `"+inf"`); lex bounds Redis's text (`"[a"`,
 * `"(a"`, `"-"`, `"+"`). Errors: WrongTypeError (FUSEDB_WRONG_TYPE); DataTypeError with Redis's reply
 * (FUSEDB_SYNTAX, FUSEDB_NOT_FLOAT, FUSEDB_NAN, FUSEDB_OUT_OF_RANGE); InvalidArgumentError for arguments
 * of the wrong shape; and what every read or write throws. Costs: src/types/zset-index.ts.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError, InvalidArgumentError } from "../errors.js";
import { bytesOf } from "./encoding.js";
import type { BytesInput, TypesRunner } from "./runner.js";
import type { ScanPage } from "./scan-cursor.js";
import { type LexBound, parseLexBound, parseScoreBound, type ScoreBound } from "./score.js";
import type { Txn } from "./txn.js";
import type { Limit, ZEntry } from "./zset-index.js";
import * as ops from "./zset-ops.js";
import { type CombineOptions, zcombine, zrangestore, zstore } from "./zset-store.js";

/** A member with its score, as answered. */
export type ZMember = [member: Buffer, score: number];
/** A score bound: a number (inclusive) or Redis's text (`"(1.5"`, `"-inf"`). */
export type ScoreBoundInput = number | string;
/** ZRANGE's options: BYSCORE/BYLEX (default by rank), REV, LIMIT. */
export interface ZRangeOptions {
  by?: "rank" | "score" | "lex";
  rev?: boolean;
  limit?: { offset: number; count: number };
}
/** WEIGHTS and AGGREGATE of ZUNION/ZINTER (and their *STORE forms). */
export interface ZCombineOptions {
  weights?: readonly number[];
  aggregate?: "sum" | "min" | "max";
}

const entry = ([m, s]: ZEntry): ZMember => [bytesOf(m), s];

/** The sorted-set operations on one call's state; built by {@link SortedSets.atomic}. Synchronous. */
export class ZsetTxn {
  /** @internal */
  constructor(
    private readonly run: TypesRunner,
    private readonly tx: Txn,
  ) {}

  /** ZADD: see {@link SortedSets.zadd}. */
  zadd(key: KeyInput, members: ZAddInput, flags: ops.ZAddFlags = {}): number | null {
    return ops.zadd(this.tx, this.k(key), this.pairs(members), flags);
  }
  zincrby(key: KeyInput, increment: number, member: BytesInput): number {
    return ops.zincrby(this.tx, this.k(key), this.score(increment), this.m(member));
  }
  zrem(key: KeyInput, members: readonly BytesInput[]): number {
    return ops.zrem(this.tx, this.k(key), this.ms(members));
  }
  zscore(key: KeyInput, member: BytesInput): number | undefined {
    return ops.zscore(this.tx, this.k(key), this.m(member));
  }
  zmscore(key: KeyInput, members: readonly BytesInput[]): (number | undefined)[] {
    const k = this.k(key);
    return this.ms(members).map((m) => ops.zscore(this.tx, k, m));
  }
  zcard(key: KeyInput): number {
    return ops.zcard(this.tx, this.k(key));
  }
  zcount(key: KeyInput, min: ScoreBoundInput, max: ScoreBoundInput): number {
    return ops.zcount(this.tx, this.k(key), scoreBound(min), scoreBound(max));
  }
  zlexcount(key: KeyInput, min: BytesInput, max: BytesInput): number {
    return ops.zlexcount(this.tx, this.k(key), this.lex(min), this.lex(max));
  }
  /** ZRANGE: by rank (indexes), score or lex; with `rev` the bounds are given high first, as Redis takes them. */
  zrange(key: KeyInput, start: unknown, stop: unknown, options: ZRangeOptions = {}): ZMember[] {
    return ops.zrange(this.tx, this.k(key), this.query(start, stop, options)).map(entry);
  }
  zrangebyscore(key: KeyInput, min: ScoreBoundInput, max: ScoreBoundInput, limit?: Limit): ZMember[] {
    return this.zrange(key, min, max, { by: "score", ...(limit ? { limit } : {}) });
  }
  zrevrangebyscore(key: KeyInput, max: ScoreBoundInput, min: ScoreBoundInput, limit?: Limit): ZMember[] {
    return this.zrange(key, max, min, { by: "score", rev: true, ...(limit ? { limit } : {}) });
  }
  zrangebylex(key: KeyInput, min: BytesInput, max: BytesInput, limit?: Limit): ZMember[] {
    return this.zrange(key, min, max, { by: "lex", ...(limit ? { limit } : {}) });
  }
  zrevrangebylex(key: KeyInput, max: BytesInput, min: BytesInput, limit?: Limit): ZMember[] {
    return this.zrange(key, max, min, { by: "lex", rev: true, ...(limit ? { limit } : {}) });
  }
  zrevrange(key: KeyInput, start: number, stop: number): ZMember[] {
    return this.zrange(key, start, stop, { rev: true });
  }
  zrangestore(
    dest: KeyInput,
    src: KeyInput,
    start: unknown,
    stop: unknown,
    options: ZRangeOptions = {},
  ): number {
    return zrangestore(this.tx, this.k(dest), this.k(src), this.query(start, stop, options));
  }
  zrank(key: KeyInput, member: BytesInput): number | undefined {
    return ops.zrank(this.tx, this.k(key), this.m(member), false);
  }
  zrevrank(key: KeyInput, member: BytesInput): number | undefined {
    return ops.zrank(this.tx, this.k(key), this.m(member), true);
  }
  zremrangebyrank(key: KeyInput, start: number, stop: number): number {
    return ops.zremrange(this.tx, this.k(key), { by: "rank", start: rank(start), stop: rank(stop) });
  }
  zremrangebyscore(key: KeyInput, min: ScoreBoundInput, max: ScoreBoundInput): number {
    return ops.zremrange(this.tx, this.k(key), { by: "score", min: scoreBound(min), max: scoreBound(max) });
  }
  zremrangebylex(key: KeyInput, min: BytesInput, max: BytesInput): number {
    return ops.zremrange(this.tx, this.k(key), { by: "lex", min: this.lex(min), max: this.lex(max) });
  }
  zpopmin(key: KeyInput, count?: number): ZMember[] {
    return ops.zpop(this.tx, this.k(key), "min", count === undefined ? undefined : rank(count)).map(entry);
  }
  zpopmax(key: KeyInput, count?: number): ZMember[] {
    return ops.zpop(this.tx, this.k(key), "max", count === undefined ? undefined : rank(count)).map(entry);
  }
  /** ZRANDMEMBER: without `count` one member or undefined; with it, entries (see zset-ops.ts). */
  zrandmember(key: KeyInput, count?: number): ZMember[] | ZMember | undefined {
    const r = ops.zrandmember(this.tx, this.k(key), count === undefined ? undefined : rank(count));
    if (r === undefined) return undefined;
    return typeof r[0] === "string" ? entry(r as ZEntry) : (r as ZEntry[]).map(entry);
  }
  zunionstore(dest: KeyInput, keys: readonly KeyInput[], options: ZCombineOptions = {}): number {
    return zstore(
      this.tx,
      "union",
      this.k(dest),
      keys.map((k) => this.k(k)),
      combine(options),
    );
  }
  zinterstore(dest: KeyInput, keys: readonly KeyInput[], options: ZCombineOptions = {}): number {
    return zstore(
      this.tx,
      "inter",
      this.k(dest),
      keys.map((k) => this.k(k)),
      combine(options),
    );
  }
  zdiffstore(dest: KeyInput, keys: readonly KeyInput[]): number {
    return zstore(
      this.tx,
      "diff",
      this.k(dest),
      keys.map((k) => this.k(k)),
      {},
    );
  }
  zunion(keys: readonly KeyInput[], options: ZCombineOptions = {}): ZMember[] {
    return zcombine(
      this.tx,
      "union",
      keys.map((k) => this.k(k)),
      combine(options),
    ).map(entry);
  }
  zinter(keys: readonly KeyInput[], options: ZCombineOptions = {}): ZMember[] {
    return zcombine(
      this.tx,
      "inter",
      keys.map((k) => this.k(k)),
      combine(options),
    ).map(entry);
  }
  zdiff(keys: readonly KeyInput[]): ZMember[] {
    return zcombine(
      this.tx,
      "diff",
      keys.map((k) => this.k(k)),
      {},
    ).map(entry);
  }
  /** ZSCAN: a page after `cursor` ("0" to start; "0" answered at the end); every member once. */
  zscan(
    key: KeyInput,
    cursor: string,
    options: { match?: BytesInput; count?: number } = {},
  ): ScanPage<ZMember> {
    const page = ops.zscan(this.tx, this.k(key), cursor, options);
    return { cursor: page.cursor, items: page.items.map(entry) };
  }

  private k(key: KeyInput): KeyString {
    return this.run.key(key);
  }
  private m(member: unknown): string {
    return this.run.bytes(member, "member");
  }
  private ms(members: unknown): string[] {
    if (!Array.isArray(members) || members.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments (no member)");
    }
    return members.map((m) => this.m(m));
  }
  private score(s: unknown): number {
    if (typeof s !== "number")
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a score is a number");
    if (Number.isNaN(s)) throw new DataTypeError("FUSEDB_NOT_FLOAT", ops.ZMSG.notFloat);
    return s;
  }
  private lex(bound: unknown): LexBound {
    return parseLexBound(this.run.bytes(bound, "lex bound"));
  }
  private pairs(members: ZAddInput): [number, string][] {
    const raw: unknown[] = Array.isArray(members)
      ? members
      : typeof members === "object" && members !== null
        ? Object.entries(members).map(([m, s]) => [s, m])
        : [];
    return raw.map((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw new DataTypeError("FUSEDB_SYNTAX", ops.ZMSG.syntax);
      return [this.score(p[0]), this.m(p[1])];
    });
  }
  private query(start: unknown, stop: unknown, o: ZRangeOptions): ops.RangeQuery {
    const by = o.by ?? "rank";
    const limit =
      o.limit === undefined ? undefined : { offset: rank(o.limit.offset), count: rank(o.limit.count) };
    ops.checkRangeOptions(by, limit, false);
    const [lo, hi] = o.rev && by !== "rank" ? [stop, start] : [start, stop];
    let spec: ops.RangeSpec;
    if (by === "rank") spec = { by, start: rank(start), stop: rank(stop) };
    else if (by === "score") spec = { by, min: scoreBound(lo), max: scoreBound(hi) };
    else spec = { by, min: this.lex(lo), max: this.lex(hi) };
    return { spec, ...(o.rev ? { rev: true } : {}), ...(limit && by !== "rank" ? { limit } : {}) };
  }
}

/** ZADD's members: [score, member] pairs or an object of member → score. */
export type ZAddInput = readonly (readonly [number, BytesInput])[] | Readonly<Record<string, number>>;

function rank(n: unknown): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "an index or count is a safe integer");
  }
  return n;
}

function scoreBound(b: unknown): ScoreBound {
  if (typeof b === "number" && !Number.isNaN(b)) return { value: b, exclusive: false };
  if (typeof b === "string") return parseScoreBound(b);
  throw new DataTypeError("FUSEDB_NOT_FLOAT", "ERR min or max is not a float");
}

function combine(o: ZCombineOptions): CombineOptions {
  return { ...(o.weights ? { weights: o.weights } : {}), ...(o.aggregate ? { aggregate: o.aggregate } : {}) };
}

/**
 * `db.zsets`: each method one call — writes one WAL record acknowledged once durable, reads on the visible
 * state — with {@link ZsetTxn}'s arguments and answers. Idea: ioredis's command methods.
 */
export class SortedSets {
  /** @internal built by the database. */
  constructor(private readonly run: TypesRunner) {}

  /**
   * Runs `fn` as one atomic call over the newest state: every sorted-set operation it makes is one WAL
   * record, acknowledged once durable. `fn` must be pure and synchronous: it may run again from the start
   * after a read (src/types/view.ts). Resolves with what `fn` returns. @throws what `fn` throws (nothing
   * changed) and what every write throws.
   */
  atomic<T>(fn: (z: ZsetTxn) => T): Promise<T> {
    return this.run.write((tx) => fn(new ZsetTxn(this.run, tx)));
  }

  private read<T>(fn: (z: ZsetTxn) => T): Promise<T> {
    return this.run.read((tx) => fn(new ZsetTxn(this.run, tx)));
  }

  /**
   * ZADD: adds or updates members (NX only adds, XX only updates, GT/LT only raise/lower, CH counts changes);
   * resolves with the added (CH: added + changed) count, or with `incr` the new score (null when blocked).
   */
  zadd(key: KeyInput, members: ZAddInput, flags?: ops.ZAddFlags & { incr?: false }): Promise<number>;
  zadd(key: KeyInput, members: ZAddInput, flags: ops.ZAddFlags & { incr: true }): Promise<number | null>;
  zadd(key: KeyInput, members: ZAddInput, flags: ops.ZAddFlags = {}): Promise<number | null> {
    return this.atomic((z) => z.zadd(key, members, flags));
  }
  /** ZINCRBY: adds `increment` to the member's score (0 if absent); the new score. @throws FUSEDB_NAN. */
  zincrby(key: KeyInput, increment: number, member: BytesInput): Promise<number> {
    return this.atomic((z) => z.zincrby(key, increment, member));
  }
  /** ZREM: removes members; how many existed. The set stops existing when its last member goes. */
  zrem(key: KeyInput, members: readonly BytesInput[]): Promise<number> {
    return this.atomic((z) => z.zrem(key, members));
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
  /** ZRANGE: entries by rank (indexes, negative from the end), by score or by lex; REV, LIMIT. */
  zrange(
    key: KeyInput,
    start: number | string,
    stop: number | string,
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
  /** ZRANGESTORE: stores ZRANGE's selection of `src` at `dest` (replaced); its size. */
  zrangestore(
    dest: KeyInput,
    src: KeyInput,
    start: number | string,
    stop: number | string,
    options?: ZRangeOptions,
  ): Promise<number> {
    return this.atomic((z) => z.zrangestore(dest, src, start, stop, options));
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
  zremrangebyrank(key: KeyInput, start: number, stop: number): Promise<number> {
    return this.atomic((z) => z.zremrangebyrank(key, start, stop));
  }
  /** ZREMRANGEBYSCORE: removes the members with scores in [min, max]; how many. */
  zremrangebyscore(key: KeyInput, min: ScoreBoundInput, max: ScoreBoundInput): Promise<number> {
    return this.atomic((z) => z.zremrangebyscore(key, min, max));
  }
  /** ZREMRANGEBYLEX: removes the members in the lex range; how many. */
  zremrangebylex(key: KeyInput, min: BytesInput, max: BytesInput): Promise<number> {
    return this.atomic((z) => z.zremrangebylex(key, min, max));
  }
  /** ZPOPMIN: removes and returns up to `count` (default 1) lowest entries. @throws FUSEDB_OUT_OF_RANGE. */
  zpopmin(key: KeyInput, count?: number): Promise<ZMember[]> {
    return this.atomic((z) => z.zpopmin(key, count));
  }
  /** ZPOPMAX: removes and returns up to `count` (default 1) highest entries. @throws FUSEDB_OUT_OF_RANGE. */
  zpopmax(key: KeyInput, count?: number): Promise<ZMember[]> {
    return this.atomic((z) => z.zpopmax(key, count));
  }
  /** ZRANDMEMBER: one member (no count) or entries by Redis's count rule; seeded, deterministic. */
  zrandmember(key: KeyInput, count?: number): Promise<ZMember[] | ZMember | undefined> {
    return this.read((z) => z.zrandmember(key, count));
  }
  /** ZUNIONSTORE: stores the union (WEIGHTS, AGGREGATE) at `dest` (replaced in O(1)); its size. */
  zunionstore(dest: KeyInput, keys: readonly KeyInput[], options?: ZCombineOptions): Promise<number> {
    return this.atomic((z) => z.zunionstore(dest, keys, options));
  }
  /** ZINTERSTORE: stores the intersection at `dest` (replaced in O(1)); its size. */
  zinterstore(dest: KeyInput, keys: readonly KeyInput[], options?: ZCombineOptions): Promise<number> {
    return this.atomic((z) => z.zinterstore(dest, keys, options));
  }
  /** ZDIFFSTORE: stores the members of the first key in none of the others at `dest`; its size. */
  zdiffstore(dest: KeyInput, keys: readonly KeyInput[]): Promise<number> {
    return this.atomic((z) => z.zdiffstore(dest, keys));
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
