/**
 * Assembling an open database from its parts, in an order that needs no late wiring: options, then the
 * recovered directory (src/recovery.ts), then the commit pipeline, which builds the tree over a host it
 * answers itself. Mode 'memory' skips the directory: a memory log and a tree without files. A read-only
 * open recovers without writing and runs on a log that is never appended to and a tree without
 * background work.
 */
import { checkConfig } from "./arguments.js";
import { CommitPipeline, diskTreeHost } from "./commit-pipeline.js";
import { EngineClock } from "./engine-clock.js";
import { asIoError, osErrorCode } from "./errors.js";
import type { Clock } from "./io/clock.js";
import type { DirLock } from "./io/file-system.js";
import { type RecoveryMode, type ResolvedOptions, resolveOptions, treeOptions } from "./options.js";
import { SubscriptionHub } from "./reactive/subscriptions.js";
import { nothingRecovered, type RecoveryInfo, recover, recoverReadOnly } from "./recovery.js";
import { Tree } from "./tree/tree.js";
import type { FuseDBConfig } from "./types.js";
import type { CommitLog } from "./wal/commit-log.js";
import { MemoryLog } from "./wal/memory-log.js";

/** What an open database runs on. */
export interface Engine {
  /** The engine clock: the configured one made monotonic, started at the durable clock floor. */
  clock: Clock;
  dir: string;
  options: ResolvedOptions;
  /** The directory lock; undefined in mode 'memory', and read-only when the file system refused one. */
  lock: DirLock | undefined;
  wal: CommitLog;
  hub: SubscriptionHub;
  pipeline: CommitPipeline;
  /** What recovery did. */
  recovery: RecoveryInfo;
}

/**
 * Checks `config`, opens (creating if needed) and recovers its directory, and assembles the engine; with
 * `readOnly`, recovers it without writing anything (src/recovery.ts `recoverReadOnly`).
 * @throws InvalidArgumentError for a bad configuration; LockedError; CorruptionError (see `recover`);
 *   IoError (FUSEDB_IO) with the file system's error as its cause (a full disk or a read-only file system
 *   suggests `readOnly: true`).
 */
export async function assembleEngine(config: FuseDBConfig, recoveryMode: RecoveryMode): Promise<Engine> {
  checkConfig(config);
  const options = resolveOptions(config, recoveryMode);
  const { dir } = config;
  const hub = new SubscriptionHub();
  if (options.durability === "memory") {
    const clock = new EngineClock(config.clock, 0);
    const wal = new MemoryLog();
    const tree = (): Tree => Tree.inMemory(treeOptions(options, clock));
    const pipeline = new CommitPipeline(clock, options, wal, hub, tree);
    return { clock, dir, options, lock: undefined, wal, hub, pipeline, recovery: nothingRecovered() };
  }
  try {
    return await assembleOnDisk(config, options, hub);
  } catch (err) {
    const hint = !options.readOnly && WRITE_REFUSED.has(osErrorCode(err) ?? "") ? READ_ONLY_HINT : "";
    throw asIoError(err, `cannot open ${dir}`, hint);
  }
}

/** OS errors of an open that cannot write: it could still be opened read-only. */
const WRITE_REFUSED = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM"]);
const READ_ONLY_HINT = " (to read it without writing anything, open it with { readOnly: true })";

/** A recovered directory, as the engine takes it: the lock, the log, the report, and how to build the tree. */
interface RecoveredParts {
  lock: DirLock | undefined;
  wal: CommitLog;
  report: Omit<RecoveryInfo, "durationMs">;
  /** The durable clock floor recovered (ms): the engine clock starts there. */
  clockFloorMs: number;
  /** Builds the tree; `clock` is the engine clock. */
  makeTree: (owner: CommitPipeline, clock: Clock) => Tree;
}

/** Recovers the directory for writing: a tree with background jobs over a host the pipeline answers. */
async function recoverForWriting(config: FuseDBConfig, options: ResolvedOptions): Promise<RecoveredParts> {
  const { fs, dir } = config;
  // The WAL writer gathers each group over the event loop's turns (src/wal/wal-writer.ts).
  const r = await recover(fs, dir, options, () => config.clock.yield());
  const makeTree = (owner: CommitPipeline, clock: Clock): Tree =>
    Tree.create(
      diskTreeHost(fs, dir, r.wal, owner, options.recoveryMode === "drop-live-elements"),
      r.manifestLog,
      r.cache,
      r.leaves,
      treeOptions(options, clock),
      r.floor,
      r.raises,
    );
  return { lock: r.lock, wal: r.wal, report: r.report, clockFloorMs: r.clockFloorMs, makeTree };
}

/** Recovers the directory without writing: a log never appended to, a tree without background work. */
async function recoverForReading(config: FuseDBConfig, options: ResolvedOptions): Promise<RecoveredParts> {
  const r = await recoverReadOnly(config.fs, config.dir, options);
  const makeTree = (_owner: CommitPipeline, clock: Clock): Tree =>
    Tree.readOnly(r.cache, r.leaves, treeOptions(options, clock), r.checkpointLsn, r.floor);
  return { lock: r.lock, wal: r.wal, report: r.report, clockFloorMs: r.clockFloorMs, makeTree };
}

/** Recovers the directory (for writing or reading) and builds the pipeline and tree over it. */
async function assembleOnDisk(
  config: FuseDBConfig,
  options: ResolvedOptions,
  hub: SubscriptionHub,
): Promise<Engine> {
  const started = config.clock.now();
  const r = await (options.readOnly ? recoverForReading : recoverForWriting)(config, options);
  try {
    const clock = new EngineClock(config.clock, r.clockFloorMs);
    const makeTree = (owner: CommitPipeline): Tree => r.makeTree(owner, clock);
    const pipeline = new CommitPipeline(clock, options, r.wal, hub, makeTree, r.clockFloorMs);
    const recovery: RecoveryInfo = { ...r.report, durationMs: Math.max(0, config.clock.now() - started) };
    return { clock, dir: config.dir, options, lock: r.lock, wal: r.wal, hub, pipeline, recovery };
  } catch (err) {
    await r.lock?.release();
    throw err;
  }
}
