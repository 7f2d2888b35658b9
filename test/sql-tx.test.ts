/**
 * SQL statements as transactions (src/sql/sql.ts runs each inside db.transaction). Invariants:
 * - a crash while a statement's record is being made durable (the simulated disk's crash with torn and lost
 *   writes, 12 seeds) leaves all of the statement's effects or none, foreign-key cascades included, and
 *   every foreign key still holds after recovery;
 * - concurrent statements do not lose updates (`SET n = n + 1` from 10 callers ends at 10) and two
 *   concurrent inserts of one primary key give one row and one 23505.
 */
import { describe, expect, it } from "vitest";
import { faultPlannerOf, RandomCrashPlanner } from "../sim/disk/crash-planner.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

describe("SQL statements are transactions", () => {
  it("a crash during a cascading DELETE leaves all of it or none, and foreign keys hold", async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const fs = new TestDisk();
      const db = await openMem(fs);
      await db.sql("CREATE TABLE p (id INT PRIMARY KEY, name TEXT)");
      await db.sql(
        "CREATE TABLE c (id INT PRIMARY KEY, pid INT REFERENCES p(id) ON DELETE CASCADE, pad TEXT)",
      );
      await db.sql("INSERT INTO p VALUES (1, 'one'), (2, 'two')");
      for (let i = 0; i < 8; i++)
        await db.sql("INSERT INTO c VALUES ($1, $2, $3)", [i, 1 + (i % 2), "x".repeat(200)]);
      const hold = fs.holdSync();
      const del = db.sql("DELETE FROM p WHERE id = 1");
      del.catch(() => undefined);
      await hold.entered; // the statement's record is written, its fdatasync not done
      const image = fs.sim.crash(faultPlannerOf(new RandomCrashPlanner(0.5), new Prng(seed)));
      const again = await FuseDB.open({ dir: "/db", fs: image, clock: new SimClock(0) });
      const parents = (await again.sql("SELECT id FROM p ORDER BY id")).rows.map((r) => r[0]);
      const children = (await again.sql("SELECT count(*) FROM c WHERE pid = 1")).rows[0]?.[0];
      const orphans = (await again.sql("SELECT count(*) FROM c WHERE pid NOT IN (SELECT id FROM p)"))
        .rows[0]?.[0];
      const all = parents.join() === "2" && children === 0n;
      const none = parents.join() === "1,2" && children === 4n;
      expect(all || none, `seed ${seed}: parents ${parents} children of 1: ${children}`).toBe(true);
      expect(orphans).toBe(0n);
      outcomes.add(all ? "all" : "none");
      await again.close();
    }
    console.log(`crash during a cascading DELETE, 12 seeds: outcomes ${[...outcomes].join(", ")}`);
  });

  it("concurrent statements: no lost update, one winner per primary key", async () => {
    const db = await openMem(new TestDisk());
    await db.sql("CREATE TABLE counter (id INT PRIMARY KEY, n INT)");
    await db.sql("INSERT INTO counter VALUES (1, 0)");
    await Promise.all(Array.from({ length: 10 }, () => db.sql("UPDATE counter SET n = n + 1 WHERE id = 1")));
    expect((await db.sql("SELECT n FROM counter")).rows).toEqual([[10]]);
    await db.sql("CREATE TABLE u (id INT PRIMARY KEY, who TEXT)");
    const results = await Promise.allSettled([
      db.sql("INSERT INTO u VALUES (7, 'first')"),
      db.sql("INSERT INTO u VALUES (7, 'second')"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: "FUSEDB_SQL", sqlState: "23505" });
    expect((await db.sql("SELECT count(*) FROM u")).rows).toEqual([[1n]]);
    await db.close();
  });

  it("concurrent statements keep foreign keys and the schema: no orphan, no row of a dropped layout", async () => {
    const db = await openMem(new TestDisk());
    await db.sql("CREATE TABLE p (id INT PRIMARY KEY)");
    await db.sql("CREATE TABLE c (id INT PRIMARY KEY, pid INT REFERENCES p(id))");
    for (let i = 0; i < 20; i++) {
      await db.sql("INSERT INTO p VALUES ($1)", [i]);
      // The insert probes parent i while the delete scans p's children: one must see the other.
      await Promise.allSettled([
        db.sql("INSERT INTO c VALUES ($1, $2)", [i, i]),
        db.sql("DELETE FROM p WHERE id = $1", [i]),
      ]);
    }
    const orphans = await db.sql("SELECT count(*) FROM c WHERE pid NOT IN (SELECT id FROM p)");
    expect(orphans.rows).toEqual([[0n]]);
    await db.sql("CREATE TABLE w (id INT PRIMARY KEY, a INT, b INT)");
    await Promise.allSettled([
      db.sql("INSERT INTO w VALUES (1, 10, 20)"),
      db.sql("ALTER TABLE w DROP COLUMN a"),
      db.sql("INSERT INTO w VALUES (2, 11, 21)"),
    ]);
    // Whatever committed, every row reads in the final layout: b is never a value of a.
    const rows = (await db.sql("SELECT * FROM w ORDER BY id")).rows;
    for (const r of rows) expect([20, 21]).toContain(r[r.length - 1]);
    await db.close();
  });
});
