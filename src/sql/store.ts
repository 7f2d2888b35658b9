/**
 * Rows of a table in the leaf tree (docs/sql.md): one entry per row under `rowPrefix(id) + key`, where key
 * is the primary key's tuple (or, without one, a hidden row id's), holding the JSON array of stored column
 * values; one entry per UNIQUE constraint and per CREATE INDEX index, kept in the same transaction, so
 * a statement's rows and their entries are one WAL record, all or nothing.
 */

import type { Json } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import { SqlError } from "../errors.js";
import type { KeyRange } from "../tree/key-range.js";
import type { Transaction } from "../tx/transaction.js";
import { loadValue, storeValue, type TableDef, type UniqueDef } from "./catalog.js";
import { encodeTuple, indexPrefix, prefixEnd, rowIdKey, rowPrefix, uniquePrefix } from "./keys.js";
import type { SqlValue } from "./values.js";

/** A row as read: its tree key and its values in column order. */
export interface StoredRow {
  key: KeyString;
  values: SqlValue[];
}

/** Rows per page of a table scan (bounds memory: a scan holds one page at a time). */
const PAGE_ROWS = 512;

/** Decodes a stored row of `t`. */
export function loadRow(t: TableDef, stored: unknown): SqlValue[] {
  const arr = stored as unknown[];
  return t.columns.map((c, i) => loadValue(arr[i] ?? null, c.type));
}

/**
 * Streams the rows of `t` in row-key order (primary key order for integer and text keys), optionally only
 * those whose key lies in `range` (bounds relative to the table's row prefix are given as full keys).
 */
export async function* scanTable(
  tx: Transaction,
  t: TableDef,
  range?: KeyRange,
  reverse = false,
): AsyncGenerator<StoredRow> {
  const prefix = rowPrefix(t.id);
  let r: KeyRange = range ?? { gte: prefix, lt: prefixEnd(prefix) };
  for (;;) {
    const page = await tx.rawScan(r, PAGE_ROWS, reverse);
    for (const [key, v] of page) yield { key, values: loadRow(t, v) };
    const last = page[page.length - 1];
    if (page.length < PAGE_ROWS || last === undefined) return;
    r = reverse ? { ...lower(r), lt: last[0] } : { ...upper(r), gt: last[0] };
  }
}

function lower(r: KeyRange): KeyRange {
  return r.gt !== undefined ? { gt: r.gt } : r.gte !== undefined ? { gte: r.gte } : {};
}

function upper(r: KeyRange): KeyRange {
  return r.lt !== undefined ? { lt: r.lt } : r.lte !== undefined ? { lte: r.lte } : {};
}

/** The row key of a row with primary-key values `pk`. */
export function pkRowKey(t: TableDef, pk: readonly SqlValue[]): KeyString {
  return rowPrefix(t.id) + encodeTuple(pk);
}

/** The row of `t` under `key`, or undefined. */
export async function readRow(tx: Transaction, t: TableDef, key: KeyString): Promise<SqlValue[] | undefined> {
  const v = await tx.rawGet(key);
  return v === undefined ? undefined : loadRow(t, v);
}

function constraintError(t: TableDef, u: UniqueDef, values: readonly SqlValue[]): SqlError {
  const cols = u.columns.map((c) => t.columns[c]?.name).join(", ");
  const vals = u.columns.map((c) => String(values[c])).join(", ");
  const e = new SqlError("23505", `duplicate key value violates unique constraint "${u.name}"`);
  (e as SqlError & { detail?: string }).detail = `Key (${cols})=(${vals}) already exists.`;
  return e;
}

/** The unique entry key of `values` under constraint `u`, or undefined when a value is NULL (no entry). */
function uniqueKey(t: TableDef, u: UniqueDef, values: readonly SqlValue[]): KeyString | undefined {
  const vs = u.columns.map((c) => values[c] as SqlValue);
  if (vs.some((v) => v === null)) return undefined;
  return uniquePrefix(t.id, u.cid) + encodeTuple(vs);
}

