/**
 * The SQL catalog: each table's and view's definition as one JSON entry under its catalog key
 * (src/sql/keys.ts), read and written inside the statement's transaction, so DDL is transactional and a
 * statement sees one consistent catalog. Rows are JSON arrays of stored values, one per column, in column
 * order; a value's stored form depends on its column's type (see {@link storeValue}).
 */

import { SqlError } from "../errors.js";
import type { Transaction } from "../tx/transaction.js";
import { Decimal } from "./decimal.js";
import { CATALOG_END, CATALOG_START, catalogKey, NEXT_TABLE_ID_KEY } from "./keys.js";
import { SqlJson, type SqlType, type SqlValue, type TypeMod } from "./values.js";

/** A parser expression kept in the catalog (node-sql-parser's AST is plain JSON). */
export type StoredExpr = unknown;

/** One column of a table. */
export interface ColumnDef {
  name: string;
  type: SqlType;
  mod: TypeMod;
  notNull: boolean;
  /** The DEFAULT expression, if any. */
  default?: StoredExpr;
}

/** A UNIQUE constraint (the primary key is one too, `primary: true`). */
export interface UniqueDef {
  name: string;
  /** Its id in unique-entry keys (src/sql/keys.ts). */
  cid: number;
  columns: number[];
  primary: boolean;
}

/** A CHECK constraint. */
export interface CheckDef {
  name: string;
  expr: StoredExpr;
}

/** A FOREIGN KEY: `columns` of this table reference `refColumns` of `refTable`. */
export interface ForeignKeyDef {
  name: string;
  columns: number[];
  refTable: string;
  refColumns: number[];
  onDelete: "NO ACTION" | "CASCADE" | "SET NULL" | "RESTRICT";
  onUpdate: "NO ACTION" | "CASCADE" | "SET NULL" | "RESTRICT";
}

/** An index made by CREATE INDEX. */
export interface IndexDef {
  name: string;
  iid: number;
  columns: number[];
}

/** A table's definition, as stored. */
export interface TableDef {
  kind: "table";
  id: number;
  /** Qualified name, lower case: `public.t`. */
  name: string;
  columns: ColumnDef[];
  /** Column positions of the primary key, or null (rows keyed by a hidden row id). */
  primaryKey: number[] | null;
  uniques: UniqueDef[];
  checks: CheckDef[];
  foreignKeys: ForeignKeyDef[];
  indexes: IndexDef[];
  /** The next free constraint or index id. */
  nextCid: number;
}

/** A view's definition: its query's AST and column names. */
export interface ViewDef {
  kind: "view";
  name: string;
  query: StoredExpr;
  columns: string[];
}

export type RelationDef = TableDef | ViewDef;

/** `schema.name` of a parser table reference (`db` is the schema), lower-cased as unquoted names are. */
export function qualifiedName(schema: string | null | undefined, name: string): string {
  return `${(schema ?? "public").toLowerCase()}.${name.toLowerCase()}`;
}

/** The relation named `name`, or undefined. */
export async function readRelation(tx: Transaction, name: string): Promise<RelationDef | undefined> {
  const v = await tx.rawGet(catalogKey(name));
  // the engine's values are frozen; callers edit definitions before writing them back
  return v === undefined ? undefined : (structuredClone(v) as unknown as RelationDef);
}

/** The table named `name`. @throws SqlError 42P01 if there is none (or it is a view: 42809). */
export async function readTable(tx: Transaction, name: string): Promise<TableDef> {
  const r = await readRelation(tx, name);
  if (r === undefined)
    throw new SqlError("42P01", `relation "${name.replace(/^public\./, "")}" does not exist`);
  if (r.kind !== "table") throw new SqlError("42809", `"${name}" is not a table`);
  return r;
}

/** Writes (or, with undefined, deletes) a relation's definition. */
export async function writeRelation(
  tx: Transaction,
  name: string,
  def: RelationDef | undefined,
): Promise<void> {
  await tx.rawWrite(catalogKey(name), def as unknown as import("../doc/json.js").Json | undefined);
}

/** Every relation, in name order (bounded by the catalog's size: one entry per table or view). */
export async function listRelations(tx: Transaction): Promise<RelationDef[]> {
  const out: RelationDef[] = [];
  let gt: string | undefined;
  for (;;) {
    const page = await tx.rawScan(
      gt === undefined ? { gte: CATALOG_START, lt: CATALOG_END } : { gt, lt: CATALOG_END },
      256,
    );
    for (const [, v] of page) out.push(structuredClone(v) as unknown as RelationDef);
    if (page.length < 256) return out;
    gt = (page[page.length - 1] as [string, unknown])[0];
  }
}

/** A new table id (a counter in the catalog). */
export async function newTableId(tx: Transaction): Promise<number> {
  const n = ((await tx.rawGet(NEXT_TABLE_ID_KEY)) as number | undefined) ?? 1;
  await tx.rawWrite(NEXT_TABLE_ID_KEY, n + 1);
  return n;
}

/** A column value's stored JSON form: bigint and numeric as decimal text, bytea as hex, NaN/±Inf as text. */
export function storeValue(v: SqlValue): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0) ? v : String(v);
  if (typeof v === "bigint" || v instanceof Decimal) return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (v instanceof SqlJson) return { j: v.v };
  return v.map(storeValue);
}

/** The inverse of {@link storeValue} for a column of type `type`. */
export function loadValue(s: unknown, type: SqlType): SqlValue {
  if (s === null) return null;
  if (type.endsWith("[]")) return (s as unknown[]).map((x) => loadValue(x, type.slice(0, -2)));
  switch (type) {
    case "bigint":
      return BigInt(s as string);
    case "numeric":
      return Decimal.parse(s as string);
    case "real":
    case "double precision":
    case "integer":
    case "smallint":
      return typeof s === "number" ? s : s === "-0" ? -0 : Number(s);
    case "bytea":
      return Uint8Array.from(Buffer.from(s as string, "hex"));
    case "json":
    case "jsonb":
      return new SqlJson((s as { j: unknown }).j);
    default:
      return s as SqlValue;
  }
}
