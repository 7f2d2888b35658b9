/**
 * Access paths of a base table (the physical choice for a FROM item): primary-key point lookups when the
 * WHERE gives an equality on every key column, a key-range scan for constant bounds on a one-column
 * integer or text primary key, then UNIQUE constraints' and CREATE INDEX indexes' entries for equalities
 * (or constant ranges on a one-column integer or text index), else a sequential scan. The WHERE is still
 * applied on top, so a path only has to return a superset of the matching rows, in any order.
 */
import type { TableDef } from "./catalog.js";
import { type AstNode, coerce, columnName, compileExpr, type Expr, ident } from "./expr.js";
import { compileCtx, type QueryCtx } from "./from.js";
import { encodeItem, encodeTuple, indexPrefix, prefixEnd, rowPrefix, uniquePrefix } from "./keys.js";
import { TableScan } from "./plan-nodes.js";
import { type Plan, Scope, type ScopeColumn } from "./scope.js";
import { castValue, INT_TYPES, isNumericType, type SqlValue } from "./values.js";

/** The cheapest scan of `t` that the WHERE conjuncts `where` allow (they are still applied afterwards). */
export async function accessPath(
  t: TableDef,
  alias: string,
  columns: ScopeColumn[],
  q: QueryCtx,
  outer: Scope | undefined,
  where: AstNode[],
  withKey = false,
): Promise<Plan> {
  const pk = t.primaryKey;
  if (withKey) columns = [...columns, { table: "", name: "", type: "text", hidden: true }];
  const ctx = compileCtx(q);
  const eq = new Map<number, Expr>();
  const ranges: { col: number; op: string; e: Expr }[] = [];
  for (const c of where) {
    const op = String(c?.operator ?? "");
    if (c?.type !== "binary_expr" || !["=", "<", "<=", ">", ">="].includes(op)) continue;
    for (const [colSide, valSide, flip] of [
      [c.left, c.right, false],
      [c.right, c.left, true],
    ] as const) {
      if (colSide?.type !== "column_ref") continue;
      const tbl =
        colSide.table === null
          ? null
          : ident(typeof colSide.table === "string" ? colSide.table : colSide.table.value);
      if (tbl !== null && tbl !== alias) continue;
      const col = t.columns.findIndex((x) => x.name === ident(columnName(colSide.column)));
      if (col < 0) continue;
      if (
        tbl === null &&
        outer !== undefined &&
        !columns.some((x) => x.name === ident(columnName(colSide.column)))
      )
        continue;
      if (mentions(valSide, alias, columns)) continue;
      let v: Expr;
      try {
        v = await compileExpr(valSide, new Scope([], outer), ctx); // must not depend on this table's row
      } catch {
        continue;
      }
      const ct = (t.columns[col] as { type: string }).type;
      const typed = coerce(v, ct);
      if (!(typed.type === ct || (isNumericType(typed.type) && isNumericType(ct)))) continue;
      if (op === "=") eq.set(col, typed);
      else ranges.push({ col, op: flip ? mirror(op) : op, e: typed });
    }
  }
  if (pk === null) return indexPath(t, alias, columns, q, eq, ranges, withKey);
  const keyCols = pk.map((c) => t.columns[c] as { name: string; type: string });
  if (pk.every((c) => eq.has(c))) {
    const exprs = pk.map((c) => eq.get(c) as Expr);
    const what = keyCols.map((c) => `${c.name} = ?`).join(" AND ");
    return new TableScan(
      columns,
      q.tx,
      t,
      alias,
      {
        kind: "points",
        what,
        keys: async (env) => {
          const vs: SqlValue[] = [];
          for (const [i, e] of exprs.entries()) {
            const v = await e.eval({ row: [], outer: env });
            if (v === null) return [];
            const ct = (keyCols[i] as { type: string }).type;
            const cv = keyValue(v, ct);
            if (cv === undefined) return [];
            vs.push(cv);
          }
          return [rowPrefix(t.id) + encodeTuple(vs)];
        },
      },
      withKey,
    );
  }
  const kt = (keyCols[0] as { type: string }).type;
  const pkRanges = pk.length === 1 ? ranges.filter((r) => r.col === pk[0]) : [];
  if (pkRanges.length > 0 && (INT_TYPES.has(kt) || kt === "text" || kt === "character varying")) {
    const consts = pkRanges.filter((r) => r.e.constant !== undefined && r.e.constant.value !== null);
    if (consts.length > 0) {
      const prefix = rowPrefix(t.id);
      const range: { gt?: string; gte?: string; lt?: string; lte?: string } = {};
      let lo: string | undefined;
      let hi: string | undefined;
      for (const r of consts) {
        const v = keyValue((r.e.constant as { value: SqlValue }).value, kt);
        if (v === undefined) continue;
        const k = prefix + encodeTuple([v]);
        if (r.op === ">" || r.op === ">=") {
          if (lo === undefined || k > lo)
            [lo, range.gt, range.gte] = [k, r.op === ">" ? k : undefined, r.op === ">=" ? k : undefined];
        } else if (hi === undefined || k < hi)
          [hi, range.lt, range.lte] = [k, r.op === "<" ? k : undefined, r.op === "<=" ? k : undefined];
      }
      if (range.gt === undefined && range.gte === undefined) range.gte = prefix;
      if (range.lt === undefined && range.lte === undefined) range.lt = prefixEnd(prefix);
      // a "<=" bound on an integer key covers only that exact key: the tuple has no suffix
      const clean = Object.fromEntries(Object.entries(range).filter(([, v]) => v !== undefined));
      const what = consts.map((r) => `${(keyCols[0] as { name: string }).name} ${r.op} ?`).join(" AND ");
      return new TableScan(columns, q.tx, t, alias, { kind: "range", range: clean, what }, withKey);
    }
  }
  return indexPath(t, alias, columns, q, eq, ranges, withKey);
}

