/**
 * A seeded SQL workload generator in the SQLancer spirit: a random schema (a few tables, an INTEGER primary key
 * `c0` and columns of the enabled types), seeded INSERTs with NULLs, then random statements: SELECTs with
 * predicates, joins, grouping, ordering, DISTINCT, subqueries and set operations, and UPDATE/DELETE/INSERT
 * DML each followed by a full read of the table it changed. Every statement is valid PostgreSQL; the
 * feature mask (sim/sql-features.ts) limits the surface. Deterministic: one seed, one workload.
 *
 * Result order: a query is `ordered` only when its ORDER BY lists every output column, so the order is total
 * up to identical rows; LIMIT/OFFSET appear only then. Other queries compare as multisets.
 * Idea: SQLancer (Rigger and Su, OOPSLA 2020; ESEC/FSE 2020).
 */
import { Prng } from "./disk/prng.js";
import { node, render, SQL_TYPE_NAMES, type SqlNode, type SqlType } from "./sql-ast.js";
import type { SqlFeatures } from "./sql-features.js";
import { type ExprContext, ExprGen, type ScopeEntry, type SqlColumn, type SqlTable } from "./sql-gen-expr.js";

/** One generated statement: its tree (for shrinking) and how its result compares. */
export interface GenStatement {
  readonly tree: SqlNode;
  /** Compare rows in order (a total ORDER BY); otherwise as a multiset. */
  readonly ordered: boolean;
  readonly kind: "ddl" | "dml" | "query";
}

/** A generated SELECT before rendering: the parts the TLP oracle (sim/sql-tlp.ts) recombines. */
export interface SelectParts {
  readonly from: SqlNode;
  readonly ctx: ExprContext;
  readonly items: readonly SqlNode[];
}

/** Bounds of the schema and data (kept small so joins stay small and values collide). */
const TABLES_MIN = 1;
const TABLES_MAX = 3;
const EXTRA_COLUMNS_MAX = 4;
const ROWS_MAX = 10;

/** The workload generator for one seed. */
export class SqlGen {
  readonly prng: Prng;
  readonly tables: SqlTable[];
  private readonly ex: ExprGen;

  constructor(
    seed: string,
    readonly features: SqlFeatures,
  ) {
    this.prng = new Prng(`sql/${seed}`);
    this.tables = [];
    const n = this.prng.range(TABLES_MIN, TABLES_MAX);
    this.ex = new ExprGen(this.prng, features, this.tables);
    for (let i = 0; i < n; i++) {
      const columns: SqlColumn[] = [{ name: "c0", ty: "int" }];
      const extra = this.prng.range(1, EXTRA_COLUMNS_MAX);
      for (let j = 1; j <= extra; j++) columns.push({ name: `c${j}`, ty: this.prng.pick(this.ex.types()) });
      this.tables.push({ name: `t${i}`, columns });
    }
  }

  /** CREATE TABLE for every table, then seeded INSERTs (distinct keys, NULLs in a fifth of other cells). */
  setup(): GenStatement[] {
    const out: GenStatement[] = [];
    for (const t of this.tables) {
      const cols = t.columns.map(
        (c, i) => `${c.name} ${SQL_TYPE_NAMES[c.ty]}${i === 0 ? " PRIMARY KEY" : ""}`,
      );
      out.push(fixed("ddl", `CREATE TABLE ${t.name} (${cols.join(", ")})`));
    }
    for (const t of this.tables) {
      const keys = this.prng.shuffle(Array.from({ length: 2 * ROWS_MAX }, (_, i) => i - 3));
      const rows = this.prng.range(0, ROWS_MAX);
      for (let r = 0; r < rows; ) {
        const batch = Math.min(rows - r, this.prng.range(1, 4));
        out.push(this.insert(t, keys.slice(r, r + batch)));
        r += batch;
      }
    }
    return out;
  }

  /** `INSERT INTO t VALUES …` with the given keys (a key already present makes PostgreSQL raise 23505). */
  private insert(t: SqlTable, keys: readonly number[]): GenStatement {
    const rows = keys.map(
      (k) => `(${t.columns.map((c, i) => (i === 0 ? String(k) : this.value(c.ty))).join(", ")})`,
    );
    const cols = t.columns.map((c) => c.name).join(", ");
    return fixed("dml", `INSERT INTO ${t.name} (${cols}) VALUES ${rows.join(", ")}`);
  }

  /** A cell value: NULL (if enabled) or a literal. */
  private value(ty: SqlType): string {
    if (this.ex.has("nulls") && this.prng.bool(0.2)) return "NULL";
    return this.ex.literal(ty);
  }

