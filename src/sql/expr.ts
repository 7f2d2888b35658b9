/**
 * Compiles node-sql-parser expression ASTs into typed evaluators over a row environment, with
 * PostgreSQL's three-valued logic (NULL propagates through operators; AND/OR/NOT follow Kleene's tables;
 * a WHERE keeps a row only when its condition is TRUE). Untyped string literals and text parameters take
 * the type of the other operand, as PostgreSQL resolves `unknown`. Function calls live in
 * src/sql/functions.ts; subqueries are planned through the context (src/sql/select.ts).
 */
import { SqlError } from "../errors.js";
import { Decimal } from "./decimal.js";
import { anyAll, caseExpr, inExpr, jsonGet, scalarSubquery } from "./expr-more.js";
import { callFunction } from "./functions.js";
import { arith, comparable, compareValues, like, negate, numericResultType } from "./ops.js";
import type { Env, Plan, Scope } from "./scope.js";
import {
  castValue,
  isNumericType,
  type SqlType,
  type SqlValue,
  type TypeMod,
  textOf,
  typeName,
  typeOfValue,
} from "./values.js";

/** A compiled expression: its type and an evaluator. */
export interface Expr {
  type: SqlType;
  mod?: TypeMod;
  eval(env: Env): SqlValue | Promise<SqlValue>;
  /** A literal's or parameter's value, known before any row. */
  constant?: { value: SqlValue };
}

/** How aggregate queries map group expressions and aggregate calls to the grouped row's slots. */
export interface AggSlots {
  /** The slot of a GROUP BY expression equal to `ast`, if any. */
  group(ast: unknown): number | undefined;
  /** Whether the grouped input has that column (a reference to it outside GROUP BY is 42803). */
  inInput(table: string | null, name: string): boolean;
  /** The slot computing aggregate call `ast`. */
  aggregate(ast: AstNode): Promise<number>;
}

/** What the compiler needs besides the scope. */
export interface CompileCtx {
  params: readonly SqlValue[];
  /** Plans a subquery whose outer scope is `outer`. */
  subquery(ast: unknown, outer: Scope): Promise<Plan>;
  /** Set while compiling the select list, HAVING and ORDER BY of an aggregate query. */
  agg?: AggSlots;
  /** The statement's start time as timestamptz text (NOW, CURRENT_TIMESTAMP). */
  now: string;
}

/** A parser AST node, read loosely. */
// biome-ignore lint/suspicious/noExplicitAny: node-sql-parser's AST is untyped JSON
export type AstNode = any;

const TRUE_OPS = new Set(["AND", "OR"]);
const CMP_OPS = new Set(["=", "<>", "!=", "<", "<=", ">", ">="]);

/** A constant expression. */
export function constant(value: SqlValue, type: SqlType): Expr {
  return { type, eval: () => value, constant: { value } };
}

/** The column name of a column_ref's `column` field (a string, or `{ expr: { value } }`). */
export function columnName(column: AstNode): string {
  if (typeof column === "string") return column;
  const v = column?.expr?.value;
  if (typeof v !== "string") throw new SqlError("0A000", "unsupported column reference");
  return v;
}

/** The value of `ast` as an SQL identifier (unquoted names fold to lower case). */
export function ident(s: string): string {
  return s.toLowerCase();
}

