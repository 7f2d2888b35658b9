/**
 * Fixed-window rate limiter: at most `limit` hits per key per window. The counter is created with a TTL of
 * one window; `incr` keeps the expiry, so the counter vanishes (and the next hit starts a new window) when
 * the window ends. Idea: the Redis INCR + EXPIRE rate-limiter pattern.
 */
import type { FuseDB } from "../src/db.js";

/** What one `hit` decided. */
export interface RateDecision {
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** Counts one hit for `id`; allowed while the window's count is at most `limit`. */
export async function hitFixedWindow(
  db: FuseDB,
  id: string,
  limit: number,
  windowMs: number,
): Promise<RateDecision> {
  const key = `rl:${id}`;
  // Start a window if there is none: a conditional create, so two racing callers cannot both start one.
  try {
    await db.set(key, 0, { ttlMs: windowMs, ifVersion: 0 });
  } catch (err) {
    if ((err as { code?: string }).code !== "FUSEDB_VERSION_CONFLICT") throw err;
  }
  const { value } = await db.incr(key);
  const count = value as number;
  return { allowed: count <= limit, count, resetMs: (await db.ttl(key)) ?? windowMs };
}
