/**
 * The simulated disk's contents, with no notion of time: inodes, directories, and what is durable.
 * `SimFileSystem` adds latency, tracing and the crashed state on top. Every method is synchronous and
 * either applies completely or throws a `SimIoError` having changed nothing.
 *
 * Model (TigerBeetle `src/testing/storage.zig` keeps pristine bytes apart from faults; Pebble `MemFS`):
 * - A file is an inode (inode.ts), held by id so a rename keeps its identity. It has `durable` bytes (what
 *   survives a crash), an ordered list of `pending` writes and truncates, and `live` bytes = durable +
 *   pending applied.
 * - A directory (directory.ts) has a `durable` namespace, a `live` one and an ordered list of pending
 *   changes; the live namespace is the durable one with the pending changes applied.
 * - Every completed operation takes the next sequence number. A sync covers the pending operations whose
 *   number is at most the `mark()` taken when the sync was issued: operations that complete while a sync is
 *   in flight stay pending, as on a real disk (fsync promises only what completed before it was called).
 * - A power loss (crash-image.ts) keeps the durable state plus what a planner keeps of each pending
 *   operation; whole-disk reads, the fingerprint and clones are in disk-snapshot.ts.
 *
 * Runtime faults (io-fault-planner.ts) change this model in two ways, both on the device, both persistent:
 * - a failed fsync drops the pending operations it would have made durable (Linux marks the pages clean):
 *   `live` keeps their bytes, `durable` never gets them;
 * - a latent sector error or a misdirected write damages bytes; the inode is then listed as damaged
 *   ({@link DiskState.damagedFiles}), across crashes, so a checker can tell injected damage from a bug.
 *   A damaged file that is removed (or damaged through a handle still open after its removal) stays listed
 *   under the path it was removed from until a new file takes that path or the disk crashes: the engine
 *   names a file by the path it opened, and may report damage it read there after the name is gone (a
 *   read of a retired segment that completes as a merge deletes it).
 *
 * Invariant: for every inode, applying `pending` in order to `durable` gives `live`, except for bytes of
 * operations a failed fsync dropped; likewise, with no exception, for every directory's namespaces.
 */

import { isByteCount } from "./byte-image.js";
import { type CrashSummary, crashImage } from "./crash-image.js";
import type { FaultPlanner } from "./crash-planner.js";
import { applyDirOp, type Dir, type DirOp, newDir, ROOT_ID } from "./directory.js";
import { cloneTables, damagedFiles, filesOf, fingerprint } from "./disk-snapshot.js";
import {
  collect,
  type DiskTables,
  dirById,
  emptyTables,
  findDir,
  inodeById,
  resolveDir,
} from "./disk-tables.js";
import { applyFileOp, type Inode, newInode } from "./inode.js";
import { foldPrefix } from "./pending-ops.js";
import { SimIoError } from "./sim-error.js";
import { canonicalPath, compareUtf8, splitPath } from "./sim-path.js";

export type { CrashSummary } from "./crash-image.js";

/** The whole simulated disk. See the module comment for the model. */
export class DiskState {
  /**
   * Removed files still open: inode id -> the path removed. Handles do not survive a crash or a clone, so
   * neither does this (each makes a new DiskState).
   */
  private readonly removedOpen = new Map<number, string>();
  /** Paths whose file was removed damaged, or damaged after its removal: path -> lowest offset damaged. */
  private readonly removedDamaged = new Map<string, number>();

  /** @param tables owned by the new instance; a fresh empty disk if omitted. */
  constructor(private readonly tables: DiskTables = emptyTables()) {}

  /** Number of file writes and truncates not yet durable, over all files. */
  pendingFileOps(): number {
    let n = 0;
    for (const inode of this.tables.inodes.values()) n += inode.pending.length;
    return n;
  }

  /** The sequence number of the last completed operation; a sync issued now covers up to it. */
  mark(): number {
    return this.tables.seq;
  }

  // ---- files ----