/** Compiles `ast` in `scope`. @throws SqlError for unknown columns, type errors, unsupported syntax. */
export async function compileExpr(ast: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  if (ctx.agg !== undefined && ast?.type !== undefined) {
    const slot = ctx.agg.group(ast);
    if (slot !== undefined) return slotExpr(ast, slot, scope);
  }
  switch (ast?.type) {
    case "number": {
      if (typeof ast.value === "number") {
        if (Number.isInteger(ast.value)) {
          return Math.abs(ast.value) <= 2147483647
            ? constant(ast.value, "integer")
            : constant(BigInt(ast.value), "bigint");
        }
        return constant(Decimal.of(ast.value), "numeric");
      }
      return constant(Decimal.parse(String(ast.value)), "numeric");
    }
    case "bigint": {
      if (!/^-?\d+$/.test(String(ast.value))) return constant(Decimal.parse(String(ast.value)), "numeric");
      const b = BigInt(ast.value);
      return b >= -(2n ** 63n) && b < 2n ** 63n
        ? constant(b, "bigint")
        : constant(Decimal.parse(ast.value), "numeric");
    }
    case "single_quote_string":
    case "string":
    case "double_quote_string":
      return constant(ast.value, "unknown");
    case "bool":
      return constant(ast.value, "boolean");
    case "date":
    case "time":
    case "timestamp": {
      const t = typeName(String(ast.type));
      return constant(castValue(String(ast.value), t), t);
    }
    case "null":
      return constant(null, "unknown");
    case "var":
      return param(ast, ctx);
    case "column_ref":
      return columnRef(ast, scope, ctx);
    case "unary_expr":
      return unary(ast, scope, ctx);
    case "binary_expr":
      return binary(ast, scope, ctx);
    case "cast": {
      const inner = await compileExpr(ast.expr, scope, ctx);
      const target = ast.target?.[0] ?? {};
      const t = typeName(target.dataType);
      const mod = target.dataType.match?.(/CHAR/i)
        ? { length: target.length }
        : { precision: target.length, scale: target.scale };
      return fn(t, [inner], ([v]) => castValue(v as SqlValue, t, mod), mod);
    }
    case "case":
      return caseExpr(ast, scope, ctx);
    case "function":
      if (/^not$/i.test(ast.name?.name?.[0]?.value ?? "") && ast.args?.value?.length === 1) {
        return unary({ operator: "NOT", expr: ast.args.value[0] }, scope, ctx);
      }
      return callFunction(ast, scope, ctx, compileExpr);
    case "extract": {
      const src = await compileExpr(ast.args.source, scope, ctx);
      const field = constant(String(ast.args.field), "text");
      return callFunction(
        { name: { name: [{ value: "date_part" }] }, compiled: [field, src] },
        scope,
        ctx,
        compileExpr,
      );
    }
    case "aggr_func": {
      if (ctx.agg === undefined) throw new SqlError("42803", "aggregate functions are not allowed here");
      const slot = await ctx.agg.aggregate(ast);
      return slotExpr(ast, slot, scope);
    }
    case "array": {
      const items = await Promise.all(
        (ast.expr_list?.value ?? []).map((a: AstNode) => compileExpr(a, scope, ctx)),
      );
      const t = items.find((i: Expr) => i.type !== "unknown")?.type ?? "text";
      return fn(`${t}[]`, items, (vs) => vs.map((v) => (v === null ? null : castValue(v, t))));
    }
    case "expr_list":
      if (ast.value?.length === 1) return compileExpr(ast.value[0], scope, ctx);
      throw new SqlError("0A000", "row constructors are not supported");
    default:
      if (ast?.ast !== undefined) return scalarSubquery(ast.ast, scope, ctx);
      throw new SqlError("0A000", `unsupported expression: ${ast?.type ?? JSON.stringify(ast)}`);
  }
}

function slotExpr(_ast: AstNode, slot: number, scope: Scope): Expr {
  const col = scope.columns[slot];
  return { type: col?.type ?? "unknown", eval: (env) => env.row[slot] as SqlValue };
}

function param(ast: AstNode, ctx: CompileCtx): Expr {
  const n = Number(ast.name);
  if (!(n >= 1 && n <= ctx.params.length)) throw new SqlError("42P02", `there is no parameter $${ast.name}`);
  const v = ctx.params[n - 1] as SqlValue;
  return constant(v, typeof v === "string" ? "unknown" : typeOfValue(v));
}

