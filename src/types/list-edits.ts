/**
 * The list operations that search by value or edit the middle (LPOS, LINSERT, LREM), over the storage of
 * src/types/list-ops.ts. A search reads from one end in growing chunks (64, 128, ... elements, so a rerun
 * after each read costs O(log n) runs) and stops as soon as it has its answer; an edit rewrites only the
 * elements between it and the end it compacts towards (the end it searched from, whose elements it read).
 */
import type { KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { type ListState, listOf, putAt, putList, readRange } from "./list-ops.js";
import type { Txn } from "./txn.js";

/** Elements the first chunk of a search reads; each next chunk doubles it. */
const SEARCH_CHUNK_FIRST = 64;

/**
 * Visits up to `maxlen` elements from the head (or the tail, `fromTail`) as (index, value), in order,
 * until `visit` returns true. @throws NeedRead.
 */
export function scanList(
  tx: Txn,
  l: ListState,
  fromTail: boolean,
  maxlen: number,
  visit: (i: number, value: string) => boolean,
): void {
  const total = Math.min(maxlen, l.n);
  let chunk = SEARCH_CHUNK_FIRST;
  for (let done = 0; done < total; chunk *= 2) {
    const take = Math.min(chunk, total - done);
    const from = fromTail ? l.n - done - take : done;
    const values = readRange(tx, l, from, from + take, fromTail);
    for (let j = 0; j < values.length; j++) {
      const i = fromTail ? l.n - 1 - done - j : done + j;
      if (visit(i, values[j] as string)) return;
    }
    done += take;
  }
}

/** LPOS options: RANK (nth match, negative from the tail), COUNT (0: every match), MAXLEN (0: no limit). */
export interface LposOptions {
  rank?: number;
  count?: number;
  maxlen?: number;
}

/** Validates LPOS options with Redis's errors (before the key is looked at). @throws DataTypeError. */
export function checkLposOptions(o: LposOptions): void {
  if (o.rank === 0) {
    throw new DataTypeError(
      "FUSEDB_SYNTAX",
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
  }
  if (o.count !== undefined && o.count < 0)
    throw new DataTypeError("FUSEDB_NEGATIVE", "ERR COUNT can't be negative");
  if (o.maxlen !== undefined && o.maxlen < 0) {
    throw new DataTypeError("FUSEDB_NEGATIVE", "ERR MAXLEN can't be negative");
  }
}

/**
 * LPOS: indexes of `element` (see {@link LposOptions}); without COUNT one index or undefined, with COUNT a
 * list. Reads at most MAXLEN elements, and stops at the last match wanted. @throws DataTypeError; WrongTypeError.
 */
export function lpos(tx: Txn, k: KeyString, element: string, o: LposOptions): number | undefined | number[] {
  checkLposOptions(o);
  const l = listOf(tx, k);
  const found: number[] = [];
  if (l !== undefined) {
    const rank = o.rank ?? 1;
    const want = o.count === undefined ? 1 : o.count === 0 ? Number.POSITIVE_INFINITY : o.count;
    let skip = Math.abs(rank) - 1;
    scanList(tx, l, rank < 0, o.maxlen ? o.maxlen : Number.POSITIVE_INFINITY, (i, v) => {
      if (v !== element) return false;
      if (skip > 0) skip--;
      else found.push(i);
      return found.length >= want;
    });
  }
  return o.count === undefined ? found[0] : found;
}

/**
 * LINSERT: inserts `element` before or after the first `pivot` from the head; the new length, -1 when the
 * pivot is absent, 0 when the key is. Moves the elements on the shorter side of the insertion point.
 * @throws WrongTypeError.
 */
export function linsert(
  tx: Txn,
  k: KeyString,
  where: "before" | "after",
  pivot: string,
  element: string,
): number {
  const l = listOf(tx, k);
  if (l === undefined) return 0;
  const head: string[] = [];
  let at = -1;
  scanList(tx, l, false, Number.POSITIVE_INFINITY, (i, v) => {
    head.push(v);
    if (v !== pivot) return false;
    at = i;
    return true;
  });
  if (at < 0) return -1;
  const j = where === "before" ? at : at + 1; // the new element's index
  if (j <= l.n - j) {
    // Shift [0, j) one towards the head: values already read.
    for (let i = 0; i < j; i++) putAt(tx, l, i - 1, head[i]);
    putAt(tx, l, j - 1, element);
    putList(tx, k, l, l.n + 1, l.h - 1, "linsert");
  } else {
    const tail = readRange(tx, l, j, l.n);
    for (let i = l.n - 1; i >= j; i--) putAt(tx, l, i + 1, tail[i - j]);
    putAt(tx, l, j, element);
    putList(tx, k, l, l.n + 1, l.h, "linsert");
  }
  return l.n + 1;
}

/**
 * LREM: removes up to |count| elements equal to `element`, from the head (count > 0), the tail (< 0), or
 * all (0); how many. The survivors between the searched end and the last removal move up to close the gap.
 * @throws WrongTypeError.
 */
export function lrem(tx: Txn, k: KeyString, count: number, element: string): number {
  const l = listOf(tx, k);
  if (l === undefined) return 0;
  const fromTail = count < 0;
  const limit = count === 0 ? Number.POSITIVE_INFINITY : Math.abs(count);
  const seen: string[] = []; // values in scan order, up to the last removal
  let removed = 0;
  let scanned = 0;
  scanList(tx, l, fromTail, Number.POSITIVE_INFINITY, (_i, v) => {
    seen.push(v);
    if (v === element) {
      removed++;
      scanned = seen.length;
    }
    return removed >= limit;
  });
  if (removed === 0) return 0;
  const n = l.n - removed;
  if (n === 0) {
    tx.deleteKey(k, "lrem");
    return removed;
  }
  // Survivors among the first `scanned` scanned, kept in scan order, packed against the far side of the
  // scanned stretch; the freed slots at the searched end are removed.
  const kept = seen.slice(0, scanned).filter((v) => v !== element);
  const index = (s: number): number => (fromTail ? l.n - 1 - s : s); // scan step → list index
  for (let s = 0; s < removed; s++) putAt(tx, l, index(s), undefined);
  for (let t = 0; t < kept.length; t++) {
    const s = scanned - kept.length + t; // destination step
    putAt(tx, l, index(s), kept[t]);
  }
  putList(tx, k, l, n, fromTail ? l.h : l.h + removed, "lrem");
  return removed;
}
