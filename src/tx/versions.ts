/**
 * What snapshots and transactions need of the past, kept in memory while any of them is live:
 * - pins: the live snapshots (a `db.snapshot()` or a transaction), each at an applied LSN and a clock time;
 * - undo: for every record applied after the oldest pin, the pre-image of each key it wrote (the entry the
 *   tree held just before), tagged with the record's LSN. A snapshot at LSN s reads a key as the pre-image
 *   of the first record after s that wrote it, or, if none did, as the tree holds it now (Oracle's undo
 *   segments and consistent reads; PostgreSQL keeps old tuples in the heap instead, InnoDB in its undo log);
 * - history: the keys each applied record after the oldest pin wrote, for the optimistic conflict check at
 *   commit (FoundationDB's resolver keeps exactly this window: the writes of commits newer than the oldest
 *   live read version; "A Critique of ANSI SQL Isolation Levels", Berenson et al. 1995, first committer wins).
 *
 * Invariants: pins are created at a non-decreasing applied LSN and clock time, so the oldest is the first in
 * `pins`. Every undo version and history record has an LSN above the oldest pin's (older ones no live pin
 * can need: a pin at s reads versions after s only). Each key's undo versions are in ascending LSN order.
 * Memory is bounded by `bytesMax`: past it the oldest pin is marked too old and released (its next read
 * throws SnapshotTooOldError), until the versions fit again; writers never wait. With no pin nothing is kept.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { inRange, type KeyRange } from "../tree/key-range.js";
import type { Effect } from "../wal/batch-codec.js";

/** Marker: the pre-image of a write was not in memory when it was applied (its readers get too-old). */
export const UNKNOWN_PRE_IMAGE: unique symbol = Symbol("unknown-pre-image");

/** A key's state before a write: its entry, undefined for none, or unknown. */
export type PreImage = Entry | undefined | typeof UNKNOWN_PRE_IMAGE;

/** Marker: no record after the snapshot wrote the key (read the tree). */
export const NO_LATER_WRITE: unique symbol = Symbol("no-later-write");

/** Bytes counted per undo version or history key besides its key and document text (object overhead). */
const VERSION_OVERHEAD_BYTES = 48;

/** A live snapshot: what it sees (applied LSN, clock time) and whether it was released as too old. */
export class SnapshotPin {
  /** Set when memory bounds released it: its next read throws SnapshotTooOldError. */
  tooOld = false;
  released = false;
  constructor(
    readonly id: number,
    /** Every record up to this LSN is visible to the snapshot, none after it. */
    readonly lsn: number,
    /** Engine clock ms the snapshot reads at (expiry is judged at this time). */
    readonly atMs: number,
  ) {}
}

/** Counters reported in `db.stats().snapshots`. */
export interface SnapshotStats {
  /** Live snapshots and transactions. */
  live: number;
  /** Undo versions (pre-images) held. */
  versions: number;
  /** Applied records held for conflict checks. */
  historyRecords: number;
  /** Bytes of undo versions and history held (keys, documents and a fixed overhead each). */
  bytes: number;
  /** The bound on `bytes` (option snapshotBytesMax). */
  bytesMax: number;
  /** Snapshots released as too old since open. */
  tooOld: number;
  /** Transactions committed, and attempts that lost a conflict check, since open. */
  txCommitted: number;
  txConflicts: number;
}

interface UndoVersion {
  readonly lsn: number;
  readonly pre: PreImage;
}

interface Held {
  readonly lsn: number;
  readonly key: KeyString;
  readonly bytes: number;
  /** An undo version (true) or a history key (false). */
  readonly undo: boolean;
}

/** See the module comment. One per open database, owned by the commit pipeline. */
export class TxVersions {
  private readonly pins = new Map<number, SnapshotPin>();
  private nextId = 1;
  /** LSN and time of the last pin taken (pins come in order: see the module comment). */
  private lastPinLsn = 0;
  private lastPinAtMs = Number.NEGATIVE_INFINITY;
  private readonly undo = new Map<KeyString, UndoVersion[]>();
  /** Applied records after the oldest pin, LSN order: their LSN and the keys they wrote. */
  private readonly history: { lsn: number; effects: readonly Effect[] }[] = [];
  /** Everything held, LSN order, to release from the front. */
  private readonly held: Held[] = [];
  private heldHead = 0;
  private bytes = 0;
  private versionCount = 0;
  private tooOldCount = 0;
  txCommitted = 0;
  txConflicts = 0;

  constructor(private readonly bytesMax: number) {}

  /** Whether any snapshot is live (only then is anything kept). */
  get pinned(): boolean {
    return this.pins.size > 0;
  }

  /** Pins a snapshot of the state after `lsn`, read at clock time `atMs`. */
  pin(lsn: number, atMs: number): SnapshotPin {
    assert(this.lastPinLsn <= lsn && this.lastPinAtMs <= atMs, "pins are taken in order");
    this.lastPinLsn = lsn;
    this.lastPinAtMs = atMs;
    const pin = new SnapshotPin(this.nextId++, lsn, atMs);
    this.pins.set(pin.id, pin);
    return pin;
  }

