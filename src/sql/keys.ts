/**
 * The SQL layer's keys in the engine's internal range (docs/sql.md has the grammar):
 *
 *   sql-key   := 0x00 0x00 0xff 's' body
 *   body      := 'c' name                         a table's or view's definition (JSON)
 *              | 'n'                              the next table id (JSON number)
 *              | 'q' id:u32                       a table's next hidden row id (JSON number)
 *              | 'r' id:u32 tuple                 a row: JSON array of its stored column values
 *              | 'u' id:u32 cid:u16 tuple         a unique constraint's entry; value: the row's tuple (latin1)
 *              | 'x' id:u32 iid:u16 tuple tuple   an index entry (CREATE INDEX): column values, then the row
 *   tuple     := item*                           order-preserving (memcmp order is the values' order)
 *   item      := 0x01                             null (sorts first)
 *              | 0x02 | 0x03                      false, true
 *              | 0x04 i64                         an integer, sign bit flipped, big-endian
 *              | 0x05 f64                         a float: sign bit set if positive, every bit flipped if not
 *              | 0x06 escaped 0x00 0x01           text (and uuid, dates, normalized numeric text): UTF-8
 *              | 0x07 escaped 0x00 0x01           bytea; inside `escaped` 0x00 is written 0x00 0xff
 *
 * The 0xff after 0x00 0x00 makes every key's "length field" 0xff73 or more, longer than the key, so no SQL
 * key ever parses as a collection element (src/types/encoding.ts) and merges leave them alone; secondary
 * index catalog keys (0x00 0x00 0xff 'i') are a separate range.
 */
import { INTERNAL_KEY_PREFIX, type KeyString } from "../doc/key.js";
import { Decimal } from "./decimal.js";
import { SqlJson, type SqlValue, textOf } from "./values.js";

/** Every SQL key starts with this. */
export const SQL_PREFIX: KeyString = `${INTERNAL_KEY_PREFIX}\xffs`;

/** The catalog key of a relation named `name` (schema-qualified, lower case). */
export function catalogKey(name: string): KeyString {
  return `${SQL_PREFIX}c${Buffer.from(name, "utf8").toString("latin1")}`;
}

export const CATALOG_START: KeyString = `${SQL_PREFIX}c`;
export const CATALOG_END: KeyString = `${SQL_PREFIX}d`;
export const NEXT_TABLE_ID_KEY: KeyString = `${SQL_PREFIX}n`;

function u32(n: number): string {
  return String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function u16(n: number): string {
  return String.fromCharCode((n >>> 8) & 0xff, n & 0xff);
}

/** The key holding table `id`'s next hidden row id. */
export function rowIdKey(id: number): KeyString {
  return `${SQL_PREFIX}q${u32(id)}`;
}

/** The first bytes of every row key of table `id`. */
export function rowPrefix(id: number): KeyString {
  return `${SQL_PREFIX}r${u32(id)}`;
}

/** The first bytes of every entry of unique constraint `cid` of table `id`. */
export function uniquePrefix(id: number, cid: number): KeyString {
  return `${SQL_PREFIX}u${u32(id)}${u16(cid)}`;
}

/** The first bytes of every entry of index `iid` of table `id`. */
export function indexPrefix(id: number, iid: number): KeyString {
  return `${SQL_PREFIX}x${u32(id)}${u16(iid)}`;
}

/** The first key past every key starting with `p` (the prefix's last byte is below 0xff here). */
export function prefixEnd(p: KeyString): KeyString {
  return `${p.slice(0, -1)}${String.fromCharCode(p.charCodeAt(p.length - 1) + 1)}`;
}

function escapeBytes(latin1: string): string {
  return `${latin1.replaceAll("\x00", "\x00\xff")}\x00\x01`;
}

function f64(n: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n === 0 ? 0 : n);
  if ((b[0] as number) & 0x80) for (let i = 0; i < 8; i++) b[i] = ~(b[i] as number) & 0xff;
  else b[0] = (b[0] as number) | 0x80;
  return b.toString("latin1");
}

function i64(n: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  b[0] = (b[0] as number) ^ 0x80;
  return b.toString("latin1");
}

/** One tuple item (see the module comment); numeric goes as its normalized text (equality, not order). */
export function encodeItem(v: SqlValue): string {
  if (v === null) return "\x01";
  if (typeof v === "boolean") return v ? "\x03" : "\x02";
  if (typeof v === "bigint") return `\x04${i64(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `\x04${i64(BigInt(v))}` : `\x05${f64(v)}`;
  if (v instanceof Uint8Array) return `\x07${escapeBytes(Buffer.from(v).toString("latin1"))}`;
  if (v instanceof Decimal) return `\x06${escapeBytes(normalizedNumeric(v))}`;
  if (v instanceof SqlJson)
    return `\x06${escapeBytes(Buffer.from(JSON.stringify(v.v), "utf8").toString("latin1"))}`;
  return `\x06${escapeBytes(Buffer.from(textOf(v), "utf8").toString("latin1"))}`;
}

/** A tuple of values, order-preserving. */
export function encodeTuple(values: readonly SqlValue[]): string {
  let out = "";
  for (const v of values) out += encodeItem(v);
  return out;
}

function normalizedNumeric(d: Decimal): string {
  const s = d.toString();
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}
