/**
 * The real-disk `FileSystem`, on `node:fs/promises`. `sync` is `fdatasync(2)`; `syncDir` opens the
 * directory read-only and `fsync(2)`s it, which is how Linux makes directory entries durable.
 */
import { Buffer } from "node:buffer";
import { constants, readSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import type { DirLock, File, FileSystem, FileWrite, LockOptions, OpenOptions } from "./file-system.js";
import { DirLockHeldError, ioErrorCode, joinPath, WriteAndSyncError, writeThenSync } from "./file-system.js";
import { SyncThread } from "./node-sync-thread.js";

/** Name of the lock file inside a data directory. */
export const LOCK_FILE = "LOCK";

class NodeFile implements File {
  /** Whether this file holds its file system's sync thread (released on close). */
  private holdsThread = false;
  /** Present with `syncReads` (see {@link NodeFileSystemOptions}): pread on the calling thread. */
  readonly readSync: ((offset: number, length: number) => Uint8Array) | undefined;

  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    syncReads: boolean,
    private readonly thread: SyncThread,
  ) {
    this.readSync = syncReads ? (offset, length) => preadFully(handle.fd, offset, length) : undefined;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    // Bounded: each iteration reads at least one byte or stops at end of file.
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? out : out.subarray(0, done);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }

  async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  /**
   * One trip on the file system's sync thread (src/io/node-sync-thread.ts): the pwrites and the fdatasync
   * back to back. Until the thread runs (its first use starts it), the separate calls through the pool.
   */
  writeAndSync(writes: readonly FileWrite[]): Promise<void> {
    if (!this.holdsThread) {
      this.holdsThread = true;
      this.thread.acquire();
    }
    if (!this.thread.ready) return writeThenSync(this, writes);
    return this.thread.run(this.handle.fd, writes, (step, err) => new WriteAndSyncError(step, err));
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    try {
      await this.handle.close();
    } finally {
      if (this.holdsThread) {
        this.holdsThread = false;
        this.thread.release();
      }
    }
  }
}