  /** Releases `pin` (idempotent) and what no live pin needs any more. */
  release(pin: SnapshotPin): void {
    if (pin.released) return;
    pin.released = true;
    this.pins.delete(pin.id);
    this.trim();
  }

  /** Clock time of the oldest live snapshot (background expiry must not pass it); +Infinity if none. */
  oldestAtMs(): number {
    for (const p of this.pins.values()) return p.atMs;
    return Number.POSITIVE_INFINITY;
  }

  /**
   * A record is being applied while pins are live: keeps each key's pre-image (`preOf(key, i)`, called
   * before the tree changes) and the record's keys, then enforces the memory bound.
   */
  onApply(lsn: number, effects: readonly Effect[], preOf: (key: KeyString, i: number) => PreImage): void {
    assert(this.pinned, "versions are kept only while a snapshot is live");
    for (let i = 0; i < effects.length; i++) {
      const { key } = effects[i] as Effect;
      const pre = preOf(key, i);
      let versions = this.undo.get(key);
      if (versions === undefined) {
        versions = [];
        this.undo.set(key, versions);
      }
      assert((versions.at(-1)?.lsn ?? 0) < lsn, "a key's versions are kept in LSN order");
      versions.push({ lsn, pre });
      const text = pre === UNKNOWN_PRE_IMAGE ? undefined : pre?.text;
      this.hold(lsn, key, key.length + (text?.length ?? 0) + VERSION_OVERHEAD_BYTES, true);
      this.hold(lsn, key, key.length + VERSION_OVERHEAD_BYTES, false);
    }
    this.history.push({ lsn, effects });
    this.versionCount += effects.length;
    // Bounded: each pass releases a pin, and there are finitely many.
    while (this.bytes > this.bytesMax && this.pinned) {
      for (const oldest of this.pins.values()) {
        oldest.tooOld = true;
        this.tooOldCount++;
        this.release(oldest);
        break;
      }
    }
  }

  /** The key as the snapshot at `lsn` sees it, if a record after `lsn` wrote it; else NO_LATER_WRITE. */
  preImage(key: KeyString, lsn: number): PreImage | typeof NO_LATER_WRITE {
    const versions = this.undo.get(key);
    if (versions === undefined) return NO_LATER_WRITE;
    for (const v of versions) if (v.lsn > lsn) return v.pre;
    return NO_LATER_WRITE;
  }

  /** Every key inside `range` written after `lsn`, with its state at `lsn`. O(keys held). */
  changedIn(range: KeyRange, lsn: number): [KeyString, PreImage][] {
    const out: [KeyString, PreImage][] = [];
    for (const [key, versions] of this.undo) {
      if (!inRange(key, range)) continue;
      const first = versions.find((v) => v.lsn > lsn);
      if (first !== undefined) out.push([key, first.pre]);
    }
    return out;
  }

  /** The applied records after `lsn` still held (all of them for a live pin at or below `lsn`). */
  *recordsAfter(lsn: number): Generator<readonly Effect[]> {
    for (const r of this.history) if (r.lsn > lsn) yield r.effects;
  }

  stats(): SnapshotStats {
    return {
      live: this.pins.size,
      versions: this.versionCount,
      historyRecords: this.history.length,
      bytes: this.bytes,
      bytesMax: this.bytesMax,
      tooOld: this.tooOldCount,
      txCommitted: this.txCommitted,
      txConflicts: this.txConflicts,
    };
  }

  private hold(lsn: number, key: KeyString, bytes: number, undo: boolean): void {
    this.held.push({ lsn, key, bytes, undo });
    this.bytes += bytes;
  }

  /** Drops every version and history record at or below the oldest live pin's LSN (all of them if none). */
  private trim(): void {
    let floor = Number.POSITIVE_INFINITY;
    for (const p of this.pins.values()) {
      floor = p.lsn;
      break;
    }
    // Bounded by what is held.
    while (this.heldHead < this.held.length) {
      const h = this.held[this.heldHead] as Held;
      if (h.lsn > floor) break;
      this.heldHead++;
      this.bytes -= h.bytes;
      if (!h.undo) continue;
      const versions = this.undo.get(h.key);
      assert(versions?.[0]?.lsn === h.lsn, "a key's oldest version is released first");
      versions.shift();
      this.versionCount--;
      if (versions.length === 0) this.undo.delete(h.key);
    }
    let drop = 0;
    while (drop < this.history.length && (this.history[drop]?.lsn as number) <= floor) drop++;
    this.history.splice(0, drop);
    if (this.heldHead > 1024 && this.heldHead * 2 > this.held.length) {
      this.held.splice(0, this.heldHead);
      this.heldHead = 0;
    }
    if (this.heldHead === this.held.length) {
      this.held.length = 0;
      this.heldHead = 0;
      assert(this.bytes === 0 && this.undo.size === 0, "nothing is held once every record is released");
    }
  }
}
