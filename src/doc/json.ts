/**
 * The value model: JSON documents (RFC 8259). Values are validated, normalised through their text form, and
 * deep-frozen, so the engine and its callers can share them without defensive copies.
 */
import { InvalidArgumentError } from "../errors.js";

/** A JSON document: what `set` accepts and `get` returns. */
export type Json = null | boolean | number | string | Json[] | { [field: string]: Json };

/** Nesting depth bound for documents, checked before any recursion can overflow the stack. */
export const JSON_DEPTH_MAX = 128;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks that `value` is a JSON document: null, a boolean, a finite number, a string, an array or a plain
 * object of those, without cycles, nested at most {@link JSON_DEPTH_MAX} deep.
 * @throws InvalidArgumentError `FUSEDB_INVALID_JSON` naming the offending path.
 */
export function assertJson(value: unknown, what = "value"): asserts value is Json {
  checkJson(value, what, 0, new Set());
}

function checkJson(value: unknown, path: string, depth: number, seen: Set<object>): void {
  if (depth > JSON_DEPTH_MAX) invalid(path, `nested deeper than ${JSON_DEPTH_MAX}`);
  switch (typeof value) {
    case "boolean":
    case "string":
      return;
    case "number":
      if (!Number.isFinite(value)) invalid(path, `${value} is not a JSON number`);
      return;
    case "object":
      break;
    default:
      invalid(path, `${typeof value} is not JSON`);
  }
  if (value === null) return;
  if (seen.has(value)) invalid(path, "cycle");
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) invalid(`${path}[${i}]`, "sparse array hole");
      checkJson(value[i], `${path}[${i}]`, depth + 1, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) invalid(path, "not a plain object");
    for (const field of Object.keys(value)) {
      checkJson((value as Record<string, unknown>)[field], `${path}.${field}`, depth + 1, seen);
    }
  }
  seen.delete(value);
}

function invalid(path: string, why: string): never {
  throw new InvalidArgumentError("FUSEDB_INVALID_JSON", `${path}: ${why}`);
}

/** Deep-freezes a JSON value in place and returns it. */
export function deepFreeze<T extends Json>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** UTF-8 text of a validated document. */
export function encodeJson(value: Json): Uint8Array {
  return textEncoder.encode(JSON.stringify(value));
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