  /** The next random statement(s): a query, or a DML statement and the read of its table that follows. */
  next(): GenStatement[] {
    const p = this.prng;
    const dml: (() => GenStatement)[] = [];
    const t = p.pick(this.tables);
    if (this.ex.has("insert")) dml.push(() => this.insert(t, [p.range(-3, 2 * ROWS_MAX), p.range(-3, 40)]));
    if (this.ex.has("update")) dml.push(() => this.update(t));
    if (this.ex.has("delete")) dml.push(() => this.deleteFrom(t));
    if (dml.length > 0 && p.bool(0.2)) return [p.pick(dml)(), this.readAll(t)];
    if (this.ex.has("setOps") && p.bool(0.12)) return [this.setOperation()];
    return [this.select()];
  }

  /** `SELECT every column FROM t ORDER BY c0`: the state after a DML statement. */
  readAll(t: SqlTable): GenStatement {
    const cols = t.columns.map((c) => c.name).join(", ");
    return { tree: node("fixed", `SELECT ${cols} FROM ${t.name} ORDER BY c0`), ordered: true, kind: "query" };
  }

  private update(t: SqlTable): GenStatement {
    const ctx: ExprContext = { scope: [{ alias: t.name, table: t }], outer: [] };
    const targets = this.prng.shuffle(t.columns.slice(1)).slice(0, this.prng.range(1, 2));
    const sets: (string | SqlNode)[] = [];
    targets.forEach((c, i) => {
      if (i > 0) sets.push(", ");
      sets.push(`${c.name} = `, this.ex.expr(ctx, c.ty, 2));
    });
    const where = node("opt", " WHERE ", this.ex.predicate(ctx, 2));
    return { tree: node("fixed", `UPDATE ${t.name} SET `, ...sets, where), ordered: false, kind: "dml" };
  }

  private deleteFrom(t: SqlTable): GenStatement {
    const ctx: ExprContext = { scope: [{ alias: t.name, table: t }], outer: [] };
    const where = node("opt", " WHERE ", this.ex.predicate(ctx, 2));
    return { tree: node("fixed", `DELETE FROM ${t.name}`, where), ordered: false, kind: "dml" };
  }

  /** A FROM clause: one table, or joins of up to three (INNER/LEFT/RIGHT/FULL/CROSS as enabled). */
  from(aliasPrefix = "a"): { from: SqlNode; scope: ScopeEntry[] } {
    const p = this.prng;
    const first: ScopeEntry = { alias: `${aliasPrefix}0`, table: p.pick(this.tables) };
    const scope = [first];
    const parts: (string | SqlNode)[] = [`${first.table.name} AS ${first.alias}`];
    const kinds: string[] = [];
    if (this.ex.has("join")) kinds.push("INNER JOIN", "JOIN");
    if (this.ex.has("crossJoin")) kinds.push("CROSS JOIN");
    if (this.ex.has("outerJoin")) kinds.push("LEFT JOIN", "RIGHT JOIN", "LEFT OUTER JOIN");
    if (this.ex.has("fullJoin")) kinds.push("FULL JOIN", "FULL OUTER JOIN");
    const joins = kinds.length === 0 ? 0 : p.pick([0, 0, 1, 1, 2]);
    for (let j = 1; j <= joins; j++) {
      const entry: ScopeEntry = { alias: `${aliasPrefix}${j}`, table: p.pick(this.tables) };
      const kind = p.pick(kinds);
      parts.push(` ${kind} ${entry.table.name} AS ${entry.alias}`);
      scope.push(entry);
      if (kind === "CROSS JOIN") continue;
      if (kind.startsWith("FULL")) parts.push(" ON ", this.equiJoin(scope.slice(0, -1), entry));
      else parts.push(" ON ", this.ex.predicate({ scope, outer: [] }, 2));
    }
    return { from: node("fixed", ...parts), scope };
  }

  /** `x.ci = y.cj [AND …]` over same-typed columns: PostgreSQL runs FULL JOIN only on hash/merge-joinable ON. */
  private equiJoin(left: readonly ScopeEntry[], right: ScopeEntry): SqlNode {
    const p = this.prng;
    const pairs: string[] = [];
    for (const l of left)
      for (const lc of l.table.columns)
        for (const rc of right.table.columns)
          if (lc.ty === rc.ty) pairs.push(`${l.alias}.${lc.name} = ${right.alias}.${rc.name}`);
    const chosen = p.shuffle(pairs).slice(0, p.range(1, 2));
    return node("fixed", `(${chosen.join(" AND ")})`);
  }

