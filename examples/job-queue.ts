/**
 * A job queue on a list with blocking pop (Redis's "reliable queue" pattern, redis.io/commands/lmove):
 * producers RPUSH jobs; each worker BLMOVEs the oldest job onto a processing list (so a job whose worker
 * dies is not lost), runs it, then LREMs it from there. Idle workers wait in FIFO order and the push that
 * becomes durable wakes the oldest; a worker stops after `idleSeconds` of the engine's clock with no job.
 */

import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";

/** A queue named `name` over `db`: lists `<name>:pending` and `<name>:processing`. */
export function jobQueue(db: FuseDB, name: string) {
  const pending = `${name}:pending`;
  const processing = `${name}:processing`;
  return {
    /** Adds a job at the tail; resolves with the queue's length once the job is durable. */
    enqueue: (job: Json): Promise<number> => db.lists.rpush(pending, JSON.stringify(job)),
    /**
     * Runs jobs one at a time until none comes for `idleSeconds`; resolves with how many it ran. A job
     * whose handler throws stays on the processing list (see `requeueStalled`) and the error propagates.
     */
    async work(handle: (job: Json) => Promise<void> | void, idleSeconds: number): Promise<number> {
      let done = 0;
      for (;;) {
        const raw = await db.lists.blmove(pending, processing, "left", "right", idleSeconds);
        if (raw === undefined) return done;
        await handle(JSON.parse(raw.toString("utf8")) as Json);
        await db.lists.lrem(processing, 1, raw);
        done++;
      }
    },
    /** Puts the jobs left on the processing list (their workers died) back at the head; how many. */
    async requeueStalled(): Promise<number> {
      let moved = 0;
      while ((await db.lists.lmove(processing, pending, "right", "left")) !== undefined) moved++;
      return moved;
    },
    /** Jobs waiting, and jobs taken but not finished. */
    async counts(): Promise<{ pending: number; processing: number }> {
      return { pending: await db.lists.llen(pending), processing: await db.lists.llen(processing) };
    },
  };
}
