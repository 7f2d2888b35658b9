/**
 * Random, well-typed SQL expressions and predicates for the query generator (sim/sql-gen.ts): column
 * references from the tables in scope, literals, arithmetic, functions, CASE, three-valued predicates
 * (AND/OR/NOT, IS NULL, IN, BETWEEN, LIKE) and subqueries (IN, EXISTS, scalar), all fully parenthesized so
 * operator precedence never changes the meaning. Every expression is valid PostgreSQL for the schema.
 * Idea: SQLancer's typed expression generators (Rigger and Su, "Finding Bugs in Database Systems via Query
 * Partitioning", OOPSLA 2020).
 */
import type { Prng } from "./disk/prng.js";
import { isNumericType, leaf, node, SQL_TYPE_NAMES, type SqlNode, type SqlType } from "./sql-ast.js";
import type { SqlFeatures } from "./sql-features.js";

/** A column of a generated table. Column `c0` is the INTEGER primary key. */
export interface SqlColumn {
  readonly name: string;
  readonly ty: SqlType;
}

/** A generated table. */
export interface SqlTable {
  readonly name: string;
  readonly columns: readonly SqlColumn[];
}

/** A table in a FROM clause under an alias; its columns are referenced as `alias.column`. */
export interface ScopeEntry {
  readonly alias: string;
  readonly table: SqlTable;
}

/** Where an expression is built: the tables it may reference, and for grouped queries the allowed leaves. */
export interface ExprContext {
  /** Tables of this query level. */
  readonly scope: readonly ScopeEntry[];
  /** Tables of enclosing queries (correlated references), possibly empty. */
  readonly outer: readonly ScopeEntry[];
  /** Grouped query: leaves are these keys and aggregates over `scope`, never bare columns. */
  readonly groupKeys?: readonly SqlNode[];
}

/** The casts the generator writes, by target type: sources whose every generated value converts. */
const CAST_SOURCES: Record<SqlType, SqlType[]> = {
  int: ["numeric", "double", "bool"],
  bigint: ["int", "numeric"],
  numeric: ["int", "double"],
  double: ["int", "numeric"],
  text: ["int", "bigint", "numeric", "double", "bool"],
  bool: [],
};

/** Text values use this alphabet (byte order equals PostgreSQL's "C" collation order; `_`, `%` test LIKE). */
const TEXT_ALPHABET = "abcAB_%";

/** The expression part of the generator: owns the random stream, the tables and the feature mask. */
export class ExprGen {
  private subqueryCount = 0;

  constructor(
    readonly prng: Prng,
    readonly features: SqlFeatures,
    readonly tables: readonly SqlTable[],
  ) {}

  /** True if feature `f` is on. */
  has(f: Parameters<SqlFeatures["has"]>[0]): boolean {
    return this.features.has(f);
  }

  /** The column types the schema may use under the mask (INTEGER always). */
  types(): SqlType[] {
    const out: SqlType[] = ["int"];
    for (const t of ["bigint", "numeric", "double", "text", "bool"] as const) if (this.has(t)) out.push(t);
    return out;
  }

  /** A literal of type `ty` as SQL text (never NULL). Values are small so products never overflow. */
  literal(ty: SqlType): string {
    const p = this.prng;
    switch (ty) {
      case "int":
        return String(p.range(-20, 20));
      case "bigint":
        return p.bool(0.3) ? String(p.pick([3000000000, -3000000000, 4294967296])) : String(p.range(-20, 20));
      case "numeric": {
        const cents = p.range(-2000, 2000);
        const sign = cents < 0 ? "-" : "";
        const abs = Math.abs(cents);
        return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
      }
      case "double":
        return String(p.range(-40, 40) / 4);
      case "text": {
        const n = p.range(0, 3);
        let s = "";
        for (let i = 0; i < n; i++) s += p.pick([...TEXT_ALPHABET]);
        return `'${s}'`;
      }
      case "bool":
        return p.bool() ? "TRUE" : "FALSE";
    }
  }

  /** A literal node; negative numbers are parenthesized. */
  literalNode(ty: SqlType): SqlNode {
    const text = this.literal(ty);
    return leaf(ty, text.startsWith("-") ? `(${text})` : text);
  }

