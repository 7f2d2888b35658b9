/**
 * ALTER TABLE: RENAME TO; ADD/DROP COLUMN; ALTER COLUMN SET/DROP DEFAULT, SET/DROP NOT NULL, TYPE; ADD/DROP
 * CONSTRAINT. Changes that touch rows (a column added with a default, dropped, retyped; a new NOT NULL,
 * CHECK, UNIQUE or FOREIGN KEY checked against every row) rewrite or read all rows inside the statement's
 * transaction: all or nothing, like every statement.
 */
import { SqlError } from "../errors.js";
import { qualifiedName, readRelation, readTable, type TableDef, writeRelation } from "./catalog.js";
import { RowChecker } from "./constraints.js";
import { addForeignKey, clearTable, columnType } from "./ddl.js";
import { type AstNode, columnName, ident } from "./expr.js";
import type { QueryCtx } from "./from.js";
import { insertIndexEntries } from "./index-build.js";
import { encodeTuple } from "./keys.js";
import { insertRow, scanTable } from "./store.js";
import { castValue, type SqlValue } from "./values.js";

/** Rewrites every row of `t` through `f` (old definition `from`, new definition `t`). */
async function rewriteRows(
  q: QueryCtx,
  from: TableDef,
  t: TableDef,
  f: (row: SqlValue[]) => Promise<SqlValue[]>,
): Promise<void> {
  const rows: SqlValue[][] = [];
  for await (const r of scanTable(q.tx, from)) rows.push(await f(r.values));
  await clearTable(q.tx, from);
  await writeRelation(q.tx, t.name, t);
  const checker = new RowChecker(q);
  for (const r of rows) await insertRow(q.tx, t, await checker.prepare(t, r));
}

/** ALTER TABLE name action[, action...]. @throws SqlError as the actions' checks fail. */
export async function alterTable(q: QueryCtx, ast: AstNode): Promise<void> {
  const ref = ast.table[0];
  const name = qualifiedName(ref.db, ref.table);
  const t = await readTable(q.tx, name);
  for (const a of ast.expr ?? []) {
    const before: TableDef = JSON.parse(JSON.stringify(t));
    const action = String(a.action).toLowerCase();
    const resource = String(a.resource).toLowerCase();
    if (action === "rename" && resource === "table") {
      const to = qualifiedName(ref.db, String(a.table));
      if ((await readRelation(q.tx, to)) !== undefined)
        throw new SqlError("42P07", `relation "${a.table}" already exists`);
      await writeRelation(q.tx, t.name, undefined);
      t.name = to;
      await writeRelation(q.tx, to, t);
      continue;
    }
    if (resource === "column" && action === "add") {
      const cname = ident(columnName(a.column.column));
      if (t.columns.some((c) => c.name === cname)) {
        if (a.if_not_exists) continue;
        throw new SqlError("42701", `column "${cname}" of relation "${ref.table}" already exists`);
      }
      const { type, mod } = columnType(a.definition);
      t.columns.push({
        name: cname,
        type,
        mod,
        notNull: a.nullable?.type === "not null",
        default: a.default_val?.value,
      });
      const checker = new RowChecker(q);
      const i = t.columns.length - 1;
      await rewriteRows(q, before, t, async (r) => [...r, await checker.defaultValue(t, i)]);
      continue;
    }
    if (resource === "column" && action === "drop") {
      const cname = ident(columnName(a.column.column));
      const i = t.columns.findIndex((c) => c.name === cname);
      if (i < 0) {
        if (a.if_exists) continue;
        throw new SqlError("42703", `column "${cname}" of relation "${ref.table}" does not exist`);
      }
      const shift = (cols: number[]): number[] => cols.map((c) => (c > i ? c - 1 : c));
      const uses = (cols: number[]): boolean => cols.includes(i);
      t.columns.splice(i, 1);
      if (t.primaryKey !== null && uses(t.primaryKey)) t.primaryKey = null;
      t.primaryKey = t.primaryKey === null ? null : shift(t.primaryKey);
      t.uniques = t.uniques.filter((u) => !uses(u.columns)).map((u) => ({ ...u, columns: shift(u.columns) }));
      t.indexes = t.indexes.filter((x) => !uses(x.columns)).map((x) => ({ ...x, columns: shift(x.columns) }));
      t.foreignKeys = t.foreignKeys
        .filter((f) => !uses(f.columns))
        .map((f) => ({ ...f, columns: shift(f.columns) }));
      t.checks = t.checks.filter((c) => !JSON.stringify(c.expr).includes(`"value":"${cname}"`));
      await rewriteRows(q, before, t, async (r) => r.filter((_, j) => j !== i));
      continue;
    }
    if (resource === "column" && action === "alter") {
      const cname = ident(columnName(a.column.column));
      const i = t.columns.findIndex((c) => c.name === cname);
      const col = t.columns[i];
      if (col === undefined)
        throw new SqlError("42703", `column "${cname}" of relation "${ref.table}" does not exist`);
      if (a.default_val !== undefined) {
        if (String(a.default_val.type).toLowerCase().startsWith("drop")) delete col.default;
        else col.default = a.default_val.value;
        await writeRelation(q.tx, t.name, t);
      } else if (a.nullable !== undefined) {
        col.notNull = String(a.nullable.action).toLowerCase() !== "drop";
        if (col.notNull) {
          for await (const r of scanTable(q.tx, t)) {
            if (r.values[i] === null)
              throw new SqlError(
                "23502",
                `column "${cname}" of relation "${ref.table}" contains null values`,
              );
          }
        }
        await writeRelation(q.tx, t.name, t);
      } else if (a.definition !== undefined) {
        const { type, mod } = columnType(a.definition);
        col.type = type;
        col.mod = mod;
        await rewriteRows(q, before, t, async (r) =>
          r.map((v, j) => (j === i && v !== null ? castValue(v, type, mod) : v)),
        );
      } else throw new SqlError("0A000", "unsupported ALTER COLUMN action");
      continue;
    }
    if (resource === "constraint" && action === "add") {
      await addConstraint(q, t, a.create_definitions);
      continue;
    }
    if (resource === "constraint" && action === "drop") {
      const cn = String(a.constraint);
      const n = t.uniques.length + t.checks.length + t.foreignKeys.length;
      const dropped = t.uniques.find((u) => u.name === cn);
      t.uniques = t.uniques.filter((u) => u.name !== cn);
      t.checks = t.checks.filter((c) => c.name !== cn);
      t.foreignKeys = t.foreignKeys.filter((f) => f.name !== cn);
      if (t.uniques.length + t.checks.length + t.foreignKeys.length === n) {
        throw new SqlError("42704", `constraint "${cn}" of relation "${ref.table}" does not exist`);
      }
      if (dropped?.primary) {
        // rows are keyed by the primary key: rekey them by hidden row ids
        t.primaryKey = null;
        await rewriteRows(q, before, t, async (r) => r);
      } else await writeRelation(q.tx, t.name, t);
      continue;
    }
    throw new SqlError("0A000", `ALTER TABLE ${action} ${resource} is not supported`);
  }
}

