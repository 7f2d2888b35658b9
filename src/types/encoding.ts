/**
 * The tree keys and values of the Redis data types (docs/key-encoding.md gives the grammar).
 *
 * A key of a data type has one metadata entry under its own tree key (a typed entry: src/doc/entry.ts
 * `type`), and one internal entry per element under a subkey in the reserved range (src/doc/key.ts):
 *
 *   subkey     := 0x00 0x00 | keyLength u16 | key | generation u64 | tag u8 | sub
 *   tag        := 'h' (hash field) | 's' (set member) | 'l' (list element)
 *               | 'z' (sorted-set member → score) | 'y' (sorted-set score index)
 *   sub        := field | member | position u64 | member | score u64 member
 *
 * `key` is the key's tree key; integers are big-endian, so a key's elements sort together by generation
 * and tag, and within a tag by field, member, position or (score, member). The generation is fixed when
 * the collection is created (from the LSN of the creating record: `lsn * 65536 + n` for its n-th creation),
 * so a new collection under the same key never sees the elements of a deleted one: deleting a collection
 * writes only its metadata, and background merges drop elements of dead generations.
 *
 * Idea: Kvrocks's metadata + subkey column families on RocksDB (version-prefixed subkeys, lazy deletion by
 * a compaction filter), and its sortable double encoding of scores.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../doc/key.js";
import { INTERNAL_KEY_PREFIX, KEY_BYTES_LIMIT } from "../doc/key.js";
import { DataTypeError, InvalidArgumentError } from "../errors.js";

/** The element tags. */
export const TAG = { hash: "h", set: "s", list: "l", zsetMember: "z", zsetScore: "y", index: "x" } as const;
export type Tag = (typeof TAG)[keyof typeof TAG];

/** Bytes a subkey adds around the key and the sub: prefix, key length, generation, tag. */
const SUBKEY_OVERHEAD = 2 + 2 + 8 + 1;

/** Creations of collections one record may hold (the low 16 bits of a generation). */
export const CREATIONS_PER_RECORD_MAX = 0x10000;

/** Largest sub (field, member) a subkey of `key` can hold within the key format's limit. */
export function subBytesMax(key: KeyString): number {
  return KEY_BYTES_LIMIT - SUBKEY_OVERHEAD - key.length - 8;
}

/** 8 bytes big-endian of a non-negative safe integer, as a binary string. */
export function u64String(n: number): string {
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  return String.fromCharCode(
    (hi >>> 24) & 0xff,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    (lo >>> 24) & 0xff,
    (lo >>> 16) & 0xff,
    (lo >>> 8) & 0xff,
    lo & 0xff,
  );
}

/** The integer {@link u64String} wrote, from `s` at `at`. */
export function readU64String(s: string, at: number): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 4; i++) hi = hi * 256 + s.charCodeAt(at + i);
  for (let i = 4; i < 8; i++) lo = lo * 256 + s.charCodeAt(at + i);
  return hi * 0x1_0000_0000 + lo;
}

/** The prefix every element of `key`'s collection of generation `gen` with `tag` shares. */
export function elementPrefix(key: KeyString, gen: number, tag: Tag): KeyString {
  return `${INTERNAL_KEY_PREFIX}${String.fromCharCode(key.length >>> 8, key.length & 0xff)}${key}${u64String(gen)}${tag}`;
}

/** The first key past every key that starts with `prefix` (prefix + 0xff... never reached: next prefix). */
export function prefixEnd(prefix: KeyString): KeyString {
  // The tag is the prefix's last char and below 0xff, so bumping it bounds exactly the prefix's keys.
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The subkey of one element under `prefix` (from {@link elementPrefix}).
 * @throws InvalidArgumentError FUSEDB_KEY_TOO_LARGE when key and sub together exceed the key format.
 */
export function subkey(prefix: KeyString, sub: string): KeyString {
  if (prefix.length + sub.length > KEY_BYTES_LIMIT) {
    throw new InvalidArgumentError(
      "FUSEDB_KEY_TOO_LARGE",
      `element of ${sub.length} bytes is too large for a key of ${prefix.length - SUBKEY_OVERHEAD} bytes`,
    );
  }
  return prefix + sub;
}

/** The key, generation and sub of an internal subkey; undefined if it is not one (or is damaged). */
export function parseSubkey(
  k: KeyString,
): { key: KeyString; gen: number; tag: string; sub: string } | undefined {
  if (k.length < SUBKEY_OVERHEAD || k.charCodeAt(0) !== 0 || k.charCodeAt(1) !== 0) return undefined;
  const n = k.charCodeAt(2) * 256 + k.charCodeAt(3);
  if (k.length < SUBKEY_OVERHEAD + n) return undefined;
  const key = k.slice(4, 4 + n);
  const gen = readU64String(k, 4 + n);
  return { key, gen, tag: k.charAt(12 + n), sub: k.slice(13 + n) };
}

/** A list position (a safe integer, possibly negative) as 8 sortable bytes. */
export function positionString(pos: number): string {
  return u64String(pos + 2 ** 52);
}

/** The position {@link positionString} wrote. */
export function readPosition(s: string, at = 0): number {
  return readU64String(s, at) - 2 ** 52;
}

/**
 * A score (a double, not NaN) as 8 bytes that sort as the numbers do: -inf first, +inf last, -0 as 0.
 * Idea: the order-preserving IEEE 754 transform (flip the sign bit of positives, every bit of negatives).
 */
export function scoreString(score: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(score === 0 ? 0 : score);
  if ((b[0] as number) & 0x80) for (let i = 0; i < 8; i++) b[i] = ~(b[i] as number) & 0xff;
  else b[0] = (b[0] as number) | 0x80;
  return b.toString("latin1");
}

/** The score {@link scoreString} wrote, from `s` at `at`. */
export function readScore(s: string, at = 0): number {
  const b = Buffer.from(s.slice(at, at + 8), "latin1");
  if ((b[0] as number) & 0x80) b[0] = (b[0] as number) & 0x7f;
  else for (let i = 0; i < 8; i++) b[i] = ~(b[i] as number) & 0xff;
  return b.readDoubleBE();
}

/** A score as its JSON value (JSON has no infinities: they are the strings "inf" and "-inf"). */
export function scoreJson(score: number): number | string {
  if (score === Number.POSITIVE_INFINITY) return "inf";
  if (score === Number.NEGATIVE_INFINITY) return "-inf";
  return score;
}

/** The score {@link scoreJson} wrote. */
export function scoreFromJson(v: unknown): number {
  if (v === "inf") return Number.POSITIVE_INFINITY;
  if (v === "-inf") return Number.NEGATIVE_INFINITY;
  return v as number;
}

/** Bytes (a caller's string as UTF-8, or a Uint8Array) as a binary string (one char per byte). */
export function binaryOf(v: string | Uint8Array): string {
  if (typeof v === "string") {
    // ASCII is its own binary string; anything else goes through UTF-8.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a byte range
    if (/^[\x00-\x7f]*$/.test(v)) return v;
    return Buffer.from(v, "utf8").toString("latin1");
  }
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1");
}

/** A binary string's bytes. */
export function bytesOf(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** @throws DataTypeError when a generation counter would overflow within one record. */
export function generationOf(lsn: number, n: number): number {
  if (n >= CREATIONS_PER_RECORD_MAX) {
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR too many collections created in one call");
  }
  return lsn * CREATIONS_PER_RECORD_MAX + n;
}
