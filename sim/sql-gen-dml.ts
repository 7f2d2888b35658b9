/**
 * The DML half of the SQL workload generator (sim/sql-gen.ts): INSERT (VALUES or SELECT, ON CONFLICT DO
 * NOTHING / DO UPDATE with `EXCLUDED`), UPDATE (… FROM), DELETE (… USING), TRUNCATE, with RETURNING, as the
 * feature mask allows. Statements may violate the schema's constraints on purpose: PostgreSQL then raises a
 * class-23 error and the statement must change nothing, on both engines.
 *
 * Left out because PostgreSQL's answer depends on its plan or on row order, not on SQL's meaning: UPDATE …
 * FROM joins on the other table's primary key (at most one source row per target row), and UNIQUE columns
 * are never updated (PostgreSQL checks non-deferrable uniqueness row by row, so `SET u = u + 1` may fail
 * spuriously).
 */
import type { Prng } from "./disk/prng.js";
import { node, type SqlNode, type SqlType } from "./sql-ast.js";
import type { ExprContext, ExprGen, ScopeEntry, SqlColumn, SqlTable } from "./sql-gen-expr.js";

/** A statement's tree and kind, as sim/sql-gen.ts's GenStatement. */
export interface DmlStatement {
  readonly tree: SqlNode;
  readonly ordered: false;
  readonly kind: "dml";
}

/** Keys the seeded inserts draw from: [KEY_MIN, KEY_MIN + span). */
export const KEY_MIN = -3;

/** Constraints of a generated column (feature "constraints"). */
export interface ColumnConstraints {
  notNull?: boolean;
  unique?: boolean;
  /** A CHECK condition's text over this column, e.g. `c2 > -15`. */
  check?: string;
  /** A DEFAULT literal. */
  defaultValue?: string;
}

/** A column with its constraints. */
export type ConstrainedColumn = SqlColumn & ColumnConstraints;

/** DML generation over the workload's tables. */
export class DmlGen {
  constructor(
    private readonly prng: Prng,
    private readonly ex: ExprGen,
    private readonly tables: readonly SqlTable[],
  ) {}

  /** A cell value: NULL (if enabled and the column allows it) or a literal. */
  value(c: ConstrainedColumn): string {
    if (this.ex.has("nulls") && !c.notNull && this.prng.bool(0.2)) return "NULL";
    return this.ex.literal(c.ty);
  }

  /** `INSERT INTO t (…) VALUES …` with the given keys; later inserts may skip defaulted columns, add ON CONFLICT
   * and RETURNING. A key already present makes PostgreSQL raise 23505 unless ON CONFLICT handles it. */
  insert(t: SqlTable, keys: readonly number[], seeded: boolean): DmlStatement {
    const p = this.prng;
    const cols = (t.columns as ConstrainedColumn[]).filter(
      (c, i) => i === 0 || seeded || c.defaultValue === undefined || p.bool(0.5),
    );
    const rows = keys.map((k) => `(${cols.map((c, i) => (i === 0 ? String(k) : this.value(c))).join(", ")})`);
    const head = `INSERT INTO ${t.name} (${cols.map((c) => c.name).join(", ")}) VALUES ${rows.join(", ")}`;
    if (seeded) return dml(node("fixed", head));
    return dml(node("fixed", head, ...this.onConflict(t), ...this.returning(t)));
  }

  /** `INSERT INTO t (c0, …) SELECT (a0.c0 + k), … FROM …`: keys shifted past the seeded ones. */
  insertSelect(t: SqlTable, from: { from: SqlNode; scope: ScopeEntry[] }): DmlStatement {
    const p = this.prng;
    const ctx: ExprContext = { scope: from.scope, outer: [] };
    const first = from.scope[0];
    const keyColumn = first?.table.columns.find((c) => c.ty === "int");
    const shift = p.range(1, 40);
    const key =
      first === undefined || keyColumn === undefined
        ? String(shift)
        : `(${first.alias}.${keyColumn.name} + ${shift})`;
    const items: (string | SqlNode)[] = [key];
    for (const c of t.columns.slice(1)) items.push(", ", this.ex.expr(ctx, c.ty, 1));
    const where = p.bool(0.6) ? node("opt", " WHERE ", this.ex.predicate(ctx, 2)) : node("fixed", "");
    const cols = t.columns.map((c) => c.name).join(", ");
    // DO NOTHING keeps whichever of two rows with one key comes first, which is PostgreSQL's plan order unless
    // the keys are distinct: a base table's own primary key, shifted, with no join, into a table with no
    // other UNIQUE column.
    const distinctKeys =
      !(t.columns as ConstrainedColumn[]).some((c) => c.unique) &&
      from.scope.length === 1 &&
      keyColumn?.name === "c0" &&
      first !== undefined &&
      this.tables.includes(first.table);
    return dml(
      node(
        "fixed",
        `INSERT INTO ${t.name} (${cols}) SELECT `,
        ...items,
        " FROM ",
        from.from,
        where,
        ...this.onConflict(t, distinctKeys),
        ...this.returning(t),
      ),
    );
  }

