/**
 * Grouping and aggregate functions (hash aggregation). The grouped row is the GROUP BY values then one
 * value per aggregate call. Result types as PostgreSQL's: COUNT bigint; SUM of smallint/integer bigint, of
 * bigint/numeric numeric, of real/double itself; AVG of integers/numeric numeric (PostgreSQL's division
 * scale), of floats double; MIN/MAX their argument's type. Without GROUP BY an empty input still gives one
 * row (COUNT 0, the others NULL).
 */
import { SqlError } from "../errors.js";
import { Decimal } from "./decimal.js";
import type { AstNode, Expr } from "./expr.js";
import { encodeTuple } from "./keys.js";
import { compareValues } from "./ops.js";
import { type Env, explainNode, type Plan, type ScopeColumn } from "./scope.js";
import {
  castValue,
  FLOAT_TYPES,
  INT_TYPES,
  type SqlType,
  type SqlValue,
  textOf,
  toDecimal,
} from "./values.js";

/** One aggregate call, compiled. */
export interface AggCall {
  name: string;
  /** The argument; undefined for COUNT(*). */
  arg: Expr | undefined;
  distinct: boolean;
  /** STRING_AGG's separator. */
  separator?: Expr;
  type: SqlType;
}

/** The result type of aggregate `name` over `argType`. @throws SqlError 42883 for an unknown aggregate. */
export function aggregateType(name: string, argType: SqlType | undefined): SqlType {
  switch (name) {
    case "count":
      return "bigint";
    case "sum":
      if (argType === "smallint" || argType === "integer") return "bigint";
      if (argType === "bigint" || argType === "numeric" || argType === "unknown") return "numeric";
      if (argType !== undefined && FLOAT_TYPES.has(argType)) return argType;
      throw new SqlError("42883", `function sum(${argType}) does not exist`);
    case "avg":
      if (argType !== undefined && FLOAT_TYPES.has(argType)) return "double precision";
      if (argType !== undefined && (INT_TYPES.has(argType) || argType === "numeric" || argType === "unknown"))
        return "numeric";
      throw new SqlError("42883", `function avg(${argType}) does not exist`);
    case "min":
    case "max":
      return argType === undefined || argType === "unknown" ? "text" : argType;
    case "bool_and":
    case "bool_or":
    case "every":
      return "boolean";
    case "string_agg":
      return "text";
    case "array_agg":
      return `${argType ?? "text"}[]`;
    default:
      throw new SqlError("42883", `function ${name} does not exist`);
  }
}

/** Whether `ast` is an aggregate call node of node-sql-parser. */
export function isAggregate(ast: AstNode): boolean {
  return ast?.type === "aggr_func";
}

interface State {
  n: number;
  acc: SqlValue | SqlValue[];
  seen?: Set<string>;
}

/** Groups `input` by `groups` and computes `calls` per group. */
export class Aggregate implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly groups: readonly Expr[],
    private readonly calls: readonly AggCall[],
    readonly columns: readonly ScopeColumn[],
  ) {}

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    const table = new Map<string, { keys: SqlValue[]; states: State[] }>();
    for await (const row of this.input.rows(outer)) {
      const env = { row, outer };
      const keys: SqlValue[] = [];
      for (const g of this.groups) keys.push(await g.eval(env));
      const k = encodeTuple(keys);
      let group = table.get(k);
      if (group === undefined) {
        group = { keys, states: this.calls.map(() => ({ n: 0, acc: null })) };
        table.set(k, group);
      }
      for (let i = 0; i < this.calls.length; i++) {
        await step(this.calls[i] as AggCall, group.states[i] as State, env);
      }
    }
    if (table.size === 0 && this.groups.length === 0) {
      table.set("", { keys: [], states: this.calls.map(() => ({ n: 0, acc: null })) });
    }
    for (const g of table.values()) {
      yield [...g.keys, ...this.calls.map((c, i) => finish(c, g.states[i] as State))];
    }
  }

  explain(): string[] {
    return explainNode(this.groups.length > 0 ? "HashAggregate" : "Aggregate", [this.input]);
  }
}

async function step(c: AggCall, s: State, env: Env): Promise<void> {
  if (c.arg === undefined) {
    s.n++;
    return;
  }
  const v = await c.arg.eval(env);
  if (v === null && c.name !== "array_agg") return;
  if (c.distinct) {
    s.seen ??= new Set();
    const k = encodeTuple([v]);
    if (s.seen.has(k)) return;
    s.seen.add(k);
  }
  s.n++;
  switch (c.name) {
    case "count":
      return;
    case "sum":
    case "avg":
      s.acc = add(s.acc as SqlValue, v as SqlValue, c.arg.type);
      return;
    case "min":
    case "max": {
      if (
        s.acc === null ||
        (c.name === "min"
          ? compareValues(v as SqlValue, s.acc as SqlValue) < 0
          : compareValues(v as SqlValue, s.acc as SqlValue) > 0)
      )
        s.acc = v;
      return;
    }
    case "bool_and":
    case "every":
      s.acc = s.acc === null ? v : (s.acc as boolean) && (v as boolean);
      return;
    case "bool_or":
      s.acc = s.acc === null ? v : (s.acc as boolean) || (v as boolean);
      return;
    case "string_agg": {
      const sep = c.separator === undefined ? "" : await c.separator.eval(env);
      s.acc =
        s.acc === null
          ? textOf(v as SqlValue)
          : `${s.acc as string}${sep === null ? "" : textOf(sep)}${textOf(v as SqlValue)}`;
      return;
    }
    case "array_agg":
      if (s.acc === null) s.acc = [];
      (s.acc as SqlValue[]).push(v);
      return;
  }
}

function add(acc: SqlValue, v: SqlValue, t: SqlType): SqlValue {
  if (INT_TYPES.has(t) && t !== "bigint") return ((acc as bigint | null) ?? 0n) + BigInt(v as number);
  if (FLOAT_TYPES.has(t)) return ((acc as number | null) ?? 0) + (v as number);
  const d = toDecimal(v);
  return acc === null ? d : (acc as Decimal).add(d);
}

function finish(c: AggCall, s: State): SqlValue {
  if (c.name === "count") return BigInt(s.n);
  if (s.n === 0) return null;
  if (c.name === "sum") {
    if (c.type === "bigint") return castValue(s.acc as SqlValue, "bigint");
    return c.type === "real" ? Math.fround(s.acc as number) : (s.acc as SqlValue);
  }
  if (c.name === "avg") {
    if (c.type === "double precision") return (s.acc as number) / s.n;
    const sum = typeof s.acc === "bigint" ? Decimal.of(s.acc) : (s.acc as Decimal);
    return sum.div(Decimal.of(s.n));
  }
  return s.acc as SqlValue;
}
