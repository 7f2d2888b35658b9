/**
 * How the data-type APIs (src/types/*-api) run their operations: writes through the commit pipeline
 * (one WAL record per call, resolved on the newest state, acknowledged after fdatasync), reads on the
 * visible state (exactly the durable writes) and validated, so a read that spans a metadata entry and its
 * elements never mixes two versions of a collection.
 */
import type { CommitPipeline } from "../commit-pipeline.js";
import type { Entry } from "../doc/entry.js";
import type { KeyInput, KeyString } from "../doc/key.js";
import { toKeyString } from "../doc/key.js";
import { asIoError, ClosedError, InvalidArgumentError } from "../errors.js";
import type { Clock } from "../io/clock.js";
import type { ResolvedOptions } from "../options.js";
import { NOT_IN_MEMORY, type Tree } from "../tree/tree.js";
import { binaryOf } from "./encoding.js";
import { SeedSequence } from "./random.js";
import { Txn } from "./txn.js";
import { CachingView, NOT_NOW, runOn, type ViewSource } from "./view.js";

/** Bytes as callers pass them: a string (taken as UTF-8) or a Uint8Array/Buffer. */
export type BytesInput = string | Uint8Array;

/** What a committed data-type write resolves to besides its answer. */
export interface TypesWriteInfo {
  /** LSN of the WAL record holding the change; undefined if the call changed nothing. */
  lsn: number | undefined;
}

/** Runs data-type operations for one open database. */
export class TypesRunner {
  /** Reads run so far: seeds each read's random source (SRANDMEMBER and the like). */
  private reads = 0;
  /** Seeds of the calls that draw at random (src/types/random.ts): take one per call, outside the operation. */
  readonly seeds = new SeedSequence();

  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly clock: Clock,
    private readonly options: ResolvedOptions,
    private readonly dir: string,
  ) {}

  private get tree(): Tree {
    return this.pipeline.tree;
  }

  /** A caller's key as its tree key. @throws InvalidArgumentError. */
  key(key: unknown): KeyString {
    return toKeyString(key, this.options.keyBytesMax);
  }

  /** A caller's bytes (field, member, element, value) as a binary string. @throws InvalidArgumentError. */
  bytes(v: unknown, what: string): string {
    if (typeof v !== "string" && !(v instanceof Uint8Array)) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `${what} must be a string or Uint8Array`);
    }
    return binaryOf(v);
  }

  /**
   * Commits `fn` as one call: resolved on the newest state, one WAL record, resolved once durable.
   * @throws whatever `fn` throws (the call changed nothing); ClosedError, PoisonedError, ReadOnlyError,
   *   IoError as every write.
   */
  async write<T>(fn: (tx: Txn) => T): Promise<T> {
    const valueBytesMax = this.options.valueBytesMax;
    // Broken variant 'reuse-generations' (sensitivity tests only): every collection gets generation 0.
    const reuseGenerations = this.options.recoveryMode === "reuse-generations";
    // Broken variant 'stale-zset-index' (sensitivity tests only): a moved member's old index entry stays.
    const staleZsetIndex = this.options.recoveryMode === "stale-zset-index";
    const r = await this.pipeline.commitOp((view, ctx) => {
      const tx = new Txn(view, { ...ctx, valueBytesMax, reuseGenerations, staleZsetIndex });
      const result = fn(tx);
      return { effects: tx.effects(), result };
    });
    return r.result;
  }

  /**
   * Runs the read-only `fn` on the visible state (exactly the durable writes), rerunning it if a key it read
   * changed while it waited for I/O.
   * @throws whatever `fn` throws; ClosedError; IoError (FUSEDB_IO) and CorruptionError from reads.
   */
  async read<T>(fn: (tx: Txn) => T): Promise<T> {
    for (;;) {
      if (this.pipeline.closed) throw new ClosedError();
      const nowMs = this.clock.now();
      const view = new CachingView(this.visibleSource(nowMs));
      const floor = this.tree.floor;
      const seed = ++this.reads;
      const ctx = { lsn: 0, nowMs, deadFloor: (k: KeyString) => floor.get(k), valueBytesMax: 0, seed };
      let usedTime = false;
      const result = await runOn(view, (v) => {
        const tx = new Txn(v, ctx);
        const out = fn(tx);
        usedTime = tx.usedTime;
        return out;
      });
      if (view.fills > 0 && !(await this.unchanged(view.gets))) continue;
      if (this.dependsOnTime(view.gets, nowMs, usedTime)) await this.pipeline.answerTime(nowMs);
      return result;
    }
  }

  /** Whether every key read still has the entry it had (same LSN and version). */
  private async unchanged(gets: ReadonlyMap<KeyString, Entry | undefined>): Promise<boolean> {
    for (const [k, e] of gets) {
      let now = this.tree.readNow(k);
      if (now === NOT_IN_MEMORY) now = await this.readTree(k);
      if (now?.lsn !== e?.lsn || now?.version !== e?.version) return false;
    }
    return true;
  }

  /**
   * Whether the answer depends on a time above the durable clock floor (see src/db.ts `readTime`): a key
   * read live at the floor with an expiry at or before now, or (`usedTime`: a TTL was answered) any expiry.
   */
  private dependsOnTime(
    gets: ReadonlyMap<KeyString, Entry | undefined>,
    nowMs: number,
    usedTime: boolean,
  ): boolean {
    const floorMs = this.pipeline.clockFloorMs();
    if (nowMs <= floorMs) return false;
    for (const e of gets.values()) {
      const at = e?.value === undefined ? undefined : e.expiresAtMs;
      if (at === undefined || at <= floorMs) continue;
      if (usedTime || at <= nowMs) return true;
    }
    return false;
  }

  private readTree(k: KeyString): Promise<Entry | undefined> {
    return this.tree.get(k).catch((err: unknown) => {
      throw asIoError(err, `read from ${this.dir} failed`);
    });
  }

  private visibleSource(nowMs: number): ViewSource {
    return {
      now: (k) => {
        const found = this.tree.readNow(k);
        return found === NOT_IN_MEMORY ? NOT_NOW : found;
      },
      read: (k) => this.readTree(k),
      scan: (req) =>
        this.tree.scan({ gte: req.gte, lt: req.lt }, req.limit, req.reverse, nowMs).catch((err: unknown) => {
          throw asIoError(err, `read from ${this.dir} failed`);
        }),
    };
  }
}

/** A caller's key, as callers pass it. */
export type { KeyInput };
