/**
 * JSON Merge Patch, RFC 7396 section 2: objects merge recursively, `null` removes a field, anything that is
 * not an object replaces the target whole. Pure: neither input is modified.
 */
import type { Json } from "./json.js";
import { isJsonObject } from "./json.js";

/**
 * Applies `patch` to `target` (undefined for a missing document) and returns the new document.
 * Source: RFC 7396 `MergePatch(Target, Patch)` pseudocode.
 */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return patch;
  const out: { [field: string]: Json } = {};
  if (isJsonObject(target)) {
    for (const field of Object.keys(target)) define(out, field, target[field] as Json);
  }
  for (const field of Object.keys(patch)) {
    const value = patch[field] as Json;
    if (value === null) {
      delete out[field];
    } else {
      define(out, field, applyMergePatch(Object.hasOwn(out, field) ? out[field] : undefined, value));
    }
  }
  return out;
}

// defineProperty, not assignment, so a field named "__proto__" stays an ordinary field.
function define(obj: { [field: string]: Json }, field: string, value: Json): void {
  Object.defineProperty(obj, field, { value, enumerable: true, writable: true, configurable: true });
}
