/**
 * The expression forms of src/sql/expr.ts that read many values: IN over a list or a subquery, ANY/ALL,
 * CASE, scalar subqueries, and the JSON operators `->` / `->>`, each with PostgreSQL's NULL rules.
 */
import { SqlError } from "../errors.js";
import {
  type AstNode,
  type CompileCtx,
  cmpExpr,
  cmpResult,
  coerce,
  commonType,
  compileExpr,
  type Expr,
  fn,
} from "./expr.js";
import { compareValues } from "./ops.js";
import type { Env, Scope } from "./scope.js";
import { castValue, jsonbText, SqlJson, type SqlType, type SqlValue } from "./values.js";

/** x [NOT] IN (list | subquery): TRUE if some element equals x; else NULL if x or any element is NULL. */
export async function inExpr(ast: AstNode, neg: boolean, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const x = await compileExpr(ast.left, scope, ctx);
  const list = ast.right?.value ?? [];
  let values: (env: Env) => AsyncIterable<SqlValue> | Iterable<SqlValue> | Promise<SqlValue[]>;
  let xt = x;
  if (list.length === 1 && list[0]?.ast !== undefined) {
    const plan = await ctx.subquery(list[0].ast, scope);
    if (plan.columns.length !== 1) throw new SqlError("42601", "subquery has too many columns");
    xt = coerce(x, (plan.columns[0] as { type: SqlType }).type);
    values = async function* (env) {
      for await (const row of plan.rows(env)) yield row[0] as SqlValue;
    };
  } else {
    const items = await Promise.all(list.map((a: AstNode) => compileExpr(a, scope, ctx)));
    const t = x.type !== "unknown" ? x.type : (items.find((i: Expr) => i.type !== "unknown")?.type ?? "text");
    xt = coerce(x, t);
    const coerced = items.map((i: Expr) => coerce(i, t));
    values = async (env) => Promise.all(coerced.map((i: Expr) => i.eval(env)));
  }
  return {
    type: "boolean",
    async eval(env) {
      const v = await xt.eval(env);
      let sawNull = false;
      let any = false;
      const it = await values(env);
      for await (const e of it as AsyncIterable<SqlValue>) {
        if (v === null) {
          any = true;
          break;
        }
        if (e === null) sawNull = true;
        else if (compareValues(v, e) === 0) return !neg;
      }
      if (v === null) return any ? null : neg;
      return sawNull ? null : neg;
    },
  };
}

export async function anyAll(
  op: string,
  left: Expr,
  call: AstNode,
  scope: Scope,
  ctx: CompileCtx,
): Promise<Expr> {
  const all = /^ALL$/i.test(call.name.name[0].value);
  const arg = call.args?.value?.[0];
  let elems: (env: Env) => Promise<SqlValue[] | null>;
  let l = left;
  if (arg?.ast !== undefined) {
    const plan = await ctx.subquery(arg.ast, scope);
    l = coerce(left, (plan.columns[0] as { type: SqlType }).type);
    elems = async (env) => {
      const out: SqlValue[] = [];
      for await (const row of plan.rows(env)) out.push(row[0] as SqlValue);
      return out;
    };
  } else {
    const a = await compileExpr(arg, scope, ctx);
    const et = a.type.endsWith("[]") ? a.type.slice(0, -2) : "unknown";
    l = coerce(left, et);
    elems = async (env) => (await a.eval(env)) as SqlValue[] | null;
  }
  return {
    type: "boolean",
    async eval(env) {
      const v = await l.eval(env);
      const xs = await elems(env);
      if (xs === null) return null;
      let sawNull = v === null && xs.length > 0;
      if (v === null) return xs.length === 0 ? all : null;
      for (const e of xs) {
        if (e === null) {
          sawNull = true;
          continue;
        }
        const hit = cmpResult(op, compareValues(v, e));
        if (all && !hit) return false;
        if (!all && hit) return true;
      }
      return sawNull ? null : all;
    },
  };
}

export async function caseExpr(ast: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const subject =
    ast.expr === null || ast.expr === undefined ? undefined : await compileExpr(ast.expr, scope, ctx);
  const whens: { cond: Expr; result: Expr }[] = [];
  let otherwise: Expr | undefined;
  for (const a of ast.args) {
    const result = await compileExpr(a.result, scope, ctx);
    if (a.type === "else") otherwise = result;
    else {
      const c = await compileExpr(a.cond, scope, ctx);
      whens.push({
        cond: subject === undefined ? coerce(c, "boolean") : await cmpExpr("=", subject, c),
        result,
      });
    }
  }
  const results = [...whens.map((w) => w.result), ...(otherwise === undefined ? [] : [otherwise])];
  const t = commonType(results.map((r) => r.type));
  const cast = (e: Expr): Expr => coerce(e, t);
  return {
    type: t,
    async eval(env) {
      for (const w of whens) {
        if ((await w.cond.eval(env)) === true) return castTo(await cast(w.result).eval(env), t);
      }
      return otherwise === undefined ? null : castTo(await cast(otherwise).eval(env), t);
    },
  };
}

function castTo(v: SqlValue, t: SqlType): SqlValue {
  return v === null || t === "unknown" ? v : castValue(v, t);
}

export async function scalarSubquery(sub: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const plan = await ctx.subquery(sub, scope);
  if (plan.columns.length !== 1) throw new SqlError("42601", "subquery must return only one column");
  return {
    type: (plan.columns[0] as { type: SqlType }).type,
    async eval(env) {
      let out: SqlValue = null;
      let n = 0;
      for await (const row of plan.rows(env)) {
        if (++n > 1)
          throw new SqlError("21000", "more than one row returned by a subquery used as an expression");
        out = row[0] as SqlValue;
      }
      return out;
    },
  };
}

/** `j -> k` (jsonb) and `j ->> k` (text): an object field by name or an array element by index. */
export function jsonGet(op: string, left: Expr, right: Expr): Expr {
  const l = coerce(left, "jsonb");
  return fn(op === "->" ? "jsonb" : "text", [l, right], ([j, k]) => {
    const doc = j instanceof SqlJson ? j.v : undefined;
    let v: unknown;
    if (typeof k === "number" && Array.isArray(doc)) v = doc[k < 0 ? doc.length + k : k];
    else if (typeof k === "string" && doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
      v = (doc as Record<string, unknown>)[k];
    }
    if (v === undefined) return null;
    if (op === "->") return new SqlJson(v);
    if (v === null) return null;
    return typeof v === "string" ? v : jsonbText(v);
  });
}
