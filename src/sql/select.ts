/**
 * Plans a query (the logical shape of PostgreSQL's SELECT, in its order of evaluation): WITH, FROM and
 * joins, WHERE, GROUP BY and aggregates, HAVING, the select list, DISTINCT [ON], set operations, ORDER BY,
 * OFFSET/LIMIT. Each step is a physical node of src/sql/plan-nodes.ts.
 */
import { SqlError } from "../errors.js";
import { type AggCall, Aggregate, aggregateType } from "./aggregate.js";
import {
  type AggSlots,
  type AstNode,
  coerce,
  columnName,
  commonType,
  compileExpr,
  type Expr,
  ident,
} from "./expr.js";
import { compileCtx, conjuncts, planFrom, type QueryCtx, whereFilter } from "./from.js";
import { outputName } from "./names.js";
import {
  Distinct,
  Filter,
  Limit,
  Project,
  SetOp,
  Sort,
  type SortKey,
  Strip,
  ValuesPlan,
} from "./plan-nodes.js";
import { type Plan, Scope, type ScopeColumn } from "./scope.js";
import { castValue, type SqlValue } from "./values.js";
import { planWith } from "./with.js";

/** Plans a full query: WITH, a set-operation chain, ORDER BY and LIMIT. */
export async function planQuery(ast: AstNode, outer: Scope | undefined, q0: QueryCtx): Promise<Plan> {
  const q = ast.with ? await planWith(ast.with, q0) : q0;
  if (ast.type === "values" || (ast.type === undefined && ast.values)) return planValues(ast, outer, q);
  if (ast._next === undefined || ast._next === null) return planBlock(ast, outer, q, true);
  // a chain: a op b op c ...; ORDER BY / LIMIT written after it arrive on its last block
  const blocks: AstNode[] = [];
  const ops: string[] = [];
  for (let b: AstNode = ast; b; b = b._next) {
    blocks.push(b);
    if (b._next) ops.push(String(b.set_op).toLowerCase());
  }
  const last = blocks[blocks.length - 1];
  const tail = { orderby: last.orderby, limit: last.limit };
  const plans: Plan[] = [];
  for (const [i, b] of blocks.entries()) {
    plans.push(
      await planBlock(i === blocks.length - 1 ? { ...b, orderby: null, limit: null } : b, outer, q, true),
    );
  }
  // INTERSECT binds tighter than UNION and EXCEPT
  let i = 0;
  while (i < ops.length) {
    if ((ops[i] as string).startsWith("intersect")) {
      plans.splice(i, 2, setOp(plans[i] as Plan, plans[i + 1] as Plan, ops[i] as string));
      ops.splice(i, 1);
    } else i++;
  }
  let plan = plans[0] as Plan;
  for (const [j, op] of ops.entries()) plan = setOp(plan, plans[j + 1] as Plan, op);
  return orderAndLimit(plan, tail, outer, q);
}

function setOp(a: Plan, b: Plan, op: string): Plan {
  if (a.columns.length !== b.columns.length) {
    throw new SqlError(
      "42601",
      `each ${op.split(" ")[0]?.toUpperCase()} query must have the same number of columns`,
    );
  }
  const types = a.columns.map((c, i) => commonType([c.type, (b.columns[i] as ScopeColumn).type]));
  const columns = a.columns.map((c, i) => ({ ...c, type: types[i] as string }));
  const casts = (row: SqlValue[], side: 0 | 1): SqlValue[] => {
    const cols = side === 0 ? a.columns : b.columns;
    return row.map((v, i) =>
      v === null || cols[i]?.type === types[i] ? v : castValue(v, types[i] as string),
    );
  };
  const kind = op.split(" ")[0] as "union" | "intersect" | "except";
  return new SetOp(a, b, kind, op.endsWith("all"), columns, casts);
}

/** VALUES (...), (...) as a query. */
async function planValues(ast: AstNode, outer: Scope | undefined, q: QueryCtx): Promise<Plan> {
  const rows: AstNode[] = ast.values?.values ?? ast.values ?? [];
  const ctx = compileCtx(q);
  const scope = new Scope([], outer);
  const compiled: Expr[][] = [];
  for (const r of rows)
    compiled.push(await Promise.all((r.value as AstNode[]).map((e) => compileExpr(e, scope, ctx))));
  const width = compiled[0]?.length ?? 0;
  const types = Array.from({ length: width }, (_, i) => commonType(compiled.map((r) => (r[i] as Expr).type)));
  const columns = types.map((t, i) => ({ table: null, name: `column${i + 1}`, type: t }));
  return {
    columns,
    async *rows(o) {
      for (const r of compiled) {
        const out: SqlValue[] = [];
        for (const [i, e] of r.entries()) {
          const v = await coerce(e, types[i] as string).eval({ row: [], outer: o });
          out.push(v === null ? null : castValue(v, types[i] as string));
        }
        yield out;
      }
    },
    explain: () => ["Values Scan"],
  };
}

