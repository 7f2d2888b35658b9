/**
 * Scans of JSON documents over a tree-like source: keys of other data types are skipped and the internal
 * subkeys (src/doc/key.ts: one contiguous range, 0x00 0x00 …) are jumped over in one step, however many
 * elements they hold. Shared by `db.scan` (src/db.ts) and snapshot reads (src/tx/snapshot-reads.ts).
 */
import type { Entry } from "../doc/entry.js";
import { INTERNAL_KEY_END, INTERNAL_KEY_PREFIX, isInternalKey, type KeyString } from "../doc/key.js";
import type { KeyRange } from "./key-range.js";

/** One page of a scan: up to `limit` entries of `range` in scan order (`reverse`: descending). */
export type ScanPage = (
  range: KeyRange,
  limit: number,
  reverse: boolean,
) => Promise<readonly (readonly [KeyString, Entry])[]>;

/**
 * Up to `limit` JSON documents of `range`, in scan order, read page by page through `page`.
 * Bounded: each pass ends the scan, moves its bound past what it read, or jumps the internal subkeys (once).
 * @throws whatever `page` throws.
 */
export async function scanDocuments(
  page: ScanPage,
  range: KeyRange,
  limit: number,
  reverse: boolean,
): Promise<[KeyString, Entry][]> {
  const out: [KeyString, Entry][] = [];
  let r: KeyRange = range;
  for (;;) {
    const want = limit - out.length;
    const found = await page(r, want, reverse);
    let next: KeyRange | undefined;
    for (const [k, entry] of found) {
      if (isInternalKey(k)) {
        next = reverse
          ? { ...withoutUpper(r), lt: INTERNAL_KEY_PREFIX }
          : { ...withoutLower(r), gte: INTERNAL_KEY_END };
        break;
      }
      if (entry.type === undefined) out.push([k, entry]);
    }
    if (next === undefined) {
      const last = found[found.length - 1];
      if (found.length < want || last === undefined || out.length >= limit) return out;
      next = reverse ? { ...withoutUpper(r), lt: last[0] } : { ...withoutLower(r), gt: last[0] };
    }
    r = next;
  }
}

/** `range` without its lower bound. */
function withoutLower(range: KeyRange): KeyRange {
  const { gt: _gt, gte: _gte, ...rest } = range;
  return rest;
}

/** `range` without its upper bound. */
function withoutUpper(range: KeyRange): KeyRange {
  const { lt: _lt, lte: _lte, ...rest } = range;
  return rest;
}
