/**
 * The SQL generator's feature mask: which parts of the surface (issue 18) the random statements may use, so the
 * differential judge can be held to what the engine supports today and widened as features land.
 * Idea: SQLancer's per-DBMS option sets that switch generator productions on and off.
 */

/** Every feature the generator knows, from the simplest up. INTEGER columns, `=`/`<`-style comparisons and
 * single-table SELECT/INSERT are always on. */
export const SQL_FEATURES = [
  // Column types besides INTEGER, and NULL values in the data.
  "bigint",
  "numeric",
  "double",
  "text",
  "bool",
  "nulls",
  // Expressions and predicates.
  "andOrNot",
  "isNull",
  "inList",
  "between",
  "like",
  "arith",
  "functions",
  "case",
  "cast",
  "division",
  "mathFunctions",
  "stringFunctions",
  "ilike",
  "anyAll",
  // FROM clauses.
  "join",
  "crossJoin",
  "outerJoin",
  "fullJoin",
  "fromSubquery",
  "cte",
  // Query shape.
  "orderBy",
  "limit",
  "distinct",
  "distinctOn",
  "aggregates",
  "groupBy",
  "having",
  "havingAlone",
  "avg",
  "subqueryIn",
  "exists",
  "scalarSubquery",
  "setOps",
  // DML after the seeded inserts.
  "insert",
  "update",
  "delete",
  "insertSelect",
  "onConflict",
  "returning",
  "updateFrom",
  "truncate",
  // Schema: NOT NULL, UNIQUE, CHECK and DEFAULT on generated columns.
  "constraints",
] as const;

/** One feature name. */
export type SqlFeature = (typeof SQL_FEATURES)[number];

/** A set of enabled features. */
export type SqlFeatures = ReadonlySet<SqlFeature>;

/** Every feature on. */
export const SQL_FEATURES_ALL: SqlFeatures = new Set(SQL_FEATURES);

/**
 * Parses a mask: `all`, or a comma-separated list of feature names, where `all,-name` starts from everything
 * and removes `name`.
 * @throws RangeError naming an unknown feature.
 */
export function parseSqlFeatures(text: string): SqlFeatures {
  const out = new Set<SqlFeature>();
  for (const raw of text.split(",")) {
    const word = raw.trim();
    if (word === "") continue;
    if (word === "all") {
      for (const f of SQL_FEATURES) out.add(f);
      continue;
    }
    const remove = word.startsWith("-");
    const name = remove ? word.slice(1) : word;
    if (!(SQL_FEATURES as readonly string[]).includes(name)) {
      throw new RangeError(`unknown SQL feature "${name}" (known: ${SQL_FEATURES.join(", ")})`);
    }
    if (remove) out.delete(name as SqlFeature);
    else out.add(name as SqlFeature);
  }
  return out;
}

/** The mask as text that {@link parseSqlFeatures} reads back. */
export function formatSqlFeatures(features: SqlFeatures): string {
  return SQL_FEATURES.filter((f) => features.has(f)).join(",");
}

/**
 * The features fusedb's SQL engine supports today, which the CI differential test is held to (widen as the
 * engine grows; `FUSEDB_SQL_FEATURES` overrides it for a sweep).
 */
export const SQL_FEATURES_SUPPORTED: SqlFeatures = new Set<SqlFeature>(
  SQL_FEATURES.filter(
    (f) =>
      // node-sql-parser does not parse DELETE … USING, so every case would stop at the first one.
      f !== "updateFrom",
  ),
);
