/** Test helpers for background work: wait until it settles, count what the segments hold. */
import type { FuseDB } from "../../src/db.js";
import { inspectDatabase } from "../../src/tools/inspect.js";
import { DIR } from "./open-mem.js";
import type { TestDisk } from "./sim-disk.js";

/** Entries in every segment of the database at DIR on `fs` (segments that fail to open are skipped). */
export async function segmentEntries(fs: TestDisk): Promise<number> {
  let entries = 0;
  for (const leaf of (await inspectDatabase(fs, DIR)).leaves) {
    for (const s of leaf.segments) if (!("error" in s)) entries += s.entryCount;
  }
  return entries;
}

/**
 * Checkpoints until background work (merges, flushes, splits) stops changing.
 * @throws Error if it has not settled after 1000 checkpoints.
 */
export async function settle(db: FuseDB): Promise<void> {
  let last = "";
  for (let i = 0; i < 1000; i++) {
    await db.checkpoint();
    const t = db.stats().tree;
    const now = `${t.merges}/${t.leafMerges}/${t.flushes}/${t.splits}/${t.running ?? "idle"}`;
    if (now === last && t.running === undefined) return;
    last = now;
  }
  throw new Error("background work did not settle");
}
