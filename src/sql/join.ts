/**
 * Joins. A hash join when the ON condition holds equalities between the two sides (build a hash table on
 * the right input, stream the left: Kitsuregawa et al.'s classic build/probe), else a nested loop over the
 * materialized right input. Both do INNER, LEFT, RIGHT and FULL outer joins (unmatched right rows are
 * emitted at the end, padded with NULLs) and CROSS joins (no condition). A NULL key never matches.
 */
import type { Expr } from "./expr.js";
import { encodeTuple } from "./keys.js";
import { type Env, explainNode, type Plan, type ScopeColumn } from "./scope.js";
import type { SqlValue } from "./values.js";

export type JoinKind = "inner" | "left" | "right" | "full" | "cross";

/** A join of `left` and `right`; `leftKeys`/`rightKeys` empty means a nested loop. */
export class Join implements Plan {
  readonly columns: readonly ScopeColumn[];

  constructor(
    private readonly left: Plan,
    private readonly right: Plan,
    private readonly kind: JoinKind,
    private readonly leftKeys: readonly Expr[],
    private readonly rightKeys: readonly Expr[],
    /** The rest of the ON condition, over the joined row (or undefined). */
    private readonly residual: Expr | undefined,
  ) {
    this.columns = [...left.columns, ...right.columns];
  }

  async *rows(outer: Env | undefined): AsyncIterable<SqlValue[]> {
    const rightRows: SqlValue[][] = [];
    for await (const r of this.right.rows(outer)) rightRows.push(r);
    const matched = new Uint8Array(rightRows.length);
    const hashed = this.leftKeys.length > 0;
    const table = new Map<string, number[]>();
    if (hashed) {
      for (let i = 0; i < rightRows.length; i++) {
        const k = await keyOf(this.rightKeys, rightRows[i] as SqlValue[], outer);
        if (k === undefined) continue;
        const list = table.get(k);
        if (list === undefined) table.set(k, [i]);
        else list.push(i);
      }
    }
    const rightWidth = this.right.columns.length;
    const leftWidth = this.left.columns.length;
    for await (const l of this.left.rows(outer)) {
      let any = false;
      let candidates: Iterable<number>;
      if (hashed) {
        const k = await keyOf(this.leftKeys, l, outer);
        candidates = k === undefined ? [] : (table.get(k) ?? []);
      } else candidates = rightRows.keys();
      for (const i of candidates) {
        const joined = [...l, ...(rightRows[i] as SqlValue[])];
        if (this.residual !== undefined && (await this.residual.eval({ row: joined, outer })) !== true)
          continue;
        any = true;
        matched[i] = 1;
        yield joined;
      }
      if (!any && (this.kind === "left" || this.kind === "full")) {
        yield [...l, ...new Array<SqlValue>(rightWidth).fill(null)];
      }
    }
    if (this.kind === "right" || this.kind === "full") {
      for (let i = 0; i < rightRows.length; i++) {
        if (matched[i] === 0)
          yield [...new Array<SqlValue>(leftWidth).fill(null), ...(rightRows[i] as SqlValue[])];
      }
    }
  }

  explain(): string[] {
    const kind = this.kind === "cross" ? "" : ` (${this.kind})`;
    const title = this.leftKeys.length > 0 ? `Hash Join${kind}` : `Nested Loop${kind}`;
    return explainNode(title, [this.left, this.right]);
  }
}

async function keyOf(
  exprs: readonly Expr[],
  row: SqlValue[],
  outer: Env | undefined,
): Promise<string | undefined> {
  const vs: SqlValue[] = [];
  for (const e of exprs) {
    const v = await e.eval({ row, outer });
    if (v === null) return undefined;
    vs.push(v);
  }
  return encodeTuple(vs);
}
