/**
 * The facade's checks of argument shapes (abstract-level's habit: public methods validate, then call one
 * private path). Every check throws InvalidArgumentError `FUSEDB_INVALID_ARGUMENT` and changes nothing; each
 * option is read once, so what is checked is what is used.
 */
import type { KeyInput, KeyString } from "./doc/key.js";
import { InvalidArgumentError } from "./errors.js";
import type { KeyRange } from "./tree/key-range.js";
import type { FuseDBConfig, ScanOptions } from "./types.js";
import { SCAN_LIMIT_MAX } from "./types.js";

function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", message);
}

/**
 * `value` as an options object: undefined means none given (`{}`); null, arrays and anything that is not an
 * object are rejected.
 * @throws InvalidArgumentError naming `what`.
 */
export function optionsOf<T extends object>(value: T | undefined, what: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${what} must be an object`);
  }
  return value;
}

/**
 * Checks `open`'s configuration: an object with a non-empty string `dir`, a file system object and a clock
 * with `now()` and `yield()`. The knobs are checked by `resolveOptions` (src/options.ts).
 * @throws InvalidArgumentError naming the bad field.
 */
export function checkConfig(config: FuseDBConfig): void {
  optionsOf(config, "open's configuration");
  const { dir, fs, clock } = config as Partial<Record<"dir" | "fs" | "clock", unknown>>;
  if (typeof dir !== "string" || dir.length === 0) throw invalid("dir must be a non-empty string");
  if (typeof fs !== "object" || fs === null) throw invalid("fs must be a FileSystem");
  const c = typeof clock === "object" && clock !== null ? (clock as { now?: unknown; yield?: unknown }) : {};
  if (typeof c.now !== "function" || typeof c.yield !== "function") {
    throw invalid("clock must be a Clock (an object with now() and yield())");
  }
}

/** A scan's checked arguments. */
export interface ScanArguments {
  range: KeyRange;
  limit: number;
  reverse: boolean;
}

/**
 * Checks a scan's options and converts its bounds with `toKey` (which checks each key).
 * @throws InvalidArgumentError for a bad limit, both bounds of one side, a non-boolean `reverse`, or a bad
 *   key (from `toKey`).
 */
export function scanArguments(
  options: ScanOptions | undefined,
  toKey: (k: KeyInput) => KeyString,
): ScanArguments {
  const { gt, gte, lt, lte, limit = 1000, reverse = false } = optionsOf(options, "scan options");
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
    throw invalid(`scan limit must be 1..${SCAN_LIMIT_MAX}`);
  }
  if (typeof reverse !== "boolean") throw invalid("scan reverse must be a boolean");
  const twoLower = gt !== undefined && gte !== undefined;
  const twoUpper = lt !== undefined && lte !== undefined;
  if (twoLower || twoUpper) throw invalid("scan takes at most one lower and one upper bound");
  const range: KeyRange = {};
  if (gt !== undefined) range.gt = toKey(gt);
  if (gte !== undefined) range.gte = toKey(gte);
  if (lt !== undefined) range.lt = toKey(lt);
  if (lte !== undefined) range.lte = toKey(lte);
  return { range, limit, reverse };
}

/**
 * Checks a subscription's options: `queueMax` (default `queueMaxDefault`) a positive integer, `signal`
 * undefined or an AbortSignal (anything with a boolean `aborted` and add/removeEventListener, so signals
 * from polyfills and other realms work too).
 * @throws InvalidArgumentError naming the bad option.
 */
export function subscribeArguments(
  options: { queueMax?: number; signal?: AbortSignal } | undefined,
  queueMaxDefault: number,
): { queueMax: number; signal: AbortSignal | undefined } {
  const { queueMax = queueMaxDefault, signal } = optionsOf(options, "subscribe options");
  if (!Number.isSafeInteger(queueMax) || queueMax < 1) throw invalid("queueMax must be a positive integer");
  if (signal !== undefined && !isAbortSignal(signal)) throw invalid("signal must be an AbortSignal");
  return { queueMax, signal };
}

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  if (typeof s.aborted !== "boolean") return false;
  if (typeof s.addEventListener !== "function") return false;
  return typeof s.removeEventListener === "function";
}
