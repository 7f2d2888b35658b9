/**
 * The write path between the facade (src/db.ts) and the log and tree (DESIGN.md durability contract):
 * 1. Mutations are prepared one at a time in call order. Each resolves against the newest state, including
 *    mutations already prepared but not yet durable (the overlay), so same-key mutations inside one group
 *    commit each get their own version and compose in order.
 * 2. The resolved effects become one WAL record (an atomic batch), queued for group commit.
 * 3. Once the record is durable the effects are applied to the leaf's buffer (visible to readers) and
 *    dispatched to subscribers, and only then does the caller's promise resolve. Readers never see the
 *    overlay. In durability mode 'relaxed' step 3 may run before the fdatasync, within a bounded window
 *    (`relaxedUnsyncedMax`); in mode 'memory' there is no file at all.
 *
 * While a write hook is active (secondary indexes: src/indexes/indexes.ts) every write, document writes
 * included, resolves as an operation over a view and the hook adds its index changes to the same record.
 *
 * The pipeline owns the tree it writes into: it builds it, handing it a host whose answers (applied LSN,
 * expiry horizon, poison) come from the pipeline, so nothing is wired after construction.
 */

import { type BaseRead, BaseReads } from "./base-reads.js";
import type { CapturedMutation, Entry } from "./doc/entry.js";
import { isLive, resolveMutation } from "./doc/entry.js";
import type { KeyString } from "./doc/key.js";
import type { VersionFloor } from "./doc/version-floor.js";
import {
  asIoError,
  assert,
  ClosedError,
  CorruptionError,
  InvalidArgumentError,
  IoError,
  PoisonedError,
  ReadOnlyError,
} from "./errors.js";
import type { Clock } from "./io/clock.js";
import type { FileSystem } from "./io/file-system.js";
import type { ResolvedOptions } from "./options.js";
import type { SubscriptionHub } from "./reactive/subscriptions.js";
import { NOT_IN_MEMORY, type Tree, type TreeHost } from "./tree/tree.js";
import { type PreImage, TxVersions, UNKNOWN_PRE_IMAGE } from "./tx/versions.js";
import { deadElementCheck } from "./types/dead-elements.js";
import {
  CachingView,
  NOT_NOW,
  type Pair,
  runOn,
  type StateView,
  tryNow,
  type ViewSource,
} from "./types/view.js";
import type { BatchResult } from "./types.js";
import { mark } from "./util/coverage.js";
import { type Effect, encodeTimedBatch } from "./wal/batch-codec.js";
import type { CommitLog } from "./wal/commit-log.js";
import { RECORD_PAYLOAD_BYTES_MAX, RecordType } from "./wal/format.js";
import type { WalWriter } from "./wal/wal-writer.js";

/** What a data-type operation resolves with: the record's effects and the caller's answer. */
export interface OpOutcome<T> {
  effects: Effect[];
  result: T;
}

/** The call an operation resolves for: the LSN its record will take, its time, the dead-version floor. */
export interface OpContext {
  lsn: number;
  nowMs: number;
  deadFloor: (key: KeyString) => number;
}

/** A data-type operation: pure over the view, rerun after reads (src/types/view.ts). */
export type ResolveOp<T> = (view: StateView, ctx: OpContext) => OpOutcome<T>;

/**
 * What every write passes through while `active` (secondary indexes, src/indexes/): `extend` adds to a
 * record's effects, on the state it resolved against, before it is appended (it may refuse the record by
 * throwing, and may throw NeedRead like an operation); `appended` sees each record appended, in LSN order.
 */
export interface WriteHook {
  readonly active: boolean;
  extend(view: StateView, effects: Effect[], ctx: OpContext): Effect[];
  appended(effects: readonly Effect[]): void;
}

/** What {@link CommitPipeline.commitOp} resolves to: the record's LSN (undefined: no change) and the answer. */
export interface OpResult<T> {
  lsn: number | undefined;
  result: T;
}

interface Prepared<T> {
  /** Resolves when the caller may be acknowledged (durable, or visible in mode 'relaxed'). */
  acked: Promise<void>;
  value: T;
}

/** A record appended to the log and not yet visible, in LSN order. */
interface Unapplied {
  lsn: number;
  /** Engine clock ms of the call, logged with the record. */
  callMs: number;
  effects: Effect[];
  durable: boolean;
  visible: () => void;
  /** Pre-images of `effects` (by index), captured at append while a snapshot was live (src/tx/versions.ts). */
  pre?: PreImage[];
  /**
   * What the call read to resolve (the newest state of those keys then), kept by reference while the record
   * is unapplied: a snapshot pinned between append and apply takes its pre-images from it, even when memory
   * no longer holds them (found by seed txci-36: the read came from disk, the caches were tiny).
   */
  read?: ReadonlyMap<KeyString, Entry | undefined>;
}

const noop = (): void => undefined;

/** The base of each key of a call, by the key's index (memory or a settled read; undefined: no entry). */
type Bases = (Entry | undefined)[];

