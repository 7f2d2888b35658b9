/**
 * Time, through the seam. The engine never reads wall time itself; in simulation the `SimClock` is its only
 * clock, so time moves only when the simulator moves it (FoundationDB's `g_network->now()`).
 */
export interface Clock {
  /** Milliseconds since an arbitrary, fixed epoch (Unix epoch on a real clock). Never decreases. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}
