/**
 * A leaderboard over player documents: an index on `score` answers the top N, a page of ranks below a
 * score, and everyone within a score band, in score order, without scanning every player; a score update
 * moves the player in the index in the same atomic write.
 */

import type { FuseDB } from "../src/db.js";

/** A leaderboard over documents `player:<name>` holding `{ score }`. */
export async function leaderboard(db: FuseDB) {
  if (!db.indexes().some((i) => i.name === "players-by-score")) {
    await db.createIndex({ name: "players-by-score", prefix: "player:", path: "score" });
  }
  await db.waitForIndex("players-by-score");
  const rows = (hits: { key: string; value: unknown }[]) =>
    hits.map((h) => ({ name: h.key.slice("player:".length), score: (h.value as { score: number }).score }));
  return {
    /** Adds `points` to the player's score (a JSON path increment: one atomic write, index included). */
    addPoints: async (name: string, points: number): Promise<void> => {
      const key = `player:${name}`;
      if ((await db.get(key)) === undefined) {
        // A racing first write may win: its version conflict is fine, the increment below applies on top.
        await db.set(key, { score: 0 }, { ifVersion: 0 }).catch((err: { code?: string }) => {
          if (err.code !== "FUSEDB_VERSION_CONFLICT") throw err;
        });
      }
      await db.json.incr(key, "$.score", points);
    },
    /** The best `n` players, highest score first (ties by name, descending). */
    top: async (n: number) => rows(await db.query({ index: "players-by-score", reverse: true, limit: n })),
    /** The next `n` players strictly below `score` (for paging down the board). */
    below: async (score: number, n: number) =>
      rows(await db.query({ index: "players-by-score", lt: score, reverse: true, limit: n })),
    /** Everyone with `low <= score <= high`, lowest first. */
    band: async (low: number, high: number) =>
      rows(await db.query({ index: "players-by-score", gte: low, lte: high, limit: 1000 })),
  };
}
