/**
 * Session store with TTL: sessions expire after `idleMs` without use; `touch` slides the expiry forward
 * (Redis EXPIRE), and `update` patches the session document while keeping its expiry.
 */

import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";

/** A session store over `db`, sessions idle-expiring after `idleMs`. */
export function sessionStore(db: FuseDB, idleMs: number) {
  const key = (id: string): string => `session:${id}`;
  return {
    /** Creates a session; fails with FUSEDB_VERSION_CONFLICT if the id is taken. */
    create: (id: string, data: Json) => db.set(key(id), data, { ttlMs: idleMs, ifVersion: 0 }),
    /** The session's data, or undefined once it expired or was destroyed. */
    get: async (id: string) => (await db.get(key(id)))?.value,
    /** Slides the expiry; false if the session is gone. */
    touch: async (id: string): Promise<boolean> => {
      try {
        await db.expire(key(id), idleMs);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === "FUSEDB_NOT_FOUND") return false;
        throw err;
      }
    },
    /** Merges `patch` into the session (RFC 7396), keeping its expiry. */
    update: (id: string, patch: Json) => db.patch(key(id), patch),
    destroy: (id: string) => db.delete(key(id)),
    /** Remaining lifetime in ms, or undefined if gone. */
    ttl: async (id: string) => (await db.ttl(key(id))) ?? undefined,
  };
}