/** `unapplied` drops its visible prefix once it is longer than this and more than half the array. */
const UNAPPLIED_COMPACT_MIN = 1024;

/** Call order to visibility: see the module comment. One per open database. */
export class CommitPipeline {
  /** The tree the pipeline writes into (and the facade reads from). */
  readonly tree: Tree;
  /** Old versions and recent writes kept for live snapshots and transactions (src/tx/versions.ts). */
  readonly versions: TxVersions;
  /** Resolved but not yet visible entries, newest per key. Bounded by the calls in flight. */
  private readonly overlay = new Map<KeyString, Entry>();
  private prepTail: Promise<void> = Promise.resolve();
  /** When the last record appended may be acknowledged (what an operation that changes nothing waits for). */
  private lastAcked: Promise<void> = Promise.resolve();
  /** Base reads in flight or held by queued calls; bounded by the calls in flight. */
  private readonly baseReads: BaseReads;
  /** Calls waiting in the prepare queue. Equals `queuedCallMs.length`. */
  private prepQueued = 0;
  /**
   * Call times of the calls queued for prepare, oldest first (FIFO, bounded by the calls in flight). Expired
   * documents are turned into tombstones only up to the oldest of them, so a queued call still resolves on
   * what was live at its call time.
   */
  private readonly queuedCallMs: number[] = [];
  private closedFlag = false;
  private userBytesCount = 0;
  private poisonError: PoisonedError | CorruptionError | undefined;
  private applied: number;
  /** LSN of the last record appended (the tail of `unapplied`). */
  private appendedLsn: number;
  /** Records appended but not yet visible, LSN order, from `head` on. Bounded by the calls in flight. */
  private readonly unapplied: (Unapplied | undefined)[] = [];
  private head = 0;
  /** Mode 'relaxed': records visible (acknowledged) but not yet durable; at most relaxedUnsyncedMax. */
  private visibleUnsynced = 0;
  /**
   * The dead-version floor as of the last record appended (src/doc/version-floor.ts): raised by each
   * prepared call's effects, in commit order. The tree keeps the floor of the visible records.
   */
  private readonly resolveFloor: VersionFloor;
  /**
   * The durable clock floor: the largest of the call times of durable records, the times reads waited for
   * (made durable in a WAL header slot) and the floor recovered at open (manifest, WAL slots, replayed
   * records). No answer and no background expiry depends on a time above it (see `answerTime`).
   */
  private durableFloorMs: number;
  /** Set once by the index layer (src/indexes/indexes.ts); while active every write goes through it. */
  writeHook: WriteHook | undefined;

  /**
   * @param clock the engine clock (monotonic, src/engine-clock.ts), started at `clockFloorMs`.
   * @param makeTree builds the tree over a host answered by this pipeline (see {@link diskTreeHost}); it runs
   *   last in the constructor, once every field the host reads is set.
   * @param clockFloorMs the durable clock floor recovered at open (0 for a new or in-memory database).
   */
  constructor(
    private readonly clock: Clock,
    private readonly options: ResolvedOptions,
    private readonly wal: CommitLog,
    private readonly hub: SubscriptionHub,
    makeTree: (pipeline: CommitPipeline) => Tree,
    clockFloorMs = 0,
  ) {
    this.durableFloorMs = clockFloorMs;
    this.versions = new TxVersions(options.snapshotBytesMax);
    assert(clock.now() >= clockFloorMs, "the engine clock starts at or above the durable floor");
    this.applied = wal.durableLsn;
    this.appendedLsn = wal.nextLsnPreview - 1;
    assert(this.appendedLsn === this.applied, "a new pipeline starts with every record visible");
    this.tree = makeTree(this);
    // Every record is visible now: the floor the next call resolves on is the tree's.
    this.resolveFloor = this.tree.floor.copy();
    this.baseReads = new BaseReads((k) => this.tree.get(k));
  }

  /** LSN of the last record whose effects are visible. */
  get appliedLsn(): number {
    return this.applied;
  }

