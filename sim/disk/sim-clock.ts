/**
 * Virtual time. The engine's only clock in simulation: `now()` moves only when the simulator fires a timer
 * or advances it. Idea: FoundationDB sim2's `g_network->now()` and its task queue ordered by (time, seq).
 */
import type { Clock } from "../../src/io/clock.js";
import { MinHeap } from "./min-heap.js";

/** Where every SimClock starts: a fixed instant (2023-11-14T22:13:20Z) so runs never depend on wall time. */
export const SIM_EPOCH_MS = 1_700_000_000_000;

interface Timer {
  readonly atMs: number;
  /** Insertion order; breaks ties between timers due at the same instant. */
  readonly seq: number;
  readonly resolve: () => void;
  /** Set by a cancelled {@link SimClock.timer}: dropped unfired when it reaches the top of the heap. */
  cancelled?: boolean;
}

/**
 * Lets every pending promise continuation run: resolves once the microtask queue is empty. It rides on
 * `process.nextTick`, which Node runs only after the microtask queue drains; no wall time is involved, so
 * the order of everything is still a function of the inputs alone.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/**
 * A `Clock` whose time is a number the simulator moves. `sleep(ms)` queues a timer due at `now() + ms`;
 * timers fire one at a time in (due time, insertion order), each setting `now()` to its due time.
 */
export class SimClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private yieldCount = 0;
  /** Cancelled timers still in the heap (dropped lazily when they reach its top). */
  private cancelledCount = 0;
  private readonly timers = new MinHeap<Timer>(
    (a, b) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq),
  );

  /** @param startMs the initial `now()`, in milliseconds; {@link SIM_EPOCH_MS} by default. */
  constructor(startMs = SIM_EPOCH_MS) {
    this.nowMs = startMs;
  }

  /** Virtual milliseconds. Never decreases, except by {@link stepBack}. */
  now(): number {
    return this.nowMs;
  }

  /**
   * Resolves when the simulator fires this timer, due at `now() + ms` (0 means "after the timers already due now").
   * @throws RangeError (as a rejection) if `ms` is negative or not finite.
   */
  sleep(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0)
      return Promise.reject(new RangeError(`SimClock.sleep: bad duration ${ms} ms`));
    return new Promise((resolve) => {
      this.timers.push({ atMs: this.nowMs + ms, seq: this.seq++, resolve });
    });
  }

  /**
   * Calls `fire` when the simulator fires this timer, due at `now() + ms` (ordered with the sleeps), unless
   * cancelled first: a cancelled timer never fires, moves no time and is not counted as pending.
   * @throws RangeError if `ms` is negative or not finite.
   */
  timer(ms: number, fire: () => void): () => void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`SimClock.timer: bad duration ${ms} ms`);
    const t: Timer = { atMs: this.nowMs + ms, seq: this.seq++, resolve: fire };
    this.timers.push(t);
    return () => {
      if (t.cancelled) return;
      t.cancelled = true;
      this.cancelledCount++;
    };
  }

  /** Pops cancelled timers off the heap's top, so its top is a live timer or nothing. */
  private dropCancelled(): void {
    for (let top = this.timers.peek(); top?.cancelled === true; top = this.timers.peek()) {
      this.timers.pop();
      this.cancelledCount--;
    }
  }

  /**
   * Resolves once the promise continuations already queued have run (a microtask turn), without firing a
   * timer or moving time: a yield never depends on the simulator driving the clock, so an undriven clock
   * never hangs the engine, and the order of everything stays a function of the inputs. Counted in `yields`.
   */
  yield(): Promise<void> {
    this.yieldCount++;
    return Promise.resolve();
  }

  /** Calls to {@link yield} so far. */
  get yields(): number {
    return this.yieldCount;
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size - this.cancelledCount;
  }

  /** Due time of the earliest timer, or undefined when none is queued. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.timers.peek()?.atMs;
  }

  /**
   * Fires the earliest timer (ties in insertion order): sets `now()` to its due time (never backwards) and
   * resolves it. Its continuation runs only after the caller yields (see {@link settle}). Returns false when
   * no timer is queued.
   */
  runNext(): boolean {
    this.dropCancelled();
    const timer = this.timers.pop();
    if (timer === undefined) return false;
    timer.cancelled = true; // fired: a later cancel does nothing
    this.nowMs = Math.max(this.nowMs, timer.atMs);
    timer.resolve();
    return true;
  }

  /**
   * Moves time forward by `ms`: fires, synchronously and in order, every timer already queued and due by
   * `now() + ms`, then sets `now()` to `now() + ms`. Continuations run after it returns (they see the final
   * time), and timers they queue are not fired by this call; to interleave, run the world with a `Driver`
   * (sim/driver.ts). Returns the number of timers fired.
   * @throws RangeError if `ms` is negative or not finite.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`SimClock.advance: bad duration ${ms} ms`);
    const targetMs = this.nowMs + ms;
    let fired = 0;
    for (let next = this.nextTimerAt(); next !== undefined && next <= targetMs; next = this.nextTimerAt()) {
      this.runNext();
      fired++;
    }
    this.nowMs = targetMs;
    return fired;
  }
  /**
   * Steps `now()` back by `ms`, as a wall clock set back (NTP, an operator, a restored VM) does: the one way
   * this clock breaks its monotonic promise, for the engine's clock floor to be tested against (issue 12
   * item 5). Queued timers keep their due times; none fires.
   * @throws RangeError if `ms` is negative or not finite, or the step would go below time 0.
   */
  stepBack(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > this.nowMs)
      throw new RangeError(`SimClock.stepBack: bad step ${ms} ms from ${this.nowMs} ms`);
    this.nowMs -= ms;
  }
}