function indexKeys(t: TableDef, values: readonly SqlValue[], rowKey: KeyString): KeyString[] {
  const suffix = rowKey.slice(rowPrefix(t.id).length);
  return t.indexes.map(
    (ix) => indexPrefix(t.id, ix.iid) + encodeTuple(ix.columns.map((c) => values[c] as SqlValue)) + suffix,
  );
}

/** The key a new row of `t` with `values` goes under (a new hidden row id if `t` has no primary key). */
export async function newRowKey(
  tx: Transaction,
  t: TableDef,
  values: readonly SqlValue[],
): Promise<KeyString> {
  if (t.primaryKey !== null)
    return pkRowKey(
      t,
      t.primaryKey.map((c) => values[c] as SqlValue),
    );
  const n = ((await tx.rawGet(rowIdKey(t.id))) as number | undefined) ?? 1;
  await tx.rawWrite(rowIdKey(t.id), n + 1);
  return rowPrefix(t.id) + encodeTuple([n]);
}

/**
 * Writes a new row. @throws SqlError 23505 if its primary key or a unique constraint's values are taken.
 */
export async function insertRow(
  tx: Transaction,
  t: TableDef,
  values: readonly SqlValue[],
): Promise<KeyString> {
  const key = await newRowKey(tx, t, values);
  const pk = t.uniques.find((u) => u.primary);
  if (pk !== undefined && (await tx.rawGet(key)) !== undefined) throw constraintError(t, pk, values);
  await writeEntries(tx, t, key, values, undefined);
  await tx.rawWrite(key, values.map(storeValue) as Json);
  return key;
}

/** Deletes the row under `key` (holding `values`) and its unique and index entries. */
export async function deleteRow(
  tx: Transaction,
  t: TableDef,
  key: KeyString,
  values: readonly SqlValue[],
): Promise<void> {
  for (const u of t.uniques) {
    if (u.primary) continue;
    const k = uniqueKey(t, u, values);
    if (k !== undefined && (await tx.rawGet(k)) === key) await tx.rawWrite(k, undefined);
  }
  for (const k of indexKeys(t, values, key)) await tx.rawWrite(k, undefined);
  await tx.rawWrite(key, undefined);
}

/**
 * Replaces the row under `key` (holding `old`) by `values`, moving it if its primary key changed.
 * Resolves with its key. @throws SqlError 23505 as {@link insertRow}.
 */
export async function updateRow(
  tx: Transaction,
  t: TableDef,
  key: KeyString,
  old: readonly SqlValue[],
  values: readonly SqlValue[],
): Promise<KeyString> {
  const newKey =
    t.primaryKey === null
      ? key
      : pkRowKey(
          t,
          t.primaryKey.map((c) => values[c] as SqlValue),
        );
  if (newKey !== key) {
    await deleteRow(tx, t, key, old);
    return insertRow(tx, t, values);
  }
  await writeEntries(tx, t, key, values, old);
  await tx.rawWrite(key, values.map(storeValue) as Json);
  return key;
}

async function writeEntries(
  tx: Transaction,
  t: TableDef,
  key: KeyString,
  values: readonly SqlValue[],
  old: readonly SqlValue[] | undefined,
): Promise<void> {
  for (const u of t.uniques) {
    if (u.primary) continue;
    const k = uniqueKey(t, u, values);
    const was = old === undefined ? undefined : uniqueKey(t, u, old);
    if (k === was) continue;
    if (k !== undefined) {
      const holder = await tx.rawGet(k);
      if (holder !== undefined && holder !== key) throw constraintError(t, u, values);
    }
    if (was !== undefined && (await tx.rawGet(was)) === key) await tx.rawWrite(was, undefined);
    if (k !== undefined) await tx.rawWrite(k, key);
  }
  const before = old === undefined ? [] : indexKeys(t, old, key);
  const after = indexKeys(t, values, key);
  for (const k of before) if (!after.includes(k)) await tx.rawWrite(k, undefined);
  for (const k of after) if (!before.includes(k)) await tx.rawWrite(k, 0);
}
