/**
 * The log of a database opened with `readOnly: true`: the WAL as recovery found it, never appended to. Its
 * durable LSN is the last record recovery read; its live files are the ones it read. The facade refuses
 * every write and checkpoint with FUSEDB_READ_ONLY before the log is asked, so `append` and `rotate` are
 * never called: calling them is a bug (an assertion).
 */
import { assert } from "../errors.js";
import type { CommitLog } from "./commit-log.js";
import type { RecordType } from "./format.js";
import type { WalFileInfo, WalWriterStats } from "./wal-writer.js";

/** A log that only reports what recovery found; see the module comment. */
export class ReadOnlyLog implements CommitLog {
  readonly poisoned = undefined;
  readonly stats: WalWriterStats = { groups: 0, records: 0, bytesWritten: 0, syncs: 0 };

  /**
   * @param durableLsn LSN of the last record recovered (0 if none).
   * @param files the live WAL files recovery read, oldest first.
   * @param clockFloorMs the durable clock floor recovery found.
   */
  constructor(
    readonly durableLsn: number,
    private readonly files: readonly WalFileInfo[],
    private readonly clockFloorMs = 0,
  ) {
    assert(Number.isSafeInteger(durableLsn) && durableLsn >= 0, "a recovered LSN is a non-negative integer");
  }

  get nextLsnPreview(): number {
    return this.durableLsn + 1;
  }

  append(
    _type: RecordType,
    _payload: Uint8Array,
    _onDurable: () => void,
  ): { lsn: number; durable: Promise<void> } {
    throw new Error(
      "fusedb assertion failed: a read-only database never appends (the facade refuses writes)",
    );
  }

  /** The floor recovery found; a read-only handle never raises it (it writes nothing). */
  get durableClockFloorMs(): number {
    return this.clockFloorMs;
  }

  noteClockFloor(_ms: number): void {
    // Nothing is written: the engine clock is monotonic in this process only (docs/wal-format.md).
  }

  waitClockFloor(_ms: number): Promise<void> {
    throw new Error("fusedb assertion failed: a read-only database never makes a clock floor durable");
  }

  rotate(): Promise<void> {
    throw new Error(
      "fusedb assertion failed: a read-only database never rotates (the facade refuses checkpoints)",
    );
  }

  takeFilesBelow(_lsn: number): string[] {
    return [];
  }

  liveFiles(): readonly WalFileInfo[] {
    return this.files;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