/** Whether `ast` holds an aggregate call at this query level (subqueries not searched). */
function hasAggregate(ast: AstNode): boolean {
  if (ast === null || typeof ast !== "object") return false;
  if (ast.type === "aggr_func") return true;
  if (ast.ast !== undefined) return false;
  return Object.values(ast).some(hasAggregate);
}

/** A select list expanded: `*` and `t.*` become their columns. */
async function selectItems(ast: AstNode, input: Plan): Promise<{ expr: AstNode; name: string }[]> {
  const out: { expr: AstNode; name: string }[] = [];
  for (const c of ast.columns) {
    const e = c.expr;
    if (e?.type === "column_ref" && e.column === "*") {
      const tbl = e.table === null ? null : ident(typeof e.table === "string" ? e.table : e.table.value);
      const cols = input.columns.filter((col) => !col.hidden && (tbl === null || col.table === tbl));
      if (tbl !== null && cols.length === 0 && !input.columns.some((col) => col.table === tbl)) {
        throw new SqlError("42P01", `missing FROM-clause entry for table "${tbl}"`);
      }
      if (tbl === null && input.columns.length === 0)
        throw new SqlError("42601", "SELECT * with no tables specified is not valid");
      for (const col of cols) {
        out.push({
          expr: { type: "column_ref", table: col.table, column: { expr: { value: col.name } } },
          name: col.name,
        });
      }
    } else out.push({ expr: e, name: c.as ? ident(String(c.as)) : outputName(e) });
  }
  return out;
}

