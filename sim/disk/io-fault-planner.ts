/**
 * Runtime faults of the simulated disk: what a call may suffer while the power is on, as opposed to what a
 * crash does to unsynced data (crash-planner.ts). `SimFileSystem` asks the planner once per read, write,
 * file sync and directory sync, at the call's completion (so in the seeded completion order), and applies
 * the answer to the disk itself: the faults are properties of the device, not of a wrapper. Fault libraries
 * implement it (faults/runtime-faults.ts, with seeded probabilities); faults/faulty-file-system.ts applies a
 * planner's answers over any other `FileSystem`.
 * Sources: Pebble `vfs/errorfs`; "Can Applications Recover from fsync Failures?" (Rebello et al., ATC'20);
 * TigerBeetle `src/testing/storage.zig` (read faults, misdirected writes).
 */

/** The call being planned. Offsets and lengths in bytes. */
export interface IoCallInfo {
  /** A current name of the file ("(unlinked)" if none). */
  readonly path: string;
  /**
   * Stable identity of the file across renames; undefined when the caller cannot tell (a wrapper over
   * another file system).
   */
  readonly inodeId?: number;
  readonly offset: number;
  /** Bytes the call moves: for a read, what it will return (short at end of file). */
  readonly length: number;
}

/** What happens to a write. */
export type WriteFault =
  | { readonly kind: "none" }
  /** The write fails with `code` after its first `landedBytes` bytes landed (0: nothing; else a short write). */
  | { readonly kind: "fail"; readonly code: "EIO" | "ENOSPC"; readonly landedBytes: number }
  /** The write succeeds, but its bytes land at `offset` instead (a misdirected write). */
  | { readonly kind: "misdirect"; readonly offset: number };

/** What happens to a read. */
export type ReadFault =
  | { readonly kind: "none" }
  /** The read fails with EIO; nothing changes. */
  | { readonly kind: "eio" }
  /**
   * A latent sector error: the byte at absolute `offset` has `mask` flipped on the medium, for ever (until
   * rewritten), and this read and every later one see it. Only planned on files with no pending writes.
   */
  | { readonly kind: "flip"; readonly offset: number; readonly mask: number };

/** Decides the runtime faults of each call; see the module comment. Draw only from your own stream. */
export interface IoFaultPlanner {
  planWrite(call: IoCallInfo): WriteFault;
  /**
   * Whether a read fails or finds a latent sector error. `durable` is true when the file has no pending
   * (unsynced) operation, so every byte read is durable data.
   */
  planRead(call: IoCallInfo, durable: boolean): ReadFault;
  /**
   * Whether an fdatasync fails with EIO. If it does, the disk drops the writes it would have made durable,
   * as Linux does after a failed fsync (ATC'20): they stay visible to reads (the page cache keeps them,
   * marked clean) but never reach the medium, not even through a later successful fsync.
   */
  planSync(call: IoCallInfo): boolean;
  /** Whether a directory fsync fails with EIO (its pending entries stay pending). */
  planSyncDir(path: string): boolean;
}
