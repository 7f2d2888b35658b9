/**
 * The manifest names the files that make up the database: the checkpoint LSN, the next file number, and each
 * leaf with its segments. Grammar (docs/segment-format.md, "Manifest"):
 *
 *   manifest := magic[8] "FUSEMAN1" | bodyLength u32 | crc32 u32 | body[bodyLength]   (crc32 over body)
 *   body     := UTF-8 JSON {formatVersion: 1, checkpointLsn, nextFileNumber, leaves: [{low, segments}]}
 *
 * `low` is the leaf's lowest key in hex ("" for the first leaf). It is replaced atomically: written to
 * MANIFEST.tmp, fdatasynced, renamed over MANIFEST, and the directory synced (durability contract point 8).
 */
import { Buffer } from "node:buffer";
import { CorruptionError } from "../errors.js";
import type { FileSystem } from "../io/file-system.js";
import { ioErrorCode, joinPath } from "../io/file-system.js";
import { checksum } from "../util/bytes.js";

export const MANIFEST_FILE = "MANIFEST";
const MAGIC = Buffer.from("FUSEMAN1", "latin1");
const HEADER_BYTES = 8 + 4 + 4; // magic, bodyLength, crc
const BODY_BYTES_MAX = 64 * 1024 * 1024;

/** One leaf: its lowest key (hex) and its segment file names, newest first. */
export interface LeafManifest {
  low: string;
  segments: string[];
}

/** The manifest's content. */
export interface Manifest {
  formatVersion: 1;
  /** Every WAL record at or below this LSN is reflected in the segments. */
  checkpointLsn: number;
  /** Next number for a new segment file. */
  nextFileNumber: number;
  leaves: LeafManifest[];
}

/** The manifest of a new, empty database. */
export function emptyManifest(): Manifest {
  return { formatVersion: 1, checkpointLsn: 0, nextFileNumber: 1, leaves: [{ low: "", segments: [] }] };
}

/**
 * Reads MANIFEST from `dir`; undefined if there is none.
 * @throws CorruptionError on a damaged manifest.
 */
export async function readManifest(fs: FileSystem, dir: string): Promise<Manifest | undefined> {
  let file: Awaited<ReturnType<FileSystem["open"]>>;
  try {
    file = await fs.open(joinPath(dir, MANIFEST_FILE));
  } catch (err) {
    if (ioErrorCode(err) === "ENOENT") return undefined;
    throw err;
  }
  try {
    const size = await file.size();
    if (size < HEADER_BYTES || size > HEADER_BYTES + BODY_BYTES_MAX) {
      throw new CorruptionError(MANIFEST_FILE, 0, `manifest of ${size} bytes`);
    }
    const data = Buffer.from(await file.read(0, size));
    if (!data.subarray(0, 8).equals(MAGIC)) throw new CorruptionError(MANIFEST_FILE, 0, "bad magic");
    const length = data.readUInt32LE(8);
    if (length !== size - HEADER_BYTES) throw new CorruptionError(MANIFEST_FILE, 8, "length mismatch");
    const body = data.subarray(HEADER_BYTES);
    if (checksum(body) !== data.readUInt32LE(12))
      throw new CorruptionError(MANIFEST_FILE, 12, "checksum mismatch");
    return parseBody(body.toString("utf8"));
  } finally {
    await file.close();
  }
}

function parseBody(text: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new CorruptionError(MANIFEST_FILE, HEADER_BYTES, "body is not JSON");
  }
  const ok =
    typeof m === "object" &&
    m !== null &&
    (m as Manifest).formatVersion === 1 &&
    Number.isSafeInteger((m as Manifest).checkpointLsn) &&
    Number.isSafeInteger((m as Manifest).nextFileNumber) &&
    Array.isArray((m as Manifest).leaves) &&
    (m as Manifest).leaves.every(
      (l) =>
        typeof l.low === "string" &&
        Array.isArray(l.segments) &&
        l.segments.every((s) => typeof s === "string"),
    );
  if (!ok) throw new CorruptionError(MANIFEST_FILE, HEADER_BYTES, "body has the wrong shape");
  return m as Manifest;
}

/** Atomically and durably replaces MANIFEST in `dir` with `manifest`. */
export async function writeManifest(fs: FileSystem, dir: string, manifest: Manifest): Promise<void> {
  const body = Buffer.from(JSON.stringify(manifest), "utf8");
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(body.length, 8);
  header.writeUInt32LE(checksum(body), 12);
  const tmp = joinPath(dir, `${MANIFEST_FILE}.tmp`);
  const file = await fs.open(tmp, { create: true });
  try {
    await file.truncate(0);
    await file.write(0, Buffer.concat([header, body]));
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, joinPath(dir, MANIFEST_FILE));
  await fs.syncDir(dir);
}