  /** Maybe ` ON CONFLICT [(c0)] DO NOTHING` or ` ON CONFLICT (c0) DO UPDATE SET c = EXCLUDED.c …`. */
  private onConflict(t: SqlTable, doNothing = true): (string | SqlNode)[] {
    const p = this.prng;
    if (!this.ex.has("onConflict") || p.bool(0.5)) return [];
    const targets = (t.columns as ConstrainedColumn[]).slice(1).filter((c) => !c.unique);
    if (targets.length === 0 && !doNothing) return [];
    if (targets.length === 0 || (doNothing && p.bool(0.4)))
      return [p.pick([" ON CONFLICT DO NOTHING", " ON CONFLICT (c0) DO NOTHING"])];
    const c = p.pick(targets);
    const scope: ScopeEntry[] = [
      { alias: t.name, table: t },
      { alias: "EXCLUDED", table: t },
    ];
    const value = p.bool(0.5)
      ? node(c.ty, `EXCLUDED.${c.name}`)
      : this.ex.expr({ scope, outer: [] }, c.ty, 1);
    return [` ON CONFLICT (c0) DO UPDATE SET ${c.name} = `, value];
  }

  /** Maybe ` RETURNING c0, …` (the rows compare as a multiset). */
  private returning(t: SqlTable): string[] {
    const p = this.prng;
    if (!this.ex.has("returning") || p.bool(0.6)) return [];
    // Qualified: with FROM/USING another table's columns would make a bare name ambiguous.
    const cols = p
      .shuffle(t.columns.map((c) => `${t.name}.${c.name}`))
      .slice(0, p.range(1, t.columns.length));
    return [` RETURNING ${cols.join(", ")}`];
  }

  /** `UPDATE t SET … [FROM u WHERE u.c0 = t.cK AND …] [WHERE …]`; never the key or a UNIQUE column. */
  update(t: SqlTable): DmlStatement {
    const p = this.prng;
    const scope: ScopeEntry[] = [{ alias: t.name, table: t }];
    const parts: (string | SqlNode)[] = [];
    let join: string | undefined;
    if (this.ex.has("updateFrom") && p.bool(0.3)) {
      const u = p.pick(this.tables);
      const keyCols = t.columns.filter((c) => c.ty === "int");
      const k = p.pick(keyCols);
      scope.push({ alias: "u", table: u });
      join = `(u.c0 = ${t.name}.${k.name})`;
      parts.push(` FROM ${u.name} AS u`);
    }
    const ctx: ExprContext = { scope, outer: [] };
    const candidates = (t.columns as ConstrainedColumn[]).slice(1).filter((c) => !c.unique);
    if (candidates.length === 0) return this.deleteFrom(t);
    const targets = p.shuffle(candidates).slice(0, p.range(1, 2));
    const sets: (string | SqlNode)[] = [];
    targets.forEach((c, i) => {
      if (i > 0) sets.push(", ");
      sets.push(`${c.name} = `, this.ex.expr(ctx, c.ty, 2));
    });
    if (join !== undefined) parts.push(" WHERE ", join, node("opt", " AND ", this.ex.predicate(ctx, 2)));
    else parts.push(node("opt", " WHERE ", this.ex.predicate(ctx, 2)));
    return dml(node("fixed", `UPDATE ${t.name} SET `, ...sets, ...parts, ...this.returning(t)));
  }

  /** `DELETE FROM t [USING u] [WHERE …]`. */
  deleteFrom(t: SqlTable): DmlStatement {
    const p = this.prng;
    const scope: ScopeEntry[] = [{ alias: t.name, table: t }];
    let using = "";
    if (this.ex.has("updateFrom") && p.bool(0.3)) {
      const u = p.pick(this.tables);
      scope.push({ alias: "u", table: u });
      using = ` USING ${u.name} AS u`;
    }
    const where = node("opt", " WHERE ", this.ex.predicate({ scope, outer: [] }, 2));
    return dml(node("fixed", `DELETE FROM ${t.name}${using}`, where, ...this.returning(t)));
  }

  /** `TRUNCATE t`. */
  truncate(t: SqlTable): DmlStatement {
    return dml(node("fixed", `TRUNCATE ${t.name}`));
  }

  /** Constraints for a new non-key column of type `ty` named `name`. */
  constraintsFor(name: string, ty: SqlType): ColumnConstraints {
    const p = this.prng;
    const out: ColumnConstraints = {};
    if (!this.ex.has("constraints")) return out;
    if (p.bool(0.2)) out.notNull = true;
    if (p.bool(0.1)) out.unique = true;
    if (p.bool(0.15) && ty !== "bool") out.check = ty === "text" ? `${name} <> 'c'` : `${name} > -15`;
    if (p.bool(0.15)) out.defaultValue = this.ex.literal(ty);
    return out;
  }
}

/** A column's definition text: `name TYPE [NOT NULL] [UNIQUE] [CHECK (…)] [DEFAULT …]`. */
export function columnDefinition(c: ConstrainedColumn, typeName: string): string {
  let s = `${c.name} ${typeName}`;
  if (c.notNull) s += " NOT NULL";
  if (c.unique) s += " UNIQUE";
  if (c.check !== undefined) s += ` CHECK (${c.check})`;
  if (c.defaultValue !== undefined) s += ` DEFAULT ${c.defaultValue}`;
  return s;
}

function dml(tree: SqlNode): DmlStatement {
  return { tree, ordered: false, kind: "dml" };
}
