/**
 * A read-only view of a {@link FileSystem}, for the tools that look at a database without owning it
 * (`fusedb inspect`, `fusedb check`): files are opened with `readOnly` (O_RDONLY on the real disk), and every
 * operation that could change the disk — write, truncate, sync, create, rename, remove, mkdir, syncDir,
 * lock — rejects with an error whose `code` is "EROFS". So a tool can never repair, truncate or take the
 * directory lock by accident, and works on a database another process has open.
 *
 * Each operation kind is declared once here and classified as read (passed through) or write (rejected),
 * Pebble's vfs wrapper habit.
 */
import type { DirLock, File, FileSystem, OpenOptions } from "../io/file-system.js";

/** The error every write-kind operation rejects with: an Error with `code === "EROFS"`. */
export function readOnlyError(op: string, path: string): Error & { code: string } {
  return Object.assign(new Error(`EROFS: ${op} ${path}: read-only view`), { code: "EROFS" });
}

class ReadOnlyFile implements File {
  constructor(private readonly inner: File) {}

  get path(): string {
    return this.inner.path;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.inner.read(offset, length);
  }

  async write(_offset: number, _data: Uint8Array): Promise<void> {
    throw readOnlyError("write", this.path);
  }

  async truncate(_size: number): Promise<void> {
    throw readOnlyError("truncate", this.path);
  }

  async sync(): Promise<void> {
    throw readOnlyError("sync", this.path);
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

class ReadOnlyFileSystem implements FileSystem {
  constructor(private readonly inner: FileSystem) {}

  async open(path: string, options: OpenOptions = {}): Promise<File> {
    if (options.create === true) throw readOnlyError("create", path);
    return new ReadOnlyFile(await this.inner.open(path, { readOnly: true }));
  }

  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  async rename(from: string, _to: string): Promise<void> {
    throw readOnlyError("rename", from);
  }

  async remove(path: string): Promise<void> {
    throw readOnlyError("remove", path);
  }

  async mkdir(path: string): Promise<void> {
    throw readOnlyError("mkdir", path);
  }

  async syncDir(path: string): Promise<void> {
    throw readOnlyError("syncDir", path);
  }

  async lock(dir: string): Promise<DirLock> {
    throw readOnlyError("lock", dir);
  }
}

/** `fs` seen read-only: reads pass through, every write-kind operation rejects with code "EROFS". */
export function readOnlyFileSystem(fs: FileSystem): FileSystem {
  return new ReadOnlyFileSystem(fs);
}
