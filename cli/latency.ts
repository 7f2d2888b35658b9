/** Latency summaries for the demo: nearest-rank percentiles over recorded samples, in milliseconds. */

/** Percentiles and maximum of a latency sample, in ms. */
export interface LatencySummaryMs {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Nearest-rank percentiles (p50, p99, p99.9) and the maximum of `samplesMs`. Sorts a copy.
 * @throws RangeError on an empty sample.
 */
export function summarizeLatency(samplesMs: Float64Array): LatencySummaryMs {
  if (samplesMs.length === 0) throw new RangeError("summarizeLatency: no samples");
  const sorted = Float64Array.from(samplesMs).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { p50: rank(0.5), p99: rank(0.99), p999: rank(0.999), max: rank(1) };
}