async function addConstraint(q: QueryCtx, t: TableDef, d: AstNode): Promise<void> {
  const kind = String(d.constraint_type ?? "").toLowerCase();
  const base = t.name.split(".")[1] as string;
  const cols = (): number[] =>
    (d.definition ?? []).map((c: AstNode) => {
      const i = t.columns.findIndex((x) => x.name === ident(columnName(c.column)));
      if (i < 0) throw new SqlError("42703", `column "${columnName(c.column)}" named in key does not exist`);
      return i;
    });
  if (kind === "unique" || kind === "unique key" || kind === "primary key") {
    const c = cols();
    const primary = kind === "primary key";
    if (primary && t.primaryKey !== null)
      throw new SqlError("42P16", `multiple primary keys for table "${base}" are not allowed`);
    const name =
      d.constraint ??
      (primary ? `${base}_pkey` : `${base}_${c.map((x) => t.columns[x]?.name).join("_")}_key`);
    if (primary) {
      const before: TableDef = JSON.parse(JSON.stringify(t));
      for (const x of c) (t.columns[x] as { notNull: boolean }).notNull = true;
      t.primaryKey = c;
      t.uniques.push({ name, cid: t.nextCid++, columns: c, primary: true });
      const seen = new Set<string>();
      await rewriteRows(q, before, t, async (r) => {
        const k = encodeTuple(c.map((x) => r[x] as SqlValue));
        if (seen.has(k)) throw new SqlError("23505", `could not create unique index "${name}"`);
        seen.add(k);
        return r;
      });
      return;
    }
    t.uniques.push({ name, cid: t.nextCid++, columns: c, primary: false });
    await insertIndexEntries(q.tx, t, name);
    await writeRelation(q.tx, t.name, t);
    return;
  }
  if (kind === "check") {
    for (const e of d.definition ?? []) t.checks.push({ name: d.constraint ?? `${base}_check`, expr: e });
  } else if (kind === "foreign key") {
    await addForeignKey(q.tx, t, cols(), d.reference_definition, d.constraint ?? undefined);
  } else throw new SqlError("0A000", `unsupported constraint ${kind}`);
  await writeRelation(q.tx, t.name, t);
  const checker = new RowChecker(q);
  for await (const r of scanTable(q.tx, t)) await checker.prepare(t, r.values);
}
