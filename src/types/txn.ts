/**
 * The working state of one data-type call while it resolves (src/types/view.ts): reads through the view
 * with the call's own writes on top (a call of several operations, like MULTI/EXEC, sees its earlier ones),
 * and the writes gathered into one effect per tree key, for one WAL record.
 *
 * Versions follow the documents' rule (src/doc/entry.ts `resolveMutation`): each operation that changes a
 * key gives it a new version, the live version + 1, or for a key that is not live the larger of its last
 * version and its bucket's dead-version floor, + 1. Elements carry no version of their own (always 1).
 */
import type { DataType, Entry } from "../doc/entry.js";
import {
  type CapturedMutation,
  captureMutation,
  isLive,
  type Mutation,
  resolveMutation,
  utf8Of,
} from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { deepFreeze } from "../doc/json.js";
import { isInternalKey, type KeyString } from "../doc/key.js";
import { InvalidArgumentError, WrongTypeError } from "../errors.js";
import { mark } from "../util/coverage.js";
import type { Effect } from "../wal/batch-codec.js";
import { elementPrefix, generationOf, prefixEnd, subkey, type Tag } from "./encoding.js";
import { mergePending, type Pair, type ScanRequest, type StateView } from "./view.js";

/** A collection's metadata (the JSON value of its typed entry): generation, element count, list head. */
export interface CollectionMeta {
  /** Generation: the elements' subkeys carry it (src/types/encoding.ts). */
  readonly g: number;
  /** Elements. */
  readonly n: number;
  /** Lists only: position of the first element (the last is at h + n - 1). */
  readonly h?: number;
}

/** The call a transaction resolves for (src/commit-pipeline.ts OpContext, or a read's). */
export interface TxnContext {
  lsn: number;
  nowMs: number;
  deadFloor: (key: KeyString) => number;
  valueBytesMax: number;
  /** Mixed into the call's random source (a read's call counter; writes use their LSN). */
  seed?: number;
  /** Broken on purpose (the internal mode 'reuse-generations', sensitivity tests only): generation 0 always. */
  reuseGenerations?: boolean;
  /**
   * Broken on purpose (the internal mode 'stale-zset-index', sensitivity tests only): a member's old score
   * index entry stays when its score changes (src/types/zset-index.ts `putMember`).
   */
  staleZsetIndex?: boolean;
  /**
   * The random source's whole seed, in place of the LSN, time and `seed` mix: a transaction's calls draw the
   * same numbers when they run on its snapshot and when they run again at commit (src/tx/tx-state.ts).
   */
  rngSeed?: number;
}

/** A live collection as read: its entry and metadata. */
export interface Collection {
  entry: Entry;
  meta: CollectionMeta;
}

/** A point {@link Txn.rollbackTo} returns a transaction to: copies of its writes and counters. */
export interface Savepoint {
  readonly writes: ReadonlyMap<KeyString, Entry>;
  readonly ops: ReadonlyMap<KeyString, { op: string; was?: string }>;
  readonly created: ReadonlySet<KeyString>;
  readonly creations: number;
  readonly rng: number;
}

/** See the module comment. One per run of a call's operations. */
export class Txn {
  private readonly writes = new Map<KeyString, Entry>();
  private readonly ops = new Map<KeyString, { op: string; was?: string }>();
  /** Keys this call wrote while they were not live (Redis's `new` keyspace event). */
  private readonly created = new Set<KeyString>();
  private creations = 0;
  /** Set by an operation whose answer is a time to live (reads: see src/types/runner.ts). */
  usedTime = false;
  /** State of the call's random source (see {@link draw}). */
  private rng: number;

  constructor(
    readonly view: StateView,
    readonly ctx: TxnContext,
  ) {
    this.rng =
      ctx.rngSeed !== undefined
        ? ctx.rngSeed >>> 0
        : (Math.imul(ctx.lsn | 0, 0x9e3779b1) ^ (ctx.nowMs | 0) ^ (ctx.seed ?? 0)) >>> 0;
  }

  /**
   * A uniform integer in [0, n) from the call's own deterministic source (SPOP, SRANDMEMBER, HRANDFIELD,
   * ZRANDMEMBER): seeded by the call's LSN (writes), time and the runner's call counter (reads), so a
   * rerun after a read draws the same numbers and the simulator replays exactly. Not for cryptography.
   * Idea: mulberry32 (Tommy Ettinger's 32-bit generator).
   */
  draw(n: number): number {
    this.rng = (this.rng + 0x6d2b79f5) >>> 0;
    let t = this.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(u * n);
  }

