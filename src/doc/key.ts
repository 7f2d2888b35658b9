/**
 * Keys are byte strings ordered bytewise. The tree's key space holds user keys and, in a reserved range,
 * the engine's internal subkeys (the elements of hashes, lists, sets and sorted sets; docs/key-encoding.md):
 *
 *   tree-key := user-key                       (a user key whose first byte is not 0x00: itself)
 *             | 0x00 0x01 rest                 (a user key 0x00 rest: escaped, order kept)
 *             | 0x00 0x00 internal             (the engine's own: never a user key)
 *
 * So a user key can never forge an internal subkey, user keys keep their bytewise order among themselves,
 * and every internal subkey sorts before every user key that does not start with 0x00. Inside the engine a key is a "binary string": one UTF-16 code unit
 * per byte (latin1), so JavaScript's `<` on two such strings is exactly bytewise (memcmp) order and a key can
 * index a `Map` without copies. Callers pass strings (taken as UTF-8) or bytes.
 */
import { Buffer } from "node:buffer";
import { InvalidArgumentError } from "../errors.js";

/** A key as the engine holds it: one char per byte, char codes 0-255. */
export type KeyString = string;

/** What callers may pass as a key: a string (encoded as UTF-8) or raw bytes. */
export type KeyInput = string | Uint8Array;

/** Largest key the formats can hold: keyLength is a u16 in WAL batches and segment entries. */
export const KEY_BYTES_LIMIT = 0xffff;

/** A lone surrogate: UTF-8 cannot encode it (Buffer would write U+FFFD, aliasing distinct keys). */
const LONE_SURROGATE = /\p{Cs}/u;
/** Any char outside ASCII (a string without one is its own UTF-8 and latin1 form). */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Converts a caller's key to its tree key (a {@link KeyString}; escaped if it starts with 0x00, see the
 * module comment), enforcing `1 <= bytes <= keyBytesMax`.
 * @throws InvalidArgumentError `FUSEDB_INVALID_ARGUMENT` (wrong type, empty, a string with a lone surrogate)
 *   or `FUSEDB_KEY_TOO_LARGE` (also for a key of KEY_BYTES_LIMIT bytes that starts with 0x00: its escape
 *   would not fit).
 */
export function toKeyString(key: unknown, keyBytesMax: number): KeyString {
  const k = userKeyString(key, keyBytesMax);
  return k.charCodeAt(0) === 0 ? escapeUserKey(k) : k;
}

/** The tree key of a user key that starts with 0x00. */
function escapeUserKey(k: KeyString): KeyString {
  if (k.length + 1 > KEY_BYTES_LIMIT) {
    throw new InvalidArgumentError(
      "FUSEDB_KEY_TOO_LARGE",
      `key is ${k.length} bytes; the limit is ${KEY_BYTES_LIMIT - 1} for a key that starts with 0x00`,
    );
  }
  return `\x00\x01${k.slice(1)}`;
}

/** The tree key of a user key given as a KeyString of its own bytes (see {@link userKeyString}). */
export function treeKeyOf(userKey: KeyString): KeyString {
  return userKey.charCodeAt(0) === 0 ? escapeUserKey(userKey) : userKey;
}

/** The first bytes of every internal subkey (see the module comment). */
export const INTERNAL_KEY_PREFIX = "\x00\x00";
/** The first tree key past every internal subkey. */
export const INTERNAL_KEY_END = "\x00\x01";

/** Whether a tree key is one of the engine's internal subkeys (never a user key). */
export function isInternalKey(key: KeyString): boolean {
  return key.charCodeAt(0) === 0 && key.charCodeAt(1) === 0;
}

/**
 * The user key a tree key stands for, as a KeyString (escape removed). @throws AssertionError on an
 * internal subkey (never shown to users).
 */
export function userKeyOf(treeKey: KeyString): KeyString {
  if (treeKey.charCodeAt(0) !== 0) return treeKey;
  if (treeKey.charCodeAt(1) !== 1) throw new Error("an internal subkey is not a user key");
  return `\x00${treeKey.slice(2)}`;
}

/** A user key's bytes from its tree key (see {@link userKeyOf}). */
export function userKeyBytes(treeKey: KeyString): Buffer {
  return Buffer.from(userKeyOf(treeKey), "latin1");
}

/**
 * A caller's key as a KeyString of its own bytes (no escape), enforcing `1 <= bytes <= keyBytesMax`.
 * @throws as {@link toKeyString}.
 */
export function userKeyString(key: unknown, keyBytesMax: number): KeyString {
  let bytes: Buffer;
  if (typeof key === "string" && !NON_ASCII.test(key)) {
    // ASCII (the usual key): its UTF-8 bytes are its chars, so it is its own KeyString (no Buffer).
    if (key.length === 0) throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "key must not be empty");
    if (key.length > keyBytesMax) {
      throw new InvalidArgumentError(
        "FUSEDB_KEY_TOO_LARGE",
        `key is ${key.length} bytes; the limit is ${keyBytesMax}`,
      );
    }
    return key;
  }
  if (typeof key === "string") {
    if (LONE_SURROGATE.test(key)) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "key string has a lone surrogate (not UTF-8)",
      );
    }
    bytes = Buffer.from(key, "utf8");
  } else if (key instanceof Uint8Array) bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  else throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `key must be a string or Uint8Array`);
  if (bytes.length === 0) throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "key must not be empty");
  if (bytes.length > keyBytesMax) {
    throw new InvalidArgumentError(
      "FUSEDB_KEY_TOO_LARGE",
      `key is ${bytes.length} bytes; the limit is ${keyBytesMax}`,
    );
  }
  return bytes.toString("latin1");
}

/** The bytes of a key. */
export function keyBytes(key: KeyString): Buffer {
  return Buffer.from(key, "latin1");
}

/** A key decoded as UTF-8 for display (invalid sequences become U+FFFD). */
export function keyToText(key: KeyString): string {
  return Buffer.from(key, "latin1").toString("utf8");
}