  /** A fresh alias for a subquery's table. */
  freshAlias(): string {
    return `s${this.subqueryCount++}`;
  }

  /** The columns of type `ty` (or of its family, if `family`) visible in `entries`. */
  private columnsOf(entries: readonly ScopeEntry[], ty: SqlType, family: boolean): SqlNode[] {
    const out: SqlNode[] = [];
    for (const e of entries) {
      for (const c of e.table.columns) {
        const fits = c.ty === ty || (family && isNumericType(c.ty) && isNumericType(ty));
        if (fits) out.push(leaf(c.ty, `${e.alias}.${c.name}`));
      }
    }
    return out;
  }

  /** A leaf of type `ty`: a column (this level, sometimes an outer one), a group key or aggregate, or a literal. */
  private leafOf(ctx: ExprContext, ty: SqlType): SqlNode {
    const p = this.prng;
    if (ctx.groupKeys !== undefined) {
      const keys = ctx.groupKeys.filter((k) => k.ty === ty);
      if (keys.length > 0 && p.bool(0.4)) return p.pick(keys);
      const agg = this.has("aggregates") && p.bool(0.7) ? this.aggregate(ctx, ty) : undefined;
      return agg ?? this.literalNode(ty);
    }
    const outer = ctx.outer.length > 0 && p.bool(0.25) ? this.columnsOf(ctx.outer, ty, false) : [];
    const cols = outer.length > 0 ? outer : this.columnsOf(ctx.scope, ty, false);
    if (cols.length > 0 && p.bool(0.85)) return p.pick(cols);
    return this.literalNode(ty);
  }

  /**
   * An aggregate whose result has type `ty`, over expressions of `ctx.scope`, or undefined if none fits.
   * PostgreSQL's result types: COUNT is BIGINT; SUM(INTEGER) BIGINT; SUM(BIGINT/NUMERIC) NUMERIC; SUM(DOUBLE)
   * DOUBLE; MIN/MAX keep the type; AVG of an integer or NUMERIC is NUMERIC.
   */
  aggregate(ctx: ExprContext, ty: SqlType): SqlNode | undefined {
    const p = this.prng;
    // Arguments see this level's tables only: an aggregate over outer columns belongs to the outer query.
    const inner: ExprContext = { scope: ctx.scope, outer: [] };
    const options: (() => SqlNode)[] = [];
    if (ty === "bigint") {
      options.push(() => leaf("bigint", "COUNT(*)"));
      options.push(() => node("bigint", "COUNT(", this.expr(inner, p.pick(this.types()), 1), ")"));
      options.push(() => node("bigint", "SUM(", this.expr(inner, "int", 1), ")"));
    }
    if (ty === "numeric") {
      if (this.has("bigint")) options.push(() => node("numeric", "SUM(", this.expr(inner, "bigint", 1), ")"));
      if (this.has("avg")) options.push(() => node("numeric", "AVG(", this.expr(inner, "int", 1), ")"));
      options.push(() => node("numeric", "SUM(", this.expr(inner, "numeric", 1), ")"));
    }
    if (ty === "double") options.push(() => node("double", "SUM(", this.expr(inner, "double", 1), ")"));
    if (ty !== "bool") {
      const fn = p.pick(["MIN", "MAX"]);
      options.push(() => node(ty, `${fn}(`, this.expr(inner, ty, 1), ")"));
    }
    if (options.length === 0) return undefined;
    return p.pick(options)();
  }

