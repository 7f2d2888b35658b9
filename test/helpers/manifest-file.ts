/**
 * MANIFEST files encoded here byte by byte from their grammar (docs/segment-format.md, "Manifest"), so the
 * tests do not lean on the writer they test:
 *
 *   manifest := magic[8] "FUSEMAN2" | record+
 *   record   := bodyLength u32 | crc32 u32 | body[bodyLength]          (crc32 over body; little-endian)
 *   body     := UTF-8 JSON, the first {"snapshot": Manifest}, every later {"edit": ManifestEdit}
 */
import { Buffer } from "node:buffer";
import type { Manifest } from "../../src/tree/manifest.js";
import { checksum } from "../../src/util/bytes.js";

/** Bytes of a record's header: bodyLength u32 + crc32 u32. */
const RECORD_HEADER_BYTES = 4 + 4;

/** A MANIFEST file whose records are the JSON of `records`, in order (the first should be a snapshot). */
export function manifestFileBytes(records: readonly object[]): Buffer {
  const parts = [Buffer.from("FUSEMAN2", "latin1")];
  for (const r of records) {
    const body = Buffer.from(JSON.stringify(r), "utf8");
    const header = Buffer.alloc(RECORD_HEADER_BYTES);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(checksum(body), 4);
    parts.push(header, body);
  }
  return Buffer.concat(parts);
}

/**
 * A MANIFEST as the format 2 build (before the dead-version floor and the clock floor, commit 01b6411)
 * wrote it: one snapshot record with `manifest`'s leaves and next file number at `checkpointLsn`.
 */
export function formatTwoManifestFile(manifest: Manifest, checkpointLsn: number): Buffer {
  const snapshot = {
    formatVersion: 2,
    checkpointLsn,
    nextFileNumber: manifest.nextFileNumber,
    leaves: manifest.leaves,
  };
  return manifestFileBytes([{ snapshot }]);
}
