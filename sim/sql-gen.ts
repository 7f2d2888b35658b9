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
import { type ConstrainedColumn, columnDefinition, DmlGen, KEY_MIN } from "./sql-gen-dml.js";
import { type ExprContext, ExprGen, type ScopeEntry, type SqlTable } from "./sql-gen-expr.js";

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
  private readonly dml: DmlGen;
  private derivedCount = 0;

  constructor(
    seed: string,
    readonly features: SqlFeatures,
  ) {
    this.prng = new Prng(`sql/${seed}`);
    this.tables = [];
    const n = this.prng.range(TABLES_MIN, TABLES_MAX);
    this.ex = new ExprGen(this.prng, features, this.tables);
    this.dml = new DmlGen(this.prng, this.ex, this.tables);
    for (let i = 0; i < n; i++) {
      const columns: ConstrainedColumn[] = [{ name: "c0", ty: "int" }];
      const extra = this.prng.range(1, EXTRA_COLUMNS_MAX);
      for (let j = 1; j <= extra; j++) {
        const ty = this.prng.pick(this.ex.types());
        columns.push({ name: `c${j}`, ty, ...this.dml.constraintsFor(`c${j}`, ty) });
      }
      this.tables.push({ name: `t${i}`, columns });
    }
  }

  /** CREATE TABLE for every table, then seeded INSERTs (distinct keys, NULLs in a fifth of other cells). */
  setup(): GenStatement[] {
    const out: GenStatement[] = [];
    for (const t of this.tables) {
      const cols = t.columns.map((c, i) =>
        i === 0 ? `${c.name} ${SQL_TYPE_NAMES[c.ty]} PRIMARY KEY` : columnDefinition(c, SQL_TYPE_NAMES[c.ty]),
      );
      out.push(fixed("ddl", `CREATE TABLE ${t.name} (${cols.join(", ")})`));
    }
    for (const t of this.tables) {
      const keys = this.prng.shuffle(Array.from({ length: 2 * ROWS_MAX }, (_, i) => i + KEY_MIN));
      const rows = this.prng.range(0, ROWS_MAX);
      for (let r = 0; r < rows; ) {
        const batch = Math.min(rows - r, this.prng.range(1, 4));
        out.push(this.dml.insert(t, keys.slice(r, r + batch), true));
        r += batch;
      }
    }
    return out;
  }

  /** The next random statement(s): a query, or a DML statement and the read of its table that follows. */
  next(): GenStatement[] {
    const p = this.prng;
    const dml: (() => GenStatement)[] = [];
    const t = p.pick(this.tables);
    const key = (): number => p.range(KEY_MIN, 2 * ROWS_MAX);
    if (this.ex.has("insert")) dml.push(() => this.dml.insert(t, [key(), p.range(KEY_MIN, 40)], false));
    if (this.ex.has("insertSelect")) dml.push(() => this.dml.insertSelect(t, this.from("a", false)));
    if (this.ex.has("update")) dml.push(() => this.dml.update(t));
    if (this.ex.has("delete")) dml.push(() => this.dml.deleteFrom(t));
    if (this.ex.has("truncate") && p.bool(0.2)) dml.push(() => this.dml.truncate(t));
    if (dml.length > 0 && p.bool(0.2)) return [p.pick(dml)(), this.readAll(t)];
    if (this.ex.has("setOps") && p.bool(0.12)) return [this.setOperation()];
    return [this.select()];
  }

  /** `SELECT every column FROM t ORDER BY c0`: the state after a DML statement. */
  readAll(t: SqlTable): GenStatement {
    const cols = t.columns.map((c) => c.name).join(", ");
    return { tree: node("fixed", `SELECT ${cols} FROM ${t.name} ORDER BY c0`), ordered: true, kind: "query" };
  }

  /**
   * A FROM clause: one table, or joins of up to three (INNER/LEFT/RIGHT/FULL/CROSS as enabled); the first entry
   * may be a derived table `(SELECT …) AS a0` or, if `allowWith`, a CTE `WITH w AS (SELECT …)` (in `with`).
   */
  from(aliasPrefix = "a", allowWith = true): { from: SqlNode; scope: ScopeEntry[]; with?: SqlNode } {
    const p = this.prng;
    const derivedKinds: string[] = [];
    if (this.ex.has("fromSubquery")) derivedKinds.push("subquery");
    if (this.ex.has("cte") && allowWith) derivedKinds.push("cte");
    const alias0 = `${aliasPrefix}0`;
    let first: ScopeEntry = { alias: alias0, table: p.pick(this.tables) };
    let firstSql: string | SqlNode = `${first.table.name} AS ${alias0}`;
    let withClause: SqlNode | undefined;
    if (derivedKinds.length > 0 && p.bool(0.25)) {
      const d = this.derived();
      if (p.pick(derivedKinds) === "cte") {
        const name = `w${this.derivedCount++}`;
        withClause = node("fixed", `WITH ${name} AS (`, d.sql, ") ");
        first = { alias: alias0, table: { name, columns: d.columns } };
        firstSql = `${name} AS ${alias0}`;
      } else {
        first = { alias: alias0, table: { name: "(derived)", columns: d.columns } };
        firstSql = node("fixed", "(", d.sql, `) AS ${alias0}`);
      }
    }
    const scope = [first];
    const parts: (string | SqlNode)[] = [firstSql];
    const kinds: string[] = [];
    if (this.ex.has("join")) kinds.push("INNER JOIN", "JOIN");
    if (this.ex.has("crossJoin")) kinds.push("CROSS JOIN");
    if (this.ex.has("outerJoin")) kinds.push("LEFT JOIN", "RIGHT JOIN", "LEFT OUTER JOIN");
    if (this.ex.has("fullJoin")) kinds.push("FULL JOIN", "FULL OUTER JOIN");
    const joins = kinds.length === 0 ? 0 : p.pick([0, 0, 1, 1, 2]);
    for (let j = 1; j <= joins; j++) {
      const entry: ScopeEntry = { alias: `${aliasPrefix}${j}`, table: p.pick(this.tables) };
      let kind = p.pick(kinds);
      // FULL JOIN needs an equality of same-typed columns; without one, the join is a CROSS JOIN.
      if (kind.startsWith("FULL") && this.equiPairs(scope, entry).length === 0) kind = "CROSS JOIN";
      parts.push(` ${kind} ${entry.table.name} AS ${entry.alias}`);
      scope.push(entry);
      if (kind === "CROSS JOIN") continue;
      if (kind.startsWith("FULL")) parts.push(" ON ", this.equiJoin(scope.slice(0, -1), entry));
      else parts.push(" ON ", this.ex.predicate({ scope, outer: [] }, 2));
    }
    return { from: node("fixed", ...parts), scope, with: withClause };
  }

  /** An uncorrelated SELECT over one table, its outputs named r0…, for a derived table or a CTE. */
  private derived(): { sql: SqlNode; columns: ConstrainedColumn[] } {
    const p = this.prng;
    const entry: ScopeEntry = { alias: this.ex.freshAlias(), table: p.pick(this.tables) };
    const ctx: ExprContext = { scope: [entry], outer: [] };
    const items = Array.from({ length: p.range(1, 3) }, () => this.ex.expr(ctx, this.ex.typeIn(ctx), 1));
    const where = node("opt", " WHERE ", this.ex.predicate(ctx, 2));
    const sql = node(
      "fixed",
      "SELECT ",
      ...selectList(items),
      ` FROM ${entry.table.name} AS ${entry.alias}`,
      where,
    );
    return { sql, columns: items.map((e, i) => ({ name: `r${i}`, ty: e.ty as SqlType })) };
  }

  /** `x.ci = y.cj [AND …]` over same-typed columns: PostgreSQL runs FULL JOIN only on hash/merge-joinable ON. */
  private equiJoin(left: readonly ScopeEntry[], right: ScopeEntry): SqlNode {
    const p = this.prng;
    const pairs = this.equiPairs(left, right);
    const chosen = p.shuffle(pairs).slice(0, p.range(1, 2));
    return node("fixed", `(${chosen.join(" AND ")})`);
  }

  /** Every `l.ci = r.cj` over same-typed columns. */
  private equiPairs(left: readonly ScopeEntry[], right: ScopeEntry): string[] {
    const pairs: string[] = [];
    for (const l of left)
      for (const lc of l.table.columns)
        for (const rc of right.table.columns)
          if (lc.ty === rc.ty) pairs.push(`${l.alias}.${lc.name} = ${right.alias}.${rc.name}`);
    return pairs;
  }

  /** A random SELECT (plain or grouped). */
  select(): GenStatement {
    const p = this.prng;
    const { from, scope, with: withClause } = this.from();
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
      // HAVING without GROUP BY makes the whole result one group (feature "havingAlone").
      if (this.ex.has("having") && (keys.length > 0 || this.ex.has("havingAlone")) && p.bool(0.4))
        tail.push(node("opt", " HAVING ", this.ex.predicate(gctx, 2)));
    } else {
      items = [];
      const n = p.range(1, 4);
      for (let i = 0; i < n; i++) items.push(this.ex.expr(ctx, this.ex.typeIn(ctx), 2));
    }
    // DISTINCT ON (e0) keeps the first row of each e0 in an ORDER BY that starts with e0 and lists every output.
    // A constant in ORDER BY is an output position or an error, so the lead must reference a column.
    const lead = items[0] !== undefined && /[a-z]\d+\.[a-z]\d+/.test(render(items[0])) ? items[0] : undefined;
    const distinctOn =
      !grouped && lead !== undefined && this.ex.has("distinctOn") && this.ex.has("orderBy") && p.bool(0.12);
    const distinct = distinctOn
      ? ["DISTINCT ON (", lead, ") "]
      : this.ex.has("distinct") && p.bool(0.2)
        ? ["DISTINCT "]
        : [];
    const order = this.orderBy(items.length, distinctOn ? lead : undefined);
    tail = [...tail, ...order.parts];
    const head: (string | SqlNode)[] = [];
    if (withClause !== undefined) head.push(withClause);
    head.push("SELECT ", ...distinct, ...selectList(items), " FROM ", from);
    if (where !== undefined) head.push(where);
    return { tree: node("fixed", ...head, ...tail), ordered: order.ordered, kind: "query" };
  }

  /** `ORDER BY` every output column (aliases r0…, random directions and NULLS placement), maybe LIMIT/OFFSET. */
  private orderBy(columns: number, lead?: SqlNode): { parts: (string | SqlNode)[]; ordered: boolean } {
    const p = this.prng;
    if (lead === undefined && (!this.ex.has("orderBy") || p.bool(0.5))) return { parts: [], ordered: false };
    const direction = (): string =>
      p.pick(["", " ASC", " DESC"]) + p.pick(["", "", " NULLS FIRST", " NULLS LAST"]);
    const positions = Array.from({ length: columns }, (_, i) => i).filter((i) => lead === undefined || i > 0);
    const keys = p.shuffle(positions).map((i) => `${p.bool(0.3) ? String(i + 1) : `r${i}`}${direction()}`);
    const parts: (string | SqlNode)[] =
      lead === undefined
        ? [` ORDER BY ${keys.join(", ")}`]
        : [" ORDER BY ", lead, direction(), ...keys.map((k) => `, ${k}`)];
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
      const { from, scope } = this.from(prefix, false);
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
    const { from, scope } = this.from("a", false);
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
