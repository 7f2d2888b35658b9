/**
 * The SQL command over RESP (src/server/commands/sql-command.ts), with cases in the spirit of MemFlux's
 * tests/test_sql.py (our statements and data): DDL answers +OK, DML the number of rows affected, queries
 * one JSON object per row; a failing statement answers -ERR with its SQLSTATE and changes nothing; a FROM
 * naming no table reads the JSON documents of the connection's database under `name:` (a table-valued
 * view), with `->` and `->>`.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

const rows = (reply: unknown): unknown[] => (reply as string[]).map((s) => JSON.parse(s));

describe("SQL command", () => {
  it("DDL, DML counts, queries as JSON rows, errors with SQLSTATE", async () => {
    const { net, server } = await memServer();
    const c = net.connect();
    expect(
      await call(
        c,
        "SQL",
        "CREATE",
        "TABLE",
        "users",
        "(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, city TEXT)",
      ),
    ).toBe("OK");
    expect(
      await call(
        c,
        "SQL",
        "INSERT INTO users VALUES (1, 'Alice', 30, 'SF'), (2, 'Bob', 25, 'SF'), (3, 'Carol', 30, 'NY'), (4, 'David', 25, 'NY')",
      ),
    ).toBe(4);
    expect(
      rows(
        await call(
          c,
          "SQL",
          "SELECT",
          "name",
          "FROM",
          "users",
          "WHERE",
          "age",
          "=",
          "30",
          "ORDER",
          "BY",
          "name",
        ),
      ),
    ).toEqual([{ name: "Alice" }, { name: "Carol" }]);
    expect(
      rows(await call(c, "SQL", "SELECT city, count(*) AS n FROM users GROUP BY city ORDER BY city")),
    ).toEqual([
      { city: "NY", n: 2 },
      { city: "SF", n: 2 },
    ]);
    expect(await call(c, "SQL", "UPDATE users SET age = age + 1 WHERE city = 'NY'")).toBe(2);
    expect(await call(c, "SQL", "DELETE FROM users WHERE name = 'Bob'")).toBe(1);
    expect(errorOf(await call(c, "SQL", "INSERT INTO users VALUES (1, 'again', 1, 'LA')"))).toContain(
      "SQLSTATE 23505",
    );
    expect(errorOf(await call(c, "SQL", "SELECT * FROM nosuch"))).toContain("SQLSTATE 42P01");
    expect(errorOf(await call(c, "SQL", "CREATE", "TABLE", "users", "(id INTEGER)"))).toContain(
      "SQLSTATE 42P07",
    );
    expect(rows(await call(c, "SQL", "SELECT id, age FROM users ORDER BY id"))).toEqual([
      { id: 1, age: 30 },
      { id: 3, age: 31 },
      { id: 4, age: 26 },
    ]);
    expect(await call(c, "SQL", "DROP TABLE users")).toBe("OK");
    await server.close();
  });

  it("documents under a key prefix read as a table (per database)", async () => {
    const { net, server } = await memServer();
    const c = net.connect();
    await call(c, "JSON.SET", "person:1", "$", '{"name":"Alice","age":30,"tags":["a","b"]}');
    await call(c, "JSON.SET", "person:2", "$", '{"name":"Bob","age":25}');
    await call(c, "JSON.SET", "personal", "$", '{"name":"not a person"}');
    expect(
      rows(
        await call(
          c,
          "SQL",
          "SELECT id, doc->>'name' AS name, doc->'tags' AS tags FROM person WHERE (doc->>'age')::int > 20 ORDER BY id",
        ),
      ),
    ).toEqual([
      { id: "1", name: "Alice", tags: ["a", "b"] },
      { id: "2", name: "Bob", tags: null },
    ]);
    expect(rows(await call(c, "SQL", "SELECT avg((doc->>'age')::int) AS a FROM person"))).toEqual([
      { a: "27.5000000000000000" },
    ]);
    await call(c, "SELECT", "1");
    expect(errorOf(await call(c, "SQL", "SELECT * FROM person"))).toContain("SQLSTATE 42P01");
    await server.close();
  });
});
