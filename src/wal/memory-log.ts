/**
 * The log of durability mode 'memory': no file, no fsync. An appended record is "durable" as soon as the
 * appending call has returned (one microtask later, so the caller has finished its bookkeeping), in LSN
 * order. Everything is lost when the process ends; that is the mode's contract (README, durability modes).
 */
import type { CommitLog } from "./commit-log.js";
import type { RecordType } from "./format.js";
import type { WalFileInfo, WalWriterStats } from "./wal-writer.js";

/** A log that keeps nothing; see the module comment. */
export class MemoryLog implements CommitLog {
  private next = 1;
  private durable = 0;
  private tail: Promise<void> = Promise.resolve();
  private floorMs = 0;
  readonly poisoned = undefined;
  readonly stats: WalWriterStats = { groups: 0, records: 0, bytesWritten: 0, syncs: 0 };

  get durableLsn(): number {
    return this.durable;
  }

  get nextLsnPreview(): number {
    return this.next;
  }

  append(
    _type: RecordType,
    _payload: Uint8Array,
    onDurable: () => void,
  ): { lsn: number; durable: Promise<void> } {
    const lsn = this.next++;
    // Microtasks run in queue order, so records become durable in LSN order.
    const durable = Promise.resolve().then(() => {
      this.durable = lsn;
      this.stats.records++;
      onDurable();
    });
    this.tail = durable.then(
      () => undefined,
      () => undefined,
    );
    return { lsn, durable };
  }

  /** Mode 'memory' keeps nothing: the floor noted counts as durable (it lasts as long as the process). */
  get durableClockFloorMs(): number {
    return this.floorMs;
  }

  noteClockFloor(ms: number): void {
    this.floorMs = Math.max(this.floorMs, ms);
  }

  waitClockFloor(ms: number): Promise<void> {
    this.noteClockFloor(ms);
    return Promise.resolve();
  }

  rotate(): Promise<void> {
    return this.tail;
  }

  takeFilesBelow(_lsn: number): string[] {
    return [];
  }

  liveFiles(): readonly WalFileInfo[] {
    return [];
  }

  close(): Promise<void> {
    return this.tail;
  }
}
