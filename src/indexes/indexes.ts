/**
 * Secondary indexes on a JSON field (issue 16): the engine's index layer. It is the commit pipeline's write
 * hook (src/commit-pipeline.ts `WriteHook`): while any index exists every write's record carries the index
 * changes it implies (src/indexes/maintain.ts), so documents and indexes agree after every crash. Creating
 * an index writes its catalog entry (src/indexes/index-catalog.ts); from that record on, every write
 * maintains it, and a background build indexes the documents that existed before, one record of at most
 * BUILD_BATCH_DOCS documents at a time through the same pipeline (writers go on between steps), its cursor
 * in the catalog, so a build interrupted by a crash resumes at open. Dropping writes the catalog key's
 * tombstone: O(1), one small record; merges drop the dead generation's entries (src/types/dead-elements.ts).
 *
 * Idea: MemFlux's IDX.CREATE / IDX.DROP over JSON fields; MongoDB's multikey indexes and background builds;
 * index entries as ordered keys in the same tree (FoundationDB's record layer, Kvrocks's subkeys).
 */
import type { CommitPipeline, OpContext, WriteHook } from "../commit-pipeline.js";
import { toKeyString, userKeyBytes } from "../doc/key.js";
import { ClosedError, IndexError, InvalidArgumentError } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import { generationOf } from "../types/encoding.js";
import type { TypesRunner } from "../types/runner.js";
import type { StateView } from "../types/view.js";
import type { ScanEntry } from "../types.js";
import type { Effect } from "../wal/batch-codec.js";
import {
  INDEXES_MAX,
  type IndexInfo,
  type IndexQuery,
  type IndexSpec,
  indexName,
  indexQuery,
  indexSpec,
} from "./index-arguments.js";
import { catalogEffect, defOf, IndexCatalog, type IndexDef } from "./index-catalog.js";
import { notFound, notReady } from "./index-errors.js";
import { CATALOG_END, CATALOG_PREFIX, catalogKey, entryPrefix, isCatalogKey } from "./index-keys.js";
import { maintainIndexes } from "./maintain.js";
import { buildStep, queryIndex, scanEntryOf } from "./query.js";

/** The index layer of one open database. */
export class Indexes implements WriteHook {
  private readonly catalog = new IndexCatalog();
  /** Build loops running, by index name (at most INDEXES_MAX). */
  private readonly builds = new Map<string, Promise<void>>();

  constructor(
    private readonly pipeline: CommitPipeline,
    private readonly run: TypesRunner,
    private readonly options: ResolvedOptions,
  ) {
    pipeline.writeHook = this;
  }

  // ---- the write hook ----

  get active(): boolean {
    return this.catalog.size > 0;
  }

  extend(view: StateView, effects: Effect[], ctx: OpContext): Effect[] {
    // Broken variant 'skip-index-deletes' (sensitivity tests only): deletes leave their entries.
    const skipDeletes = this.options.recoveryMode === "skip-index-deletes";
    return maintainIndexes(this.catalog, view, effects, ctx.lsn, ctx.nowMs, skipDeletes);
  }

  appended(effects: readonly Effect[]): void {
    this.catalog.noteEffects(effects);
  }

  // ---- open ----

  /**
   * Loads the catalog from the recovered tree and resumes interrupted builds (not on a read-only handle).
   * @throws CorruptionError, IoError from the read.
   */
  async load(): Promise<void> {
    const tree = this.pipeline.tree;
    const found = await tree.scan({ gte: CATALOG_PREFIX, lt: CATALOG_END }, 4 * INDEXES_MAX, false, 0);
    for (const [k, entry] of found) if (isCatalogKey(k)) this.catalog.note(k, entry);
    if (this.options.readOnly) return;
    for (const def of this.catalog.all()) if (def.state === "building") this.startBuild(def.name);
  }

  // ---- the API (src/db.ts delegates) ----

  /**
   * Creates an index and starts its background build; resolves once its catalog entry is durable (writes
   * from then on maintain it). See {@link IndexSpec}.
   * @throws InvalidArgumentError for a bad spec; IndexError FUSEDB_INDEX_EXISTS; InvalidArgumentError
   *   FUSEDB_OUT_OF_RANGE past INDEXES_MAX indexes; the errors of every write.
   */
  async create(spec: IndexSpec): Promise<IndexInfo> {
    const s = indexSpec(spec, (k) => toKeyString(k, this.options.keyBytesMax));
    const key = catalogKey(s.name);
    const r = await this.pipeline.commitOp((view, ctx) => {
      const prev = view.get(key);
      if (defOf(key, prev?.value) !== undefined) {
        throw new IndexError("FUSEDB_INDEX_EXISTS", `index ${s.name} exists`, s.name);
      }
      if (this.catalog.size >= INDEXES_MAX) {
        throw new InvalidArgumentError("FUSEDB_OUT_OF_RANGE", `at most ${INDEXES_MAX} indexes`);
      }
      const g = generationOf(ctx.lsn, 0);
      const def: IndexDef = {
        ...s,
        g,
        state: "building",
        indexed: 0,
        key,
        entries: entryPrefix(key, g),
      };
      return { effects: [catalogEffect(key, def, prev, ctx.lsn)], result: def };
    });
    this.startBuild(s.name);
    return infoOf(r.result);
  }

