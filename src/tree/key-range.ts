/**
 * Key bounds for scans (abstract-level's `gt`/`gte`/`lt`/`lte`): at most one lower and one upper bound.
 */
import type { KeyString } from "../doc/key.js";

/** Bounds on keys, all optional; both lower (or both upper) bounds at once are an error upstream. */
export interface KeyRange {
  gt?: KeyString;
  gte?: KeyString;
  lt?: KeyString;
  lte?: KeyString;
}

/** Whether `key` lies inside `range`. */
export function inRange(key: KeyString, range: KeyRange): boolean {
  if (range.gt !== undefined && !(key > range.gt)) return false;
  if (range.gte !== undefined && !(key >= range.gte)) return false;
  if (range.lt !== undefined && !(key < range.lt)) return false;
  if (range.lte !== undefined && !(key <= range.lte)) return false;
  return true;
}

/** Whether `key` lies past the end a scan walks towards (the upper bound, or the lower one in reverse). */
export function pastEnd(key: KeyString, range: KeyRange, reverse: boolean): boolean {
  if (reverse) {
    return (range.gt !== undefined && key <= range.gt) || (range.gte !== undefined && key < range.gte);
  }
  return (range.lt !== undefined && key >= range.lt) || (range.lte !== undefined && key > range.lte);
}

/** The key a scan starts from: the lower bound, or the upper one in reverse. */
export function startKey(range: KeyRange, reverse: boolean): KeyString | undefined {
  return reverse ? (range.lt ?? range.lte) : (range.gt ?? range.gte);
}
