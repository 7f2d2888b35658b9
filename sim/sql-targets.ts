/**
 * The two sides of the SQL differential judge (issue 18, "Judges"): PostgreSQL (PGlite, PostgreSQL compiled
 * to WebAssembly) and fusedb's `db.sql`, behind one {@link SqlTarget} interface, plus the value
 * normalization and the comparison of one statement's outcomes.
 *
 * Values compare under fusedb's SQL value mapping: NULL → null, SMALLINT/INTEGER/REAL/DOUBLE → number,
 * BIGINT → bigint, NUMERIC and text types → string (PostgreSQL's text form), BOOLEAN → boolean,
 * BYTEA → Uint8Array, arrays → arrays. PGlite is asked for BIGINT as bigint to match. Doubles compare to 12
 * significant digits (a SUM's rounding depends on the order rows are added in); everything else exactly.
 */

/** What fusedb's `db.sql` resolves to (the SQL engine's `SqlResult`). */
export interface SqlResultLike {
  command: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
  rowCount: number;
}

/** A database that runs SQL: fusedb's FuseDB once its SQL layer is merged. */
export interface SqlDatabase {
  sql(text: string, params?: unknown[]): Promise<SqlResultLike>;
  close(): Promise<void>;
}

/** One statement's outcome on one target: rows, or an error with its SQLSTATE. */
export type SqlOutcome =
  | { ok: true; command: string; columns: string[]; rows: unknown[][]; rowCount: number }
  | { ok: false; sqlState: string; message: string };

/** A database under test: `reset` empties it (a fresh database), `exec` runs one statement. */
export interface SqlTarget {
  readonly name: string;
  reset(): Promise<void>;
  exec(sql: string): Promise<SqlOutcome>;
  close(): Promise<void>;
}

/** SQLSTATE for an error that is not an SQL error at all (an engine bug: assertion, TypeError, …). */
export const SQLSTATE_INTERNAL = "XX000";

/** PostgreSQL's `BIGINT` type OID, parsed to bigint so it compares with fusedb's BIGINT mapping. */
const PG_INT8_OID = 20;

/** PGlite's error shape: a PostgreSQL error carries its SQLSTATE as `code`. */
function pgState(e: unknown): SqlOutcome {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === "string" && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : SQLSTATE_INTERNAL;
  return { ok: false, sqlState: code, message: String(err.message ?? e) };
}

