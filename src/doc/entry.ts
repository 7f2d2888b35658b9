/**
 * The state of one key as the engine stores it, and the pure rules that turn a mutation into a new state.
 * Operations are resolved at write time (the base value is needed anyway for the version and for type
 * checks), so the WAL and the buffer hold resolved documents and no merge-operand chain can build up
 * (RocksDB issue #4095).
 */
import { InvalidArgumentError } from "../errors.js";
import type { Json } from "./json.js";
import { assertJson, decodeJson, encodeJson } from "./json.js";
import type { KeyInput } from "./key.js";
import { applyMergePatch } from "./merge-patch.js";

/**
 * One version of one key. `value === undefined` marks a tombstone (a deleted key that remembers its
 * version, so versions keep growing after a delete and re-create).
 */
export interface Entry {
  /** Per-key version: 1 for the first mutation, +1 for each later one (tombstones included). */
  readonly version: number;
  /** The document, frozen; undefined for a tombstone. */
  readonly value: Json | undefined;
  /** UTF-8 JSON text of `value`; undefined for a tombstone. */
  readonly text: Uint8Array | undefined;
  /** LSN of the WAL record that produced this version. */
  readonly lsn: number;
}

/** A mutation as callers pass it to `batch`. */
export type Mutation =
  | { op: "set"; key: KeyInput; value: Json }
  | { op: "delete"; key: KeyInput }
  | { op: "patch"; key: KeyInput; patch: Json }
  | { op: "incr"; key: KeyInput; delta?: number };

/** Limits enforced on every mutation. */
export interface ValueLimits {
  /** Largest document, as UTF-8 JSON text, in bytes. */
  valueBytesMax: number;
}

/** Validates the non-key arguments of a mutation before it touches any state. */
export function validateMutation(m: Mutation): void {
  switch (m.op) {
    case "set":
      assertJson(m.value);
      return;
    case "patch":
      assertJson(m.patch, "patch");
      return;
    case "incr": {
      const delta = m.delta ?? 1;
      if (typeof delta !== "number" || !Number.isSafeInteger(delta)) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `incr delta must be a safe integer`);
      }
      return;
    }
    case "delete":
      return;
    default:
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        `unknown op ${JSON.stringify((m as { op: unknown }).op)}`,
      );
  }
}

/**
 * Resolves a validated mutation against the key's current entry (undefined if the key never existed).
 * Pure: returns the new entry and changes nothing.
 * @throws InvalidArgumentError `FUSEDB_TYPE_MISMATCH` (incr on a non-integer), `FUSEDB_OUT_OF_RANGE` (incr
 *   leaving the safe-integer range), `FUSEDB_VALUE_TOO_LARGE`.
 */
export function resolveMutation(
  current: Entry | undefined,
  m: Mutation,
  lsn: number,
  limits: ValueLimits,
): Entry {
  const version = (current?.version ?? 0) + 1;
  switch (m.op) {
    case "delete":
      return { version, value: undefined, text: undefined, lsn };
    case "set":
      return materialise(m.value, version, lsn, limits);
    case "patch":
      return materialise(applyMergePatch(current?.value, m.patch), version, lsn, limits);
    case "incr": {
      // A missing or deleted key counts as 0; JSON null is a value, and not a number.
      const base = current === undefined || current.value === undefined ? 0 : current.value;
      if (typeof base !== "number" || !Number.isSafeInteger(base)) {
        throw new InvalidArgumentError(
          "FUSEDB_TYPE_MISMATCH",
          `incr needs an integer value; the key holds ${describeJson(base)}`,
        );
      }
      const next = base + (m.delta ?? 1);
      if (!Number.isSafeInteger(next)) {
        throw new InvalidArgumentError(
          "FUSEDB_OUT_OF_RANGE",
          `incr result ${next} leaves the safe-integer range`,
        );
      }
      return materialise(next, version, lsn, limits);
    }
  }
}

function materialise(value: Json, version: number, lsn: number, limits: ValueLimits): Entry {
  const text = encodeJson(value);
  if (text.length > limits.valueBytesMax) {
    throw new InvalidArgumentError(
      "FUSEDB_VALUE_TOO_LARGE",
      `value is ${text.length} bytes of JSON; the limit is ${limits.valueBytesMax}`,
    );
  }
  // Normalise through the text form (drops -0, copies the caller's object) and freeze.
  return { version, value: decodeJson(text), text, lsn };
}

/** Rebuilds an entry from stored fields. @throws on undecodable text (callers report corruption). */
export function entryFromStored(version: number, text: Uint8Array | undefined, lsn: number): Entry {
  if (text === undefined) return { version, value: undefined, text: undefined, lsn };
  return { version, value: decodeJson(text), text, lsn };
}

function describeJson(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return `the non-integer ${v}`;
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
