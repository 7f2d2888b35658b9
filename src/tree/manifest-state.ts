/**
 * The manifest's state and its rules (docs/segment-format.md, "Manifest"): the leaves with their segments
 * and flushed LSNs, the WAL floor and the file counter; how an edit changes them; and the invariants every
 * state keeps, which the writer asserts and the reader checks (manifest.ts). Pure: no I/O.
 */
import { FLOOR_BUCKETS, type FloorPair } from "../doc/version-floor.js";
import { parseSegmentFileName } from "./segment-format.js";

export type { FloorPair };

/** One leaf: its lowest key (hex, "" for the first leaf), flushed LSN and segment file names, newest first. */
export interface LeafManifest {
  low: string;
  /** Every WAL record at or below this LSN that touched the leaf's keys is in its segments. */
  flushedLsn: number;
  segments: string[];
}

/** The manifest's state. Leaves are sorted by `low`; the first has low "". */
export interface Manifest {
  /** 3; a format 2 manifest (before the dead-version floor) is read as 3 (manifest.ts). */
  formatVersion: 3;
  /** WAL floor: every record at or below it is reflected in the segments; replay starts above it. */
  checkpointLsn: number;
  /** Next number for a new segment file. */
  nextFileNumber: number;
  leaves: LeafManifest[];
  /**
   * The dead-version floor of every record at or below `checkpointLsn` (src/doc/version-floor.ts), sparse:
   * `[bucket, floor]` for each nonzero bucket, buckets strictly ascending. Recovery raises it further by
   * every record it replays.
   */
  deadVersionFloor: FloorPair[];
  /**
   * Dead entries at or below this LSN may be older than the floor (written by a format 2 engine, which kept
   * no floor): jobs keep them as tombstones. 0 for a database created with the floor.
   */
  legacyLsn: number;
  /**
   * The durable clock floor (engine clock ms): the engine clock never starts below it, so time never goes
   * back across a restart even after the WAL files holding later call times are deleted. Absent means 0.
   */
  clockFloorMs?: number;
}

/**
 * One edit: leaves replaced (by their `low`), new leaves, the new LSN floor and file counter, and the
 * dead-version floor raised by the records up to the new LSN floor (absent: unchanged).
 */
export interface ManifestEdit {
  checkpointLsn: number;
  nextFileNumber: number;
  /** Lows (hex) of the leaves this edit replaces. */
  remove: string[];
  add: LeafManifest[];
  /** Buckets raised, `[bucket, floor]`, buckets strictly ascending; each floor is raised to at least this. */
  deadVersionFloor?: FloorPair[];
  /** The engine clock when the edit was made; the floor becomes the larger of it and the old one. */
  clockFloorMs?: number;
}

/** The manifest of a new, empty database. */
export function emptyManifest(): Manifest {
  return {
    formatVersion: 3,
    checkpointLsn: 0,
    nextFileNumber: 1,
    leaves: [{ low: "", flushedLsn: 0, segments: [] }],
    deadVersionFloor: [],
    legacyLsn: 0,
  };
}

/** `a` with every bucket of `raise` raised to at least its floor (both sparse and ascending). */
export function raiseFloorPairs(a: readonly FloorPair[], raise: readonly FloorPair[]): FloorPair[] {
  if (raise.length === 0) return [...a];
  const merged = new Map<number, number>(a);
  for (const [b, v] of raise) merged.set(b, Math.max(merged.get(b) ?? 0, v));
  return [...merged].sort((x, y) => x[0] - y[0]);
}

/**
 * The manifest after `edit`.
 * @throws Error if the edit does not fit (unknown leaf, duplicate low, no first leaf, floor or file counter
 *   going back) or the result breaks an invariant ({@link manifestViolation}); readers turn it into a
 *   CorruptionError, the writer asserts it never happens.
 */
export function applyEdit(m: Manifest, edit: ManifestEdit): Manifest {
  const next = tryApplyEdit(m, edit);
  if (typeof next === "string") throw new Error(next);
  return next;
}