/** A PGlite instance (PostgreSQL in WebAssembly), as {@link pgliteTarget} uses it. */
export interface PgliteHandle {
  query<T>(
    sql: string,
    params: unknown[],
    options: { rowMode: "array"; parsers: Record<number, (v: string) => unknown> },
  ): Promise<{ rows: T[]; fields: { name: string }[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts a PGlite instance. Starting takes seconds; share one between targets (see {@link pgliteTarget}). */
export async function startPglite(): Promise<PgliteHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pg = new PGlite();
  await pg.query("SELECT 1");
  return pg as unknown as PgliteHandle;
}

/**
 * A PostgreSQL target over PGlite. Its tables live in schema `schema` (default `public`), so two targets can
 * share one instance (`shared`): each sets `search_path` to its own schema before a statement when the other
 * ran last. `reset` drops and recreates the schema. `close` closes the instance only if this target started it.
 */
export async function pgliteTarget(
  options: { shared?: PgliteHandle; schema?: string } = {},
): Promise<SqlTarget> {
  const pg = options.shared ?? (await startPglite());
  const schema = options.schema ?? "public";
  const current = paths.get(pg);
  if (current === undefined) paths.set(pg, { schema: "public" });
  const path = paths.get(pg) as { schema: string };
  const use = async (): Promise<void> => {
    if (path.schema === schema) return;
    await pg.exec(`SET search_path TO ${schema}`);
    path.schema = schema;
  };
  const parsers = { [PG_INT8_OID]: (v: string) => BigInt(v) };
  return {
    name: "postgresql",
    async reset() {
      await pg.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};`);
    },
    async exec(sql) {
      try {
        await use();
        const r = await pg.query<unknown[]>(sql, [], { rowMode: "array", parsers });
        const command = (r as { command?: string }).command ?? "";
        const isDml = /^(INSERT|UPDATE|DELETE)/i.test(command);
        return {
          ok: true,
          command,
          columns: r.fields.map((f) => f.name),
          rows: r.rows,
          rowCount: isDml ? (r.affectedRows ?? 0) : r.rows.length,
        };
      } catch (e) {
        return pgState(e);
      }
    },
    async close() {
      if (options.shared === undefined) await pg.close();
    },
  };
}

/** Which schema each shared PGlite instance's session is in. */
const paths = new Map<PgliteHandle, { schema: string }>();

/** A fusedb target: `open` makes a fresh, empty database (memory mode is enough), called on every reset. */
export function fusedbTarget(open: () => Promise<SqlDatabase>): SqlTarget {
  let db: SqlDatabase | undefined;
  return {
    name: "fusedb",
    async reset() {
      if (db !== undefined) await db.close();
      db = await open();
    },
    async exec(sql) {
      if (db === undefined) db = await open();
      try {
        const r = await db.sql(sql);
        return {
          ok: true,
          command: r.command,
          columns: r.columns.map((c) => c.name),
          rows: r.rows,
          rowCount: r.rowCount,
        };
      } catch (e) {
        const err = e as { code?: unknown; sqlState?: unknown; message?: unknown; stack?: unknown };
        if (err.code === "FUSEDB_SQL" && typeof err.sqlState === "string") {
          return { ok: false, sqlState: err.sqlState, message: String(err.message) };
        }
        const where = typeof err.stack === "string" ? err.stack.split("\n").slice(0, 3).join(" | ") : "";
        return { ok: false, sqlState: SQLSTATE_INTERNAL, message: `${String(err.message ?? e)} ${where}` };
      }
    },
    async close() {
      if (db !== undefined) await db.close();
      db = undefined;
    },
  };
}

/** One value's canonical text under the value mapping (doubles to 12 significant digits; -0 is 0). */
export function canonicalValue(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return `${v}n`;
    case "number": {
      if (!Number.isFinite(v)) return String(v);
      const rounded = Number(v.toPrecision(12));
      return String(rounded === 0 ? 0 : rounded);
    }
    case "string":
      return JSON.stringify(v);
  }
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return `{${v.map(canonicalValue).join(",")}}`;
  return `?${typeof v}:${String(v)}`;
}

/** A row's canonical text. */
export function canonicalRow(row: readonly unknown[]): string {
  return `(${row.map(canonicalValue).join(", ")})`;
}

/**
 * True if a query merges equal values whose text may differ: DISTINCT, GROUP BY and set operations keep one
 * representative of NUMERICs that are equal but differ in scale (1 and 1.00), and which one is PostgreSQL's
 * plan's choice. Such results compare NUMERIC text without trailing fractional zeros.
 */
export function mergesEqualValues(sql: string): boolean {
  return /\b(DISTINCT|GROUP BY|UNION|INTERSECT|EXCEPT)\b/.test(sql);
}

/** A row's canonical text with numeric-looking strings stripped of trailing fractional zeros. */
function scaleFreeRow(row: readonly unknown[]): string {
  return canonicalRow(
    row.map((v) => (typeof v === "string" && /^-?\d+\.\d+$/.test(v) ? v.replace(/\.?0+$/, "") : v)),
  );
}

/** How one statement's two outcomes relate. `unsupported`: PostgreSQL ran it, fusedb refused it as not
 * supported (SQLSTATE class 0A) or did not parse it (42601): a missing feature, not a wrong answer. */
export type VerdictKind =
  | "match"
  | "unsupported"
  | "rows"
  | "columns"
  | "rowCount"
  | "fusedbError"
  | "postgresError"
  | "errorClass";

/** The comparison of one statement: a kind, and for anything but a match, what differed. */
export interface Verdict {
  kind: VerdictKind;
  detail: string;
}

/** Rows `a` has more often than `b` (multiset difference), as canonical texts, at most `max`. */
function excess(a: readonly string[], b: readonly string[], max: number): string[] {
  const counts = new Map<string, number>();
  for (const r of b) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out: string[] = [];
  for (const r of a) {
    const c = counts.get(r) ?? 0;
    if (c > 0) counts.set(r, c - 1);
    else if (out.length < max) out.push(r);
  }
  return out;
}

/** True if `state` is a fusedb refusal that means "not supported yet". */
export function isUnsupportedState(state: string): boolean {
  return state.startsWith("0A") || state === "42601";
}

/** True for a constraint violation (class 23) or ON CONFLICT DO UPDATE meeting a row twice (21000). */
function isConstraintState(state: string): boolean {
  return state.startsWith("23") || state === "21000";
}

/** Compares PostgreSQL's outcome `pg` with fusedb's `fz`; `ordered` compares row order too; `scaleFree` compares
 * NUMERIC text without trailing fractional zeros (see {@link mergesEqualValues}). */
export function compareOutcomes(
  pg: SqlOutcome,
  fz: SqlOutcome,
  ordered: boolean,
  scaleFree = false,
): Verdict {
  if (!pg.ok && !fz.ok) {
    if (pg.sqlState.slice(0, 2) === fz.sqlState.slice(0, 2)) return { kind: "match", detail: "" };
    // A statement that breaks two constraints may report either, depending on the order rows are processed in.
    if (isConstraintState(pg.sqlState) && isConstraintState(fz.sqlState))
      return { kind: "match", detail: "" };
    if (isUnsupportedState(fz.sqlState)) {
      return {
        kind: "unsupported",
        detail: `fusedb ${fz.sqlState}: ${fz.message} (postgresql ${pg.sqlState})`,
      };
    }
    return {
      kind: "errorClass",
      detail: `postgresql ${pg.sqlState} (${pg.message}); fusedb ${fz.sqlState} (${fz.message})`,
    };
  }
  if (pg.ok && !fz.ok) {
    const kind = isUnsupportedState(fz.sqlState) ? "unsupported" : "fusedbError";
    return { kind, detail: `fusedb ${fz.sqlState}: ${fz.message}` };
  }
  if (!pg.ok && fz.ok) {
    return {
      kind: "postgresError",
      detail: `postgresql ${pg.sqlState} (${pg.message}); fusedb returned ${fz.rows.length} rows`,
    };
  }
  if (!pg.ok || !fz.ok) throw new Error("unreachable");
  const pgCommand = pg.command.split(" ")[0]?.toUpperCase() ?? "";
  if (/^(INSERT|UPDATE|DELETE)$/.test(pgCommand) && pg.rowCount !== fz.rowCount) {
    return {
      kind: "rowCount",
      detail: `${pgCommand} rowCount: postgresql ${pg.rowCount}, fusedb ${fz.rowCount}`,
    };
  }
  if (pg.columns.join(",") !== fz.columns.join(",")) {
    return {
      kind: "columns",
      detail: `columns: postgresql [${pg.columns.join(", ")}], fusedb [${fz.columns.join(", ")}]`,
    };
  }
  const a = pg.rows.map(scaleFree ? scaleFreeRow : canonicalRow);
  const b = fz.rows.map(scaleFree ? scaleFreeRow : canonicalRow);
  if (ordered) {
    const i = a.findIndex((r, k) => r !== b[k]);
    if (i === -1 && a.length === b.length) return { kind: "match", detail: "" };
    const at = i === -1 ? a.length : i;
    return {
      kind: "rows",
      detail: `ordered rows differ at ${at}: postgresql ${a[at] ?? "(end)"}, fusedb ${b[at] ?? "(end)"} (${a.length} vs ${b.length} rows)`,
    };
  }
  const missing = excess(a, b, 5);
  const extra = excess(b, a, 5);
  if (missing.length === 0 && extra.length === 0) return { kind: "match", detail: "" };
  return {
    kind: "rows",
    detail: `rows (${a.length} vs ${b.length}): only postgresql ${missing.join(" ") || "-"}; only fusedb ${extra.join(" ") || "-"}`,
  };
}