/**
 * A scan through a UNIQUE constraint's or CREATE INDEX index's entries when the WHERE gives an equality on
 * each of its columns (or a constant range on a one-column integer or text index), else a sequential scan.
 */
function indexPath(
  t: TableDef,
  alias: string,
  columns: ScopeColumn[],
  q: QueryCtx,
  eq: Map<number, Expr>,
  ranges: { col: number; op: string; e: Expr }[],
  withKey: boolean,
): Plan {
  const rp = rowPrefix(t.id);
  const candidates = [
    ...t.uniques
      .filter((u) => !u.primary)
      .map((u) => ({ name: u.name, columns: u.columns, prefix: uniquePrefix(t.id, u.cid), unique: true })),
    ...t.indexes.map((x) => ({
      name: x.name,
      columns: x.columns,
      prefix: indexPrefix(t.id, x.iid),
      unique: false,
    })),
  ];
  const name = (c: number): string => (t.columns[c] as { name: string }).name;
  for (const ix of candidates) {
    if (!ix.columns.every((c) => eq.has(c))) continue;
    const exprs = ix.columns.map((c) => eq.get(c) as Expr);
    const what = ix.columns.map((c) => `${name(c)} = ?`).join(" AND ");
    return new TableScan(
      columns,
      q.tx,
      t,
      alias,
      {
        kind: "points",
        what: `${what} using ${ix.name}`,
        keys: async (env) => {
          const vs: SqlValue[] = [];
          for (const [i, e] of exprs.entries()) {
            const v = await e.eval({ row: [], outer: env });
            const cv =
              v === null
                ? undefined
                : keyValue(v, (t.columns[ix.columns[i] as number] as { type: string }).type);
            if (cv === undefined) return [];
            vs.push(cv);
          }
          const probe = ix.prefix + encodeTuple(vs);
          if (ix.unique) {
            const k = await q.tx.rawGet(probe);
            return typeof k === "string" ? [k] : [];
          }
          const out: string[] = [];
          // bounded by the rows holding these values, read page by page
          for (let from = probe; ; ) {
            const page = await q.tx.rawScan({ gt: from, lt: successor(probe) }, 512);
            for (const [k] of page) out.push(rp + k.slice(probe.length));
            const last = page[page.length - 1];
            if (page.length < 512 || last === undefined) return out;
            from = last[0];
          }
        },
      },
      withKey,
    );
  }
  for (const ix of candidates) {
    if (ix.columns.length !== 1) continue;
    const col = ix.columns[0] as number;
    const ct = (t.columns[col] as { type: string }).type;
    if (!(INT_TYPES.has(ct) || ct === "text" || ct === "character varying")) continue;
    const consts = ranges.filter(
      (r) => r.col === col && r.e.constant !== undefined && r.e.constant.value !== null,
    );
    if (consts.length === 0) continue;
    let lo = ix.prefix + encodeItem(null); // NULLs sort first: a range never includes them
    let loStrict = true;
    let hi = successor(ix.prefix);
    let hiStrict = true;
    for (const r of consts) {
      const v = keyValue((r.e.constant as { value: SqlValue }).value, ct);
      if (v === undefined) continue;
      const item = ix.prefix + encodeItem(v);
      if (r.op === ">" || r.op === ">=") {
        if (item > lo || (item === lo && r.op === ">")) [lo, loStrict] = [item, r.op === ">"];
      } else if (item < hi || (item === hi && r.op === "<")) [hi, hiStrict] = [item, r.op === "<"];
    }
    // an entry is item + row suffix: "> item" means past every entry of item, "<= item" up to them all
    const range = { gte: loStrict ? successor(lo) : lo, lt: hiStrict ? hi : successor(hi) };
    const what = `${consts.map((r) => `${name(col)} ${r.op} ?`).join(" AND ")} using ${ix.name}`;
    return new TableScan(
      columns,
      q.tx,
      t,
      alias,
      {
        kind: "points",
        what,
        keys: async () => {
          const out: string[] = [];
          for (let r: { gte?: string; gt?: string; lt: string } = range; ; ) {
            const page = await q.tx.rawScan(r, 512);
            for (const [k, v] of page)
              out.push(
                ix.unique ? (v as string) : rp + k.slice(ix.prefix.length + itemLength(k, ix.prefix.length)),
              );
            const last = page[page.length - 1];
            if (page.length < 512 || last === undefined) return out;
            r = { gt: last[0], lt: range.lt };
          }
        },
      },
      withKey,
    );
  }
  return new TableScan(columns, q.tx, t, alias, undefined, withKey);
}