  /**
   * Opens (or creates) the file at `path` and returns its inode id; the handle must be given back with
   * {@link closeFile}.
   * @throws ENOENT, EEXIST, EISDIR, ENOTDIR
   */
  openFile(path: string, create: boolean, exclusive: boolean): number {
    const names = splitPath(path, "open");
    const name = names.pop();
    if (name === undefined) throw new SimIoError("EISDIR", "open", path);
    const dir = resolveDir(this.tables, names, "open", path);
    const existing = dir.live.get(name);
    let inode: Inode;
    if (existing !== undefined) {
      if (existing.kind === "dir") throw new SimIoError("EISDIR", "open", path);
      if (create && exclusive) throw new SimIoError("EEXIST", "open", path);
      inode = this.inode(existing.id, "open", path);
    } else {
      if (!create) throw new SimIoError("ENOENT", "open", path);
      inode = newInode(this.tables.nextId++);
      this.tables.inodes.set(inode.id, inode);
      this.pathTaken(canonicalPath(path));
      this.changeDir(dir, { kind: "link", seq: this.nextSeq(), name, entry: { kind: "file", id: inode.id } });
    }
    inode.openHandles++;
    return inode.id;
  }

  /** Gives back a handle from {@link openFile}. */
  closeFile(inodeId: number): void {
    const inode = this.inode(inodeId, "close", `#${inodeId}`);
    inode.openHandles--;
    if (inode.openHandles === 0) {
      this.removedOpen.delete(inodeId);
      collect(this.tables);
    }
  }

  /** @throws EINVAL on a negative or fractional offset or length. */
  read(inodeId: number, offset: number, length: number): Uint8Array {
    if (!isByteCount(offset) || !isByteCount(length)) throw new SimIoError("EINVAL", "read", `#${inodeId}`);
    return this.inode(inodeId, "read", `#${inodeId}`).live.read(offset, length);
  }

  /** Applies a write to the live image and queues it as pending. Copies `data`. @throws EINVAL */
  write(inodeId: number, offset: number, data: Uint8Array): void {
    if (!isByteCount(offset)) throw new SimIoError("EINVAL", "write", `#${inodeId}`);
    const inode = this.inode(inodeId, "write", `#${inodeId}`);
    const copy = new Uint8Array(data); // a copy even for a Buffer, whose slice() is a view
    inode.live.write(offset, copy);
    inode.pending.push({ kind: "write", seq: this.nextSeq(), offset, data: copy });
  }

  /** @throws EINVAL on a negative or fractional size. */
  truncate(inodeId: number, sizeBytes: number): void {
    if (!isByteCount(sizeBytes)) throw new SimIoError("EINVAL", "truncate", `#${inodeId}`);
    const inode = this.inode(inodeId, "truncate", `#${inodeId}`);
    inode.live.truncate(sizeBytes);
    inode.pending.push({ kind: "truncate", seq: this.nextSeq(), sizeBytes });
  }

  size(inodeId: number): number {
    return this.inode(inodeId, "fstat", `#${inodeId}`).live.size;
  }

  /** fdatasync: the pending operations numbered up to `mark` become durable. */
  syncFile(inodeId: number, mark: number): void {
    const inode = this.inode(inodeId, "fdatasync", `#${inodeId}`);
    foldPrefix(inode.pending, mark, (op) => applyFileOp(inode.durable, op));
  }

  /** Whether the file has no pending operation: every byte a read returns is durable. */
  isClean(inodeId: number): boolean {
    return this.inode(inodeId, "fstat", `#${inodeId}`).pending.length === 0;
  }

  /**
   * A failed fdatasync: the pending operations numbered up to `mark` are dropped, never to become durable;
   * reads still see their bytes (Linux after a failed fsync; "Can Applications Recover from fsync
   * Failures?", ATC'20). Returns how many were dropped.
   */
  dropPending(inodeId: number, mark: number): number {
    const inode = this.inode(inodeId, "fdatasync", `#${inodeId}`);
    let dropped = 0;
    foldPrefix(inode.pending, mark, () => {
      dropped++;
    });
    return dropped;
  }

  /** Damage on the medium: flips `mask` in the byte at `offset`, durably and as reads see it. */
  flipBit(inodeId: number, offset: number, mask: number): void {
    const inode = this.inode(inodeId, "flip", `#${inodeId}`);
    inode.durable.xor(offset, mask);
    inode.live.xor(offset, mask);
    this.markDamaged(inodeId, offset);
  }

