/**
 * Sessions as hashes with a sliding TTL: each session is one hash (user, role, last page, ...) whose fields
 * are read and written one by one — updating `lastPage` writes that field and the hash's metadata, not the
 * whole session — and which expires `idleMs` after its last touch (Redis: HSET + PEXPIRE).
 */
import type { FuseDB } from "../src/db.js";

/** Creates or updates session `id` with `fields` and restarts its idle timer. */
export async function touchSession(
  db: FuseDB,
  id: string,
  fields: Record<string, string>,
  idleMs: number,
): Promise<void> {
  const key = `session:${id}`;
  if (Object.keys(fields).length > 0) await db.hashes.hset(key, fields);
  await db.expire(key, idleMs);
}

/** The session's fields, or undefined once it has expired (or never existed). */
export async function readSession(db: FuseDB, id: string): Promise<Record<string, string> | undefined> {
  const pairs = await db.hashes.hgetall(`session:${id}`);
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map(([f, v]) => [f.toString(), v.toString()]));
}