  /** Bytes of keys and documents written by the callers' mutations. */
  get userBytes(): number {
    return this.userBytesCount;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Resolves `mutations` (captured at the call, with their keys) in call order and commits them as one record.
   * Resolves once the caller may be acknowledged (durable; visible in mode 'relaxed').
   * @throws ClosedError, PoisonedError, CorruptionError, and the mutation errors of `resolveMutation`.
   */
  commit(mutations: readonly CapturedMutation[], keys: readonly KeyString[]): Promise<BatchResult> {
    assert(mutations.length === keys.length, "one key per mutation");
    this.assertWritable();
    // Indexes need every write resolved on a view (reads for maintenance, probes for uniqueness).
    if (this.writeHook?.active) return this.commitOp(this.documentOp(mutations, keys)).then((r) => r.result);
    // The time of the call: expiries are relative to it, and so is "expired" while resolving. Calls are
    // prepared in call order and the clock never goes back, so resolution times follow commit order.
    const nowMs = this.clock.now();
    // Gradual backpressure (buffers past half their budget): the call waits for a slice of background work
    // inside the prepare queue, so calls still take effect in call order.
    const throttle = this.tree.backpressure();
    const ready = this.basesNow(keys, throttle);
    if (ready === undefined) return this.commitQueued(mutations, keys, nowMs, throttle);
    // The fast path has no async frame: one `then` on the record's durable promise (issue 13 point 5).
    let prepared: Prepared<BatchResult>;
    try {
      prepared = this.prepare(mutations, keys, ready, nowMs);
    } catch (err) {
      return this.refusal(err);
    }
    return prepared.acked.then(() => prepared.value);
  }

  /**
   * Commits a data-type operation (src/types/): `op` resolves against the newest state (pending records
   * included) through a {@link StateView} and returns its effects, which become one WAL record (none if it
   * changes nothing). Like {@link commit}, calls take effect in call order; an operation whose reads memory
   * cannot answer waits in the prepare queue and is rerun after each read (src/types/view.ts).
   * Resolves once the caller may be acknowledged; an operation that changes nothing resolves once every
   * record it may have read is durable (its answer may depend on them).
   * @throws ClosedError, PoisonedError, CorruptionError, IoError as {@link commit}; whatever `op` throws.
   */
  commitOp<T>(resolve: ResolveOp<T>): Promise<OpResult<T>> {
    this.assertWritable();
    const op = this.hooked(resolve);
    const nowMs = this.clock.now();
    const throttle = this.tree.backpressure();
    if (throttle === undefined && this.prepQueued === 0) {
      const view = new CachingView(this.viewSource(nowMs));
      const lsn = this.wal.nextLsnPreview;
      let done: { value: OpOutcome<T> } | undefined;
      try {
        done = tryNow(view, (v) => op(v, { lsn, nowMs, deadFloor: (k) => this.resolveFloor.get(k) }));
      } catch (err) {
        return this.refusal(err);
      }
      if (done !== undefined) return this.finishOp(done.value, lsn, nowMs, view.gets);
    }
    const run = this.prepTail.then(async () => {
      try {
        await throttle;
        const view = new CachingView(this.viewSource(nowMs));
        for (;;) {
          this.assertWritable();
          const lsn = this.wal.nextLsnPreview;
          const ctx: OpContext = { lsn, nowMs, deadFloor: (k) => this.resolveFloor.get(k) };
          // Runs in memory first, then after each read it asks for; the operation's refusal and a failed read
          // are thrown from here. The outcome is appended at once (finishOp's first step is synchronous).
          let outcome: OpOutcome<T>;
          try {
            outcome = await runOn(view, (v) => op(v, ctx));
          } catch (err) {
            // The queue moves on; the caller hears the refusal once what it may have read is acknowledged.
            return { acked: this.refusal(err), value: undefined as never };
          }
          this.assertWritable();
          // Nothing is appended while a queued call runs (the prepare queue is serial and the fast path waits
          // for it), so the LSN resolved for is still the next one; should that ever fail, resolve again.
          // The queue moves on once the record is appended; the caller alone waits for durability (group
          // commit: the next queued call joins the same fdatasync).
          if (lsn === this.wal.nextLsnPreview) return this.appendOutcome(outcome, lsn, nowMs, view.gets);
        }
      } finally {
        this.prepQueued--;
        this.queuedCallMs.shift();
      }
    });
    this.prepQueued++;
    this.queuedCallMs.push(nowMs);
    this.prepTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.then(async (prepared) => {
      await prepared.acked;
      return prepared.value;
    });
  }

  /** `op` with the write hook's `extend` after it (decided when it resolves: an index may appear meanwhile). */
  private hooked<T>(op: ResolveOp<T>): ResolveOp<T> {
    const hook = this.writeHook;
    if (hook === undefined) return op;
    return (view, ctx) => {
      const out = op(view, ctx);
      return hook.active ? { effects: hook.extend(view, out.effects, ctx), result: out.result } : out;
    };
  }

  /** Document mutations as an operation: the same resolution as {@link prepare}, bases from the view. */
  private documentOp(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
  ): ResolveOp<BatchResult> {
    return (view, ctx) => {
      const bases = keys.map((k) => view.get(k));
      const { effects, results } = this.resolveAll(mutations, keys, bases, ctx.lsn, ctx.nowMs);
      return { effects, result: { lsn: ctx.lsn, results } };
    };
  }

  /**
   * A queued document write that finds the write hook active when its turn comes (an index was created
   * after the call was queued): resolved as an operation, in place, then appended.
   */
  private async prepareHooked(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
    nowMs: number,
  ): Promise<Prepared<BatchResult>> {
    const op = this.hooked(this.documentOp(mutations, keys));
    const view = new CachingView(this.viewSource(nowMs));
    // Bounded as commitOp's loop: nothing else is appended while a queued call runs.
    for (;;) {
      this.assertWritable();
      const lsn = this.wal.nextLsnPreview;
      const ctx: OpContext = { lsn, nowMs, deadFloor: (k) => this.resolveFloor.get(k) };
      const outcome = await runOn(view, (v) => op(v, ctx));
      this.assertWritable();
      if (lsn === this.wal.nextLsnPreview)
        return this.append(outcome.effects, lsn, nowMs, outcome.result, view.gets);
    }
  }

  /** Appends an operation's effects (if any) and waits until it may be acknowledged. */
  private finishOp<T>(
    outcome: OpOutcome<T>,
    lsn: number,
    nowMs: number,
    read: ReadonlyMap<KeyString, Entry | undefined>,
  ): Promise<OpResult<T>> {
    // No async frame (every data-type write comes here): one `then` on the acknowledgement. A refusal of
    // `append` (nothing changed) becomes the promise's rejection, as from an async function.
    let prepared: Prepared<OpResult<T>>;
    try {
      prepared = this.appendOutcome(outcome, lsn, nowMs, read);
    } catch (err) {
      return Promise.reject(err);
    }
    return prepared.acked.then(() => prepared.value);
  }

  /**
   * Synchronous: appends an operation's effects, if any. An operation that changes nothing may be
   * acknowledged once every record appended before it is (its answer may depend on them).
   */
  private appendOutcome<T>(
    outcome: OpOutcome<T>,
    lsn: number,
    nowMs: number,
    read: ReadonlyMap<KeyString, Entry | undefined>,
  ): Prepared<OpResult<T>> {
    if (outcome.effects.length === 0) {
      const acked = this.appendedLsn > this.applied ? this.lastAcked : Promise.resolve();
      return { acked, value: { lsn: undefined, result: outcome.result } };
    }
    return this.append(outcome.effects, lsn, nowMs, { lsn, result: outcome.result }, read);
  }

  /** The newest state for operations: the overlay over the tree. Read failures poison (see awaitBaseReads). */
  private viewSource(nowMs: number): ViewSource {
    return {
      pending: (k) => this.overlay.get(k),
      pendingIn: (gte, lt) => {
        const out: Pair[] = [];
        for (const [k, e] of this.overlay) if (k >= gte && k < lt) out.push([k, e]);
        return out;
      },
      now: (k) => {
        const found = this.lookupPendingMemory(k);
        return found === NOT_IN_MEMORY ? NOT_NOW : found;
      },
      read: (k) =>
        this.tree.get(k).catch((err: unknown) => {
          throw this.readFailed(err);
        }),
      scan: (req) =>
        this.tree.scan({ gte: req.gte, lt: req.lt }, req.limit, req.reverse, nowMs).catch((err: unknown) => {
          throw this.readFailed(err);
        }),
      // A scan memory (or a synchronous block read) answers keeps the operation on the fast path of
      // commitOp (issue 14: every scanning operation used to wait for an asynchronous scan in the queue).
      scanNow: (req) => {
        let found: ReturnType<Tree["scanNow"]>;
        try {
          found = this.tree.scanNow({ gte: req.gte, lt: req.lt }, req.limit, req.reverse, nowMs);
        } catch (err) {
          throw this.readFailed(err);
        }
        return found === NOT_IN_MEMORY ? NOT_NOW : found;
      },
    };
  }

  /** {@link commit} for a call that waits in the prepare queue. */
  private async commitQueued(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
    nowMs: number,
    throttle: Promise<void> | undefined,
  ): Promise<BatchResult> {
    let prepared: Prepared<BatchResult>;
    try {
      prepared = await this.enqueuePrepare(mutations, keys, nowMs, throttle);
    } catch (err) {
      return this.refusal(err);
    }
    await prepared.acked;
    return prepared.value;
  }

  /**
   * A call refused on the newest state (a version conflict, WRONGTYPE, a unique violation, a transaction
   * conflict): rejected with `err` once every record appended before it may be acknowledged, as an answer
   * that changes nothing waits (see {@link appendOutcome}). The refusal may reveal a record not yet durable
   * (the version a conflict names), and a crash must not take back what a caller saw (the durability contract, README).
   * If the log fails meanwhile, the poison error is thrown instead.
   */
  private refusal(err: unknown): Promise<never> {
    if (this.appendedLsn <= this.applied) return Promise.reject(err);
    return this.lastAcked.then(() => {
      throw err;
    });
  }

  /**
   * Stops the pipeline (later calls throw ClosedError; queued ones too, once they reach prepare) and waits
   * until every queued call is prepared or rejected.
   */
  async close(): Promise<void> {
    this.closedFlag = true;
    await this.prepTail;
  }

  /**
   * Stops writes for good: every later write throws the returned error. The first cause wins: damage
   * (CorruptionError) as it is, else the log's own poison if it failed first, else a PoisonedError naming
   * `cause`.
   */
  poison(cause: unknown): PoisonedError | CorruptionError {
    this.poisonError ??=
      cause instanceof CorruptionError ? cause : (this.wal.poisoned ?? new PoisonedError(cause));
    return this.poisonError;
  }

  /**
   * @param operation what asks, for the message of a refusal.
   * @throws ClosedError after close; ReadOnlyError (FUSEDB_READ_ONLY) on a read-only database; the poison
   *   error once poisoned (here or in the log).
   */
  assertWritable(operation = "write"): void {
    if (this.closedFlag) throw new ClosedError();
    if (this.options.readOnly) throw new ReadOnlyError(operation);
    const poisoned = this.poisonError ?? this.wal.poisoned;
    if (poisoned) throw poisoned;
  }

  /**
   * Expiry horizon for background work: no older than any queued call's time (see queuedCallMs), since a
   * queued call still resolves on what was live at its call time; later calls are newer.
   */
  expiryHorizonMs(): number {
    const now = Math.min(
      this.clock.now(),
      this.queuedCallMs[0] ?? Number.POSITIVE_INFINITY,
      this.versions.oldestAtMs(), // a live snapshot still reads documents live at its time
    );
    // Never above the durable clock floor: a document removed as expired stays expired after a restart
    // whose clock stepped back.
    return Math.min(now, this.clockFloorMs());
  }

  /**
   * The durable clock floor (see `durableFloorMs`). In mode 'memory' and on a read-only handle nothing
   * outlives the process, so the floor is the engine clock itself.
   */
  clockFloorMs(): number {
    if (this.options.durability === "memory" || this.options.readOnly) return this.clock.now();
    return this.durableFloorMs;
  }

  /**
   * The time a read may answer at, when its answer would depend on time up to `nowMs` (a document expired at
   * `nowMs` but live at the durable floor; a TTL): `nowMs`, once a clock floor of at least `nowMs` is durable
   * (the log makes it durable in a WAL header slot, with the next group commit or a floor-only commit: no
   * record, no LSN, so nothing a caller sees depends on whether or when it happened), so the answer never
   * changes after a restart whose clock stepped back.
   * @throws ClosedError after close; the poison error (PoisonedError, CorruptionError) once poisoned, here or
   *   in the log: a time that cannot be made durable is never answered on (a restart under a clock set back
   *   could contradict the answer).
   */
  async answerTime(nowMs: number): Promise<number> {
    if (nowMs <= this.clockFloorMs()) return nowMs;
    mark("clock.floor-logged");
    try {
      if (this.closedFlag) throw new ClosedError();
      const poisoned = this.poisonError ?? this.wal.poisoned;
      if (poisoned) throw poisoned;
      await this.wal.waitClockFloor(nowMs);
    } catch (err) {
      mark("clock.floor-not-durable");
      throw err;
    }
    this.durableFloorMs = Math.max(this.durableFloorMs, nowMs);
    return nowMs;
  }

  /**
   * Fast path: with nothing queued ahead and no throttle, every key's base if each can be had without
   * waiting (memory, or a block read on the calling thread); else undefined (the call queues).
   * @throws as {@link lookupPendingMemory}.
   */
  private basesNow(keys: readonly KeyString[], throttle: Promise<void> | undefined): Bases | undefined {
    if (throttle !== undefined) return undefined;
    if (this.prepQueued > 0) return undefined;
    const bases: Bases = [];
    for (const k of keys) {
      const found = this.lookupPendingMemory(k);
      if (found === NOT_IN_MEMORY) return undefined;
      bases.push(found);
    }
    return bases;
  }

  private enqueuePrepare(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
    nowMs: number,
    throttle: Promise<void> | undefined,
  ): Promise<Prepared<BatchResult>> {
    // Read-before-write starts now, at the call, in parallel with the calls queued ahead (see BaseRead).
    const held = new Map<KeyString, BaseRead>();
    try {
      for (const k of keys) {
        if (!held.has(k) && this.lookupPendingMemory(k) === NOT_IN_MEMORY)
          held.set(k, this.baseReads.start(k));
      }
    } catch (err) {
      for (const [k, read] of held) this.baseReads.release(k, read);
      throw err;
    }
    this.prepQueued++;
    this.queuedCallMs.push(nowMs);
    assert(this.queuedCallMs.length === this.prepQueued, "one call time per queued call");
    const run = this.prepTail.then(async () => {
      try {
        await throttle;
        if (this.writeHook?.active) return await this.prepareHooked(mutations, keys, nowMs);
        // Bounded: a pass ends with prepare unless a record touching a key still to be read was applied
        // while it was read (see validBases); the records ahead of this call are finite.
        for (;;) {
          await this.awaitBaseReads(keys, held);
          this.assertWritable();
          const bases = this.validBases(keys, held);
          if (bases !== undefined) return this.prepare(mutations, keys, bases, nowMs);
        }
      } finally {
        for (const [k, read] of held) this.baseReads.release(k, read);
        this.prepQueued--;
        this.queuedCallMs.shift();
        assert(this.queuedCallMs.length === this.prepQueued, "one call time per queued call");
      }
    });
    this.prepTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Waits until every key of `keys` that memory cannot answer has a settled read that is not stale,
   * starting a new read for a key whose held one went stale (a record touching it was applied meanwhile).
   * @throws the read's error, after poisoning: calls take effect in call order, so if this one cannot
   *   resolve none after it may either. Damage as CorruptionError; an I/O failure as IoError (FUSEDB_IO,
   *   the OS error as its cause) for this call, which changed nothing, and FUSEDB_POISONED for every later
   *   write.
   */
  private async awaitBaseReads(keys: readonly KeyString[], held: Map<KeyString, BaseRead>): Promise<void> {
    try {
      for (const k of keys) {
        if (this.lookupPendingMemory(k) !== NOT_IN_MEMORY) continue;
        let read = held.get(k);
        if (read?.stale) {
          this.baseReads.release(k, read);
          read = undefined;
        }
        if (read === undefined) {
          read = this.baseReads.start(k);
          held.set(k, read);
        }
        await read.done;
      }
    } catch (err) {
      throw err instanceof IoError || err === this.poisonError ? err : this.readFailed(err);
    }
  }

  /**
   * Synchronous, just before prepare: each key's base from memory (the overlay, the tree's buffers, row
   * cache and cached blocks: always the newest), else from its held read, which is the newest unless a
   * record touching the key was applied since the read began (`stale`): a flush may have moved that
   * record out of memory since. Undefined if some key needs another read (a stale or unsettled one).
   */
  private validBases(keys: readonly KeyString[], held: Map<KeyString, BaseRead>): Bases | undefined {
    const bases: Bases = [];
    for (const k of keys) {
      const mem = this.lookupPendingMemory(k);
      if (mem !== NOT_IN_MEMORY) {
        bases.push(mem);
        continue;
      }
      const read = held.get(k);
      if (read === undefined || read.stale || !read.settled) return undefined;
      bases.push(read.value);
    }
    return bases;
  }

  /** Synchronous: resolves every mutation, appends the record, updates the overlay. Throws → no change. */
  private prepare(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
    bases: Bases,
    nowMs: number,
  ): Prepared<BatchResult> {
    const lsn = this.wal.nextLsnPreview;
    const { effects, results } = this.resolveAll(mutations, keys, bases, lsn, nowMs);
    const read = new Map<KeyString, Entry | undefined>();
    keys.forEach((k, i) => {
      if (!read.has(k)) read.set(k, bases[i]);
    });
    return this.append(effects, lsn, nowMs, { lsn, results }, read);
  }

  /**
   * Appends one record holding `effects` (resolved for `lsn`, the log's next) and updates the overlay.
   * `read`: the newest state of the keys the call read to resolve (the pre-images of those it writes, even
   * when memory no longer holds them: a base read from disk through a view or a queued read).
   * Synchronous; throws → nothing changed. Resolves `acked` once the caller may be acknowledged.
   */
  private append<T>(
    effects: Effect[],
    lsn: number,
    nowMs: number,
    value: T,
    read?: ReadonlyMap<KeyString, Entry | undefined>,
  ): Prepared<T> {
    assert(lsn === this.wal.nextLsnPreview, "effects resolved for the next LSN");
    let bytes = 0;
    for (const { key, entry } of effects) bytes += key.length + (entry.text?.length ?? 0);
    const payload = encodeTimedBatch(nowMs, effects);
    if (payload.length > RECORD_PAYLOAD_BYTES_MAX) {
      throw new InvalidArgumentError(
        "FUSEDB_VALUE_TOO_LARGE",
        `batch of ${payload.length} bytes is too large`,
      );
    }
    const record: Unapplied = { lsn, callMs: nowMs, effects, durable: false, visible: noop };
    if (this.versions.pinned) record.pre = effects.map(({ key }) => this.preImageAtAppend(key, read));
    else record.read = read;
    // Only mode 'relaxed' waits for visibility: a promise per record there, none otherwise.
    const becameVisible =
      this.options.durability === "relaxed"
        ? new Promise<void>((resolve) => {
            record.visible = resolve;
          })
        : undefined;
    this.wal.noteClockFloor(nowMs); // the slot written with this record's group carries its time too
    const appended = this.wal.append(RecordType.TimedBatch, payload, () => this.onDurable(record));
    assert(appended.lsn === lsn, "LSN preview matches the appended record");
    assert(lsn === this.appendedLsn + 1, "records are appended in LSN order");
    this.appendedLsn = lsn;
    this.unapplied.push(record);
    this.userBytesCount += bytes;
    for (const { key, entry } of effects) {
      this.overlay.set(key, entry);
      this.resolveFloor.raiseBy(key, entry);
    }
    this.writeHook?.appended(effects);
    if (becameVisible === undefined) {
      this.lastAcked = appended.durable;
      return { acked: appended.durable, value };
    }
    this.pump();
    // Relaxed: acknowledged once visible, or rejected if the log fails first. A failure after the
    // acknowledgement is the documented loss window; later calls see the poison.
    const acked = Promise.race([becameVisible, appended.durable.then(() => becameVisible)]);
    this.lastAcked = acked;
    return { acked, value };
  }

  /** The log made `record` durable (LSN order). */
  private onDurable(record: Unapplied): void {
    record.durable = true;
    this.durableFloorMs = Math.max(this.durableFloorMs, record.callMs);
    if (record.lsn <= this.applied) {
      // Already visible (mode 'relaxed'): it leaves the unsynced window.
      this.visibleUnsynced--;
      assert(this.visibleUnsynced >= 0, "the relaxed window never goes below zero");
      return;
    }
    this.pump();
    assert(record.lsn <= this.applied, "a durable record is visible");
  }

  /**
   * Makes records visible in LSN order: every durable one, and in mode 'relaxed' also undurable ones while
   * fewer than `relaxedUnsyncedMax` visible records are unsynced. Bounded by the records appended.
   */
  private pump(): void {
    for (;;) {
      const next = this.unapplied[this.head];
      if (next === undefined) break;
      if (!next.durable) {
        if (!this.mayShowUnsynced()) break;
        this.visibleUnsynced++;
        assert(this.visibleUnsynced <= this.options.relaxedUnsyncedMax, "the relaxed window is bounded");
      }
      this.unapplied[this.head++] = undefined;
      this.apply(next.lsn, next.effects, next.pre, next.read);
      next.visible();
    }
    assert(this.head <= this.unapplied.length, "the head stays inside the queue");
    if (this.head <= UNAPPLIED_COMPACT_MIN) return;
    if (this.head * 2 <= this.unapplied.length) return;
    this.unapplied.splice(0, this.head);
    this.head = 0;
  }

  /** Mode 'relaxed' only: an undurable record may become visible while the log is healthy and the window has room. */
  private mayShowUnsynced(): boolean {
    if (this.options.durability !== "relaxed") return false;
    if (this.wal.poisoned !== undefined) return false;
    return this.visibleUnsynced < this.options.relaxedUnsyncedMax;
  }

  /** Makes one record's effects visible to readers and subscribers. */
  private apply(
    lsn: number,
    effects: Effect[],
    pre: PreImage[] | undefined,
    read: ReadonlyMap<KeyString, Entry | undefined> | undefined,
  ): void {
    assert(lsn === this.applied + 1, "records become visible in LSN order");
    this.applied = lsn;
    if (this.options.durability !== "relaxed") {
      assert(this.applied <= this.wal.durableLsn, "outside mode 'relaxed' only durable records are visible");
    }
    if (this.versions.pinned)
      this.versions.onApply(lsn, effects, (k, i) => this.preImageAtApply(k, pre, i, read));
    for (const { key, entry } of effects) {
      this.tree.apply(key, entry);
      if (this.overlay.get(key)?.lsn === lsn) this.overlay.delete(key);
      this.baseReads.applied(key);
    }
    this.hub.dispatch(lsn, effects);
  }

  /**
   * The key's newest entry, pending ones included, if it can be had without waiting: the overlay, else the
   * tree's memory or a block read on the calling thread ({@link Tree.readNow}); else NOT_IN_MEMORY.
   * @throws as {@link awaitBaseReads}, after poisoning, if a synchronous read fails.
   */
  private lookupPendingMemory(k: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const pending = this.overlay.get(k);
    if (pending) return pending;
    try {
      return this.tree.readNow(k);
    } catch (err) {
      throw this.readFailed(err);
    }
  }

  /**
   * A pre-image taken at append: the state the record's write of `k` replaces, the overlay's newest entry,
   * else what the call read of `k` (`read`), else the tree's. UNKNOWN_PRE_IMAGE if memory cannot answer.
   */
  private preImageAtAppend(
    k: KeyString,
    read: ReadonlyMap<KeyString, Entry | undefined> | undefined,
  ): PreImage {
    const pending = this.overlay.get(k);
    if (pending !== undefined) return pending;
    return read?.has(k) === true ? read.get(k) : this.treeNow(k);
  }

  /**
   * A pre-image taken at apply, before the tree changes: the one captured at append if any (`captured[i]`),
   * else what the call read of `k` (`read`: records apply in order, so that is still the state before it),
   * else the tree's entry (never the overlay: it may hold a later record's). UNKNOWN_PRE_IMAGE if none.
   */
  private preImageAtApply(
    k: KeyString,
    captured: PreImage[] | undefined,
    i: number,
    read: ReadonlyMap<KeyString, Entry | undefined> | undefined,
  ): PreImage {
    if (captured !== undefined && captured[i] !== UNKNOWN_PRE_IMAGE) return captured[i];
    if (read?.has(k) === true) return read.get(k);
    return this.treeNow(k);
  }

  /** The tree's entry from memory, else UNKNOWN_PRE_IMAGE; a failed read decides nothing (it stays unknown). */
  private treeNow(k: KeyString): PreImage {
    try {
      const found = this.tree.readNow(k);
      if (found !== NOT_IN_MEMORY) return found;
    } catch {
      // unknown: a snapshot that needs it is told it is too old; the write itself goes on
    }
    return UNKNOWN_PRE_IMAGE;
  }

  /**
   * Resolves once every record appended so far may be acknowledged (visible, in every mode but a failure);
   * never rejects. A transaction that lost a conflict waits for it before its next attempt, whose snapshot
   * then includes the records it conflicted with (else it would conflict again at once).
   */
  appendedVisible(): Promise<void> {
    return this.lastAcked.then(noop, noop);
  }

  /**
   * Calls `visit` with each key written by a record after LSN `lsn` (appended, durable or not), until it
   * returns true; returns whether it did. `lsn` must be at or above a live pin's (src/tx/versions.ts), so
   * every applied record after it is still held.
   */
  someWriteAfter(lsn: number, visit: (key: KeyString) => boolean): boolean {
    for (const effects of this.versions.recordsAfter(lsn)) {
      for (const { key } of effects) if (visit(key)) return true;
    }
    for (let i = this.head; i < this.unapplied.length; i++) {
      const r = this.unapplied[i] as Unapplied;
      assert(r.lsn > lsn, "records not yet visible come after every snapshot");
      for (const { key } of r.effects) if (visit(key)) return true;
    }
    return false;
  }

  /** A read this write needs failed: poisons (see {@link awaitBaseReads}) and returns the error to throw. */
  private readFailed(err: unknown): unknown {
    this.poison(err);
    return asIoError(err, "a read this write needs failed (the database is now poisoned; reopen it)");
  }

  /**
   * Resolves `mutations` in call order on `bases`, each same-key mutation on the state the one before left:
   * one effect per key (the last state wins; versions already count every step) and one result per
   * mutation. A single mutation (most calls: set, incr) builds no map. Pure; throws → nothing changed.
   */
  private resolveAll(
    mutations: readonly CapturedMutation[],
    keys: readonly KeyString[],
    bases: Bases,
    lsn: number,
    nowMs: number,
  ): { effects: Effect[]; results: BatchResult["results"] } {
    assert(bases.length === keys.length, "every key's base is gathered before prepare");
    const only = mutations[0];
    if (mutations.length === 1 && only !== undefined) {
      const key = keys[0] as KeyString;
      const entry = resolveMutation(bases[0], only, lsn, this.options, nowMs, this.resolveFloor.get(key));
      const effect: Effect = { key, entry };
      if (entry.value !== undefined && !isLive(bases[0], nowMs)) effect.created = true;
      return { effects: [effect], results: [{ version: entry.version, value: entry.value }] };
    }
    const latest = new Map<KeyString, Entry>();
    const created = new Set<KeyString>();
    const results: BatchResult["results"] = [];
    for (let i = 0; i < mutations.length; i++) {
      const k = keys[i] as KeyString;
      const m = mutations[i] as CapturedMutation;
      // A key's base is its first occurrence's (all were gathered in the same synchronous run as prepare,
      // so still the newest); a later occurrence resolves on the state the earlier one left.
      const current = latest.has(k) ? latest.get(k) : bases[i];
      const next = resolveMutation(current, m, lsn, this.options, nowMs, this.resolveFloor.get(k));
      if (next.value !== undefined && !isLive(current, nowMs)) created.add(k);
      latest.set(k, next);
      results.push({ version: next.version, value: next.value });
    }
    const effects: Effect[] = [];
    for (const [key, entry] of latest)
      effects.push(
        entry.value !== undefined && created.has(key) ? { key, entry, created: true } : { key, entry },
      );
    return { effects, results };
  }
}

/**
 * The host of a tree on disk: files from `fs` in `dir`, durability from the WAL writer, and the applied LSN,
 * expiry horizon and poison from `pipeline`. The pipeline's answers are read when asked, never copied.
 */
export function diskTreeHost(
  fs: FileSystem,
  dir: string,
  wal: WalWriter,
  pipeline: CommitPipeline,
  dropLiveElements = false,
): TreeHost {
  return {
    fs,
    dir,
    appliedLsn: () => pipeline.appliedLsn,
    waitDurable: (lsn) => wal.waitDurable(lsn),
    expiryHorizonMs: () => pipeline.expiryHorizonMs(),
    clockFloorMs: () => pipeline.clockFloorMs(),
    walBytesWritten: () => wal.stats.bytesWritten,
    takeWalFilesBelow: (lsn) => wal.takeFilesBelow(lsn),
    onBackgroundError: (err) => {
      pipeline.poison(err);
    },
    deadElements: (durableLsn, horizonMs) =>
      deadElementCheck(
        (k) => {
          try {
            const found = pipeline.tree.readNow(k);
            return found === NOT_IN_MEMORY ? "unknown" : found;
          } catch {
            return "unknown"; // a read that fails here decides nothing: the elements stay
          }
        },
        durableLsn,
        horizonMs,
        dropLiveElements,
      ),
  };
}
