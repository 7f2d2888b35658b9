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
 * Snapshots are written in format 3 (with the dead-version floor); format 2 snapshots are still read.
 * Both may carry `clockFloorMs` (absent: 0), the durable clock floor (docs/wal-format.md, "Clock floor").
 *
 * A new manifest (at open, and when the log outgrows its bound) is written whole as one snapshot to
 * MANIFEST.tmp, fdatasynced, renamed over MANIFEST, and the directory synced (durability contract point 8).
 * An edit is appended and fdatasynced before anything relies on it. Only the last, unsynced edit can be torn
 * by a crash: a damaged record with no valid record after it is a torn tail and is ignored (the edit never
 * took effect: the WAL still covers it); damage followed by a valid record, or damage in the snapshot, is
 * corruption.
 */
import { Buffer } from "node:buffer";
import { assert, CorruptionError, markCorruption } from "../errors.js";
import type { File, FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import { checksum } from "../util/bytes.js";
import { mark } from "../util/coverage.js";
import {
  applyEdit,
  type FloorPair,
  HEX_KEY,
  type LeafManifest,
  type Manifest,
  type ManifestEdit,
  manifestViolation,
  tryApplyEdit,
} from "./manifest-state.js";

export {
  applyEdit,
  emptyManifest,
  type LeafManifest,
  type Manifest,
  type ManifestEdit,
  manifestViolation,
} from "./manifest-state.js";

export const MANIFEST_FILE = "MANIFEST";
const MAGIC = Buffer.from("FUSEMAN2", "latin1");
const RECORD_HEADER_BYTES = 8;
const BODY_BYTES_MAX = 64 * 1024 * 1024;
const OPEN_BRACE = 0x7b;

/** What reading a manifest found. */
export interface ManifestRead {
  manifest: Manifest;
  /** Edits replayed after the snapshot. */
  edits: number;
  /** Byte offset of a torn final edit that was ignored, if any. */
  tornAt: number | undefined;
  bytes: number;
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
    if (size < MAGIC.length + RECORD_HEADER_BYTES) {
      throw manifestCorruption(0, `manifest of ${size} bytes`);
    }
    if (size > BODY_BYTES_MAX) throw manifestCorruption(0, `manifest of ${size} bytes`);
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
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw manifestCorruption(0, "bad magic");
  let offset = MAGIC.length;
  let manifest: Manifest | undefined;
  let edits = 0;
  // Bounded: each record advances the offset by at least its header.
  while (offset < data.length) {
    const body = recordAt(data, offset);
    if (body === undefined) {
      if (manifest === undefined) throw manifestCorruption(offset, "damaged snapshot");
      if (validRecordAfter(data, offset)) {
        throw manifestCorruption(offset, "damaged edit followed by a valid one");
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
      throw manifestCorruption(at, "record is not JSON");
    }
    try {
      if (manifest === undefined) {
        manifest = checkManifest(fieldsOf(parsed, "record").snapshot);
      } else {
        manifest = applyEdit(manifest, checkEdit(fieldsOf(parsed, "record").edit));
        edits++;
      }
    } catch (err) {
      throw manifestCorruption(at, `bad record: ${(err as Error).message}`);
    }
  }
  if (manifest === undefined) throw manifestCorruption(offset, "no snapshot");
  return { manifest, edits, tornAt: undefined, bytes: data.length };
}

/** A CorruptionError for damage in MANIFEST, counted (coverage marks) here, where it is detected. */
function manifestCorruption(offset: number, reason: string): CorruptionError {
  markCorruption("manifest");
  return new CorruptionError(MANIFEST_FILE, offset, reason);
}

/** The body of a checksum-valid record at `offset`, or undefined. */
function recordAt(data: Buffer, offset: number): Buffer | undefined {
  if (data.length - offset < RECORD_HEADER_BYTES) return undefined;
  const length = data.readUInt32LE(offset);
  if (length === 0) return undefined;
  if (length > data.length - offset - RECORD_HEADER_BYTES) return undefined;
  const body = data.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  if (body[0] !== OPEN_BRACE) return undefined;
  if (checksum(body) !== data.readUInt32LE(offset + 4)) return undefined;
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

/** `x` as a record of fields, or an Error naming `what` (a parsed JSON record of the wrong shape). */
function fieldsOf(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== "object") throw new Error(`${what} is not an object`);
  if (x === null) throw new Error(`${what} is null`);
  if (Array.isArray(x)) throw new Error(`${what} is an array`);
  return x as Record<string, unknown>;
}

function safeInteger(x: Record<string, unknown>, name: string, what: string): number {
  const v = x[name];
  if (typeof v !== "number") throw new Error(`${what}.${name} is not a number`);
  if (!Number.isSafeInteger(v)) throw new Error(`${what}.${name} is not a safe integer`);
  return v;
}

function strings(x: Record<string, unknown>, name: string, what: string): string[] {
  const v = x[name];
  if (!Array.isArray(v)) throw new Error(`${what}.${name} is not an array`);
  const out: string[] = [];
  for (const s of v) {
    if (typeof s !== "string") throw new Error(`${what}.${name} holds a non-string`);
    out.push(s);
  }
  return out;
}

function checkLeaf(l: unknown): LeafManifest {
  const x = fieldsOf(l, "leaf");
  const low = x.low;
  if (typeof low !== "string") throw new Error("leaf.low is not a string");
  if (!HEX_KEY.test(low)) throw new Error("leaf.low is not hex");
  const flushedLsn = safeInteger(x, "flushedLsn", "leaf");
  if (flushedLsn < 0) throw new Error("leaf.flushedLsn is negative");
  return { low, flushedLsn, segments: strings(x, "segments", "leaf") };
}

function checkLeaves(x: Record<string, unknown>, name: string, what: string): LeafManifest[] {
  const v = x[name];
  if (!Array.isArray(v)) throw new Error(`${what}.${name} is not an array`);
  return v.map(checkLeaf);
}

/**
 * `[bucket, floor]` pairs under `name` (validated by the state's invariants when applied); absent: none.
 */
function floorPairs(x: Record<string, unknown>, name: string, what: string): FloorPair[] {
  const v = x[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${what}.${name} is not an array`);
  return v.map((p): FloorPair => {
    if (!Array.isArray(p) || p.length !== 2) throw new Error(`${what}.${name} holds a non-pair`);
    const [b, f] = p as unknown[];
    if (typeof b !== "number" || typeof f !== "number") throw new Error(`${what}.${name} holds a non-number`);
    return [b, f];
  });
}

/**
 * A snapshot of format 3, or of format 2 (before the dead-version floor): read with an empty floor and a
 * legacy LSN at its highest LSN, so the dead entries a format 2 engine wrote (whose versions no floor
 * holds) are kept as tombstones, never collected.
 */
function checkManifest(m: unknown): Manifest {
  const x = fieldsOf(m, "snapshot");
  const format = x.formatVersion;
  if (format !== 2 && format !== 3) throw new Error(`snapshot format version ${String(format)}`);
  const checkpointLsn = safeInteger(x, "checkpointLsn", "snapshot");
  const nextFileNumber = safeInteger(x, "nextFileNumber", "snapshot");
  const leaves = checkLeaves(x, "leaves", "snapshot");
  let legacyLsn: number;
  if (format === 2) {
    mark("recovery.manifest-format-2");
    legacyLsn = leaves.reduce((n, l) => Math.max(n, l.flushedLsn), checkpointLsn);
  } else legacyLsn = safeInteger(x, "legacyLsn", "snapshot");
  const deadVersionFloor = format === 2 ? [] : floorPairs(x, "deadVersionFloor", "snapshot");
  // Re-validates order, the first leaf and the floors.
  const clockFloorMs = optionalCount(x, "clockFloorMs", "snapshot");
  const base: Manifest = {
    formatVersion: 3,
    checkpointLsn,
    nextFileNumber,
    leaves: [],
    deadVersionFloor: [],
    legacyLsn,
  };
  return applyEdit(base, {
    checkpointLsn,
    nextFileNumber,
    remove: [],
    add: leaves,
    deadVersionFloor,
    clockFloorMs,
  });
}

function checkEdit(e: unknown): ManifestEdit {
  const x = fieldsOf(e, "edit");
  const edit: ManifestEdit = {
    checkpointLsn: safeInteger(x, "checkpointLsn", "edit"),
    nextFileNumber: safeInteger(x, "nextFileNumber", "edit"),
    remove: strings(x, "remove", "edit"),
    add: checkLeaves(x, "add", "edit"),
    clockFloorMs: optionalCount(x, "clockFloorMs", "edit"),
  };
  const floor = floorPairs(x, "deadVersionFloor", "edit");
  return floor.length === 0 ? edit : { ...edit, deadVersionFloor: floor };
}

/** An optional non-negative safe integer field (absent: undefined). */
function optionalCount(x: Record<string, unknown>, name: string, what: string): number | undefined {
  if (x[name] === undefined) return undefined;
  const n = safeInteger(x, name, what);
  if (n < 0) throw new Error(`${what}.${name} is negative`);
  return n;
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
    /** The open MANIFEST; undefined only until `create`'s first rewrite. */
    private file: File | undefined,
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
    const log = new ManifestLog(fs, dir, undefined, 0, manifest, bytesMax);
    await log.rewrite();
    return log;
  }

  /**
   * Applies `edit` durably: appended and fdatasynced (or, past the size bound, the whole state rewritten).
   * @throws on I/O errors; the manifest on disk is then uncertain and the caller must stop writing.
   */
  async append(edit: ManifestEdit): Promise<Manifest> {
    const next = tryApplyEdit(this.state, edit);
    assert(typeof next !== "string", `a published edit fits the manifest: ${String(next)}`);
    assertWritable(next);
    const record = frame({ edit });
    // Paired with the reader: the record as framed is one it accepts.
    assert(recordAt(record, 0)?.length === record.length - RECORD_HEADER_BYTES, "an edit frames as a record");
    // Rewrite past the bound, but only once the log is at least twice a snapshot (amortized: a large
    // snapshot is not rewritten on every edit).
    if (this.size + record.length > Math.max(this.bytesMax, 2 * this.snapshotBytes)) {
      this.state = next;
      await this.rewrite();
      return next;
    }
    mark("manifest.edit");
    const file = this.file;
    assert(file !== undefined, "the log is open");
    await file.write(this.size, record);
    await file.sync();
    this.size += record.length;
    this.bytesWritten += record.length;
    this.state = next;
    return next;
  }

  async close(): Promise<void> {
    await this.file?.close();
  }

  private async rewrite(): Promise<void> {
    mark("manifest.rewrite");
    assertWritable(this.state);
    const data = Buffer.concat([MAGIC, frame({ snapshot: this.state })]);
    // Paired with the reader: the bytes about to be written read back as exactly this state.
    assert(sameManifest(parseManifest(data).manifest, this.state), "a snapshot reads back as written");
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
    const old = this.file;
    this.file = await this.fs.open(joinPath(this.dir, MANIFEST_FILE));
    await old?.close();
    this.size = data.length;
    this.snapshotBytes = data.length;
    this.bytesWritten += data.length;
    this.rewrites++;
    assert(this.size > 0, "a manifest holds a snapshot");
  }
}

/** Asserts every invariant of a state about to be written (a break is a bug in fusedb, never damage). */
function assertWritable(m: Manifest): void {
  const violation = manifestViolation(m);
  assert(violation === undefined, `a written manifest keeps its invariants: ${violation}`);
}

/** Whether two states are equal field by field. */
function sameManifest(a: Manifest, b: Manifest): boolean {
  if (a.checkpointLsn !== b.checkpointLsn) return false;
  if (a.nextFileNumber !== b.nextFileNumber) return false;
  if (a.legacyLsn !== b.legacyLsn) return false;
  if (a.deadVersionFloor.join("/") !== b.deadVersionFloor.join("/")) return false;
  if ((a.clockFloorMs ?? 0) !== (b.clockFloorMs ?? 0)) return false;
  if (a.leaves.length !== b.leaves.length) return false;
  return a.leaves.every((l, i) => {
    const o = b.leaves[i];
    if (o === undefined) return false;
    if (l.low !== o.low) return false;
    if (l.flushedLsn !== o.flushedLsn) return false;
    return l.segments.join("/") === o.segments.join("/");
  });
}
