/**
 * The index commands (src/server/commands/index-commands.ts): IDX.CREATE / CREATEINDEX build an index of
 * the connection's database, FUSEDB.QUERY answers in index order with EQ, PREFIX, ranges, LIMIT and REV,
 * a unique index refuses a second holder over the wire with a typed error, IDX.LIST shows each database's
 * own indexes with their state, IDX.DROP removes one; bad arguments get Redis's syntax error.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

describe("index commands", () => {
  it("create, query, unique, list and drop", async () => {
    const { net, db } = await memServer();
    const c = net.connect();
    for (const [id, score] of [
      ["a", 5],
      ["b", 9],
      ["c", 1],
      ["d", 9],
    ] as const) {
      await call(c, "JSON.SET", `player:${id}`, "$", JSON.stringify({ score, email: `${id}@x` }));
    }
    expect(await call(c, "IDX.CREATE", "by-score", "player:", "score")).toBe("OK");
    expect(await call(c, "CREATEINDEX", "by-email", "player:", "email", "UNIQUE")).toBe("OK");
    await db.waitForIndex("by-score");
    await db.waitForIndex("by-email");
    expect(await call(c, "FUSEDB.QUERY", "by-score", "GTE", "5", "REV", "LIMIT", "2")).toEqual([
      ["player:d", '{"score":9,"email":"d@x"}', 1],
      ["player:b", '{"score":9,"email":"b@x"}', 1],
    ]);
    expect(await call(c, "FUSEDB.QUERY", "by-score", "GT", "1", "LT", "9")).toEqual([
      ["player:a", '{"score":5,"email":"a@x"}', 1],
    ]);
    expect(await call(c, "FUSEDB.QUERY", "by-email", "EQ", "c@x")).toEqual([
      ["player:c", '{"score":1,"email":"c@x"}', 1],
    ]);
    expect((await call(c, "FUSEDB.QUERY", "by-email", "PREFIX", "a")) as unknown[]).toHaveLength(1);
    expect(errorOf(await call(c, "JSON.SET", "player:e", "$", '{"email":"a@x"}'))).toContain(
      "FUSEDB_UNIQUE_VIOLATION",
    );
    expect(await call(c, "JSON.GET", "player:e")).toBe(null);
    expect(await call(c, "IDX.LIST")).toEqual([
      ["by-email", "player:", "email", 1, "ready", 4],
      ["by-score", "player:", "score", 0, "ready", 4],
    ]);
    await call(c, "SELECT", "1");
    expect(await call(c, "IDX.LIST")).toEqual([]);
    await call(c, "SELECT", "0");
    expect(await call(c, "IDX.DROP", "by-email")).toBe("OK");
    expect(errorOf(await call(c, "IDX.DROP", "by-email"))).toContain("FUSEDB_INDEX_NOT_FOUND");
    expect(errorOf(await call(c, "FUSEDB.QUERY", "by-score", "NEAR", "1"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "IDX.CREATE", "x", "p:", "f", "UNIQ"))).toBe("ERR syntax error");
    expect((await call(c, "IDX.LIST")) as unknown[]).toHaveLength(1);
  });
});
