/**
 * A file system that forwards every call to another one, for wrappers that change one behaviour and keep
 * the rest (LevelDB's `EnvWrapper`, Pebble's `vfs` wrappers): the read-only view of the tools, the broken
 * disks of the sensitivity tests, the step recorder of exhaustive mode, the runtime-fault wrapper. A
 * subclass overrides the one `FileSystem` method it changes; to change what a file does, it overrides
 * {@link ForwardingFileSystem.wrapFile} and returns a {@link ForwardingFile} subclass.
 *
 * {@link IO_OP_KINDS} classifies every operation of the seam once, as Pebble's errorfs does (`OpKind`,
 * `ReadOrWrite`), for wrappers that treat operations by kind.
 */
import type { DirLock, File, FileSystem, FileWrite, LockOptions, OpenOptions } from "./file-system.js";
import { writeThenSync } from "./file-system.js";

/**
 * Every operation of the seam: the `File` methods, the `FileSystem` methods, and `create` for an `open`
 * with `create` set (it adds a directory entry).
 */
export type IoOp =
  | "read"
  | "write"
  | "truncate"
  | "sync"
  | "size"
  | "close"
  | "open"
  | "create"
  | "list"
  | "exists"
  | "rename"
  | "remove"
  | "mkdir"
  | "syncDir"
  | "lock";

/**
 * What an operation does to the disk: `read` changes nothing; `write` changes file data, directory entries
 * or who holds the directory lock (durable or not); `sync` makes earlier writes durable.
 */
export type IoOpKind = "read" | "write" | "sync";

/** The kind of each operation; the one place the seam's operations are classified. */
export const IO_OP_KINDS: Readonly<Record<IoOp, IoOpKind>> = {
  read: "read",
  size: "read",
  close: "read",
  open: "read",
  list: "read",
  exists: "read",
  write: "write",
  truncate: "write",
  create: "write",
  rename: "write",
  remove: "write",
  mkdir: "write",
  lock: "write",
  sync: "sync",
  syncDir: "sync",
};

/** The operation an `open` call is: `create` if it may add a directory entry, else `open`. */
export function openOp(options: OpenOptions | undefined): "open" | "create" {
  return options?.create === true ? "create" : "open";
}

/** A file that forwards every call to `inner`; subclasses override what they change. */
export class ForwardingFile implements File {
  constructor(protected readonly inner: File) {}

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
  sync(): Promise<void> {
    return this.inner.sync();
  }
  /**
   * The separate calls, through this wrapper's own `write` and `sync` ({@link writeThenSync}), so a
   * subclass that changes either changes this too; it does not reach `inner.writeAndSync` (a wrapped real
   * disk takes the slower path of separate trips, with the same effect).
   */
  writeAndSync(writes: readonly FileWrite[]): Promise<void> {
    return writeThenSync(this, writes);
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A file system that forwards every call to `inner`; subclasses override what they change. Files opened
 * through it are `inner`'s files passed through {@link wrapFile} (by default, unchanged).
 */
export class ForwardingFileSystem implements FileSystem {
  constructor(protected readonly inner: FileSystem) {}

  /** What `open` returns for a file `inner` opened. Override to wrap files; the default returns `file`. */
  protected wrapFile(file: File): File {
    return file;
  }

  async open(path: string, options?: OpenOptions): Promise<File> {
    return this.wrapFile(await this.inner.open(path, options));
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
  lock(dir: string, options?: LockOptions): Promise<DirLock> {
    return this.inner.lock(dir, options);
  }
}
