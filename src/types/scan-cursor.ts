/**
 * Cursor scans over a collection's elements (HSCAN, SSCAN, ZSCAN) and over keys (SCAN): the cursor names
 * the last subkey returned, so a scan resumes after it wherever leaves split or elements come and go, and
 * every element present for the whole scan is returned exactly once (Redis promises at least once).
 * Cursors are opaque strings: "0" starts a scan, and a page answering "0" ends it (Redis's convention; the
 * RESP server maps them to integers).
 */
import { Buffer } from "node:buffer";
import type { Json } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import { DataTypeError, InvalidArgumentError } from "../errors.js";
import { globMatch } from "../util/glob.js";
import type { Txn } from "./txn.js";

/** One page of a cursor scan. */
export interface ScanPage<T> {
  /** Pass it to the next call; "0" when the scan is complete. */
  cursor: string;
  items: T[];
}

/** Most elements one read of a collection takes at a time. */
export const ELEMENTS_PER_READ = 1000;

/** The default and the largest `count` of a scan page. */
export const SCAN_COUNT_DEFAULT = 10;
export const SCAN_COUNT_MAX = 100_000;

/** The cursor after `sub`. */
export function cursorAfter(sub: string): string {
  return `1${Buffer.from(sub, "latin1").toString("base64url")}`;
}

/**
 * The sub a cursor resumes after: undefined for "0" (the start).
 * @throws DataTypeError FUSEDB_SYNTAX ("ERR invalid cursor") for anything else.
 */
export function cursorSub(cursor: string): string | undefined {
  if (cursor === "0") return undefined;
  if (typeof cursor !== "string" || !/^1[A-Za-z0-9_-]*$/.test(cursor)) {
    throw new DataTypeError("FUSEDB_SYNTAX", "ERR invalid cursor");
  }
  return Buffer.from(cursor.slice(1), "base64url").toString("latin1");
}

/** A page size from the caller's `count`. @throws InvalidArgumentError unless 1 ≤ count ≤ SCAN_COUNT_MAX. */
export function scanCount(count: unknown): number {
  if (count === undefined) return SCAN_COUNT_DEFAULT;
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1 || count > SCAN_COUNT_MAX) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      `count must be an integer in 1..${SCAN_COUNT_MAX}`,
    );
  }
  return count;
}

/**
 * One page of the elements under `prefix` (undefined: a missing key, an empty complete page) after
 * `cursor`: up to `count` elements examined, those whose sub matches the glob `match` mapped by `map`.
 * @throws NeedRead; DataTypeError for a bad cursor; InvalidArgumentError for a bad count.
 */
export function scanCursor<T>(
  tx: Txn,
  prefix: KeyString | undefined,
  cursor: string,
  options: { match?: string | Uint8Array; count?: number },
  map: (sub: string, value: Json) => T,
): ScanPage<T> {
  const after = cursorSub(cursor);
  const count = scanCount(options.count);
  const match = options.match === undefined ? undefined : Buffer.from(options.match as Uint8Array | string);
  if (prefix === undefined) return { cursor: "0", items: [] };
  // Elements after `after`: from the smallest sub above it (after + "\0").
  const page = tx.elements(prefix, count + 1, false, after === undefined ? undefined : `${after}\x00`);
  const items: T[] = [];
  const examined = page.slice(0, count);
  for (const [sub, value] of examined) {
    if (match === undefined || globMatch(match, Buffer.from(sub, "latin1"))) items.push(map(sub, value));
  }
  const last = examined[examined.length - 1];
  return { cursor: page.length > count && last !== undefined ? cursorAfter(last[0]) : "0", items };
}
