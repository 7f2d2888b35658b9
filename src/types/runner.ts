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
import { Txn, type TxnContext } from "./txn.js";
import { CachingView, NOT_NOW, runOn, type StateView, tryNow, type ViewSource } from "./view.js";
import {
  checkGuard,
  type TypesWriteOptions,
  type WriteGuard,
  writeGuard,
  writeInfo,
} from "./write-options.js";

/** Bytes as callers pass them: a string (taken as UTF-8) or a Uint8Array/Buffer. */
export type BytesInput = string | Uint8Array;

/**
 * What the data-type namespaces (`Strings`, `Hashes`, `Lists`, `Sets`, `SortedSets`, `Keys`) run their
 * operations on: argument conversion, and `write`/`read` of a pure operation `(tx: Txn) => T`
 * (src/types/txn.ts). {@link TypesRunner} runs them on the database (one WAL record per write, reads of the
 * visible state); a transaction's runner (src/tx/tx-runner.ts) runs them on its snapshot with its own
 * writes on top and re-runs the writes at commit. So one class serves `db.hashes` and `tx.hashes`.
 */
export interface OpRunner {
  /** A caller's key as its tree key. @throws InvalidArgumentError. */
  key(key: unknown): KeyString;
  /** A caller's bytes as a binary string. @throws InvalidArgumentError. */
  bytes(v: unknown, what: string): string;
  /** A write method's compare-and-set options as a guard. @throws InvalidArgumentError. */
  guard(options: TypesWriteOptions | undefined, primary: KeyString | undefined): WriteGuard | undefined;
  /** Runs the write `fn` (after `guard`'s checks) and resolves with its answer. */
  write<T>(fn: (tx: Txn) => T, guard?: WriteGuard): Promise<T>;
  /** Runs the read-only `fn` and resolves with its answer. */
  read<T>(fn: (tx: Txn) => T): Promise<T>;
  /** Seeds of the calls that draw at random: take one per call, outside the operation. */
  readonly seeds: SeedSequence;
}

/** Runs data-type operations for one open database. */
export class TypesRunner implements OpRunner {
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
   * A write method's compare-and-set options (src/types/write-options.ts) as a guard for {@link write};
   * `primary` is the key `ifVersion` names (undefined: the call names none).
   * @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT) for bad options.
   */
  guard(options: TypesWriteOptions | undefined, primary: KeyString | undefined): WriteGuard | undefined {
    return writeGuard(options, primary, (k) => this.key(k));
  }

  /**
   * Commits `fn` as one call: resolved on the newest state, one WAL record, resolved once durable. With a
   * `guard`, its version conditions are checked first, on that same state: every data-type write's
   * `ifVersion` is this one check. Then its `onCommit` hears what the call did, once acknowledged.
   * @throws VersionConflictError (FUSEDB_VERSION_CONFLICT) if a condition fails; whatever `fn` throws (either
   *   way the call changed nothing); ClosedError, PoisonedError, ReadOnlyError, IoError as every write; what
   *   `onCommit` throws (the write stands).
   */
  write<T>(fn: (tx: Txn) => T, guard?: WriteGuard): Promise<T> {
    const valueBytesMax = this.options.valueBytesMax;
    // Broken variant 'reuse-generations' (sensitivity tests only): every collection gets generation 0.
    const reuseGenerations = this.options.recoveryMode === "reuse-generations";
    // Broken variant 'stale-zset-index' (sensitivity tests only): a moved member's old index entry stays.
    const staleZsetIndex = this.options.recoveryMode === "stale-zset-index";
    const commit = () =>
      this.pipeline.commitOp((view, ctx) => {
        // A literal of one shape, not a spread of `ctx`: the spread built a fresh hidden class per call
        // (V8 map transitions, ~3% of a SET's CPU under redis-benchmark).
        const txCtx: TxnContext = {
          lsn: ctx.lsn,
          nowMs: ctx.nowMs,
          deadFloor: ctx.deadFloor,
          valueBytesMax,
          reuseGenerations,
          staleZsetIndex,
        };
        const tx = new Txn(view, txCtx);
        if (guard !== undefined) checkGuard(tx, guard);
        const result = fn(tx);
        const info = guard?.onCommit === undefined ? undefined : writeInfo(tx, guard);
        return { effects: tx.effects(), result: { result, info } };
      });
    let committed: ReturnType<typeof commit>;
    try {
      committed = commit();
    } catch (err) {
      return Promise.reject(err);
    }
    // One `then`, no async frame: this is every data-type write's path (the RESP server's SET, INCR, ...).
    return committed.then((r) => {
      if (r.result.info !== undefined) guard?.onCommit?.({ lsn: r.lsn, ...r.result.info });
      return r.result.result;
    });
  }

  /**
   * Runs the read-only `fn` on the visible state (exactly the durable writes), rerunning it if a key it read
   * changed while it waited for I/O.
   * @throws whatever `fn` throws; ClosedError; IoError (FUSEDB_IO) and CorruptionError from reads.
   */
  async read<T>(fn: (tx: Txn) => T): Promise<T> {
    for (;;) {
      const run = this.startRead(fn);
      const result = await runOn(run.view, run.op);
      if (run.view.fills > 0 && !(await this.unchanged(run.view.gets))) continue;
      if (this.dependsOnTime(run.view.gets, run.nowMs, run.usedTime))
        await this.pipeline.answerTime(run.nowMs);
      return result;
    }
  }

  /**
   * {@link read} without an async frame when it can: `fn`'s answer, synchronously, if memory holds every
   * key it reads and the answer depends on no time above the durable clock floor (the common case of a
   * point read on hot data: GET, HGET); else the promise of {@link read}. The same answer either way.
   * @throws as {@link read} (synchronously when `fn` throws on the first run).
   */
  readNow<T>(fn: (tx: Txn) => T): T | Promise<T> {
    const run = this.startRead(fn);
    const first = tryNow(run.view, run.op);
    if (first !== undefined && !this.dependsOnTime(run.view.gets, run.nowMs, run.usedTime))
      return first.value;
    return this.read(fn);
  }

  /** One run of a read: its view on the visible state, its call time, and `fn` bound to a Txn on it. */
  private startRead<T>(fn: (tx: Txn) => T): {
    view: CachingView;
    nowMs: number;
    usedTime: boolean;
    op: (v: StateView) => T;
  } {
    if (this.pipeline.closed) throw new ClosedError();
    const nowMs = this.clock.now();
    const view = new CachingView(this.visibleSource(nowMs));
    const floor = this.tree.floor;
    const seed = ++this.reads;
    const ctx = { lsn: 0, nowMs, deadFloor: (k: KeyString) => floor.get(k), valueBytesMax: 0, seed };
    const run = {
      view,
      nowMs,
      usedTime: false,
      op: (v: StateView): T => {
        const tx = new Txn(v, ctx);
        const out = fn(tx);
        run.usedTime = tx.usedTime;
        return out;
      },
    };
    return run;
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
      scanNow: (req) => {
        let found: ReturnType<Tree["scanNow"]>;
        try {
          found = this.tree.scanNow({ gte: req.gte, lt: req.lt }, req.limit, req.reverse, nowMs);
        } catch (err) {
          throw asIoError(err, `read from ${this.dir} failed`);
        }
        return found === NOT_IN_MEMORY ? NOT_NOW : found;
      },
    };
  }
}

/** A caller's key, as callers pass it. */
export type { KeyInput };
