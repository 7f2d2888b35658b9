/**
 * The engine's clock: the configured {@link Clock} made monotonic and floored. `now()` is the largest of the
 * inner clock's time, the floor recovered from disk (the newest time an earlier run made durable, see
 * docs/wal-format.md "Clock floor") and every time it returned before, so a wall clock stepped back (NTP, a
 * VM restored, an operator) never makes an expired document live again, in this process or after a
 * restart. Idea: the hybrid logical clocks of CockroachDB and Spanner's "commit wait" keep their time
 * monotonic the same way, by max with the last time seen.
 */
import { assert } from "./errors.js";
import type { Clock } from "./io/clock.js";

/** A monotonic view of `inner` that never reads below `floorMs`. */
export class EngineClock implements Clock {
  private lastMs: number;

  /**
   * @param inner the configured clock (wall time, or the simulator's).
   * @param floorMs the time to start from: the durable clock floor recovered at open (0 if none).
   */
  constructor(
    private readonly inner: Clock,
    floorMs: number,
  ) {
    assert(Number.isFinite(floorMs) && floorMs >= 0, "a clock floor is a non-negative time");
    this.lastMs = floorMs;
  }

  /** Milliseconds: max(inner.now(), floor, every earlier answer). Never decreases. */
  now(): number {
    const t = this.inner.now();
    if (t > this.lastMs) this.lastMs = t;
    return this.lastMs;
  }

  /** How far the inner clock is behind this one now, in ms (0 when it has not stepped back). */
  get behindMs(): number {
    return Math.max(0, this.lastMs - this.inner.now());
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
}
