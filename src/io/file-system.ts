/**
 * The seam between the engine and the operating system. Everything in fusedb above this file receives a
 * `FileSystem`; only `src/io/node-*.ts` talks to `node:fs`. The simulator supplies a virtual one.
 *
 * Durability rules, stated once here and in every method's doc (LevelDB `WritableFile`, Pebble `vfs.File`):
 * - `write` and `truncate` make nothing durable.
 * - `File.sync` is fdatasync: once it resolves, the file's data and size are durable.
 * - `File.writeAndSync` is writes then fdatasync, asked for at once: durable once it resolves, exactly as
 *   if each write and then `sync` had been called (an implementation may carry it out in one trip).
 * - creating, renaming or removing a file is durable only after `syncDir` on its parent directory resolves.
 *
 * Paths are `/`-separated strings. The engine only builds them with {@link joinPath}.
 */

/** An open file. Offsets and lengths are in bytes. */
export interface File {
  /** The path this file was opened with. */
  readonly path: string;
  /**
   * Reads up to `length` bytes at `offset`. Returns fewer bytes only at end of file.
   * Sees every completed `write`, durable or not. Durable after return: nothing changes.
   * @throws on an I/O error (EIO).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: the same read as `read`, done on the calling thread before returning. Present only on files
   * whose reads the caller may wait for in place (the page cache answers them in microseconds): the
   * engine then reads a point lookup's block without leaving the call, and uses `read` for everything
   * else (background jobs, scans). A wrapper that changes `read` must change this too, or leave it out.
   * @throws on an I/O error (EIO).
   */
  readSync?(offset: number, length: number): Uint8Array;
  /**
   * Writes all of `data` at `offset`, extending the file if needed.
   * Durable after return: nothing. The bytes may be lost, torn or reordered by a crash until `sync` resolves.
   * @throws on an I/O error (EIO, ENOSPC); a failed write may have written a prefix.
   */
  write(offset: number, data: Uint8Array): Promise<void>;
  /**
   * Sets the file size to `size` bytes. Durable after return: nothing, until `sync` resolves.
   * @throws on an I/O error.
   */
  truncate(size: number): Promise<void>;
  /**
   * fdatasync: after it resolves, all data written and the file size are durable.
   * Directory entries are not: a new file also needs `FileSystem.syncDir` on its parent.
   * @throws on an I/O error. After a failed sync the unsynced data may be gone; do not retry.
   */
  sync(): Promise<void>;
  /**
   * Writes each of `writes` in order, then fdatasyncs, as one request: the group commit's one trip (issue
   * 13). Same effect and same crash semantics as awaiting `write` for each, then `sync`: durable after
   * return, all of them (and everything written to the file before); until it returns, a crash may lose,
   * tear or reorder any of them. The real disk hands the whole request to a thread that issues the writes
   * and the fdatasync back to back, without a round trip through the event loop between them; the
   * simulated disk and every wrapper ({@link writeThenSync}) run it as the separate calls, so each fault a
   * planner injects into a write or a sync reaches it unchanged.
   * @throws {@link WriteAndSyncError} naming the step that failed, the file system's error as its `cause`:
   *   `write` (a prefix of that write may have landed; nothing was synced) or `sync` (after a failed sync
   *   the unsynced data may be gone; do not retry).
   */
  writeAndSync(writes: readonly FileWrite[]): Promise<void>;
  /** Current size in bytes, including data not yet durable. */
  size(): Promise<number>;
  /** Releases the handle. Makes nothing durable. */
  close(): Promise<void>;
}

/** One write of {@link File.writeAndSync}: all of `data` at byte `offsetBytes`. */
export interface FileWrite {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/**
 * What {@link File.writeAndSync} rejects with: the step that failed and, as `cause`, the file system's error,
 * whose `code` (`"EIO"`, `"ENOSPC"`, ...) it repeats so {@link ioErrorCode} reads it through.
 */
export class WriteAndSyncError extends Error {
  /** `write`: a write failed and no sync was attempted; `sync`: every write landed, the fdatasync failed. */
  readonly step: "write" | "sync";
  /** The code of the file system's error, if it has one. */
  readonly code: string | undefined;

