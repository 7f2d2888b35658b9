/**
 * `fusedb check <dir>`: verifies every checksum and invariant of a data directory without changing it
 * (read-only, lock-free: src/tools/read-only-file-system.ts), and lists each problem with its file and offset.
 *
 * Errors (damage: the next open fails or would lose data):
 * - MANIFEST: every record's crc32 and shape (src/tree/manifest.ts `parseManifest`); a torn final edit when
 *   files it would have needed are gone (`checkManifestAgainstFiles` in src/tools/db-files.ts, which open uses too);
 *   leaves sorted by low key, the first one "", no segment named twice.
 * - Segments: every one the manifest names exists; footer, index, bloom filter and every data block verify
 *   (src/tree/segment-reader.ts); keys strictly ascending across the whole segment and inside the leaf's
 *   [low, next low); the bloom filter admits every key; every entry's LSN ≤ the footer's maxLsn; entry and
 *   tombstone counts match the footer.
 * - WAL, from the checkpoint on (files wholly below it are skipped, as the next open removes them): WALHEAD
 *   names an existing newest file, no file past it holds records, and WALHEAD is there if the database holds
 *   data (`resolveLiveWal`, src/wal/wal-head.ts); every file header; every record's crc32, LSNs contiguous
 *   from each file's name on, every batch decodes, the log reaches the checkpoint LSN and what each file's
 *   header says was durable (`recoverWal` in read-only mode: a torn tail is reported, never cut).
 *
 * Warnings (harmless; the next open tidies them): a torn final manifest edit, a torn WAL tail (only the final
 * group-commit write can be lost there: see docs/fault-model.md, "Known limit"), temp files, segment files the
 * manifest does not name (orphans), WAL files wholly below the checkpoint or past the newest holding no
 * record, no MANIFEST.
 *
 * A damaged manifest still lets the rest be checked: then every segment file is verified on its own (no leaf
 * ranges) and the WAL from its first record on.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../doc/key.js";
import { CorruptionError } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import { BlockCache } from "../tree/block-cache.js";
import type { Manifest } from "../tree/manifest.js";
import { MANIFEST_FILE, readManifest } from "../tree/manifest.js";
import { fenceKeyFromHex } from "../tree/manifest-key.js";
import type { Block } from "../tree/segment-reader.js";
import { SegmentReader } from "../tree/segment-reader.js";
import { decodeBatchRecord } from "../wal/batch-codec.js";
import { WAL_HEAD_FILE } from "../wal/format.js";
import { resolveLiveWal } from "../wal/wal-head.js";
import { recoverWal } from "../wal/wal-reader.js";
import type { WalFileInfo } from "../wal/wal-writer.js";
import {
  checkManifestAgainstFiles,
  type DbFiles,
  displayKey,
  findOrphans,
  hasDataFiles,
  listDbFiles,
  reasonOf,
} from "./db-files.js";
import { readOnlyFileSystem } from "./read-only-file-system.js";

/** One finding. `offset` is a byte offset in `file`, or null when the problem is the file as a whole. */
export interface CheckProblem {
  severity: "error" | "warning";
  file: string;
  offset: number | null;
  what: string;
}

/** What `fusedb check` verified and found. `ok` is true when there is no error (warnings allowed). */
export interface CheckReport {
  dir: string;
  ok: boolean;
  errors: number;
  warnings: number;
  /** In the order found: manifest, segments (leaf order), orphans, WAL. */
  problems: CheckProblem[];
  /** How much was verified. */
  checked: {
    leaves: number;
    segments: number;
    blocks: number;
    entries: number;
    walFiles: number;
    /** WAL records whose LSN is above the checkpoint (all verified records are counted in `walLastLsn`). */
    walRecordsAboveCheckpoint: number;
    /** LSN of the last valid WAL record, or null if no WAL file was read. */
    walLastLsn: number | null;
  };
}

/** The key range a segment's keys must lie in: [low, high), high undefined for the last leaf. */
interface KeyBounds {
  low: KeyString;
  high: KeyString | undefined;
}

class Findings {
  readonly problems: CheckProblem[] = [];
  error(file: string, offset: number | null, what: string): void {
    this.problems.push({ severity: "error", file, offset, what });
  }
  warning(file: string, offset: number | null, what: string): void {
    this.problems.push({ severity: "warning", file, offset, what });
  }
  /** Records `err` as an error: a CorruptionError at its own file and offset, anything else at `file`. */
  fromError(file: string, err: unknown): void {
    if (err instanceof CorruptionError) this.error(err.file, err.offset, reasonOf(err));
    else this.error(file, null, reasonOf(err));
  }
}

