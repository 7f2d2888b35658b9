/**
 * What the tree needs from the engine around it (durable modes; memory mode has no host: no files, no
 * WAL, no background work).
 */
import type { KeyString } from "../doc/key.js";
import type { FileSystem } from "../io/file-system.js";

/** The engine as the tree's jobs see it: the data directory, the WAL's progress, and where failures go. */
export interface TreeHost {
  readonly fs: FileSystem;
  readonly dir: string;
  /** Highest LSN whose effects were applied to the tree. */
  appliedLsn(): number;
  /** Resolves once every record up to `lsn` is durable. @throws PoisonedError if the WAL failed. */
  waitDurable(lsn: number): Promise<void>;
  /** Expiry horizon for background removal of expired documents (Clock ms); never above `clockFloorMs()`. */
  expiryHorizonMs(): number;
  /**
   * The durable clock floor (engine clock ms, src/engine-clock.ts): manifest edits carry it, so it
   * outlives the WAL files deleted below the checkpoint.
   */
  clockFloorMs(): number;
  /** WAL bytes written so far. */
  walBytesWritten(): number;
  /** Forgets WAL files wholly at or below `lsn`; returns their names for deletion. */
  takeWalFilesBelow(lsn: number): string[];
  /**
   * For a rewrite whose input is durable up to `durableLsn`: a predicate true for internal element entries
   * of dead collection generations, which the rewrite drops (src/types/dead-elements.ts). Absent: none.
   */
  deadElements?(durableLsn: number, horizonMs: number): (key: KeyString) => boolean;
  /** A background job failed: the engine must stop writing (poison). */
  onBackgroundError(err: unknown): void;
}
