/**
 * The manifest names the files that make up the database: the leaves (fence keys), each leaf's segments and
 * flushed LSN, the checkpoint LSN (the WAL floor) and the next file number. It is a checksummed log of
 * edits, compacted by rewriting it (LevelDB's MANIFEST / VersionEdit; Pebble's version_edit). Grammar
 * (docs/segment-format.md, "Manifest"):
 *
 *   manifest := magic[8] "FUSEMAN2" | record+
 *   record   := bodyLength u32 | crc32 u32 | body[bodyLength]          (crc32 over body)
 *   body     := UTF-8 JSON, the first {"snapshot": Manifest}, every later {"edit": ManifestEdit}
 *
 * A new manifest (at open, and when the log outgrows its bound) is written whole as one snapshot to
 * MANIFEST.tmp, fdatasynced, renamed over MANIFEST, and the directory synced (durability contract point 8).
 * An edit is appended and fdatasynced before anything relies on it. Only the last, unsynced edit can be torn
 * by a crash: a damaged record with no valid record after it is a torn tail and is ignored (the edit never
 * took effect: the WAL still covers it); damage followed by a valid record, or damage in the snapshot, is
 * corruption.
 */
import { Buffer } from "node:buffer";
import { assert, CorruptionError } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import { checksum } from "../util/bytes.js";
import { mark } from "../util/coverage.js";

export const MANIFEST_FILE = "MANIFEST";
const MAGIC = Buffer.from("FUSEMAN2", "latin1");
const RECORD_HEADER_BYTES = 8;
const BODY_BYTES_MAX = 64 * 1024 * 1024;
const OPEN_BRACE = 0x7b;

/** One leaf: its lowest key (hex, "" for the first leaf), flushed LSN and segment file names, newest first. */
export interface LeafManifest {
  low: string;
  /** Every WAL record at or below this LSN that touched the leaf's keys is in its segments. */
  flushedLsn: number;
  segments: string[];
}

/** The manifest's state. Leaves are sorted by `low`; the first has low "". */
export interface Manifest {
  formatVersion: 2;
  /** WAL floor: every record at or below it is reflected in the segments; replay starts above it. */
  checkpointLsn: number;
  /** Next number for a new segment file. */
  nextFileNumber: number;
  leaves: LeafManifest[];
}

/** One edit: leaves replaced (by their `low`), new leaves, and the new LSN floor and file counter. */
export interface ManifestEdit {
  checkpointLsn: number;
  nextFileNumber: number;
  /** Lows (hex) of the leaves this edit replaces. */
  remove: string[];
  add: LeafManifest[];
}

/** What reading a manifest found. */
export interface ManifestRead {
  manifest: Manifest;
  /** Edits replayed after the snapshot. */
  edits: number;
  /** Byte offset of a torn final edit that was ignored, if any. */
  tornAt: number | undefined;
  bytes: number;
}

/** The manifest of a new, empty database. */
export function emptyManifest(): Manifest {
  return {
    formatVersion: 2,
    checkpointLsn: 0,
    nextFileNumber: 1,
    leaves: [{ low: "", flushedLsn: 0, segments: [] }],
  };
}

/**
 * The manifest after `edit`.
 * @throws Error if the edit does not fit (unknown leaf, duplicate low, no first leaf); readers turn it into
 *   a CorruptionError.
 */
export function applyEdit(m: Manifest, edit: ManifestEdit): Manifest {
  const removed = new Set(edit.remove);
  const kept = m.leaves.filter((l) => !removed.has(l.low));
  if (kept.length !== m.leaves.length - removed.size) throw new Error("edit removes an unknown leaf");
  const leaves = [...kept, ...edit.add].sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
  for (let i = 1; i < leaves.length; i++) {
    if ((leaves[i - 1] as LeafManifest).low === (leaves[i] as LeafManifest).low)
      throw new Error("two leaves with one low key");
  }
  if (leaves[0]?.low !== "") throw new Error("no leaf holds the lowest keys");
  if (edit.checkpointLsn < m.checkpointLsn) throw new Error("checkpoint LSN goes back");
  if (edit.nextFileNumber < m.nextFileNumber) throw new Error("file number goes back");
  return {
    formatVersion: 2,
    checkpointLsn: edit.checkpointLsn,
    nextFileNumber: edit.nextFileNumber,
    leaves,
  };
}

