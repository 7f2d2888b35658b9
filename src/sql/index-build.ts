/**
 * Builds the entries of a new UNIQUE constraint or CREATE INDEX index over a table's existing rows, inside
 * the statement's transaction (so the build is all or nothing and the table cannot change under it: a
 * concurrent writer conflicts at commit). A duplicate value fails the build with 23505.
 */
import { SqlError } from "../errors.js";
import type { Transaction } from "../tx/transaction.js";
import type { TableDef } from "./catalog.js";
import { encodeTuple, indexPrefix, rowPrefix, uniquePrefix } from "./keys.js";
import { scanTable } from "./store.js";
import type { SqlValue } from "./values.js";

/** Writes the entries of `t`'s unique constraint or index named `name` for every row. */
export async function insertIndexEntries(tx: Transaction, t: TableDef, name: string): Promise<void> {
  const u = t.uniques.find((x) => x.name === name);
  const ix = t.indexes.find((x) => x.name === name);
  const prefix = rowPrefix(t.id);
  for await (const row of scanTable(tx, t)) {
    if (u !== undefined) {
      if (u.primary) continue;
      const vs = u.columns.map((c) => row.values[c] as SqlValue);
      if (vs.some((v) => v === null)) continue;
      const k = uniquePrefix(t.id, u.cid) + encodeTuple(vs);
      if ((await tx.rawGet(k)) !== undefined) {
        throw new SqlError("23505", `could not create unique index "${name}"`);
      }
      await tx.rawWrite(k, row.key);
    } else if (ix !== undefined) {
      const vs = ix.columns.map((c) => row.values[c] as SqlValue);
      await tx.rawWrite(indexPrefix(t.id, ix.iid) + encodeTuple(vs) + row.key.slice(prefix.length), 0);
    }
  }
}
