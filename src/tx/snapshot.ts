/**
 * `db.snapshot()`: a read-only view of the database at one point (every record applied when it was taken,
 * none after), for consistent reports over several keys and ranges. It pins old versions in memory
 * (src/tx/versions.ts) until `close()` (or `await using`: Symbol.asyncDispose); background merges never
 * matter, since the versions it needs are kept apart from the tree. Held too long (past snapshotBytesMax of
 * versions), it is released by the engine and its next read throws SnapshotTooOldError.
 */
import { scanArguments } from "../arguments.js";
import type { CommitPipeline } from "../commit-pipeline.js";
import type { Json } from "../doc/json.js";
import { type KeyInput, toKeyString, userKeyBytes } from "../doc/key.js";
import { ClosedError } from "../errors.js";
import type { IndexQuery } from "../indexes/index-arguments.js";
import { runOn, type StateView } from "../types/view.js";
import type { ScanEntry, ScanOptions, Versioned } from "../types.js";
import { queryAtSnapshot, snapshotView } from "./snapshot-query.js";
import { type SnapshotReads, versionedOf } from "./snapshot-reads.js";

/** A read-only view at one point; see the module comment. */
export class Snapshot {
  private closed = false;

  /** @internal Built by `db.snapshot()`. */
  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly reads: SnapshotReads,
    private readonly keyBytesMax: number,
  ) {}

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

  private assertOpen(): void {
    if (this.closed || this.pipeline.closed) throw new ClosedError();
  }
}
