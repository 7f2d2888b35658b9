/**
 * Assembling an open database from its parts, in an order that needs no late wiring: options, then the
 * recovered directory (src/recovery.ts), then the commit pipeline, which builds the tree over a host it
 * answers itself. Mode 'memory' skips the directory: a memory log and a tree without files.
 */
import { checkConfig } from "./arguments.js";
import { CommitPipeline, diskTreeHost } from "./commit-pipeline.js";
import type { Clock } from "./io/clock.js";
import type { DirLock } from "./io/file-system.js";
import { type RecoveryMode, type ResolvedOptions, resolveOptions, treeOptions } from "./options.js";
import { SubscriptionHub } from "./reactive/subscriptions.js";
import { nothingRecovered, type RecoveryInfo, recover } from "./recovery.js";
import { Tree } from "./tree/tree.js";
import type { FuseDBConfig } from "./types.js";
import type { CommitLog } from "./wal/commit-log.js";
import { MemoryLog } from "./wal/memory-log.js";

/** What an open database runs on. */
export interface Engine {
  clock: Clock;
  dir: string;
  options: ResolvedOptions;
  /** The directory lock; undefined in mode 'memory'. */
  lock: DirLock | undefined;
  wal: CommitLog;
  hub: SubscriptionHub;
  pipeline: CommitPipeline;
  /** What recovery did. */
  recovery: RecoveryInfo;
}

/**
 * Checks `config`, opens (creating if needed) and recovers its directory, and assembles the engine.
 * @throws InvalidArgumentError for a bad configuration; LockedError; CorruptionError (see `recover`).
 */
export async function assembleEngine(config: FuseDBConfig, recoveryMode: RecoveryMode): Promise<Engine> {
  checkConfig(config);
  const options = resolveOptions(config, recoveryMode);
  const { fs, clock, dir } = config;
  const hub = new SubscriptionHub();
  if (options.durability === "memory") {
    const wal = new MemoryLog();
    const pipeline = new CommitPipeline(clock, options, wal, hub, () => Tree.inMemory(treeOptions(options)));
    return { clock, dir, options, lock: undefined, wal, hub, pipeline, recovery: nothingRecovered() };
  }
  const started = clock.now();
  const r = await recover(fs, dir, options);
  try {
    const pipeline = new CommitPipeline(clock, options, r.wal, hub, (owner) => {
      const host = diskTreeHost(fs, dir, r.wal, owner);
      return Tree.create(host, r.manifestLog, r.cache, r.leaves, treeOptions(options));
    });
    const recovery: RecoveryInfo = { ...r.report, durationMs: clock.now() - started };
    return { clock, dir, options, lock: r.lock, wal: r.wal, hub, pipeline, recovery };
  } catch (err) {
    await r.lock.release();
    throw err;
  }
}
