/**
 * The one interface every benchmarked engine implements, so each workload runs the same code against each.
 * Values are JSON documents; peers store them as JSON text (JSON.stringify on write, JSON.parse on read),
 * the work fusedb does internally, so encoding cost is charged to everyone alike.
 */
import type { Json } from "../../src/index.js";

/** Names accepted by `--engines`. */
export const ENGINE_NAMES = [
  "fusedb",
  "fusedb-relaxed",
  "fusedb-memory",
  "lmdb",
  "level",
  "sqlite",
  "disk-limit",
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Configurations the issue asks for that cannot run yet; printed in every report. */
export const SKIPPED_ENGINES: { name: string; reason: string }[] = [];

/** A durable engine under test. Every write resolves only once the engine says it is on disk. */
export interface Engine {
  readonly name: EngineName;
  /** Human-readable durable settings, printed with every result. */
  readonly settings: string;
  /** How read-modify-write (incr, YCSB F) is made atomic on this engine. */
  readonly rmw: string;
  get(key: string): Promise<Json | undefined>;
  set(key: string, value: Json): Promise<void>;
  /** Adds `delta` to the integer under `key` (missing counts as 0) atomically; resolves to the new value. */
  incr(key: string, delta: number): Promise<number>;
  /** YCSB F: reads the record under `key`, sets one field, writes it back, atomically. */
  readModifyWrite(key: string, field: string, fieldValue: string): Promise<void>;
  /** Bulk load before measuring (durable, batched as the engine prefers). */
  load(entries: readonly [string, Json][]): Promise<void>;
  /** Engine-specific counters for the report (e.g. WAL groups and syncs). */
  counters(): Record<string, number>;
  /**
   * Whether the engine's own background work is done (fusedb: `stats().background.idle`). The harness
   * polls it after the preload and measures only once it holds. Engines with no background work, or none
   * the harness can observe (LevelDB's compaction thread), answer true.
   */
  backgroundIdle(): boolean;
  /** What the engine's open recovered (fusedb's `RecoveryInfo`); undefined for engines that do not say. */
  recovery(): RecoveryFigures | undefined;
  close(): Promise<void>;
}

/** What an engine reports of its own recovery at open. */
export interface RecoveryFigures {
  /** WAL records replayed above the checkpoint. */
  replayedRecords: number;
  /** Their bytes, headers included. */
  replayedBytes: number;
  /** The engine's own measure of its open, in ms. */
  engineOpenMs: number;
}

/** Loads records in chunks of this many per batch / transaction. */
export const LOAD_CHUNK = 500;

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sets `field` of a record read as JSON (YCSB F's modify step); a non-object starts from {}. */
export function withField(record: Json | undefined, field: string, fieldValue: string): Json {
  const base =
    record !== null && typeof record === "object" && !Array.isArray(record)
      ? (record as { [k: string]: Json })
      : {};
  return { ...base, [field]: fieldValue };
}

/** The integer under a counter key (missing counts as 0). */
export function counterValue(v: Json | undefined): number {
  return typeof v === "number" ? v : 0;
}