  get nowMs(): number {
    return this.ctx.nowMs;
  }

  /** The key's newest entry, this call's writes included (tombstones too). @throws NeedRead. */
  entry(k: KeyString): Entry | undefined {
    return this.writes.has(k) ? this.writes.get(k) : this.view.get(k);
  }

  /** The key's entry if live now. */
  live(k: KeyString): Entry | undefined {
    const e = this.entry(k);
    return isLive(e, this.ctx.nowMs) ? e : undefined;
  }

  /** What the key holds now: "json", a data type, or undefined if it is not live. */
  typeOf(k: KeyString): DataType | "json" | undefined {
    const e = this.live(k);
    return e === undefined ? undefined : (e.type ?? "json");
  }

  /**
   * The live collection of type `type` at `k`, or undefined if the key is not live.
   * @throws WrongTypeError if it holds another type (a JSON document included).
   */
  collection(k: KeyString, type: DataType): Collection | undefined {
    const entry = this.live(k);
    if (entry === undefined) return undefined;
    if (entry.type !== type) throw new WrongTypeError(entry.type ?? "json", type);
    return { entry, meta: entry.value as unknown as CollectionMeta };
  }

  /** The live string at `k` as a binary string, or undefined. @throws WrongTypeError. */
  string(k: KeyString): string | undefined {
    const entry = this.live(k);
    if (entry === undefined) return undefined;
    if (entry.type !== "string") throw new WrongTypeError(entry.type ?? "json", "string");
    return entry.value as string;
  }

  /** A new generation for a collection created by this call. */
  newGeneration(): number {
    if (this.ctx.reuseGenerations) return 0;
    return generationOf(this.ctx.lsn, this.creations++);
  }

  /** The element prefix of a collection (see src/types/encoding.ts). */
  prefix(k: KeyString, meta: CollectionMeta, tag: Tag): KeyString {
    return elementPrefix(k, meta.g, tag);
  }

  /** An element's value (tombstones as undefined). @throws NeedRead. */
  element(prefix: KeyString, sub: string): Json | undefined {
    return this.entry(subkey(prefix, sub))?.value;
  }

  /**
   * Live elements under `prefix` with subs in [`from`, `to`) (whole prefix by default), this call's writes
   * included, at most `limit`, ascending or descending. Returns [sub, value] pairs. @throws NeedRead.
   */
  elements(prefix: KeyString, limit: number, reverse = false, from?: string, to?: string): [string, Json][] {
    const gte = from === undefined ? prefix : prefix + from;
    const lt = to === undefined ? prefixEnd(prefix) : prefix + to;
    const out: [string, Json][] = [];
    for (const [k, e] of this.scan({ gte, lt, reverse, limit }))
      out.push([k.slice(prefix.length), e.value as Json]);
    return out;
  }

  /** Live entries of a range, this call's writes on top. @throws NeedRead. */
  scan(req: ScanRequest): Pair[] {
    const mine: Pair[] = [];
    for (const [k, e] of this.writes) if (k >= req.gte && k < req.lt) mine.push([k, e]);
    const found = this.view.scan({ ...req, limit: req.limit + mine.length });
    return mergePending(found, mine, req);
  }

  /** Writes one element (undefined: removes it). */
  putElement(prefix: KeyString, sub: string, value: Json | undefined): void {
    const k = subkey(prefix, sub);
    if (value === undefined) {
      this.writes.set(k, { version: 1, value: undefined, text: undefined, lsn: this.ctx.lsn });
      return;
    }
    this.writes.set(k, this.entryOf(value, 1, undefined, undefined));
  }

  /**
   * Writes the key's typed entry: `value` (a collection's metadata, a string's binary string) as a new
   * version, by operation `op`. The expiry is kept if the key is live and `keepTtl` (Redis: changing a
   * collection keeps its TTL; SET clears it), else `expiresAtMs`.
   */
  putTyped(
    k: KeyString,
    type: DataType,
    value: Json,
    op: string,
    options: { keepTtl?: boolean; expiresAtMs?: number } = {},
  ): Entry {
    const live = this.live(k);
    const expiresAtMs =
      options.keepTtl !== false && live !== undefined ? live.expiresAtMs : options.expiresAtMs;
    const entry = this.entryOf(value, this.nextVersion(k), type, expiresAtMs);
    if (live === undefined) this.created.add(k);
    this.writes.set(k, entry);
    this.ops.set(k, { op });
    return entry;
  }

