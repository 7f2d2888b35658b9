/**
 * INSERT (VALUES or a query; DEFAULT; ON CONFLICT DO NOTHING / DO UPDATE with `excluded`), UPDATE [FROM],
 * DELETE, each with RETURNING. The rows to change are read first, then changed (so a statement never sees
 * its own writes, as PostgreSQL's snapshot for the statement), with constraints checked per row
 * (src/sql/constraints.ts) inside the statement's transaction.
 */
import { SqlError } from "../errors.js";
import { qualifiedName, readTable, type TableDef } from "./catalog.js";
import { RowChecker } from "./constraints.js";
import { type AstNode, coerce, columnName, compileExpr, type Expr, ident } from "./expr.js";
import { compileCtx, conjuncts, planFrom, planTarget, type QueryCtx, whereFilter } from "./from.js";
import { encodeTuple, uniquePrefix } from "./keys.js";
import { type Plan, Scope, type ScopeColumn } from "./scope.js";
import { outputName } from "./select.js";
import { deleteRow, insertRow, pkRowKey, readRow, updateRow } from "./store.js";
import type { SqlValue } from "./values.js";

/** What a DML statement returns: the count and, with RETURNING, the rows and their columns. */
export interface DmlResult {
  rowCount: number;
  columns: ScopeColumn[];
  rows: SqlValue[][];
}

const DEFAULT_MARK = Symbol("default");

function isDefault(ast: AstNode): boolean {
  return (
    ast?.type === "column_ref" &&
    typeof ast.column !== "string" &&
    String(ast.column?.expr?.value).toUpperCase() === "DEFAULT" &&
    ast.table === null
  );
}

class Returning {
  readonly columns: ScopeColumn[] = [];
  readonly rows: SqlValue[][] = [];
  private exprs: Expr[] = [];
  constructor(private readonly ast: AstNode) {}

  async compile(scope: Scope, q: QueryCtx): Promise<void> {
    for (const c of this.ast?.columns ?? []) {
      const e = c.expr;
      if (e?.type === "column_ref" && e.column === "*") {
        const tbl = e.table === null ? null : ident(typeof e.table === "string" ? e.table : e.table.value);
        scope.columns.forEach((col, i) => {
          if (col.hidden || (tbl !== null && col.table !== tbl)) return;
          this.columns.push({ table: null, name: col.name, type: col.type });
          this.exprs.push({ type: col.type, eval: (env) => env.row[i] as SqlValue });
        });
        continue;
      }
      const x = await compileExpr(e, scope, compileCtx(q));
      this.exprs.push(x);
      this.columns.push({
        table: null,
        name: c.as ? ident(String(c.as)) : outputName(e),
        type: x.type === "unknown" ? "text" : x.type,
      });
    }
  }

  async add(row: SqlValue[]): Promise<void> {
    if (this.exprs.length === 0) return;
    const out: SqlValue[] = [];
    for (const e of this.exprs) out.push(await e.eval({ row }));
    this.rows.push(out);
  }
}

function tableScope(t: TableDef, alias: string): Scope {
  return new Scope(t.columns.map((c) => ({ table: alias, name: c.name, type: c.type, mod: c.mod })));
}

/** INSERT. */
export async function insert(ast: AstNode, q: QueryCtx): Promise<DmlResult> {
  const ref = ast.table[0];
  const t = await readTable(q.tx, qualifiedName(ref.db, ref.table));
  const alias = ident(ref.as ?? ref.table);
  const checker = new RowChecker(q);
  const targets: number[] = ast.columns
    ? ast.columns.map((c: AstNode) => {
        const name = ident(String(c.value ?? c));
        const i = t.columns.findIndex((x) => x.name === name);
        if (i < 0) throw new SqlError("42703", `column "${name}" of relation "${ref.table}" does not exist`);
        return i;
      })
    : t.columns.map((_, i) => i);
  const ret = new Returning(ast.returning);
  await ret.compile(tableScope(t, alias), q);
  const source = await sourceRows(ast, targets, t, q);
  const conflict = ast.conflict ? await conflictPlan(ast.conflict, t, alias, q, checker) : undefined;
  let count = 0;
  for await (const src of source) {
    const values: SqlValue[] = [];
    for (let i = 0; i < t.columns.length; i++) {
      const at = targets.indexOf(i);
      const v = at < 0 ? DEFAULT_MARK : src[at];
      values.push(v === DEFAULT_MARK || v === undefined ? await checker.defaultValue(t, i) : (v as SqlValue));
    }
    const row = await checker.prepare(t, values);
    if (conflict !== undefined) {
      const existing = await conflict.find(row);
      if (existing !== undefined) {
        const updated = await conflict.resolve(existing, row);
        if (updated !== undefined) {
          count++;
          await ret.add(updated);
        }
        continue;
      }
    }
    const key = await insertRow(q.tx, t, row);
    conflict?.inserted(key);
    count++;
    await ret.add(row);
  }
  return { rowCount: count, columns: ret.columns, rows: ret.rows };
}

