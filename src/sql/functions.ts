/**
 * Scalar SQL functions, with PostgreSQL's names, result types and NULL behaviour (strict functions return
 * NULL for a NULL argument; COALESCE, NULLIF, GREATEST, LEAST and CONCAT are not strict). EXISTS arrives
 * here too: node-sql-parser reads it as a function call over a subquery.
 */
import { SqlError } from "../errors.js";
import { Decimal } from "./decimal.js";
import type { AstNode, CompileCtx, Expr } from "./expr.js";
import { coerce, commonType, constant, fn } from "./expr.js";
import { compareValues } from "./ops.js";
import type { Scope } from "./scope.js";
import { datePart } from "./temporal.js";
import {
  castValue,
  FLOAT_TYPES,
  INT_TYPES,
  rint,
  type SqlType,
  type SqlValue,
  textOf,
  toDecimal,
} from "./values.js";

type Compile = (ast: AstNode, scope: Scope, ctx: CompileCtx) => Promise<Expr>;

/** Compiles a function call. @throws SqlError 42883 for an unknown function or wrong argument count. */
export async function callFunction(
  ast: AstNode,
  scope: Scope,
  ctx: CompileCtx,
  compile: Compile,
): Promise<Expr> {
  const name = String(ast.name?.name?.map((p: { value: string }) => p.value).join(".") ?? "").toLowerCase();
  const rawArgs: AstNode[] = ast.args?.value ?? [];
  if (name === "exists") return exists(rawArgs[0], scope, ctx);
  const args: Expr[] = ast.compiled ?? (await Promise.all(rawArgs.map((a) => compile(a, scope, ctx))));
  const arity = (lo: number, hi = lo): void => {
    if (args.length < lo || args.length > hi) {
      throw new SqlError("42883", `function ${name} with ${args.length} arguments does not exist`);
    }
  };
  const a0 = args[0] as Expr;
  switch (name) {
    case "lower":
    case "upper":
      arity(1);
      return fn("text", [coerce(a0, "text")], ([s]) =>
        name === "lower" ? textOf(s as SqlValue).toLowerCase() : textOf(s as SqlValue).toUpperCase(),
      );
    case "length":
    case "char_length":
    case "character_length":
      arity(1);
      return fn("integer", [coerce(a0, "text")], ([s]) =>
        s instanceof Uint8Array ? s.length : [...textOf(s as SqlValue)].length,
      );
    case "trim":
    case "btrim":
    case "ltrim":
    case "rtrim": {
      arity(1, 2);
      const chars = args[1] === undefined ? constant(" ", "text") : coerce(args[1], "text");
      return fn("text", [coerce(a0, "text"), chars], ([s, c]) =>
        trim(textOf(s as SqlValue), textOf(c as SqlValue), name),
      );
    }
    case "substring":
    case "substr": {
      arity(2, 3);
      const rest = args.slice(1).map((a) => coerce(a, "integer"));
      return fn("text", [coerce(a0, "text"), ...rest], ([s, start, len]) =>
        substring(textOf(s as SqlValue), Number(start), len === undefined ? undefined : Number(len)),
      );
    }
    case "replace":
      arity(3);
      return fn(
        "text",
        args.map((a) => coerce(a, "text")),
        ([s, f, t]) => textOf(s as SqlValue).replaceAll(textOf(f as SqlValue), textOf(t as SqlValue)),
      );
    case "concat":
      return {
        type: "text",
        async eval(env) {
          let out = "";
          for (const a of args) {
            const v = await a.eval(env);
            if (v !== null) out += textOf(v);
          }
          return out;
        },
      };
    case "abs":
      arity(1);
      return fn(numType(a0), [coerce(a0, "numeric")], ([v]) => abs(v as SqlValue));
    case "round":
    case "trunc": {
      arity(1, 2);
      const digits = args[1] === undefined ? undefined : coerce(args[1], "integer");
      const t = roundType(name, a0.type, digits !== undefined);
      const ins = [t === "numeric" ? coerce(a0, "numeric") : coerce(a0, "double precision")];
      if (digits !== undefined) ins.push(digits);
      return fn(t, ins, ([v, d]) =>
        roundValue(v as SqlValue, d === undefined ? 0 : Number(d), t, name === "trunc"),
      );
    }
    case "ceil":
    case "ceiling":
    case "floor": {
      arity(1);
      const up = name !== "floor";
      const t = roundType(name, a0.type, false);
      return fn(t, [coerce(a0, t)], ([v]) => {
        if (t === "numeric") return toDecimal(v as SqlValue).floorCeil(up);
        const x = Number(castValue(v as SqlValue, "double precision"));
        return up ? Math.ceil(x) : Math.floor(x);
      });
    }
    case "mod":
      arity(2);
      return fn(commonType([a0.type, (args[1] as Expr).type]), args, ([a, b]) => {
        if (typeof a === "number" && typeof b === "number") {
          if (b === 0) throw new SqlError("22012", "division by zero");
          return a % b;
        }
        return toDecimal(a as SqlValue).mod(toDecimal(b as SqlValue));
      });
    case "power":
    case "pow":
      arity(2);
      return fn(
        "double precision",
        args.map((a) => coerce(a, "double precision")),
        ([a, b]) =>
          Number(castValue(a as SqlValue, "double precision")) **
          Number(castValue(b as SqlValue, "double precision")),
      );
    case "sqrt":
      arity(1);
      return fn("double precision", [coerce(a0, "double precision")], ([v]) => {
        const x = Number(castValue(v as SqlValue, "double precision"));
        if (x < 0) throw new SqlError("2201F", "cannot take square root of a negative number");
        return Math.sqrt(x);
      });
    case "now":
    case "current_timestamp":
      return constant(ctx.now, "timestamp with time zone");
    case "date_part": {
      arity(2);
      return fn("double precision", [coerce(a0, "text"), args[1] as Expr], ([f, d]) =>
        datePart(textOf(f as SqlValue), textOf(d as SqlValue)),
      );
    }
    case "coalesce": {
      const t = commonType(args.map((a) => a.type));
      const cs = args.map((a) => coerce(a, t));
      return {
        type: t,
        async eval(env) {
          for (const a of cs) {
            const v = await a.eval(env);
            if (v !== null) return a.type === t ? v : castValue(v, t);
          }
          return null;
        },
      };
    }
    case "nullif": {
      arity(2);
      const b = coerce(args[1] as Expr, a0.type);
      return {
        type: a0.type,
        async eval(env) {
          const x = await a0.eval(env);
          const y = await b.eval(env);
          return x !== null && y !== null && compareValues(x, y) === 0 ? null : x;
        },
      };
    }
    case "greatest":
    case "least": {
      const t = commonType(args.map((a) => a.type));
      const cs = args.map((a) => coerce(a, t));
      return {
        type: t,
        async eval(env) {
          let best: SqlValue = null;
          for (const a of cs) {
            const v = await a.eval(env);
            if (v === null) continue;
            if (
              best === null ||
              (name === "greatest" ? compareValues(v, best) > 0 : compareValues(v, best) < 0)
            )
              best = v;
          }
          return best === null ? null : castValue(best, t);
        },
      };
    }
    default:
      throw new SqlError("42883", `function ${name} does not exist`);
  }
}

