/**
 * Keys are byte strings ordered bytewise. Inside the engine a key is a "binary string": one UTF-16 code unit
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
 * Converts a caller's key to a {@link KeyString}, enforcing `1 <= bytes <= keyBytesMax`.
 * @throws InvalidArgumentError `FUSEDB_INVALID_ARGUMENT` (wrong type, empty, a string with a lone surrogate)
 *   or `FUSEDB_KEY_TOO_LARGE`.
 */
export function toKeyString(key: unknown, keyBytesMax: number): KeyString {
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