async function* sourceRows(
  ast: AstNode,
  targets: number[],
  t: TableDef,
  q: QueryCtx,
): AsyncGenerator<(SqlValue | typeof DEFAULT_MARK)[]> {
  const v = ast.values;
  if (v?.type === "values") {
    const scope = new Scope([]);
    const ctx = compileCtx(q);
    for (const r of v.values) {
      const items: AstNode[] = r.value;
      if (items.length > targets.length)
        throw new SqlError("42601", "INSERT has more expressions than target columns");
      const out: (SqlValue | typeof DEFAULT_MARK)[] = [];
      for (const [i, a] of items.entries()) {
        if (isDefault(a)) {
          out.push(DEFAULT_MARK);
          continue;
        }
        const col = t.columns[targets[i] as number] as { type: string };
        const e = coerce(await compileExpr(a, scope, ctx), col.type);
        out.push(await e.eval({ row: [] }));
      }
      yield out;
    }
    return;
  }
  const plan = await q.planQuery(v, undefined, q);
  if (plan.columns.length > targets.length)
    throw new SqlError("42601", "INSERT has more expressions than target columns");
  // the query is read whole before any row is written (it may read the target table)
  const rows: SqlValue[][] = [];
  for await (const r of plan.rows(undefined)) rows.push(r);
  yield* rows;
}

interface ConflictPlan {
  /** Remembers a row this statement inserted (a later proposed row conflicting with it is an error). */
  inserted(key: string): void;
  find(row: SqlValue[]): Promise<{ key: string; values: SqlValue[] } | undefined>;
  resolve(
    existing: { key: string; values: SqlValue[] },
    proposed: SqlValue[],
  ): Promise<SqlValue[] | undefined>;
}

async function conflictPlan(
  c: AstNode,
  t: TableDef,
  alias: string,
  q: QueryCtx,
  checker: RowChecker,
): Promise<ConflictPlan> {
  const targetCols: number[] | undefined = c.target?.expr?.map((e: AstNode) =>
    t.columns.findIndex((x) => x.name === ident(columnName(e.column))),
  );
  const uniques =
    targetCols === undefined
      ? t.uniques
      : t.uniques.filter(
          (u) => u.columns.length === targetCols.length && u.columns.every((x) => targetCols.includes(x)),
        );
  if (uniques.length === 0) {
    throw new SqlError(
      "42P10",
      "there is no unique or exclusion constraint matching the ON CONFLICT specification",
    );
  }
  const action = c.action?.expr;
  const doNothing = String(action?.value ?? "").toLowerCase() === "nothing";
  // scope: the existing row (alias) then the proposed row (excluded)
  const scope = new Scope([
    ...t.columns.map((x) => ({ table: alias, name: x.name, type: x.type, mod: x.mod })),
    ...t.columns.map((x) => ({ table: "excluded", name: x.name, type: x.type, mod: x.mod })),
  ]);
  const ctx = compileCtx(q);
  const sets: { col: number; expr: Expr | "default" }[] = [];
  let where: Expr | undefined;
  if (!doNothing) {
    for (const s of action?.set ?? []) {
      const col = t.columns.findIndex((x) => x.name === ident(columnName(s.column)));
      if (col < 0) throw new SqlError("42703", `column "${columnName(s.column)}" does not exist`);
      sets.push({
        col,
        expr: isDefault(s.value)
          ? "default"
          : coerce(await compileExpr(s.value, scope, ctx), (t.columns[col] as { type: string }).type),
      });
    }
    if (action?.where) where = coerce(await compileExpr(action.where, scope, ctx), "boolean");
  }
  const touched = new Set<string>();
  return {
    inserted(key) {
      touched.add(key);
    },
    async find(row) {
      for (const u of uniques) {
        const vs = u.columns.map((x) => row[x] as SqlValue);
        if (vs.some((v) => v === null)) continue;
        const key = u.primary
          ? pkRowKey(t, vs)
          : ((await q.tx.rawGet(uniquePrefix(t.id, u.cid) + encodeTuple(vs))) as string | undefined);
        if (key === undefined) continue;
        const values = await readRow(q.tx, t, key);
        if (values !== undefined) return { key, values };
      }
      return undefined;
    },
    async resolve(existing, proposed) {
      if (doNothing) return undefined;
      if (touched.has(existing.key)) {
        throw new SqlError("21000", "ON CONFLICT DO UPDATE command cannot affect row a second time");
      }
      const env = { row: [...existing.values, ...proposed] };
      if (where !== undefined && (await where.eval(env)) !== true) return undefined;
      const next = [...existing.values];
      for (const s of sets)
        next[s.col] = s.expr === "default" ? await checker.defaultValue(t, s.col) : await s.expr.eval(env);
      const prepared = await checker.prepare(t, next);
      const key = await updateRow(q.tx, t, existing.key, existing.values, prepared);
      touched.add(key);
      await checker.parentChanged(t, existing.values, prepared);
      return prepared;
    },
  };
}

