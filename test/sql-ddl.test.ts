/**
 * `db.sql` DDL and constraints, judged by PostgreSQL (PGlite) as in test/sql-basic.test.ts: ON CONFLICT DO
 * NOTHING / DO UPDATE with `excluded`, FOREIGN KEYs (refused inserts, ON DELETE CASCADE, ON UPDATE SET
 * NULL / CASCADE, RESTRICT), ALTER TABLE, views, CREATE SCHEMA, CREATE INDEX, TRUNCATE, DROP TABLE and
 * SERIAL/DEFAULT. Invariants: the same answers and errors (SQLSTATE) as PostgreSQL after every statement,
 * and a refused statement changes nothing (the next SELECT shows it).
 */
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import { expectSameAnswers, openPg, openSimDb } from "./helpers/sql-judge.js";

let pg: PGlite;

beforeAll(async () => {
  pg = await openPg();
}, 120_000);

afterAll(async () => {
  await pg.close();
});

/** Runs each statement on both systems and expects equal answers. */
function script(db: FuseDB, statements: string[]): Promise<void> {
  return expectSameAnswers(db, pg, statements);
}

async function fresh(): Promise<FuseDB> {
  await pg.exec(
    "DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA public;",
  );
  return openSimDb();
}

describe("SQL DDL and constraints, judged by PostgreSQL", () => {
  it("ON CONFLICT DO NOTHING and DO UPDATE with excluded", async () => {
    const db = await fresh();
    await script(db, [
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v INT, n INT DEFAULT 0)",
      "INSERT INTO kv (k, v) VALUES ('a', 1), ('b', 2)",
      "INSERT INTO kv (k, v) VALUES ('a', 10), ('c', 3) ON CONFLICT (k) DO NOTHING",
      "INSERT INTO kv (k, v) VALUES ('a', 5), ('d', 4) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v, n = kv.n + 1 RETURNING k, v, n",
      "INSERT INTO kv (k, v) VALUES ('b', 7) ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE kv.v > 100",
      "INSERT INTO kv (k, v) VALUES ('e', 1), ('e', 2) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
      "SELECT * FROM kv ORDER BY k",
    ]);
    await db.close();
  });

  it("FOREIGN KEYs: refused references, CASCADE, SET NULL, RESTRICT", async () => {
    const db = await fresh();
    await script(db, [
      "CREATE TABLE parent (id INT PRIMARY KEY, code TEXT UNIQUE)",
      "CREATE TABLE child (id INT PRIMARY KEY, pid INT REFERENCES parent(id) ON DELETE CASCADE ON UPDATE CASCADE, pcode TEXT REFERENCES parent(code) ON UPDATE SET NULL)",
      "CREATE TABLE strict (id INT PRIMARY KEY, pid INT REFERENCES parent(id))",
      "INSERT INTO parent VALUES (1, 'one'), (2, 'two'), (3, 'three')",
      "INSERT INTO child VALUES (10, 1, 'one'), (11, 1, 'two'), (12, 2, NULL), (13, NULL, 'three')",
      "INSERT INTO child VALUES (14, 99, NULL)",
      "INSERT INTO strict VALUES (1, 3)",
      "DELETE FROM parent WHERE id = 3",
      "UPDATE parent SET code = 'uno' WHERE id = 1",
      "UPDATE parent SET id = 5 WHERE id = 2",
      "SELECT * FROM child ORDER BY id",
      "DELETE FROM parent WHERE id = 1",
      "SELECT * FROM child ORDER BY id",
      "UPDATE child SET pid = 42 WHERE id = 12",
      "DROP TABLE parent",
      "SELECT * FROM parent ORDER BY id",
    ]);
    await db.close();
  });

  it("ALTER TABLE, views, schemas, indexes, TRUNCATE, DROP, SERIAL", async () => {
    const db = await fresh();
    await script(db, [
      "CREATE TABLE t (id SERIAL PRIMARY KEY, name TEXT, qty INT)",
      "INSERT INTO t (name, qty) VALUES ('a', 1), ('b', NULL), ('c', 3) RETURNING id",
      "ALTER TABLE t ADD COLUMN price NUMERIC(6,2) DEFAULT 9.99",
      "SELECT * FROM t ORDER BY id",
      "ALTER TABLE t ALTER COLUMN qty SET NOT NULL",
      "ALTER TABLE t ALTER COLUMN qty SET DEFAULT 7",
      "INSERT INTO t (name) VALUES ('d') RETURNING *",
      "ALTER TABLE t DROP COLUMN price",
      "ALTER TABLE t ADD CONSTRAINT t_name_key UNIQUE (name)",
      "INSERT INTO t (name) VALUES ('a')",
      "ALTER TABLE t DROP CONSTRAINT t_name_key",
      "INSERT INTO t (name) VALUES ('a')",
      "ALTER TABLE t ALTER COLUMN qty TYPE BIGINT",
      "ALTER TABLE t RENAME TO items",
      "SELECT * FROM items ORDER BY id",
      "CREATE VIEW named AS SELECT id, upper(name) AS up FROM items WHERE qty > 1",
      "SELECT * FROM named ORDER BY id",
      "CREATE INDEX items_qty ON items (qty)",
      "SELECT name FROM items WHERE qty = 7 ORDER BY id",
      "DROP VIEW named",
      "SELECT * FROM named",
      "CREATE SCHEMA app",
      "CREATE TABLE app.things (x INT)",
      "INSERT INTO app.things VALUES (1), (2)",
      "SELECT sum(x) FROM app.things",
      "TRUNCATE items",
      "SELECT count(*) FROM items",
      "DROP TABLE items",
      "DROP TABLE IF EXISTS items",
      "CREATE TABLE IF NOT EXISTS app.things (y INT)",
    ]);
    await db.close();
  });
});
