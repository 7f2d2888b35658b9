/**
 * The FROM clause: base tables (with the access path the WHERE allows: primary-key point lookups for
 * equalities on every key column, a key-range scan for a range on a one-column integer or text key, else a
 * sequential scan), views, subqueries and CTE references, joined left to right (hash joins on ON
 * equalities, nested loops otherwise).
 */
import { SqlError } from "../errors.js";
import type { Transaction } from "../tx/transaction.js";
import { accessPath } from "./access.js";
import { qualifiedName, readRelation, type TableDef } from "./catalog.js";
import { documentsView } from "./documents.js";
import { type AstNode, type CompileCtx, coerce, columnName, compileExpr, type Expr, ident } from "./expr.js";
import { Join, type JoinKind } from "./join.js";
import { numericResultType } from "./ops.js";
import { Filter } from "./plan-nodes.js";
import { type Plan, Scope, type ScopeColumn } from "./scope.js";
import { castValue, isNumericType, type SqlValue } from "./values.js";

/** What planning a query needs: the transaction, parameters, CTEs in scope, the statement's time. */
export interface QueryCtx {
  tx: Transaction;
  params: readonly SqlValue[];
  now: string;
  /** CTE name -> its plan (innermost WITH first). */
  ctes: Map<string, Plan>;
  planQuery(ast: AstNode, outer: Scope | undefined, q: QueryCtx): Promise<Plan>;
  /**
   * The next value of the sequence at internal key `key` (SERIAL), committed at once in its own
   * transaction: as PostgreSQL's nextval, a value taken is never given back, even if the statement fails.
   */
  nextval(key: string): Promise<number>;
  /** Bytes put before a document view's key prefix (the server's database byte); empty in the library. */
  keyPrefix: Uint8Array;
}

/** A compile context for expressions of a query planned under `q`. */
export function compileCtx(q: QueryCtx): CompileCtx {
  return { params: q.params, now: q.now, subquery: (ast, outer) => q.planQuery(ast, outer, q) };
}

/** Splits an AND tree into its conjuncts. */
export function conjuncts(ast: AstNode): AstNode[] {
  if (
    ast?.type === "binary_expr" &&
    String(ast.operator).toUpperCase() === "AND" &&
    !ast.parentheses_wrapped
  ) {
    return [...conjuncts(ast.left), ...conjuncts(ast.right)];
  }
  return ast === null || ast === undefined ? [] : [ast];
}

/** A relation reference's plan with its columns renamed to `alias`. */
function aliased(plan: Plan, alias: string, names?: string[]): Plan {
  const columns = plan.columns.map((c, i) => ({
    ...c,
    table: alias,
    name: names?.[i] ?? c.name,
    hidden: false,
  }));
  return { columns, rows: (o) => plan.rows(o), explain: () => plan.explain() };
}

/** Plans one FROM item (without its join). */
async function planItem(
  item: AstNode,
  q: QueryCtx,
  outer: Scope | undefined,
  where: AstNode[],
): Promise<Plan> {
  if (item.expr?.ast !== undefined) {
    if (item.as === null || item.as === undefined)
      throw new SqlError("42601", "subquery in FROM must have an alias");
    const sub = await q.planQuery(item.expr.ast, undefined, q);
    return aliased(sub, ident(item.as));
  }
  if (item.table === undefined) throw new SqlError("0A000", "unsupported FROM item");
  const name = ident(item.table);
  const alias = ident(item.as ?? item.table);
  const cte = item.db === null || item.db === undefined ? q.ctes.get(name) : undefined;
  if (cte !== undefined) return aliased(cte, alias);
  const rel = await readRelation(q.tx, qualifiedName(item.db, item.table));
  if (rel === undefined) {
    if (item.db === null || item.db === undefined) {
      const view = await documentsView(q, String(item.table), alias);
      if (view !== undefined) return view;
    }
    throw new SqlError("42P01", `relation "${item.table}" does not exist`);
  }
  if (rel.kind === "view") {
    const sub = await q.planQuery(rel.query, undefined, { ...q, ctes: new Map() });
    return aliased(sub, alias, rel.columns);
  }
  const columns: ScopeColumn[] = rel.columns.map((c) => ({
    table: alias,
    name: c.name,
    type: c.type,
    mod: c.mod,
  }));
  return accessPath(rel, alias, columns, q, outer, where);
}

/**
 * Plans the FROM list: items joined left to right. `where` are the WHERE clause's conjuncts, used to
 * choose access paths for single-table queries. Returns undefined for a query without FROM.
 */
export async function planFrom(
  from: AstNode[] | null,
  q: QueryCtx,
  outer: Scope | undefined,
  where: AstNode[],
  first?: Plan,
): Promise<Plan | undefined> {
  if (first === undefined && (from === null || from === undefined || from.length === 0)) return undefined;
  const items = from ?? [];
  const single = items.length === 1 ? where : [];
  let plan = first ?? (await planItem(items[0], q, outer, single));
  for (const item of first === undefined ? items.slice(1) : items) {
    const right = await planItem(item, q, outer, []);
    const joinWord = String(item.join ?? "CROSS JOIN").toUpperCase();
    const kind: JoinKind = joinWord.startsWith("LEFT")
      ? "left"
      : joinWord.startsWith("RIGHT")
        ? "right"
        : joinWord.startsWith("FULL")
          ? "full"
          : joinWord.startsWith("CROSS") || item.join === undefined
            ? "cross"
            : "inner";
    plan = await join(plan, right, kind, item, q, outer);
  }
  return plan;
}

