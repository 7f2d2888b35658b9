/**
 * Row constraints, checked inside the statement's transaction before a row is written (so a violation
 * aborts the statement and nothing of it is written): assignment casts to the column types, NOT NULL
 * (23502), CHECK (23514: a FALSE result fails, TRUE and NULL pass), FOREIGN KEY (23503, MATCH SIMPLE: a
 * key with a NULL is not checked), and the referencing side's actions when a parent row is deleted or
 * its key updated: NO ACTION/RESTRICT (23503), CASCADE, SET NULL.
 */
import { SqlError } from "../errors.js";
import { listRelations, readTable, type TableDef } from "./catalog.js";
import { coerce, compileExpr, type Expr } from "./expr.js";
import { compileCtx, type QueryCtx } from "./from.js";
import { encodeTuple, rowIdKey, uniquePrefix } from "./keys.js";
import { compareValues } from "./ops.js";
import { Scope } from "./scope.js";
import { deleteRow, pkRowKey, readRow, scanTable, updateRow } from "./store.js";
import { castValue, type SqlValue } from "./values.js";

/** Per-statement caches of compiled constraints. */
export class RowChecker {
  private readonly checks = new Map<string, { name: string; expr: Expr }[]>();
  private readonly defaults = new Map<string, (Expr | "serial" | undefined)[]>();
  private tables: TableDef[] | undefined;

  constructor(readonly q: QueryCtx) {}

  /** The table's scope for its CHECK and DEFAULT expressions. */
  scopeOf(t: TableDef): Scope {
    const alias = t.name.split(".")[1] as string;
    return new Scope(t.columns.map((c) => ({ table: alias, name: c.name, type: c.type, mod: c.mod })));
  }

  /** The value DEFAULT gives column `i` of `t` (NULL without a default). */
  async defaultValue(t: TableDef, i: number): Promise<SqlValue> {
    let ds = this.defaults.get(t.name);
    if (ds === undefined) {
      ds = [];
      for (const c of t.columns) {
        const d = c.default as { type?: string } | undefined;
        ds.push(
          d === undefined
            ? undefined
            : d.type === "serial"
              ? "serial"
              : await compileExpr(d, new Scope([]), compileCtx(this.q)),
        );
      }
      this.defaults.set(t.name, ds);
    }
    const d = ds[i];
    if (d === undefined) return null;
    if (d === "serial") {
      const k = `${rowIdKey(t.id)}${String.fromCharCode(i >> 8, i & 0xff)}`;
      const n = await this.q.nextval(k);
      return (t.columns[i] as { type: string }).type === "bigint" ? BigInt(n) : n;
    }
    return d.eval({ row: [] });
  }

  /** `values` cast to the columns' types, NOT NULL, CHECK and FOREIGN KEY checked. @throws SqlError. */
  async prepare(t: TableDef, values: SqlValue[]): Promise<SqlValue[]> {
    const out = t.columns.map((c, i) => {
      const v = values[i] ?? null;
      if (v === null) {
        if (c.notNull) {
          throw new SqlError(
            "23502",
            `null value in column "${c.name}" of relation "${t.name.split(".")[1]}" violates not-null constraint`,
          );
        }
        return null;
      }
      return castValue(v, c.type, c.mod);
    });
    for (const ck of await this.checksOf(t)) {
      if ((await ck.expr.eval({ row: out })) === false) {
        throw new SqlError(
          "23514",
          `new row for relation "${t.name.split(".")[1]}" violates check constraint "${ck.name}"`,
        );
      }
    }
    for (const fk of t.foreignKeys) {
      const vs = fk.columns.map((c) => out[c] as SqlValue);
      if (vs.some((v) => v === null)) continue;
      const parent = fk.refTable === t.name ? t : await readTable(this.q.tx, fk.refTable);
      const pvs = fk.refColumns.map((c, i) =>
        castValue(vs[i] as SqlValue, (parent.columns[c] as { type: string }).type),
      );
      const isPk = parent.primaryKey?.every((c, i) => c === fk.refColumns[i]);
      let found: boolean;
      if (isPk) found = (await this.q.tx.rawGet(pkRowKey(parent, pvs))) !== undefined;
      else {
        const u = parent.uniques.find((x) => x.columns.every((c, i) => c === fk.refColumns[i]));
        found =
          u !== undefined &&
          (await this.q.tx.rawGet(uniquePrefix(parent.id, u.cid) + encodeTuple(pvs))) !== undefined;
      }
      // a self-reference may point at the row itself
      if (
        !found &&
        parent === t &&
        fk.refColumns.every((c, i) => compareValues(out[c] as SqlValue, pvs[i] as SqlValue) === 0)
      )
        found = true;
      if (!found) {
        throw new SqlError(
          "23503",
          `insert or update on table "${t.name.split(".")[1]}" violates foreign key constraint "${fk.name}"`,
        );
      }
    }
    return out;
  }