/** The manifest after `edit`, or why the edit does not fit `m`. */
export function tryApplyEdit(m: Manifest, edit: ManifestEdit): Manifest | string {
  const removed = new Set(edit.remove);
  const kept = m.leaves.filter((l) => !removed.has(l.low));
  if (kept.length !== m.leaves.length - removed.size) return "edit removes an unknown leaf";
  const leaves = [...kept, ...edit.add].sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
  if (edit.checkpointLsn < m.checkpointLsn) return "checkpoint LSN goes back";
  if (edit.nextFileNumber < m.nextFileNumber) return "file number goes back";
  const raise = edit.deadVersionFloor ?? [];
  const raiseViolation = floorViolation(raise);
  if (raiseViolation !== undefined) return `edit ${raiseViolation}`;
  const next: Manifest = {
    formatVersion: 3,
    checkpointLsn: edit.checkpointLsn,
    nextFileNumber: edit.nextFileNumber,
    leaves,
    deadVersionFloor: raiseFloorPairs(m.deadVersionFloor, raise),
    legacyLsn: m.legacyLsn,
  };
  if (edit.clockFloorMs !== undefined && !isCount(edit.clockFloorMs))
    return `clock floor ${edit.clockFloorMs}`;
  const clockFloorMs = Math.max(m.clockFloorMs ?? 0, edit.clockFloorMs ?? 0);
  if (clockFloorMs > 0) next.clockFloorMs = clockFloorMs;
  return manifestViolation(next) ?? next;
}

/**
 * The first invariant of a manifest state that `m` breaks, or undefined. Invariants: format version 3; the
 * floor, the legacy LSN and every flushed LSN non-negative safe integers, the file counter a positive one;
 * the dead-version floor well formed ({@link floorViolation}); leaves strictly
 * ascending by `low`, each `low` lowercase hex, the first one "" (every key has a leaf); no segment named
 * twice, each numbered below the file counter.
 * Paired: the writer asserts it on every state it writes (a break is a bug), the reader checks it on every
 * state it reads back (a break is corruption).
 */
export function manifestViolation(m: Manifest): string | undefined {
  if (m.formatVersion !== 3) return `format version ${m.formatVersion}`;
  if (!isCount(m.checkpointLsn)) return `checkpoint LSN ${m.checkpointLsn}`;
  if (!isCount(m.legacyLsn)) return `legacy LSN ${m.legacyLsn}`;
  const floor = floorViolation(m.deadVersionFloor);
  if (floor !== undefined) return floor;
  if (!isCount(m.nextFileNumber)) return `next file number ${m.nextFileNumber}`;
  if (m.nextFileNumber < 1) return `next file number ${m.nextFileNumber}`;
  if (m.clockFloorMs !== undefined && !isCount(m.clockFloorMs)) return `clock floor ${m.clockFloorMs}`;
  if (m.leaves[0]?.low !== "") return "no leaf holds the lowest keys";
  let prev: string | undefined;
  // Bounded by the leaves.
  for (const leaf of m.leaves) {
    if (!HEX_KEY.test(leaf.low)) return `leaf low ${JSON.stringify(leaf.low)} is not hex`;
    if (!isCount(leaf.flushedLsn)) return `leaf flushed LSN ${leaf.flushedLsn}`;
    if (prev === leaf.low) return "two leaves with one low key";
    if (prev !== undefined && prev > leaf.low) return "leaves out of order";
    prev = leaf.low;
  }
  return segmentsViolation(m);
}

/** No segment named twice; every name a segment file name numbered below the file counter (never reused). */
function segmentsViolation(m: Manifest): string | undefined {
  const seen = new Set<string>();
  // Bounded by the segments named.
  for (const leaf of m.leaves) {
    for (const name of leaf.segments) {
      if (seen.has(name)) return `segment ${name} is named twice`;
      seen.add(name);
      const n = parseSegmentFileName(name);
      if (n === undefined) return `${JSON.stringify(name)} is not a segment file name`;
      if (n >= m.nextFileNumber) return `segment ${name} is not below the file counter ${m.nextFileNumber}`;
    }
  }
  return undefined;
}

/**
 * Why `pairs` is not a sparse dead-version floor, or undefined: each a `[bucket, floor]` pair, buckets
 * integers in [0, FLOOR_BUCKETS) strictly ascending, floors positive safe integers.
 */
function floorViolation(pairs: readonly FloorPair[]): string | undefined {
  let prev = -1;
  // Bounded by the pairs.
  for (const [b, v] of pairs) {
    if (!Number.isInteger(b) || b < 0 || b >= FLOOR_BUCKETS) return `dead-version floor bucket ${b}`;
    if (b <= prev) return "dead-version floor buckets out of order";
    if (!isCount(v) || v < 1) return `dead-version floor ${v} of bucket ${b}`;
    prev = b;
  }
  return undefined;
}

/** A non-negative safe integer. */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** A fence key in the manifest: lowercase hex of its bytes (manifest-key.ts). */
export const HEX_KEY = /^([0-9a-f]{2})*$/;
