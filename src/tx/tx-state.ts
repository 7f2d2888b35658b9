/**
 * The working state of one transaction attempt (src/tx/transaction.ts): one data-type {@link Txn} whose
 * writes are the transaction's own writes (documents, typed keys, collection elements), reading through a
 * view of the pinned snapshot (src/tx/snapshot-reads.ts). Every operation, a document mutation or a
 * data-type call `(tx: Txn) => T`, runs on it at the call and again, in call order, on the newest state
 * inside the commit's one `commitOp`.
 *
 * An operation is pure over its view and throws NeedRead when the view needs I/O (src/types/view.ts): the
 * snapshot is read, cached (a snapshot never changes, so the cache stays true for the whole attempt), and
 * the call runs again. A write call runs on a fork of the working Txn, absorbed only if it completes. Every read that reaches the snapshot is recorded
 * for the commit's conflict check ({@link TxReadSet}): the key and the entry first answered, and, for a scan
 * of user keys, the range it covered (to the last key returned if its limit cut it). Reads of collection
 * elements and index entries are not recorded as ranges: an operation reaches them through the collection's
 * typed key (its generation) or the index's bounds, which are recorded.
 */

import type { CommitPipeline } from "../commit-pipeline.js";
import type { Entry } from "../doc/entry.js";
import { isInternalKey, type KeyString } from "../doc/key.js";
import { inRange, type KeyRange } from "../tree/key-range.js";
import { Txn, type TxnContext } from "../types/txn.js";
import { type CachingView, NeedRead, type Pair, type ScanRequest, type StateView } from "../types/view.js";
import { snapshotView } from "./snapshot-query.js";
import type { SnapshotReads } from "./snapshot-reads.js";

/** What an attempt read, for the conflict check at commit (src/tx/transaction.ts `conflict`). */
export interface TxReadSet {
  /** The snapshot's entry of every key read from the snapshot (for the expiry check at commit). */
  readonly bases: Map<KeyString, Entry | undefined>;
  /** Keys read by reads (checked under 'serializable'). */
  readonly readKeys: Set<KeyString>;
  /** Keys read by writes (checked under every isolation: a write's outcome depends on them). */
  readonly writeReads: Set<KeyString>;
  /** User-key ranges scanned by reads (checked under 'serializable'). */
  readonly ranges: KeyRange[];
  /** User-key ranges scanned by writes (checked under every isolation). */
  readonly writeRanges: KeyRange[];
  /** Index entry ranges queried (internal keys; checked under 'serializable'). */
  readonly indexRanges: KeyRange[];
  /**
   * Internal-key ranges the SQL layer scanned (its rows, catalog and constraint entries; checked under every
   * isolation: a statement's writes depend on what it scanned, e.g. a foreign key's child rows).
   */
  readonly rawRanges: KeyRange[];
}

/** An empty read set. */
export function emptyReadSet(): TxReadSet {
  return {
    bases: new Map(),
    readKeys: new Set(),
    writeReads: new Set(),
    ranges: [],
    writeRanges: [],
    indexRanges: [],
    rawRanges: [],
  };
}

/**
 * The first key written by a record after LSN `pinLsn` that a transaction with `readSet` and `writeKeys`
 * must not have seen changed (src/tx/transaction.ts, module comment), if any: a key it wrote or one of its
 * writes read, or inside a range one of its writes scanned; under `serializable` also a key it read, a
 * user key inside a range it scanned, an index entry inside a range it queried.
 */
export function firstConflict(
  pipeline: CommitPipeline,
  pinLsn: number,
  readSet: TxReadSet,
  writeKeys: ReadonlySet<KeyString>,
  serializable: boolean,
): KeyString | undefined {
  const { readKeys, writeReads, ranges, writeRanges, indexRanges, rawRanges } = readSet;
  let clash: KeyString | undefined;
  pipeline.someWriteAfter(pinLsn, (k) => {
    const internal = isInternalKey(k);
    const hit =
      writeKeys.has(k) ||
      writeReads.has(k) ||
      (!internal && writeRanges.some((r) => inRange(k, r))) ||
      (internal && rawRanges.some((r) => inRange(k, r))) ||
      (serializable &&
        (readKeys.has(k) ||
          (!internal && ranges.some((r) => inRange(k, r))) ||
          (internal && indexRanges.some((r) => inRange(k, r)))));
    if (hit) clash = k;
    return hit;
  });
  return clash;
}

