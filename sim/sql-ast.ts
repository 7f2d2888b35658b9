/**
 * The SQL query generator's tree (sim/sql-gen.ts): a statement is text with typed holes, so a minimizer can
 * shrink it without knowing SQL. A {@link SqlNode} is a list of literal text and child nodes; its `ty` says
 * what a node may be replaced by while the statement stays well-typed: a scalar node by a child of the same
 * scalar type (`(a + b)` by `a`, `(p AND q)` by `p`), an optional clause (`' WHERE …'`) by nothing.
 * Idea: SQLancer's expression trees, and the type-directed shrinking of QuickCheck/Hypothesis.
 */

/** The scalar types the generator works in (PostgreSQL names in {@link SQL_TYPE_NAMES}). */
export type SqlType = "int" | "bigint" | "numeric" | "double" | "text" | "bool";

/** What a node is: a scalar of a type, an optional clause the minimizer may drop, or fixed structure. */
export type SqlNodeKind = SqlType | "opt" | "fixed";

/** One node: literal text and children, concatenated in order. Immutable once built. */
export interface SqlNode {
  readonly ty: SqlNodeKind;
  readonly parts: readonly (string | SqlNode)[];
}

/** The PostgreSQL column type for each generator type. NUMERIC is NUMERIC(10,2), exact. */
export const SQL_TYPE_NAMES: Record<SqlType, string> = {
  int: "INTEGER",
  bigint: "BIGINT",
  numeric: "NUMERIC(10,2)",
  double: "DOUBLE PRECISION",
  text: "TEXT",
  bool: "BOOLEAN",
};

/** True for the types PostgreSQL compares with each other (the numeric family). */
export function isNumericType(ty: SqlType): boolean {
  return ty === "int" || ty === "bigint" || ty === "numeric" || ty === "double";
}

/** A node of kind `ty` from a template: strings are text, nodes are children. */
export function node(ty: SqlNodeKind, ...parts: (string | SqlNode)[]): SqlNode {
  return { ty, parts };
}

/** A leaf: text of kind `ty` with no children (a column reference, a literal). */
export function leaf(ty: SqlNodeKind, text: string): SqlNode {
  return { ty, parts: [text] };
}

/** The SQL text of a node. */
export function render(n: SqlNode): string {
  let out = "";
  for (const p of n.parts) out += typeof p === "string" ? p : render(p);
  return out;
}

/** How many nodes the tree holds (a size measure for minimization). */
export function nodeCount(n: SqlNode): number {
  let count = 1;
  for (const p of n.parts) if (typeof p !== "string") count += nodeCount(p);
  return count;
}

/**
 * Every tree one shrinking step away from `root`, smaller first where cheap: each optional clause dropped, and
 * each scalar node replaced by one of its direct children of the same type. Bounded by the tree's size.
 */
export function shrinkSteps(root: SqlNode): SqlNode[] {
  const out: SqlNode[] = [];
  const visit = (n: SqlNode, rebuild: (replacement: SqlNode) => SqlNode): void => {
    if (n.ty === "opt") out.push(rebuild(leaf("fixed", "")));
    else if (n.ty !== "fixed") {
      for (const p of n.parts) if (typeof p !== "string" && p.ty === n.ty) out.push(rebuild(p));
    }
    n.parts.forEach((p, i) => {
      if (typeof p === "string") return;
      visit(p, (replacement) => {
        const parts = n.parts.slice();
        parts[i] = replacement;
        return rebuild({ ty: n.ty, parts });
      });
    });
  };
  visit(root, (r) => r);
  return out;
}