async function join(
  left: Plan,
  right: Plan,
  kind: JoinKind,
  item: AstNode,
  q: QueryCtx,
  outer: Scope | undefined,
): Promise<Plan> {
  const ctx = compileCtx(q);
  const both = new Scope([...left.columns, ...right.columns], outer);
  if (Array.isArray(item.using)) return usingJoin(left, right, kind, item.using, both, ctx);
  if (item.on === null || item.on === undefined) {
    return new Join(left, right, kind === "inner" ? "cross" : kind, [], [], undefined);
  }
  const lScope = new Scope(left.columns, outer);
  const rScope = new Scope(right.columns, outer);
  const lk: Expr[] = [];
  const rk: Expr[] = [];
  const rest: AstNode[] = [];
  for (const c of conjuncts(item.on)) {
    if (c?.type === "binary_expr" && c.operator === "=") {
      const pair =
        (await trySides(c.left, c.right, lScope, rScope, ctx)) ??
        (await trySides(c.right, c.left, lScope, rScope, ctx));
      if (pair !== undefined) {
        lk.push(pair[0]);
        rk.push(pair[1]);
        continue;
      }
    }
    rest.push(c);
  }
  let residual: Expr | undefined;
  for (const c of rest) {
    const e = coerce(await compileExpr(c, both, ctx), "boolean");
    residual = residual === undefined ? e : andOf(residual, e);
  }
  return new Join(left, right, kind, lk, rk, residual);
}

function andOf(a: Expr, b: Expr): Expr {
  return {
    type: "boolean",
    async eval(env) {
      const x = await a.eval(env);
      if (x === false) return false;
      const y = await b.eval(env);
      if (y === false) return false;
      return x === null || y === null ? null : true;
    },
  };
}

/** `l = r` with `l` over the left input only and `r` over the right only, in a common type; else undefined. */
async function trySides(
  l: AstNode,
  r: AstNode,
  ls: Scope,
  rs: Scope,
  ctx: CompileCtx,
): Promise<[Expr, Expr] | undefined> {
  let a: Expr;
  let b: Expr;
  try {
    a = await compileExpr(l, new Scope(ls.columns), ctx);
    b = await compileExpr(r, new Scope(rs.columns), ctx);
  } catch {
    return undefined;
  }
  if (a.constant !== undefined || b.constant !== undefined) return undefined;
  if (a.type === b.type) return [a, b];
  if (isNumericType(a.type) && isNumericType(b.type)) {
    const t = numericResultType(a.type, b.type);
    const cast = (e: Expr): Expr => ({
      type: t,
      eval: async (env) => {
        const v = await e.eval(env);
        return v === null ? null : castValue(v, t);
      },
    });
    return [cast(a), cast(b)];
  }
  const text = (t: string): boolean => t === "text" || t === "character varying";
  return text(a.type) && text(b.type) ? [a, b] : undefined;
}

/** JOIN ... USING (cols): equalities on the named columns; the right side's copies hidden from `*`. */
async function usingJoin(
  left: Plan,
  right: Plan,
  kind: JoinKind,
  using: AstNode[],
  both: Scope,
  ctx: CompileCtx,
): Promise<Plan> {
  const lk: Expr[] = [];
  const rk: Expr[] = [];
  const hiddenRight = new Set<number>();
  for (const u of using) {
    const name = ident(u.value ?? columnName(u));
    const li = left.columns.findIndex((c) => c.name === name && !c.hidden);
    const ri = right.columns.findIndex((c) => c.name === name && !c.hidden);
    if (li < 0 || ri < 0)
      throw new SqlError("42703", `column "${name}" specified in USING clause does not exist`);
    lk.push({ type: (left.columns[li] as ScopeColumn).type, eval: (env) => env.row[li] as SqlValue });
    rk.push({ type: (right.columns[ri] as ScopeColumn).type, eval: (env) => env.row[ri] as SqlValue });
    hiddenRight.add(ri);
  }
  void both;
  void ctx;
  const j = new Join(left, right, kind, lk, rk, undefined);
  const columns = j.columns.map((c, i) =>
    i >= left.columns.length && hiddenRight.has(i - left.columns.length) ? { ...c, hidden: true } : c,
  );
  return { columns, rows: (o) => j.rows(o), explain: () => j.explain() };
}

/**
 * The scan of an UPDATE's or DELETE's target table `t` as `alias`, its rows carrying their tree key as a
 * last hidden column; `where` (the conjuncts) chooses the access path when `t` is the only table.
 */
export function planTarget(t: TableDef, alias: string, q: QueryCtx, where: AstNode[]): Promise<Plan> {
  const columns: ScopeColumn[] = t.columns.map((c) => ({
    table: alias,
    name: c.name,
    type: c.type,
    mod: c.mod,
  }));
  return accessPath(t, alias, columns, q, undefined, where, true);
}

/** A WHERE filter over `plan`. */
export async function whereFilter(
  plan: Plan,
  where: AstNode,
  q: QueryCtx,
  outer: Scope | undefined,
): Promise<Plan> {
  const pred = coerce(await compileExpr(where, new Scope(plan.columns, outer), compileCtx(q)), "boolean");
  if (pred.type !== "boolean")
    throw new SqlError("42804", `argument of WHERE must be type boolean, not type ${pred.type}`);
  return new Filter(plan, pred, "WHERE");
}
