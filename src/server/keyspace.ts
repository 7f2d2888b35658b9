/**
 * Databases (SELECT 0..n-1) inside one engine: database `db`'s key K is stored as the single byte `db`
 * followed by K's bytes. One engine means one WAL, one group commit for every database, and FLUSHALL or a
 * future MULTI spanning databases in one record; the prefix also makes Redis's empty key "" storable. The
 * engine's key limit applies to the prefixed key, so a key may be one byte shorter than `keyBytesMax`.
 *
 *   stored key := db u8 | user key bytes        (db < `databases`, at most 255)
 *
 * A key written to the same data directory through the library without the server lands in the database
 * whose index is its first byte (or none, past `databases`): use a directory with one or the other.
 * `db` here is the stored database; SWAPDB maps database numbers onto stored ones (database-map.ts).
 */
import { Buffer } from "node:buffer";
import { type KeyString, treeKeyOf } from "../doc/key.js";
import { KEYS_END, type KeyBounds, type KeyFound } from "../types/key-ops.js";
import { countKeysAndExpires } from "../types/keys.js";
import type { OpRunner } from "../types/runner.js";

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

/**
 * The tree keys of database `db` (src/doc/key.ts: database 0's keys start with 0x00, so they are escaped
 * and sort in [0x00 0x01, 0x01); the internal subkeys stay outside every database's bounds).
 */
export function dbBounds(db: number): KeyBounds {
  const gte = treeKeyOf(String.fromCharCode(db));
  return { gte, lt: db < 255 ? treeKeyOf(String.fromCharCode(db + 1)) : KEYS_END };
}

/** The user key (database byte dropped) of a tree key inside a database's bounds. */
export function treeUserKey(key: KeyString): Buffer {
  // A database's tree keys: db 0's are escaped (0x00 0x01 rest), every other db's are the stored key.
  const skip = key.charCodeAt(0) === 0 ? 2 : 1;
  return Buffer.from(key.slice(skip), "latin1");
}

/** {@link treeUserKey} of a key found by a key page. */
export function foundUserKey(found: KeyFound): Buffer {
  return treeUserKey(found.key);
}

/**
 * Live keys of database `db` (every type), and how many of them expire. O(keys): the engine keeps no
 * count; read in bounded pages (src/types/keys.ts countKeysAndExpires).
 */
export function countDatabase(run: OpRunner, db: number): Promise<{ keys: number; expires: number }> {
  return countKeysAndExpires(run, dbBounds(db));
}