function columnRef(ast: AstNode, scope: Scope, ctx: CompileCtx): Expr {
  const name = ident(columnName(ast.column));
  if (name === "*") throw new SqlError("42601", "* is not allowed here");
  const table = ast.table === null || ast.table === undefined ? null : ident(ast.table);
  let r: ReturnType<Scope["resolve"]>;
  try {
    r = scope.resolve(table, name);
  } catch (err) {
    if (ctx.agg?.inInput(table, name) === true) {
      throw new SqlError(
        "42803",
        `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
      );
    }
    throw err;
  }
  if (ctx.agg !== undefined && r.depth === 0) {
    throw new SqlError(
      "42803",
      `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
    );
  }
  const { depth, index } = r;
  const base: Expr = {
    type: r.column.type,
    mod: r.column.mod,
    eval: (env) => rowAt(env, depth)[index] as SqlValue,
  };
  return base;
}

function rowAt(env: Env, depth: number): SqlValue[] {
  let e: Env | undefined = env;
  for (let i = 0; i < depth; i++) e = e?.outer;
  if (e === undefined) throw new Error("fusedb assertion failed: outer row missing");
  return e.row;
}

/** An expression over `args` whose result is NULL when any argument is (strict functions). */
export function fn(
  type: SqlType,
  args: readonly Expr[],
  f: (vs: SqlValue[]) => SqlValue,
  mod?: TypeMod,
): Expr {
  return {
    type,
    mod,
    async eval(env) {
      const vs: SqlValue[] = [];
      for (const a of args) {
        const v = await a.eval(env);
        if (v === null) return null;
        vs.push(v);
      }
      return f(vs);
    },
  };
}

/** `e` coerced to `t` when it is an untyped literal or parameter (PostgreSQL's unknown resolution). */
export function coerce(e: Expr, t: SqlType): Expr {
  if (e.type !== "unknown" || t === "unknown") return e;
  if (e.constant !== undefined) {
    const v =
      e.constant.value === null ? null : castValue(e.constant.value, t === "character varying" ? "text" : t);
    return constant(v, t);
  }
  return { type: t, eval: async (env) => castValue(await e.eval(env), t) };
}

async function unary(ast: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const op = String(ast.operator).toUpperCase();
  if (op === "NOT EXISTS" || op === "EXISTS") {
    const call = { type: "function", name: { name: [{ value: "exists" }] }, args: { value: [ast.expr] } };
    const ex = await callFunction(call, scope, ctx, compileExpr);
    return op === "EXISTS" ? ex : { type: "boolean", eval: async (env) => notValue(await ex.eval(env)) };
  }
  const e = await compileExpr(ast.expr, scope, ctx);
  if (op === "NOT") {
    const b = coerce(e, "boolean");
    return { type: "boolean", eval: async (env) => notValue(await b.eval(env)) };
  }
  if (op === "-") {
    const n = e.type === "unknown" ? coerce(e, "numeric") : e;
    if (n.constant !== undefined && n.constant.value !== null) {
      const v = negate(n.constant.value, n.type);
      return constant(
        v,
        n.type === "integer" && typeof v === "number" && v === -2147483648 ? "integer" : n.type,
      );
    }
    return fn(n.type, [n], ([v]) => negate(v as SqlValue, n.type));
  }
  if (op === "+") return e;
  throw new SqlError("0A000", `unsupported operator ${op}`);
}

/** NOT in three-valued logic. */
export function notValue(v: SqlValue): SqlValue {
  return v === null ? null : !v;
}

async function binary(ast: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const op = String(ast.operator).toUpperCase();
  if (TRUE_OPS.has(op)) {
    const l = coerce(await compileExpr(ast.left, scope, ctx), "boolean");
    const r = coerce(await compileExpr(ast.right, scope, ctx), "boolean");
    return op === "AND" ? andExpr(l, r) : orExpr(l, r);
  }
  if (op === "IN" || op === "NOT IN") return inExpr(ast, op === "NOT IN", scope, ctx);
  if (op === "BETWEEN" || op === "NOT BETWEEN") {
    const x = await compileExpr(ast.left, scope, ctx);
    const [lo, hi] = ast.right.value;
    const ge = await cmpExpr(">=", x, await compileExpr(lo, scope, ctx));
    const le = await cmpExpr("<=", x, await compileExpr(hi, scope, ctx));
    const both = andExpr(ge, le);
    return op === "BETWEEN" ? both : { type: "boolean", eval: async (env) => notValue(await both.eval(env)) };
  }
  if (op === "IS" || op === "IS NOT") return isExpr(ast, op === "IS NOT", scope, ctx);
  if (op === "IS DISTINCT FROM" || op === "IS NOT DISTINCT FROM") {
    const l = await compileExpr(ast.left, scope, ctx);
    const r = await compileExpr(ast.right, scope, ctx);
    const neg = op === "IS DISTINCT FROM";
    return {
      type: "boolean",
      async eval(env) {
        const a = await l.eval(env);
        const b = await r.eval(env);
        const same = a === null || b === null ? a === b : compareValues(a, b) === 0;
        return neg ? !same : same;
      },
    };
  }
  const left = await compileExpr(ast.left, scope, ctx);
  if (ast.right?.type === "function" && /^(ANY|ALL|SOME)$/i.test(ast.right.name?.name?.[0]?.value ?? "")) {
    return anyAll(op, left, ast.right, scope, ctx);
  }
  const right = await compileExpr(ast.right, scope, ctx);
  if (CMP_OPS.has(op)) return cmpExpr(op, left, right);
  if (op === "LIKE" || op === "NOT LIKE" || op === "ILIKE" || op === "NOT ILIKE") {
    const fold = op.includes("ILIKE");
    const neg = op.startsWith("NOT");
    return fn("boolean", [coerce(left, "text"), coerce(right, "text")], ([s, p]) => {
      const m = like(textOf(s as SqlValue), textOf(p as SqlValue), fold);
      return neg ? !m : m;
    });
  }
  if (op === "||") {
    return fn("text", [left, right], ([a, b]) => textOf(a as SqlValue) + textOf(b as SqlValue));
  }
  if (op === "->" || op === "->>") return jsonGet(op, left, right);
  if (["+", "-", "*", "/", "%"].includes(op)) {
    const t = numericResultType(left.type, right.type);
    if (!isNumericType(t))
      throw new SqlError("42883", `operator does not exist: ${left.type} ${op} ${right.type}`);
    return fn(t, [coerce(left, t), coerce(right, t)], ([a, b]) => arith(op, a as SqlValue, b as SqlValue, t));
  }
  throw new SqlError("0A000", `unsupported operator ${op}`);
}

function andExpr(l: Expr, r: Expr): Expr {
  return {
    type: "boolean",
    async eval(env) {
      const a = await l.eval(env);
      if (a === false) return false;
      const b = await r.eval(env);
      if (b === false) return false;
      return a === null || b === null ? null : true;
    },
  };
}

function orExpr(l: Expr, r: Expr): Expr {
  return {
    type: "boolean",
    async eval(env) {
      const a = await l.eval(env);
      if (a === true) return true;
      const b = await r.eval(env);
      if (b === true) return true;
      return a === null || b === null ? null : false;
    },
  };
}

/** `l op r` for a comparison operator, unknown operands resolved to the other side's type. */
export async function cmpExpr(op: string, l0: Expr, r0: Expr): Promise<Expr> {
  const l = coerce(l0, r0.type);
  const r = coerce(r0, l.type);
  if (!comparable(l.type, r.type)) {
    throw new SqlError("42883", `operator does not exist: ${l.type} ${op} ${r.type}`);
  }
  return fn("boolean", [l, r], ([a, b]) => cmpResult(op, compareValues(a as SqlValue, b as SqlValue)));
}

/** Whether comparison result `c` satisfies operator `op`. */
export function cmpResult(op: string, c: number): boolean {
  switch (op) {
    case "=":
      return c === 0;
    case "<>":
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    default:
      return c >= 0;
  }
}

async function isExpr(ast: AstNode, neg: boolean, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  const l = await compileExpr(ast.left, scope, ctx);
  const target = ast.right?.type === "null" ? null : ast.right?.type === "bool" ? ast.right.value : undefined;
  if (target === undefined) throw new SqlError("42601", "syntax error at IS");
  return {
    type: "boolean",
    async eval(env) {
      const v = await l.eval(env);
      const hit = target === null ? v === null : v === target;
      return neg ? !hit : hit;
    },
  };
}

/** The type a set of branches (CASE, COALESCE, UNION) resolves to: numeric types widen, unknown yields. */
export function commonType(types: readonly SqlType[]): SqlType {
  let t: SqlType = "unknown";
  for (const x of types) {
    if (x === "unknown") continue;
    if (t === "unknown") t = x;
    else if (isNumericType(t) && isNumericType(x)) t = numericResultType(t, x);
    else if (t !== x && !(isText(t) && isText(x))) {
      throw new SqlError("42804", `types ${t} and ${x} cannot be matched`);
    } else if (isText(t) && isText(x) && t !== x) t = "text";
  }
  return t === "unknown" ? "text" : t;
}

function isText(t: SqlType): boolean {
  return t === "text" || t === "character varying";
}
