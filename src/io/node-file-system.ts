/**
 * The real-disk `FileSystem`, on `node:fs/promises`. `sync` is `fdatasync(2)`; `syncDir` opens the
 * directory read-only and `fsync(2)`s it, which is how Linux makes directory entries durable.
 */
import { constants, readSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { hostname } from "node:os";
import { LockedError } from "../errors.js";
import type { DirLock, File, FileSystem, OpenOptions } from "./file-system.js";
import { joinPath } from "./file-system.js";

/** Name of the lock file inside a data directory. */
export const LOCK_FILE = "LOCK";

/** Directories locked by this process, so a second handle in the same process is refused too. */
const lockedHere = new Set<string>();

class NodeFile implements File {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    private readonly syncReads: boolean,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    // Bounded: each iteration reads at least one byte or stops at end of file.
    while (done < length) {
      const bytesRead = this.syncReads
        ? readSync(this.handle.fd, out, done, length - done, offset + done)
        : (await this.handle.read(out, done, length - done, offset + done)).bytesRead;
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

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Options of {@link NodeFileSystem}. */
export interface NodeFileSystemOptions {
  /**
   * Read with `pread` on the calling thread instead of through libuv's thread pool. A block read that the
   * page cache serves then costs microseconds instead of a thread-pool round trip (random 1 KB gets over a
   * data set 3x the block cache: ~37k/s → ~55k/s on this machine), but a read the disk must serve blocks
   * the event loop for the disk's latency, delaying every other operation — the trade-off lmdb's mmap
   * makes. Use it when the data set fits in the page cache. Default false. Writes and syncs stay async.
   */
  syncReads?: boolean;
}

/** `FileSystem` over the real disk. */
export class NodeFileSystem implements FileSystem {
  private readonly syncReads: boolean;

  constructor(options: NodeFileSystemOptions = {}) {
    this.syncReads = options.syncReads === true;
  }

  async open(path: string, options: OpenOptions = {}): Promise<File> {
    let flags = options.readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (options.create) flags |= constants.O_CREAT;
    if (options.create && options.exclusive) flags |= constants.O_EXCL;
    const handle = await fsp.open(path, flags, 0o644);
    return new NodeFile(path, handle, this.syncReads);
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
   * A lock file holding `pid@host`. It is written whole to a private temp file and then hard-linked to
   * `LOCK`, which fails if `LOCK` exists, so no other process ever sees a half-written lock. A lock left by
   * a process that no longer runs (killed with SIGKILL, say) is taken over; one held by a live process, or by
   * this process, is refused. Limit: a recycled pid that happens to be alive keeps a stale lock; remove
   * `LOCK` by hand then.
   */
  async lock(dir: string): Promise<DirLock> {
    const key = joinPath(dir, LOCK_FILE);
    if (lockedHere.has(key)) throw new LockedError(dir, `this process (pid ${process.pid})`);
    const me = `${process.pid}@${hostname()}`;
    const tmp = joinPath(dir, `${LOCK_FILE}.${process.pid}.tmp`);
    await fsp.writeFile(tmp, me);
    try {
      // Bounded: at most one stale lock is removed before a second try.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await fsp.link(tmp, key);
          await this.syncDir(dir);
          lockedHere.add(key);
          return {
            release: async () => {
              lockedHere.delete(key);
              await fsp.rm(key, { force: true });
            },
          };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
          const holder = (await fsp.readFile(key, "utf8").catch(() => "")).trim();
          if (holderIsAlive(holder)) throw new LockedError(dir, `process ${holder}`);
          await fsp.rm(key, { force: true });
        }
      }
      throw new LockedError(dir, "a process that keeps re-creating the lock");
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }
}

function holderIsAlive(holder: string): boolean {
  const [pidText, host] = holder.split("@");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (host !== undefined && host !== hostname()) return true; // another machine: assume alive
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
