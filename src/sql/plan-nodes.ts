/**
 * Physical plan nodes: each streams rows (async iterators, Volcano style: Graefe 1994) and prints itself
 * for EXPLAIN. Only Sort, the build side of a join, Aggregate, Distinct and set operations hold rows; a
 * scan, filter, projection or limit holds one page or one row at a time.
 */
import type { KeyRange } from "../tree/key-range.js";
import type { Transaction } from "../tx/transaction.js";
import type { TableDef } from "./catalog.js";
import type { Expr } from "./expr.js";
import { encodeTuple } from "./keys.js";
import { compareValues } from "./ops.js";
import { type Env, explainNode, type Plan, type ScopeColumn } from "./scope.js";
import { readRow, scanTable } from "./store.js";
import type { SqlValue } from "./values.js";

/** A full or key-range scan of a table, or point reads of given row keys. */
export class TableScan implements Plan {
  constructor(
    readonly columns: readonly ScopeColumn[],
    private readonly tx: Transaction,
    readonly table: TableDef,
    private readonly alias: string,
    private readonly access:
      | { kind: "full" }
      | { kind: "range"; range: KeyRange; what: string }
      | {
          kind: "points";
          keys: (env: Env | undefined) => Promise<string[]>;
          what: string;
        } = { kind: "full" },
    /** Appends each row's tree key as a last (hidden) column: UPDATE and DELETE need it. */
    private readonly withKey = false,
  ) {}

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    if (this.access.kind === "points") {
      for (const k of await this.access.keys(outer)) {
        const r = await readRow(this.tx, this.table, k);
        if (r !== undefined) yield this.withKey ? [...r, k] : r;
      }
      return;
    }
    const range = this.access.kind === "range" ? this.access.range : undefined;
    for await (const r of scanTable(this.tx, this.table, range))
      yield this.withKey ? [...r.values, r.key] : r.values;
  }

  explain(): string[] {
    const name = this.table.name.replace(/^public\./, "");
    const alias = this.alias === name ? "" : ` ${this.alias}`;
    if (this.access.kind === "points") return [`Primary Key Lookup on ${name}${alias} (${this.access.what})`];
    if (this.access.kind === "range")
      return [`Primary Key Range Scan on ${name}${alias} (${this.access.what})`];
    return [`Seq Scan on ${name}${alias}`];
  }
}

/** Fixed rows (VALUES, a SELECT without FROM, a materialized CTE). */
export class ValuesPlan implements Plan {
  constructor(
    readonly columns: readonly ScopeColumn[],
    private readonly data: readonly SqlValue[][] | (() => readonly SqlValue[][]),
    private readonly label = "Result",
  ) {}

  async *rows(): AsyncIterable<SqlValue[]> {
    const data = typeof this.data === "function" ? this.data() : this.data;
    for (const r of data) yield [...r];
  }

  explain(): string[] {
    return [this.label];
  }
}

/** Rows of `input` for which `pred` is TRUE. */
export class Filter implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly pred: Expr,
    private readonly label: string,
  ) {}

  get columns(): readonly ScopeColumn[] {
    return this.input.columns;
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    for await (const row of this.input.rows(outer)) {
      if ((await this.pred.eval({ row, outer })) === true) yield row;
    }
  }

  explain(): string[] {
    return explainNode("Filter", [this.input], [`${this.label}`]);
  }
}

/** Computes `exprs` over each row of `input`. */
export class Project implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly exprs: readonly Expr[],
    readonly columns: readonly ScopeColumn[],
  ) {}

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    for await (const row of this.input.rows(outer)) {
      const env = { row, outer };
      const out: SqlValue[] = [];
      for (const e of this.exprs) out.push(await e.eval(env));
      yield out;
    }
  }

  explain(): string[] {
    return this.input.explain();
  }
}

/** One ORDER BY key: a column of the input, its direction and where NULLs go. */
export interface SortKey {
  index: number;
  desc: boolean;
  nullsFirst: boolean;
}

/** Compares two rows by `keys`. */
export function rowComparator(keys: readonly SortKey[]): (a: SqlValue[], b: SqlValue[]) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = a[k.index] as SqlValue;
      const y = b[k.index] as SqlValue;
      let c: number;
      if (x === null || y === null) {
        if (x === y) continue;
        c = x === null ? (k.nullsFirst ? -1 : 1) : k.nullsFirst ? 1 : -1;
        if (c !== 0) return c;
        continue;
      }
      c = compareValues(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}

/**
 * Sorts all of `input` (stable). With `keep` (set by a constant LIMIT above it), holds at most 2 x keep rows
 * at a time, cutting back to the first `keep` after each stable sort: a top-N sort in O(keep) memory.
 */
