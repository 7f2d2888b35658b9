/**
 * Time, through the seam. The engine never reads wall time itself; in simulation the `SimClock` is its only
 * clock, so time moves only when the simulator moves it (FoundationDB's `g_network->now()`).
 */
export interface Clock {
  /** Milliseconds since an arbitrary, fixed epoch (Unix epoch on a real clock). Never decreases. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
  /**
   * Calls `fire` once, after `ms` milliseconds of this clock's time, unless the returned cancel function
   * runs first (then never; cancelling twice or after it fired does nothing). Unlike {@link sleep} it leaves
   * nothing pending once cancelled: the blocking list pops (src/types/pop-waiters.ts) arm one per waiter.
   */
  timer(ms: number, fire: () => void): () => void;
  /**
   * Lets other work run, then resolves, without waiting for any time to pass: long in-memory work (a scan
   * skipping many tombstones) awaits it between bounded runs so it never starves the event loop. A real
   * clock resolves it after the event loop's pending I/O callbacks and timers (its check phase); a virtual
   * one may resolve it as soon as pending promise continuations have run, and must resolve it without
   * being driven, so it never hangs a caller that is not moving virtual time.
   */
  yield(): Promise<void>;
}
