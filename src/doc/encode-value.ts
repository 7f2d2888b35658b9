/**
 * Validating and encoding a caller's value are one bounded pass. The pass walks the value as a tree and
 * stops with `FUSEDB_VALUE_TOO_LARGE` as soon as the text written so far passes `valueBytesMax`, and with
 * `FUSEDB_INVALID_JSON` past {@link JSON_DEPTH_MAX}, so its work is O(valueBytesMax) whatever the value's
 * shape: every node visited adds at least one byte of text. A value that reuses sub-objects (`[x, x]` nested
 * n deep is 2^n nodes as a tree, 2^n * 4 bytes as text) costs no more than its first valueBytesMax bytes,
 * where a validator that walks first and encodes afterwards is exponential (issue 12 item 3).
 *
 * The rules (unchanged from the first validator): null, booleans, finite numbers (-0 is written as 0, as
 * JSON.stringify does), strings (a lone surrogate is written as a `\uXXXX` escape), arrays without holes,
 * and plain objects (prototype `Object.prototype` or null) whose own enumerable string-keyed properties
 * hold JSON values; no cycles; a value at depth > JSON_DEPTH_MAX (the root is at depth 0, an element or
 * field one deeper than its container) is rejected. Symbol-keyed and non-enumerable properties, and named
 * properties of arrays, are not part of the document (as with JSON.stringify). `toJSON` is never called:
 * a field holding a function is an error. Getters and Proxy traps run once per property read; whatever they
 * throw becomes `FUSEDB_INVALID_JSON` naming the path, with the thrown value as its `cause`.
 */
import { Buffer } from "node:buffer";
import { InvalidArgumentError } from "../errors.js";
import { JSON_DEPTH_MAX } from "./json.js";

/** Limits enforced on every document a mutation writes. */
export interface ValueLimits {
  /** Largest document, as UTF-8 JSON text, in bytes. */
  readonly valueBytesMax: number;
}

/** Longest object field quoted in an error path, in characters. */
const PATH_FIELD_CHARS_MAX = 40;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Checks that `value` is a JSON document within `limits` and returns its JSON text (the same text
 * JSON.stringify gives for a valid document). Reads each property of the caller's value once. Work and
 * memory are O(limits.valueBytesMax + JSON_DEPTH_MAX).
 * @param what names the value in error messages ("value", "patch").
 * @throws InvalidArgumentError `FUSEDB_VALUE_TOO_LARGE` once the UTF-8 text passes `limits.valueBytesMax`;
 *   `FUSEDB_INVALID_JSON` naming the offending path for anything that is not JSON, a cycle, nesting past
 *   {@link JSON_DEPTH_MAX}, or a getter or Proxy trap that throws (its error is the `cause`). The first
 *   problem in document order wins, except that a value found to be cyclic is reported as a cycle.
 */
export function encodeValue(value: unknown, limits: ValueLimits, what = "value"): string {
  const writer = new TextWriter(limits.valueBytesMax);
  try {
    writer.value(value, 0);
  } catch (err) {
    throw refusalAt(err, undefined, undefined).toError(what, limits.valueBytesMax);
  }
  // The pass bounded the text's UTF-16 length (a lower bound of its UTF-8 size); this is the exact size.
  if (Buffer.byteLength(writer.out, "utf8") > limits.valueBytesMax) {
    throw new Refusal("FUSEDB_VALUE_TOO_LARGE", "").toError(what, limits.valueBytesMax);
  }
  return writer.out;
}

/**
 * The JSON text written so far. Its length in UTF-16 units never passes `unitsMax` by more than one
 * write: every loop and every string checks it, so the pass does O(unitsMax) work. No path is kept while
 * writing; a refusal collects it on its way out (see {@link refusalAt}).
 */
class TextWriter {
  out = "";
  constructor(private readonly unitsMax: number) {}

  /** Writes any value at `depth` (the root is 0). */
  value(value: unknown, depth: number): void {
    if (depth > JSON_DEPTH_MAX)
      throw new Refusal("FUSEDB_INVALID_JSON", `nested deeper than ${JSON_DEPTH_MAX}`);
    switch (typeof value) {
      case "boolean":
        this.out += value ? "true" : "false";
        return;
      case "string":
        this.string(value);
        return;
      case "number":
        if (!Number.isFinite(value))
          throw new Refusal("FUSEDB_INVALID_JSON", `${value} is not a JSON number`);
        this.out += String(value); // as JSON.stringify: -0 is "0"
        return;
      case "object":
        if (value === null) this.out += "null";
        else if (Array.isArray(value)) this.array(value, depth);
        else this.object(value, depth);
        return;
      default:
        throw new Refusal("FUSEDB_INVALID_JSON", `${typeof value} is not JSON`);
    }
  }