/** Plans one SELECT block; `withTail`: also its ORDER BY and LIMIT. */
async function planBlock(
  ast: AstNode,
  outer: Scope | undefined,
  q: QueryCtx,
  withTail: boolean,
): Promise<Plan> {
  if (ast.type !== "select") throw new SqlError("0A000", `unsupported query: ${ast.type}`);
  const where = conjuncts(ast.where);
  let plan: Plan = (await planFrom(ast.from, q, outer, where)) ?? new ValuesPlan([], [[]]);
  if (ast.where) plan = await whereFilter(plan, ast.where, q, outer);
  const items = await selectItems(ast, plan);
  const grouped =
    (ast.groupby?.columns?.length ?? 0) > 0 ||
    items.some((i) => hasAggregate(i.expr)) ||
    // a HAVING alone groups too: the whole input is one group (one row, or none when HAVING is false)
    (ast.having !== null && ast.having !== undefined) ||
    (ast.orderby ?? []).some((o: AstNode) => hasAggregate(o.expr));
  let agg: AggSlots | undefined;
  let scope = new Scope(plan.columns, outer);
  if (grouped) ({ plan, agg, scope } = await planAggregate(ast, plan, items, outer, q));
  const ctx = { ...compileCtx(q), agg };
  if (ast.having) {
    const pred = coerce(await compileExpr(ast.having, scope, ctx), "boolean");
    plan = new Filter(plan, pred, "HAVING");
  }
  const exprs: Expr[] = [];
  for (const it of items) exprs.push(await compileExpr(it.expr, scope, ctx));
  const columns: ScopeColumn[] = items.map((it, i) => {
    const t = (exprs[i] as Expr).type;
    return { table: null, name: it.name, type: t === "unknown" ? "text" : t, mod: (exprs[i] as Expr).mod };
  });
  // ORDER BY may name output columns (by alias or position) or any expression of the input
  const width = columns.length;
  const extra: Expr[] = [];
  const keys: SortKey[] = withTail ? await sortKeys(ast.orderby, items, scope, ctx, extra, width) : [];
  let out: Plan = new Project(
    plan,
    [...exprs, ...extra],
    [...columns, ...extra.map((e) => ({ table: null, name: "", type: e.type }))],
  );
  if (ast.distinct?.type === "DISTINCT ON") {
    const on: number[] = [];
    for (const d of ast.distinct.columns) {
      const e = await compileExpr(d.expr ?? d, scope, ctx);
      on.push(width + extra.length);
      extra.push(e);
    }
    out = new Project(
      plan,
      [...exprs, ...extra],
      [...columns, ...extra.map((e) => ({ table: null, name: "", type: e.type }))],
    );
    if (keys.length > 0) out = new Sort(out, keys, "ORDER BY");
    out = new Distinct(out, width, on);
    return finishTail(out, ast, width, outer, q);
  }
  if (ast.distinct?.type === "DISTINCT") {
    if (extra.length > 0) {
      throw new SqlError("42P10", "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
    }
    out = new Distinct(out, width);
  }
  if (keys.length > 0)
    out = new Sort(out, keys, keys.map((k) => `${k.index + 1}${k.desc ? " DESC" : ""}`).join(", "));
  return withTail
    ? finishTail(out, ast, width, outer, q)
    : out.columns.length > width
      ? new Strip(out, width)
      : out;
}

async function finishTail(
  plan: Plan,
  ast: AstNode,
  width: number,
  outer: Scope | undefined,
  q: QueryCtx,
): Promise<Plan> {
  let out = plan;
  const lim = await limitExprs(ast.limit, outer, q);
  if (
    plan instanceof Sort &&
    lim.limit?.constant !== undefined &&
    (lim.offset === undefined || lim.offset.constant !== undefined)
  ) {
    // a top-N sort: only LIMIT + OFFSET rows can come out
    const n = lim.limit.constant.value;
    const o = lim.offset?.constant?.value ?? 0n;
    if (n !== null && o !== null) plan.keep = Number(n) + Number(o);
  }
  if (lim.limit !== undefined || lim.offset !== undefined) out = new Limit(out, lim.limit, lim.offset);
  return out.columns.length > width ? new Strip(out, width) : out;
}

async function limitExprs(
  limit: AstNode,
  outer: Scope | undefined,
  q: QueryCtx,
): Promise<{ limit?: Expr; offset?: Expr }> {
  const vals: AstNode[] = limit?.value ?? [];
  if (vals.length === 0) return {};
  const scope = new Scope([], outer);
  const ctx = compileCtx(q);
  const c = async (a: AstNode): Promise<Expr> => coerce(await compileExpr(a, scope, ctx), "bigint");
  if (vals.length === 2) {
    // "LIMIT a OFFSET b" (seperator 'offset') or "LIMIT b, a"
    return limit.seperator === "offset"
      ? { limit: await c(vals[0]), offset: await c(vals[1]) }
      : { limit: await c(vals[1]), offset: await c(vals[0]) };
  }
  return limit.seperator === "offset" && vals.length === 1
    ? { offset: await c(vals[0]) }
    : { limit: await c(vals[0]) };
}

async function sortKeys(
  orderby: AstNode[] | null,
  items: { expr: AstNode; name: string }[],
  scope: Scope,
  ctx: Parameters<typeof compileExpr>[2],
  extra: Expr[],
  width: number,
): Promise<SortKey[]> {
  const keys: SortKey[] = [];
  for (const o of orderby ?? []) {
    const desc = String(o.type ?? "").toUpperCase() === "DESC";
    const nulls = String(o.nulls ?? "").toUpperCase();
    const nullsFirst = nulls === "" ? desc : nulls.includes("FIRST");
    let index: number;
    if (o.expr?.type === "number") {
      index = Number(o.expr.value) - 1;
      if (!(index >= 0 && index < width))
        throw new SqlError("42P10", `ORDER BY position ${o.expr.value} is not in select list`);
    } else {
      const name =
        o.expr?.type === "column_ref" && o.expr.table === null ? ident(columnName(o.expr.column)) : undefined;
      const byAlias = name === undefined ? -1 : items.findIndex((it) => it.name === name);
      const inInput = name !== undefined && scope.columns.some((c) => c.name === name);
      if (byAlias >= 0 && (!inInput || items.filter((it) => it.name === name).length === 1)) index = byAlias;
      else {
        index = width + extra.length;
        extra.push(await compileExpr(o.expr, scope, ctx));
      }
    }
    keys.push({ index, desc, nullsFirst });
  }
  return keys;
}

/** Plans GROUP BY and the aggregate calls; returns the grouped plan and the scope over its rows. */
async function planAggregate(
  ast: AstNode,
  input: Plan,
  items: { expr: AstNode; name: string }[],
  outer: Scope | undefined,
  q: QueryCtx,
): Promise<{ plan: Plan; agg: AggSlots; scope: Scope }> {
  const inScope = new Scope(input.columns, outer);
  const ctx = compileCtx(q);
  const groupAsts: AstNode[] = [];
  for (const g of ast.groupby?.columns ?? []) {
    if (g?.type === "number") {
      const it = items[Number(g.value) - 1];
      if (it === undefined) throw new SqlError("42P10", `GROUP BY position ${g.value} is not in select list`);
      groupAsts.push(it.expr);
      continue;
    }
    const name = g?.type === "column_ref" && g.table === null ? ident(columnName(g.column)) : undefined;
    const alias = name === undefined ? undefined : items.find((it) => it.name === name);
    const inInput = name !== undefined && input.columns.some((c) => c.name === name);
    groupAsts.push(alias !== undefined && !inInput ? alias.expr : g);
  }
  const groups = await Promise.all(groupAsts.map((g) => compileExpr(g, inScope, ctx)));
  const columns: ScopeColumn[] = groups.map((e, i) => {
    const g = groupAsts[i];
    const isCol = g?.type === "column_ref";
    let table: string | null = null;
    if (isCol) {
      const tbl = g.table === null ? null : ident(typeof g.table === "string" ? g.table : g.table.value);
      table = inScope.resolve(tbl, ident(columnName(g.column))).column.table;
    }
    return { table, name: isCol ? ident(columnName(g.column)) : "", type: e.type };
  });
  const keysOf = groupAsts.map((g) => key(g));
  const resolved = groupAsts.map((g) => (g?.type === "column_ref" ? refIndex(g, inScope) : undefined));
  const calls: AggCall[] = [];
  const callKeys: string[] = [];
  const agg: AggSlots = {
    inInput: (table, name) => {
      try {
        return inScope.resolve(table, name).depth === 0;
      } catch {
        return false;
      }
    },
    group: (a: AstNode) => {
      const i = keysOf.indexOf(key(a));
      if (i >= 0) return i;
      if (a?.type !== "column_ref") return undefined;
      const r = refIndex(a, inScope);
      const j = r === undefined ? -1 : resolved.indexOf(r);
      return j >= 0 ? j : undefined;
    },
    aggregate: async (a) => {
      const k = key(a);
      const seen = callKeys.indexOf(k);
      if (seen >= 0) return groups.length + seen;
      const name = String(a.name).toLowerCase();
      const star = a.args?.expr?.type === "star";
      const argAst = star ? undefined : a.args?.expr;
      if (argAst !== undefined && hasAggregate(argAst))
        throw new SqlError("42803", "aggregate function calls cannot be nested");
      const arg = argAst === undefined ? undefined : await compileExpr(argAst, inScope, ctx);
      const sepAst = a.args?.separator?.value ?? a.args?.separator;
      const separator = name === "string_agg" && sepAst ? await compileExpr(sepAst, inScope, ctx) : undefined;
      const type = aggregateType(name, arg?.type);
      calls.push({
        name,
        arg: arg === undefined ? undefined : coerceArg(arg, name),
        distinct: Boolean(a.args?.distinct),
        separator,
        type,
      });
      callKeys.push(k);
      columns.push({ table: null, name, type });
      return groups.length + calls.length - 1;
    },
  };
  const plan = new Aggregate(input, groups, calls, columns);
  return { plan, agg, scope: new Scope(columns, outer) };
}

/** The input column a column reference names at this level, if it resolves there. */
function refIndex(a: AstNode, scope: Scope): number | undefined {
  try {
    const tbl = a.table === null ? null : ident(typeof a.table === "string" ? a.table : a.table.value);
    const r = scope.resolve(tbl, ident(columnName(a.column)));
    return r.depth === 0 ? r.index : undefined;
  } catch {
    return undefined;
  }
}

/** ORDER BY (output columns by position or name) and LIMIT/OFFSET after a set operation. */
async function orderAndLimit(
  plan: Plan,
  tail: { orderby: AstNode; limit: AstNode },
  outer: Scope | undefined,
  q: QueryCtx,
): Promise<Plan> {
  const keys: SortKey[] = [];
  for (const o of tail.orderby ?? []) {
    const desc = String(o.type ?? "").toUpperCase() === "DESC";
    const nulls = String(o.nulls ?? "").toUpperCase();
    let index: number;
    if (o.expr?.type === "number") index = Number(o.expr.value) - 1;
    else if (o.expr?.type === "column_ref") {
      const name = ident(columnName(o.expr.column));
      index = plan.columns.findIndex((c) => c.name === name);
    } else index = -1;
    if (!(index >= 0 && index < plan.columns.length)) {
      throw new SqlError("0A000", "ORDER BY on a set operation must name an output column");
    }
    keys.push({ index, desc, nullsFirst: nulls === "" ? desc : nulls.includes("FIRST") });
  }
  let out = keys.length > 0 ? new Sort(plan, keys, "ORDER BY") : plan;
  const lim = await limitExprs(tail.limit, outer, q);
  if (lim.limit !== undefined || lim.offset !== undefined) out = new Limit(out, lim.limit, lim.offset);
  return out;
}

function coerceArg(e: Expr, name: string): Expr {
  return e.type === "unknown" && (name === "sum" || name === "avg") ? coerce(e, "numeric") : e;
}

/** A structural key of an AST for matching GROUP BY expressions (locations and case ignored). */
function key(a: AstNode): string {
  return JSON.stringify(a, (k, v) =>
    k === "loc" || k === "collate" || k === "parentheses"
      ? undefined
      : typeof v === "string" && k !== "value"
        ? v.toLowerCase()
        : v,
  );
}