  /** Sets or clears a live key's expiry as a new version (any type). */
  putExpiry(k: KeyString, expiresAtMs: number | undefined, op: string): void {
    const live = this.live(k);
    if (live === undefined) return;
    const text = live.text as Uint8Array;
    const version = this.nextVersion(k);
    const { value, type } = live;
    const lsn = this.ctx.lsn;
    // Literals, not spreads: the same own fields in the same order (see entryOf).
    let entry: Entry;
    if (type === undefined)
      entry =
        expiresAtMs === undefined
          ? { version, value, text, lsn }
          : { version, value, text, lsn, expiresAtMs };
    else
      entry =
        expiresAtMs === undefined
          ? { version, value, text, lsn, type }
          : { version, value, text, lsn, type, expiresAtMs };
    this.writes.set(k, entry);
    this.ops.set(k, { op });
  }

  /** Deletes the key, whatever it holds, as a new version (O(1): a collection's elements are left to merges). */
  deleteKey(k: KeyString, op: string): boolean {
    const live = this.live(k);
    if (live === undefined) return false;
    this.writes.set(k, {
      version: this.nextVersion(k),
      value: undefined,
      text: undefined,
      lsn: this.ctx.lsn,
    });
    this.ops.set(k, { op, was: live.type ?? "json" });
    return true;
  }

  /** Writes an entry as it is (a key copied from another: RENAME, COPY), as a new version of `k`. */
  putCopy(k: KeyString, from: Entry, op: string, value: Json = from.value as Json): void {
    const entry = this.entryOf(value, this.nextVersion(k), from.type, from.expiresAtMs);
    if (this.live(k) === undefined) this.created.add(k);
    this.writes.set(k, entry);
    this.ops.set(k, { op });
  }

  /**
   * Applies a document mutation (`set`, `patch`, `incr`, `expire`, `delete`, the path operations: src/doc/
   * entry.ts) to `k` as its next version, resolved on the newest state exactly as `batch` resolves it, so a
   * read-decide-write over a JSON document runs inside one call, with no compare-and-set retry (the RESP
   * server's JSON path commands). Returns the new entry.
   * @throws what `captureMutation` and `resolveMutation` throw (WrongTypeError on a key of a data type).
   */
  mutate(k: KeyString, m: Mutation, op?: string): Entry {
    const { mutation } = captureMutation(m, { valueBytesMax: this.ctx.valueBytesMax });
    return this.mutateCaptured(k, mutation, op);
  }

  /** {@link mutate} of a mutation captured already (a transaction's buffered document write). */
  mutateCaptured(k: KeyString, mutation: CapturedMutation, op?: string): Entry {
    const limits = { valueBytesMax: this.ctx.valueBytesMax };
    const current = this.entry(k);
    const entry = resolveMutation(
      current,
      mutation,
      this.ctx.lsn,
      limits,
      this.ctx.nowMs,
      this.ctx.deadFloor(k),
    );
    if (entry.value !== undefined && !isLive(current, this.ctx.nowMs)) this.created.add(k);
    this.writes.set(k, entry);
    if (op !== undefined) this.ops.set(k, { op });
    else this.ops.delete(k);
    return entry;
  }

  /** The version a change of `k` now takes. */
  private nextVersion(k: KeyString): number {
    const current = this.entry(k);
    if (isLive(current, this.ctx.nowMs)) return current.version + 1;
    return Math.max(current?.version ?? 0, this.ctx.deadFloor(k)) + 1;
  }

