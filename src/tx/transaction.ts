/**
 * One attempt of `db.transaction(fn)`: reads at a pinned snapshot (src/tx/snapshot-reads.ts) with the
 * transaction's own writes on top; writes buffered as mutations, resolved at once on that state (so errors
 * such as FUSEDB_TYPE_MISMATCH surface at the call and later reads see them), and resolved again at commit,
 * on the newest state, inside the commit pipeline's prepare step, after an optimistic conflict check:
 * - every isolation: a key this transaction wrote was written by a record after its snapshot (first
 *   committer wins: snapshot isolation, Berenson et al. 1995), or a key it wrote changed liveness by
 *   expiry between its snapshot time and the commit time;
 * - 'serializable' also: a key it read, or a key inside a range it scanned (up to the last key the scan
 *   returned), was written by a record after its snapshot. The transaction then behaves as if it ran at its
 *   commit point: backward validation of optimistic concurrency control (Kung and Robinson 1981), with
 *   FoundationDB's read-conflict ranges for scans (no phantoms).
 * The commit is one WAL record (one `commitOp`), acknowledged after fdatasync like every write.
 */
import { scanArguments } from "../arguments.js";
import type { CommitPipeline } from "../commit-pipeline.js";
import type { CapturedMutation, Entry, Mutation } from "../doc/entry.js";
import { captureMutation, isLive, resolveMutation } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import {
  isInternalKey,
  type KeyInput,
  type KeyString,
  keyToText,
  toKeyString,
  userKeyBytes,
} from "../doc/key.js";
import { assert, InvalidArgumentError, TxConflictError } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import { inRange, type KeyRange } from "../tree/key-range.js";
import { mergePending, type Pair } from "../types/view.js";
import type { ScanEntry, ScanOptions, SetOptions, Versioned } from "../types.js";
import type { Effect } from "../wal/batch-codec.js";
import { type SnapshotReads, versionedOf } from "./snapshot-reads.js";

/** How strictly concurrent transactions are kept apart; see the module comment. */
export type Isolation = "snapshot" | "serializable";

/** Options of `db.transaction`. */
export interface TransactionOptions {
  /** Default 'snapshot'. */
  isolation?: Isolation;
  /** Reruns of the callback after a conflict before FUSEDB_TX_CONFLICT; 0..1000, default 10. */
  retries?: number;
}

/** Stands for "no live document" in a merge. */
const ABSENT: Entry = { version: 0, value: undefined, text: undefined, lsn: 0 };

interface SavepointMark {
  readonly name: string;
  readonly writes: number;
  readonly local: ReadonlyMap<KeyString, Entry>;
}

/** The transaction handle passed to the callback of `db.transaction`; see the module comment. */
export class Transaction {
  private readonly writes: { key: KeyString; m: CapturedMutation }[] = [];
  /** Each written key's state after this transaction's writes. */
  private local = new Map<KeyString, Entry>();
  /** The snapshot's entry of every key read or written (for the expiry check at commit). */
  private readonly bases = new Map<KeyString, Entry | undefined>();
  private readonly readKeys = new Set<KeyString>();
  private readonly ranges: KeyRange[] = [];
  private readonly savepoints: SavepointMark[] = [];
  /** Writes whose snapshot read is in flight: savepoints and commit wait for none. */
  private inFlight = 0;
  /** Settles after the last write called so far (writes resolve in call order). */
  private tail: Promise<void> = Promise.resolve();
  private ended = false;

