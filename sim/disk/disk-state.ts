/**
 * The simulated disk's contents, with no notion of time: inodes, directories, and what is durable.
 * `SimFileSystem` adds latency, tracing and the crashed state on top. Every method is synchronous and
 * either applies completely or throws a `SimIoError` having changed nothing.
 *
 * Model (TigerBeetle `src/testing/storage.zig` keeps pristine bytes apart from faults; Pebble `MemFS`):
 * - A file is an inode, held by id so a rename keeps its identity. It has `durable` bytes (what survives a
 *   crash), an ordered list of `pending` writes and truncates, and `live` bytes = durable + pending applied.
 * - A directory has a `durable` namespace, a `live` one and an ordered list of pending changes; the live
 *   namespace is the durable one with the pending changes applied.
 * - Every completed operation takes the next sequence number. A sync covers the pending operations whose
 *   number is at most the `mark()` taken when the sync was issued: operations that complete while a sync is
 *   in flight stay pending, as on a real disk (fsync promises only what completed before it was called).
 *
 * Runtime faults (io-fault-planner.ts) change this model in two ways, both on the device, both persistent:
 * - a failed fsync drops the pending operations it would have made durable (Linux marks the pages clean):
 *   `live` keeps their bytes, `durable` never gets them;
 * - a latent sector error or a misdirected write damages bytes; the inode is then listed as damaged
 *   ({@link DiskState.damagedFiles}), across crashes, so a checker can tell injected damage from a bug.
 *
 * Invariant: for every inode, applying `pending` in order to `durable` gives `live`, except for bytes of
 * operations a failed fsync dropped; likewise, with no exception, for every directory's namespaces.
 */

import { ByteImage } from "./byte-image.js";
import type { ByteRun, FaultPlanner, PendingDirOp } from "./crash-planner.js";
import { SimIoError } from "./sim-error.js";
import { TraceHash } from "./trace-hash.js";

/** A directory entry: a file (inode id) or a directory (directory id). */
interface Entry {
  readonly kind: "file" | "dir";
  readonly id: number;
}

type FileOp =
  | { readonly kind: "write"; readonly seq: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly kind: "truncate"; readonly seq: number; readonly sizeBytes: number };

type DirOp =
  | { readonly kind: "link"; readonly seq: number; readonly name: string; readonly entry: Entry }
  | { readonly kind: "unlink"; readonly seq: number; readonly name: string }
  | { readonly kind: "rename"; readonly seq: number; readonly from: string; readonly to: string };

interface Inode {
  readonly id: number;
  readonly durable: ByteImage;
  readonly live: ByteImage;
  readonly pending: FileOp[];
  openHandles: number;
}

interface Dir {
  readonly id: number;
  readonly durable: Map<string, Entry>;
  readonly live: Map<string, Entry>;
  readonly pending: DirOp[];
}

/** The root directory's id; it always exists and is always durable. */
const ROOT_ID = 0;

/** Counts of what a crash kept, for the trace. */
export interface CrashSummary {
  readonly writesKept: number;
  readonly writesTotal: number;
  readonly truncatesKept: number;
  readonly truncatesTotal: number;
  readonly dirOpsKept: number;
  readonly dirOpsTotal: number;
}

/** Splits a `/`-separated path into names; relative paths are taken from the root. */
function splitPath(path: string, syscall: string): string[] {
  const names = path.split("/").filter((name) => name !== "" && name !== ".");
  if (names.includes("..")) throw new SimIoError("EINVAL", syscall, path);
  return names;
}

/** The canonical form of a path: `/a/b`, or `/` for the root. */
export function canonicalPath(path: string): string {
  return `/${path
    .split("/")
    .filter((name) => name !== "" && name !== ".")
    .join("/")}`;
}

function childPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

const utf8 = new TextEncoder();

