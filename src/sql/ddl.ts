/**
 * DDL: CREATE/DROP TABLE, CREATE/DROP VIEW, CREATE SCHEMA, CREATE/DROP INDEX, TRUNCATE. Definitions go to
 * the catalog (src/sql/catalog.ts) inside the statement's transaction; constraint names follow
 * PostgreSQL's defaults (`t_pkey`, `t_a_key`, `t_a_check`, `t_a_fkey`).
 */
import { SqlError } from "../errors.js";
import type { Transaction } from "../tx/transaction.js";
import {
  type ColumnDef,
  type ForeignKeyDef,
  listRelations,
  newTableId,
  qualifiedName,
  readRelation,
  readTable,
  type TableDef,
  writeRelation,
} from "./catalog.js";
import { type AstNode, columnName, ident } from "./expr.js";
import { insertIndexEntries } from "./index-build.js";
import { indexPrefix, prefixEnd, rowIdKey, rowPrefix, SQL_PREFIX, uniquePrefix } from "./keys.js";
import { type TypeMod, typeName } from "./values.js";

/** A column's type and modifier from a parser column definition. */
export function columnType(def: AstNode): { type: string; mod: TypeMod } {
  let type = typeName(String(def.dataType));
  if (def.array !== undefined && def.array !== null && !type.endsWith("[]")) type = `${type}[]`;
  const base = type.replace(/\[\]$/, "");
  const mod: TypeMod = {};
  if (base === "character varying" && typeof def.length === "number") mod.length = def.length;
  if (base === "numeric" && typeof def.length === "number") {
    mod.precision = def.length;
    mod.scale = typeof def.scale === "number" ? def.scale : 0;
  }
  return { type, mod };
}

function colIndex(t: { columns: ColumnDef[] }, ref: AstNode): number {
  const name = ident(typeof ref === "string" ? ref : (ref.value ?? columnName(ref.column)));
  const i = t.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new SqlError("42703", `column "${name}" named in key does not exist`);
  return i;
}

function action(v: unknown): ForeignKeyDef["onDelete"] {
  const s = String(v ?? "no action").toUpperCase();
  if (s === "CASCADE" || s === "SET NULL" || s === "RESTRICT") return s;
  return "NO ACTION";
}

/** Adds a FOREIGN KEY of `t` (columns `cols`) from a parser reference_definition; checks the parent. */
export async function addForeignKey(
  tx: Transaction,
  t: TableDef,
  cols: number[],
  ref: AstNode,
  name?: string,
): Promise<void> {
  const refName = qualifiedName(ref.table?.[0]?.db, ref.table?.[0]?.table);
  const parent = refName === t.name ? t : await readTable(tx, refName);
  const refCols: number[] = ref.definition?.length
    ? ref.definition.map((d: AstNode) => colIndex(parent, d))
    : (parent.primaryKey ?? []);
  const key = parent.uniques.find(
    (u) => u.columns.length === refCols.length && u.columns.every((c, i) => c === refCols[i]),
  );
  if (key === undefined) {
    throw new SqlError(
      "42830",
      `there is no unique constraint matching given keys for referenced table "${parent.name.replace(/^public\./, "")}"`,
    );
  }
  const acts: AstNode[] = ref.on_action ?? [];
  const on = (w: string): ForeignKeyDef["onDelete"] =>
    action(acts.find((a) => String(a.type).toLowerCase() === w)?.value?.value);
  const base = t.name.split(".")[1];
  t.foreignKeys.push({
    name: name ?? `${base}_${cols.map((c) => t.columns[c]?.name).join("_")}_fkey`,
    columns: cols,
    refTable: parent.name,
    refColumns: refCols,
    onDelete: on("on delete"),
    onUpdate: on("on update"),
  });
}