  /**
   * Drops an index: one small record whatever its size; its entries go with later merges.
   * @throws IndexError FUSEDB_INDEX_NOT_FOUND; the errors of every write.
   */
  async drop(name: string): Promise<void> {
    const n = indexName(name);
    const key = catalogKey(n);
    await this.pipeline.commitOp((view, ctx) => {
      const prev = view.get(key);
      if (defOf(key, prev?.value) === undefined) throw notFound(n);
      return { effects: [catalogEffect(key, undefined, prev, ctx.lsn)], result: undefined };
    });
  }

  /** Every index, by name, with its state (as of the last record appended). */
  list(): IndexInfo[] {
    return this.catalog
      .all()
      .map(infoOf)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Waits until the index's build ends. Resolves with its info once ready and the build's records are
   * visible (a query then finds every document the build indexed).
   * @throws IndexError FUSEDB_INDEX_NOT_FOUND (also if dropped meanwhile); FUSEDB_UNIQUE_VIOLATION if a
   *   unique build met duplicates (state `failed`); ClosedError if the database closed first.
   */
  async waitReady(name: string): Promise<IndexInfo> {
    const n = indexName(name);
    // Bounded: a build loop ends when its index is ready, failed or gone.
    for (;;) {
      const def = this.catalog.byName(n);
      if (def === undefined) throw notFound(n);
      if (def.state === "ready") {
        // The catalog is as of the last record appended: the build's last step may not be durable (nor
        // visible to queries) yet. Wait until it is, so a query right after finds what the build indexed.
        await this.pipeline.appendedVisible();
        return infoOf(def);
      }
      if (def.state === "failed") {
        throw new IndexError("FUSEDB_UNIQUE_VIOLATION", def.error ?? `index ${n} failed`, n);
      }
      const build = this.builds.get(n);
      if (build === undefined) throw this.pipeline.closed ? new ClosedError() : notReady(n);
      await build;
    }
  }

  /**
   * Documents in index order (see {@link IndexQuery}); each once, validated against its document (live, and
   * holding the value now). Sees the visible state, like `scan`.
   * @throws InvalidArgumentError for a bad query; IndexError FUSEDB_INDEX_NOT_FOUND, FUSEDB_INDEX_NOT_READY;
   *   ClosedError; IoError, CorruptionError from reads.
   */
  async query(q: IndexQuery): Promise<ScanEntry[]> {
    const { name, range, limit, reverse } = indexQuery(q);
    const def = this.catalog.byName(name);
    if (def === undefined) throw notFound(name);
    if (def.state !== "ready") throw notReady(name);
    const found = await this.run.read((tx) => {
      // The catalog as the visible state has it: the one appended may be ahead of it (a build's last step
      // or a drop whose record is not yet durable), and the entries read are the visible ones.
      const visible = defOf(def.key, tx.view.get(def.key)?.value);
      if (visible === undefined) throw notFound(name);
      if (visible.state !== "ready") throw notReady(name);
      return queryIndex(tx.view, visible, range, limit, reverse, tx.nowMs);
    });
    return found.map(([k, entry]) => scanEntryOf(k, entry));
  }

  /** Runs the build of `name` in the background until it is ready, failed or dropped, or the database stops. */
  private startBuild(name: string): void {
    if (this.builds.has(name)) return;
    const key = catalogKey(name);
    const loop = async (): Promise<void> => {
      // Bounded: each step moves the cursor past up to BUILD_BATCH_DOCS documents, or ends the build.
      for (;;) {
        const def = this.catalog.byName(name);
        if (def === undefined || def.state !== "building" || this.pipeline.closed) return;
        const g = def.g;
        await this.pipeline.commitOp((view, ctx) => {
          const prev = view.get(key);
          const cur = defOf(key, prev?.value);
          if (cur === undefined || cur.g !== g || cur.state !== "building")
            return { effects: [], result: undefined };
          return { effects: buildStep(view, cur, prev, ctx.lsn, ctx.nowMs).effects, result: undefined };
        });
      }
    };
    // A failed step (closed, poisoned, I/O) ends the loop: the catalog keeps the cursor, the next open resumes.
    const running: Promise<void> = loop()
      .catch(() => undefined)
      .finally(() => {
        if (this.builds.get(name) === running) this.builds.delete(name);
      });
    this.builds.set(name, running);
  }
}

function infoOf(def: IndexDef): IndexInfo {
  const out: IndexInfo = {
    name: def.name,
    prefix: userKeyBytes(def.prefix).toString("utf8"),
    path: def.path,
    unique: def.unique,
    state: def.state,
    indexed: def.indexed,
  };
  if (def.error !== undefined) out.error = def.error;
  return out;
}
