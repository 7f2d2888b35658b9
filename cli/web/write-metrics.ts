/**
 * Per-second write figures for the page's sparklines: writes per second (committed calls, from the WAL's
 * record counter, so every write of the database counts) and the p99 latency of the writes this server
 * issued itself (the HTTP API and the load generator), nearest rank over one-second windows. Samples per
 * window are bounded: past {@link LATENCY_SAMPLES_MAX} a uniform reservoir keeps the percentile honest.
 */
import { summarizeLatency } from "../latency.js";

/** Latency samples kept per one-second window (Vitter's reservoir beyond it). */
export const LATENCY_SAMPLES_MAX = 65_536;
/** Points of history kept and sent to a new tab: one per second. */
export const HISTORY_POINTS_MAX = 120;

/** One second of writes. */
export interface StatsPoint {
  /** Wall ms at the end of the window. */
  t: number;
  /** Committed write calls per second over the window (WAL records; a batch is one). */
  writesPerSec: number;
  /** p99 latency in ms of the writes this server issued in the window; null if it issued none. */
  p99Ms: number | null;
  /** Writes this server issued in the window. */
  timedWrites: number;
}

/** Collects latencies and turns them into one {@link StatsPoint} per tick. */
export class WriteMetrics {
  private readonly samples = new Float64Array(LATENCY_SAMPLES_MAX);
  /** Samples offered in this window (may exceed the reservoir). */
  private offered = 0;
  private lastRecords: number;
  private lastTickMs: number;
  private readonly points: StatsPoint[] = [];

  constructor(records: number, nowMs: number) {
    this.lastRecords = records;
    this.lastTickMs = nowMs;
  }

  /** The last {@link HISTORY_POINTS_MAX} points, oldest first. */
  get history(): readonly StatsPoint[] {
    return this.points;
  }

  /** Records the latency of one write this server issued, in ms. */
  record(latencyMs: number): void {
    const seen = this.offered++;
    if (seen < LATENCY_SAMPLES_MAX) {
      this.samples[seen] = latencyMs;
      return;
    }
    const slot = Math.floor(Math.random() * (seen + 1));
    if (slot < LATENCY_SAMPLES_MAX) this.samples[slot] = latencyMs;
  }

  /** Closes the window: `records` is the WAL's cumulative record count now. */
  tick(records: number, nowMs: number): StatsPoint {
    const elapsedMs = Math.max(1, nowMs - this.lastTickMs);
    const kept = Math.min(this.offered, LATENCY_SAMPLES_MAX);
    const point: StatsPoint = {
      t: nowMs,
      writesPerSec: Math.round(((records - this.lastRecords) * 1000) / elapsedMs),
      p99Ms: kept === 0 ? null : summarizeLatency(this.samples.subarray(0, kept)).p99,
      timedWrites: this.offered,
    };
    this.lastRecords = records;
    this.lastTickMs = nowMs;
    this.offered = 0;
    this.points.push(point);
    if (this.points.length > HISTORY_POINTS_MAX) this.points.shift();
    return point;
  }
}
