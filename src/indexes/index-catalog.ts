/**
 * The index catalog: one JSON entry per index under its catalog key (src/indexes/index-keys.ts), written
 * through the WAL like any entry, so definitions and build progress survive a crash exactly as far as the
 * records that wrote them. The engine keeps the live definitions in memory ({@link IndexCatalog}), loaded
 * at open and changed when a record that writes a catalog key is appended (in LSN order, so every write
 * prepared after an index's creation maintains it).
 *
 *   catalog-value := {"name", "prefix": tree-key prefix (latin1), "path", "unique", "g": generation,
 *                     "state": "building" | "ready" | "failed", "cursor"?: last document key built (latin1),
 *                     "indexed": documents built so far, "error"?: why the build failed}
 */
import type { Entry } from "../doc/entry.js";
import { utf8Of } from "../doc/entry.js";
import type { Json } from "../doc/json.js";
import { deepFreeze } from "../doc/json.js";
import type { KeyString } from "../doc/key.js";
import type { Effect } from "../wal/batch-codec.js";
import { catalogKey, entryPrefix, isCatalogKey, pathSegments } from "./index-keys.js";

/** Build state of an index: `building` (existing documents being indexed), `ready`, `failed` (a unique build met duplicates). */
export type IndexState = "building" | "ready" | "failed";

/** One index as the catalog stores it. */
export interface IndexDef {
  readonly name: string;
  /** Tree-key prefix of the documents indexed. */
  readonly prefix: KeyString;
  /** Dot path of the field. */
  readonly path: string;
  readonly segments: readonly string[];
  readonly unique: boolean;
  /** Generation of its entries (the LSN of the creating record × 65,536). */
  readonly g: number;
  readonly state: IndexState;
  /** Last document key the build indexed; undefined before the first batch. */
  readonly cursor?: KeyString;
  /** Documents the build has indexed. */
  readonly indexed: number;
  readonly error?: string;
  /** Its catalog key and entry prefix (derived). */
  readonly key: KeyString;
  readonly entries: KeyString;
}

/** A definition from its catalog value; undefined if the value is not one (damaged or foreign). */
export function defOf(key: KeyString, value: Json | undefined): IndexDef | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { name, prefix, path, unique, g, state, cursor, indexed, error } = value as Record<string, Json>;
  if (typeof name !== "string" || typeof prefix !== "string" || typeof path !== "string") return undefined;
  if (typeof g !== "number" || typeof indexed !== "number") return undefined;
  if (state !== "building" && state !== "ready" && state !== "failed") return undefined;
  const segments = pathSegments(path);
  if (segments === undefined || catalogKey(name) !== key) return undefined;
  return {
    name,
    prefix,
    path,
    segments,
    unique: unique === true,
    g,
    state,
    ...(typeof cursor === "string" ? { cursor } : {}),
    indexed,
    ...(typeof error === "string" ? { error } : {}),
    key,
    entries: entryPrefix(key, g),
  };
}

/** The catalog value of `def`. */
export function catalogValue(def: IndexDef): Json {
  const out: Record<string, Json> = {
    name: def.name,
    prefix: def.prefix,
    path: def.path,
    unique: def.unique,
    g: def.g,
    state: def.state,
    indexed: def.indexed,
  };
  if (def.cursor !== undefined) out.cursor = def.cursor;
  if (def.error !== undefined) out.error = def.error;
  return out;
}

/** The effect writing `def` (or, with `def` undefined, the tombstone of `key`) after `prev`. */
export function catalogEffect(
  key: KeyString,
  def: IndexDef | undefined,
  prev: Entry | undefined,
  lsn: number,
): Effect {
  const version = (prev?.version ?? 0) + 1;
  if (def === undefined) return { key, entry: { version, value: undefined, text: undefined, lsn } };
  const value = deepFreeze(catalogValue(def));
  return { key, entry: { version, value, text: utf8Of(JSON.stringify(value)), lsn } };
}

/** The live index definitions, by catalog key, as of the last record appended. */
export class IndexCatalog {
  private readonly defs = new Map<KeyString, IndexDef>();

  get size(): number {
    return this.defs.size;
  }

  all(): IndexDef[] {
    return [...this.defs.values()];
  }

  byName(name: string): IndexDef | undefined {
    return this.defs.get(catalogKey(name));
  }

  /** Records what an entry under a catalog key says (a tombstone or a foreign value: no index). */
  note(key: KeyString, entry: Entry): void {
    const def = defOf(key, entry.value);
    if (def === undefined) this.defs.delete(key);
    else this.defs.set(key, def);
  }

  /** Applies the catalog keys among `effects` (a record just appended). */
  noteEffects(effects: readonly Effect[]): void {
    for (const { key, entry } of effects)
      if (key.charCodeAt(0) === 0 && isCatalogKey(key)) this.note(key, entry);
  }
}
