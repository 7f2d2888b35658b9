/**
 * Latency recording for one phase: an HDR histogram (Tene, HdrHistogram; 3 significant digits, values in
 * microseconds) for the whole phase, and per-interval samples (exact, sorted at the end of each interval)
 * for throughput and p99 over time. Latencies are attributed to the interval in which the operation ended.
 */
import * as hdr from "hdr-histogram-js";

/** Percentiles and maximum in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

/** One interval of the timeline. */
export interface IntervalPoint {
  /** End of the interval, seconds since the phase began. */
  tS: number;
  opsPerSec: number;
  p99Ms: number;
  /** GC pause ms that started in this interval (filled in by bench/cell.ts). */
  gcMs?: number;
}

function nearestRank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

export class LatencyRecorder {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  private current: number[] = [];
  private currentIndex = 0;
  private readonly points: IntervalPoint[] = [];
  private maxUs = 0;
  private sumUs = 0;

  constructor(
    private readonly startMs: number,
    private readonly intervalMs: number,
  ) {}

  /** Records one operation that ended at `endMs` (performance.now) after `latencyMs`. */
  record(endMs: number, latencyMs: number): void {
    const us = Math.max(1, Math.round(latencyMs * 1000));
    this.histogram.recordValue(us);
    if (us > this.maxUs) this.maxUs = us;
    this.sumUs += us;
    const index = Math.floor((endMs - this.startMs) / this.intervalMs);
    while (index > this.currentIndex) this.closeInterval();
    this.current.push(us);
  }

  private closeInterval(): void {
    const sorted = Float64Array.from(this.current).sort();
    this.points.push({
      tS: ((this.currentIndex + 1) * this.intervalMs) / 1000,
      opsPerSec: (sorted.length * 1000) / this.intervalMs,
      p99Ms: nearestRank(sorted, 0.99) / 1000,
    });
    this.current = [];
    this.currentIndex++;
  }

  /** Closes the last interval (counted only if at least half of it ran) and summarizes. */
  finish(endMs: number): { summary: LatencySummary; timeline: IntervalPoint[] } {
    const lastEnd = (this.currentIndex + 1) * this.intervalMs;
    if (endMs - this.startMs >= lastEnd - this.intervalMs / 2 && this.current.length > 0)
      this.closeInterval();
    const h = this.histogram;
    const count = h.totalCount;
    const at = (p: number): number => (count === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    const summary: LatencySummary = {
      count,
      p50Ms: at(50),
      p95Ms: at(95),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: this.maxUs / 1000,
      meanMs: count === 0 ? 0 : this.sumUs / count / 1000,
    };
    h.destroy();
    return { summary, timeline: this.points };
  }
}
