/**
 * Whole-disk reads and copies: the files reachable by live or by durable names, the files runtime faults
 * damaged, the fingerprint, and an independent clone of the tables.
 *
 * Invariants: none of these changes the tables it reads; each visits names depth first in bytewise order,
 * so equal disks give equal maps (in equal order) and equal fingerprints; a clone shares no mutable state
 * with its source (pending operations are immutable and may be shared) and has no open handle.
 */
import { cloneDir } from "./directory.js";
import { collect, type DiskTables, inodeById, walk } from "./disk-tables.js";
import { cloneInode } from "./inode.js";
import { compareUtf8 } from "./sim-path.js";
import { TraceHash } from "./trace-hash.js";

/** An independent copy of durable and pending state, without open handles (so unreachable inodes go). */
export function cloneTables(tables: DiskTables): DiskTables {
  const copy: DiskTables = {
    inodes: new Map(),
    dirs: new Map(),
    damaged: new Map(),
    nextId: tables.nextId,
    seq: tables.seq,
  };
  for (const dir of tables.dirs.values()) copy.dirs.set(dir.id, cloneDir(dir));
  for (const inode of tables.inodes.values()) copy.inodes.set(inode.id, cloneInode(inode));
  for (const [id, offset] of tables.damaged) copy.damaged.set(id, offset);
  collect(copy);
  return copy;
}

/** Every file reachable through `view` names, path -> its `view` bytes (copies), in path order. */
export function filesOf(tables: DiskTables, view: "live" | "durable"): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  walk(tables, view, (path, entry) => {
    if (entry.kind === "file") out.set(path, inodeById(tables, entry.id, "snapshot", path)[view].toBytes());
  });
  return out;
}

/** Every file a runtime fault damaged, by live and durable path (sorted): the lowest offset damaged. */
export function damagedFiles(tables: DiskTables): Map<string, number> {
  const out = new Map<string, number>();
  for (const view of ["live", "durable"] as const) {
    walk(tables, view, (path, entry) => {
      const offset = entry.kind === "file" ? tables.damaged.get(entry.id) : undefined;
      if (offset !== undefined) out.set(path, offset);
    });
  }
  return new Map([...out].sort(([a], [b]) => compareUtf8(a, b)));
}

/** FNV-1a 64 over every live and durable name (sorted), its kind and its bytes, as hex. */
export function fingerprint(tables: DiskTables): string {
  const hash = new TraceHash();
  for (const view of ["live", "durable"] as const) {
    walk(tables, view, (path, entry) => {
      if (entry.kind === "dir") {
        hash.update(`${view} dir ${path}`);
        return;
      }
      const bytes = inodeById(tables, entry.id, "fingerprint", path)[view].toBytes();
      hash.update(`${view} file ${path} ${bytes.length}`);
      hash.updateBytes(bytes);
    });
  }
  return hash.digest();
}
