/**
 * What a power loss keeps of the operations the disk had not yet made durable.
 * Idea: Pebble `vfs.MemFS.CrashClone` (synced data plus a seeded share of unsynced writes), FoundationDB
 * `AsyncFileNonDurable` (each unsynced write kept, dropped or corrupted at kill time), SQLite `test6.c`.
 *
 * Two levels:
 * - {@link CrashPlanner}: keep or drop each pending operation whole. `SimFileSystem` takes one in its
 *   options and consults it at `crash(prng)`.
 * - {@link FaultPlanner}: the byte level the disk applies (a write may leave any runs of bytes: torn at a
 *   sector, garbage, misdirected). Fault libraries implement it and pass it to `crash` directly;
 *   {@link faultPlannerOf} lowers a `CrashPlanner` to it.
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
 * A pending file operation as a {@link CrashPlanner} sees it. Offsets and sizes in bytes; for a truncate,
 * `offset` equals `size` (the cut point), so a planner can target a byte range without narrowing.
 */
export type PendingOpInfo =
  | {
      readonly kind: "write";
      readonly path: string;
      readonly inodeId: number;
      readonly offset: number;
      readonly length: number;
    }
  | {
      readonly kind: "truncate";
      readonly path: string;
      readonly inodeId: number;
      readonly offset: number;
      readonly size: number;
    };

/** A planner's verdict on one pending operation. */
export type CrashDecision = "keep" | "drop";

/**
 * Decides, at a crash, whether each pending operation survives whole. Kept operations apply in their
 * original order. Call order is deterministic: every directory's changes first (directories in creation
 * order, changes in completion order), then, per file reachable in the resulting namespace (in creation
 * order), its writes and truncates in completion order. Draw only from the `prng` given.
 */
export interface CrashPlanner {
  /** The fate of a pending write or truncate. */
  decide(op: PendingOpInfo, prng: Prng): CrashDecision;
  /**
   * The fate of a create, remove or rename not yet made durable by `syncDir`. If absent, each is kept
   * with probability 1/2 (one draw), like {@link RandomCrashPlanner}.
   */
  decideDirOp?(op: PendingDirOp, prng: Prng): CrashDecision;
}

/**
 * The base model: every pending operation, file or directory, is independently kept (probability
 * `keepProbability`) or dropped; one draw per operation. 0 keeps only durable state, 1 keeps everything.
 * @throws RangeError unless `0 <= keepProbability <= 1`.
 */
export class RandomCrashPlanner implements CrashPlanner {
  constructor(private readonly keepProbability = 0.5) {
    if (!(keepProbability >= 0 && keepProbability <= 1)) {
      throw new RangeError(`RandomCrashPlanner: keepProbability must be in [0, 1], got ${keepProbability}`);
    }
  }

  decide(_op: PendingOpInfo, prng: Prng): CrashDecision {
    return prng.bool(this.keepProbability) ? "keep" : "drop";
  }

  decideDirOp(_op: PendingDirOp, prng: Prng): CrashDecision {
    return prng.bool(this.keepProbability) ? "keep" : "drop";
  }
}

/**
 * The byte-level plan the simulated disk applies at a crash, in the call order given on
 * {@link CrashPlanner}. A fault planner may keep state across calls (one planner serves one crash).
 */
export interface FaultPlanner {
  /** The byte runs this write leaves: `[write]` applied, `[]` dropped, or anything a fault model likes. */
  planWrite(write: PendingWrite): readonly ByteRun[];
  /** Whether this truncate takes effect. */
  planTruncate(truncate: PendingTruncate): boolean;
  /** Whether this directory change takes effect. */
  planDirOp(op: PendingDirOp): boolean;
}

/** Lowers a keep-or-drop planner to the byte level, drawing from `prng`. */
export function faultPlannerOf(planner: CrashPlanner, prng: Prng): FaultPlanner {
  return {
    planWrite: (w) =>
      planner.decide(
        { kind: "write", path: w.path, inodeId: w.inodeId, offset: w.offset, length: w.data.length },
        prng,
      ) === "keep"
        ? [{ offset: w.offset, data: w.data }]
        : [],
    planTruncate: (t) =>
      planner.decide(
        { kind: "truncate", path: t.path, inodeId: t.inodeId, offset: t.sizeBytes, size: t.sizeBytes },
        prng,
      ) === "keep",
    planDirOp: (op) =>
      (planner.decideDirOp === undefined
        ? prng.bool(0.5)
          ? "keep"
          : "drop"
        : planner.decideDirOp(op, prng)) === "keep",
  };
}
