/**
 * How a call on the simulated disk is scheduled: issued now, completed after a seeded virtual latency (or
 * at once with latency off). `SimFileSystem` runs every call of its own and of its files through one
 * {@link IoRunner}.
 *
 * Invariants: with timing on, each call draws exactly one latency from the disk's PRNG stream, at issue, in
 * issue order, from its class's range in the profile; with timing off it draws nothing and completes
 * synchronously. A {@link Timing}'s ranges are integers `0 <= min <= max` (checked when it is built).
 */
import type { DiskState } from "./disk-state.js";
import type { LatencyClass, LatencyProfile } from "./latency-profile.js";
import { LATENCY_DEFAULT, latencyRange } from "./latency-profile.js";
import type { Prng } from "./prng.js";
import type { SimClock } from "./sim-clock.js";

/** One call: its name and path (for errors), the rest of its trace line, and its latency class. */
export interface IoCall {
  readonly syscall: string;
  readonly path: string;
  readonly detail: string;
  readonly cls: LatencyClass;
}

/**
 * Runs a call: `issue` runs at issue time, after the crashed check, and returns the completion step, which
 * runs against the same disk state once the latency has passed.
 */
export type IoRunner = <T>(call: IoCall, issue: (state: DiskState) => () => T) => Promise<T>;

/**
 * Runs a call at once, on the caller's stack: the crashed check, issue and completion in one step, with no
 * latency drawn (a read the page cache answers). Throws what the call throws.
 */
export type IoSyncRunner = <T>(call: IoCall, apply: (state: DiskState) => T) => T;

/** The call as the trace shows it: `<syscall> <path>[ <detail>]`. */
export function traceLine(call: IoCall): string {
  return call.detail === "" ? `${call.syscall} ${call.path}` : `${call.syscall} ${call.path} ${call.detail}`;
}

/** Where latencies come from, when there are any. */
export interface Timing {
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly profile: LatencyProfile;
}

/** The sources a {@link Timing} is built from: a disk's options. */
export interface TimingSources {
  readonly clock?: SimClock;
  readonly prng?: Prng;
  /** A profile, or anything else for {@link LATENCY_DEFAULT}. */
  readonly latency?: boolean | LatencyProfile;
}

/**
 * The timing for `sources` with latency `on`, or undefined when it is off.
 * @throws TypeError if `on` and `clock` or `prng` is missing; RangeError on a bad latency range.
 */
export function timingOf(sources: TimingSources, on: boolean): Timing | undefined {
  if (!on) return undefined;
  if (sources.clock === undefined || sources.prng === undefined) {
    throw new TypeError("SimFileSystem: clock and prng are required unless latency is false");
  }
  const profile = typeof sources.latency === "object" ? sources.latency : LATENCY_DEFAULT;
  for (const [lo, hi] of Object.values(profile) as [number, number][]) {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || lo > hi) {
      throw new RangeError(`SimFileSystem: bad latency range [${lo}, ${hi}] ms`);
    }
  }
  return { clock: sources.clock, prng: sources.prng, profile };
}

/** Draws the latency of a call of class `cls`, in virtual milliseconds (one draw from the disk's stream). */
export function drawLatencyMs(timing: Timing, cls: LatencyClass): number {
  const [lo, hi] = latencyRange(timing.profile, cls);
  return timing.prng.range(lo, hi);
}