  /** A scalar expression of type `ty`, at most `depth` operators deep. Never of another type. */
  expr(ctx: ExprContext, ty: SqlType, depth: number): SqlNode {
    const p = this.prng;
    if (ty === "bool") return this.predicate(ctx, depth);
    if (depth <= 0 || p.bool(0.45)) return this.leafOf(ctx, ty);
    const options: (() => SqlNode)[] = [() => this.leafOf(ctx, ty)];
    if (this.has("arith") && isNumericType(ty)) {
      options.push(() => {
        const op = p.pick(["+", "-", "*"]);
        // A product's right operand is a small literal, so values stay far from overflow (an overflow error's
        // presence would depend on which rows each engine's plan evaluates).
        if (op === "*") return node(ty, "(", this.expr(ctx, ty, depth - 1), ` * ${p.range(0, 3)})`);
        return node(ty, "(", this.expr(ctx, ty, depth - 1), ` ${op} `, this.expr(ctx, ty, depth - 1), ")");
      });
      if (ty !== "double") options.push(() => node(ty, "(-", this.expr(ctx, ty, depth - 1), ")"));
    }
    if (this.has("functions")) {
      if (isNumericType(ty)) options.push(() => node(ty, "ABS(", this.expr(ctx, ty, depth - 1), ")"));
      if (ty === "text") {
        const fn = p.pick(["LOWER", "UPPER"]);
        options.push(() => node(ty, `${fn}(`, this.expr(ctx, ty, depth - 1), ")"));
        options.push(() =>
          node(ty, "(", this.expr(ctx, ty, depth - 1), " || ", this.expr(ctx, ty, depth - 1), ")"),
        );
      }
      if (ty === "int" && this.has("text")) {
        options.push(() => node("int", "LENGTH(", this.expr(ctx, "text", depth - 1), ")"));
      }
      options.push(() =>
        node(ty, "COALESCE(", this.expr(ctx, ty, depth - 1), ", ", this.expr(ctx, ty, depth - 1), ")"),
      );
    }
    if (this.has("cast")) {
      const from = CAST_SOURCES[ty].filter((t) => t === "int" || this.has(t));
      if (from.length > 0) {
        options.push(() =>
          node(ty, "CAST(", this.expr(ctx, p.pick(from), depth - 1), ` AS ${SQL_TYPE_NAMES[ty]})`),
        );
      }
    }
    if (this.has("division") && isNumericType(ty)) {
      // NULLIF keeps division by zero out: whether it is reached depends on the plan (which rows it evaluates).
      const op = ty === "int" || ty === "bigint" ? p.pick(["/", "%"]) : "/";
      options.push(() =>
        node(
          ty,
          "(",
          this.expr(ctx, ty, depth - 1),
          ` ${op} NULLIF(`,
          this.expr(ctx, ty, depth - 1),
          ", 0))",
        ),
      );
    }
    if (this.has("mathFunctions") && (ty === "numeric" || ty === "double")) {
      const fn = p.pick(["ROUND", "CEIL", "FLOOR"]);
      options.push(() => node(ty, `${fn}(`, this.expr(ctx, ty, depth - 1), ")"));
      if (ty === "numeric")
        options.push(() => node(ty, "ROUND(", this.expr(ctx, ty, depth - 1), `, ${p.range(0, 2)})`));
    }
    if (this.has("stringFunctions") && ty === "text") {
      options.push(() => node(ty, "TRIM(", this.expr(ctx, ty, depth - 1), ")"));
      options.push(() => {
        const [start, count] = [p.range(-1, 3), p.range(0, 3)];
        const tail = p.bool() ? ` FROM ${start} FOR ${count})` : `, ${start}, ${count})`;
        return node(ty, "SUBSTRING(", this.expr(ctx, ty, depth - 1), tail);
      });
    }
    if (this.has("case")) {
      options.push(() =>
        node(
          ty,
          "(CASE WHEN ",
          this.predicate(ctx, depth - 1),
          " THEN ",
          this.expr(ctx, ty, depth - 1),
          " ELSE ",
          this.expr(ctx, ty, depth - 1),
          " END)",
        ),
      );
    }
    if (this.has("scalarSubquery") && ctx.groupKeys === undefined && depth >= 2) {
      options.push(() => this.scalarSubquery(ctx, ty));
    }
    return p.pick(options)();
  }

  /**
   * A GROUP BY key: a column of `ctx.scope`, sometimes inside an expression (PostgreSQL reads a bare integer
   * constant as an output position, so keys always hold a column).
   */
  groupKey(ctx: ExprContext): SqlNode {
    const p = this.prng;
    const entry = p.pick(ctx.scope);
    const col = p.pick(entry.table.columns);
    const ref = leaf(col.ty, `${entry.alias}.${col.name}`);
    if (this.has("arith") && isNumericType(col.ty) && p.bool(0.25)) {
      return node(col.ty, "(", ref, ` + ${p.range(1, 3)})`);
    }
    if (this.has("functions") && col.ty === "text" && p.bool(0.25)) return node("text", "LOWER(", ref, ")");
    return ref;
  }