  /** A random SELECT (plain or grouped). */
  select(): GenStatement {
    const p = this.prng;
    const { from, scope } = this.from();
    const ctx: ExprContext = { scope, outer: [] };
    const grouped = this.ex.has("aggregates") && p.bool(0.35);
    const where = p.bool(0.8) ? node("opt", " WHERE ", this.ex.predicate(ctx, 3)) : undefined;
    let items: SqlNode[];
    let tail: (string | SqlNode)[] = [];
    if (grouped) {
      const keys: SqlNode[] = [];
      const keyCount = this.ex.has("groupBy") ? p.range(0, 2) : 0;
      for (let i = 0; i < keyCount; i++) keys.push(this.ex.groupKey(ctx));
      const gctx: ExprContext = { ...ctx, groupKeys: keys };
      items = [...keys];
      const aggs = p.range(1, 3);
      for (let i = 0; i < aggs; i++) items.push(this.ex.expr(gctx, this.ex.typeIn(ctx), 1));
      if (keys.length > 0) tail.push(" GROUP BY ", ...joinNodes(keys));
      if (this.ex.has("having") && p.bool(0.4))
        tail.push(node("opt", " HAVING ", this.ex.predicate(gctx, 2)));
    } else {
      items = [];
      const n = p.range(1, 4);
      for (let i = 0; i < n; i++) items.push(this.ex.expr(ctx, this.ex.typeIn(ctx), 2));
    }
    const distinct = this.ex.has("distinct") && p.bool(0.2) ? "DISTINCT " : "";
    const order = this.orderBy(items.length);
    tail = [...tail, ...order.parts];
    const head: (string | SqlNode)[] = [`SELECT ${distinct}`, ...selectList(items), " FROM ", from];
    if (where !== undefined) head.push(where);
    return { tree: node("fixed", ...head, ...tail), ordered: order.ordered, kind: "query" };
  }

  /** `ORDER BY` every output column (aliases r0…, random directions and NULLS placement), maybe LIMIT/OFFSET. */
  private orderBy(columns: number): { parts: (string | SqlNode)[]; ordered: boolean } {
    const p = this.prng;
    if (!this.ex.has("orderBy") || p.bool(0.5)) return { parts: [], ordered: false };
    const keys = p.shuffle(Array.from({ length: columns }, (_, i) => i)).map((i) => {
      const dir = p.pick(["", " ASC", " DESC"]);
      const nulls = p.pick(["", "", " NULLS FIRST", " NULLS LAST"]);
      return `${p.bool(0.3) ? String(i + 1) : `r${i}`}${dir}${nulls}`;
    });
    const parts: (string | SqlNode)[] = [` ORDER BY ${keys.join(", ")}`];
    if (this.ex.has("limit") && p.bool(0.4)) {
      const offset = p.bool(0.4) ? ` OFFSET ${p.range(0, 5)}` : "";
      parts.push(node("opt", ` LIMIT ${p.range(0, 8)}${offset}`));
    }
    return { parts, ordered: true };
  }

  /** Two plain SELECTs of one column signature combined by UNION/INTERSECT/EXCEPT [ALL], maybe ordered. */
  private setOperation(): GenStatement {
    const p = this.prng;
    const types = Array.from({ length: p.range(1, 3) }, () => p.pick(this.ex.types()));
    const side = (prefix: string): SqlNode => {
      const { from, scope } = this.from(prefix);
      const ctx: ExprContext = { scope, outer: [] };
      const items = types.map((ty) => this.ex.expr(ctx, ty, 1));
      const where = p.bool(0.7) ? node("opt", " WHERE ", this.ex.predicate(ctx, 2)) : node("fixed", "");
      return node("fixed", "SELECT ", ...selectList(items), " FROM ", from, where);
    };
    const op = p.pick(["UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL"]);
    const order = this.orderBy(types.length);
    const tree = node("fixed", side("a"), ` ${op} `, side("b"), ...order.parts);
    return { tree, ordered: order.ordered, kind: "query" };
  }

  /** A plain (ungrouped) SELECT's parts, for the TLP oracle. */
  selectParts(): SelectParts {
    const { from, scope } = this.from();
    const ctx: ExprContext = { scope, outer: [] };
    const items = Array.from({ length: this.prng.range(1, 3) }, () =>
      this.ex.expr(ctx, this.ex.typeIn(ctx), 1),
    );
    return { from, ctx, items };
  }

  /** A predicate over `ctx` (for the TLP oracle's partitioning predicate). */
  predicate(ctx: ExprContext, depth = 3): SqlNode {
    return this.ex.predicate(ctx, depth);
  }
}

/** A statement with no shrinkable parts. */
function fixed(kind: GenStatement["kind"], text: string): GenStatement {
  return { tree: node("fixed", text), ordered: false, kind };
}

/** `e0 AS r0, e1 AS r1, …`. */
export function selectList(items: readonly SqlNode[]): (string | SqlNode)[] {
  const out: (string | SqlNode)[] = [];
  items.forEach((e, i) => {
    if (i > 0) out.push(", ");
    out.push(e, ` AS r${i}`);
  });
  return out;
}

/** `k0, k1, …`. */
function joinNodes(keys: readonly SqlNode[]): (string | SqlNode)[] {
  const out: (string | SqlNode)[] = [];
  keys.forEach((k, i) => {
    if (i > 0) out.push(", ");
    out.push(k);
  });
  return out;
}

/** The SQL text of a generated statement. */
export function statementSql(s: GenStatement): string {
  return render(s.tree);
}
