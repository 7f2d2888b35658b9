/**
 * WITH: common table expressions, each computed once per statement on first use and kept (a CTE is
 * uncorrelated). WITH RECURSIVE evaluates `anchor UNION [ALL] recursive` by PostgreSQL's iteration: the
 * working table starts as the anchor's rows; each round runs the recursive part over the working table
 * and the new rows (for UNION: those never seen before) become the next working table, until a round adds
 * none. So UNION over a cyclic graph terminates; UNION ALL over a cycle would not, and stops with an error
 * past {@link RECURSIVE_ROWS_MAX} rows instead of running forever.
 */
import { SqlError } from "../errors.js";
import type { AstNode } from "./expr.js";
import { ident } from "./expr.js";
import type { QueryCtx } from "./from.js";
import { encodeTuple } from "./keys.js";
import type { Plan, ScopeColumn } from "./scope.js";
import { castValue, type SqlValue } from "./values.js";

/** Bound on the rows one recursive CTE may produce. */
export const RECURSIVE_ROWS_MAX = 1_000_000;

/** `q` with the WITH list's CTEs added (each sees the ones before it, and a recursive one itself). */
export async function planWith(list: AstNode[], q0: QueryCtx): Promise<QueryCtx> {
  const q: QueryCtx = { ...q0, ctes: new Map(q0.ctes) };
  for (const cte of list) {
    const name = ident(String(cte.name?.value ?? cte.name));
    const names: string[] | undefined = cte.columns?.map((c: AstNode) =>
      ident(String(c.column?.expr?.value ?? c.value ?? c)),
    );
    const stmt = cte.stmt?.ast ?? cte.stmt;
    const recursive = cte.recursive === true || list.some((c) => c.recursive === true);
    const refersToSelf = recursive && stmt._next && JSON.stringify(stmt._next).includes(`"table":"${name}"`);
    const plan = refersToSelf
      ? await recursivePlan(name, stmt, names, q)
      : await q.planQuery(stmt, undefined, q);
    q.ctes.set(name, materialized(plan, names));
  }
  return q;
}

function renamed(columns: readonly ScopeColumn[], names: string[] | undefined): ScopeColumn[] {
  if (names !== undefined && names.length > columns.length) {
    throw new SqlError(
      "42P10",
      `WITH query has ${columns.length} columns available but ${names.length} columns specified`,
    );
  }
  return columns.map((c, i) => ({ ...c, table: null, name: names?.[i] ?? c.name }));
}

/** A plan whose rows are computed on first use and replayed after. */
function materialized(plan: Plan, names: string[] | undefined): Plan {
  let rows: SqlValue[][] | undefined;
  return {
    columns: renamed(plan.columns, names),
    async *rows(outer) {
      if (rows === undefined) {
        const all: SqlValue[][] = [];
        for await (const r of plan.rows(outer)) all.push(r);
        rows = all;
      }
      for (const r of rows) yield [...r];
    },
    explain: () => ["CTE Scan", ...plan.explain().map((l) => `  ${l}`)],
  };
}

async function recursivePlan(
  name: string,
  stmt: AstNode,
  names: string[] | undefined,
  q: QueryCtx,
): Promise<Plan> {
  const op = String(stmt.set_op ?? "").toLowerCase();
  if (op !== "union" && op !== "union all") {
    throw new SqlError(
      "42P19",
      `recursive query "${name}" does not have the form non-recursive-term UNION [ALL] recursive-term`,
    );
  }
  const anchorAst = { ...stmt, _next: undefined, set_op: undefined };
  const anchor = await q.planQuery(anchorAst, undefined, q);
  const columns = renamed(anchor.columns, names);
  let working: SqlValue[][] = [];
  const self: Plan = {
    columns,
    async *rows() {
      for (const r of working) yield [...r];
    },
    explain: () => [`WorkTable Scan on ${name}`],
  };
  const inner: QueryCtx = { ...q, ctes: new Map(q.ctes) };
  inner.ctes.set(name, self);
  const recursive = await q.planQuery(stmt._next, undefined, inner);
  if (recursive.columns.length !== columns.length) {
    throw new SqlError("42601", "each UNION query must have the same number of columns");
  }
  const types = columns.map((c) => c.type);
  const typedRow = (r: SqlValue[]): SqlValue[] =>
    r.map((v, i) => (v === null ? null : castValue(v, types[i] as string)));
  const all = op === "union all";
  return {
    columns,
    async *rows(outer) {
      const seen = new Set<string>();
      let produced = 0;
      const isNew = (r: SqlValue[]): boolean => {
        if (all) return true;
        const k = encodeTuple(r);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      };
      let next: SqlValue[][] = [];
      for await (const r0 of anchor.rows(outer)) {
        const r = typedRow(r0);
        if (isNew(r)) next.push(r);
      }
      while (next.length > 0) {
        produced += next.length;
        if (produced > RECURSIVE_ROWS_MAX) {
          throw new SqlError(
            "54001",
            `recursive query "${name}" produced more than ${RECURSIVE_ROWS_MAX} rows`,
          );
        }
        for (const r of next) yield [...r];
        working = next;
        next = [];
        for await (const r0 of recursive.rows(outer)) {
          const r = typedRow(r0);
          if (isNew(r)) next.push(r);
        }
      }
    },
    explain: () => [
      "Recursive Union",
      ...anchor.explain().map((l) => `  ${l}`),
      ...recursive.explain().map((l) => `  ${l}`),
    ],
  };
}
