/**
 * A file handle of the simulated disk: every call goes through its disk's {@link IoRunner} (latency, trace,
 * crashed check) and applies to the inode the handle was opened on, with the runtime faults planned at
 * completion.
 *
 * Invariants: a handle names one inode for its whole life, so renames and removes of its file do not affect
 * it (POSIX file descriptions); a call issued after `close` fails with EBADF and changes nothing; a failed
 * `sync` drops the pending operations it covered (they never become durable); the counters move only on
 * success.
 */
import type { File, FileWrite } from "../../src/io/file-system.js";
import { writeThenSync } from "../../src/io/file-system.js";
import type { DiskState } from "./disk-state.js";
import type { IoFaultPlanner } from "./io-fault-planner.js";
import type { IoRunner, IoSyncRunner } from "./io-schedule.js";
import type { LatencyClass } from "./latency-profile.js";
import type { SimDiskCounters } from "./sim-disk-counters.js";
import { SimIoError } from "./sim-error.js";

/**
 * A handle on one inode; renames of its file do not affect it (POSIX file descriptions). Made by
 * `SimFileSystem.open` with the disk's runner, its live counters and a getter of its current runtime fault
 * planner (so `setIoFaults` reaches files already open).
 */
export class SimFile implements File {
  private closed = false;

  /** Present when the disk has `syncReads`: the same read as `read`, applied at once (no latency). */
  readonly readSync: ((offset: number, length: number) => Uint8Array) | undefined;

  constructor(
    readonly path: string,
    private readonly inodeId: number,
    private readonly run: IoRunner,
    private readonly stats: SimDiskCounters,
    private readonly faults: () => IoFaultPlanner | undefined,
    runSync?: IoSyncRunner,
  ) {
    this.readSync =
      runSync === undefined
        ? undefined
        : (offset, length) =>
            runSync(
              { syscall: "read", path: this.path, detail: `off=${offset} len=${length} sync`, cls: "read" },
              (state) => {
                if (this.closed) throw new SimIoError("EBADF", "read", this.path);
                return this.readNow(state, offset, length);
              },
            );
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.call("read", `off=${offset} len=${length}`, "read", (state) =>
      this.readNow(state, offset, length),
    );
  }

  /** A read's completion: the bytes, with the runtime read faults planned for it (EIO, a bit flip). */
  private readNow(state: DiskState, offset: number, length: number): Uint8Array {
    const id = this.inodeId;
    const bytes = state.read(id, offset, length);
    const fault = this.faults()?.planRead(
      { path: this.path, inodeId: id, offset, length: bytes.length },
      state.isClean(id),
    );
    if (fault?.kind === "eio") throw new SimIoError("EIO", "read", this.path);
    if (fault?.kind === "flip") {
      state.flipBit(id, fault.offset, fault.mask);
      bytes[fault.offset - offset] = (bytes[fault.offset - offset] as number) ^ fault.mask;
    }
    this.stats.reads++;
    this.stats.bytesRead += bytes.length;
    return bytes;
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.call("write", `off=${offset} len=${data.length}`, "write", (state, id) => {
      const fault = this.faults()?.planWrite({ path: this.path, inodeId: id, offset, length: data.length });
      if (fault?.kind === "fail") {
        if (fault.landedBytes > 0) state.write(id, offset, data.subarray(0, fault.landedBytes));
        throw new SimIoError(fault.code, "write", this.path);
      }
      if (fault?.kind === "misdirect") {
        state.write(id, fault.offset, data);
        state.markDamaged(id, Math.min(offset, fault.offset));
      } else state.write(id, offset, data);
      this.stats.writes++;
      this.stats.bytesWritten += data.length;
    });
  }

  truncate(size: number): Promise<void> {
    return this.call("truncate", `size=${size}`, "write", (state, id) => {
      state.truncate(id, size);
      this.stats.truncates++;
    });
  }

  sync(): Promise<void> {
    return this.run({ syscall: "sync", path: this.path, detail: "", cls: "sync" }, (state) => {
      const closedAtIssue = this.closed;
      const mark = state.mark(); // covers what completed before the sync was issued
      return () => {
        if (closedAtIssue) throw new SimIoError("EBADF", "sync", this.path);
        if (this.faults()?.planSync({ path: this.path, inodeId: this.inodeId, offset: 0, length: 0 })) {
          state.dropPending(this.inodeId, mark);
          throw new SimIoError("EIO", "fsync", this.path);
        }
        state.syncFile(this.inodeId, mark);
        this.stats.syncs++;
      };
    });
  }

  /**
   * The writes, then the sync, as separate calls ({@link writeThenSync}): each draws its latency, is planned
   * by the runtime fault planner and can be cut by a crash exactly as when the engine issues them one by one.
   */
  writeAndSync(writes: readonly FileWrite[]): Promise<void> {
    return writeThenSync(this, writes);
  }

  size(): Promise<number> {
    return this.call("size", "", "read", (state, id) => state.size(id));
  }

  /** Closing twice is harmless, as with `FileHandle.close`. */
  close(): Promise<void> {
    return this.run({ syscall: "close", path: this.path, detail: "", cls: "meta" }, (state) => {
      const first = !this.closed;
      this.closed = true;
      return () => {
        if (!first) return;
        state.closeFile(this.inodeId);
        this.stats.closes++;
      };
    });
  }

  /** A call that fails with EBADF if the handle was closed when it was issued. */
  private call<T>(
    syscall: string,
    detail: string,
    cls: LatencyClass,
    apply: (state: DiskState, inodeId: number) => T,
  ): Promise<T> {
    return this.run({ syscall, path: this.path, detail, cls }, (state) => {
      const closedAtIssue = this.closed;
      return () => {
        if (closedAtIssue) throw new SimIoError("EBADF", syscall, this.path);
        return apply(state, this.inodeId);
      };
    });
  }
}