/** Up to `length` bytes at `offset` of `fd`, read on this thread (fewer only at end of file). */
function preadFully(fd: number, offset: number, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  // Bounded: each iteration reads at least one byte or stops at end of file.
  while (done < length) {
    const bytesRead = readSync(fd, out, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? out : out.subarray(0, done);
}

/** Options of {@link NodeFileSystem}. */
export interface NodeFileSystemOptions {
  /**
   * Files offer `readSync` (`pread` on the calling thread), which the engine uses for a point lookup's
   * block (`get`, and the read-before-write of a cold key): a block the page cache serves then costs a few
   * microseconds in place instead of a thread-pool round trip (~40 µs of main-thread time), but a read the
   * disk must serve blocks the event loop for the disk's latency, delaying every other operation — the
   * trade-off lmdb's mmap makes. Background jobs and scans read through the pool either way. It pays when the data set mostly fits in the page cache, as hot state does. Default true; pass
   * false for a data set much larger than memory on a slow disk. Writes and syncs stay async.
   */
  syncReads?: boolean;
}

/** `FileSystem` over the real disk. */
export class NodeFileSystem implements FileSystem {
  private readonly syncReads: boolean;
  /** Carries out `File.writeAndSync` for every file of this file system; runs while a file uses it. */
  private readonly syncThread = new SyncThread();

  constructor(options: NodeFileSystemOptions = {}) {
    this.syncReads = options.syncReads !== false;
  }

  async open(path: string, options: OpenOptions = {}): Promise<File> {
    let flags = options.readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (options.create) flags |= constants.O_CREAT;
    if (options.create && options.exclusive) flags |= constants.O_EXCL;
    const handle = await fsp.open(path, flags, 0o644);
    return new NodeFile(path, handle, this.syncReads, this.syncThread);
  }

  async list(dir: string): Promise<string[]> {
    const names = await fsp.readdir(dir);
    return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(from, to);
  }

  async remove(path: string): Promise<void> {
    await fsp.rm(path, { force: true });
  }

  async mkdir(path: string): Promise<void> {
    await fsp.mkdir(path, { recursive: true });
  }

  async syncDir(path: string): Promise<void> {
    const handle = await fsp.open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * The directory lock is a kernel lock: a non-blocking `flock(2)` on `dir/LOCK` (opened, and created if
   * missing; never removed), exclusive for the writer, shared with `options.shared` for read-only openers,
   * held through a file descriptor that stays open until `release`. The kernel drops it when that
   * descriptor is closed, however the process ends (SIGKILL, a zombie not yet reaped, a container restart),
   * so a lock never outlives its owner and nothing here judges whether an owner is alive: a LOCK file
   * naming a dead pid, our own pid or another host does not block. flock belongs to the open file
   * description, so a second `lock` in this same process is refused as another process's would be, and a
   * refused attempt closing its own descriptor cannot drop the holder's lock (POSIX `fcntl` locks, owned by
   * the process, would do both wrong). libuv opens files close-on-exec, so a child process never inherits
   * the lock. After taking the exclusive lock, the holder writes `pid@host` into LOCK (best effort, not
   * synced) only to name itself in a refusal message; shared holders write nothing. A shared lock on a LOCK
   * that cannot be opened for writing (a read-only file system, a directory this user may not write) is
   * taken through a read-only descriptor (flock needs no write access). Local file systems only: on NFS the
   * kernel emulates flock with byte-range locks whose semantics differ.
   * @throws DirLockHeldError if another process or handle holds the lock in a mode that excludes this one;
   * the OS error (ENOENT, ENOTDIR, EACCES, EROFS, EISDIR) if LOCK can be neither opened nor created.
   */
  async lock(dir: string, options: LockOptions = {}): Promise<DirLock> {
    const shared = options.shared === true;
    const handle = await openLockFile(joinPath(dir, LOCK_FILE), shared);
    try {
      flockSync()(handle.fd, shared ? "shnb" : "exnb");
    } catch (err) {
      const held = isWouldBlock(err);
      const holder = held ? await describeHolder(handle, shared) : "";
      await handle.close();
      throw held ? new DirLockHeldError(dir, holder) : err;
    }
    if (!shared) await writeHolder(handle);
    let held = true;
    return {
      release: async () => {
        if (!held) return;
        held = false;
        // Unlock explicitly, then close: the lock belongs to this descriptor alone, so nobody else's goes.
        try {
          flockSync()(handle.fd, "un");
        } finally {
          await handle.close();
        }
      },
    };
  }
}

/** Codes of an open that failed for want of write access: a shared lock then tries a read-only descriptor. */
const NO_WRITE_ACCESS = new Set(["EROFS", "EACCES", "EPERM"]);

/**
 * Opens (creating if missing) the lock file at `path` for reading and writing; for a shared lock, an
 * existing one read-only if it cannot be opened for writing. @throws the OS error (the first one if the
 * file is also missing: it can be neither opened nor created).
 */
async function openLockFile(path: string, shared: boolean): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (err) {
    if (!shared || !NO_WRITE_ACCESS.has(ioErrorCode(err) ?? "")) throw err;
    try {
      return await fsp.open(path, constants.O_RDONLY);
    } catch (readErr) {
      throw ioErrorCode(readErr) === "ENOENT" ? err : readErr;
    }
  }
}

function isWouldBlock(err: unknown): boolean {
  return ioErrorCode(err) === "EAGAIN" || ioErrorCode(err) === "EWOULDBLOCK";
}

/**
 * Who holds the lock that refused us, for the message. A refused exclusive lock probes for a shared one on
 * the same descriptor: if that is granted, only read-only openers hold the lock (the LOCK record names the
 * last writer, not them).
 */
async function describeHolder(handle: fsp.FileHandle, shared: boolean): Promise<string> {
  if (!shared) {
    try {
      flockSync()(handle.fd, "shnb");
      flockSync()(handle.fd, "un");
      return "read-only handles (a shared lock), in this process or another";
    } catch {
      // Refused (EAGAIN): a writer holds it, and LOCK names it.
    }
  }
  return readHolder(handle);
}

/** Who we are, as written into LOCK: `pid@host`. */
function holderName(): string {
  return `${process.pid}@${hostname()}`;
}

/** Longest holder text read back from LOCK; anything longer is not ours to print. */
const HOLDER_BYTES_MAX = 256;

/**
 * Names the process recorded in LOCK, for the refusal message. The record is diagnostics only: the holder
 * writes it just after taking the lock, so it may be empty or still the previous holder's for a moment.
 */
async function readHolder(handle: fsp.FileHandle): Promise<string> {
  let text = "";
  try {
    const buffer = Buffer.alloc(HOLDER_BYTES_MAX);
    const { bytesRead } = await handle.read(buffer, 0, HOLDER_BYTES_MAX, 0);
    text = buffer.toString("utf8", 0, bytesRead).trim();
  } catch {
    // Unreadable: the lock is still held, only its holder goes unnamed.
  }
  if (!/^[\x21-\x7e]{1,200}$/.test(text)) return "another process (LOCK does not name it)";
  if (text === holderName()) return `another handle in this process (pid ${process.pid})`;
  return `process ${text} (as recorded in LOCK)`;
}

/**
 * Records the holder in LOCK: written over the old record, then cut to its length. Failure is ignored
 * (a full disk must not stop an open for the sake of a diagnostic); the lock itself is the flock.
 */
async function writeHolder(handle: fsp.FileHandle): Promise<void> {
  const record = Buffer.from(`${holderName()}\n`);
  try {
    await handle.write(record, 0, record.length, 0);
    await handle.truncate(record.length);
  } catch {
    // Diagnostics only; see above.
  }
}

type FlockOperation = "exnb" | "shnb" | "un";

let flockFunction: ((fd: number, operation: FlockOperation) => void) | undefined;

/**
 * `flock(2)` from the native package `fs-ext`, loaded on first use so that a database that never locks a
 * directory (memory mode, the tools) does not need the native build. Throws an Error with `code` EAGAIN
 * (EWOULDBLOCK) when a non-blocking lock is held elsewhere.
 */
function flockSync(): (fd: number, operation: FlockOperation) => void {
  flockFunction ??= (
    createRequire(import.meta.url)("fs-ext") as {
      flockSync(fd: number, operation: FlockOperation): void;
    }
  ).flockSync;
  return flockFunction;
}