/** Attempts of a check whose manifest changed under it (a database open in another process). */
const CHECK_ATTEMPTS_MAX = 3;

/**
 * Verifies the database in `dir` over `fs` (wrapped read-only; nothing on disk changes, no lock is taken).
 * Never throws for damage or I/O errors on the database's files: each becomes a problem in the report.
 * On a database open elsewhere, files may vanish mid-check (a merge retired a segment): when a check finds
 * errors and MANIFEST changed meanwhile, it starts over, at most {@link CHECK_ATTEMPTS_MAX} times, and then
 * says the errors may be races (best effort).
 * @throws only on a bug (an assertion).
 */
export async function checkDatabase(fs: FileSystem, dir: string): Promise<CheckReport> {
  const ro = readOnlyFileSystem(fs);
  for (let attempt = 1; ; attempt++) {
    const before = await manifestBytes(ro, dir);
    const report = await checkOnce(ro, dir);
    if (report.ok) return report;
    const after = await manifestBytes(ro, dir);
    const changed = before === undefined || after === undefined ? before !== after : !before.equals(after);
    if (!changed) return report;
    if (attempt === CHECK_ATTEMPTS_MAX) {
      report.problems.push({
        severity: "warning",
        file: MANIFEST_FILE,
        offset: null,
        what: "changed during the check (database open in another process?): errors may be races",
      });
      report.warnings++;
      return report;
    }
  }
}

