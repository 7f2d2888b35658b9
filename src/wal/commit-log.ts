/**
 * What the write path needs from a log: LSNs in call order and a durability callback in LSN order.
 * `WalWriter` (group commit on a file) and `MemoryLog` (durability mode 'memory') implement it.
 */
import type { PoisonedError } from "../errors.js";
import type { RecordType } from "./format.js";
import type { WalFileInfo, WalWriterStats } from "./wal-writer.js";

/** An append-only log of records with consecutive LSNs. */
export interface CommitLog {
  /** LSN of the last durable record. */
  readonly durableLsn: number;
  /** The LSN the next `append` will get. */
  readonly nextLsnPreview: number;
  /** The poison error, if a write or sync failed. */
  readonly poisoned: PoisonedError | undefined;
  readonly stats: WalWriterStats;
  /**
   * Queues one record; its LSN is assigned now, in call order. `onDurable` runs once it is durable, in LSN
   * order, before `durable` resolves. @throws PoisonedError once poisoned.
   */
  append(
    type: RecordType,
    payload: Uint8Array,
    onDurable: () => void,
  ): { lsn: number; durable: Promise<void> };
  /** The largest clock floor known durable (engine clock ms, src/engine-clock.ts). */
  readonly durableClockFloorMs: number;
  /** Notes that the engine clock reached `ms`; the next write to the log carries it. No I/O by itself. */
  noteClockFloor(ms: number): void;
  /**
   * Resolves once a clock floor of at least `ms` is durable, without appending a record or consuming an LSN
   * (docs/wal-format.md, "Clock floor"). @throws PoisonedError once poisoned; ClosedError once closing.
   */
  waitClockFloor(ms: number): Promise<void>;
  /** Records appended after this call go to a new file; resolves once every earlier record is durable. */
  rotate(): Promise<void>;
  /** Forgets files wholly at or below `lsn` and returns their names. */
  takeFilesBelow(lsn: number): string[];
  /** Live log files, oldest first. */
  liveFiles(): readonly WalFileInfo[];
  /** Waits for queued work, then releases the log. */
  close(): Promise<void>;
}
