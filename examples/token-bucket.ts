/**
 * Token bucket: `capacity` tokens, refilled at `refillPerSec`; each request takes one. The bucket is one
 * JSON document updated with compare-and-set (`ifVersion`), retried on conflict, so concurrent callers
 * never double-spend a token. Time comes from the database's Clock (`now`), so it runs under the simulator.
 */
import type { FuseDB } from "../src/db.js";

/** A type alias, not an interface, so it is assignable to `Json`. */
type Bucket = { tokens: number; atMs: number };

/** Takes one token from `id`'s bucket if there is one. Retries a bounded number of times on conflicts. */
export async function takeToken(
  db: FuseDB,
  id: string,
  nowMs: number,
  capacity: number,
  refillPerSec: number,
): Promise<boolean> {
  const key = `tb:${id}`;
  for (let attempt = 0; attempt < 16; attempt++) {
    const cur = await db.get(key);
    const b = (cur?.value as Bucket | undefined) ?? { tokens: capacity, atMs: nowMs };
    const refilled = Math.min(capacity, b.tokens + ((nowMs - b.atMs) * refillPerSec) / 1000);
    const allowed = refilled >= 1;
    const next: Bucket = { tokens: allowed ? refilled - 1 : refilled, atMs: nowMs };
    // An idle bucket refills completely: let it expire then instead of keeping it forever.
    const ttlMs = Math.ceil(((capacity - next.tokens) * 1000) / refillPerSec) + 1;
    try {
      await db.set(key, next, { ifVersion: cur?.version ?? 0, ttlMs });
      return allowed;
    } catch (err) {
      if ((err as { code?: string }).code !== "FUSEDB_VERSION_CONFLICT") throw err;
    }
  }
  return false; // too much contention: fail closed
}
