/**
 * `fusedb inspect <dir>`: what a data directory holds — the manifest, the leaves with their fence keys and
 * segments, the WAL files — with sizes and LSNs. Read-only and lock-free (src/tools/read-only-file-system.ts):
 * nothing is removed, rewritten or cut, so it may look at a database another process has open; files that
 * vanish meanwhile (a merge retired a segment) are shown with their error, not fatal (best effort).
 *
 * It shows, it does not verify: segment footers, indexes and bloom filters are checked as a side effect of
 * opening them, data blocks are not read. `fusedb check` (src/tools/check.ts) verifies everything.
 */
import type { FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import { BlockCache } from "../tree/block-cache.js";
import { readManifest } from "../tree/manifest.js";
import { fenceKeyFromHex } from "../tree/manifest-key.js";
import type { Block } from "../tree/segment-reader.js";
import { SegmentReader } from "../tree/segment-reader.js";
import { type WalFormat, walFormatOf } from "../wal/format.js";
import { displayKey, listDbFiles, reasonOf } from "./db-files.js";
import { readOnlyFileSystem } from "./read-only-file-system.js";

/** A segment as its footer describes it. */
export interface SegmentSummary {
  name: string;
  sizeBytes: number;
  entryCount: number;
  tombstoneCount: number;
  maxLsn: number;
  /** Data blocks (the index's entries). */
  blockCount: number;
}

/** A segment that could not be opened: missing, or its footer, index or bloom filter is damaged. */
export interface SegmentUnreadable {
  name: string;
  error: string;
}

/** One leaf: keys in [low, high); `high` is null for the last leaf. Fence keys in hex, as the manifest has them. */
export interface LeafSummary {
  low: string;
  high: string | null;
  /** `low` and `high` for people: UTF-8 text as a JSON string if printable, else `0x` hex; `(end)` for null. */
  lowDisplay: string;
  highDisplay: string;
  flushedLsn: number;
  /** Newest first. */
  segments: (SegmentSummary | SegmentUnreadable)[];
}

/** One WAL file; `sizeBytes` and `format` are null if it could not be opened (removed meanwhile). */
export interface WalFileSummary {
  name: string;
  firstLsn: number;
  sizeBytes: number | null;
  /**
   * The format its magic names (3, or 2: read, never appended to; docs/wal-format.md "Compatibility"), or
   * null if it names none (`fusedb check` reports that) or the file is gone.
   */
  format: WalFormat | null;
}

/** The manifest log. */
export interface ManifestSummary {
  bytes: number;
  /** Edits appended after the snapshot. */
  edits: number;
  checkpointLsn: number;
  nextFileNumber: number;
  /** Offset of a torn final edit (never synced; ignored, the next open drops it), or null. */
  tornEditAt: number | null;
}

/** Everything `fusedb inspect` shows. */
export interface Inspection {
  dir: string;
  /** null if there is no MANIFEST; `{ error }` if it cannot be parsed (then `leaves` is empty). */
  manifest: ManifestSummary | { error: string } | null;
  leaves: LeafSummary[];
  /** Sorted by first LSN. */
  wal: WalFileSummary[];
  /** Temp files and segment files the manifest does not name: the next open removes them. */
  orphans: string[];
}

/**
 * Describes the database in `dir` over `fs` (wrapped read-only here; nothing on disk changes).
 * @throws on an I/O error listing `dir` (ENOENT if it is missing). Damage is reported in the result, not thrown.
 */
export async function inspectDatabase(fs: FileSystem, dir: string): Promise<Inspection> {
  const ro = readOnlyFileSystem(fs);
  const files = await listDbFiles(ro, dir);
  const out: Inspection = { dir, manifest: null, leaves: [], wal: [], orphans: [] };
  const named = new Set<string>();
  try {
    const read = await readManifest(ro, dir);
    if (read !== undefined) {
      const m = read.manifest;
      out.manifest = {
        bytes: read.bytes,
        edits: read.edits,
        checkpointLsn: m.checkpointLsn,
        nextFileNumber: m.nextFileNumber,
        tornEditAt: read.tornAt ?? null,
      };
      // A cache of 0 bytes caches nothing: inspect reads footers only.
      const cache = new BlockCache<Block>(0);
      for (let i = 0; i < m.leaves.length; i++) {
        const leaf = m.leaves[i] as (typeof m.leaves)[number];
        const high = m.leaves[i + 1]?.low ?? null;
        const segments: (SegmentSummary | SegmentUnreadable)[] = [];
        for (const name of leaf.segments) {
          named.add(name);
          segments.push(await summarizeSegment(ro, dir, name, cache));
        }
        out.leaves.push({
          low: leaf.low,
          high,
          lowDisplay: displayKey(fenceKeyFromHex(leaf.low)),
          highDisplay: high === null ? "(end)" : displayKey(fenceKeyFromHex(high)),
          flushedLsn: leaf.flushedLsn,
          segments,
        });
      }
    }
  } catch (err) {
    out.manifest = { error: reasonOf(err) };
  }
  for (const f of files.walFiles) {
    out.wal.push({ name: f.name, firstLsn: f.firstLsn, ...(await walFileOf(ro, joinPath(dir, f.name))) });
  }
  const manifestRead = out.manifest !== null && !("error" in out.manifest);
  out.orphans = [
    ...files.tempFiles,
    ...(manifestRead ? files.segmentFiles.filter((n) => !named.has(n)) : []),
  ].sort();
  return out;
}

async function summarizeSegment(
  fs: FileSystem,
  dir: string,
  name: string,
  cache: BlockCache<Block>,
): Promise<SegmentSummary | SegmentUnreadable> {
  let seg: SegmentReader;
  try {
    seg = await SegmentReader.open(fs, dir, name, cache);
  } catch (err) {
    return { name, error: ioErrorCode(err) === "ENOENT" ? "missing" : reasonOf(err) };
  }
  const summary: SegmentSummary = {
    name,
    sizeBytes: seg.sizeBytes,
    entryCount: seg.entryCount,
    tombstoneCount: seg.tombstoneCount,
    maxLsn: seg.maxLsn,
    blockCount: seg.blockCount,
  };
  await seg.release();
  return summary;
}

/** A WAL file's size and format (from its magic), or nulls if it is gone. */
async function walFileOf(
  fs: FileSystem,
  path: string,
): Promise<{ sizeBytes: number | null; format: WalFormat | null }> {
  try {
    const file = await fs.open(path);
    try {
      const sizeBytes = await file.size();
      const format = walFormatOf(await file.read(0, Math.min(sizeBytes, 8))) ?? null;
      return { sizeBytes, format };
    } finally {
      await file.close();
    }
  } catch (err) {
    if (ioErrorCode(err) === "ENOENT") return { sizeBytes: null, format: null };
    throw err;
  }
}

/** `n` with thousands separators (fixed, not locale-dependent). */
function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** The human-readable report of `fusedb inspect`: one line per manifest, leaf, segment and WAL file. */
export function formatInspection(i: Inspection): string {
  const lines: string[] = [`database ${i.dir}`];
  const m = i.manifest;
  if (m === null) lines.push("manifest  none (not a fusedb directory, or never opened)");
  else if ("error" in m) lines.push(`manifest  UNREADABLE: ${m.error}`);
  else {
    lines.push(
      `manifest  ${plural(m.bytes, "byte")}, snapshot + ${plural(m.edits, "edit")}, ` +
        `checkpoint LSN ${m.checkpointLsn}, next file ${m.nextFileNumber}` +
        (m.tornEditAt === null ? "" : `, torn final edit at offset ${m.tornEditAt} (ignored)`),
    );
  }
  lines.push(`leaves    ${i.leaves.length}`);
  i.leaves.forEach((leaf, n) => {
    lines.push(
      `  leaf ${n}  [${leaf.lowDisplay} .. ${leaf.highDisplay})  flushed LSN ${leaf.flushedLsn}, ` +
        plural(leaf.segments.length, "segment"),
    );
    for (const s of leaf.segments) {
      if ("error" in s) {
        lines.push(`    ${s.name}  UNREADABLE: ${s.error}`);
        continue;
      }
      lines.push(
        `    ${s.name}  ${plural(s.sizeBytes, "byte")}, ${plural(s.entryCount, "entry", "entries")} ` +
          `(${plural(s.tombstoneCount, "tombstone")}), max LSN ${s.maxLsn}, ${plural(s.blockCount, "block")}`,
      );
    }
  });
  lines.push(`wal       ${plural(i.wal.length, "file")}`);
  for (const w of i.wal) {
    const size = w.sizeBytes === null ? "gone" : plural(w.sizeBytes, "byte");
    const format =
      w.format === null ? (w.sizeBytes === null ? "" : ", format unknown") : `, format ${w.format}`;
    lines.push(`  ${w.name}  first LSN ${w.firstLsn}, ${size}${format}`);
  }
  if (i.orphans.length > 0) lines.push(`orphans   ${i.orphans.join(", ")} (removed at the next open)`);
  return `${lines.join("\n")}\n`;
}
