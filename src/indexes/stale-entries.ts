/**
 * Which index entries background merges may drop although their index is live (src/types/dead-elements.ts
 * asks): an entry whose document no longer holds its value. Maintenance removes such entries in the record
 * that changes the document (src/indexes/maintain.ts), except when the document expired: background work
 * turns it into a tombstone with no record, so its entries stay until a merge meets them here. Decided on
 * durable evidence only, as for dead generations: the document's newest entry is at or below `durableLsn`
 * (an entry is written in the same record as its document's change, so never after it), and an expiry
 * counts once at or below the expiry horizon. Unsure (the document's entry not in memory): kept.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { defOf } from "./index-catalog.js";
import { encodedLength } from "./index-keys.js";
import { holds } from "./maintain.js";

/** Whether the entry `sub` (encoded value + document key) of the index whose catalog entry is `catalog` is stale. */
export function staleIndexEntry(
  catalogKey: KeyString,
  catalog: Entry,
  sub: string,
  lookup: (key: KeyString) => Entry | undefined | "unknown",
  durableLsn: number,
  horizonMs: number,
): boolean {
  const def = defOf(catalogKey, catalog.value);
  const n = encodedLength(sub, 0);
  if (def === undefined || n === undefined) return false;
  const doc = lookup(sub.slice(n));
  if (doc === "unknown") return false;
  if (doc !== undefined && doc.lsn > durableLsn) return false;
  return !holds(def, doc, sub.slice(0, n), horizonMs);
}
