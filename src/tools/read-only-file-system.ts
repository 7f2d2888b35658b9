/**
 * A read-only view of a {@link FileSystem}, for the tools that look at a database without owning it
 * (`fusedb inspect`, `fusedb check`): files are opened with `readOnly` (O_RDONLY on the real disk), and every
 * operation that could change the disk — every operation {@link IO_OP_KINDS} does not classify as a read:
 * write, truncate, sync, create, rename, remove, mkdir, syncDir, lock — rejects with an error whose `code`
 * is "EROFS". So a tool can never repair, truncate or take the directory lock by accident, and works on a
 * database another process has open.
 */
import { assert } from "../errors.js";
import type { DirLock, File, FileSystem, LockOptions, OpenOptions } from "../io/file-system.js";
import {
  ForwardingFile,
  ForwardingFileSystem,
  IO_OP_KINDS,
  type IoOp,
  openOp,
} from "../io/forwarding-file-system.js";

/** The error every write-kind operation rejects with: an Error with `code === "EROFS"`. */
export function readOnlyError(op: string, path: string): Error & { code: string } {
  return Object.assign(new Error(`EROFS: ${op} ${path}: read-only view`), { code: "EROFS" });
}

/** Rejects `op` on `path`; only operations that are not reads may be refused. */
function refuse(op: IoOp, path: string): Promise<never> {
  assert(IO_OP_KINDS[op] !== "read", `the read-only view refuses only write-kind operations, not ${op}`);
  return Promise.reject(readOnlyError(op, path));
}

class ReadOnlyFile extends ForwardingFile {
  override write(_offset: number, _data: Uint8Array): Promise<void> {
    return refuse("write", this.path);
  }
  override truncate(_size: number): Promise<void> {
    return refuse("truncate", this.path);
  }
  override sync(): Promise<void> {
    return refuse("sync", this.path);
  }
}

class ReadOnlyFileSystem extends ForwardingFileSystem {
  protected override wrapFile(file: File): File {
    return new ReadOnlyFile(file);
  }
  override open(path: string, options: OpenOptions = {}): Promise<File> {
    const op = openOp(options);
    if (op !== "open") return refuse(op, path);
    return super.open(path, { readOnly: true });
  }
  override rename(from: string, _to: string): Promise<void> {
    return refuse("rename", from);
  }
  override remove(path: string): Promise<void> {
    return refuse("remove", path);
  }
  override mkdir(path: string): Promise<void> {
    return refuse("mkdir", path);
  }
  override syncDir(path: string): Promise<void> {
    return refuse("syncDir", path);
  }
  override lock(dir: string, _options?: LockOptions): Promise<DirLock> {
    return refuse("lock", dir);
  }
}

/** `fs` seen read-only: reads pass through, every write-kind operation rejects with code "EROFS". */
export function readOnlyFileSystem(fs: FileSystem): FileSystem {
  return new ReadOnlyFileSystem(fs);
}