  private entryOf(
    value: Json,
    version: number,
    type: DataType | undefined,
    expiresAtMs: number | undefined,
  ): Entry {
    const text = utf8Of(JSON.stringify(value));
    if (text.length > this.ctx.valueBytesMax) {
      throw new InvalidArgumentError(
        "FUSEDB_VALUE_TOO_LARGE",
        `value is ${text.length} bytes stored; the limit is ${this.ctx.valueBytesMax}`,
      );
    }
    const frozen = deepFreeze(value);
    const lsn = this.ctx.lsn;
    // Literals, not spreads (every typed write comes here): the same own properties, in the same order.
    if (type === undefined) {
      return expiresAtMs === undefined
        ? { version, value: frozen, text, lsn }
        : { version, value: frozen, text, lsn, expiresAtMs };
    }
    return expiresAtMs === undefined
      ? { version, value: frozen, text, lsn, type }
      : { version, value: frozen, text, lsn, type, expiresAtMs };
  }

  /**
   * The state to return to if the operations that follow fail (EXEC: a failing command leaves no partial
   * writes, the others apply). O(writes so far): the maps are copied.
   */
  savepoint(): Savepoint {
    return {
      writes: new Map(this.writes),
      ops: new Map(this.ops),
      created: new Set(this.created),
      creations: this.creations,
      rng: this.rng,
    };
  }

  /** Forgets every write made since `sp` was taken. */
  rollbackTo(sp: Savepoint): void {
    this.writes.clear();
    for (const [k, e] of sp.writes) this.writes.set(k, e);
    this.ops.clear();
    for (const [k, o] of sp.ops) this.ops.set(k, o);
    this.created.clear();
    for (const k of sp.created) this.created.add(k);
    this.creations = sp.creations;
    this.rng = sp.rng;
  }

  /**
   * A Txn reading through `view` (this one's state, as a view) that continues this one's generation counter
   * and random source: run an operation on it, then {@link absorb} it to keep what it wrote, or drop it to
   * forget. O(1), where a {@link savepoint} copies every write so far (a transaction's calls, src/tx/).
   */
  fork(view: StateView): Txn {
    const t = new Txn(view, this.ctx);
    t.creations = this.creations;
    t.rng = this.rng;
    return t;
  }

  /** Takes over the writes of `child` (a {@link fork} of this one), as if they had been made here. */
  absorb(child: Txn): void {
    for (const [k, e] of child.writes) {
      this.writes.set(k, e);
      const op = child.ops.get(k);
      // A key written without an op is an element (never has one) or a document mutation (clears it).
      if (op !== undefined) this.ops.set(k, op);
      else this.ops.delete(k);
    }
    for (const k of child.created) this.created.add(k);
    this.creations = child.creations;
    this.rng = child.rng;
  }

  /** Every tree key this call wrote and its entry now (tombstones included), first write first. */
  ownWrites(): ReadonlyMap<KeyString, Entry> {
    return this.writes;
  }

  /**
   * The version `k` has now: a live key's version, else its last version or its bucket's dead-version floor
   * (the engine's `versionOf`). WATCH compares it.
   */
  versionOf(k: KeyString): number {
    return this.nextVersion(k) - 1;
  }

  /** The user keys this call changed (element subkeys left out) with their new versions, first write first. */
  changedKeys(): [KeyString, number][] {
    const out: [KeyString, number][] = [];
    for (const [k, e] of this.writes) if (!isInternalKey(k)) out.push([k, e.version]);
    return out;
  }

  /** Whether this call wrote anything. */
  get changed(): boolean {
    return this.writes.size > 0;
  }

  /**
   * The call's effects: one per tree key written, in first-write order. Marks (src/util/coverage.ts) what
   * the call did: `types.<type>.write` per collection or string written, `types.delete-generation` per
   * collection deleted (its elements left to merges), `types.multi-element-change` for a call writing
   * several elements (one WAL record all the same).
   */
  effects(): Effect[] {
    const out: Effect[] = [];
    let elements = 0;
    for (const [key, entry] of this.writes) {
      const op = this.ops.get(key);
      if (op === undefined) elements++;
      else if (entry.type !== undefined) mark(`types.${entry.type}.write`);
      else if (op.was !== undefined && op.was !== "json" && op.was !== "string") {
        mark("types.delete-generation");
        mark(`types.${op.was}.delete-generation`);
      }
      const effect: Effect =
        op === undefined ? { key, entry } : { key, entry, op: op.op, ...(op.was ? { was: op.was } : {}) };
      if (entry.value !== undefined && this.created.has(key)) effect.created = true;
      out.push(effect);
    }
    if (elements > 1) mark("types.multi-element-change");
    return out;
  }
}
