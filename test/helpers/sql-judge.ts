/**
 * PostgreSQL as the judge of `db.sql` (issue 18): the same statement runs on fusedb and on PGlite
 * (PostgreSQL in WebAssembly); answers compare as PostgreSQL's text output of every value (PGlite's
 * parsers are replaced by the identity, and fusedb's JS values are printed as PostgreSQL prints them),
 * errors by SQLSTATE. Rows compare in order when the query fixes it (ORDER BY), else as multisets.
 */

import { PGlite, types } from "@electric-sql/pglite";
import { expect } from "vitest";
import { SimClock } from "../../sim/disk/sim-clock.js";
import { SimFileSystem } from "../../sim/disk/sim-file-system.js";
import { FuseDB } from "../../src/db.js";
import { floatText, jsonbText } from "../../src/sql/values.js";

/** One side's answer to a statement: rows as text, or an error's SQLSTATE. */
export type Answer = { rows: (string | null)[][]; rowCount: number; columns: string[] } | { error: string };

/** A fusedb on a simulated disk. */
export function openSimDb(): Promise<FuseDB> {
  return FuseDB.open({ dir: "db", fs: new SimFileSystem({ latency: false }), clock: new SimClock() });
}

/** A PGlite whose answers come back as PostgreSQL's text. */
export async function openPg(): Promise<PGlite> {
  const pg = new PGlite();
  await pg.waitReady;
  return pg;
}

const TEXT_PARSERS = Object.fromEntries(
  Object.values(types)
    .filter((v) => typeof v === "number")
    .map((id) => [id as number, (s: string) => s]),
);

/** A fusedb result value as PostgreSQL's text output for a column of `type`. */
export function pgText(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    return type === "real" || type === "double precision" ? floatText(v, type === "real") : String(v);
  }
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) {
    const inner = type.replace(/\[\]$/, "");
    return `{${v.map((x) => (x === null ? "NULL" : quoteArrayItem(pgText(x, inner) as string))).join(",")}}`;
  }
  if (type === "json" || type === "jsonb") return jsonbText(v);
  return String(v);
}

function quoteArrayItem(s: string): string {
  return s === "" || /[{},"\\\s]/.test(s) || s.toUpperCase() === "NULL"
    ? `"${s.replace(/[\\"]/g, "\\$&")}"`
    : s;
}

/** fusedb's answer to `sql`. */
export async function ours(db: FuseDB, sql: string, params: unknown[] = []): Promise<Answer> {
  try {
    const r = await db.sql(sql, params);
    return {
      rows: r.rows.map((row) => row.map((v, i) => pgText(v, r.columns[i]?.type ?? "text"))),
      rowCount: r.rowCount,
      columns: r.columns.map((c) => c.name),
    };
  } catch (err) {
    const state = (err as { sqlState?: string }).sqlState;
    if (state === undefined) throw err;
    return { error: state };
  }
}

/** PostgreSQL's answer to one statement (with parameters). */
export async function pgAnswer(pg: PGlite, sql: string, params: unknown[] = []): Promise<Answer> {
  try {
    const r = await pg.query<unknown[]>(sql, params, { rowMode: "array", parsers: TEXT_PARSERS });
    return {
      rows: r.rows.map((row) => row.map((v) => (v === null ? null : String(v)))),
      rowCount: r.fields.length > 0 ? r.rows.length : (r.affectedRows ?? 0),
      columns: r.fields.map((f) => f.name),
    };
  } catch (err) {
    return { error: String((err as { code?: string }).code ?? "XX000") };
  }
}

/** `a` with its rows sorted (for comparing answers of queries without ORDER BY as multisets). */
export function unordered(a: Answer): Answer {
  if ("error" in a) return a;
  const key = (r: (string | null)[]): string => JSON.stringify(r);
  return { ...a, rows: [...a.rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)) };
}

/** Whether `sql`'s row order is fixed by an ORDER BY at its outermost level (roughly: its text ends so). */
export function ordered(sql: string): boolean {
  return /\border\s+by\b[^()]*$/i.test(sql.replace(/\([^()]*\)/g, "()"));
}

/** Runs `sql` on both and returns both answers, comparable (rows sorted unless ordered). */
export async function both(
  db: FuseDB,
  pg: PGlite,
  sql: string,
  params: unknown[] = [],
): Promise<{ ours: Answer; theirs: Answer }> {
  const a = await ours(db, sql, params);
  const b = await pgAnswer(pg, sql, params);
  return ordered(sql) ? { ours: a, theirs: b } : { ours: unordered(a), theirs: unordered(b) };
}

/** Runs each statement on both systems (fusedb `db`, PostgreSQL `pg`) and expects equal answers. */
export async function expectSameAnswers(db: FuseDB, pg: PGlite, statements: string[]): Promise<void> {
  for (const s of statements) {
    const r = await both(db, pg, s);
    expect(r.ours, s).toEqual(r.theirs);
  }
}
