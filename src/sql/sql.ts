/**
 * `db.sql(text, params)`: parses one statement (or several, separated by `;`, run in order in one
 * transaction) with node-sql-parser in PostgreSQL mode, plans it (src/sql/select.ts, src/sql/dml.ts,
 * src/sql/ddl.ts) and runs it inside `db.transaction`, so a statement is atomic, sees one snapshot, and is
 * durable at commit like any write; a failing statement changes nothing. See docs/sql.md.
 */
import pkg from "node-sql-parser";
import { SqlError } from "../errors.js";
import type { Transaction } from "../tx/transaction.js";
import { alterTable } from "./alter.js";
import { createIndex, createSchema, createTable, createView, dropRelations, truncate } from "./ddl.js";
import { Decimal } from "./decimal.js";
import { insert, remove, update } from "./dml.js";
import type { AstNode } from "./expr.js";
import type { QueryCtx } from "./from.js";
import type { Plan } from "./scope.js";
import { planQuery } from "./select.js";
import { timestamptzOfMs } from "./temporal.js";
import { outputValue, SqlJson, type SqlValue } from "./values.js";

const { Parser } = pkg;
const parser = new Parser();

/** A statement's answer: see docs/sql.md for how SQL values map to JS values. */
export interface SqlResult {
  /** The command tag's verb: 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE TABLE', 'EXPLAIN', ... */
  command: string;
  /** The result columns, with PostgreSQL's type names ('integer', 'text', 'numeric', ...). */
  columns: { name: string; type: string }[];
  /** Rows as arrays in column order. */
  rows: unknown[][];
  /** Rows returned (SELECT) or affected (INSERT, UPDATE, DELETE); 0 for DDL. */
  rowCount: number;
}

/** Options of `db.sql`. */
export interface SqlOptions {
  /**
   * Bytes before the key prefix a document view reads (`FROM user` reads documents `<keyPrefix>user:*`):
   * the server passes its database byte. Default: none.
   */
  keyPrefix?: Uint8Array;
}

/** What `runSql` needs from the database. */
export interface SqlHost {
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Engine clock, ms since the epoch (NOW()). */
  nowMs(): number;
}

/** A JS parameter as an SQL value (see docs/sql.md: the mapping's inverse). */
function paramValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "string" || typeof v === "boolean")
    return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof Decimal) return v;
  if (Array.isArray(v)) return v.map(paramValue);
  if (v instanceof Date) return v.toISOString();
  return new SqlJson(v);
}

/** `?` placeholders as `$1`, `$2`, ... (outside quotes), so both styles of parameters work. */
function numberPlaceholders(text: string): string {
  let n = 0;
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === "?" && !/[?|&]/.test(text[i + 1] ?? "") && !/[?|&#]/.test(text[i - 1] ?? "")) {
      out += `$${++n}`;
    } else out += c;
  }
  return out;
}

/** Parses `text`. @throws SqlError 42601 for what node-sql-parser cannot parse. */
export function parseSql(text: string): AstNode[] {
  let ast: AstNode;
  try {
    ast = parser.astify(numberPlaceholders(text), { database: "postgresql" });
  } catch (err) {
    throw new SqlError("42601", `syntax error: ${(err as Error).message}`);
  }
  return (Array.isArray(ast) ? ast : [ast]).filter((a) => a !== null && a !== undefined);
}

/**
 * Runs SQL `text` with `params` ($1.. or ?). @throws SqlError (FUSEDB_SQL, `sqlState`) and nothing was
 * written; the engine's errors (TxConflictError after retries, ClosedError, ...) as they come.
 */
