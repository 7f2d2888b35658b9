/**
 * The library's list operations: `db.lists` (Redis 7.0 semantics, redis.io/commands/?group=list). Storage
 * and costs: src/types/list-ops.ts; searches and middle edits: src/types/list-edits.ts; blocking pops:
 * src/types/pop-waiters.ts.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { bytesOf } from "./encoding.js";
import { optionalBytes } from "./hashes.js";
import { type LposOptions, linsert, lpos, lrem } from "./list-edits.js";
import {
  type ListEnd,
  lindex,
  listOf,
  lmove,
  lrange,
  lset,
  ltrim,
  moveTake,
  pop,
  popTake,
  push,
  pushx,
} from "./list-ops.js";
import type { PopWaiters } from "./pop-waiters.js";
import type { BytesInput, OpRunner } from "./runner.js";
import type { TypesWriteOptions } from "./write-options.js";

/** Options of the blocking pops. */
export interface BlockingOptions {
  /** Aborting it ends the wait as a timeout does (the call resolves undefined). */
  signal?: AbortSignal;
}

/** `n` as an integer argument. @throws DataTypeError FUSEDB_NOT_INTEGER. */
function integer(n: unknown): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new DataTypeError("FUSEDB_NOT_INTEGER", "ERR value is not an integer or out of range");
  }
  return n;
}

/**
 * A blocking timeout in seconds (0: forever) as milliseconds, rounded up as Redis does.
 * @throws DataTypeError "ERR timeout is not a float or out of range", "ERR timeout is negative".
 */
export function timeoutMsOf(seconds: unknown): number {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds * 1000 > Number.MAX_SAFE_INTEGER) {
    throw new DataTypeError("FUSEDB_NOT_FLOAT", "ERR timeout is not a float or out of range");
  }
  if (seconds < 0) throw new DataTypeError("FUSEDB_NEGATIVE", "ERR timeout is negative");
  return Math.ceil(seconds * 1000);
}

/** An end argument. @throws DataTypeError "ERR syntax error". */
function endOf(v: unknown): ListEnd {
  if (v === "left" || v === "right") return v;
  throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
}

/**
 * See the module comment. Keys as strings (UTF-8) or bytes; elements as strings (UTF-8) or bytes; answers
 * as Buffers; indexes are 0-based, negative from the tail. Every write is one WAL record, acknowledged once
 * durable. Errors: WrongTypeError (FUSEDB_WRONG_TYPE); DataTypeError with Redis's reply text (FUSEDB_NOT_INTEGER,
 * FUSEDB_NEGATIVE, FUSEDB_NO_SUCH_KEY, FUSEDB_INDEX_OUT_OF_RANGE, FUSEDB_SYNTAX); and what every write throws.
 * Every write but the blocking pops takes the compare-and-set options (`ifVersion` of `key`, of `source` for
 * LMOVE; `ifVersions`; `onCommit`: src/types/write-options.ts) last, and then throws VersionConflictError
 * (FUSEDB_VERSION_CONFLICT) on a mismatch, changing nothing. The blocking pops take none: a version read
 * before a wait for a push could never match after it (pop without blocking, with `ifVersion`, instead).
 * Idea: ioredis's command methods, named after Redis's commands.
 */
export class Lists {
  /** @internal built by the database. */
  constructor(
    private readonly run: OpRunner,
    private readonly waiters: Pick<PopWaiters, "wait" | "blocked">,
  ) {}

  /** LPUSH: pushes each element onto the head in turn (so the last ends first); the new length. */
  async lpush(
    key: KeyInput,
    elements: BytesInput | readonly BytesInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.pushAt(key, "left", elements, false, options);
  }

  /** RPUSH: appends the elements; the new length. */
  async rpush(
    key: KeyInput,
    elements: BytesInput | readonly BytesInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.pushAt(key, "right", elements, false, options);
  }

  /** LPUSHX: LPUSH onto an existing list only; 0 when the key is absent. */
  async lpushx(
    key: KeyInput,
    elements: BytesInput | readonly BytesInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.pushAt(key, "left", elements, true, options);
  }

  /** RPUSHX: RPUSH onto an existing list only; 0 when the key is absent. */
  async rpushx(
    key: KeyInput,
    elements: BytesInput | readonly BytesInput[],
    options?: TypesWriteOptions,
  ): Promise<number> {
    return this.pushAt(key, "right", elements, true, options);
  }

