/**
 * SQLancer's Ternary Logic Partitioning oracle (TLP; Rigger and Su, "Finding Bugs in Database Systems via Query
 * Partitioning", OOPSLA 2020): for any predicate p, every row satisfies exactly one of p, NOT p and p IS NULL,
 * so `SELECT … FROM …` equals, as a multiset, the union of the same query `WHERE p`, `WHERE NOT p` and
 * `WHERE (p) IS NULL`. Variants: with DISTINCT the union's distinct rows; for COUNT(*) the sum of the counts;
 * for MAX the greatest of the partitions' maxima. The oracle needs one database only, so it judges fusedb
 * without PostgreSQL (and is checked against PostgreSQL, where it must always hold).
 */
import { node, render, type SqlNode } from "./sql-ast.js";
import type { SqlFeatures } from "./sql-features.js";
import { SqlGen, selectList } from "./sql-gen.js";
import { canonicalRow, canonicalValue, type SqlTarget } from "./sql-targets.js";

/** Which TLP variant a check used. */
export type TlpVariant = "where" | "distinct" | "count" | "max";

/** One TLP check's result: `holds`, `skipped` (a query errored), or `violated` with the queries. */
export interface TlpCheck {
  variant: TlpVariant;
  status: "holds" | "skipped" | "violated";
  /** The unpartitioned query, then the three partitions. */
  queries: string[];
  detail: string;
}

/** What {@link runTlp} found over one seed's schema and data. */
export interface TlpReport {
  seed: string;
  setup: string[];
  checks: TlpCheck[];
}

/** The four queries of one check: the whole, then WHERE p, WHERE NOT p, WHERE (p) IS NULL. */
function partitionQueries(head: string, from: SqlNode, p: SqlNode): string[] {
  const base = `${head} FROM ${render(from)}`;
  const pred = render(p);
  return [base, `${base} WHERE ${pred}`, `${base} WHERE NOT ${pred}`, `${base} WHERE (${pred}) IS NULL`];
}

/** Multiset equality of canonical rows. */
function sameMultiset(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.slice().sort();
  const y = b.slice().sort();
  return x.every((r, i) => r === y[i]);
}

/**
 * Sets up seed `seed`'s schema and data on `target` (after a reset), then runs `checks` TLP checks.
 * @returns every check's status; a violation on PostgreSQL means the oracle itself is wrong.
 */
export async function runTlp(
  target: SqlTarget,
  seed: string,
  features: SqlFeatures,
  checks: number,
): Promise<TlpReport> {
  const gen = new SqlGen(seed, features);
  const setup = gen.setup().map((s) => render(s.tree));
  await target.reset();
  for (const sql of setup) await target.exec(sql);
  const report: TlpReport = { seed, setup, checks: [] };
  for (let i = 0; i < checks; i++) {
    const parts = gen.selectParts();
    const p = gen.predicate(parts.ctx);
    const variants: TlpVariant[] = ["where"];
    if (features.has("distinct")) variants.push("distinct");
    if (features.has("aggregates")) variants.push("count", "max");
    let variant = gen.prng.pick(variants);
    // MAX needs an ordered type: the first non-BOOLEAN item goes first, or the check counts instead.
    const items = [...parts.items].sort((a, b) => Number(a.ty === "bool") - Number(b.ty === "bool"));
    if (variant === "max" && items[0]?.ty === "bool") variant = "count";
    report.checks.push(await check(target, variant, items, parts.from, p));
  }
  return report;
}

async function check(
  target: SqlTarget,
  variant: TlpVariant,
  items: readonly SqlNode[],
  from: SqlNode,
  p: SqlNode,
): Promise<TlpCheck> {
  const first = items[0] ?? node("int", "1");
  const head =
    variant === "count"
      ? "SELECT COUNT(*) AS r0"
      : variant === "max"
        ? `SELECT MAX(${render(first)}) AS r0`
        : `SELECT ${variant === "distinct" ? "DISTINCT " : ""}${selectList(items)
            .map((x) => (typeof x === "string" ? x : render(x)))
            .join("")}`;
  const queries = partitionQueries(head, from, p);
  const results: unknown[][][] = [];
  for (const q of queries) {
    const r = await target.exec(q);
    if (!r.ok) return { variant, status: "skipped", queries, detail: `${r.sqlState}: ${r.message}` };
    results.push(r.rows);
  }
  const [whole = [], ...partitions] = results;
  const wholeRows = whole.map(canonicalRow);
  let combined: string[];
  if (variant === "count") {
    let sum = 0n;
    for (const rows of partitions) sum += BigInt(String(rows[0]?.[0] ?? 0));
    combined = [canonicalRow([sum])];
  } else if (variant === "max") {
    const maxima = partitions.map((rows) => rows[0]?.[0]).filter((v) => v !== null && v !== undefined);
    combined = [
      canonicalRow([maxima.length === 0 ? null : maxima.reduce((a, b) => (greater(b, a) ? b : a))]),
    ];
  } else {
    combined = partitions.flat().map(canonicalRow);
    if (variant === "distinct") combined = [...new Set(combined)];
  }
  const holds = sameMultiset(wholeRows, combined);
  const detail = holds
    ? ""
    : `whole ${wholeRows.slice(0, 6).join(" ")}; partitions ${combined.slice(0, 6).join(" ")}`;
  return { variant, status: holds ? "holds" : "violated", queries, detail };
}

/** `a > b` for two values of one SQL type as mapped to JavaScript (numbers, bigints, strings, booleans). */
function greater(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") {
    // NUMERIC arrives as text: compare numerically when both parse, else byte order (the "C" collation).
    const x = Number(a);
    const y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y) && /^-?\d/.test(a) && /^-?\d/.test(b)) return x > y;
    return Buffer.compare(Buffer.from(a), Buffer.from(b)) > 0;
  }
  if (typeof a === "bigint" || typeof b === "bigint") return BigInt(a as bigint) > BigInt(b as bigint);
  return canonicalValue(a) !== canonicalValue(b) && (a as number) > (b as number);
}

/** A violated check as text a person reads. */
export function formatTlp(seed: string, setup: readonly string[], c: TlpCheck): string {
  return [
    `-- TLP ${c.variant} violated, seed ${seed}`,
    ...setup.map((s) => `${s};`),
    ...c.queries.map((q) => `${q};`),
    `-- ${c.detail}`,
  ].join("\n");
}