/** Bytewise order of the UTF-8 encodings, as `FileSystem.list` promises. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function isByteCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function applyFileOp(image: ByteImage, op: FileOp): void {
  if (op.kind === "write") image.write(op.offset, op.data);
  else image.truncate(op.sizeBytes);
}

function applyDirOp(names: Map<string, Entry>, op: DirOp): void {
  switch (op.kind) {
    case "link":
      names.set(op.name, op.entry);
      return;
    case "unlink":
      names.delete(op.name);
      return;
    case "rename": {
      // A rename whose source never became durable leaves nothing to move.
      const entry = names.get(op.from);
      if (entry === undefined) return;
      names.delete(op.from);
      names.set(op.to, entry);
      return;
    }
  }
}

/** Applies, to the durable side, the prefix of `pending` with sequence numbers up to `mark`. */
function foldPrefix<Op extends { readonly seq: number }>(
  pending: Op[],
  mark: number,
  apply: (op: Op) => void,
): void {
  let count = 0;
  while (count < pending.length && (pending[count] as Op).seq <= mark) {
    apply(pending[count] as Op);
    count++;
  }
  pending.splice(0, count);
}

/** The whole simulated disk. See the module comment for the model. */
export class DiskState {
  private readonly inodes = new Map<number, Inode>();

  /** Number of file writes and truncates not yet durable, over all files. */
  pendingFileOps(): number {
    let n = 0;
    for (const inode of this.inodes.values()) n += inode.pending.length;
    return n;
  }
  private readonly dirs = new Map<number, Dir>();
  /** Inodes whose bytes a runtime fault damaged (bit flips, misdirected writes) -> lowest offset damaged. */
  private readonly damaged = new Map<number, number>();
  private nextId = ROOT_ID + 1;
  private seq = 0;

  constructor() {
    this.dirs.set(ROOT_ID, { id: ROOT_ID, durable: new Map(), live: new Map(), pending: [] });
  }

  /** The sequence number of the last completed operation; a sync issued now covers up to it. */
  mark(): number {
    return this.seq;
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
    const dir = this.resolveDir(names, "open", path);
    const existing = dir.live.get(name);
    let inode: Inode;
    if (existing !== undefined) {
      if (existing.kind === "dir") throw new SimIoError("EISDIR", "open", path);
      if (create && exclusive) throw new SimIoError("EEXIST", "open", path);
      inode = this.inode(existing.id, "open", path);
    } else {
      if (!create) throw new SimIoError("ENOENT", "open", path);
      inode = {
        id: this.nextId++,
        durable: new ByteImage(),
        live: new ByteImage(),
        pending: [],
        openHandles: 0,
      };
      this.inodes.set(inode.id, inode);
      this.changeDir(dir, { kind: "link", seq: ++this.seq, name, entry: { kind: "file", id: inode.id } });
    }
    inode.openHandles++;
    return inode.id;
  }

  /** Gives back a handle from {@link openFile}. */
  closeFile(inodeId: number): void {
    const inode = this.inode(inodeId, "close", `#${inodeId}`);
    inode.openHandles--;
    if (inode.openHandles === 0) this.collect();
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
    inode.pending.push({ kind: "write", seq: ++this.seq, offset, data: copy });
  }

  /** @throws EINVAL on a negative or fractional size. */
  truncate(inodeId: number, sizeBytes: number): void {
    if (!isByteCount(sizeBytes)) throw new SimIoError("EINVAL", "truncate", `#${inodeId}`);
    const inode = this.inode(inodeId, "truncate", `#${inodeId}`);
    inode.live.truncate(sizeBytes);
    inode.pending.push({ kind: "truncate", seq: ++this.seq, sizeBytes });
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
    const entry = name === undefined ? undefined : this.findDir(names)?.live.get(name);
    if (entry?.kind !== "file") return false;
    this.flipBit(entry.id, offset, mask);
    return true;
  }

  /**
   * Records that a runtime fault damaged the bytes of `inodeId` from `offset` on (a misdirected write
   * damages both where it landed and where it should have).
   */
  markDamaged(inodeId: number, offset: number): void {
    this.damaged.set(inodeId, Math.min(offset, this.damaged.get(inodeId) ?? offset));
  }

  /** Every file a runtime fault damaged, by live and durable path (sorted): the lowest offset damaged. */
  damagedFiles(): Map<string, number> {
    const out = new Map<string, number>();
    for (const view of ["live", "durable"] as const) {
      this.walk(view, (path, entry) => {
        const offset = entry.kind === "file" ? this.damaged.get(entry.id) : undefined;
        if (offset !== undefined) out.set(path, offset);
      });
    }
    return new Map([...out].sort(([a], [b]) => compareUtf8(a, b)));
  }

  // ---- directories ----

  /** @throws ENOENT, ENOTDIR */
  list(path: string): string[] {
    const dir = this.resolveDir(splitPath(path, "scandir"), "scandir", path);
    return [...dir.live.keys()].sort(compareUtf8);
  }

