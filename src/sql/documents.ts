/**
 * A table-valued view of the JSON documents written by the key-value API (MemFlux's "key prefixes are
 * tables"): a FROM item naming no table or view reads the live JSON documents whose keys start with
 * `name:`, as rows (id text, key text, doc jsonb): `id` is the key after the prefix, `doc` the document.
 * Fields are read with the JSON operators: `SELECT doc->>'name' FROM user WHERE (doc->>'age')::int > 30`.
 * The view reads the statement's snapshot (tx.scan), page by page; it is read-only.
 */
import type { QueryCtx } from "./from.js";
import type { Plan, ScopeColumn } from "./scope.js";
import { SqlJson, type SqlValue } from "./values.js";

/** Documents per page of the view's scan (bounds memory; at most the engine's scan limit). */
const PAGE_DOCS = 1000;

/** The view of documents under `name:`, or undefined if no document has that prefix. */
export async function documentsView(q: QueryCtx, name: string, alias: string): Promise<Plan | undefined> {
  const prefix = Buffer.concat([q.keyPrefix, Buffer.from(`${name}:`, "utf8")]);
  const end = Buffer.concat([q.keyPrefix, Buffer.from(`${name};`, "utf8")]);
  const first = await q.tx.scan({ gte: prefix, lt: end, limit: 1 });
  if (first.length === 0) return undefined;
  const columns: ScopeColumn[] = [
    { table: alias, name: "id", type: "text" },
    { table: alias, name: "key", type: "text" },
    { table: alias, name: "doc", type: "jsonb" },
  ];
  const skip = q.keyPrefix.length;
  return {
    columns,
    async *rows() {
      let from: Buffer | undefined;
      for (;;) {
        const page = await q.tx.scan(
          from === undefined
            ? { gte: prefix, lt: end, limit: PAGE_DOCS }
            : { gt: from, lt: end, limit: PAGE_DOCS },
        );
        for (const e of page) {
          const key = Buffer.from(e.keyBytes).subarray(skip).toString("utf8");
          const row: SqlValue[] = [key.slice(name.length + 1), key, new SqlJson(e.value)];
          yield row;
        }
        const last = page[page.length - 1];
        if (page.length < PAGE_DOCS || last === undefined) return;
        from = Buffer.from(last.keyBytes);
      }
    },
    explain: () => [`Document Scan on ${name}:*`],
  };
}
