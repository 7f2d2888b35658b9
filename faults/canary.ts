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