/**
 * Reads MANIFEST from `dir`; undefined if there is none.
 * @throws CorruptionError (naming MANIFEST and the offset) on a damaged manifest.
 */
export async function readManifest(fs: FileSystem, dir: string): Promise<ManifestRead | undefined> {
  let file: File;
  try {
    file = await fs.open(joinPath(dir, MANIFEST_FILE));
  } catch (err) {
    if (ioErrorCode(err) === "ENOENT") return undefined;
    throw err;
  }
  let data: Buffer;
  try {
    const size = await file.size();
    if (size < MAGIC.length + RECORD_HEADER_BYTES || size > BODY_BYTES_MAX) {
      throw new CorruptionError(MANIFEST_FILE, 0, `manifest of ${size} bytes`);
    }
    data = Buffer.from(await file.read(0, size));
  } finally {
    await file.close();
  }
  return parseManifest(data);
}

/**
 * Parses a whole manifest file.
 * @throws CorruptionError on damage other than a torn final edit.
 */
export function parseManifest(data: Buffer): ManifestRead {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new CorruptionError(MANIFEST_FILE, 0, "bad magic");
  let offset = MAGIC.length;
  let manifest: Manifest | undefined;
  let edits = 0;
  // Bounded: each record advances the offset by at least its header.
  while (offset < data.length) {
    const body = recordAt(data, offset);
    if (body === undefined) {
      if (manifest === undefined) throw new CorruptionError(MANIFEST_FILE, offset, "damaged snapshot");
      if (validRecordAfter(data, offset)) {
        throw new CorruptionError(MANIFEST_FILE, offset, "damaged edit followed by a valid one");
      }
      mark("recovery.manifest-torn-edit");
      return { manifest, edits, tornAt: offset, bytes: data.length };
    }
    const at = offset;
    offset += RECORD_HEADER_BYTES + body.length;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new CorruptionError(MANIFEST_FILE, at, "record is not JSON");
    }
    try {
      if (manifest === undefined) {
        manifest = checkManifest((parsed as { snapshot?: unknown }).snapshot);
      } else {
        manifest = applyEdit(manifest, checkEdit((parsed as { edit?: unknown }).edit));
        edits++;
      }
    } catch (err) {
      throw new CorruptionError(MANIFEST_FILE, at, `bad record: ${(err as Error).message}`);
    }
  }
  if (manifest === undefined) throw new CorruptionError(MANIFEST_FILE, offset, "no snapshot");
  return { manifest, edits, tornAt: undefined, bytes: data.length };
}

/** The body of a checksum-valid record at `offset`, or undefined. */
function recordAt(data: Buffer, offset: number): Buffer | undefined {
  if (data.length - offset < RECORD_HEADER_BYTES) return undefined;
  const length = data.readUInt32LE(offset);
  if (length === 0 || length > data.length - offset - RECORD_HEADER_BYTES) return undefined;
  const body = data.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  if (body[0] !== OPEN_BRACE || checksum(body) !== data.readUInt32LE(offset + 4)) return undefined;
  return body;
}

/** Whether any checksum-valid record starts after `offset` (damage then is not a torn tail). */
function validRecordAfter(data: Buffer, offset: number): boolean {
  // Bounded by the file size; most candidates fail the length or first-byte check before any checksum.
  for (let p = offset + 1; p + RECORD_HEADER_BYTES < data.length; p++) {
    if (recordAt(data, p) !== undefined) return true;
  }
  return false;
}

function isLeaf(l: unknown): l is LeafManifest {
  const x = l as LeafManifest;
  return (
    typeof x === "object" &&
    x !== null &&
    typeof x.low === "string" &&
    /^([0-9a-f]{2})*$/.test(x.low) &&
    Number.isSafeInteger(x.flushedLsn) &&
    x.flushedLsn >= 0 &&
    Array.isArray(x.segments) &&
    x.segments.every((s) => typeof s === "string")
  );
}

