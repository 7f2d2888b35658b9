/**
 * fusedb in one of its durability modes: 'fsync' (a write resolves once its WAL group is fdatasynced),
 * 'relaxed' (resolves when queued for the WAL, at most 256 acknowledged records unsynced) or 'memory' (no
 * disk), at default knobs. The engine manages its own memory: its leaf tree flushes, merges and splits
 * leaves and checkpoints continuously on its own; the harness never checkpoints it, not even after the
 * preload (it waits for `stats().background.idle` instead, see bench/cell.ts).
 */
import type { FuseDB, Json } from "../../src/index.js";
import { open } from "../../src/index.js";
import { resolveOptions } from "../../src/options.js";
import type { Engine, EngineName, RecoveryFigures } from "./engine.js";
import { chunks, LOAD_CHUNK } from "./engine.js";

const MODE_SETTINGS = {
  fsync: "mode fsync (default): each write acknowledged after its WAL group is written and fdatasynced",
  relaxed:
    "mode relaxed: each write acknowledged once queued for the WAL; a crash may lose at most the last 256 acknowledged records",
  memory: "mode memory: no WAL, no segments, nothing on disk; everything is lost with the process",
} as const;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;

/** The default knobs, read from the engine's own defaults so the report cannot go stale. */
function knobs(): string {
  const o = resolveOptions({}, "strict");
  return (
    `default knobs: ${mib(o.leafBufferBytes)} leaf buffers, ${mib(o.leafBytesMax)} leaves, ` +
    `${mib(o.bufferBytesMax)} buffer budget, ${mib(o.blockCacheBytes)} block cache, ` +
    `continuous checkpoints near ${mib(o.checkpointWalBytes)} of WAL`
  );
}

export async function openFusedb(dir: string, durability: keyof typeof MODE_SETTINGS): Promise<Engine> {
  const db = await open(dir, { durability });
  const name: EngineName = durability === "fsync" ? "fusedb" : `fusedb-${durability}`;
  return new FusedbEngine(db, name, MODE_SETTINGS[durability]);
}

class FusedbEngine implements Engine {
  readonly settings: string;
  readonly rmw =
    "incr is native (one atomic WAL record); YCSB F is get then patch of the one field (RFC 7396 merge patch, atomic in the engine)";

  constructor(
    private readonly db: FuseDB,
    readonly name: EngineName,
    mode: string,
  ) {
    this.settings = `${mode}; group commit with one fdatasync in flight; ${knobs()}; no harness checkpoints`;
  }

  async get(key: string): Promise<Json | undefined> {
    return (await this.db.get(key))?.value;
  }

  async set(key: string, value: Json): Promise<void> {
    await this.db.set(key, value);
  }

  async incr(key: string, delta: number): Promise<number> {
    return (await this.db.incr(key, delta)).value as number;
  }

  async readModifyWrite(key: string, field: string, fieldValue: string): Promise<void> {
    await this.db.get(key);
    await this.db.patch(key, { [field]: fieldValue });
  }

  async load(entries: readonly [string, Json][]): Promise<void> {
    for (const chunk of chunks(entries, LOAD_CHUNK)) {
      await this.db.batch(chunk.map(([key, value]) => ({ op: "set" as const, key, value })));
    }
  }

  counters(): Record<string, number> {
    const s = this.db.stats();
    return {
      walGroups: s.wal.groups,
      walRecords: s.wal.records,
      walBytesWritten: s.wal.bytesWritten,
      walSyncs: s.wal.syncs,
      flushes: s.tree.flushes,
      merges: s.tree.merges,
      splits: s.tree.splits,
      leafMerges: s.tree.leafMerges,
      throttledWrites: s.tree.throttledWrites,
      leaves: s.tree.leaves,
      bufferedBytes: s.bufferedBytes,
      segmentBytes: s.segmentBytes,
      rowCacheHits: s.tree.rows.hits,
      rowCacheMisses: s.tree.rows.misses,
      rowCacheBytes: s.tree.rows.bytes,
      blockCacheHits: s.tree.cache.hits,
      blockCacheMisses: s.tree.cache.misses,
    };
  }

  backgroundIdle(): boolean {
    return this.db.stats().background.idle;
  }

  recovery(): RecoveryFigures {
    const r = this.db.recovery;
    return { replayedRecords: r.replayedRecords, replayedBytes: r.replayedBytes, engineOpenMs: r.durationMs };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
