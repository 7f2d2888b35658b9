/**
 * Runs the simulated world forward. The engine only ever waits on the `SimClock` (every virtual I/O sleeps
 * there), so the driver alternates two things: let pending promise callbacks run (until the microtask
 * queue is empty; no real timers), then fire the next virtual timer. Work that is outstanding while no timer
 * is pending and no callback makes progress is a hang, and so is work that does not finish within a bounded
 * stretch of virtual time: both are failures, never timeouts (FoundationDB's simulator treats them alike).
 *
 * The one loop that runs the simulated world: the harnesses, the disk tests and the write-amplification
 * bench all wait through it (`SimClock` itself is only the timer queue).
 */
import type { SimClock } from "./disk/sim-clock.js";
import { settle } from "./disk/sim-clock.js";

/** Thrown when the simulation cannot make progress. */
export class HangError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HangError";
  }
}

/** Extra settles tried before an empty timer queue counts as a hang. */
const IDLE_SETTLES_MAX = 32;

/** Steps the simulation; see the module comment. */
export class Driver {
  steps = 0;

  constructor(
    private readonly clock: SimClock,
    /** Virtual milliseconds a single wait may take before it counts as a hang. */
    private readonly waitMsMax = 120_000,
  ) {}

  /** Lets every queued promise callback run (the microtask queue drains), without moving virtual time. */
  settle(): Promise<void> {
    return settle();
  }

  /** One step: settle, then fire the next timer if there is one. Returns false if none was pending. */
  async step(): Promise<boolean> {
    await this.settle();
    this.steps++;
    return this.clock.runNext();
  }

  /**
   * Steps until `done()` holds, checking it before each step (a step settles, then fires one timer). When no
   * timer is queued, it settles up to {@link IDLE_SETTLES_MAX} more times for work that still moves.
   * @throws HangError when `done()` is false with nothing scheduled, or after `waitMsMax` virtual ms.
   */
  async until(done: () => boolean, what: string): Promise<void> {
    const started = this.clock.now();
    // Bounded by waitMsMax of virtual time and by IDLE_SETTLES_MAX idle rounds.
    while (!done()) {
      if (!(await this.step())) {
        let idle = 0;
        while (!done() && this.clock.pendingTimers === 0 && idle++ < IDLE_SETTLES_MAX) await this.settle();
        if (done()) return;
        if (this.clock.pendingTimers === 0)
          throw new HangError(`${what}: work outstanding, nothing scheduled`);
      }
      if (this.clock.now() - started > this.waitMsMax) {
        throw new HangError(`${what}: not done after ${this.waitMsMax} virtual ms`);
      }
    }
  }

  /**
   * Drives the simulation until `promise` settles, then returns its result: `await driver.run(fs.open(p), "open")`.
   * @throws whatever `promise` rejects with, or HangError (see {@link until}).
   */
  async run<T>(promise: Promise<T>, what: string): Promise<T> {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await this.until(() => settled, what);
    return promise;
  }
}
