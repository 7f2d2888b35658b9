/**
 * `SQL <statement>` (MemFlux's command; the engine's API: docs/sql.md): the arguments after the name are
 * joined with spaces into one statement (so `SQL SELECT * FROM t` and `SQL "SELECT * FROM t"` are the
 * same), run by `db.sql` in its own transaction. Replies, in MemFlux's shapes:
 *
 *   a query (SELECT, EXPLAIN, or DML with RETURNING)  -> array of bulk strings, one JSON object per row
 *                                                        ({"column": value}; bigint as a number when safe)
 *   INSERT / UPDATE / DELETE                          -> integer: rows affected
 *   DDL and TRUNCATE                                  -> +OK
 *   a failing statement                               -> -ERR <message> (SQLSTATE <code>), nothing written
 *
 * Tables are the server's, whatever the connection's database (SELECT n); a FROM naming no table reads the
 * JSON documents of the connection's database under `name:` (src/sql/documents.ts).
 */
import { Buffer } from "node:buffer";
import { SqlError } from "../../errors.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint")
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

async function sql(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const text = args
    .slice(1)
    .map((a) => a.toString("utf8"))
    .join(" ");
  let r: Awaited<ReturnType<typeof ctx.server.db.sql>>;
  try {
    r = await ctx.server.db.sql(text, [], { keyPrefix: Uint8Array.of(ctx.client.db) });
  } catch (err) {
    if (err instanceof SqlError) throw new CommandError(`ERR ${err.message} (SQLSTATE ${err.sqlState})`);
    throw err;
  }
  if (r.columns.length > 0) {
    return R.array(
      r.rows.map((row) => {
        const o: Record<string, unknown> = {};
        r.columns.forEach((c, i) => {
          o[c.name] = jsonValue(row[i]);
        });
        return R.bulk(JSON.stringify(o));
      }),
    );
  }
  if (r.command === "INSERT" || r.command === "UPDATE" || r.command === "DELETE")
    return R.integer(r.rowCount);
  return R.ok;
}

/** The SQL command's table entry. */
export const sqlCommands: CommandSpec[] = [
  command({
    group: "module",
    since: "0.1.0",
    name: "sql",
    arity: -2,
    flags: ["write"],
    keys: [0, 0, 0],
    summary: "Runs one SQL statement (PostgreSQL's dialect) in its own transaction.",
    handler: sql,
  }),
];
