/**
 * The value model: JSON documents (RFC 8259). Values are validated and encoded in one bounded pass
 * (./encode-value.ts), normalised through their text form, and deep-frozen, so the engine and its callers
 * can share them without defensive copies.
 */
import { InvalidArgumentError } from "../errors.js";

/** A JSON document: what `set` accepts and `get` returns. */
export type Json = null | boolean | number | string | Json[] | { [field: string]: Json };

/**
 * Nesting depth bound for documents, checked before any recursion can overflow the stack: the root is at
 * depth 0, an array element or object field one deeper than its container, and no value may sit deeper.
 */
export const JSON_DEPTH_MAX = 128;

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Deep-freezes a JSON value in place and returns it. */
export function deepFreeze<T extends Json>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses UTF-8 JSON text read back from disk into a frozen document.
 * @throws SyntaxError or TypeError on bad text; callers on the read path turn that into a CorruptionError.
 */
export function decodeJson(bytes: Uint8Array): Json {
  return deepFreeze(JSON.parse(textDecoder.decode(bytes)) as Json);
}

/**
 * Parses JSON text typed by a user (the shell). @throws InvalidArgumentError `FUSEDB_INVALID_JSON`.
 */
export function parseJsonText(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new InvalidArgumentError("FUSEDB_INVALID_JSON", `invalid JSON: ${(err as Error).message}`);
  }
}

/** Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: Json | undefined): value is { [field: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
