/** The real clock: wall milliseconds and real timers. Only the composition root (cli/) and bench use it. */
import type { Clock } from "./clock.js";

/** The longest delay `setTimeout` takes (a signed 32-bit count of ms); longer ones fire at once. */
const TIMEOUT_MS_MAX = 2 ** 31 - 1;

/** `Clock` over `Date.now()`, `setTimeout` and `setImmediate`. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** `setTimeout`, cancelled by `clearTimeout`; past setTimeout's 2^31-1 ms, in steps. */
  timer(ms: number, fire: () => void): () => void {
    let handle: ReturnType<typeof setTimeout>;
    const arm = (leftMs: number): void => {
      const stepMs = Math.min(leftMs, TIMEOUT_MS_MAX);
      handle = setTimeout(() => (leftMs > stepMs ? arm(leftMs - stepMs) : fire()), stepMs);
    };
    arm(ms);
    return () => clearTimeout(handle);
  }

  /** Resolves in the event loop's check phase (`setImmediate`): after pending I/O callbacks have run. */
  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