/** CREATE TABLE. */
export async function createTable(tx: Transaction, ast: AstNode): Promise<void> {
  const ref = ast.table[0];
  const name = qualifiedName(ref.db, ref.table);
  if ((await readRelation(tx, name)) !== undefined) {
    if (ast.if_not_exists) return;
    throw new SqlError("42P07", `relation "${ref.table}" already exists`);
  }
  await schemaMustExist(tx, name);
  const base = name.split(".")[1] as string;
  const t: TableDef = {
    kind: "table",
    id: await newTableId(tx),
    name,
    columns: [],
    primaryKey: null,
    uniques: [],
    checks: [],
    foreignKeys: [],
    indexes: [],
    nextCid: 1,
  };
  const defs: AstNode[] = ast.create_definitions ?? [];
  const later: (() => Promise<void>)[] = [];
  const addUnique = (cols: number[], primary: boolean, cname?: string): void => {
    if (primary) {
      if (t.primaryKey !== null)
        throw new SqlError("42P16", `multiple primary keys for table "${base}" are not allowed`);
      t.primaryKey = cols;
      for (const c of cols) (t.columns[c] as ColumnDef).notNull = true;
    }
    const n =
      cname ?? (primary ? `${base}_pkey` : `${base}_${cols.map((c) => t.columns[c]?.name).join("_")}_key`);
    t.uniques.push({ name: n, cid: t.nextCid++, columns: cols, primary });
  };
  for (const d of defs) {
    if (d.resource !== "column") continue;
    const cname = ident(columnName(d.column.column));
    if (t.columns.some((c) => c.name === cname))
      throw new SqlError("42701", `column "${cname}" specified more than once`);
    const { type, mod } = columnType(d.definition);
    const col: ColumnDef = { name: cname, type, mod, notNull: d.nullable?.type === "not null" };
    const dt = String(d.definition.dataType).toUpperCase();
    if (dt === "SERIAL" || dt === "BIGSERIAL") {
      col.default = { type: "serial" };
      col.notNull = true;
    } else if (d.default_val) col.default = d.default_val.value;
    t.columns.push(col);
  }
  for (const d of defs) {
    if (d.resource === "column") {
      const i = t.columns.findIndex((c) => c.name === ident(columnName(d.column.column)));
      if (d.primary_key) addUnique([i], true);
      if (d.unique) addUnique([i], false);
      if (d.check) {
        for (const c of d.check.definition ?? []) {
          t.checks.push({ name: d.check.constraint ?? `${base}_${t.columns[i]?.name}_check`, expr: c });
        }
      }
      if (d.reference_definition) later.push(() => addForeignKey(tx, t, [i], d.reference_definition));
      continue;
    }
    const kind = String(d.constraint_type ?? "").toLowerCase();
    const cols = (): number[] => (d.definition ?? []).map((c: AstNode) => colIndex(t, c));
    if (kind === "primary key") addUnique(cols(), true, d.constraint ?? undefined);
    else if (kind === "unique" || kind === "unique key") addUnique(cols(), false, d.constraint ?? undefined);
    else if (kind === "check") {
      for (const c of d.definition ?? []) t.checks.push({ name: d.constraint ?? `${base}_check`, expr: c });
    } else if (kind === "foreign key") {
      const c = cols();
      later.push(() => addForeignKey(tx, t, c, d.reference_definition, d.constraint ?? undefined));
    } else throw new SqlError("0A000", `unsupported constraint ${kind}`);
  }
  if (t.columns.length === 0) throw new SqlError("0A000", "a table needs at least one column");
  for (const f of later) await f();
  await writeRelation(tx, name, t);
}

async function schemaMustExist(tx: Transaction, name: string): Promise<void> {
  const schema = name.split(".")[0] as string;
  if (schema === "public") return;
  if ((await tx.rawGet(`${SQL_PREFIX}s${Buffer.from(schema, "utf8").toString("latin1")}`)) === undefined) {
    throw new SqlError("3F000", `schema "${schema}" does not exist`);
  }
}

/** CREATE SCHEMA: a marker entry (`0x00 0x00 0xff 's' 's' name`). */
export async function createSchema(tx: Transaction, ast: AstNode): Promise<void> {
  const name = ident(String(ast.schema?.schema?.[0]?.value ?? ast.schema));
  const key = `${SQL_PREFIX}s${Buffer.from(name, "utf8").toString("latin1")}`;
  if (name === "public" || (await tx.rawGet(key)) !== undefined) {
    if (ast.if_not_exists) return;
    throw new SqlError("42P06", `schema "${name}" already exists`);
  }
  await tx.rawWrite(key, true);
}

/** Deletes every key of `[from, to)` (a table's rows or entries). Bounded by the table's size. */
async function deleteRange(tx: Transaction, from: string, to: string): Promise<void> {
  for (;;) {
    const page = await tx.rawScan({ gte: from, lt: to }, 512);
    for (const [k] of page) await tx.rawWrite(k, undefined);
    if (page.length < 512) return;
  }
}