function checkManifest(m: unknown): Manifest {
  const x = m as Manifest;
  const ok =
    typeof x === "object" &&
    x !== null &&
    x.formatVersion === 2 &&
    Number.isSafeInteger(x.checkpointLsn) &&
    Number.isSafeInteger(x.nextFileNumber) &&
    Array.isArray(x.leaves) &&
    x.leaves.every(isLeaf);
  if (!ok) throw new Error("snapshot has the wrong shape");
  // Re-validates order and the first leaf.
  return applyEdit({ ...x, leaves: [] }, { ...x, remove: [], add: x.leaves });
}

function checkEdit(e: unknown): ManifestEdit {
  const x = e as ManifestEdit;
  const ok =
    typeof x === "object" &&
    x !== null &&
    Number.isSafeInteger(x.checkpointLsn) &&
    Number.isSafeInteger(x.nextFileNumber) &&
    Array.isArray(x.remove) &&
    x.remove.every((r) => typeof r === "string") &&
    Array.isArray(x.add) &&
    x.add.every(isLeaf);
  if (!ok) throw new Error("edit has the wrong shape");
  return x;
}

function frame(body: object): Buffer {
  const json = Buffer.from(JSON.stringify(body), "utf8");
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32LE(json.length, 0);
  header.writeUInt32LE(checksum(json), 4);
  return Buffer.concat([header, json]);
}

/**
 * The open manifest log: appends edits and rewrites itself as one snapshot when it grows past `bytesMax`.
 * Not safe for concurrent use: the tree serializes its edits.
 */
export class ManifestLog {
  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private file: File,
    private size: number,
    private state: Manifest,
    private readonly bytesMax: number,
  ) {}

  /** The current state. */
  get manifest(): Manifest {
    return this.state;
  }

  /** Bytes in the log file now. */
  get bytes(): number {
    return this.size;
  }

  /** Manifest rewrites done by this handle (the one at open included). */
  rewrites = 0;
  /** Bytes this handle wrote (edits appended, snapshots rewritten). */
  bytesWritten = 0;
  private snapshotBytes = 0;

  /**
   * Writes `manifest` as a new log of one snapshot (MANIFEST.tmp, fdatasync, rename, syncDir) and opens it
   * for appends. Used at open, so a torn final edit never stays in front of new ones.
   * @throws on I/O errors; MANIFEST is then either the old or the new one.
   */
  static async create(
    fs: FileSystem,
    dir: string,
    manifest: Manifest,
    bytesMax: number,
  ): Promise<ManifestLog> {
    const log = new ManifestLog(fs, dir, undefined as unknown as File, 0, manifest, bytesMax);
    await log.rewrite();
    return log;
  }

  /**
   * Applies `edit` durably: appended and fdatasynced (or, past the size bound, the whole state rewritten).
   * @throws on I/O errors; the manifest on disk is then uncertain and the caller must stop writing.
   */
  async append(edit: ManifestEdit): Promise<Manifest> {
    const next = applyEdit(this.state, edit);
    const record = frame({ edit });
    // Rewrite past the bound, but only once the log is at least twice a snapshot (amortized: a large
    // snapshot is not rewritten on every edit).
    if (this.size + record.length > Math.max(this.bytesMax, 2 * this.snapshotBytes)) {
      this.state = next;
      await this.rewrite();
      return next;
    }
    mark("manifest.edit");
    await this.file.write(this.size, record);
    await this.file.sync();
    this.size += record.length;
    this.bytesWritten += record.length;
    this.state = next;
    return next;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async rewrite(): Promise<void> {
    mark("manifest.rewrite");
    const data = Buffer.concat([MAGIC, frame({ snapshot: this.state })]);
    const tmpPath = joinPath(this.dir, `${MANIFEST_FILE}.tmp`);
    const tmp = await this.fs.open(tmpPath, { create: true });
    try {
      await tmp.truncate(0);
      await tmp.write(0, data);
      await tmp.sync();
    } finally {
      await tmp.close();
    }
    await this.fs.rename(tmpPath, joinPath(this.dir, MANIFEST_FILE));
    await this.fs.syncDir(this.dir);
    const old = this.file as File | undefined;
    this.file = await this.fs.open(joinPath(this.dir, MANIFEST_FILE));
    await old?.close();
    this.size = data.length;
    this.snapshotBytes = data.length;
    this.bytesWritten += data.length;
    this.rewrites++;
    assert(this.size > 0, "a manifest holds a snapshot");
  }
}
