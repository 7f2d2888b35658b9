/**
 * One simulated directory: a `durable` namespace (what survives a crash), a `live` one (what lookups see)
 * and the ordered list of pending changes between them. Entries name files by inode id and directories by
 * directory id, so a rename moves an identity, not bytes.
 *
 * Invariant: applying `pending` in order to `durable` gives `live`, with no exception (a failed directory
 * fsync drops nothing). The root directory has id {@link ROOT_ID}, always exists and is always durable.
 */
import type { PendingDirOp } from "./crash-planner.js";

/** A directory entry: a file (inode id) or a directory (directory id). */
export interface Entry {
  readonly kind: "file" | "dir";
  readonly id: number;
}

/** A directory change that completed but is not yet durable, numbered by the disk's sequence counter. */
export type DirOp =
  | { readonly kind: "link"; readonly seq: number; readonly name: string; readonly entry: Entry }
  | { readonly kind: "unlink"; readonly seq: number; readonly name: string }
  | { readonly kind: "rename"; readonly seq: number; readonly from: string; readonly to: string };

/** A directory's durable and pending state; see the module comment. */
export interface Dir {
  readonly id: number;
  readonly durable: Map<string, Entry>;
  readonly live: Map<string, Entry>;
  readonly pending: DirOp[];
}

/** The root directory's id; it always exists and is always durable. */
export const ROOT_ID = 0;

/** A directory with `names` (copied) as both its durable and its live namespace, and nothing pending. */
export function newDir(id: number, names: ReadonlyMap<string, Entry> = new Map()): Dir {
  return { id, durable: new Map(names), live: new Map(names), pending: [] };
}

/** An independent copy of `dir`'s namespaces and pending changes. */
export function cloneDir(dir: Dir): Dir {
  return { id: dir.id, durable: new Map(dir.durable), live: new Map(dir.live), pending: [...dir.pending] };
}

/** Applies one directory change to the namespace `names`. */
export function applyDirOp(names: Map<string, Entry>, op: DirOp): void {
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

/** The change `op` in directory `dir` (a path) as a crash planner is asked about it. */
export function describeDirOp(dir: string, op: DirOp): PendingDirOp {
  switch (op.kind) {
    case "link":
      return { kind: "link", dir, name: op.name };
    case "unlink":
      return { kind: "unlink", dir, name: op.name };
    case "rename":
      return { kind: "rename", dir, from: op.from, to: op.to };
  }
}
