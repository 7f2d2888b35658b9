/**
 * Broken disks that the oracle must catch (the canary of TigerBeetle's TIGER_STYLE: a harness that cannot
 * fail proves nothing; SQLite's test6.c crash VFS plays the same role). Each wraps any `FileSystem`; they
 * exist for sensitivity tests only.
 */
import type { File, FileSystem } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

/** A file whose `sync` returns success without syncing: the lying fsync. */
class LyingSyncFile extends ForwardingFile {
  override async sync(): Promise<void> {
    // Lies: nothing becomes durable.
  }
}

/**
 * The lying fsync: every `File.sync` and `syncDir` succeeds and makes nothing durable, so after a crash only
 * what the planner happens to keep survives. Wrap a `SimFileSystem`: `new LyingSyncFileSystem(fs)`.
 */
export class LyingSyncFileSystem extends ForwardingFileSystem {
  protected override wrapFile(file: File): File {
    return new LyingSyncFile(file);
  }
  override async syncDir(_path: string): Promise<void> {
    // Lies: directory entries stay pending.
  }
}

/** A directory fsync that does nothing: new files and renames are never made durable. */
export class NoDirSyncFileSystem extends ForwardingFileSystem {
  override async syncDir(_path: string): Promise<void> {
    // Lies: directory entries stay pending.
  }
}

/**
 * A file whose `sync` reports success at once and makes the data durable only later: it starts the real
 * sync and returns without waiting for it, as a write cache that acknowledges a flush before doing it. A
 * crash before the real sync completes loses data the caller was told is durable. A failure of the real sync
 * is reported by the next `sync` on the file (or never, if there is none).
 */
class EarlyAckSyncFile extends ForwardingFile {
  /** The real syncs started and not yet awaited; their failures land in `failure`. */
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  override async sync(): Promise<void> {
    const failed = this.failure;
    this.failure = undefined;
    if (failed !== undefined) throw failed.error;
    // Acknowledges before the data is durable: the real sync runs on after this returns.
    const started = this.inner.sync().catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.pending = Promise.all([this.pending, started]).then(() => undefined);
  }

  override async close(): Promise<void> {
    await this.pending;
    return this.inner.close();
  }
}

/**
 * Acknowledge-before-sync: files whose path `affects` accepts (all, by default) report a sync as done the
 * moment it starts, so an engine that acknowledges on that report acknowledges data a crash can still take
 * back. Wrap a `SimFileSystem` with latency: `new AckBeforeSyncFileSystem(fs)`.
 */
export class AckBeforeSyncFileSystem extends ForwardingFileSystem {
  constructor(
    inner: FileSystem,
    private readonly affects: (path: string) => boolean = () => true,
  ) {
    super(inner);
  }

  protected override wrapFile(file: File): File {
    return this.affects(file.path) ? new EarlyAckSyncFile(file) : file;
  }
}