/** MANIFEST's bytes, or undefined if it cannot be read (missing, or an I/O error the check reports). */
async function manifestBytes(fs: FileSystem, dir: string): Promise<Buffer | undefined> {
  try {
    const file = await fs.open(joinPath(dir, MANIFEST_FILE));
    try {
      return Buffer.from(await file.read(0, await file.size()));
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
}

async function checkOnce(ro: FileSystem, dir: string): Promise<CheckReport> {
  const found = new Findings();
  const report: CheckReport = {
    dir,
    ok: false,
    errors: 0,
    warnings: 0,
    problems: found.problems,
    checked: {
      leaves: 0,
      segments: 0,
      blocks: 0,
      entries: 0,
      walFiles: 0,
      walRecordsAboveCheckpoint: 0,
      walLastLsn: null,
    },
  };
  let files: DbFiles | undefined;
  try {
    if (await ro.exists(dir)) files = await listDbFiles(ro, dir);
    else found.error(dir, null, "no such directory");
  } catch (err) {
    found.error(dir, null, reasonOf(err));
  }
  if (files !== undefined) await checkFiles(ro, dir, files, found, report.checked);
  report.errors = found.problems.filter((p) => p.severity === "error").length;
  report.warnings = found.problems.length - report.errors;
  report.ok = report.errors === 0;
  return report;
}

async function checkFiles(
  fs: FileSystem,
  dir: string,
  files: DbFiles,
  found: Findings,
  checked: CheckReport["checked"],
): Promise<void> {
  let manifest: Manifest | undefined;
  let manifestOk = true;
  try {
    const read = await readManifest(fs, dir);
    manifest = read?.manifest;
    if (read?.tornAt !== undefined) {
      found.warning(
        MANIFEST_FILE,
        read.tornAt,
        "final edit torn (never synced): ignored, the next open drops it",
      );
    }
    if (read === undefined) {
      if (hasDataFiles(files)) {
        found.error(MANIFEST_FILE, null, "missing, but WAL or segment files exist");
      } else found.warning(MANIFEST_FILE, null, "no MANIFEST: not a fusedb directory (open creates one)");
    } else {
      try {
        checkManifestAgainstFiles(read.manifest, read.tornAt, files);
      } catch (err) {
        // A missing segment is reported below, where each one is looked for.
        if (!(err instanceof CorruptionError && err.file !== MANIFEST_FILE))
          found.fromError(MANIFEST_FILE, err);
      }
    }
  } catch (err) {
    manifestOk = false;
    found.fromError(MANIFEST_FILE, err);
  }

  const cache = new BlockCache<Block>(0);
  const present = new Set(files.names);
  const orphans = manifest === undefined ? undefined : findOrphans(files, manifest);
  if (manifest !== undefined) {
    checkLeafOrder(manifest, found);
    const seen = new Set<string>();
    for (let i = 0; i < manifest.leaves.length; i++) {
      const leaf = manifest.leaves[i] as Manifest["leaves"][number];
      const next = manifest.leaves[i + 1];
      const bounds: KeyBounds = { low: fenceKeyFromHex(leaf.low), high: next && fenceKeyFromHex(next.low) };
      checked.leaves++;
      for (const name of leaf.segments) {
        if (seen.has(name)) {
          found.error(MANIFEST_FILE, null, `segment ${name} is named twice`);
          continue;
        }
        seen.add(name);
        if (!present.has(name)) {
          found.error(name, null, `named by the manifest (leaf ${leafLabel(bounds)}) but missing`);
          continue;
        }
        await checkSegment(fs, dir, name, bounds, cache, found, checked);
      }
    }
    for (const name of orphans?.segmentFiles ?? []) {
      found.warning(name, null, "segment not named by the manifest (orphan): removed at the next open");
    }
  } else if (!manifestOk) {
    // Without a manifest there are no leaf ranges; each segment file is still verified on its own.
    for (const name of files.segmentFiles)
      await checkSegment(fs, dir, name, undefined, cache, found, checked);
  }
  for (const name of files.tempFiles) found.warning(name, null, "temp file: removed at the next open");

  const walFiles = await liveWalFiles(fs, dir, files.walFiles, manifest, found);
  const below = (orphans?.walFiles ?? []).filter((f) => walFiles.includes(f));
  await checkWal(fs, dir, walFiles, below, manifest, found, checked);
}

/**
 * The WAL files WALHEAD covers, with the problems of the set reported: the newest missing, WALHEAD missing
 * or damaged (errors; then every file is checked), unused files past the newest (warnings).
 */
async function liveWalFiles(
  fs: FileSystem,
  dir: string,
  walFiles: WalFileInfo[],
  manifest: Manifest | undefined,
  found: Findings,
): Promise<WalFileInfo[]> {
  const state = {
    checkpointLsn: manifest?.checkpointLsn ?? 0,
    hasSegments: manifest?.leaves.some((l) => l.segments.length > 0) ?? false,
  };
  try {
    const live = await resolveLiveWal(fs, dir, walFiles, state);
    for (const name of live.unused) {
      found.warning(name, null, "past the newest WAL file and holds no record: removed at the next open");
    }
    return live.files;
  } catch (err) {
    found.fromError(WAL_HEAD_FILE, err);
    return walFiles;
  }
}

function leafLabel(b: KeyBounds): string {
  return `[${displayKey(b.low)} .. ${b.high === undefined ? "(end)" : displayKey(b.high)})`;
}

/** Leaves sorted by low key with no duplicate, the first low "" (parseManifest ensures it; checked again). */
function checkLeafOrder(manifest: Manifest, found: Findings): void {
  if (manifest.leaves[0]?.low !== "") found.error(MANIFEST_FILE, null, 'first leaf does not start at ""');
  for (let i = 1; i < manifest.leaves.length; i++) {
    const prev = (manifest.leaves[i - 1] as Manifest["leaves"][number]).low;
    const low = (manifest.leaves[i] as Manifest["leaves"][number]).low;
    if (!(prev < low)) found.error(MANIFEST_FILE, null, `leaves out of order at leaf ${i} (low ${low})`);
  }
}

/** Opens segment `name` (footer, index, bloom), then reads every entry and checks it against `bounds`. */
async function checkSegment(
  fs: FileSystem,
  dir: string,
  name: string,
  bounds: KeyBounds | undefined,
  cache: BlockCache<Block>,
  found: Findings,
  checked: CheckReport["checked"],
): Promise<void> {
  let seg: SegmentReader;
  try {
    seg = await SegmentReader.open(fs, dir, name, cache);
  } catch (err) {
    if (ioErrorCode(err) === "ENOENT") found.error(name, null, "missing");
    else found.fromError(name, err);
    return;
  }
  checked.segments++;
  checked.blocks += seg.blockCount;
  let entries = 0;
  let tombstones = 0;
  let prev: KeyString | undefined;
  // One report per kind of invariant per segment: a damaged segment must not flood the report.
  const reported = new Set<string>();
  const once = (kind: string, what: string): void => {
    if (reported.has(kind)) return;
    reported.add(kind);
    found.error(name, null, what);
  };
  try {
    // Bounded by the footer's entry count (checked below) and the file size: each entry takes ≥ 19 bytes.
    for await (const [key, entry] of seg.entries()) {
      entries++;
      if (entry.text === undefined) tombstones++;
      if (prev !== undefined && !(prev < key)) {
        once(
          "order",
          `key ${displayKey(key)} does not follow ${displayKey(prev)} (keys must strictly ascend)`,
        );
      }
      prev = key;
      if (bounds !== undefined && (key < bounds.low || (bounds.high !== undefined && key >= bounds.high))) {
        once("range", `key ${displayKey(key)} outside its leaf ${leafLabel(bounds)}`);
      }
      if (!seg.mayContain(key)) once("bloom", `bloom filter rejects key ${displayKey(key)}`);
      if (entry.lsn > seg.maxLsn) {
        once("lsn", `key ${displayKey(key)} has LSN ${entry.lsn}, above the footer's max LSN ${seg.maxLsn}`);
      }
    }
    if (entries !== seg.entryCount)
      found.error(name, null, `${entries} entries, footer says ${seg.entryCount}`);
    if (tombstones !== seg.tombstoneCount) {
      found.error(name, null, `${tombstones} tombstones, footer says ${seg.tombstoneCount}`);
    }
  } catch (err) {
    found.fromError(name, err);
  } finally {
    checked.entries += entries;
    await seg.release();
  }
}

/**
 * Verifies the live WAL files (those not wholly below the checkpoint, `below`) with `recoverWal` in
 * read-only mode. With no readable manifest the checkpoint is taken as just below the first file: every
 * record is verified.
 */
async function checkWal(
  fs: FileSystem,
  dir: string,
  walFiles: WalFileInfo[],
  below: readonly WalFileInfo[],
  manifest: Manifest | undefined,
  found: Findings,
  checked: CheckReport["checked"],
): Promise<void> {
  const first = walFiles[0];
  if (first === undefined) return;
  const checkpointLsn = manifest?.checkpointLsn ?? first.firstLsn - 1;
  for (const f of below) {
    found.warning(f.name, null, `wholly below checkpoint LSN ${checkpointLsn}: removed at the next open`);
  }
  const live = walFiles.slice(below.length);
  checked.walFiles = live.length;
  let badPayloads = 0;
  try {
    const recovered = await recoverWal(
      fs,
      dir,
      live,
      checkpointLsn,
      (record, file) => {
        try {
          decodeBatchRecord(record.type, record.payload, record.lsn);
        } catch (err) {
          // Bounded report: the first few bad batches, then a count.
          if (badPayloads++ < 3) found.error(file, record.offset, `bad batch payload: ${reasonOf(err)}`);
        }
      },
      {},
      { readOnly: true },
    );
    if (badPayloads > 3) found.error(live[0]?.name ?? dir, null, `${badPayloads} bad batch payloads in all`);
    checked.walRecordsAboveCheckpoint = recovered.replayed;
    checked.walLastLsn = recovered.lastLsn;
    const t = recovered.tornTail;
    if (t !== undefined) {
      found.warning(
        t.file,
        t.offset,
        `torn tail (${t.reason}, ${t.droppedBytes} bytes after LSN ${recovered.lastLsn}): cut at the next ` +
          "open; if it is damage, not a tear, it costs at most the newest acknowledged group-commit write",
      );
    }
    if (recovered.lastLsn < checkpointLsn) {
      const last = live[live.length - 1] as WalFileInfo;
      found.error(
        last.name,
        recovered.lastFileBytes,
        `WAL ends at LSN ${recovered.lastLsn}, before checkpoint ${checkpointLsn}`,
      );
    }
  } catch (err) {
    found.fromError(live[0]?.name ?? dir, err);
  }
}

/** The human-readable report: one line per problem (`error|warning  file @offset: what`), then a summary. */
export function formatCheckReport(r: CheckReport): string {
  const lines = r.problems.map(
    (p) => `${p.severity.padEnd(7)} ${p.file}${p.offset === null ? "" : ` @${p.offset}`}: ${p.what}`,
  );
  const c = r.checked;
  const scope =
    `${c.leaves} leaves, ${c.segments} segments (${c.blocks} blocks, ${c.entries} entries), ` +
    `${c.walFiles} WAL file${c.walFiles === 1 ? "" : "s"}` +
    (c.walLastLsn === null ? "" : ` to LSN ${c.walLastLsn}`);
  const warnings = `${r.warnings} warning${r.warnings === 1 ? "" : "s"}`;
  lines.push(
    r.ok
      ? `ok: ${scope}; ${warnings}`
      : `FAILED: ${r.errors} error${r.errors === 1 ? "" : "s"}, ${warnings}; checked ${scope}`,
  );
  return `${lines.join("\n")}\n`;
}