  /**
   * LPOP: without `count`, the head element or undefined; with `count`, up to `count` elements (head first),
   * [] for 0, undefined when the key is absent. @throws DataTypeError FUSEDB_NEGATIVE for a negative count.
   */
  lpop(key: KeyInput, count?: undefined, options?: TypesWriteOptions): Promise<Buffer | undefined>;
  lpop(key: KeyInput, count: number, options?: TypesWriteOptions): Promise<Buffer[] | undefined>;
  async lpop(
    key: KeyInput,
    count?: number,
    options?: TypesWriteOptions,
  ): Promise<Buffer | Buffer[] | undefined> {
    return this.popAt(key, "left", count, options);
  }

  /** RPOP: as {@link lpop} from the tail (tail first). */
  rpop(key: KeyInput, count?: undefined, options?: TypesWriteOptions): Promise<Buffer | undefined>;
  rpop(key: KeyInput, count: number, options?: TypesWriteOptions): Promise<Buffer[] | undefined>;
  async rpop(
    key: KeyInput,
    count?: number,
    options?: TypesWriteOptions,
  ): Promise<Buffer | Buffer[] | undefined> {
    return this.popAt(key, "right", count, options);
  }

  /** LLEN: the length (0 for a missing key). */
  async llen(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => listOf(tx, k)?.n ?? 0);
  }

  /** LRANGE: elements of [start, stop], both inclusive, negatives from the tail, clamped to the list. */
  async lrange(key: KeyInput, start: number, stop: number): Promise<Buffer[]> {
    const k = this.run.key(key);
    const [s, e] = [integer(start), integer(stop)];
    return this.run.read((tx) => lrange(tx, k, s, e).map(bytesOf));
  }

  /** LINDEX: the element at `index`, or undefined. */
  async lindex(key: KeyInput, index: number): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    const i = integer(index);
    return this.run.read((tx) => optionalBytes(lindex(tx, k, i)));
  }

  /** LSET. @throws DataTypeError FUSEDB_NO_SUCH_KEY ("ERR no such key"), FUSEDB_INDEX_OUT_OF_RANGE. */
  async lset(key: KeyInput, index: number, element: BytesInput, options?: TypesWriteOptions): Promise<void> {
    const k = this.run.key(key);
    const i = integer(index);
    const e = this.run.bytes(element, "element");
    await this.run.write((tx) => lset(tx, k, i, e), this.run.guard(options, k));
  }

  /** LINSERT: the new length; -1 when `pivot` is absent; 0 when the key is. */
  async linsert(
    key: KeyInput,
    where: "before" | "after",
    pivot: BytesInput,
    element: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    const k = this.run.key(key);
    if (where !== "before" && where !== "after") throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
    const p = this.run.bytes(pivot, "pivot");
    const e = this.run.bytes(element, "element");
    return this.run.write((tx) => linsert(tx, k, where, p, e), this.run.guard(options, k));
  }

  /** LREM: removes up to |count| occurrences (count > 0 from the head, < 0 from the tail, 0 all); how many. */
  async lrem(
    key: KeyInput,
    count: number,
    element: BytesInput,
    options?: TypesWriteOptions,
  ): Promise<number> {
    const k = this.run.key(key);
    const c = integer(count);
    const e = this.run.bytes(element, "element");
    return this.run.write((tx) => lrem(tx, k, c, e), this.run.guard(options, k));
  }

  /** LTRIM: keeps [start, stop] (LRANGE's rules); an empty range deletes the key. */
  async ltrim(key: KeyInput, start: number, stop: number, options?: TypesWriteOptions): Promise<void> {
    const k = this.run.key(key);
    const [s, e] = [integer(start), integer(stop)];
    await this.run.write((tx) => ltrim(tx, k, s, e), this.run.guard(options, k));
  }

  /**
   * LPOS: the index of `element` (undefined if absent); with `count` in the options, an array of up to
   * `count` indexes (0: all). `rank` picks the nth match (negative: from the tail); `maxlen` bounds the
   * elements compared. @throws DataTypeError for rank 0 or a negative count or maxlen (Redis's texts).
   */
  lpos(
    key: KeyInput,
    element: BytesInput,
    options?: { rank?: number; maxlen?: number },
  ): Promise<number | undefined>;
  lpos(key: KeyInput, element: BytesInput, options: LposOptions & { count: number }): Promise<number[]>;
  async lpos(
    key: KeyInput,
    element: BytesInput,
    options: LposOptions = {},
  ): Promise<number | undefined | number[]> {
    const k = this.run.key(key);
    const e = this.run.bytes(element, "element");
    const o: LposOptions = {};
    if (options.rank !== undefined) o.rank = integer(options.rank);
    if (options.count !== undefined) o.count = integer(options.count);
    if (options.maxlen !== undefined) o.maxlen = integer(options.maxlen);
    return this.run.read((tx) => lpos(tx, k, e, o));
  }

  /**
   * LMOVE: moves one element between the ends of two lists (or rotates one); undefined if the source is
   * absent. `ifVersion`: the source's.
   */
  async lmove(
    source: KeyInput,
    destination: KeyInput,
    from: ListEnd,
    to: ListEnd,
    options?: TypesWriteOptions,
  ): Promise<Buffer | undefined> {
    const [s, d] = [this.run.key(source), this.run.key(destination)];
    const [f, t] = [endOf(from), endOf(to)];
    return this.run.write((tx) => optionalBytes(lmove(tx, s, d, f, t)), this.run.guard(options, s));
  }

  /**
   * BLPOP: pops the head of the first non-empty list among `keys`, waiting up to `timeoutSeconds` (0:
   * forever) of the engine's clock for one if all are empty; waiters of a key are served oldest first, each
   * pop its own write. Resolves [key, element] (the key as given, as bytes), or undefined on timeout/abort.
   * @throws DataTypeError for a bad timeout; WrongTypeError; ClosedError if the database closes first.
   */
  blpop(
    keys: KeyInput | readonly KeyInput[],
    timeoutSeconds: number,
    options: BlockingOptions = {},
  ): Promise<[Buffer, Buffer] | undefined> {
    return this.bpop(keys, "left", timeoutSeconds, options);
  }

  /** BRPOP: as {@link blpop} from the tail. */
  brpop(
    keys: KeyInput | readonly KeyInput[],
    timeoutSeconds: number,
    options: BlockingOptions = {},
  ): Promise<[Buffer, Buffer] | undefined> {
    return this.bpop(keys, "right", timeoutSeconds, options);
  }

  /** BLMOVE: {@link lmove}, waiting as {@link blpop} does while the source is empty. */
  async blmove(
    source: KeyInput,
    destination: KeyInput,
    from: ListEnd,
    to: ListEnd,
    timeoutSeconds: number,
    options: BlockingOptions = {},
  ): Promise<Buffer | undefined> {
    const [s, d] = [this.run.key(source), this.run.key(destination)];
    const [f, t] = [endOf(from), endOf(to)];
    const timeoutMs = timeoutMsOf(timeoutSeconds);
    const take = moveTake(s, d, f, t);
    const served = await this.waiters.wait({ keys: [s], type: "list", take, timeoutMs, ...options });
    return served === undefined ? undefined : bytesOf(served.value);
  }

  /** @internal Callers blocked now (INFO's `blocked_clients`). */
  get blocked(): number {
    return this.waiters.blocked;
  }

  private async bpop(
    keys: KeyInput | readonly KeyInput[],
    from: ListEnd,
    timeoutSeconds: number,
    options: BlockingOptions,
  ): Promise<[Buffer, Buffer] | undefined> {
    const list = (Array.isArray(keys) ? keys : [keys]) as KeyInput[];
    if (list.length === 0)
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments (no keys)");
    const ks: KeyString[] = list.map((key) => this.run.key(key));
    const timeoutMs = timeoutMsOf(timeoutSeconds);
    const take = popTake(ks, from, 1, from === "left" ? "blpop" : "brpop");
    const served = await this.waiters.wait({ keys: ks, type: "list", take, timeoutMs, ...options });
    if (served === undefined) return undefined;
    const key = list[served.index] as KeyInput;
    return [bytesOf(this.run.bytes(key, "key")), bytesOf(served.value[0] as string)];
  }

  private pushAt(
    key: KeyInput,
    end: ListEnd,
    elements: BytesInput | readonly BytesInput[],
    onlyIfExists: boolean,
    options: TypesWriteOptions | undefined,
  ): Promise<number> {
    const k = this.run.key(key);
    const op = `${end === "left" ? "l" : "r"}push${onlyIfExists ? "x" : ""}`;
    const raw = (Array.isArray(elements) ? elements : [elements]) as BytesInput[];
    const es = raw.map((e) => this.run.bytes(e, "element"));
    const guard = this.run.guard(options, k);
    return this.run.write((tx) => (onlyIfExists ? pushx : push)(tx, k, end, es, op), guard);
  }

  private popAt(
    key: KeyInput,
    end: ListEnd,
    count: number | undefined,
    options: TypesWriteOptions | undefined,
  ): Promise<Buffer | Buffer[] | undefined> {
    const k = this.run.key(key);
    const op = end === "left" ? "lpop" : "rpop";
    const c = count === undefined ? undefined : integer(count);
    if (c !== undefined && c < 0) {
      throw new DataTypeError("FUSEDB_NEGATIVE", "ERR value is out of range, must be positive");
    }
    const guard = this.run.guard(options, k);
    if (c === undefined) return this.run.write((tx) => optionalBytes(pop(tx, k, end, 1, op)?.[0]), guard);
    return this.run.write((tx) => pop(tx, k, end, c, op)?.map(bytesOf), guard);
  }
}