export class Sort implements Plan {
  keep: number | undefined;

  constructor(
    private readonly input: Plan,
    private readonly keys: readonly SortKey[],
    private readonly what: string,
  ) {}

  get columns(): readonly ScopeColumn[] {
    return this.input.columns;
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    let all: SqlValue[][] = [];
    const cmp = rowComparator(this.keys);
    const keep = this.keep;
    for await (const r of this.input.rows(outer)) {
      all.push(r);
      if (keep !== undefined && all.length >= 2 * keep + 64) all = all.sort(cmp).slice(0, keep);
    }
    all.sort(cmp);
    yield* keep === undefined ? all : all.slice(0, keep);
  }

  explain(): string[] {
    const title = this.keep === undefined ? "Sort" : `Top-N Sort (${this.keep})`;
    return explainNode(title, [this.input], [`Sort Key: ${this.what}`]);
  }
}

/** OFFSET then LIMIT; stops reading its input once the limit is reached. */
export class Limit implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly limit: Expr | undefined,
    private readonly offset: Expr | undefined,
  ) {}

  get columns(): readonly ScopeColumn[] {
    return this.input.columns;
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    const env = { row: [], outer };
    const lim = this.limit === undefined ? null : await this.limit.eval(env);
    const off = this.offset === undefined ? null : await this.offset.eval(env);
    let skip = off === null ? 0 : Number(off);
    let left = lim === null ? Number.POSITIVE_INFINITY : Number(lim);
    if (left <= 0) return;
    for await (const r of this.input.rows(outer)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield r;
      if (--left <= 0) return;
    }
  }

  explain(): string[] {
    return explainNode("Limit", [this.input]);
  }
}

/** Drops rows equal (as tuples, NULLs equal) to an earlier one; `on`: compares only those columns. */
export class Distinct implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly width: number,
    private readonly on?: readonly number[],
  ) {}

  get columns(): readonly ScopeColumn[] {
    return this.input.columns;
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    const seen = new Set<string>();
    for await (const r of this.input.rows(outer)) {
      const k = encodeTuple(
        this.on === undefined ? r.slice(0, this.width) : this.on.map((i) => r[i] as SqlValue),
      );
      if (seen.has(k)) continue;
      seen.add(k);
      yield r;
    }
  }

  explain(): string[] {
    return explainNode(this.on === undefined ? "HashAggregate (DISTINCT)" : "Unique (DISTINCT ON)", [
      this.input,
    ]);
  }
}

/** Keeps the first `width` columns (drops hidden sort keys). */
export class Strip implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly width: number,
  ) {}

  get columns(): readonly ScopeColumn[] {
    return this.input.columns.slice(0, this.width);
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    for await (const r of this.input.rows(outer)) yield r.length === this.width ? r : r.slice(0, this.width);
  }

  explain(): string[] {
    return this.input.explain();
  }
}

/** UNION / INTERSECT / EXCEPT, with or without ALL (multiset semantics as PostgreSQL's). */
export class SetOp implements Plan {
  constructor(
    private readonly left: Plan,
    private readonly right: Plan,
    private readonly op: "union" | "intersect" | "except",
    private readonly all: boolean,
    readonly columns: readonly ScopeColumn[],
    private readonly casts: (row: SqlValue[], side: 0 | 1) => SqlValue[],
  ) {}

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    if (this.op === "union") {
      const seen = new Set<string>();
      for (const [side, p] of [this.left, this.right].entries()) {
        for await (const r0 of p.rows(outer)) {
          const r = this.casts(r0, side as 0 | 1);
          if (!this.all) {
            const k = encodeTuple(r);
            if (seen.has(k)) continue;
            seen.add(k);
          }
          yield r;
        }
      }
      return;
    }
    const counts = new Map<string, number>();
    for await (const r0 of this.right.rows(outer)) {
      const k = encodeTuple(this.casts(r0, 1));
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const emitted = new Set<string>();
    for await (const r0 of this.left.rows(outer)) {
      const r = this.casts(r0, 0);
      const k = encodeTuple(r);
      const n = counts.get(k) ?? 0;
      if (!this.all && emitted.has(k)) continue;
      if (this.op === "intersect") {
        if (n === 0) continue;
        if (this.all) counts.set(k, n - 1);
      } else if (n > 0) {
        if (this.all) counts.set(k, n - 1);
        continue;
      }
      emitted.add(k);
      yield r;
    }
  }

  explain(): string[] {
    return explainNode(`${this.op[0]?.toUpperCase()}${this.op.slice(1)}${this.all ? " All" : ""}`, [
      this.left,
      this.right,
    ]);
  }
}
