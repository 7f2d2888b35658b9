/** The real clock: wall milliseconds and real timers. Only the composition root (cli/) and bench use it. */
import type { Clock } from "./clock.js";

/** `Clock` over `Date.now()`, `setTimeout` and `setImmediate`. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** `setTimeout`, cancelled by `clearTimeout`. */
  timer(ms: number, fire: () => void): () => void {
    const handle = setTimeout(fire, ms);
    return () => clearTimeout(handle);
  }

  /** Resolves in the event loop's check phase (`setImmediate`): after pending I/O callbacks have run. */
  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