export async function runSql(
  host: SqlHost,
  text: string,
  params: readonly unknown[] = [],
  options: SqlOptions = {},
): Promise<SqlResult> {
  if (typeof text !== "string") throw new SqlError("42601", "SQL text must be a string");
  let explain = false;
  let body = text;
  const m = /^\s*explain\s+(?:\(.*?\)\s*)?/is.exec(body);
  if (m !== null) {
    explain = true;
    body = body.slice(m[0].length);
  }
  const statements = parseSql(body);
  if (statements.length === 0) throw new SqlError("42601", "empty query");
  const values = params.map(paramValue);
  const now = timestamptzOfMs(host.nowMs());
  const nextval = (key: string): Promise<number> =>
    host.transaction(async (seq) => {
      const n = ((await seq.rawGet(key)) as number | undefined) ?? 1;
      await seq.rawWrite(key, n + 1);
      return n;
    });
  return host.transaction(async (tx) => {
    let result: SqlResult | undefined;
    for (const ast of statements) {
      const q: QueryCtx = {
        tx,
        params: values,
        now,
        ctes: new Map(),
        planQuery,
        nextval,
        keyPrefix: options.keyPrefix ?? new Uint8Array(0),
      };
      result = explain ? await explainStatement(ast, q) : await runStatement(ast, q, body);
    }
    return result as SqlResult;
  });
}

function resultOf(
  command: string,
  plan: { columns: readonly { name: string; type: string }[] },
  rows: SqlValue[][],
  rowCount = rows.length,
): SqlResult {
  return {
    command,
    columns: plan.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: rows.map((r) => r.map((v, i) => outputValue(v, plan.columns[i]?.type))),
    rowCount,
  };
}

async function collect(plan: Plan): Promise<SqlValue[][]> {
  const rows: SqlValue[][] = [];
  for await (const r of plan.rows(undefined)) rows.push(r);
  return rows;
}

async function explainStatement(ast: AstNode, q: QueryCtx): Promise<SqlResult> {
  if (ast.type !== "select") throw new SqlError("0A000", "EXPLAIN supports SELECT only");
  const plan = await planQuery(ast, undefined, q);
  const lines = plan.explain();
  return {
    command: "EXPLAIN",
    columns: [{ name: "QUERY PLAN", type: "text" }],
    rows: lines.map((l) => [l]),
    rowCount: lines.length,
  };
}

async function runStatement(ast: AstNode, q: QueryCtx, text: string): Promise<SqlResult> {
  switch (ast.type) {
    case "select": {
      const plan = await planQuery(ast, undefined, q);
      return resultOf("SELECT", plan, await collect(plan));
    }
    case "insert":
    case "replace": {
      const r = await insert(ast, q);
      return resultOf("INSERT", r, r.rows, r.rowCount);
    }
    case "update": {
      const r = await update(ast, q);
      return resultOf("UPDATE", r, r.rows, r.rowCount);
    }
    case "delete": {
      const r = await remove(ast, q);
      return resultOf("DELETE", r, r.rows, r.rowCount);
    }
    case "create": {
      const kw = String(ast.keyword).toLowerCase();
      if (kw === "table") {
        if (ast.query_expr || ast.as) throw new SqlError("0A000", "CREATE TABLE AS is not supported");
        await createTable(q.tx, ast);
      } else if (kw === "view") {
        const plan = await planQuery(ast.select, undefined, q);
        await createView(
          q.tx,
          ast,
          plan.columns.map((c) => c.name),
        );
      } else if (kw === "schema") await createSchema(q.tx, ast);
      else if (kw === "index") await createIndex(q.tx, ast);
      else throw new SqlError("0A000", `CREATE ${kw.toUpperCase()} is not supported`);
      return { command: `CREATE ${kw.toUpperCase()}`, columns: [], rows: [], rowCount: 0 };
    }
    case "drop": {
      const kw = String(ast.keyword).toLowerCase();
      if (kw !== "table" && kw !== "view")
        throw new SqlError("0A000", `DROP ${kw.toUpperCase()} is not supported`);
      await dropRelations(q.tx, ast, text);
      return { command: `DROP ${kw.toUpperCase()}`, columns: [], rows: [], rowCount: 0 };
    }
    case "truncate":
      await truncate(q.tx, ast);
      return { command: "TRUNCATE TABLE", columns: [], rows: [], rowCount: 0 };
    case "alter":
      await alterTable(q, ast);
      return { command: "ALTER TABLE", columns: [], rows: [], rowCount: 0 };
    default:
      throw new SqlError("0A000", `statement ${String(ast.type).toUpperCase()} is not supported`);
  }
}
