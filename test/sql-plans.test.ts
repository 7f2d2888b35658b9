/**
 * The planner's access paths (src/sql/from.ts): primary-key point lookups and ranges, UNIQUE and CREATE
 * INDEX entries for equalities and ranges, shown by EXPLAIN; and every path answers exactly what a
 * sequential scan answers (the same predicate written so no path applies: `col + 0`). Seeded random data
 * (the seed is printed), NULLs included; index entries stay right across UPDATE and DELETE. A top-N sort
 * (ORDER BY ... LIMIT) answers the first rows of the full sort.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { testSeed } from "./helpers/seed.js";
import { openSimDb } from "./helpers/sql-judge.js";

describe("SQL access paths", () => {
  it("EXPLAIN shows the chosen path, and each path answers what a sequential scan answers", async () => {
    const seed = testSeed("sql-plans");
    const prng = new Prng(seed);
    const db = await openSimDb();
    await db.sql("CREATE TABLE t (id INT PRIMARY KEY, k INT, u TEXT UNIQUE, s TEXT)");
    await db.sql("CREATE INDEX t_k ON t (k)");
    await db.sql("CREATE INDEX t_s ON t (s)");
    for (let i = 0; i < 200; i++) {
      const k = prng.int(10) === 0 ? null : prng.int(20) - 5;
      const s = prng.int(8) === 0 ? null : `s${prng.int(15)}`;
      await db.sql("INSERT INTO t VALUES ($1, $2, $3, $4)", [i, k, prng.int(3) === 0 ? null : `u${i}`, s]);
    }
    await db.sql("UPDATE t SET k = k + 1, s = 's3' WHERE id % 7 = 0");
    await db.sql("DELETE FROM t WHERE id % 11 = 0");
    const plan = async (where: string): Promise<string> =>
      (await db.sql(`EXPLAIN SELECT * FROM t WHERE ${where}`)).rows.map((r) => r[0]).join("\n");
    expect(await plan("id = 5")).toContain("Primary Key Lookup on t");
    expect(await plan("id > 5 AND id <= 50")).toContain("Primary Key Range Scan on t");
    expect(await plan("k = 3")).toContain("using t_k");
    expect(await plan("u = 'u7'")).toContain("using t_u_key");
    expect(await plan("s >= 's3' AND s < 's5'")).toContain("using t_s");
    expect(await plan("k + 0 = 3")).toContain("Seq Scan on t");
    const pairs: [string, string][] = [
      ["id = 5", "id + 0 = 5"],
      ["id > 5 AND id <= 50", "id + 0 > 5 AND id + 0 <= 50"],
      ["k = 3", "k + 0 = 3"],
      ["k = 4", "k + 0 = 4"],
      ["k > 2 AND k <= 9", "k + 0 > 2 AND k + 0 <= 9"],
      ["k < 0", "k + 0 < 0"],
      ["u = 'u8'", "u || '' = 'u8'"],
      ["u > 'u5'", "u || '' > 'u5'"],
      ["s = 's3'", "s || '' = 's3'"],
      ["s >= 's3' AND s < 's5'", "s || '' >= 's3' AND s || '' < 's5'"],
    ];
    for (const [fast, slow] of pairs) {
      const a = await db.sql(`SELECT id FROM t WHERE ${fast} ORDER BY id`);
      const b = await db.sql(`SELECT id FROM t WHERE ${slow} ORDER BY id`);
      expect(a.rows, fast).toEqual(b.rows);
    }
    // a top-N sort answers the first rows of the full sort, ties in input order
    const full = (await db.sql("SELECT id, k FROM t ORDER BY k DESC NULLS LAST")).rows;
    for (const [n, off] of [
      [1, 0],
      [5, 3],
      [40, 150],
      [300, 0],
    ] as const) {
      const top = await db.sql(`SELECT id, k FROM t ORDER BY k DESC NULLS LAST LIMIT ${n} OFFSET ${off}`);
      expect(top.rows, `LIMIT ${n} OFFSET ${off}`).toEqual(full.slice(off, off + n));
    }
    expect((await db.sql("EXPLAIN SELECT id FROM t ORDER BY k LIMIT 3")).rows.flat().join("\n")).toContain(
      "Top-N Sort (3)",
    );
    await db.close();
  });
});
