/**
 * The engine's time as the campaign sees it, now that the virtual clock may step back (issue 12 item 5).
 *
 * - {@link EngineTimeProbe}: the clock a campaign hands one engine handle. It passes the SimClock through
 *   and remembers the latest time the engine read, so the campaign knows the engine clock exactly:
 *   `max(SimClock now, latest time read, floor recovered at open)` (src/engine-clock.ts). The model is fed
 *   that time, so expiries computed by the engine and the model agree although the SimClock went back.
 * - {@link ExpiryWitness}: remembers each (key, version) a read saw expired; a later read that returns that
 *   version live is a violation, in the same process or after a restart or crash (the engine's clock never
 *   goes back). Observations of an epoch whose floors may not be durable (a poisoned database, runtime
 *   faults) or whose observed versions may be lost and written again (mode 'relaxed': a version number comes
 *   back with another write) are forgotten when it ends by a crash or a restart (docs/fault-model.md).
 */
import type { Clock } from "../src/io/clock.js";

/** A pass-through clock recording the latest time its engine read. */
export class EngineTimeProbe implements Clock {
  private readMaxMs = 0;

  constructor(private readonly inner: Clock) {}

  now(): number {
    const t = this.inner.now();
    if (t > this.readMaxMs) this.readMaxMs = t;
    return t;
  }

  sleep(ms: number): Promise<void> {
    return this.inner.sleep(ms);
  }

  timer(ms: number, fire: () => void): () => void {
    return this.inner.timer(ms, fire);
  }

  yield(): Promise<void> {
    return this.inner.yield();
  }

  /** The time the engine has surely reached: the latest it read, or `floorMs` (its recovered floor). */
  reachedMs(floorMs: number): number {
    return Math.max(this.readMaxMs, floorMs);
  }

  /**
   * The engine clock's `now()` for a handle opened with this probe whose recovery reported `floorMs`: what
   * it returns if it reads the clock now (exact for a call that reads it synchronously, as a write does).
   */
  engineNow(floorMs: number): number {
    return Math.max(this.inner.now(), this.readMaxMs, floorMs);
  }
}

/** Expired observations, per key: see the module comment. */
export class ExpiryWitness {
  /** key -> version -> [reads answered when it was first seen expired, seen in the current epoch]. */
  private readonly seen = new Map<string, Map<number, [number, boolean]>>();

  /** A read saw version `version` of `key` expired; `seq` counts the reads answered, this one included. */
  sawExpired(key: string, version: number, seq: number): void {
    let versions = this.seen.get(key);
    if (versions === undefined) {
      versions = new Map();
      this.seen.set(key, versions);
    }
    if (!versions.has(version)) versions.set(version, [seq, true]);
  }

  /**
   * Whether version `version` of `key` was seen expired by a read answered before a read that started when
   * `startSeq` reads had been answered (so that read must not see the version live).
   */
  wasExpiredBefore(key: string, version: number, startSeq: number): boolean {
    const at = this.seen.get(key)?.get(version);
    return at !== undefined && at[0] <= startSeq;
  }

  /**
   * The epoch ended (crash or restart). If its floors may not be durable (or the versions it saw may be
   * lost, mode 'relaxed'), its observations are forgotten; the others become earlier epochs' observations.
   */
  epochEnded(durable: boolean): void {
    for (const [key, versions] of this.seen) {
      for (const [version, [seq, current]] of versions) {
        if (!current) continue;
        if (durable) versions.set(version, [seq, false]);
        else versions.delete(version);
      }
      if (versions.size === 0) this.seen.delete(key);
    }
  }
}
