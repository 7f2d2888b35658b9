/**
 * Process and disk probes for one phase: bytes this process caused to be written (/proc/self/io
 * write_bytes, counted when pages are dirtied, all threads included), the device's own sectors written
 * (/sys/dev/block/<major:minor>/stat: device-wide, so it includes the file system journal and any other
 * process), directory size, peak RSS (sampled), and GC pauses (perf_hooks 'gc' entries, by start time).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

/** Bytes written by this process so far, or undefined where /proc is missing. */
export function processWriteBytes(): number | undefined {
  try {
    const m = /^write_bytes:\s*(\d+)/m.exec(readFileSync("/proc/self/io", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The block-device stat file of the file system holding `dir`, if any (partitions fall back to the disk). */
export function deviceStatPath(dir: string): string | undefined {
  const dev = statSync(dir).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const path = `/sys/dev/block/${major}:${minor}/stat`;
  try {
    readFileSync(path, "utf8");
    return path;
  } catch {
    return undefined;
  }
}

/** Bytes the device has written so far (sectors are 512 bytes in this file), or undefined. */
export function deviceWriteBytes(statPath: string | undefined): number | undefined {
  if (!statPath) return undefined;
  const fields = readFileSync(statPath, "utf8").trim().split(/\s+/);
  const sectors = Number(fields[6]);
  return Number.isFinite(sectors) ? sectors * 512 : undefined;
}

/** Total size of the regular files under `dir`, in bytes. Bounded by the tree's size. */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    total += s.isDirectory() ? dirBytes(path) : s.size;
  }
  return total;
}

/** GC pauses in one window: how many, their sum and the longest, in ms. */
export interface GcSummary {
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

/** Pauses kept; past it the log counts what it dropped (a 10 s phase sees a few thousand). */
const GC_ENTRIES_MAX = 1_000_000;

/**
 * Every GC pause of this process (perf_hooks 'gc' entries), kept with its start time, so a pause is
 * charged to the window in which it happened (the load, the settle wait, a phase, an interval), not to
 * whenever its entry is delivered. Delivery needs the event loop: a synchronous engine (better-sqlite3,
 * lmdb's reads) can hold it for a whole phase, and its pauses then arrive only afterwards; `drain` waits
 * for them before a window is read.
 */
export class GcLog {
  private readonly starts: number[] = [];
  private readonly durations: number[] = [];
  dropped = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceEntry[]) this.record(e.startTime, e.duration);
  });

  /** With `observe` false the log only holds what `record` is given (for tests). */
  constructor(observe = true) {
    if (observe) this.observer.observe({ entryTypes: ["gc"] });
  }

  /** Keeps one pause that started at `startMs` (performance.now time) and lasted `durationMs`. */
  record(startMs: number, durationMs: number): void {
    if (this.starts.length >= GC_ENTRIES_MAX) {
      this.dropped++;
      return;
    }
    this.starts.push(startMs);
    this.durations.push(durationMs);
  }

  /** Lets entries of pauses that already happened arrive (node delivers them two event-loop turns later). */
  async drain(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Pauses that started in [fromMs, toMs) (performance.now time). */
  window(fromMs: number, toMs: number): GcSummary {
    const out: GcSummary = { gcCount: 0, gcTotalMs: 0, gcMaxMs: 0 };
    for (let i = 0; i < this.starts.length; i++) {
      const t = this.starts[i] ?? 0;
      if (t < fromMs || t >= toMs) continue;
      const d = this.durations[i] ?? 0;
      out.gcCount++;
      out.gcTotalMs += d;
      if (d > out.gcMaxMs) out.gcMaxMs = d;
    }
    return out;
  }

  /** Pause ms per interval of `intervalMs` from `fromMs`, for `count` intervals. */
  perInterval(fromMs: number, intervalMs: number, count: number): number[] {
    const out = new Array<number>(count).fill(0);
    for (let i = 0; i < this.starts.length; i++) {
      const k = Math.floor(((this.starts[i] ?? 0) - fromMs) / intervalMs);
      if (k >= 0 && k < count) out[k] = (out[k] ?? 0) + (this.durations[i] ?? 0);
    }
    return out;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** Samples RSS every `intervalMs` and keeps the peak. */
export class RssProbe {
  private peak = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes a sample now (the runner calls it too: a synchronous engine can starve the timer). */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  reset(): void {
    this.peak = process.memoryUsage.rss();
  }

  peakBytes(): number {
    this.sample();
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