function numType(e: Expr): SqlType {
  return e.type === "unknown" ? "numeric" : e.type;
}

function abs(v: SqlValue): SqlValue {
  if (typeof v === "number") return Math.abs(v);
  if (typeof v === "bigint") return v < 0n ? -v : v;
  const d = toDecimal(v);
  return d.sign() < 0 ? d.neg() : d;
}

/**
 * The overload PostgreSQL resolves for `round`/`trunc`/`ceil`/`floor` over an argument of type `t`: NUMERIC
 * stays `numeric`; every other numeric type (and an untyped literal) takes the `double precision` overload,
 * double precision being the preferred type of the numeric category (so `round(3)` and `round(SUM(int))` are
 * doubles, `round(SUM(bigint))` is numeric). With a digits argument only `round(numeric, integer)` exists.
 * @throws SqlError 42883 when no overload takes the argument.
 */
function roundType(name: string, t: SqlType, withDigits: boolean): SqlType {
  const numeric = t === "numeric" || t === "unknown" || INT_TYPES.has(t);
  if (withDigits) {
    if (numeric) return "numeric";
  } else if (t === "numeric") return "numeric";
  else if (numeric || FLOAT_TYPES.has(t)) return "double precision";
  const sig = withDigits ? `${t}, integer` : t;
  throw new SqlError("42883", `function ${name}(${sig}) does not exist`);
}

function roundValue(v: SqlValue, digits: number, t: SqlType, truncate: boolean): SqlValue {
  if (t === "double precision") {
    const x = Number(castValue(v, "double precision"));
    return truncate ? Math.trunc(x) : rint(x);
  }
  const d = toDecimal(v);
  if (!truncate) return d.round(digits);
  const r = d.round(digits);
  // truncation: step back towards zero when rounding went away from it
  const diff = r.sub(d);
  if (diff.sign() !== 0 && diff.sign() === d.sign()) {
    const step = new Decimal(1n, Math.max(digits, 0));
    return d.sign() > 0 ? r.sub(step) : r.add(step);
  }
  return r;
}

function trim(s: string, chars: string, name: string): string {
  const set = new Set([...chars]);
  const cs = [...s];
  let i = 0;
  let j = cs.length;
  if (name !== "rtrim") while (i < j && set.has(cs[i] as string)) i++;
  if (name !== "ltrim") while (j > i && set.has(cs[j - 1] as string)) j--;
  return cs.slice(i, j).join("");
}

/** SUBSTRING(s, start[, len]) with PostgreSQL's 1-based start that may lie before the string. */
function substring(s: string, start: number, len: number | undefined): string {
  const cs = [...s];
  if (len !== undefined && len < 0) throw new SqlError("22011", "negative substring length not allowed");
  const from = Math.max(start, 1);
  const to = len === undefined ? cs.length + 1 : start + len;
  if (to <= from) return "";
  return cs.slice(from - 1, to - 1).join("");
}

async function exists(arg: AstNode, scope: Scope, ctx: CompileCtx): Promise<Expr> {
  if (arg?.ast === undefined) throw new SqlError("42601", "EXISTS needs a subquery");
  const plan = await ctx.subquery(arg.ast, scope);
  return {
    type: "boolean",
    async eval(env) {
      for await (const _ of plan.rows(env)) return true;
      return false;
    },
  };
}
