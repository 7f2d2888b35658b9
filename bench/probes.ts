/**
 * Process and disk probes for one phase: bytes this process caused to be written (/proc/self/io
 * write_bytes, counted when pages are dirtied, all threads included), the device's own sectors written
 * (/sys/dev/block/<major:minor>/stat: device-wide, so it includes the file system journal and any other
 * process), directory size, peak RSS (sampled), and GC pauses (perf_hooks 'gc' entries).
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

/** GC pauses observed since `start()`. */
export class GcProbe {
  private totalMs = 0;
  private maxMs = 0;
  private count = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceEntry[]) {
      this.totalMs += e.duration;
      this.count++;
      if (e.duration > this.maxMs) this.maxMs = e.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ["gc"] });
  }

  reset(): void {
    this.totalMs = 0;
    this.maxMs = 0;
    this.count = 0;
  }

  read(): { gcCount: number; gcTotalMs: number; gcMaxMs: number } {
    return { gcCount: this.count, gcTotalMs: this.totalMs, gcMaxMs: this.maxMs };
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

  private sample(): void {
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
