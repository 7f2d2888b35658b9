/**
 * {@link ZsetTxn}: the sorted-set operations of `db.zsets` (src/types/zsets.ts) run synchronously on one
 * call's state, inside `db.zsets.atomic(z => ...)` (several operations, one WAL record, as a sliding-window
 * limiter needs), and the argument shapes they share. Shapes, errors and semantics: src/types/zsets.ts.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError, InvalidArgumentError } from "../errors.js";
import { bytesOf } from "./encoding.js";
import type { BytesInput, OpRunner } from "./runner.js";
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

/** The sorted-set operations on one call's state; built by `db.zsets.atomic` (src/types/zsets.ts). Synchronous. */
export class ZsetTxn {
  /** @internal */
  constructor(
    private readonly run: OpRunner,
    private readonly tx: Txn,
  ) {}

  /** ZADD: see `db.zsets.zadd` (src/types/zsets.ts). */
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