  private async checksOf(t: TableDef): Promise<{ name: string; expr: Expr }[]> {
    let cs = this.checks.get(t.name);
    if (cs === undefined) {
      cs = [];
      for (const c of t.checks)
        cs.push({
          name: c.name,
          expr: coerce(await compileExpr(c.expr, this.scopeOf(t), compileCtx(this.q)), "boolean"),
        });
      this.checks.set(t.name, cs);
    }
    return cs;
  }

  private async allTables(): Promise<TableDef[]> {
    this.tables ??= (await listRelations(this.q.tx)).filter((r): r is TableDef => r.kind === "table");
    return this.tables;
  }

  /** Forgets cached catalog state (after DDL in the same statement batch). */
  reset(): void {
    this.tables = undefined;
    this.checks.clear();
    this.defaults.clear();
  }

  /**
   * Applies the referencing tables' foreign-key actions for a parent row of `t` that is deleted
   * (`after` undefined) or updated to `after`. @throws SqlError 23503 for NO ACTION/RESTRICT.
   */
  async parentChanged(
    t: TableDef,
    before: SqlValue[],
    after: SqlValue[] | undefined,
    depth = 0,
  ): Promise<void> {
    if (depth > 64) throw new SqlError("54001", "foreign key cascade too deep");
    for (const child of await this.allTables()) {
      for (const fk of child.foreignKeys) {
        if (fk.refTable !== t.name) continue;
        const old = fk.refColumns.map((c) => before[c] as SqlValue);
        if (old.some((v) => v === null)) continue;
        if (
          after !== undefined &&
          fk.refColumns.every(
            (c) => compareValues(before[c] as SqlValue, after[c] as SqlValue) === 0 && after[c] !== null,
          )
        )
          continue;
        const matches: { key: string; values: SqlValue[] }[] = [];
        for await (const r of scanTable(this.q.tx, child)) {
          if (
            fk.columns.every(
              (c, i) =>
                r.values[c] !== null && compareValues(r.values[c] as SqlValue, old[i] as SqlValue) === 0,
            )
          )
            matches.push(r);
        }
        if (matches.length === 0) continue;
        const act = after === undefined ? fk.onDelete : fk.onUpdate;
        if (act === "NO ACTION" || act === "RESTRICT") {
          throw new SqlError(
            "23503",
            `update or delete on table "${t.name.split(".")[1]}" violates foreign key constraint "${fk.name}" on table "${child.name.split(".")[1]}"`,
          );
        }
        for (const m of matches) {
          // the row may have changed through an earlier cascade of this statement
          const current = await readRow(this.q.tx, child, m.key);
          if (current === undefined) continue;
          if (act === "CASCADE" && after === undefined) {
            await deleteRow(this.q.tx, child, m.key, current);
            await this.parentChanged(child, current, undefined, depth + 1);
            continue;
          }
          const next = [...current];
          fk.columns.forEach((c, i) => {
            next[c] =
              act === "SET NULL" ? null : ((after as SqlValue[])[fk.refColumns[i] as number] as SqlValue);
          });
          const prepared = await this.prepare(child, next);
          await updateRow(this.q.tx, child, m.key, current, prepared);
          await this.parentChanged(child, current, prepared, depth + 1);
        }
      }
    }
  }
}