  /** Flips `mask` in byte `offset` of the file with live name `path`; false if there is no such file. */
  flipBitAt(path: string, offset: number, mask: number): boolean {
    const names = splitPath(path, "flip");
    const name = names.pop();
    const entry = name === undefined ? undefined : findDir(this.tables, names)?.live.get(name);
    if (entry?.kind !== "file") return false;
    this.flipBit(entry.id, offset, mask);
    return true;
  }

  /**
   * Records that a runtime fault damaged the bytes of `inodeId` from `offset` on (a misdirected write
   * damages both where it landed and where it should have).
   */
  markDamaged(inodeId: number, offset: number): void {
    const damaged = this.tables.damaged;
    const lowest = Math.min(offset, damaged.get(inodeId) ?? offset);
    damaged.set(inodeId, lowest);
    const removedAs = this.removedOpen.get(inodeId);
    if (removedAs !== undefined) this.removedDamaged.set(removedAs, lowest);
  }

  /**
   * Every file a runtime fault damaged, by live and durable path, and by the path a damaged file was removed
   * from (see the module comment), sorted: the lowest offset damaged.
   */
  damagedFiles(): Map<string, number> {
    const out = damagedFiles(this.tables);
    if (this.removedDamaged.size === 0) return out;
    for (const [path, offset] of this.removedDamaged) if (!out.has(path)) out.set(path, offset);
    return new Map([...out].sort(([a], [b]) => compareUtf8(a, b)));
  }

  /** A new file takes `path` (canonical): damage of a file removed from it no longer answers to that name. */
  private pathTaken(path: string): void {
    this.removedDamaged.delete(path);
    for (const [id, removedAs] of this.removedOpen) if (removedAs === path) this.removedOpen.delete(id);
  }

  // ---- directories ----

  /** @throws ENOENT, ENOTDIR */
  list(path: string): string[] {
    const dir = resolveDir(this.tables, splitPath(path, "scandir"), "scandir", path);
    return [...dir.live.keys()].sort(compareUtf8);
  }

  exists(path: string): boolean {
    const names = splitPath(path, "stat");
    const name = names.pop();
    if (name === undefined) return true;
    const dir = findDir(this.tables, names);
    return dir?.live.has(name) === true;
  }

  /** @throws ENOENT if `from` or either parent is missing; EISDIR for directories; ENOTDIR */
  rename(from: string, to: string): void {
    const fromNames = splitPath(from, "rename");
    const toNames = splitPath(to, "rename");
    const fromName = fromNames.pop();
    const toName = toNames.pop();
    if (fromName === undefined || toName === undefined) throw new SimIoError("EISDIR", "rename", from);
    const fromDir = resolveDir(this.tables, fromNames, "rename", from);
    const toDir = resolveDir(this.tables, toNames, "rename", to);
    const entry = fromDir.live.get(fromName);
    if (entry === undefined) throw new SimIoError("ENOENT", "rename", from);
    if (entry.kind === "dir") throw new SimIoError("EISDIR", "rename", from);
    const target = toDir.live.get(toName);
    if (target?.kind === "dir") throw new SimIoError("EISDIR", "rename", to);
    if (target?.id === entry.id) return; // same file: POSIX rename does nothing
    this.pathTaken(canonicalPath(to));
    if (fromDir === toDir) {
      this.changeDir(fromDir, { kind: "rename", seq: this.nextSeq(), from: fromName, to: toName });
    } else {
      this.changeDir(toDir, { kind: "link", seq: this.nextSeq(), name: toName, entry });
      this.changeDir(fromDir, { kind: "unlink", seq: this.nextSeq(), name: fromName });
    }
  }

  /** Removes a file; a missing one (or missing parent) is not an error. @throws EISDIR, ENOTDIR */
  remove(path: string): void {
    const names = splitPath(path, "rm");
    const name = names.pop();
    if (name === undefined) throw new SimIoError("EISDIR", "rm", path);
    const dir = findDir(this.tables, names);
    const entry = dir?.live.get(name);
    if (dir === undefined || entry === undefined) return;
    if (entry.kind === "dir") throw new SimIoError("EISDIR", "rm", path);
    // The engine may report damage it read before the removal, or reads through a handle still open.
    const removedAs = canonicalPath(path);
    const damagedAt = this.tables.damaged.get(entry.id);
    if (damagedAt !== undefined) this.removedDamaged.set(removedAs, damagedAt);
    if (this.inode(entry.id, "rm", path).openHandles > 0) this.removedOpen.set(entry.id, removedAs);
    this.changeDir(dir, { kind: "unlink", seq: this.nextSeq(), name });
  }