  constructor(step: "write" | "sync", cause: unknown) {
    super(`${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "WriteAndSyncError";
    this.step = step;
    this.code = ioErrorCode(cause);
  }
}

/**
 * {@link File.writeAndSync} as the separate calls it stands for: `file.write` for each of `writes`, in
 * order, then `file.sync`. Every implementation but the real disk's uses it, so wrappers that change
 * `write` or `sync` (fault injection, the canaries' lying fsync) change `writeAndSync` the same way.
 * @throws {@link WriteAndSyncError} as `writeAndSync` does.
 */
export async function writeThenSync(file: File, writes: readonly FileWrite[]): Promise<void> {
  for (const w of writes) {
    try {
      await file.write(w.offsetBytes, w.data);
    } catch (err) {
      throw new WriteAndSyncError("write", err);
    }
  }
  try {
    await file.sync();
  } catch (err) {
    throw new WriteAndSyncError("sync", err);
  }
}

/** How `FileSystem.open` treats a missing or existing file. */
export interface OpenOptions {
  /** Create the file if it is missing (the new entry is durable only after `syncDir`). Default false. */
  create?: boolean;
  /** With `create`, fail if the file already exists. Default false. */
  exclusive?: boolean;
  /**
   * Open for reading only (O_RDONLY): `write`, `truncate` and `sync` may then fail. Used by the tools that
   * look at a database without owning it (src/tools). Default false.
   */
  readOnly?: boolean;
}

/** How `FileSystem.lock` locks. */
export interface LockOptions {
  /**
   * A shared lock: any number of shared holders at once, never together with an exclusive holder (flock
   * `LOCK_SH` against `LOCK_EX`). Read-only openers take it; the one writer takes the lock exclusive. A file
   * system may take every lock exclusive instead (the simulated disk does): stricter, never wrong.
   * Default false.
   */
  shared?: boolean;
}

/**
 * A held directory lock. `release` gives up this lock only: it never removes or unlocks a lock someone else
 * has taken since, and a second call does nothing.
 */
export interface DirLock {
  release(): Promise<void>;
}

/**
 * What `FileSystem.lock` rejects with when the directory's lock is held by another process or another open
 * handle. It is the seam's own type, so a file system need not know the engine's errors; the engine reports
 * it as `LockedError` (FUSEDB_LOCKED) with this error as its `cause`.
 */
export class DirLockHeldError extends Error {
  /** The locked directory, as passed to `lock`. */
  readonly dir: string;
  /** Who holds it, for people: "process 1234@host", "another handle on this simulated disk", ... */
  readonly holder: string;

  constructor(dir: string, holder: string) {
    super(`${dir} is locked by ${holder}`);
    this.name = "DirLockHeldError";
    this.dir = dir;
    this.holder = holder;
  }
}

/** A file system: files, directory entries, and one process lock per directory. */
export interface FileSystem {
  /**
   * Opens a file for reading and writing. Durable after return: nothing; a created file's directory entry
   * becomes durable only after `syncDir` on its parent.
   * @throws an error with `code === "ENOENT"` if it is missing and `create` is not set.
   */
  open(path: string, options?: OpenOptions): Promise<File>;
  /** Names (not paths) of the entries in `dir`, sorted bytewise. Sees entries not yet durable. */
  list(dir: string): Promise<string[]>;
  /** Whether `path` exists (durable or not). */
  exists(path: string): Promise<boolean>;
  /**
   * Atomically replaces `to` with `from`. Durable after return: nothing; durable after `syncDir` on the
   * parent. Until then a crash may leave either name.
   */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. Durable only after `syncDir` on its parent. Missing files are not an error. */
  remove(path: string): Promise<void>;
  /**
   * Creates a directory and its parents if missing; an existing directory is not an error. Each new
   * directory's entry is durable only after `syncDir` on its own parent ({@link mkdirDurable} does that).
   */
  mkdir(path: string): Promise<void>;
  /** fsyncs the directory: every create, rename and remove in it so far becomes durable. */
  syncDir(path: string): Promise<void>;
  /**
   * Takes the lock on directory `dir` for the caller: exclusive, or shared with `options.shared`. The lock
   * ends with `release`, and at the latest with the process (or, simulated, with the instance: a crash
   * drops it).
   * @throws {@link DirLockHeldError} if another process or another open handle holds it in a mode that
   * excludes this one; an I/O error (ENOENT, ENOTDIR, EISDIR, EROFS, EACCES, ...) if `dir` cannot hold a
   * lock for the caller.
   */
  lock(dir: string, options?: LockOptions): Promise<DirLock>;
}

/** Joins path parts with `/`. */
export function joinPath(dir: string, name: string): string {
  if (dir === "" || dir === ".") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** The parent directory of `path` ("." for a bare name, "/" for a top-level absolute path). */
export function parentPath(path: string): string {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : trimmed.slice(0, i);
}

/**
 * Creates directory `path` and each missing ancestor, one at a time from the top, fsyncing the parent of
 * each directory it creates, so the whole new path survives a crash (a single recursive `mkdir` followed by
 * one `syncDir` leaves every new ancestor but the last undurable). Existing directories are left alone.
 * @throws the file system's error (ENOTDIR if an ancestor is a file, EIO, ...).
 */
export async function mkdirDurable(fs: FileSystem, path: string): Promise<void> {
  const missing: string[] = [];
  // Bounded: each step moves to a strictly shorter parent; "/" and "." are taken to exist.
  for (let dir = path; !(await fs.exists(dir)); ) {
    missing.push(dir);
    const parent = parentPath(dir);
    if (parent === dir || parent === "/" || parent === ".") break;
    dir = parent;
  }
  for (const dir of missing.reverse()) {
    await fs.mkdir(dir);
    await fs.syncDir(parentPath(dir));
  }
}

/** The error code of a failed I/O call, if it has one (`"ENOENT"`, `"EIO"`, ...). */
export function ioErrorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