  /**
   * A type for an operand or output column: usually the type of a column in scope (so expressions reference
   * the data rather than fold to constants), otherwise any enabled type.
   */
  typeIn(ctx: ExprContext): SqlType {
    const p = this.prng;
    const cols = ctx.scope.flatMap((e) => e.table.columns);
    if (cols.length > 0 && p.bool(0.75)) return p.pick(cols).ty;
    return p.pick(this.types());
  }

  /** The type for the other side of a comparison with a `ty` operand (another numeric type is allowed). */
  private partnerType(ty: SqlType): SqlType {
    if (!isNumericType(ty) || this.prng.bool(0.6)) return ty;
    return this.prng.pick(this.types().filter(isNumericType));
  }

  /** A three-valued predicate (BOOLEAN expression), at most `depth` connectives deep. */
  predicate(ctx: ExprContext, depth: number): SqlNode {
    const p = this.prng;
    const options: (() => SqlNode)[] = [() => this.comparison(ctx, depth)];
    if (depth > 0) {
      if (this.has("andOrNot")) {
        options.push(() => {
          const op = p.pick(["AND", "OR"]);
          return node(
            "bool",
            "(",
            this.predicate(ctx, depth - 1),
            ` ${op} `,
            this.predicate(ctx, depth - 1),
            ")",
          );
        });
        options.push(() => node("bool", "(NOT ", this.predicate(ctx, depth - 1), ")"));
      }
      if (this.has("isNull")) {
        options.push(() => {
          const not = p.bool() ? " NOT" : "";
          return node("bool", "(", this.expr(ctx, this.typeIn(ctx), depth - 1), ` IS${not} NULL)`);
        });
      }
      if (this.has("inList")) options.push(() => this.inList(ctx, depth));
      if (this.has("between")) {
        options.push(() => {
          const picked = this.typeIn(ctx);
          const ty = picked === "bool" ? "int" : picked;
          const not = p.bool(0.3) ? " NOT" : "";
          const e = this.expr(ctx, ty, depth - 1);
          return node(
            "bool",
            "(",
            e,
            `${not} BETWEEN `,
            this.leafOf(ctx, ty),
            " AND ",
            this.leafOf(ctx, ty),
            ")",
          );
        });
      }
      if (this.has("like") && this.has("text")) {
        options.push(() => {
          const not = p.bool(0.3) ? " NOT" : "";
          const op = this.has("ilike") && p.bool(0.4) ? "ILIKE" : "LIKE";
          const pattern = this.likePattern();
          return node("bool", "(", this.expr(ctx, "text", depth - 1), `${not} ${op} '${pattern}')`);
        });
      }
      if (this.has("anyAll") && ctx.groupKeys === undefined) options.push(() => this.anyAll(ctx, depth));
      if (this.has("subqueryIn") && ctx.groupKeys === undefined)
        options.push(() => this.inSubquery(ctx, depth));
      if (this.has("exists") && ctx.groupKeys === undefined) options.push(() => this.exists(ctx, depth));
    }
    if (this.has("bool")) options.push(() => this.leafOf(ctx, "bool"));
    return p.pick(options)();
  }

  /** `a op b` over comparable operands, `op` one of PostgreSQL's six comparison operators. */
  private comparison(ctx: ExprContext, depth: number): SqlNode {
    const p = this.prng;
    const ty = this.typeIn(ctx);
    const op = p.pick(["=", "<>", "<", "<=", ">", ">="]);
    const left = this.expr(ctx, ty, Math.max(0, depth - 1));
    const right = this.expr(ctx, this.partnerType(ty), Math.max(0, depth - 1));
    return node("bool", "(", left, ` ${op} `, right, ")");
  }

