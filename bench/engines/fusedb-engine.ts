/**
 * fusedb in one of its durability modes: 'fsync' (a write resolves once its WAL group is fdatasynced),
 * 'relaxed' (resolves when queued for the WAL, at most 256 acknowledged records unsynced) or 'memory' (no
 * disk). fusedb's leaf tree flushes, merges and splits leaves on its own and checkpoints continuously (WAL
 * above the floor kept near 64 MiB), keeping all buffers under half of `bufferBytesMax` (64 MiB). The harness
 * still guards the memory budget: if the buffers ever held more than it, it would call `checkpoint()`.
 */
import type { FuseDB, Json } from "../../src/index.js";
import { open } from "../../src/index.js";
import type { Engine, EngineName, EngineOptions } from "./engine.js";
import { chunks, LOAD_CHUNK } from "./engine.js";

/** How often the harness looks at the buffer size, in ms. */
const MAINTENANCE_INTERVAL_MS = 50;

const MODE_SETTINGS = {
  fsync: "mode fsync (default): each write acknowledged after its WAL group is written and fdatasynced",
  relaxed:
    "mode relaxed: each write acknowledged once queued for the WAL; a crash may lose at most the last 256 acknowledged records",
  memory: "mode memory: no WAL, no segments, nothing on disk; everything is lost with the process",
} as const;

export async function openFusedb(
  dir: string,
  options: EngineOptions,
  durability: keyof typeof MODE_SETTINGS,
): Promise<Engine> {
  const db = await open(dir, { durability });
  const name: EngineName = durability === "fsync" ? "fusedb" : `fusedb-${durability}`;
  return new FusedbEngine(db, options.bufferBytesBudget, name, MODE_SETTINGS[durability]);
}

class FusedbEngine implements Engine {
  readonly settings: string;
  readonly rmw =
    "incr is native (one atomic WAL record); YCSB F is get then patch of the one field (RFC 7396 merge patch, atomic in the engine)";
  private checkpointing = false;
  private checkpoints = 0;
  private checkpointMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: FuseDB,
    private readonly bufferBytesBudget: number,
    readonly name: EngineName,
    mode: string,
  ) {
    this.settings =
      `${mode}; group commit with one fdatasync in flight, groups <= 4 MiB; leaf tree with default knobs ` +
      `(1 MiB leaf buffers, 8 MiB leaves, 32 MiB block cache, continuous checkpoints near 64 MiB of WAL); ` +
      `harness checkpoint only if buffers exceed ${(bufferBytesBudget / 2 ** 20).toFixed(0)} MiB`;
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
  }

  private maintain(): void {
    if (this.checkpointing || this.db.stats().bufferedBytes <= this.bufferBytesBudget) return;
    this.checkpointing = true;
    const started = performance.now();
    this.db.checkpoint().then(
      () => {
        this.checkpoints++;
        this.checkpointMs += performance.now() - started;
        this.checkpointing = false;
      },
      (err: unknown) => {
        console.error("fusedb checkpoint failed", err);
        this.checkpointing = false;
      },
    );
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
    // Start measuring from a checkpointed state: the data set in a segment, the buffer empty.
    await this.db.checkpoint();
  }

  counters(): Record<string, number> {
    const s = this.db.stats();
    return {
      walGroups: s.wal.groups,
      walRecords: s.wal.records,
      walBytesWritten: s.wal.bytesWritten,
      walSyncs: s.wal.syncs,
      checkpoints: this.checkpoints,
      checkpointMs: Math.round(this.checkpointMs),
      bufferedBytes: s.bufferedBytes,
      segmentBytes: s.segmentBytes,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.db.close();
  }
}
