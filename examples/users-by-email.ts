/**
 * Users looked up by email, with a unique secondary index: a sign-up with an email already taken is refused
 * by the engine itself (IndexError FUSEDB_UNIQUE_VIOLATION, nothing written), even when two sign-ups race,
 * and an email change frees the old address in the same atomic write.
 */

import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";

/** A user directory over `db`: documents `user:<id>` with a unique index on `email`. */
export async function userDirectory(db: FuseDB) {
  if (!db.indexes().some((i) => i.name === "users-by-email")) {
    await db.createIndex({ name: "users-by-email", prefix: "user:", path: "email", unique: true });
  }
  await db.waitForIndex("users-by-email");
  return {
    /** Registers a user; false if the email is taken (by a live user). */
    signUp: async (id: string, email: string, profile: Json = {}): Promise<boolean> => {
      try {
        await db.set(`user:${id}`, { email, profile }, { ifVersion: 0 });
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === "FUSEDB_UNIQUE_VIOLATION") return false;
        throw err;
      }
    },
    /** The user holding `email`, or undefined. */
    byEmail: async (email: string): Promise<{ id: string; doc: Json } | undefined> => {
      const [hit] = await db.query({ index: "users-by-email", eq: email, limit: 1 });
      return hit && { id: hit.key.slice("user:".length), doc: hit.value };
    },
    /** Changes a user's email (refused like a sign-up if taken). */
    changeEmail: (id: string, email: string) => db.patch(`user:${id}`, { email }),
    remove: (id: string) => db.delete(`user:${id}`),
  };
}
