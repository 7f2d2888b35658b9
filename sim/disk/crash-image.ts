/**
 * The disk a power loss leaves: the durable state plus what a {@link FaultPlanner} keeps of each pending
 * operation. The planner is asked in a fixed order (see `FaultPlanner`): each directory's pending changes,
 * directories in the order the tables hold them, then the pending operations of each file a kept name
 * still reaches, files by ascending inode id; so a seeded planner draws the same numbers for the same disk.
 *
 * Invariants: the result has nothing pending (live = durable everywhere) and no open handle; each file's
 * bytes are its durable bytes with the kept operations applied in their original order; a file no kept
 * name reaches is gone; damage recorded for a file that survives is kept; the source is not changed.
 */
import { type ByteImage, isByteCount } from "./byte-image.js";
import type { ByteRun, FaultPlanner } from "./crash-planner.js";
import { applyDirOp, describeDirOp, type Entry, newDir, ROOT_ID } from "./directory.js";
import { type DiskTables, emptyTables, inodeById, pathsById } from "./disk-tables.js";
import { durableInode, type Inode } from "./inode.js";
import { compareUtf8 } from "./sim-path.js";

/** Counts of what a crash kept, for the trace. */
export interface CrashSummary {
  readonly writesKept: number;
  readonly writesTotal: number;
  readonly truncatesKept: number;
  readonly truncatesTotal: number;
  readonly dirOpsKept: number;
  readonly dirOpsTotal: number;
}

type Counts = { -readonly [K in keyof CrashSummary]: number };

/** The name a planner is told for an id no name reaches. */
const UNLINKED = "(unlinked)";

/**
 * The tables a power loss leaves of `tables` (which it does not change), and what it kept.
 * @throws Error if the planner returns a run at a negative or fractional offset.
 */
export function crashImage(
  tables: DiskTables,
  planner: FaultPlanner,
): { tables: DiskTables; summary: CrashSummary } {
  const paths = pathsById(tables);
  const counts: Counts = {
    writesKept: 0,
    writesTotal: 0,
    truncatesKept: 0,
    truncatesTotal: 0,
    dirOpsKept: 0,
    dirOpsTotal: 0,
  };
  const namespaces = crashNamespaces(tables, paths, planner, counts);
  const next = emptyTables(tables.nextId, tables.seq);
  const fileIds = new Set<number>();
  const visit = (dirId: number): void => {
    const names = namespaces.get(dirId) ?? new Map<string, Entry>();
    next.dirs.set(dirId, newDir(dirId, names));
    for (const name of [...names.keys()].sort(compareUtf8)) {
      const entry = names.get(name) as Entry;
      if (entry.kind === "dir") visit(entry.id);
      else fileIds.add(entry.id);
    }
  };
  visit(ROOT_ID);
  for (const id of [...fileIds].sort((a, b) => a - b)) {
    const inode = inodeById(tables, id, "crash", `#${id}`);
    const image = crashFile(inode, paths.get(id) ?? UNLINKED, planner, counts);
    next.inodes.set(id, durableInode(id, image));
    const damagedAt = tables.damaged.get(id);
    if (damagedAt !== undefined) next.damaged.set(id, damagedAt);
  }
  return { tables: next, summary: counts };
}

/** Each directory's namespace after the crash: durable entries plus the pending changes the planner keeps. */
function crashNamespaces(
  tables: DiskTables,
  paths: ReadonlyMap<number, string>,
  planner: FaultPlanner,
  counts: Counts,
): Map<number, Map<string, Entry>> {
  const namespaces = new Map<number, Map<string, Entry>>();
  for (const dir of tables.dirs.values()) {
    const names = new Map(dir.durable);
    const dirPath = paths.get(dir.id) ?? UNLINKED;
    for (const op of dir.pending) {
      counts.dirOpsTotal++;
      if (!planner.planDirOp(describeDirOp(dirPath, op))) continue;
      counts.dirOpsKept++;
      applyDirOp(names, op);
    }
    namespaces.set(dir.id, names);
  }
  return namespaces;
}

/** The bytes a crash leaves of `inode`: its durable image with what the planner keeps of each pending op. */
function crashFile(inode: Inode, path: string, planner: FaultPlanner, counts: Counts): ByteImage {
  const image = inode.durable.clone();
  for (const op of inode.pending) {
    if (op.kind === "write") {
      counts.writesTotal++;
      const runs = planner.planWrite({
        inodeId: inode.id,
        path,
        offset: op.offset,
        data: op.data,
        durableSizeBytes: inode.durable.size,
      });
      if (runs.length > 0) counts.writesKept++;
      for (const run of runs) applyRun(image, run, path);
    } else {
      counts.truncatesTotal++;
      if (!planner.planTruncate({ inodeId: inode.id, path, sizeBytes: op.sizeBytes })) continue;
      counts.truncatesKept++;
      image.truncate(op.sizeBytes);
    }
  }
  return image;
}

function applyRun(image: ByteImage, run: ByteRun, path: string): void {
  if (!isByteCount(run.offset))
    throw new Error(`crash planner returned a bad offset ${run.offset} for ${path}`);
  image.write(run.offset, run.data);
}
