/**
 * What a power loss keeps of the operations the disk had not yet made durable. The simulated disk asks a
 * `CrashPlanner` once per pending operation and applies its answers to the durable state; fault libraries
 * (torn sector writes, garbage or zero fill, misdirected writes, lost directory operations) are planners.
 * Idea: Pebble `vfs.MemFS.CrashClone` (synced data plus a seeded share of unsynced writes), FoundationDB
 * `AsyncFileNonDurable` (each unsynced write kept, dropped or corrupted at kill time), SQLite `test6.c`.
 */
import type { Prng } from "./prng.js";

/** A run of bytes the crash leaves on the device at `offset`. */
export interface ByteRun {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** A write that completed but was not covered by a finished `sync`. `data` must not be modified. */
export interface PendingWrite {
  /** Stable identity of the file across renames. */
  readonly inodeId: number;
  /** A current name of the file, for targeting and logs ("(unlinked)" if it has none). */
  readonly path: string;
  readonly offset: number;
  readonly data: Uint8Array;
  /** Size of the file's durable image before any pending operation, in bytes. */
  readonly durableSizeBytes: number;
}

/** A truncate that completed but was not covered by a finished `sync`. */
export interface PendingTruncate {
  readonly inodeId: number;
  readonly path: string;
  readonly sizeBytes: number;
}

/**
 * A directory change not covered by a finished `syncDir` of `dir`. A rename within one directory is one
 * operation (a crash leaves the old name or the new one, never both or neither); a rename across
 * directories is an `unlink` in the source and a `link` in the target, each durable with its own directory.
 */
export type PendingDirOp =
  | { readonly kind: "link"; readonly dir: string; readonly name: string }
  | { readonly kind: "unlink"; readonly dir: string; readonly name: string }
  | { readonly kind: "rename"; readonly dir: string; readonly from: string; readonly to: string };

/**
 * Decides the fate of each pending operation at a crash. Call order is deterministic: first every
 * directory's operations (directories in creation order, operations in completion order), then, for each
 * file reachable in the resulting namespace (in creation order), its writes and truncates in completion
 * order. A planner may keep state across calls (one planner serves one crash).
 */
export interface CrashPlanner {
  /** The byte runs this write leaves: `[write]` applied, `[]` dropped, or anything a fault model likes. */
  planWrite(write: PendingWrite): readonly ByteRun[];
  /** Whether this truncate takes effect. */
  planTruncate(truncate: PendingTruncate): boolean;
  /** Whether this directory change takes effect. */
  planDirOp(op: PendingDirOp): boolean;
}

/**
 * The base model: every pending operation, file or directory, is independently kept whole (probability
 * `keepProbability`) or dropped; kept ones apply in their original order. `keepProbability` 0 keeps only
 * durable state, 1 keeps everything. Draws exactly one number per operation.
 */
export class RandomCrashPlanner implements CrashPlanner {
  constructor(
    private readonly prng: Prng,
    private readonly keepProbability = 0.5,
  ) {
    if (!(keepProbability >= 0 && keepProbability <= 1)) {
      throw new RangeError(`RandomCrashPlanner: keepProbability must be in [0, 1], got ${keepProbability}`);
    }
  }

  planWrite(write: PendingWrite): readonly ByteRun[] {
    return this.prng.bool(this.keepProbability) ? [{ offset: write.offset, data: write.data }] : [];
  }

  planTruncate(_truncate: PendingTruncate): boolean {
    return this.prng.bool(this.keepProbability);
  }

  planDirOp(_op: PendingDirOp): boolean {
    return this.prng.bool(this.keepProbability);
  }
}