  exists(path: string): boolean {
    const names = splitPath(path, "stat");
    const name = names.pop();
    if (name === undefined) return true;
    const dir = this.findDir(names);
    return dir?.live.has(name) === true;
  }

  /** @throws ENOENT if `from` or either parent is missing; EISDIR for directories; ENOTDIR */
  rename(from: string, to: string): void {
    const fromNames = splitPath(from, "rename");
    const toNames = splitPath(to, "rename");
    const fromName = fromNames.pop();
    const toName = toNames.pop();
    if (fromName === undefined || toName === undefined) throw new SimIoError("EISDIR", "rename", from);
    const fromDir = this.resolveDir(fromNames, "rename", from);
    const toDir = this.resolveDir(toNames, "rename", to);
    const entry = fromDir.live.get(fromName);
    if (entry === undefined) throw new SimIoError("ENOENT", "rename", from);
    if (entry.kind === "dir") throw new SimIoError("EISDIR", "rename", from);
    const target = toDir.live.get(toName);
    if (target?.kind === "dir") throw new SimIoError("EISDIR", "rename", to);
    if (target?.id === entry.id) return; // same file: POSIX rename does nothing
    if (fromDir === toDir) {
      this.changeDir(fromDir, { kind: "rename", seq: ++this.seq, from: fromName, to: toName });
    } else {
      this.changeDir(toDir, { kind: "link", seq: ++this.seq, name: toName, entry });
      this.changeDir(fromDir, { kind: "unlink", seq: ++this.seq, name: fromName });
    }
  }

  /** Removes a file; a missing one (or missing parent) is not an error. @throws EISDIR, ENOTDIR */
  remove(path: string): void {
    const names = splitPath(path, "rm");
    const name = names.pop();
    if (name === undefined) throw new SimIoError("EISDIR", "rm", path);
    const dir = this.findDir(names);
    const entry = dir?.live.get(name);
    if (dir === undefined || entry === undefined) return;
    if (entry.kind === "dir") throw new SimIoError("EISDIR", "rm", path);
    this.changeDir(dir, { kind: "unlink", seq: ++this.seq, name });
  }

