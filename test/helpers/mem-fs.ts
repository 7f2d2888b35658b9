/**
 * A small in-memory FileSystem test double (the seam in src/io/file-system.ts), for tests that need to see
 * and edit the bytes on "disk" and to inject faults. It is not the simulator (sim/ models crashes and
 * unsynced data); here every completed write is simply kept.
 *
 * - Files are inodes: a handle keeps its inode across rename and remove, as on POSIX.
 * - `lock` is per directory and per instance; a second lock throws DirLockHeldError (the engine reports
 *   FUSEDB_LOCKED).
 * - Missing files fail with an error whose `code` is "ENOENT".
 * - `failWrite` / `failSync` make the matching call throw an Error with code "EIO" (nothing is written).
 * - `holdSync()` makes every `File.sync` wait until the test releases it.
 * - `copy()` clones every byte (no locks, faults or holds) for a "fresh process over the same disk".
 */
import { Buffer } from "node:buffer";
import type { Clock } from "../../src/io/clock.js";
import type { DirLock, File, FileSystem, OpenOptions } from "../../src/io/file-system.js";
import { DirLockHeldError } from "../../src/io/file-system.js";

/** A file's bytes; handles point here, names point here too. */
interface Inode {
  data: Buffer;
}

/** Fault hooks; each is asked on every matching call with the file's path. */
export interface MemFaults {
  failWrite?: (path: string) => boolean;
  failSync?: (path: string) => boolean;
}

/** A gate that `File.sync` waits on while held. */
export interface SyncHold {
  /** Resolves once some sync call is waiting at the gate. */
  readonly entered: Promise<void>;
  /** Opens the gate: waiting and later syncs proceed. */
  release(): void;
}

/** An Error with an errno-style `code`, like node:fs throws. */
export function ioError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class MemFileSystem implements FileSystem {
  private readonly inodes = new Map<string, Inode>();
  private readonly dirs = new Set<string>();
  private readonly locked = new Set<string>();
  private gate: Promise<void> | undefined;
  private onEnter: (() => void) | undefined;
  faults: MemFaults = {};
  /** Calls to `File.sync` (failed ones included), in order, by path. */
  readonly syncCalls: string[] = [];
  /** Calls to `File.write`, by path. */
  readonly writeCalls: string[] = [];

  // ---- test helpers ----

  /** A deep copy of every file and directory; locks, faults and holds are not copied. */
  copy(): MemFileSystem {
    const out = new MemFileSystem();
    for (const [path, inode] of this.inodes) out.inodes.set(path, { data: Buffer.from(inode.data) });
    for (const d of this.dirs) out.dirs.add(d);
    return out;
  }

  /** Paths of every file, sorted. */
  paths(): string[] {
    return [...this.inodes.keys()].sort();
  }

  /** A copy of the bytes of `path`. @throws if it is missing. */
  bytes(path: string): Buffer {
    return Buffer.from(this.inode(path).data);
  }

  /** Replaces the bytes of `path` (creating it). */
  setBytes(path: string, data: Uint8Array): void {
    const inode = this.inodes.get(path);
    if (inode) inode.data = Buffer.from(data);
    else this.inodes.set(path, { data: Buffer.from(data) });
  }

  /** Every file's bytes, for comparing two states of the disk. */
  snapshot(): Map<string, Buffer> {
    return new Map(this.paths().map((p) => [p, this.bytes(p)]));
  }

  /** Makes every sync wait until `release` is called on the returned hold. */
  holdSync(): SyncHold {
    let open: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      this.onEnter = resolve;
    });
    return {
      entered,
      release: () => {
        this.gate = undefined;
        open();
      },
    };
  }

  // ---- FileSystem ----

  async open(path: string, options: OpenOptions = {}): Promise<File> {
    let inode = this.inodes.get(path);
    if (inode && options.create && options.exclusive) throw ioError("EEXIST", path);
    if (!inode) {
      if (!options.create) throw ioError("ENOENT", path);
      inode = { data: Buffer.alloc(0) };
      this.inodes.set(path, inode);
    }
    return new MemFile(this, path, inode);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = [...this.inodes.keys()]
      .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"))
      .map((p) => p.slice(prefix.length));
    return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  async exists(path: string): Promise<boolean> {
    return this.inodes.has(path) || this.dirs.has(path);
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.inode(from);
    this.inodes.delete(from);
    this.inodes.set(to, inode);
  }

  async remove(path: string): Promise<void> {
    this.inodes.delete(path);
  }

  async mkdir(path: string): Promise<void> {
    this.dirs.add(path);
  }

  async syncDir(_path: string): Promise<void> {}

  async lock(dir: string): Promise<DirLock> {
    if (this.locked.has(dir)) throw new DirLockHeldError(dir, "another handle on this MemFileSystem");
    this.locked.add(dir);
    let held = true;
    return {
      release: async () => {
        if (held) this.locked.delete(dir);
        held = false;
      },
    };
  }

  // ---- used by MemFile ----

  /** @internal */
  async beforeWrite(path: string): Promise<void> {
    this.writeCalls.push(path);
    if (this.faults.failWrite?.(path)) throw ioError("EIO", `injected write failure on ${path}`);
  }

  /** @internal */
  async beforeSync(path: string): Promise<void> {
    this.syncCalls.push(path);
    // Bounded: each pass waits for one gate; a released gate is not re-armed unless the test holds again.
    while (this.gate) {
      const gate = this.gate;
      this.onEnter?.();
      await gate;
    }
    if (this.faults.failSync?.(path)) throw ioError("EIO", `injected sync failure on ${path}`);
  }

  private inode(path: string): Inode {
    const inode = this.inodes.get(path);
    if (!inode) throw ioError("ENOENT", path);
    return inode;
  }
}

class MemFile implements File {
  private closed = false;

  constructor(
    private readonly fs: MemFileSystem,
    readonly path: string,
    private readonly inode: Inode,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.check();
    return Buffer.from(this.inode.data.subarray(offset, offset + length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check();
    await this.fs.beforeWrite(this.path);
    const end = offset + data.length;
    if (end > this.inode.data.length) {
      const grown = Buffer.alloc(end);
      this.inode.data.copy(grown);
      this.inode.data = grown;
    }
    this.inode.data.set(data, offset);
  }

  async truncate(size: number): Promise<void> {
    this.check();
    const next = Buffer.alloc(size);
    this.inode.data.copy(next, 0, 0, Math.min(size, this.inode.data.length));
    this.inode.data = next;
  }

  async sync(): Promise<void> {
    this.check();
    await this.fs.beforeSync(this.path);
  }

  async size(): Promise<number> {
    this.check();
    return this.inode.data.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw ioError("EBADF", `${this.path} is closed`);
  }
}

/** A clock that never moves: these tests assert behaviour, never timing. */
export const fixedClock: Clock = {
  now: () => 0,
  sleep: () => Promise.resolve(),
};
