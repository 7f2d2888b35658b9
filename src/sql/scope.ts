/**
 * Name resolution and the shapes shared by the expression compiler (src/sql/expr.ts) and the planner
 * (src/sql/select.ts): a scope lists the columns a row carries (with the table alias each came from), and
 * an environment carries the row being evaluated plus the rows of enclosing queries (correlated
 * subqueries read those).
 */
import { SqlError } from "../errors.js";
import type { SqlType, SqlValue, TypeMod } from "./values.js";

/** One column of a row flowing through a plan. */
export interface ScopeColumn {
  /** The alias of the table it came from (lower case), or null for a computed column. */
  table: string | null;
  name: string;
  type: SqlType;
  mod?: TypeMod;
  /** Hidden from `*` (a join's duplicated USING column). */
  hidden?: boolean;
}

/** The columns of the current query level, and the enclosing levels' (for correlated references). */
export class Scope {
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly outer?: Scope,
  ) {}

  /**
   * Where `table.name` (or `name`) is: `depth` levels out, at `index`.
   * @throws SqlError 42703 undefined column, 42702 ambiguous, 42P01 unknown table alias.
   */
  resolve(table: string | null, name: string): { depth: number; index: number; column: ScopeColumn } {
    let scope: Scope | undefined = this;
    let tableSeen = false;
    for (let depth = 0; scope !== undefined; depth++, scope = scope.outer) {
      let found = -1;
      for (let i = 0; i < scope.columns.length; i++) {
        const c = scope.columns[i] as ScopeColumn;
        if (table !== null && c.table !== table) continue;
        if (table !== null) tableSeen = true;
        if (c.name !== name) continue;
        if (found >= 0 && !(c.hidden || (scope.columns[found] as ScopeColumn).hidden)) {
          throw new SqlError("42702", `column reference "${name}" is ambiguous`);
        }
        if (found < 0 || (scope.columns[found] as ScopeColumn).hidden) found = i;
      }
      if (found >= 0) return { depth, index: found, column: scope.columns[found] as ScopeColumn };
    }
    if (table !== null && !tableSeen) {
      throw new SqlError("42P01", `missing FROM-clause entry for table "${table}"`);
    }
    throw new SqlError("42703", `column ${table === null ? "" : `${table}.`}${name} does not exist`);
  }
}

/** The row being evaluated and those of enclosing query levels. */
export interface Env {
  row: SqlValue[];
  outer?: Env;
}

/** A row source: a physical plan node. `rows` streams; `explain` prints the node and its inputs. */
export interface Plan {
  readonly columns: readonly ScopeColumn[];
  rows(outer: Env | undefined): AsyncIterable<SqlValue[]>;
  explain(): string[];
}

/** `lines` indented under a node's title, as EXPLAIN prints a tree. */
export function explainNode(title: string, children: readonly Plan[], details: string[] = []): string[] {
  const out = [title, ...details.map((d) => `  ${d}`)];
  for (const c of children) {
    const [first, ...rest] = c.explain();
    out.push(`  ->  ${first}`);
    for (const l of rest) out.push(`      ${l}`);
  }
  return out;
}