/** The snapshot as a {@link StateView}, recording what is read (see the module comment). */
class TrackingView implements StateView {
  /** Set while a write runs: its reads go to `writeReads` / `writeRanges`. */
  writing = false;
  /** Entries read by the call running now (for the time check of reads). */
  callGets = new Map<KeyString, Entry | undefined>();

  constructor(
    readonly inner: CachingView,
    private readonly set: TxReadSet,
  ) {}

  get(k: KeyString): Entry | undefined {
    const e = this.inner.get(k);
    if (!this.set.bases.has(k)) this.set.bases.set(k, e);
    (this.writing ? this.set.writeReads : this.set.readKeys).add(k);
    if (!this.callGets.has(k)) this.callGets.set(k, e);
    return e;
  }

  scan(req: ScanRequest): readonly Pair[] {
    const found = this.inner.scan(req);
    if (!isInternalKey(req.gte)) {
      const last = found[found.length - 1];
      const range: KeyRange =
        found.length < req.limit || last === undefined
          ? { gte: req.gte, lt: req.lt }
          : req.reverse
            ? { gte: last[0], lt: req.lt }
            : { gte: req.gte, lte: last[0] };
      (this.writing ? this.set.writeRanges : this.set.ranges).push(range);
    }
    return found;
  }
}

/** See the module comment. One per attempt. */
export class TxState {
  /** The transaction's own writes over the snapshot. */
  readonly work: Txn;
  private readonly view: TrackingView;
  /** `work` as a view: what a read-only call reads through (its own fresh Txn on top). */
  private readonly overlay: StateView;

  constructor(
    reads: SnapshotReads,
    private readonly ctx: TxnContext,
    readonly readSet: TxReadSet,
  ) {
    const cache = snapshotView(reads);
    this.view = new TrackingView(cache, readSet);
    this.work = new Txn(this.view, ctx);
    this.overlay = { get: (k) => this.work.entry(k), scan: (req) => this.work.scan(req) };
  }

  /**
   * Runs the write `fn` on the transaction's state: its writes join the transaction's, or, if it throws,
   * none of them does.
   * @throws whatever `fn` throws; the snapshot's read errors (SnapshotTooOldError, IoError).
   */
  async write<T>(fn: (t: Txn) => T): Promise<T> {
    // Bounded: every rerun follows a read that adds to the cache; an operation reads a bounded set.
    for (;;) {
      // A fork of the working Txn: absorbed if the call succeeds, dropped if it throws (O(the call's writes)).
      const t = this.work.fork(this.overlay);
      this.view.writing = true;
      try {
        const out = fn(t);
        this.work.absorb(t);
        return out;
      } catch (err) {
        if (!(err instanceof NeedRead)) throw err;
        this.view.writing = false;
        await this.view.inner.fill(err);
      } finally {
        this.view.writing = false;
      }
    }
  }

  /**
   * Runs the read-only `fn` on the transaction's state (its own Txn on top, so nothing it might write
   * stays). Resolves with the answer, the entries it read from the snapshot and whether it answered a time.
   * @throws as {@link write}.
   */
  async read<T>(
    fn: (t: Txn) => T,
    seed: number,
  ): Promise<{ value: T; gets: ReadonlyMap<KeyString, Entry | undefined>; usedTime: boolean }> {
    const gets = new Map<KeyString, Entry | undefined>();
    // Bounded as `write`.
    for (;;) {
      this.view.callGets = gets;
      const t = new Txn(this.overlay, { ...this.ctx, seed, rngSeed: undefined });
      try {
        const value = fn(t);
        return { value, gets, usedTime: t.usedTime };
      } catch (err) {
        if (!(err instanceof NeedRead)) throw err;
        await this.view.inner.fill(err);
      }
    }
  }

  /**
   * Runs `fn` on the snapshot alone (no own writes), rerunning it after each read; reads recorded as a
   * read's. For index queries (src/tx/tx-query.ts).
   */
  async onSnapshot<T>(fn: (view: StateView) => T): Promise<T> {
    // Bounded as `write`.
    for (;;) {
      try {
        return fn(this.view);
      } catch (err) {
        if (!(err instanceof NeedRead)) throw err;
        await this.view.inner.fill(err);
      }
    }
  }
}