/** The first key past every key that starts with `p`. */
function successor(p: string): string {
  let i = p.length - 1;
  while (i >= 0 && p.charCodeAt(i) === 0xff) i--;
  return `${p.slice(0, i)}${String.fromCharCode(p.charCodeAt(i) + 1)}`;
}

/** The length of the tuple item starting at `at` in `k` (src/sql/keys.ts). */
function itemLength(k: string, at: number): number {
  const tag = k.charCodeAt(at);
  if (tag <= 3) return 1;
  if (tag === 4 || tag === 5) return 9;
  for (let i = at + 1; i < k.length - 1; i++) {
    if (k.charCodeAt(i) === 0 && k.charCodeAt(i + 1) === 1) return i + 2 - at;
    if (k.charCodeAt(i) === 0) i++; // 0x00 0xff: an escaped 0x00
  }
  return k.length - at;
}

/** A probe value in the key column's type, or undefined if no row can hold it (1.5 for an integer key). */
function keyValue(v: SqlValue, ct: string): SqlValue | undefined {
  if (INT_TYPES.has(ct)) {
    const d = castValue(v, "numeric");
    const i = castValue(d, "bigint");
    if (castValue(i, "numeric")?.toString() !== castValue(d, "numeric")?.toString().replace(/\.0+$/, ""))
      return undefined;
    const n = i as bigint;
    if (n < -(2n ** 63n) || n >= 2n ** 63n) return undefined;
    return ct === "bigint" ? n : Number(n);
  }
  return castValue(v, ct);
}

/** Whether `ast` refers to a column of this table (qualified by `alias`, or unqualified and one of `columns`). */
function mentions(ast: AstNode, alias: string, columns: readonly ScopeColumn[]): boolean {
  if (ast === null || typeof ast !== "object") return false;
  if (ast.type === "column_ref") {
    const tbl =
      ast.table === null ? null : ident(typeof ast.table === "string" ? ast.table : ast.table.value);
    if (tbl === alias) return true;
    if (tbl === null) {
      const name = typeof ast.column === "string" ? ast.column : ast.column?.expr?.value;
      return columns.some((c) => c.name === ident(String(name)));
    }
    return false;
  }
  return Object.values(ast).some((v) => mentions(v, alias, columns));
}

function mirror(op: string): string {
  return op === "<" ? ">" : op === ">" ? "<" : op === "<=" ? ">=" : "<=";
}