  private array(value: readonly unknown[], depth: number): void {
    const length = value.length;
    // Only a Proxy can claim a length no array has.
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new Refusal("FUSEDB_INVALID_JSON", `array length ${String(length)}`);
    }
    this.out += "[";
    let i = 0;
    try {
      // Bounded by unitsMax: each element writes at least one unit, and the size is checked after each.
      for (; i < length; i++) {
        if (i > 0) this.out += ",";
        if (!(i in value)) throw new Refusal("FUSEDB_INVALID_JSON", "sparse array hole");
        this.value(value[i], depth + 1);
        this.checkSize();
      }
    } catch (err) {
      throw refusalAt(err, i, value);
    }
    this.out += "]";
  }

  private object(value: object, depth: number): void {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new Refusal("FUSEDB_INVALID_JSON", "not a plain object");
    this.out += "{";
    let field: string | undefined;
    let first = true;
    try {
      // Bounded by unitsMax: each field writes at least four units, and the size is checked after each.
      for (field of Object.keys(value)) {
        if (!first) this.out += ",";
        first = false;
        this.string(field);
        this.out += ":";
        this.value((value as Record<string, unknown>)[field], depth + 1);
        this.checkSize();
      }
    } catch (err) {
      throw refusalAt(err, field, value);
    }
    this.out += "}";
  }

  private string(s: string): void {
    // A string's text is at least its length plus two quotes: one far over the limit is refused before it
    // is escaped.
    if (this.out.length + s.length + 2 > this.unitsMax) throw new Refusal("FUSEDB_VALUE_TOO_LARGE", "");
    this.out += JSON.stringify(s);
  }

  private checkSize(): void {
    if (this.out.length > this.unitsMax) throw new Refusal("FUSEDB_VALUE_TOO_LARGE", "");
  }
}

/**
 * Why a value was refused, and where: the path segments and containers from the failing value up to the
 * root, collected by each container's frame as the refusal leaves it (innermost first).
 */
class Refusal {
  readonly segments: (string | number)[] = [];
  readonly containers: object[] = [];
  constructor(
    readonly code: "FUSEDB_INVALID_JSON" | "FUSEDB_VALUE_TOO_LARGE",
    readonly why: string,
    readonly cause?: unknown,
  ) {}

  toError(what: string, bytesMax: number): InvalidArgumentError {
    const segments = this.segments.slice().reverse();
    const containers = this.containers.slice().reverse();
    // A container met again on the path is a cycle, whatever limit the walk ran into first.
    for (let j = 1; j < containers.length; j++) {
      if (containers.indexOf(containers[j] as object) < j) {
        return new InvalidArgumentError(
          "FUSEDB_INVALID_JSON",
          `${pathText(what, segments.slice(0, j))}: cycle`,
        );
      }
    }
    if (this.code === "FUSEDB_VALUE_TOO_LARGE") {
      return new InvalidArgumentError(
        "FUSEDB_VALUE_TOO_LARGE",
        `${what} is more than ${bytesMax} bytes of JSON text (the limit)`,
      );
    }
    const options = this.cause === undefined ? undefined : { cause: this.cause };
    return new InvalidArgumentError(
      "FUSEDB_INVALID_JSON",
      `${pathText(what, segments)}: ${this.why}`,
      options,
    );
  }
}

/**
 * `err` as a Refusal (anything else was thrown by a getter or Proxy trap of the caller's value), with the
 * segment and container of the frame it is leaving added (none for the root).
 */
function refusalAt(
  err: unknown,
  segment: string | number | undefined,
  container: object | undefined,
): Refusal {
  const refusal =
    err instanceof Refusal
      ? err
      : new Refusal("FUSEDB_INVALID_JSON", `reading it threw ${describeThrown(err)}`, err);
  if (segment !== undefined && container !== undefined) {
    refusal.segments.push(segment);
    refusal.containers.push(container);
  }
  return refusal;
}

/** The path of a value for a message: `value.a[3]["odd key"]`. */
function pathText(what: string, segments: readonly (string | number)[]): string {
  let out = what;
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (IDENTIFIER.test(s) && s.length <= PATH_FIELD_CHARS_MAX) out += `.${s}`;
    else {
      const shown = s.length > PATH_FIELD_CHARS_MAX ? `${s.slice(0, PATH_FIELD_CHARS_MAX)}...` : s;
      out += `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}

/** A thrown value shown in a message; never throws itself (its getters may). */
function describeThrown(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    return "a value that cannot be shown";
  }
}