/** Removes every row of `t` with its unique and index entries (DROP TABLE, TRUNCATE). */
export async function clearTable(tx: Transaction, t: TableDef): Promise<void> {
  await deleteRange(tx, rowPrefix(t.id), prefixEnd(rowPrefix(t.id)));
  for (const u of t.uniques)
    if (!u.primary) await deleteRange(tx, uniquePrefix(t.id, u.cid), prefixEnd(uniquePrefix(t.id, u.cid)));
  for (const ix of t.indexes)
    await deleteRange(tx, indexPrefix(t.id, ix.iid), prefixEnd(indexPrefix(t.id, ix.iid)));
}

/** DROP TABLE / DROP VIEW [IF EXISTS] names [CASCADE]. */
export async function dropRelations(tx: Transaction, ast: AstNode, text: string): Promise<void> {
  const cascade = /\bcascade\s*;?\s*$/i.test(text);
  for (const ref of ast.name) {
    const name = qualifiedName(ref.db, ref.table);
    const rel = await readRelation(tx, name);
    if (rel === undefined) {
      if (ast.prefix === "IF EXISTS") continue;
      throw new SqlError("42P01", `${ast.keyword} "${ref.table}" does not exist`);
    }
    if (rel.kind !== (ast.keyword === "view" ? "view" : "table")) {
      throw new SqlError("42809", `"${ref.table}" is not a ${ast.keyword}`);
    }
    if (rel.kind === "table") {
      for (const other of await listRelations(tx)) {
        if (other.kind !== "table" || other.name === name) continue;
        const fks = other.foreignKeys.filter((f) => f.refTable === name);
        if (fks.length === 0) continue;
        if (!cascade) {
          throw new SqlError("2BP01", `cannot drop table ${ref.table} because other objects depend on it`);
        }
        other.foreignKeys = other.foreignKeys.filter((f) => f.refTable !== name);
        await writeRelation(tx, other.name, other);
      }
      await clearTable(tx, rel);
      await tx.rawWrite(rowIdKey(rel.id), undefined);
    }
    await writeRelation(tx, name, undefined);
  }
}

/** TRUNCATE names. @throws SqlError 0A000 if another table's foreign key references one of them. */
export async function truncate(tx: Transaction, ast: AstNode): Promise<void> {
  const names = ast.name.map((r: AstNode) => qualifiedName(r.db, r.table));
  for (const name of names) {
    const t = await readTable(tx, name);
    for (const other of await listRelations(tx)) {
      if (
        other.kind === "table" &&
        !names.includes(other.name) &&
        other.foreignKeys.some((f) => f.refTable === name)
      ) {
        throw new SqlError("0A000", `cannot truncate a table referenced in a foreign key constraint`);
      }
    }
    await clearTable(tx, t);
  }
}

/** CREATE VIEW name [(cols)] AS query; `columns` are the query's output names. */
export async function createView(tx: Transaction, ast: AstNode, columns: string[]): Promise<void> {
  const name = qualifiedName(ast.view?.db, ast.view?.view);
  const existing = await readRelation(tx, name);
  if (existing !== undefined && !(ast.replace && existing.kind === "view")) {
    throw new SqlError("42P07", `relation "${ast.view?.view}" already exists`);
  }
  const names = ast.columns?.map((c: AstNode) => ident(String(c.value ?? c))) ?? columns;
  await writeRelation(tx, name, { kind: "view", name, query: ast.select, columns: names });
}

/** CREATE [UNIQUE] INDEX name ON t (cols): an index of the table's rows kept by every write. */
export async function createIndex(tx: Transaction, ast: AstNode): Promise<void> {
  const t = await readTable(tx, qualifiedName(ast.table?.db, ast.table?.table));
  const name = ident(String(ast.index ?? `${t.name.split(".")[1]}_idx`));
  if (t.indexes.some((i) => i.name === name) || t.uniques.some((u) => u.name === name)) {
    if (ast.if_not_exists) return;
    throw new SqlError("42P07", `relation "${name}" already exists`);
  }
  const cols: number[] = (ast.index_columns ?? []).map((c: AstNode) => colIndex(t, c));
  if (String(ast.index_type ?? "").toLowerCase() === "unique") {
    t.uniques.push({ name, cid: t.nextCid++, columns: cols, primary: false });
  } else t.indexes.push({ name, iid: t.nextCid++, columns: cols });
  await insertIndexEntries(tx, t, name);
  await writeRelation(tx, t.name, t);
}
