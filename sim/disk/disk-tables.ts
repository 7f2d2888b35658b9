/**
 * The simulated disk's raw tables (inodes and directories by id, the damage list, the id and sequence
 * counters) and the lookups every part of the disk shares: a directory or inode by id, a directory by
 * names, a walk over the namespace, and collection of what nothing reaches. `DiskState` owns one set of
 * tables and is the only writer; the crash image and the snapshots build or read whole sets.
 *
 * Invariants: the root directory ({@link ROOT_ID}) is always present; every directory entry names a
 * directory present in `dirs` (a missing one is a bug and throws); ids are never reused (`nextId` only
 * grows); `seq` is the number of the last completed operation and only grows.
 */
import { type Dir, type Entry, newDir, ROOT_ID } from "./directory.js";
import type { Inode } from "./inode.js";
import { SimIoError } from "./sim-error.js";
import { childPath, compareUtf8 } from "./sim-path.js";

/** One disk's state; see the module comment. */
export interface DiskTables {
  readonly inodes: Map<number, Inode>;
  readonly dirs: Map<number, Dir>;
  /** Inodes whose bytes a runtime fault damaged (bit flips, misdirected writes) -> lowest offset damaged. */
  readonly damaged: Map<number, number>;
  /** The id the next file or directory created gets. */
  nextId: number;
  /** The sequence number of the last completed operation. */
  seq: number;
}

/** The tables of a fresh disk: an empty root directory, `nextId` and `seq` as given. */
export function emptyTables(nextId = ROOT_ID + 1, seq = 0): DiskTables {
  const dirs = new Map<number, Dir>([[ROOT_ID, newDir(ROOT_ID)]]);
  return { inodes: new Map(), dirs, damaged: new Map(), nextId, seq };
}

/** The directory with id `id`. @throws Error (a bug) if it is missing. */
export function dirById(tables: DiskTables, id: number): Dir {
  const dir = tables.dirs.get(id);
  if (dir === undefined) throw new Error(`sim disk invariant: directory #${id} missing`);
  return dir;
}

/** The inode with id `id`. @throws SimIoError EBADF (reported as `syscall` on `path`) if it is gone. */
export function inodeById(tables: DiskTables, id: number, syscall: string, path: string): Inode {
  const inode = tables.inodes.get(id);
  if (inode === undefined) throw new SimIoError("EBADF", syscall, path);
  return inode;
}

/** The directory at `names` in the live namespace, or undefined if missing or not a directory. */
export function findDir(tables: DiskTables, names: readonly string[]): Dir | undefined {
  let dir = dirById(tables, ROOT_ID);
  for (const name of names) {
    const entry = dir.live.get(name);
    if (entry === undefined || entry.kind !== "dir") return undefined;
    dir = dirById(tables, entry.id);
  }
  return dir;
}

/** Like {@link findDir} but throws. @throws SimIoError ENOENT or ENOTDIR (as `syscall` on `path`). */
export function resolveDir(tables: DiskTables, names: readonly string[], syscall: string, path: string): Dir {
  let dir = dirById(tables, ROOT_ID);
  for (const name of names) {
    const entry = dir.live.get(name);
    if (entry === undefined) throw new SimIoError("ENOENT", syscall, path);
    if (entry.kind !== "dir") throw new SimIoError("ENOTDIR", syscall, path);
    dir = dirById(tables, entry.id);
  }
  return dir;
}

/** Visits every name reachable from the root in `view`, depth first, names in bytewise order. */
export function walk(
  tables: DiskTables,
  view: "live" | "durable",
  visit: (path: string, entry: Entry) => void,
): void {
  const descend = (dir: Dir, path: string): void => {
    const names = dir[view];
    for (const name of [...names.keys()].sort(compareUtf8)) {
      const entry = names.get(name) as Entry;
      const child = childPath(path, name);
      visit(child, entry);
      if (entry.kind === "dir") descend(dirById(tables, entry.id), child);
    }
  };
  descend(dirById(tables, ROOT_ID), "/");
}

/** A path for each reachable inode and directory id: live names first, then durable ones. */
export function pathsById(tables: DiskTables): Map<number, string> {
  const paths = new Map<number, string>([[ROOT_ID, "/"]]);
  for (const view of ["live", "durable"] as const) {
    walk(tables, view, (path, entry) => {
      if (!paths.has(entry.id)) paths.set(entry.id, path);
    });
  }
  return paths;
}

/**
 * Drops inodes nothing can reach any more: no live or durable name, no pending directory change and no
 * open handle. Keeps memory bounded over long runs that create and remove many files.
 */
export function collect(tables: DiskTables): void {
  const referenced = new Set<number>();
  for (const dir of tables.dirs.values()) {
    for (const entry of dir.live.values()) referenced.add(entry.id);
    for (const entry of dir.durable.values()) referenced.add(entry.id);
    for (const op of dir.pending) if (op.kind === "link") referenced.add(op.entry.id);
  }
  for (const inode of [...tables.inodes.values()]) {
    if (inode.openHandles === 0 && !referenced.has(inode.id)) {
      tables.inodes.delete(inode.id);
      tables.damaged.delete(inode.id);
    }
  }
}