/** The target rows of an UPDATE or DELETE: the joined rows (target columns first, then its row key). */
async function targetRows(
  ast: AstNode,
  t: TableDef,
  alias: string,
  q: QueryCtx,
  extraFrom: AstNode[] | null,
): Promise<Plan> {
  const where = conjuncts(ast.where);
  const target = await planTarget(t, alias, q, extraFrom && extraFrom.length > 0 ? [] : where);
  let plan = (await planFrom(extraFrom, q, undefined, [], target)) as Plan;
  if (ast.where) plan = await whereFilter(plan, ast.where, q, undefined);
  return plan;
}

/** UPDATE t SET ... [FROM ...] [WHERE ...] [RETURNING ...]. */
export async function update(ast: AstNode, q: QueryCtx): Promise<DmlResult> {
  const ref = ast.table[0];
  const t = await readTable(q.tx, qualifiedName(ref.db, ref.table));
  const alias = ident(ref.as ?? ref.table);
  const checker = new RowChecker(q);
  const plan = await targetRows(ast, t, alias, q, ast.from ?? null);
  const scope = new Scope(plan.columns);
  const ctx = compileCtx(q);
  const sets: { col: number; expr: Expr | "default" }[] = [];
  for (const s of ast.set) {
    const name = ident(columnName(s.column));
    const col = t.columns.findIndex((x) => x.name === name);
    if (col < 0) throw new SqlError("42703", `column "${name}" of relation "${ref.table}" does not exist`);
    sets.push({
      col,
      expr: isDefault(s.value)
        ? "default"
        : coerce(await compileExpr(s.value, scope, ctx), (t.columns[col] as { type: string }).type),
    });
  }
  const ret = new Returning(ast.returning);
  await ret.compile(scope, q);
  const width = t.columns.length;
  const todo: { key: string; old: SqlValue[]; next: SqlValue[]; row: SqlValue[] }[] = [];
  const seen = new Set<string>();
  for await (const row of plan.rows(undefined)) {
    const key = row[width] as string;
    if (seen.has(key)) continue; // UPDATE ... FROM joining one target row to several: the first wins
    seen.add(key);
    const old = row.slice(0, width);
    const next = [...old];
    for (const s of sets)
      next[s.col] = s.expr === "default" ? await checker.defaultValue(t, s.col) : await s.expr.eval({ row });
    todo.push({ key, old, next, row });
  }
  for (const u of todo) {
    const current = await readRow(q.tx, t, u.key);
    if (current === undefined) continue;
    const prepared = await checker.prepare(t, u.next);
    await updateRow(q.tx, t, u.key, current, prepared);
    await checker.parentChanged(t, current, prepared);
    const r = [...u.row];
    prepared.forEach((v, i) => {
      r[i] = v;
    });
    await ret.add(r);
  }
  return { rowCount: todo.length, columns: ret.columns, rows: ret.rows };
}

/** DELETE FROM t [WHERE ...] [RETURNING ...]. */
export async function remove(ast: AstNode, q: QueryCtx): Promise<DmlResult> {
  const ref = (ast.from ?? ast.table)[0];
  const t = await readTable(q.tx, qualifiedName(ref.db, ref.table));
  const alias = ident(ref.as ?? ref.table);
  const checker = new RowChecker(q);
  const plan = await targetRows(ast, t, alias, q, null);
  const ret = new Returning(ast.returning);
  await ret.compile(new Scope(plan.columns), q);
  const width = t.columns.length;
  const todo: { key: string; row: SqlValue[] }[] = [];
  for await (const row of plan.rows(undefined)) todo.push({ key: row[width] as string, row });
  let count = 0;
  for (const d of todo) {
    const current = await readRow(q.tx, t, d.key);
    if (current === undefined) continue; // removed by a cascade of this statement
    await deleteRow(q.tx, t, d.key, current);
    await checker.parentChanged(t, current, undefined);
    count++;
    await ret.add(d.row);
  }
  return { rowCount: count, columns: ret.columns, rows: ret.rows };
}
