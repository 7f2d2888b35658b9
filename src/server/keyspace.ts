/**
 * Databases (SELECT 0..n-1) inside one engine: database `db`'s key K is stored as the single byte `db`
 * followed by K's bytes. One engine means one WAL, one group commit for every database, and FLUSHALL or a
 * future MULTI spanning databases in one record; the prefix also makes Redis's empty key "" storable. The
 * engine's key limit applies to the prefixed key, so a key may be one byte shorter than `keyBytesMax`.
 *
 *   stored key := db u8 | user key bytes        (db < `databases`, at most 256)
 *
 * A key written to the same data directory through the library without the server lands in the database
 * whose index is its first byte (or none, past `databases`): use a directory with one or the other.
 */
import { Buffer } from "node:buffer";
import { type FuseDB, SCAN_LIMIT_MAX, type ScanEntry } from "../index.js";

/** The engine key of `key` in database `db`. */
export function dbKey(db: number, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(key.length + 1);
  out[0] = db;
  out.set(key, 1);
  return out;
}

/** The user key of an engine key (its bytes after the database byte). */
export function userKey(stored: Uint8Array): Buffer {
  return Buffer.from(stored.buffer, stored.byteOffset + 1, stored.byteLength - 1);
}

/** Scan bounds covering database `db` exactly. */
function bounds(db: number): { gte: Buffer; lt?: Buffer } {
  const gte = Buffer.from([db]);
  return db < 255 ? { gte, lt: Buffer.from([db + 1]) } : { gte };
}

/**
 * Calls `visit` with each page of database `db`'s live entries, in key order, until the database ends or
 * `visit` returns false. Pages hold at most `pageMax` entries, so memory stays bounded by one page.
 */
export async function scanDatabase(
  engine: FuseDB,
  db: number,
  visit: (page: ScanEntry[]) => boolean | undefined,
  pageMax = 10_000,
): Promise<void> {
  const { gte, lt } = bounds(db);
  let after: Uint8Array | undefined;
  const limit = Math.min(pageMax, SCAN_LIMIT_MAX);
  // Bounded by the keys of the database: every page moves `after` forward.
  for (;;) {
    const page = await engine.scan(after === undefined ? { gte, lt, limit } : { gt: after, lt, limit });
    if (page.length === 0) return;
    if (visit(page) === false) return;
    if (page.length < limit) return;
    after = (page[page.length - 1] as ScanEntry).keyBytes;
  }
}

/** Live keys of database `db`, and how many of them expire. O(keys): the engine keeps no count. */
export async function countDatabase(engine: FuseDB, db: number): Promise<{ keys: number; expires: number }> {
  let keys = 0;
  let expires = 0;
  await scanDatabase(engine, db, (page) => {
    keys += page.length;
    for (const e of page) if (e.expiresAtMs !== undefined) expires++;
    return true;
  });
  return { keys, expires };
}
