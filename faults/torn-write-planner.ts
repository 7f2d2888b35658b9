/**
 * Crash-time faults at byte level: what a power loss may leave of each write that was not yet durable.
 * Each pending write is, by a seeded choice:
 * - applied whole, or dropped whole;
 * - torn at sector granularity: a prefix of its sectors, or any subset of them (sectors reach the platter in
 *   any order);
 * - with a torn sector filled with garbage or zeros instead of the data;
 * - on a device without safe append, with the region the file grew by exposed as garbage or zeros (ALICE).
 * Pending truncates and directory operations are kept or dropped.
 *
 * Bytes that were durable before the crash are never changed here: faults only touch the bytes of writes
 * that never became durable. Damage to durable data is a separate, runtime fault (bit rot on read).
 * Sources: FoundationDB AsyncFileNonDurable (kill-time corruption of unsynced writes), SQLite test6.c,
 * Pebble vfs CrashClone, ALICE (Pillai et al., OSDI'14), TigerBeetle src/testing/storage.zig.
 */
import type {
  ByteRun,
  FaultPlanner,
  PendingDirOp,
  PendingTruncate,
  PendingWrite,
} from "../sim/disk/crash-planner.js";
import type { Prng } from "../sim/disk/prng.js";
import type { DeviceProfile } from "./device-profile.js";

/** How often each outcome is chosen for a pending write; weights, not probabilities. */
export interface TearWeights {
  keep: number;
  drop: number;
  tornPrefix: number;
  tornSubset: number;
}

/** The default mix: mostly whole outcomes, tears often enough to matter. */
export const TEAR_WEIGHTS_DEFAULT: TearWeights = { keep: 4, drop: 4, tornPrefix: 2, tornSubset: 2 };

/** Counts of what the planner did, for coverage marks. */
export interface TearCounts {
  kept: number;
  dropped: number;
  tornPrefix: number;
  tornSubset: number;
  garbageSectors: number;
  zeroSectors: number;
  partialSectors: number;
}

/** A {@link FaultPlanner} that tears, drops and fills unsynced writes per {@link DeviceProfile}. */
export class TornWritePlanner implements FaultPlanner {
  readonly counts: TearCounts = {
    kept: 0,
    dropped: 0,
    tornPrefix: 0,
    tornSubset: 0,
    garbageSectors: 0,
    zeroSectors: 0,
    partialSectors: 0,
  };

  constructor(
    private readonly prng: Prng,
    private readonly device: DeviceProfile,
    private readonly weights: TearWeights = TEAR_WEIGHTS_DEFAULT,
  ) {}

  planWrite(write: PendingWrite): readonly ByteRun[] {
    const { keep, drop, tornPrefix, tornSubset } = this.weights;
    const r = this.prng.int(keep + drop + tornPrefix + tornSubset);
    if (r < keep) {
      this.counts.kept++;
      return [{ offset: write.offset, data: write.data }];
    }
    const pieces = sectorPieces(write, this.device.sectorBytes);
    if (r < keep + drop) {
      this.counts.dropped++;
      return this.fillGrown(write, pieces, new Set());
    }
    const landed = new Set<number>();
    if (r < keep + drop + tornPrefix) {
      this.counts.tornPrefix++;
      const k = this.prng.int(pieces.length);
      for (let i = 0; i < k; i++) landed.add(i);
    } else {
      this.counts.tornSubset++;
      for (let i = 0; i < pieces.length; i++) if (this.prng.bool()) landed.add(i);
    }
    const runs: ByteRun[] = [];
    for (const i of landed) runs.push(pieces[i] as ByteRun);
    // Without atomic sector writes, one sector that did not land may have landed in part.
    if (!this.device.atomicSectorWrites && landed.size < pieces.length && this.prng.bool()) {
      const missing = [...pieces.keys()].filter((i) => !landed.has(i));
      const piece = pieces[this.prng.pick(missing)] as ByteRun;
      const cut = this.prng.int(piece.data.length);
      if (cut > 0) {
        runs.push({ offset: piece.offset, data: piece.data.subarray(0, cut) });
        this.counts.partialSectors++;
      }
    }
    return [...this.fillGrown(write, pieces, landed), ...runs];
  }

  planTruncate(_truncate: PendingTruncate): boolean {
    return this.prng.bool();
  }

  planDirOp(_op: PendingDirOp): boolean {
    return this.prng.bool();
  }

  /**
   * Sectors of the write that did not land but lie past the durable size may still be exposed, filled with
   * garbage or zeros: a torn sector's junk, and, on a device without safe append, the region the file grew
   * by before its data landed (more likely then).
   */
  private fillGrown(write: PendingWrite, pieces: readonly ByteRun[], landed: ReadonlySet<number>): ByteRun[] {
    const out: ByteRun[] = [];
    pieces.forEach((piece, i) => {
      if (landed.has(i)) return;
      // Only bytes past the durable size may be exposed: durable bytes are never changed by a crash.
      if (piece.offset < write.durableSizeBytes) return;
      const exposed = this.prng.bool(this.device.safeAppend ? 0.2 : 0.5);
      if (!exposed) return;
      if (this.prng.bool()) {
        const junk = new Uint8Array(piece.data.length);
        for (let b = 0; b < junk.length; b++) junk[b] = this.prng.int(256);
        out.push({ offset: piece.offset, data: junk });
        this.counts.garbageSectors++;
      } else {
        out.push({ offset: piece.offset, data: new Uint8Array(piece.data.length) });
        this.counts.zeroSectors++;
      }
    });
    return out;
  }
}

/** Splits a write into pieces at absolute sector boundaries. */
export function sectorPieces(write: { offset: number; data: Uint8Array }, sectorBytes: number): ByteRun[] {
  const out: ByteRun[] = [];
  let at = write.offset;
  const end = write.offset + write.data.length;
  // Bounded: each iteration advances `at` by at least one byte, to the next sector boundary.
  while (at < end) {
    const next = Math.min(end, (Math.floor(at / sectorBytes) + 1) * sectorBytes);
    out.push({ offset: at, data: write.data.subarray(at - write.offset, next - write.offset) });
    at = next;
  }
  return out;
}
