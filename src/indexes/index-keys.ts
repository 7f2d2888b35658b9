/**
 * The tree keys of secondary indexes (docs/indexes.md gives the grammar):
 *
 *   catalog-key := 0x00 0x00 0xff 'i' name                 value: the index definition (JSON, below)
 *   entry-key   := subkey(catalog-key, generation, 'x', encoded-value docKey)   value: null
 *   encoded     := 0x01 (null) | 0x02 (false) | 0x03 (true)
 *                | 0x04 score:u64                            a number, order-preserving (src/types/encoding.ts)
 *                | 0x05 escaped-utf8 0x00 0x01               a string: 0x00 inside it written 0x00 0xff
 *
 * So index entries sort by (value, document key) in one total order: null < false < true < numbers (as
 * numbers) < strings (by UTF-8 bytes, i.e. code points), and an encoded value is self-delimiting: the
 * document's tree key is what follows it. A catalog key never parses as an element subkey (its length field
 * would be 0xff69 and more, longer than the key itself), so background merges and tools tell them apart; an
 * index is a hidden collection whose metadata is its catalog entry, and dropping it is a generation change
 * (src/types/dead-elements.ts drops the dead generation's entries during merges).
 *
 * Idea: the tuple layer's order-preserving encodings (FoundationDB), index-as-collection (Kvrocks' subkeys).
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { INTERNAL_KEY_PREFIX, type KeyString } from "../doc/key.js";
import { elementPrefix, parseSubkey, scoreString, TAG } from "../types/encoding.js";

/** The element tag of index entries. */
export const INDEX_TAG = TAG.index;
/** Every catalog key starts with this (0x00 0x00 0xff 'i'). */
export const CATALOG_PREFIX: KeyString = `${INTERNAL_KEY_PREFIX}\xffi`;
/** The first key past every catalog key. */
export const CATALOG_END: KeyString = `${INTERNAL_KEY_PREFIX}\xffj`;
/** Longest index name in bytes (so a catalog key stays far from any subkey's length field). */
export const INDEX_NAME_BYTES_MAX = 200;

/** A scalar an index orders: what `eq`, `gte`, ... take. */
export type IndexValue = null | boolean | number | string;

const TYPE_NULL = 1;
const TYPE_FALSE = 2;
const TYPE_TRUE = 3;
const TYPE_NUMBER = 4;
const TYPE_STRING = 5;
/** Bytes of an encoded number: type byte + 8 score bytes. */
const NUMBER_BYTES = 1 + 8;
/** The string terminator; an escaped 0x00 is 0x00 0xff, so the terminator sorts below every continuation. */
const STRING_END = "\x00\x01";

/** The catalog key of index `name` (a binary string of its UTF-8 bytes). */
export function catalogKey(name: string): KeyString {
  return CATALOG_PREFIX + Buffer.from(name, "utf8").toString("latin1");
}

/** Whether `k` is a catalog key (and not an element subkey that happens to share the first bytes). */
export function isCatalogKey(k: KeyString): boolean {
  return k.startsWith(CATALOG_PREFIX) && parseSubkey(k) === undefined;
}

/** The prefix every entry of the index of catalog key `ck` and generation `gen` shares. */
export function entryPrefix(ck: KeyString, gen: number): KeyString {
  return elementPrefix(ck, gen, INDEX_TAG);
}

/** Whether `v` is a scalar an index orders (finite numbers only). */
export function isIndexValue(v: unknown): v is IndexValue {
  if (v === null || typeof v === "boolean" || typeof v === "string") return true;
  return typeof v === "number" && Number.isFinite(v);
}

/** A string's UTF-8 bytes with 0x00 escaped, without the terminator (an exclusive prefix of its encodings). */
function stringBody(s: string): string {
  return (
    String.fromCharCode(TYPE_STRING) +
    Buffer.from(s, "utf8").toString("latin1").replaceAll("\x00", "\x00\xff")
  );
}

/** The order-preserving, self-delimiting encoding of a scalar (see the module comment). */
export function encodeIndexValue(v: IndexValue): string {
  if (v === null) return String.fromCharCode(TYPE_NULL);
  if (v === false) return String.fromCharCode(TYPE_FALSE);
  if (v === true) return String.fromCharCode(TYPE_TRUE);
  if (typeof v === "number") return String.fromCharCode(TYPE_NUMBER) + scoreString(v);
  return stringBody(v) + STRING_END;
}

/** The encoding of every string value starting with `s` starts with this (a `prefix` query). */
export function encodeStringPrefix(s: string): string {
  return stringBody(s);
}

/** Length of the encoded value at `at` in `k`; undefined if damaged. */
export function encodedLength(k: string, at: number): number | undefined {
  const t = k.charCodeAt(at);
  if (t === TYPE_NULL || t === TYPE_FALSE || t === TYPE_TRUE) return 1;
  if (t === TYPE_NUMBER) return at + NUMBER_BYTES <= k.length ? NUMBER_BYTES : undefined;
  if (t !== TYPE_STRING) return undefined;
  // Bounded by the key's length: each step moves past one byte or one escape pair.
  for (let i = at + 1; i + 1 < k.length; i++) {
    if (k.charCodeAt(i) !== 0) continue;
    if (k.charCodeAt(i + 1) === 1) return i + 2 - at;
    i++; // 0x00 0xff: an escaped 0x00
  }
  return undefined;
}

/** The first key past every key that starts with `p` (`p` non-empty, not all 0xff); undefined if none. */
export function successor(p: string): string | undefined {
  let i = p.length - 1;
  while (i >= 0 && p.charCodeAt(i) === 0xff) i--;
  if (i < 0) return undefined;
  return p.slice(0, i) + String.fromCharCode(p.charCodeAt(i) + 1);
}

/** The segments of a dot path (`a.b.0`): non-empty field names; an integer segment also indexes an array. */
export function pathSegments(path: string): string[] | undefined {
  if (path.length === 0 || path.length > 1024) return undefined;
  const parts = path.split(".");
  return parts.every((p) => p.length > 0) ? parts : undefined;
}

/** The value at `segments` inside `doc`, or undefined. */
function at(doc: Json, segments: readonly string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const s of segments) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(s)) return undefined;
      cur = cur[Number(s)];
    } else cur = Object.hasOwn(cur, s) ? cur[s] : undefined;
  }
  return cur;
}

/**
 * The encoded values a stored entry contributes to an index on `segments`: none for a tombstone, a data
 * type's metadata or a missing field or an object; one for a scalar; one per distinct scalar element of an
 * array (multikey; nested arrays and objects in it are skipped). Expiry is not looked at (the caller does).
 */
export function indexedValues(entry: Entry | undefined, segments: readonly string[]): Set<string> {
  const out = new Set<string>();
  if (entry === undefined || entry.value === undefined || entry.type !== undefined) return out;
  const v = at(entry.value, segments);
  if (Array.isArray(v)) {
    for (const e of v) if (isIndexValue(e)) out.add(encodeIndexValue(e));
  } else if (isIndexValue(v)) out.add(encodeIndexValue(v));
  return out;
}
