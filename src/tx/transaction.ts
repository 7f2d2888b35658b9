/**
 * One attempt of `db.transaction(fn)`: reads at a pinned snapshot (src/tx/snapshot-reads.ts) with the
 * transaction's own writes on top; writes (document mutations and data-type calls, `tx.hashes.hset` and the
 * like) run at once on that state (src/tx/tx-state.ts: errors such as FUSEDB_WRONG_TYPE surface at the call
 * and later reads see them), are buffered in call order, and run again at commit, on the newest state,
 * inside the commit pipeline's prepare step, after an optimistic conflict check:
 * - every isolation: a key this transaction wrote, or that one of its writes read (a data-type write's
 *   answer depends on what it read: SINTERSTORE's sources), was written by a record after its snapshot
 *   (first committer wins: snapshot isolation, Berenson et al. 1995), or such a key changed liveness by
 *   expiry between its snapshot time and the commit time;
 * - 'serializable' also: a key it read, a key inside a range it scanned (up to the last key the scan
 *   returned), or an index entry inside a range it queried, was written by a record after its snapshot. The
 *   transaction then behaves as if it ran at its commit point: backward validation of optimistic
 *   concurrency control (Kung and Robinson 1981), with FoundationDB's read-conflict ranges for scans and
 *   index queries (no phantoms).
 * A collection is guarded by its typed key: every change of a collection writes it (its new version), and
 * every operation on a collection reads it (its generation names the elements).
 * The commit is one WAL record (one `commitOp`), acknowledged after fdatasync like every write.
 */
import { scanArguments } from "../arguments.js";
import type { CommitPipeline, OpContext } from "../commit-pipeline.js";
import type { CapturedMutation, Entry, Mutation } from "../doc/entry.js";
import { captureMutation, isLive } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { isInternalKey, type KeyInput, type KeyString, keyToText, toKeyString } from "../doc/key.js";
import { assert, InvalidArgumentError, TxConflictError, WrongTypeError } from "../errors.js";
import type { IndexQuery } from "../indexes/index-arguments.js";
import type { ResolvedOptions } from "../options.js";
import { inRange, type KeyRange } from "../tree/key-range.js";
import { Txn, type TxnContext } from "../types/txn.js";
import { mergePending, type Pair, type StateView } from "../types/view.js";
import { checkGuard, type WriteGuard } from "../types/write-options.js";
import type { BatchResult, ScanEntry, ScanOptions, SetOptions, Versioned } from "../types.js";
import { answerTimeOf, queryAtSnapshot, scanEntryOf } from "./snapshot-query.js";
import { type SnapshotReads, versionedOf } from "./snapshot-reads.js";
import { type OnCommitCall, onCommitInfo, TxTypes } from "./tx-runner.js";
import { emptyReadSet, firstConflict, TxState } from "./tx-state.js";

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

/** A buffered write, run again at commit: a document mutation, or a data-type operation. */
type TxOp =
  | { readonly key: KeyString; readonly m: CapturedMutation; readonly fn?: undefined }
  | { readonly fn: (t: Txn) => unknown; readonly guard: WriteGuard | undefined };

interface SavepointMark {
  readonly name: string;
  readonly ops: number;
  readonly state: ReturnType<Txn["savepoint"]>;
}

/**
 * A transaction: the handle passed to the callback of `db.transaction`, or the one `db.begin()` returns and
 * the caller ends with `commit()` or `rollback()`; see the module comment.
 */
export class Transaction extends TxTypes {
  private readonly ops: TxOp[] = [];
  private readonly readSet = emptyReadSet();
  private readonly state: TxState;
  private readonly savepoints: SavepointMark[] = [];
  /** Writes whose snapshot read is in flight: savepoints and commit wait for none. */
  private inFlight = 0;
  /** Settles after the last write called so far (writes resolve in call order). */
  private tail: Promise<void> = Promise.resolve();
  private ended = false;
  /** Seeds of the read-only data-type calls (each its own random source). */
  private readCalls = 0;

