/**
 * The file side of the tree's jobs: writes new segments and opens them, publishes a job's result with one
 * manifest edit, moves the WAL floor, and deletes what the edit made obsolete (docs/segment-format.md,
 * "Background jobs", steps 4 to 7). Durable modes only: memory mode has no files and no publisher.
 *
 * Invariant: nothing is deleted before the manifest edit that stops naming it is durable; the WAL floor
 * never goes back and never passes the durable LSN.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import type { FloorPair } from "../doc/version-floor.js";
import { assert } from "../errors.js";
import { joinPath } from "../io/file-system.js";
import { mark } from "../util/coverage.js";
import type { BlockCache } from "./block-cache.js";
import type { Leaf } from "./leaf.js";
import type { LeafManifest, ManifestEdit, ManifestLog } from "./manifest.js";
import { fenceKeyToHex } from "./manifest-key.js";
import type { Router } from "./router.js";
import { segmentFileName } from "./segment-format.js";
import { type Block, SegmentReader } from "./segment-reader.js";
import { SegmentStream, type SegmentWriteResult } from "./segment-writer.js";
import type { TreeHost } from "./tree-host.js";

type Pair = [KeyString, Entry];

/** What the publisher needs besides the host and the manifest log. */
export interface PublisherOptions {
  /** Largest single write of a segment, in bytes. */
  sliceBytes: number;
  /** Awaited between slices of a segment write (lets writers waiting for a slice go). */
  onSlice: () => Promise<void>;
  /** A manifest edit failed: the manifest on disk is uncertain and the tree must stop writing. */
  stop: () => void;
  /** TEST ONLY (recovery mode `ignore-checksums`): segment reads skip crc32 checks. */
  ignoreChecksums?: boolean;
}

/** A raise of the dead-version floor by a visible record: its LSN, the bucket and the new floor. */
export type FloorRaise = [lsn: number, bucket: number, floor: number];

/** Segment files, manifest edits and the WAL floor of one tree. */
export class Publisher {
  private nextFileNumber: number;
  private floor: number;
  /**
   * Raises of the dead-version floor by records above the WAL floor, LSN order, from `raisesHead` on. Each
   * edit carries those at or below its WAL floor (the records it stops replaying). Bounded by the records
   * above the WAL floor.
   */
  private raises: FloorRaise[] = [];
  private raisesHead = 0;
  /** Deletions of retired segments still running; close waits for them. */
  private readonly removals = new Set<Promise<void>>();
  /** Bytes written into segments. */
  segmentBytesWritten = 0;
  walFilesDeleted = 0;

  constructor(
    private readonly host: TreeHost,
    private readonly log: ManifestLog,
    private readonly cache: BlockCache<Block>,
    private readonly router: Router,
    private readonly options: PublisherOptions,
    /** Raises of the dead-version floor by the records recovery replayed (above the WAL floor), LSN order. */
    replayedRaises: FloorRaise[] = [],
  ) {
    this.nextFileNumber = log.manifest.nextFileNumber;
    this.floor = log.manifest.checkpointLsn;
    for (const [lsn, bucket, f] of replayedRaises) this.noteFloorRaise(lsn, bucket, f);
  }

  /** The manifest's checkpoint LSN (the WAL floor): replay starts above it. */
  get checkpointLsn(): number {
    return this.floor;
  }

  /** Dead entries at or below this LSN may be older than the dead-version floor: jobs keep them. */
  get legacyLsn(): number {
    return this.log.manifest.legacyLsn;
  }

  /**
   * Notes that the record at `lsn` (visible, above the WAL floor; LSN order) raised the dead-version floor
   * of `bucket` to `floor`: the edit that moves the WAL floor past `lsn` will carry it.
   */
  noteFloorRaise(lsn: number, bucket: number, floor: number): void {
    const last = this.raises[this.raises.length - 1];
    assert(last === undefined || last[0] <= lsn, "floor raises come in LSN order");
    assert(lsn > this.floor, "a raise below the WAL floor is already in the manifest");
    this.raises.push([lsn, bucket, floor]);
  }

  /** The raises at or below `walFloor`, one pair per bucket (its highest), buckets ascending. */
  private raisesUpTo(walFloor: number): { pairs: FloorPair[]; end: number } {
    const top = new Map<number, number>();
    let i = this.raisesHead;
    // Bounded by the raises queued.
    for (; i < this.raises.length; i++) {
      const r = this.raises[i] as FloorRaise;
      if (r[0] > walFloor) break;
      top.set(r[1], Math.max(top.get(r[1]) ?? 0, r[2]));
    }
    return { pairs: [...top].sort((a, b) => a[0] - b[0]), end: i };
  }

  /** Forgets the raises before `end` (published); compacts the queue once its dead prefix dominates. */
  private dropRaises(end: number): void {
    this.raisesHead = end;
    if (this.raisesHead * 2 < this.raises.length || this.raisesHead < 1024) return;
    this.raises = this.raises.slice(this.raisesHead);
    this.raisesHead = 0;
  }

  /** Bytes appended to or rewritten in the manifest by this handle. */
  get manifestBytes(): number {
    return this.log.bytesWritten;
  }

  /** Manifest rewrites done by this handle. */
  get manifestRewrites(): number {
    return this.log.rewrites;
  }

  /**
   * Writes `entries` (strictly ascending) as a new segment, durably and atomically, and opens it.
   * @throws on I/O errors (a leftover temp file is removed, best effort, or by the next open).
   */
  async writeSegment(entries: Pair[]): Promise<SegmentReader> {
    const stream = await this.createSegment();
    try {
      for (const [key, entry] of entries) {
        stream.add(key, entry);
        await stream.writeSlice();
      }
    } catch (err) {
      await this.discardSegment(stream);
      throw err;
    }
    return this.finishSegment(stream);
  }