  /** Creates `path` and missing parents. @throws EEXIST if `path` is a file; ENOTDIR if a parent is. */
  mkdir(path: string): void {
    const names = splitPath(path, "mkdir");
    let dir = dirById(this.tables, ROOT_ID);
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const entry = dir.live.get(name);
      if (entry?.kind === "file")
        throw new SimIoError(i === names.length - 1 ? "EEXIST" : "ENOTDIR", "mkdir", path);
      if (entry === undefined) {
        const child = newDir(this.tables.nextId++);
        this.tables.dirs.set(child.id, child);
        this.changeDir(dir, {
          kind: "link",
          seq: this.nextSeq(),
          name,
          entry: { kind: "dir", id: child.id },
        });
        dir = child;
      } else {
        dir = dirById(this.tables, entry.id);
      }
    }
  }

  /** fsync of a directory: its pending changes numbered up to `mark` become durable. @throws ENOENT, ENOTDIR */
  syncDir(path: string, mark: number): void {
    const dir = resolveDir(this.tables, splitPath(path, "fsync"), "fsync", path);
    foldPrefix(dir.pending, mark, (op) => applyDirOp(dir.durable, op));
    collect(this.tables);
  }

  /** The live bytes of the file at `path` (a copy), or undefined if no file has that live name. */
  liveBytes(path: string): Uint8Array | undefined {
    const names = splitPath(path, "stat");
    const name = names.pop();
    const entry = name === undefined ? undefined : findDir(this.tables, names)?.live.get(name);
    if (entry?.kind !== "file") return undefined;
    return this.inode(entry.id, "stat", path).live.toBytes();
  }

  /** Live names in directory `path`, sorted bytewise; empty if it is missing or not a directory. */
  liveNames(path: string): string[] {
    const dir = findDir(this.tables, splitPath(path, "scandir"));
    return dir === undefined ? [] : [...dir.live.keys()].sort(compareUtf8);
  }

  /** @throws ENOENT, ENOTDIR unless `path` is a directory. */
  requireDir(path: string, syscall: string): void {
    resolveDir(this.tables, splitPath(path, syscall), syscall, path);
  }

  // ---- images ----

  /**
   * The disk a power loss leaves: durable state plus what `planner` keeps of each pending operation.
   * Everything in the result is durable; files no name reaches are gone. See `FaultPlanner` for call order
   * and crash-image.ts for the rules. This disk is not changed.
   */
  crash(planner: FaultPlanner): { state: DiskState; summary: CrashSummary } {
    const { tables, summary } = crashImage(this.tables, planner);
    return { state: new DiskState(tables), summary };
  }

  /** An independent copy of durable and pending state. Open handles are not copied. */
  clone(): DiskState {
    return new DiskState(cloneTables(this.tables));
  }

  /** Every file reachable through live names, path -> contents (copies), in path order. */
  liveFiles(): Map<string, Uint8Array> {
    return filesOf(this.tables, "live");
  }

  /** What would survive if every pending operation were lost: durable names and durable bytes. */
  durableFiles(): Map<string, Uint8Array> {
    return filesOf(this.tables, "durable");
  }

  /** FNV-1a 64 over every live and durable name (sorted), its kind and its bytes, as hex. */
  fingerprint(): string {
    return fingerprint(this.tables);
  }

  // ---- internals ----

  /** Numbers an operation completing now: the next sequence number. */
  private nextSeq(): number {
    return ++this.tables.seq;
  }

  private inode(id: number, syscall: string, path: string): Inode {
    return inodeById(this.tables, id, syscall, path);
  }

  /** Applies `op` to the live namespace of `dir` and queues it as pending. */
  private changeDir(dir: Dir, op: DirOp): void {
    applyDirOp(dir.live, op);
    dir.pending.push(op);
  }
}
