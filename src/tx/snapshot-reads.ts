/**
 * Reads at a pinned snapshot (src/tx/versions.ts): a key as it was after the pin's LSN, judged live at the
 * pin's clock time. The tree holds the newest state; a key written since the pin is answered by the undo
 * version kept when that write was applied. The undo store is consulted after the tree's answer arrives,
 * so a write applied while the tree was read is still undone (it was applied under the pin, so its
 * pre-image was kept).
 */
import type { CommitPipeline } from "../commit-pipeline.js";
import { type Entry, isLive } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import { asIoError, SnapshotTooOldError, WrongTypeError } from "../errors.js";
import { scanDocuments } from "../tree/document-scan.js";
import type { KeyRange } from "../tree/key-range.js";
import { NOT_IN_MEMORY } from "../tree/tree.js";
import { mergePending, type Pair } from "../types/view.js";
import type { Versioned } from "../types.js";
import { NO_LATER_WRITE, type PreImage, type SnapshotPin, UNKNOWN_PRE_IMAGE } from "./versions.js";

/** Stands for "no live document" in a merge (mergePending drops entries without a value). */
const ABSENT: Entry = { version: 0, value: undefined, text: undefined, lsn: 0 };

/** Reads of one pinned snapshot; see the module comment. */
export class SnapshotReads {
  constructor(
    private readonly pipeline: CommitPipeline,
    readonly pin: SnapshotPin,
    private readonly dir: string,
  ) {}

  /** Engine clock ms the snapshot reads at. */
  get atMs(): number {
    return this.pin.atMs;
  }

  /**
   * The key's entry at the snapshot (tombstones and expired entries included), or undefined.
   * @throws SnapshotTooOldError if the pin was released or a pre-image it needs was not kept; IoError,
   *   CorruptionError from the tree.
   */
  async entry(k: KeyString): Promise<Entry | undefined> {
    this.check();
    const tree = this.pipeline.tree;
    let found: Entry | undefined | typeof NOT_IN_MEMORY;
    try {
      found = tree.readNow(k);
      if (found === NOT_IN_MEMORY) found = await tree.get(k);
    } catch (err) {
      throw asIoError(err, `read from ${this.dir} failed`);
    }
    this.check();
    const pre = this.pipeline.versions.preImage(k, this.pin.lsn);
    if (pre === NO_LATER_WRITE) return found;
    return this.known(pre);
  }

  /**
   * The live JSON document at `k` as `get` answers it, at the snapshot.
   * @throws WrongTypeError if the key holds another data type; as {@link entry}.
   */
  async get(k: KeyString): Promise<Versioned | undefined> {
    return this.versioned(await this.entry(k));
  }

  /** `entry` as `get` answers it at the snapshot's time. @throws WrongTypeError, PoisonedError. */
  async versioned(entry: Entry | undefined): Promise<Versioned | undefined> {
    if (entry?.value !== undefined) await this.timeDurable(entry);
    if (!isLive(entry, this.pin.atMs)) return undefined;
    if (entry.type !== undefined) throw new WrongTypeError(entry.type, "json document");
    return versionedOf(entry.value, entry);
  }

  /**
   * Up to `limit` live JSON documents of `range` at the snapshot, in key order (or reverse); keys of other
   * data types skipped and internal subkeys jumped, as `db.scan`.
   * @throws as {@link entry}.
   */
  async scan(range: KeyRange, limit: number, reverse: boolean): Promise<[KeyString, Entry][]> {
    // An expiry between the durable clock floor and the snapshot's time may decide the answer: make that
    // time durable first (src/commit-pipeline.ts answerTime), as db.scan does.
    if (this.pin.atMs > this.pipeline.clockFloorMs()) await this.pipeline.answerTime(this.pin.atMs);
    return scanDocuments((r, want, rev) => this.mergedScan(r, want, rev), range, limit, reverse);
  }

  /**
   * Up to `limit` live entries of `range` at the snapshot, internal keys included (the SQL layer's rows and
   * catalog, src/sql/); entries carry no expiry there. @throws as {@link entry}.
   */
  rawScan(range: KeyRange, limit: number, reverse: boolean): Promise<Pair[]> {
    return this.mergedScan(range, limit, reverse);
  }

  /** Up to `limit` live entries of `range` at the snapshot: the tree's, with keys written since undone. */
  private async mergedScan(range: KeyRange, limit: number, reverse: boolean): Promise<Pair[]> {
    const versions = this.pipeline.versions;
    // Bounded: a pass repeats only if writes applied during the tree's read added changed keys to a range
    // the read was cut short in; the writes applied are finite.
    for (;;) {
      this.check();
      const before = versions.changedIn(range, this.pin.lsn).length;
      let found: Pair[];
      try {
        found = await this.pipeline.tree.scan(range, limit + before, reverse, this.pin.atMs);
      } catch (err) {
        throw asIoError(err, `read from ${this.dir} failed`);
      }
      this.check();
      const changed = versions.changedIn(range, this.pin.lsn);
      if (changed.length > before && found.length >= limit + before) continue;
      const pending: Pair[] = changed.map(([k, pre]) => {
        const e = this.known(pre);
        return [k, isLive(e, this.pin.atMs) ? e : ABSENT];
      });
      // mergePending reads only `limit` and `reverse` of the request.
      return mergePending(found, pending, { gte: "", lt: "", limit, reverse });
    }
  }

  /** @throws SnapshotTooOldError if the pin was released as too old. */
  check(): void {
    if (this.pin.tooOld) throw new SnapshotTooOldError();
  }

  private known(pre: PreImage): Entry | undefined {
    if (pre === UNKNOWN_PRE_IMAGE) {
      throw new SnapshotTooOldError("a version it needs was not in memory when it was overwritten");
    }
    return pre;
  }

  /**
   * An answer "expired" that depends on a time above the durable clock floor (the document expired after
   * the floor, by the snapshot's time) waits for that time to be durable, as `db.get` does.
   */
  private async timeDurable(entry: Entry): Promise<void> {
    const at = entry.expiresAtMs;
    const floorMs = this.pipeline.clockFloorMs();
    if (at === undefined || this.pin.atMs <= floorMs || at <= floorMs || at > this.pin.atMs) return;
    await this.pipeline.answerTime(this.pin.atMs);
  }
}

/** A document and its version, as `get` answers. */
export function versionedOf(value: Json, entry: Entry): Versioned {
  const out: Versioned = { value, version: entry.version };
  if (entry.expiresAtMs !== undefined) out.expiresAtMs = entry.expiresAtMs;
  return out;
}

function _withoutLower(range: KeyRange): KeyRange {
  const { gt: _gt, gte: _gte, ...rest } = range;
  return rest;
}

function _withoutUpper(range: KeyRange): KeyRange {
  const { lt: _lt, lte: _lte, ...rest } = range;
  return rest;
}
