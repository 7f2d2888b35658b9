/**
 * `db.snapshot()`: a read-only view of the database at one point (every record applied when it was taken,
 * none after), for consistent reports over several keys and ranges. It pins old versions in memory
 * (src/tx/versions.ts) until `close()` (or `await using`: Symbol.asyncDispose); background merges never
 * matter, since the versions it needs are kept apart from the tree. Held too long (past snapshotBytesMax of
 * versions), it is released by the engine and its next read throws SnapshotTooOldError. The data-type
 * namespaces (`snap.hashes.hgetall`, `snap.zsets.zrange`, ...: src/tx/tx-runner.ts) read at the snapshot
 * too; their writes throw InvalidArgumentError (a snapshot is read-only).
 */
import { scanArguments } from "../arguments.js";
import type { CommitPipeline } from "../commit-pipeline.js";
import type { Mutation } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { type KeyInput, type KeyString, toKeyString, userKeyBytes } from "../doc/key.js";
import { ClosedError, InvalidArgumentError } from "../errors.js";
import type { IndexQuery } from "../indexes/index-arguments.js";
import type { ResolvedOptions } from "../options.js";
import { Txn } from "../types/txn.js";
import { runOn, type StateView } from "../types/view.js";
import type { WriteGuard } from "../types/write-options.js";
import type { BatchResult, ScanEntry, ScanOptions, Versioned } from "../types.js";
import { answerTimeOf, queryAtSnapshot, snapshotView } from "./snapshot-query.js";
import { type SnapshotReads, versionedOf } from "./snapshot-reads.js";
import { TxTypes } from "./tx-runner.js";

/** A read-only view at one point; see the module comment. */
export class Snapshot extends TxTypes {
  private closed = false;
  private readonly keyBytesMax: number;
  private readonly valueBytesMax: number;
  /** Seeds of the data-type reads (each its own random source). */
  private readCalls = 0;

  /** @internal Built by `db.snapshot()`. */
  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly reads: SnapshotReads,
    limits: Pick<ResolvedOptions, "keyBytesMax" | "valueBytesMax">,
  ) {
    super(limits);
    this.keyBytesMax = limits.keyBytesMax;
    this.valueBytesMax = limits.valueBytesMax;
  }

  /** The LSN the snapshot sees up to (every record at or below it, none above). */
  get lsn(): number {
    return this.reads.pin.lsn;
  }

  /**
   * The document under `key` at the snapshot, as `db.get` would have answered then.
   * @throws SnapshotTooOldError (FUSEDB_SNAPSHOT_TOO_OLD); ClosedError after `close()` or the database's;
   *   InvalidArgumentError for a bad key; WrongTypeError, IoError, CorruptionError as `db.get`.
   */
  async get(key: KeyInput): Promise<Versioned | undefined> {
    const k = toKeyString(key, this.keyBytesMax);
    this.assertOpen();
    return this.reads.get(k);
  }

  /**
   * Up to `limit` documents inside the bounds at the snapshot, as `db.scan` would have answered then.
   * @throws as {@link get}; InvalidArgumentError for bad bounds or limit.
   */
  async scan(options: ScanOptions = {}): Promise<ScanEntry[]> {
    const { range, limit, reverse } = scanArguments(options, (k) => toKeyString(k, this.keyBytesMax));
    this.assertOpen();
    const found = await this.reads.scan(range, limit, reverse);
    return found.map(([k, entry]) => {
      const bytes = userKeyBytes(k);
      return { key: bytes.toString("utf8"), keyBytes: bytes, ...versionedOf(entry.value as Json, entry) };
    });
  }

  /**
   * Documents found through a secondary index (as `db.query`, docs/indexes.md), as the index and the
   * documents were at the snapshot. The index must have been ready at the snapshot.
   * @throws InvalidArgumentError for a bad query; IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY;
   *   as {@link get}.
   */
  async query(q: IndexQuery): Promise<ScanEntry[]> {
    this.assertOpen();
    const view = snapshotView(this.reads);
    const onSnapshot = <T>(fn: (v: StateView) => T): Promise<T> => runOn(view, fn);
    const found = await queryAtSnapshot(q, onSnapshot, new Map(), {
      nowMs: this.reads.atMs,
      answerTime: () => this.pipeline.answerTime(this.reads.atMs),
      clockFloorMs: () => this.pipeline.clockFloorMs(),
    });
    return found.entries;
  }

  /** @internal Data-type writes: refused, a snapshot is read-only. */
  typedWrite<T>(_fn: (t: Txn) => T, _guard: WriteGuard | undefined): Promise<T> {
    return Promise.reject(readOnly());
  }

  /** @internal A data-type read at the snapshot (the namespaces' reads). */
  async typedRead<T>(fn: (t: Txn) => T): Promise<T> {
    this.assertOpen();
    const view = snapshotView(this.reads);
    const atMs = this.reads.atMs;
    const ctx = {
      lsn: this.reads.pin.lsn + 1,
      nowMs: atMs,
      deadFloor: (k: KeyString) => this.pipeline.tree.floor.get(k),
      valueBytesMax: this.valueBytesMax,
      seed: ++this.readCalls,
    };
    let usedTime = false;
    const value = await runOn(view, (v) => {
      const t = new Txn(v, ctx);
      const out = fn(t);
      usedTime = t.usedTime;
      return out;
    });
    await answerTimeOf(this.pipeline, atMs, view.gets, usedTime);
    return value;
  }

  /** @internal Document writes: refused, a snapshot is read-only. */
  batch(_mutations: readonly Mutation[]): Promise<BatchResult> {
    return Promise.reject(readOnly());
  }

  /** Releases what the snapshot pins. Idempotent; later reads throw ClosedError. */
  close(): Promise<void> {
    this.closed = true;
    this.pipeline.versions.release(this.reads.pin);
    return Promise.resolve();
  }

  /** `await using snap = db.snapshot()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Throws ClosedError after `close()` or the database's. */
  assertOpen(): void {
    if (this.closed || this.pipeline.closed) throw new ClosedError();
  }
}

function readOnly(): InvalidArgumentError {
  return new InvalidArgumentError(
    "FUSEDB_INVALID_ARGUMENT",
    "a snapshot is read-only (write in db.transaction)",
  );
}
