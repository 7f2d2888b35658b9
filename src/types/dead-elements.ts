/**
 * Which internal element entries background merges may drop (issue 14: deleting or expiring a collection
 * is O(1) — its metadata changes — and its elements are removed later, by the merges that meet them).
 *
 * An element of `key`'s collection of generation g (src/types/encoding.ts) is dead once the key's metadata
 * no longer has generation g: the key was deleted, expired, overwritten by another type, or recreated (a new
 * collection always takes a new generation, so g never comes back). Safe to drop only on evidence that is
 * durable and cannot change back:
 * - the key's newest entry was applied at or below `durableLsn` (the rewrite waited for it: in mode
 *   'relaxed' a newer visible entry may not be durable, and a crash could bring generation g back);
 * - an expired collection counts as dead only once expired at the expiry horizon `horizonMs` (which never
 *   goes above the durable clock floor: src/commit-pipeline.ts).
 * A key whose entry memory cannot give without waiting is kept (a later merge decides).
 *
 * `dropLive` breaks it on purpose (the internal recovery mode 'drop-live-elements', sensitivity tests only):
 * elements of live generations are dropped too.
 *
 * Idea: Kvrocks's compaction filter for subkeys, which drops a subkey whose metadata version differs.
 */
import type { Entry } from "../doc/entry.js";
import { isInternalKey, type KeyString } from "../doc/key.js";
import { staleIndexEntry } from "../indexes/stale-entries.js";
import { mark } from "../util/coverage.js";
import { parseSubkey, TAG } from "./encoding.js";

/**
 * The coverage mark (src/util/coverage.ts) of an element dropped, by its tag: which type's dead generations
 * merges collect, marked as each element is dropped (the rewrite marks `types.dead-elements-dropped` once
 * it has written its output).
 */
const DROPPED_MARKS: Readonly<Record<string, string>> = {
  [TAG.hash]: "types.hash.dead-elements-dropped",
  [TAG.set]: "types.set.dead-elements-dropped",
  [TAG.list]: "types.list.dead-elements-dropped",
  [TAG.zsetMember]: "types.zset.dead-elements-dropped",
  [TAG.zsetScore]: "types.zset.dead-elements-dropped",
};

/** A key's newest entry if memory (or a read on the calling thread) can give it, else `unknown`. */
export type EntryLookup = (key: KeyString) => Entry | undefined | "unknown";

/**
 * A predicate over tree keys for one rewrite: true for an element entry of a dead generation. Caches the
 * verdict per collection key (a run of elements of one collection asks once).
 */
export function deadElementCheck(
  lookup: EntryLookup,
  durableLsn: number,
  horizonMs: number,
  dropLive = false,
): (key: KeyString) => boolean {
  let lastKey: KeyString | undefined;
  let lastEntry: Entry | undefined | "unknown";
  let liveGen: number | "keep" | undefined;
  return (k) => {
    if (!isInternalKey(k)) return false;
    const parsed = parseSubkey(k);
    if (parsed === undefined) return false;
    if (parsed.key !== lastKey) {
      lastKey = parsed.key;
      lastEntry = lookup(parsed.key);
      liveGen = generationOf(lastEntry, durableLsn, horizonMs, isInternalKey(parsed.key));
    }
    if (liveGen === "keep") return false;
    // Broken variant 'drop-live-elements' (sensitivity tests only): the live generation counts as dead too.
    if (dropLive || liveGen !== parsed.gen) {
      mark(DROPPED_MARKS[parsed.tag] ?? "types.other.dead-elements-dropped");
      return true;
    }
    // A live index's entry of a document that no longer holds its value (it expired: src/indexes/).
    if (parsed.tag !== TAG.index || lastEntry === undefined || lastEntry === "unknown") return false;
    return staleIndexEntry(parsed.key, lastEntry, parsed.sub, lookup, durableLsn, horizonMs);
  };
}

/**
 * The live generation a metadata entry proves, undefined if it proves none live, "keep" if unsure.
 * `internal`: the metadata is an engine entry under an internal key (an index's catalog entry,
 * src/indexes/index-catalog.ts), a JSON value with `g` like a collection's.
 */
function generationOf(
  entry: Entry | undefined | "unknown",
  durableLsn: number,
  horizonMs: number,
  internal: boolean,
): number | "keep" | undefined {
  if (entry === "unknown") return "keep";
  if (entry === undefined) return undefined;
  if (entry.lsn > durableLsn) return "keep";
  if (entry.text === undefined) return undefined;
  if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= horizonMs) return undefined;
  if (entry.type === "string" || (entry.type === undefined && !internal)) return undefined;
  // An expiry after the horizon: live for now; its elements stay until a merge after it expires.
  const g = (entry.value as { g?: unknown }).g;
  return typeof g === "number" ? g : "keep";
}
