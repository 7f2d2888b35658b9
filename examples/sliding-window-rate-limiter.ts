/**
 * Sliding-window rate limiter on a sorted set: each allowed request is a member scored by its time, and a
 * request is allowed while fewer than `limit` requests fall within the last `windowMs`. Per request, ONE
 * atomic call (one WAL record, acknowledged once durable) trims the expired members (ZREMRANGEBYSCORE),
 * counts the window (ZCARD) and records the request (ZADD) — so concurrent callers can never overshoot the
 * limit, and a crash never leaves a half-counted request. Idea: the Redis ZADD + ZREMRANGEBYSCORE + ZCARD
 * rate-limiter pattern, here without MULTI or Lua: `db.zsets.atomic` composes the operations.
 */
import type { FuseDB } from "../src/db.js";

/** What one hit decided. */
export interface SlidingDecision {
  allowed: boolean;
  /** Requests in the window after this one (a refused request is not recorded). */
  count: number;
}

/**
 * Counts a request `requestId` (unique per request) of client `id` at `nowMs`; allowed while the window
 * (nowMs - windowMs, nowMs] holds fewer than `limit` earlier allowed requests.
 */
export function hitSlidingWindow(
  db: FuseDB,
  id: string,
  requestId: string,
  limit: number,
  windowMs: number,
  nowMs: number,
): Promise<SlidingDecision> {
  const key = `sw:${id}`;
  // The function may run again from the start after a read (it is pure): it only uses its arguments.
  return db.zsets.atomic((z) => {
    z.zremrangebyscore(key, "-inf", nowMs - windowMs);
    const count = z.zcard(key);
    if (count >= limit) return { allowed: false, count };
    z.zadd(key, [[nowMs, requestId]]);
    return { allowed: true, count: count + 1 };
  });
}