  /** Opens a new segment file `seg-<n>.sst.tmp` to fill (a number from the file counter). @throws on I/O. */
  async createSegment(): Promise<SegmentStream> {
    const { fs, dir } = this.host;
    const name = segmentFileName(this.nextFileNumber++);
    try {
      return await SegmentStream.create(fs, dir, name, {
        sliceBytes: this.options.sliceBytes,
        onSlice: this.options.onSlice,
      });
    } catch (err) {
      await fs.remove(joinPath(dir, `${name}.tmp`)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Finishes a segment from {@link createSegment} (tail, fdatasync, rename, `syncDir`) and opens it.
   * @throws on I/O errors (the temp file is removed, best effort, or by the next open).
   */
  async finishSegment(stream: SegmentStream): Promise<SegmentReader> {
    const { fs, dir } = this.host;
    let written: SegmentWriteResult;
    try {
      written = await stream.finish();
    } catch (err) {
      // Best effort: a leftover temp file is also removed by the next open.
      await fs.remove(joinPath(dir, `${stream.name}.tmp`)).catch(() => undefined);
      throw err;
    }
    this.segmentBytesWritten += written.bytes;
    const verify = this.options.ignoreChecksums !== true;
    return SegmentReader.open(fs, dir, written.name, this.cache, written, verify);
  }

  /** Abandons a segment from {@link createSegment} after a failure: closes it, removes its temp file. */
  async discardSegment(stream: SegmentStream): Promise<void> {
    await stream.abort().catch(() => undefined);
    // Best effort: a leftover temp file is also removed by the next open.
    await this.host.fs.remove(joinPath(this.host.dir, `${stream.name}.tmp`)).catch(() => undefined);
  }

  /**
   * Appends one manifest edit replacing `removed` by `add` with the new floor (skipped when it would change
   * nothing), then runs `commit` (the in-memory switch, which hands the `created` segments to their leaves)
   * and deletes WAL files wholly below the floor.
   * @throws on I/O errors; an edit that failed stops the tree first and releases the `created` segments
   *   (no leaf took them; their files stay: the manifest on disk may name them), and the caller's job fails
   *   (the engine stops writing).
   */
  async publish(
    removed: Leaf[],
    add: LeafManifest[],
    created: readonly SegmentReader[],
    commit: (() => void) | undefined,
  ): Promise<void> {
    const floor = this.floorAfter(removed);
    assert(floor >= this.floor, "the WAL floor never goes back");
    const raised = this.raisesUpTo(floor);
    const changes =
      removed.length > 0 ||
      floor > this.floor ||
      this.nextFileNumber > this.log.manifest.nextFileNumber ||
      raised.pairs.length > 0;
    if (changes) {
      const edit: ManifestEdit = {
        checkpointLsn: floor,
        nextFileNumber: this.nextFileNumber,
        remove: removed.map((l) => fenceKeyToHex(l.low)),
        add,
        clockFloorMs: this.host.clockFloorMs(),
      };
      // Replay stops below the new floor: the floor raises of the records it no longer replays go with it.
      if (raised.pairs.length > 0) edit.deadVersionFloor = raised.pairs;
      try {
        await this.log.append(edit);
      } catch (err) {
        // The manifest on disk is now uncertain (old or new): stop writing; a reopen recovers from it.
        this.options.stop();
        this.host.onBackgroundError(err);
        for (const s of created) await s.release();
        throw err;
      }
      assert(this.log.manifest.checkpointLsn === floor, "the manifest holds the floor just published");
      this.dropRaises(raised.end);
    }
    commit?.();
    this.floor = floor;
    const obsolete = this.host.takeWalFilesBelow(floor);
    // No syncDir: a deleted WAL file that comes back after a crash lies wholly below the durable floor and
    // is removed again by the next open.
    for (const name of obsolete) await this.host.fs.remove(joinPath(this.host.dir, name));
    this.walFilesDeleted += obsolete.length;
    if (obsolete.length > 0) mark("tree.wal-deleted", obsolete.length);
  }

  /**
   * Gives back the tree's reference on segments a durable edit no longer names; each file is deleted once
   * its last reader is done. Close waits for the deletions.
   */
  retire(segments: readonly SegmentReader[]): void {
    for (const s of segments) {
      const removal = this.retireSegment(s);
      this.removals.add(removal);
      void removal.then(() => this.removals.delete(removal));
    }
  }

  /** Waits for pending deletions and closes the manifest log. */
  async close(): Promise<void> {
    await Promise.all([...this.removals]);
    await this.log.close();
  }

  /**
   * The WAL floor once `removed` leaves are replaced: one below the lowest LSN still only in memory (frozen
   * buffers of `removed` excluded: they are in the new segments), at most the applied LSN, and never above
   * the durable one (host.waitDurable ran for every frozen LSN).
   */
  private floorAfter(removed: Leaf[]): number {
    let low = this.host.appliedLsn() + 1;
    for (const l of this.router.leaves) {
      const m = removed.includes(l) ? l.active.minLsn : l.minUnflushedLsn;
      if (m < low) low = m;
    }
    return Math.max(this.floor, low - 1);
  }

  private async retireSegment(s: SegmentReader): Promise<void> {
    const { fs, dir } = this.host;
    try {
      await s.retire(() => fs.remove(joinPath(dir, s.name)));
    } catch {
      // An undeleted obsolete segment is an orphan: the next open removes it.
    }
  }
}
