/**
 * Broken disks that the oracle must catch (the canary of TigerBeetle's TIGER_STYLE: a harness that cannot
 * fail proves nothing; SQLite's test6.c crash VFS plays the same role). Each wraps any `FileSystem`; they
 * exist for sensitivity tests only.
 */
import type { DirLock, File, FileSystem, OpenOptions } from "../src/io/file-system.js";

/** A file whose `sync` returns success without syncing: the lying fsync. */
class LyingSyncFile implements File {
  constructor(private readonly inner: File) {}
  get path(): string {
    return this.inner.path;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.inner.write(offset, data);
  }
  truncate(size: number): Promise<void> {
    return this.inner.truncate(size);
  }
  async sync(): Promise<void> {
    // Lies: nothing becomes durable.
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A file whose `sync` reports success at once and makes the data durable only later: it starts the real
 * sync and returns without waiting for it, as a write cache that acknowledges a flush before doing it. A
 * crash before the real sync completes loses data the caller was told is durable. A failure of the real sync
 * is reported by the next `sync` on the file (or never, if there is none).
 */
class EarlyAckSyncFile implements File {
  /** The real syncs started and not yet awaited; their failures land in `failure`. */
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  constructor(private readonly inner: File) {}
  get path(): string {
    return this.inner.path;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.inner.write(offset, data);
  }
  truncate(size: number): Promise<void> {
    return this.inner.truncate(size);
  }
  async sync(): Promise<void> {
    const failed = this.failure;
    this.failure = undefined;
    if (failed !== undefined) throw failed.error;
    // Acknowledges before the data is durable: the real sync runs on after this returns.
    const started = this.inner.sync().catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.pending = Promise.all([this.pending, started]).then(() => undefined);
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  async close(): Promise<void> {
    await this.pending;
    return this.inner.close();
  }
}

/** Delegates everything to `inner`; subclasses break one promise. */
export class ForwardingFileSystem implements FileSystem {
  constructor(protected readonly inner: FileSystem) {}
  open(path: string, options?: OpenOptions): Promise<File> {
    return this.inner.open(path, options);
  }
  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path);
  }
  lock(dir: string): Promise<DirLock> {
    return this.inner.lock(dir);
  }
}

/**
 * The lying fsync: every `File.sync` and `syncDir` succeeds and makes nothing durable, so after a crash only
 * what the planner happens to keep survives. Wrap a `SimFileSystem`: `new LyingSyncFileSystem(fs)`.
 */
export class LyingSyncFileSystem extends ForwardingFileSystem {
  override async open(path: string, options?: OpenOptions): Promise<File> {
    return new LyingSyncFile(await this.inner.open(path, options));
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
 * Acknowledgement before fdatasync: `File.sync` on the files `affects` picks (every file by default)
 * returns success as soon as the real sync has started, so a WAL writer on them acknowledges a group commit
 * before its data is on the medium. Unlike {@link LyingSyncFileSystem} the data does become durable shortly
 * after, unless power fails first. Wrap a `SimFileSystem` with latency: `new AckBeforeSyncFileSystem(fs)`.
 */
export class AckBeforeSyncFileSystem extends ForwardingFileSystem {
  constructor(
    inner: FileSystem,
    private readonly affects: (path: string) => boolean = () => true,
  ) {
    super(inner);
  }

  override async open(path: string, options?: OpenOptions): Promise<File> {
    const file = await this.inner.open(path, options);
    return this.affects(path) ? new EarlyAckSyncFile(file) : file;
  }
}