  /** @internal Built by `db.transaction`. */
  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly reads: SnapshotReads,
    readonly isolation: Isolation,
    private readonly options: ResolvedOptions,
  ) {}

  /**
   * The document under `key`: this transaction's own write, else the snapshot's.
   * @throws SnapshotTooOldError; WrongTypeError, IoError, CorruptionError as `db.get`; InvalidArgumentError
   *   for a bad key or a transaction that has ended.
   */
  async get(key: KeyInput): Promise<Versioned | undefined> {
    const k = this.key(key);
    this.readKeys.add(k);
    const mine = this.local.get(k);
    if (mine !== undefined) return isLive(mine, this.reads.atMs) ? versionedOf(mine.value, mine) : undefined;
    return this.reads.versioned(await this.base(k));
  }

  /**
   * Up to `limit` documents inside the bounds, this transaction's writes over the snapshot's.
   * Under 'serializable' the range it covered (to the last key returned, if cut by `limit`) is checked at
   * commit: a key written inside it by a later committer is a conflict (no phantoms).
   * @throws as {@link get}; InvalidArgumentError for bad bounds or limit.
   */
  async scan(options: ScanOptions = {}): Promise<ScanEntry[]> {
    const { range, limit, reverse } = scanArguments(options, (k) => toKeyString(k, this.options.keyBytesMax));
    this.assertOpen();
    const mine: Pair[] = [];
    for (const [k, e] of this.local) {
      if (inRange(k, range)) mine.push([k, isLive(e, this.reads.atMs) ? e : ABSENT]);
    }
    const found = await this.reads.scan(range, limit + mine.length, reverse);
    const merged = mergePending(found, mine, { gte: "", lt: "", limit, reverse });
    const last = merged[merged.length - 1];
    if (merged.length < limit || last === undefined) this.ranges.push(range);
    else if (reverse) this.ranges.push({ ...range, gt: undefined, gte: last[0] });
    else this.ranges.push({ ...range, lt: undefined, lte: last[0] });
    return merged.map(([k, entry]) => {
      const bytes = userKeyBytes(k);
      return { key: bytes.toString("utf8"), keyBytes: bytes, ...versionedOf(entry.value as Json, entry) };
    });
  }

  /** Buffers a `set` (as `db.set`); resolves with the version it will have if the commit succeeds. */
  async set(key: KeyInput, value: Json, options: SetOptions = {}): Promise<{ version: number }> {
    const e = await this.mutate({
      op: "set",
      key,
      value,
      ttlMs: options.ttlMs,
      ifVersion: options.ifVersion,
    });
    return { version: e.version };
  }

  /** Buffers a `delete` (as `db.delete`). */
  async delete(key: KeyInput, options: { ifVersion?: number } = {}): Promise<{ version: number }> {
    const e = await this.mutate({ op: "delete", key, ifVersion: options.ifVersion });
    return { version: e.version };
  }

  /** Buffers a JSON Merge Patch (as `db.patch`); resolves with the document it makes. */
  async patch(key: KeyInput, patch: Json, options: { ifVersion?: number } = {}): Promise<Versioned> {
    return answer(await this.mutate({ op: "patch", key, patch, ifVersion: options.ifVersion }));
  }

  /** Buffers an increment (as `db.incr`); resolves with the number it makes. */
  async incr(key: KeyInput, delta = 1, options: { ifVersion?: number } = {}): Promise<Versioned> {
    return answer(await this.mutate({ op: "incr", key, delta, ifVersion: options.ifVersion }));
  }

  /** Buffers an expiry `ms` after the transaction's snapshot time (resolved again at commit, as `db.expire`). */
  async expire(
    key: KeyInput,
    ms: number,
    options: { ifVersion?: number } = {},
  ): Promise<{ version: number }> {
    const e = await this.mutate({ op: "expire", key, ms, ifVersion: options.ifVersion });
    return { version: e.version };
  }

  /**
   * Buffers `mutations` (any of `db.batch`'s, the JSON path mutations included) in order, all or none: if
   * one fails the transaction is as before the call.
   */
  async batch(mutations: readonly Mutation[]): Promise<void> {
    if (!Array.isArray(mutations) || mutations.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "batch needs a non-empty array of mutations");
    }
    const mark = { writes: this.writes.length, local: new Map(this.local) };
    try {
      for (const m of mutations) await this.mutate(m);
    } catch (err) {
      this.writes.length = mark.writes;
      this.local = mark.local;
      throw err;
    }
  }

  /**
   * Marks the point `rollbackTo(name)` returns to (SQL SAVEPOINT; a repeated name shadows the earlier one).
   * @throws InvalidArgumentError if a write of this transaction is still in flight (await each write).
   */
  savepoint(name: string): void {
    this.assertSettled();
    this.savepoints.push({ name, writes: this.writes.length, local: new Map(this.local) });
  }

  /**
   * Forgets every write made since savepoint `name`, which stays (SQL ROLLBACK TO SAVEPOINT); later
   * savepoints are released. Reads made since are kept for the conflict check (they happened).
   * @throws InvalidArgumentError for an unknown savepoint or a write still in flight.
   */
  rollbackTo(name: string): void {
    this.assertSettled();
    const i = this.savepointIndex(name);
    const sp = this.savepoints[i] as SavepointMark;
    this.savepoints.length = i + 1;
    this.writes.length = sp.writes;
    this.local = new Map(sp.local);
  }

  /** Forgets savepoint `name` and those after it, keeping the writes (SQL RELEASE SAVEPOINT). */
  release(name: string): void {
    this.assertSettled();
    this.savepoints.length = this.savepointIndex(name);
  }

  /** The LSN of the snapshot this attempt reads (every record at or below it). */
  get snapshotLsn(): number {
    return this.reads.pin.lsn;
  }

  /**
   * @internal Checks for conflicts and commits the buffered writes as one record (none if there are none).
   * Resolves with its LSN, or undefined if nothing was written.
   * @throws TxConflictError (attempts 0: the runner counts) and what any write throws.
   */
  async commit(): Promise<number | undefined> {
    this.assertSettled();
    this.ended = true;
    // A read-only attempt under snapshot isolation read one consistent snapshot: nothing to check; nor on a
    // read-only handle, where nothing is ever written.
    if (this.writes.length === 0 && (this.isolation === "snapshot" || this.options.readOnly))
      return undefined;
    const writes = [...this.writes];
    const atMs = this.reads.atMs;
    // Broken variant 'skip-tx-conflicts' (sensitivity tests only): no check at all.
    const check = this.options.recoveryMode !== "skip-tx-conflicts";
    const r = await this.pipeline.commitOp((view, ctx) => {
      const clash = check ? this.conflict() : undefined;
      if (clash !== undefined) throw new TxConflictError(0, keyToText(clash));
      const checked = !check
        ? []
        : this.isolation === "serializable"
          ? [...this.bases.keys()]
          : writes.map((w) => w.key);
      for (const k of checked) {
        // Expiry is not a record: a key that went live or dead by time since the snapshot changed under us.
        if (isLive(this.bases.get(k), atMs) !== isLive(view.get(k), ctx.nowMs))
          throw new TxConflictError(0, keyToText(k));
      }
      const latest = new Map<KeyString, Entry>();
      for (const { key, m } of writes) {
        const current = latest.has(key) ? latest.get(key) : view.get(key);
        latest.set(key, resolveMutation(current, m, ctx.lsn, this.options, ctx.nowMs, ctx.deadFloor(key)));
      }
      const effects: Effect[] = [];
      for (const [key, entry] of latest) effects.push({ key, entry });
      return { effects, result: undefined };
    });
    return r.lsn;
  }

  /**
   * @internal The SQL layer's reads of the engine's own keys (src/sql/, docs/sql.md): the JSON entry at
   * internal key `k` (0x00 0x00 ...), this transaction's write over the snapshot's; read keys are checked at
   * commit under 'serializable' as for {@link get}.
   * @throws AssertionError for a key outside the internal range; as {@link get}.
   */
  async rawGet(k: KeyString): Promise<Json | undefined> {
    assert(isInternalKey(k), "rawGet reads internal keys only");
    this.assertOpen();
    this.readKeys.add(k);
    const mine = this.local.get(k);
    const e = mine !== undefined ? mine : await this.base(k);
    return e === undefined || e.value === undefined ? undefined : (e.value as Json);
  }

  /**
   * @internal Up to `limit` live JSON entries of an internal key range, in key order (descending with
   * `reverse`), this transaction's writes over the snapshot's. Not recorded as a read range (internal keys
   * never are, see {@link conflict}): the SQL layer reads the catalog entries it depends on with rawGet.
   */
  async rawScan(range: KeyRange, limit: number, reverse = false): Promise<[KeyString, Json][]> {
    this.assertOpen();
    const mine: Pair[] = [];
    for (const [k, e] of this.local)
      if (inRange(k, range)) mine.push([k, e.value === undefined ? ABSENT : e]);
    const found = await this.reads.rawScan(range, limit + mine.length, reverse);
    const merged = mergePending(found, mine, { gte: "", lt: "", limit, reverse });
    return merged.map(([k, e]) => [k, e.value as Json]);
  }

  /** @internal Buffers a write (`value`) or a delete (undefined) of internal key `k`; see {@link rawGet}. */
  async rawWrite(k: KeyString, value: Json | undefined): Promise<void> {
    assert(isInternalKey(k), "rawWrite writes internal keys only");
    this.assertOpen();
    const m: Mutation = value === undefined ? { op: "delete", key: "k" } : { op: "set", key: "k", value };
    await this.enqueue(k, captureMutation(m, this.options).mutation);
  }

  /** @internal Ends the attempt (idempotent): later calls throw; what it pinned is released. */
  end(): void {
    this.ended = true;
    this.pipeline.versions.release(this.reads.pin);
  }

  /** The first key written after the snapshot that this transaction must not have seen changed, if any. */
  private conflict(): KeyString | undefined {
    const writeKeys = new Set(this.writes.map((w) => w.key));
    const serializable = this.isolation === "serializable";
    let clash: KeyString | undefined;
    this.pipeline.someWriteAfter(this.reads.pin.lsn, (k) => {
      const hit =
        writeKeys.has(k) ||
        (serializable &&
          (this.readKeys.has(k) || (!isInternalKey(k) && this.ranges.some((r) => inRange(k, r)))));
      if (hit) clash = k;
      return hit;
    });
    return clash;
  }

  /** Captures `m` now, then resolves it after the writes called before it (in call order). */
  private mutate(m: Mutation): Promise<Entry> {
    if (typeof m !== "object" || m === null) {
      return Promise.reject(
        new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a mutation must be an object"),
      );
    }
    let captured: { k: KeyString; mutation: CapturedMutation };
    try {
      const { key, mutation } = captureMutation(m, this.options);
      captured = { k: this.key(key), mutation };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(captured.k, captured.mutation);
  }

  /** Resolves a captured write after the writes called before it (in call order). */
  private enqueue(k: KeyString, mutation: CapturedMutation): Promise<Entry> {
    this.inFlight++;
    const run = this.tail.then(() => this.resolveWrite(k, mutation));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled;
    return run;
  }

  /** Resolves one write on this transaction's state; `inFlight` drops before its promise settles. */
  private async resolveWrite(k: KeyString, mutation: CapturedMutation): Promise<Entry> {
    try {
      const mine = this.local.get(k);
      const base = mine !== undefined ? mine : await this.base(k);
      this.assertOpen();
      const floor = this.pipeline.tree.floor.get(k);
      const lsn = this.reads.pin.lsn + 1; // a placeholder: the commit resolves it again for its own LSN
      const entry = resolveMutation(base, mutation, lsn, this.options, this.reads.atMs, floor);
      this.local.set(k, entry);
      this.writes.push({ key: k, m: mutation });
      return entry;
    } finally {
      this.inFlight--;
    }
  }

  /** The snapshot's entry of `k`, remembered for the commit's expiry check. */
  private async base(k: KeyString): Promise<Entry | undefined> {
    if (this.bases.has(k)) return this.bases.get(k);
    const e = await this.reads.entry(k);
    if (!this.bases.has(k)) this.bases.set(k, e);
    return e;
  }

  private key(key: KeyInput): KeyString {
    const k = toKeyString(key, this.options.keyBytesMax);
    this.assertOpen();
    return k;
  }

  private savepointIndex(name: string): number {
    for (let i = this.savepoints.length - 1; i >= 0; i--) if (this.savepoints[i]?.name === name) return i;
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `no savepoint ${JSON.stringify(name)}`);
  }

  private assertOpen(): void {
    if (this.ended) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "the transaction has ended (commit or retry)",
      );
    }
  }

  private assertSettled(): void {
    this.assertOpen();
    if (this.inFlight > 0) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "a write of this transaction is still in flight: await each write before a savepoint or the end",
      );
    }
  }
}

function answer(e: Entry): Versioned {
  return versionedOf(e.value as Json, e);
}