  /**
   * @internal Built by `db.transaction` (an attempt of its callback) or `db.begin` (`explicit`: the caller
   * ends it with {@link commit} or {@link rollback}).
   */
  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly reads: SnapshotReads,
    readonly isolation: Isolation,
    private readonly options: ResolvedOptions,
    private readonly explicit = false,
  ) {
    super(options);
    this.state = new TxState(reads, this.txnContext(reads.pin.lsn + 1, reads.atMs), this.readSet);
  }

  /**
   * The document under `key`: this transaction's own write, else the snapshot's.
   * @throws SnapshotTooOldError; WrongTypeError (the key holds a data type), IoError, CorruptionError as
   *   `db.get`; InvalidArgumentError for a bad key or a transaction that has ended.
   */
  async get(key: KeyInput): Promise<Versioned | undefined> {
    const k = this.key(key);
    this.readSet.readKeys.add(k);
    const own = this.state.work.ownWrites();
    if (own.has(k)) {
      const mine = own.get(k);
      if (!isLive(mine, this.reads.atMs)) return undefined;
      if (mine.type !== undefined) throw new WrongTypeError(mine.type, "json document");
      return versionedOf(mine.value as Json, mine);
    }
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
    for (const [k, e] of this.state.work.ownWrites()) {
      if (isInternalKey(k) || !inRange(k, range)) continue;
      mine.push([k, isLive(e, this.reads.atMs) && e.type === undefined ? e : ABSENT]);
    }
    const found = await this.reads.scan(range, limit + mine.length, reverse);
    const merged = mergePending(found, mine, { gte: "", lt: "", limit, reverse });
    coveredRange(this.readSet.ranges, range, merged, limit, reverse);
    return merged.map(([k, entry]) => scanEntryOf(k, entry));
  }

  /**
   * Documents found through a secondary index (as `db.query`, docs/indexes.md) at the snapshot, with this
   * transaction's own document writes on top. The index must be ready at the snapshot. Under
   * 'serializable' the run of index entries the answer covered (to the last document returned, if cut by
   * `limit`) is a read-conflict range: a later committer adding, removing or changing an entry inside it
   * (inserting a document the query would now find) is a conflict (no phantoms over index ranges).
   * @throws InvalidArgumentError; IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY; as {@link get}.
   */
  async query(q: IndexQuery): Promise<ScanEntry[]> {
    this.assertOpen();
    const onSnapshot = <T>(fn: (view: StateView) => T): Promise<T> => this.state.onSnapshot(fn);
    const found = await queryAtSnapshot(q, onSnapshot, this.state.work.ownWrites(), {
      nowMs: this.reads.atMs,
      answerTime: () => this.pipeline.answerTime(this.reads.atMs),
      clockFloorMs: () => this.pipeline.clockFloorMs(),
    });
    this.readSet.indexRanges.push(found.covered);
    return found.entries;
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
   * one fails the transaction is as before the call. Resolves as `db.batch` does, but with `lsn` 0 (the
   * record's LSN is known at commit only).
   */
  async batch(mutations: readonly Mutation[]): Promise<BatchResult> {
    if (!Array.isArray(mutations) || mutations.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "batch needs a non-empty array of mutations");
    }
    this.assertOpen();
    const mark = { ops: this.ops.length, state: this.state.work.savepoint() };
    const results: BatchResult["results"] = [];
    try {
      for (const m of mutations) {
        const e = await this.mutate(m);
        results.push({ version: e.version, value: e.value as Json | undefined });
      }
    } catch (err) {
      this.ops.length = mark.ops;
      this.state.work.rollbackTo(mark.state);
      throw err;
    }
    return { lsn: 0, results };
  }

  /**
   * Runs a data-type operation inside the transaction: the low-level entry the namespaces (`tx.hashes`, ...)
   * and the RESP server's transaction commands use. `fn` has the shape `TypesRunner.write`/`read` take
   * (src/types/runner.ts; the server's `typedCommand` produces it): pure over its {@link Txn}, which may run
   * it several times. With `write: true` it runs now on the snapshot plus this transaction's writes (its
   * writes join them; its answer is returned) and again, in call order, at commit on the newest state. With
   * `write: false` it only reads (whatever it writes is dropped), recorded for the conflict check as a read.
   * @throws whatever `fn` throws (the transaction then as before the call); SnapshotTooOldError;
   *   InvalidArgumentError for bad options or a transaction that has ended.
   */
  typed<T>(fn: (t: Txn) => T, options: { write: boolean }): Promise<T> {
    if (typeof fn !== "function" || typeof options?.write !== "boolean") {
      return Promise.reject(
        new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "typed needs a function and { write: boolean }"),
      );
    }
    return options.write ? this.typedWrite(fn, undefined) : this.typedRead(fn);
  }

  /** @internal A data-type write with its compare-and-set guard (src/tx/tx-runner.ts). */
  typedWrite<T>(fn: (t: Txn) => T, guard: WriteGuard | undefined): Promise<T> {
    try {
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const op = (t: Txn): T => {
      if (guard !== undefined) checkGuard(t, guard);
      return fn(t);
    };
    return this.enqueue(async () => {
      const out = await this.state.write(op);
      this.assertOpen();
      this.ops.push({ fn, guard });
      return out;
    });
  }

  /** @internal A read-only data-type call (src/tx/tx-runner.ts). */
  async typedRead<T>(fn: (t: Txn) => T): Promise<T> {
    this.assertOpen();
    const { value, gets, usedTime } = await this.state.read(fn, ++this.readCalls);
    await answerTimeOf(this.pipeline, this.reads.atMs, gets, usedTime);
    return value;
  }

  /**
   * Marks the point `rollbackTo(name)` returns to (SQL SAVEPOINT; a repeated name shadows the earlier one).
   * @throws InvalidArgumentError if a write of this transaction is still in flight (await each write).
   */
  savepoint(name: string): void {
    this.assertSettled();
    this.savepoints.push({ name, ops: this.ops.length, state: this.state.work.savepoint() });
  }

  /**
   * Forgets every write made since savepoint `name` (documents and data types alike), which stays (SQL
   * ROLLBACK TO SAVEPOINT); later savepoints are released. Reads made since are kept for the conflict check
   * (they happened).
   * @throws InvalidArgumentError for an unknown savepoint or a write still in flight.
   */
  rollbackTo(name: string): void {
    this.assertSettled();
    const i = this.savepointIndex(name);
    const sp = this.savepoints[i] as SavepointMark;
    this.savepoints.length = i + 1;
    this.ops.length = sp.ops;
    this.state.work.rollbackTo(sp.state);
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

  /** Whether the transaction has ended (committed, rolled back, or its attempt over): its calls throw. */
  get done(): boolean {
    return this.ended;
  }

  /**
   * Commits a transaction from `db.begin()`: checks for conflicts and writes the buffered writes as one WAL
   * record, acknowledged after fdatasync (none if nothing was written). The transaction ends whatever the
   * outcome, releasing its snapshot; it is never rerun (that is `db.transaction(fn)`'s retry loop).
   * @throws TxConflictError (FUSEDB_TX_CONFLICT, attempts 1) on a conflict, nothing written;
   *   InvalidArgumentError if the transaction has ended, a write is still in flight (the transaction stays
   *   open), or it is `db.transaction`'s (that one commits when its callback returns); SnapshotTooOldError;
   *   the errors of every write (ClosedError, PoisonedError, ReadOnlyError, ...), nothing written.
   */
  async commit(): Promise<void> {
    this.assertExplicit("commit");
    this.assertSettled();
    const versions = this.pipeline.versions;
    try {
      if ((await this.commitRecord()) !== undefined) versions.txCommitted++;
    } catch (err) {
      if (!(err instanceof TxConflictError)) throw err;
      versions.txConflicts++;
      throw new TxConflictError(1, err.key);
    } finally {
      this.end();
    }
  }

  /**
   * Ends a transaction from `db.begin()` without writing anything, releasing its snapshot. Idempotent: a
   * transaction already ended (committed, rolled back) is left as it is.
   * @throws InvalidArgumentError for `db.transaction`'s handle (throw from its callback to roll back).
   */
  rollback(): Promise<void> {
    this.assertExplicit("rollback");
    this.end();
    return Promise.resolve();
  }

  /** `await using tx = db.begin()` rolls back at the end of the block unless committed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.explicit ? this.rollback() : Promise.resolve();
  }

  /**
   * @internal Checks for conflicts and commits the buffered writes as one record (none if there are none),
   * then calls the `onCommit` callbacks of its data-type writes. Resolves with its LSN, or undefined if
   * nothing was written.
   * @throws TxConflictError (attempts 0: the caller counts) and what any write throws.
   */
  async commitRecord(): Promise<number | undefined> {
    this.assertSettled();
    this.ended = true;
    // A read-only attempt under snapshot isolation read one consistent snapshot: nothing to check; nor on a
    // read-only handle, where nothing is ever written.
    if (this.ops.length === 0 && (this.isolation === "snapshot" || this.options.readOnly)) return undefined;
    const ops = [...this.ops];
    const atMs = this.reads.atMs;
    // Broken variant 'skip-tx-conflicts' (sensitivity tests only): no check at all.
    const check = this.options.recoveryMode !== "skip-tx-conflicts";
    const writeKeys = new Set(this.state.work.ownWrites().keys());
    const r = await this.pipeline.commitOp((view, ctx) => {
      const serializable = this.isolation === "serializable";
      const clash = check
        ? firstConflict(this.pipeline, this.reads.pin.lsn, this.readSet, writeKeys, serializable)
        : undefined;
      if (clash !== undefined) throw new TxConflictError(0, keyToText(clash));
      const { bases, writeReads } = this.readSet;
      const checked = this.isolation === "serializable" ? [...bases.keys()] : [...writeKeys, ...writeReads];
      for (const k of check ? checked : []) {
        // Expiry is not a record: a key that went live or dead by time since the snapshot changed under us.
        // Only keys read from the snapshot count (a write reads the keys it depends on); elements and index
        // entries never expire.
        if (isInternalKey(k) || !bases.has(k)) continue;
        if (isLive(bases.get(k), atMs) !== isLive(view.get(k), ctx.nowMs))
          throw new TxConflictError(0, keyToText(k));
      }
      const t = this.newTxn(view, ctx);
      const calls: OnCommitCall[] = [];
      for (const op of ops) {
        if (op.fn === undefined) {
          t.mutateCaptured(op.key, op.m);
          continue;
        }
        const onCommit = op.guard?.onCommit;
        const before = onCommit === undefined ? undefined : new Map(t.ownWrites());
        if (op.guard !== undefined) checkGuard(t, op.guard);
        op.fn(t);
        if (before !== undefined && op.guard !== undefined) calls.push(onCommitInfo(t, op.guard, before));
      }
      return { effects: t.effects(), result: calls };
    });
    for (const c of r.result) c.onCommit({ lsn: r.lsn, ...c.info });
    return r.lsn;
  }

  /** @internal Ends the attempt (idempotent): later calls throw; what it pinned is released. */
  end(): void {
    this.ended = true;
    this.pipeline.versions.release(this.reads.pin);
  }

  /** @internal The namespaces' checks (src/tx/tx-runner.ts): throws once the attempt has ended. */
  assertOpen(): void {
    if (this.ended) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "the transaction has ended (committed, rolled back, or its attempt is over)",
      );
    }
  }

  /** A Txn for a run of this transaction's operations: at a call, or at commit (`ctx` of the record). */
  private newTxn(view: StateView, ctx: OpContext): Txn {
    return new Txn(view, this.txnContext(ctx.lsn, ctx.nowMs, ctx.deadFloor));
  }

  private txnContext(
    lsn: number,
    nowMs: number,
    deadFloor: (k: KeyString) => number = (k) => this.pipeline.tree.floor.get(k),
  ): TxnContext {
    return {
      lsn,
      nowMs,
      deadFloor,
      valueBytesMax: this.options.valueBytesMax,
      // Broken variants (sensitivity tests only), as the database's runner passes them.
      reuseGenerations: this.options.recoveryMode === "reuse-generations",
      staleZsetIndex: this.options.recoveryMode === "stale-zset-index",
      // The same draws at the call and at commit (SPOP and the like answer what they commit).
      rngSeed: Math.imul(this.reads.pin.lsn | 0, 0x9e3779b1) ^ 0x5bd1e995,
    };
  }

  /** Captures `m` now, then resolves it after the writes called before it (in call order). */
  private mutate(m: Mutation): Promise<Entry> {
    if (typeof m !== "object" || m === null) {
      return Promise.reject(
        new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a mutation must be an object"),
      );
    }
    let k: KeyString;
    let mutation: CapturedMutation;
    try {
      const captured = captureMutation(m, this.options);
      k = this.key(captured.key);
      mutation = captured.mutation;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writeCaptured(k, mutation);
  }

  /** Resolves a captured write of `k` after the writes called before it (in call order). */
  private writeCaptured(k: KeyString, mutation: CapturedMutation): Promise<Entry> {
    return this.enqueue(async () => {
      const entry = await this.state.write((t) => t.mutateCaptured(k, mutation));
      this.assertOpen();
      this.ops.push({ key: k, m: mutation });
      return entry;
    });
  }

  /**
   * @internal The SQL layer's reads of the engine's own keys (src/sql/, docs/sql.md): the JSON entry at
   * internal key `k` (0x00 0x00 ...), this transaction's write over the snapshot's. The key is checked at
   * commit under EVERY isolation, as a write's read: a SQL statement's writes depend on what it read (the
   * catalog, a foreign key's parent row, a unique entry), so a concurrent change to it is a conflict.
   * @throws AssertionError for a key outside the internal range; as {@link get}.
   */
  async rawGet(k: KeyString): Promise<Json | undefined> {
    assert(isInternalKey(k), "rawGet reads internal keys only");
    this.assertOpen();
    this.readSet.writeReads.add(k);
    const own = this.state.work.ownWrites();
    const e = own.has(k) ? own.get(k) : await this.base(k);
    return e === undefined || e.value === undefined ? undefined : (e.value as Json);
  }

  /**
   * @internal Up to `limit` live JSON entries of an internal key range, in key order (descending with
   * `reverse`), this transaction's writes over the snapshot's. The range covered (to the last key returned
   * when `limit` cut it) is checked at commit under every isolation, as {@link rawGet}'s keys: an insert into
   * a scanned range by a concurrent committer (a child row of a parent being deleted) is a conflict.
   */
  async rawScan(range: KeyRange, limit: number, reverse = false): Promise<[KeyString, Json][]> {
    this.assertOpen();
    const mine: Pair[] = [];
    for (const [k, e] of this.state.work.ownWrites())
      if (inRange(k, range)) mine.push([k, e.value === undefined ? ABSENT : e]);
    const found = await this.reads.rawScan(range, limit + mine.length, reverse);
    const merged = mergePending(found, mine, { gte: "", lt: "", limit, reverse });
    coveredRange(this.readSet.rawRanges, range, merged, limit, reverse);
    return merged.map(([k, e]) => [k, e.value as Json]);
  }

  /** @internal Buffers a write (`value`) or a delete (undefined) of internal key `k`; see {@link rawGet}. */
  async rawWrite(k: KeyString, value: Json | undefined): Promise<void> {
    assert(isInternalKey(k), "rawWrite writes internal keys only");
    this.assertOpen();
    const m: Mutation = value === undefined ? { op: "delete", key: "k" } : { op: "set", key: "k", value };
    await this.writeCaptured(k, captureMutation(m, this.options).mutation);
  }

  /** Runs `step` after the writes called before it; `inFlight` drops before its promise settles. */
  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const run = this.tail.then(async () => {
      try {
        return await step();
      } finally {
        this.inFlight--;
      }
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The snapshot's entry of `k`, remembered for the commit's expiry check. */
  private async base(k: KeyString): Promise<Entry | undefined> {
    const bases = this.readSet.bases;
    if (bases.has(k)) return bases.get(k);
    const e = await this.reads.entry(k);
    if (!bases.has(k)) bases.set(k, e);
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

  private assertExplicit(what: string): void {
    if (!this.explicit) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        `${what} is for db.begin()'s transactions: db.transaction(fn) commits when fn returns, and rolls back if it throws`,
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

/**
 * Records in `ranges` the part of `range` a scan covered: all of it, or (cut by `limit`) up to the last key it
 * returned, for the conflict check at commit.
 */
function coveredRange(
  ranges: KeyRange[],
  range: KeyRange,
  got: Pair[],
  limit: number,
  reverse: boolean,
): void {
  const last = got[got.length - 1];
  if (got.length < limit || last === undefined) ranges.push(range);
  else if (reverse) ranges.push({ ...range, gt: undefined, gte: last[0] });
  else ranges.push({ ...range, lt: undefined, lte: last[0] });
}
