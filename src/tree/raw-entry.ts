/**
 * Entries as background jobs move them: a key, its few fields, and its segment encoding (src/doc/entry-codec.ts,
 * LSN included) as bytes. A merge or split copies those bytes from the input blocks into the output blocks
 * unchanged, so a document is never parsed or re-serialized by background work (issue 13, point 3); only an
 * entry that changes (an expired document becoming a tombstone) is encoded anew. Frozen buffers, which hold
 * decoded entries, are encoded once on their way in.
 *
 * Idea: LevelDB's compaction copies each surviving entry's encoded key and value as they are.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { ENTRY_TOMBSTONE, type EntryHeader, encodeEntry, skimEntry } from "../doc/entry-codec.js";
import type { KeyString } from "../doc/key.js";
import { ByteReader, ByteWriter } from "../util/bytes.js";

/** One entry of a job's input or output: its fields, and its encoding as a segment stores it. */
export interface RawEntry {
  readonly key: KeyString;
  /** The whole entry as encoded in a segment's data block (kind through value): `data[start..end)`. */
  readonly data: Buffer;
  readonly start: number;
  readonly end: number;
  readonly version: number;
  readonly lsn: number;
  /** A tombstone (kind 2): no document. */
  readonly tombstone: boolean;
  /** The document's absolute expiry (Clock ms), if it has one. */
  readonly expiresAtMs: number | undefined;
}

/** A raw entry from the fields {@link skimEntry} read and the bytes they came from. */
export function rawFromHeader(h: EntryHeader, data: Buffer, start: number, end: number): RawEntry {
  return {
    key: h.key,
    data,
    start,
    end,
    version: h.version,
    lsn: h.lsn,
    tombstone: h.kind === ENTRY_TOMBSTONE,
    expiresAtMs: h.expiresAtMs,
  };
}

/**
 * Appends the entries of a segment data block's `payload` to `out`, checking what a point read's block
 * parse checks (known kinds, fields inside the block, keys ascending, not empty, `firstKey` as indexed) and
 * that its first key is above `prev`, the previous block's last key. Returns its last key.
 * @throws Error on damage; the segment reader reports it as a CorruptionError naming file and offset.
 */
export function appendRawBlock(
  payload: Uint8Array,
  firstKey: KeyString,
  prev: KeyString | undefined,
  out: RawEntry[],
): KeyString {
  const r = new ByteReader(payload);
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let last = prev;
  let count = 0;
  // Bounded: each iteration consumes at least ENTRY_BYTES_MIN + ENTRY_LSN_BYTES = 19 bytes (entry-codec.ts).
  while (r.remaining > 0) {
    const start = r.pos;
    const h = skimEntry(r);
    if (last !== undefined && !(last < h.key)) throw new Error("keys out of order");
    if (count === 0 && h.key !== firstKey) throw new Error("block first key ≠ index");
    out.push(rawFromHeader(h, data, start, r.pos));
    last = h.key;
    count++;
  }
  if (last === undefined || count === 0) throw new Error("empty block");
  return last;
}

/**
 * Encodes decoded `pairs` (a frozen buffer's, ascending) as raw entries, in one buffer. Bounded by the
 * pairs.
 */
export function rawFromPairs(pairs: readonly (readonly [KeyString, Entry])[]): RawEntry[] {
  const w = new ByteWriter(4096);
  const ends: number[] = [];
  for (const [key, entry] of pairs) {
    encodeEntry(w, key, entry, true);
    ends.push(w.length);
  }
  const all = w.finish();
  const out: RawEntry[] = [];
  let start = 0;
  pairs.forEach(([key, entry], i) => {
    const end = ends[i] ?? start;
    out.push({
      key,
      data: all,
      start,
      end,
      version: entry.version,
      lsn: entry.lsn,
      tombstone: entry.text === undefined,
      expiresAtMs: entry.text === undefined ? undefined : entry.expiresAtMs,
    });
    start = end;
  });
  return out;
}

/**
 * What a merge, split or merge-back writes for `raw` given the expiry horizon (Clock ms): the entry as it
 * is; for a document expired at `horizonMs`, a tombstone of the same version and LSN (docs/segment-format.md,
 * "Background removal of expired keys"); undefined — nothing — for a tombstone (after that conversion)
 * above `legacyLsn`: the job's content holds every version of its keys older than the active buffers, and
 * the dead-version floor keeps versions growing without it (docs/versions.md). Tombstones at or below
 * `legacyLsn` (written before the floor existed) are kept.
 */
export function outputEntry(raw: RawEntry, horizonMs: number, legacyLsn: number): RawEntry | undefined {
  const expired = !raw.tombstone && raw.expiresAtMs !== undefined && horizonMs >= raw.expiresAtMs;
  const dead = raw.tombstone || expired;
  if (dead && raw.lsn > legacyLsn) return undefined;
  return expired ? rawTombstone(raw) : raw;
}

/** The tombstone of `raw`'s key with its version and LSN, encoded. */
function rawTombstone(raw: RawEntry): RawEntry {
  const tombstone: Entry = { version: raw.version, value: undefined, text: undefined, lsn: raw.lsn };
  const w = new ByteWriter(32 + raw.key.length);
  encodeEntry(w, raw.key, tombstone, true);
  const data = w.finish();
  return { ...raw, data, start: 0, end: data.length, tombstone: true, expiresAtMs: undefined };
}