  /** Creates `path` and missing parents. @throws EEXIST if `path` is a file; ENOTDIR if a parent is. */
  mkdir(path: string): void {
    const names = splitPath(path, "mkdir");
    let dir = this.rootDir();
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const entry = dir.live.get(name);
      if (entry?.kind === "file")
        throw new SimIoError(i === names.length - 1 ? "EEXIST" : "ENOTDIR", "mkdir", path);
      if (entry === undefined) {
        const child: Dir = { id: this.nextId++, durable: new Map(), live: new Map(), pending: [] };
        this.dirs.set(child.id, child);
        this.changeDir(dir, { kind: "link", seq: ++this.seq, name, entry: { kind: "dir", id: child.id } });
        dir = child;
      } else {
        dir = this.dirById(entry.id);
      }
    }
  }

  /** fsync of a directory: its pending changes numbered up to `mark` become durable. @throws ENOENT, ENOTDIR */
  syncDir(path: string, mark: number): void {
    const dir = this.resolveDir(splitPath(path, "fsync"), "fsync", path);
    foldPrefix(dir.pending, mark, (op) => applyDirOp(dir.durable, op));
    this.collect();
  }

  /** The live bytes of the file at `path` (a copy), or undefined if no file has that live name. */
  liveBytes(path: string): Uint8Array | undefined {
    const names = splitPath(path, "stat");
    const name = names.pop();
    const entry = name === undefined ? undefined : this.findDir(names)?.live.get(name);
    if (entry?.kind !== "file") return undefined;
    return this.inode(entry.id, "stat", path).live.toBytes();
  }

  /** Live names in directory `path`, sorted bytewise; empty if it is missing or not a directory. */
  liveNames(path: string): string[] {
    const dir = this.findDir(splitPath(path, "scandir"));
    return dir === undefined ? [] : [...dir.live.keys()].sort(compareUtf8);
  }

  /** @throws ENOENT, ENOTDIR unless `path` is a directory. */
  requireDir(path: string, syscall: string): void {
    this.resolveDir(splitPath(path, syscall), syscall, path);
  }

  // ---- images ----

  /**
   * The disk a power loss leaves: durable state plus what `planner` keeps of each pending operation.
   * Everything in the result is durable; files no name reaches are gone. See `FaultPlanner` for call order.
   */
  crash(planner: FaultPlanner): { state: DiskState; summary: CrashSummary } {
    const paths = this.pathsById();
    let dirOpsKept = 0;
    let dirOpsTotal = 0;
    const namespaces = new Map<number, Map<string, Entry>>();
    for (const dir of this.dirs.values()) {
      const names = new Map(dir.durable);
      const dirPath = paths.get(dir.id) ?? "(unlinked)";
      for (const op of dir.pending) {
        dirOpsTotal++;
        if (!planner.planDirOp(describeDirOp(dirPath, op))) continue;
        dirOpsKept++;
        applyDirOp(names, op);
      }
      namespaces.set(dir.id, names);
    }
    const next = new DiskState();
    next.nextId = this.nextId;
    next.seq = this.seq;
    const fileIds = new Set<number>();
    const visit = (dirId: number): void => {
      const names = namespaces.get(dirId) ?? new Map<string, Entry>();
      const dir: Dir = { id: dirId, durable: new Map(names), live: new Map(names), pending: [] };
      next.dirs.set(dirId, dir);
      for (const name of [...names.keys()].sort(compareUtf8)) {
        const entry = names.get(name) as Entry;
        if (entry.kind === "dir") visit(entry.id);
        else fileIds.add(entry.id);
      }
    };
    visit(ROOT_ID);
    let writesKept = 0;
    let writesTotal = 0;
    let truncatesKept = 0;
    let truncatesTotal = 0;
    for (const id of [...fileIds].sort((a, b) => a - b)) {
      const inode = this.inode(id, "crash", `#${id}`);
      const image = inode.durable.clone();
      const path = paths.get(id) ?? "(unlinked)";
      for (const op of inode.pending) {
        if (op.kind === "write") {
          writesTotal++;
          const runs = planner.planWrite({
            inodeId: id,
            path,
            offset: op.offset,
            data: op.data,
            durableSizeBytes: inode.durable.size,
          });
          if (runs.length > 0) writesKept++;
          for (const run of runs) applyRun(image, run, path);
        } else {
          truncatesTotal++;
          if (!planner.planTruncate({ inodeId: id, path, sizeBytes: op.sizeBytes })) continue;
          truncatesKept++;
          image.truncate(op.sizeBytes);
        }
      }
      next.inodes.set(id, { id, durable: image, live: image.clone(), pending: [], openHandles: 0 });
      const damagedAt = this.damaged.get(id);
      if (damagedAt !== undefined) next.damaged.set(id, damagedAt);
    }
    const summary = { writesKept, writesTotal, truncatesKept, truncatesTotal, dirOpsKept, dirOpsTotal };
    return { state: next, summary };
  }

  /** An independent copy of durable and pending state. Open handles are not copied. */
  clone(): DiskState {
    const copy = new DiskState();
    copy.nextId = this.nextId;
    copy.seq = this.seq;
    for (const dir of this.dirs.values()) {
      copy.dirs.set(dir.id, {
        id: dir.id,
        durable: new Map(dir.durable),
        live: new Map(dir.live),
        pending: [...dir.pending],
      });
    }
    for (const inode of this.inodes.values()) {
      copy.inodes.set(inode.id, {
        id: inode.id,
        durable: inode.durable.clone(),
        live: inode.live.clone(),
        pending: [...inode.pending], // operations are immutable and own their bytes
        openHandles: 0,
      });
    }
    for (const [id, offset] of this.damaged) copy.damaged.set(id, offset);
    copy.collect();
    return copy;
  }

  /** Every file reachable through live names, path -> contents (copies), in path order. */
  liveFiles(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    this.walk("live", (path, entry) => {
      if (entry.kind === "file") out.set(path, this.inode(entry.id, "snapshot", path).live.toBytes());
    });
    return out;
  }

  /** What would survive if every pending operation were lost: durable names and durable bytes. */
  durableFiles(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    this.walk("durable", (path, entry) => {
      if (entry.kind === "file") out.set(path, this.inode(entry.id, "snapshot", path).durable.toBytes());
    });
    return out;
  }

  /** FNV-1a 64 over every live and durable name (sorted), its kind and its bytes, as hex. */
  fingerprint(): string {
    const hash = new TraceHash();
    for (const view of ["live", "durable"] as const) {
      this.walk(view, (path, entry) => {
        if (entry.kind === "dir") {
          hash.update(`${view} dir ${path}`);
          return;
        }
        const inode = this.inode(entry.id, "fingerprint", path);
        const bytes = view === "live" ? inode.live.toBytes() : inode.durable.toBytes();
        hash.update(`${view} file ${path} ${bytes.length}`);
        hash.updateBytes(bytes);
      });
    }
    return hash.digest();
  }

  // ---- internals ----

  private rootDir(): Dir {
    return this.dirById(ROOT_ID);
  }

  private dirById(id: number): Dir {
    const dir = this.dirs.get(id);
    if (dir === undefined) throw new Error(`sim disk invariant: directory #${id} missing`);
    return dir;
  }

  private inode(id: number, syscall: string, path: string): Inode {
    const inode = this.inodes.get(id);
    if (inode === undefined) throw new SimIoError("EBADF", syscall, path);
    return inode;
  }

  /** The directory at `names` in the live namespace, or undefined if missing or not a directory. */
  private findDir(names: readonly string[]): Dir | undefined {
    let dir = this.rootDir();
    for (const name of names) {
      const entry = dir.live.get(name);
      if (entry === undefined || entry.kind !== "dir") return undefined;
      dir = this.dirById(entry.id);
    }
    return dir;
  }

  /** Like {@link findDir} but throws ENOENT or ENOTDIR. */
  private resolveDir(names: readonly string[], syscall: string, path: string): Dir {
    let dir = this.rootDir();
    for (const name of names) {
      const entry = dir.live.get(name);
      if (entry === undefined) throw new SimIoError("ENOENT", syscall, path);
      if (entry.kind !== "dir") throw new SimIoError("ENOTDIR", syscall, path);
      dir = this.dirById(entry.id);
    }
    return dir;
  }

  private changeDir(dir: Dir, op: DirOp): void {
    applyDirOp(dir.live, op);
    dir.pending.push(op);
  }

  /** Visits every name reachable from the root in `view`, depth first, names in bytewise order. */
  private walk(view: "live" | "durable", visit: (path: string, entry: Entry) => void): void {
    const descend = (dir: Dir, path: string): void => {
      const names = dir[view];
      for (const name of [...names.keys()].sort(compareUtf8)) {
        const entry = names.get(name) as Entry;
        const child = childPath(path, name);
        visit(child, entry);
        if (entry.kind === "dir") descend(this.dirById(entry.id), child);
      }
    };
    descend(this.rootDir(), "/");
  }

  /** A path for each reachable inode and directory id: live names first, then durable ones. */
  private pathsById(): Map<number, string> {
    const paths = new Map<number, string>([[ROOT_ID, "/"]]);
    for (const view of ["live", "durable"] as const) {
      this.walk(view, (path, entry) => {
        if (!paths.has(entry.id)) paths.set(entry.id, path);
      });
    }
    return paths;
  }

  /**
   * Drops inodes nothing can reach any more: no live or durable name, no pending directory change and no
   * open handle. Keeps memory bounded over long runs that create and remove many files.
   */
  private collect(): void {
    const referenced = new Set<number>();
    for (const dir of this.dirs.values()) {
      for (const entry of dir.live.values()) referenced.add(entry.id);
      for (const entry of dir.durable.values()) referenced.add(entry.id);
      for (const op of dir.pending) if (op.kind === "link") referenced.add(op.entry.id);
    }
    for (const inode of [...this.inodes.values()]) {
      if (inode.openHandles === 0 && !referenced.has(inode.id)) {
        this.inodes.delete(inode.id);
        this.damaged.delete(inode.id);
      }
    }
  }
}

function describeDirOp(dir: string, op: DirOp): PendingDirOp {
  switch (op.kind) {
    case "link":
      return { kind: "link", dir, name: op.name };
    case "unlink":
      return { kind: "unlink", dir, name: op.name };
    case "rename":
      return { kind: "rename", dir, from: op.from, to: op.to };
  }
}

function applyRun(image: ByteImage, run: ByteRun, path: string): void {
  if (!isByteCount(run.offset))
    throw new Error(`crash planner returned a bad offset ${run.offset} for ${path}`);
  image.write(run.offset, run.data);
}
