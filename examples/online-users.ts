/**
 * Online users as sets: one set per minute bucket (`online:<minute>`), each expiring after the window it
 * can still count for; "who is online" is the union of the last `minutes` buckets, "is she online" a
 * membership test in each (Redis: SADD + EXPIRE per heartbeat, SUNION / SISMEMBER to read).
 */
import type { FuseDB } from "../src/db.js";

const MINUTE_MS = 60_000;

/** Records a heartbeat of `user` at `nowMs`. */
export async function heartbeat(db: FuseDB, user: string, nowMs: number, minutes: number): Promise<void> {
  const bucket = Math.floor(nowMs / MINUTE_MS);
  const key = `online:${bucket}`;
  if ((await db.sets.sadd(key, [user])) === 1 && (await db.sets.scard(key)) === 1) {
    // First member of this bucket: it expires once no window can include it.
    await db.expire(key, (minutes + 1) * MINUTE_MS);
  }
}

/** Users seen in the last `minutes` minute buckets, sorted. */
export async function onlineUsers(db: FuseDB, nowMs: number, minutes: number): Promise<string[]> {
  const bucket = Math.floor(nowMs / MINUTE_MS);
  const keys = Array.from({ length: minutes }, (_, i) => `online:${bucket - i}`);
  return (await db.sets.sunion(keys)).map((b) => b.toString());
}