  /** `e [NOT] IN (literals…)`, sometimes with a NULL in the list (three-valued NOT IN). */
  private inList(ctx: ExprContext, depth: number): SqlNode {
    const p = this.prng;
    const ty = this.typeIn(ctx);
    const n = p.range(1, 4);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(this.has("nulls") && p.bool(0.15) ? "NULL" : this.literal(ty));
    const not = p.bool(0.3) ? " NOT" : "";
    return node("bool", "(", this.expr(ctx, ty, depth - 1), `${not} IN (${items.join(", ")}))`);
  }

  /** A LIKE pattern over the text alphabet with `%` and `_` wildcards (no escapes). */
  private likePattern(): string {
    const p = this.prng;
    const n = p.range(0, 4);
    let s = "";
    for (let i = 0; i < n; i++) s += p.pick(["a", "b", "c", "A", "%", "%", "_"]);
    return s;
  }

  /** A subquery's FROM entry over a random table under a fresh alias. */
  private subScope(): ScopeEntry {
    return { alias: this.freshAlias(), table: this.prng.pick(this.tables) };
  }

  /** The context inside a subquery: its own table, the enclosing tables as correlated outer references. */
  private subContext(ctx: ExprContext, entry: ScopeEntry): ExprContext {
    return { scope: [entry], outer: [...ctx.scope, ...ctx.outer] };
  }

  /** `e [NOT] IN (SELECT s.c FROM t AS s WHERE …)`, possibly correlated. */
  private inSubquery(ctx: ExprContext, depth: number): SqlNode {
    const p = this.prng;
    const entry = this.subScope();
    const col = p.pick(entry.table.columns);
    const inner = this.subContext(ctx, entry);
    const not = p.bool(0.3) ? " NOT" : "";
    const where = node("opt", " WHERE ", this.predicate(inner, depth - 1));
    return node(
      "bool",
      "(",
      this.expr(ctx, this.partnerType(col.ty), depth - 1),
      `${not} IN (SELECT ${entry.alias}.${col.name} FROM ${entry.table.name} AS ${entry.alias}`,
      where,
      "))",
    );
  }

  /** `e op ANY|ALL (SELECT s.c FROM t AS s WHERE …)`: three-valued over the subquery's rows. */
  private anyAll(ctx: ExprContext, depth: number): SqlNode {
    const p = this.prng;
    const entry = this.subScope();
    const col = p.pick(entry.table.columns);
    const inner = this.subContext(ctx, entry);
    const op = p.pick(["=", "<>", "<", "<=", ">", ">="]);
    const quantifier = p.pick(["ANY", "ALL", "SOME"]);
    const where = node("opt", " WHERE ", this.predicate(inner, depth - 1));
    return node(
      "bool",
      "(",
      this.expr(ctx, this.partnerType(col.ty), depth - 1),
      ` ${op} ${quantifier} (SELECT ${entry.alias}.${col.name} FROM ${entry.table.name} AS ${entry.alias}`,
      where,
      "))",
    );
  }

  /** `[NOT] EXISTS (SELECT 1 FROM t AS s WHERE …)`, usually correlated. */
  private exists(ctx: ExprContext, depth: number): SqlNode {
    const entry = this.subScope();
    const inner = this.subContext(ctx, entry);
    const not = this.prng.bool(0.3) ? "NOT " : "";
    const where = node("opt", " WHERE ", this.predicate(inner, depth - 1));
    return node("bool", `(${not}EXISTS (SELECT 1 FROM ${entry.table.name} AS ${entry.alias}`, where, "))");
  }

  /** `(SELECT agg(…) FROM t AS s WHERE …)`: one row always, so never a cardinality error. */
  private scalarSubquery(ctx: ExprContext, ty: SqlType): SqlNode {
    const entry = this.subScope();
    const inner = this.subContext(ctx, entry);
    const agg = this.aggregate({ ...inner, groupKeys: [] }, ty);
    if (agg === undefined) return this.leafOf(ctx, ty);
    const where = node("opt", " WHERE ", this.predicate(inner, 1));
    return node(ty, "(SELECT ", agg, ` FROM ${entry.table.name} AS ${entry.alias}`, where, ")");
  }
}
