/**
 * The small alphabets the Redis differential test draws from: few keys (so commands collide, cross types
 * and hit WRONGTYPE), few members, and argument lists rich in edge cases (negative and out-of-range
 * indexes, int64 limits, float texts strtold rejects, ±inf, exclusive bounds). Times are fixed instants
 * far in the future (or long past) so that no reply depends on when the test runs.
 */
import type { Prng } from "../../sim/disk/prng.js";
import type { RedisKeyspace } from "../../sim/redis-model/index.js";

/** What a generator sees: the seeded stream, the model (to aim commands at live values) and the time. */
export interface Gen {
  r: Prng;
  ks: RedisKeyspace;
  nowMs: number;
  /**
   * Keys written by SET with an expiry already past. Redis 7.0 stores them and reaps them lazily (on access)
   * or by its active expiry cycle, and DBSIZE counts them until then; the model never does.
   */
  setExpired: Set<string>;
}

export const KEYS = ["k1", "k2", "k3", "k4"];
/** Members, fields and list elements: short, some numeric, one empty, one non-ASCII byte. */
export const MEMBERS = ["a", "b", "c", "d", "10", "-1", "1.5", "-0", "", "\xff"];
/** String values: integers at the int64 limits, texts string2ll or strtold reject, floats. */
export const VALUES = [
  ...["0", "1", "-1", "10", "9223372036854775806", "9223372036854775807", "-9223372036854775808"],
  ...["9223372036854775808", "1.5", "10.5", "abc", "", " 1", "1 ", "01", "+1", "-0", "1e3", "inf"],
  ...["-infinity", "0x10", "0x1p3", "1e5000", "1e-5000", "5.0e3", "1.7976931348623157e308", "\xff"],
];
/** INCRBY/HINCRBY deltas (always valid int64 text). */
export const DELTAS = [
  "1",
  "-1",
  "0",
  "5",
  "9223372036854775807",
  "-9223372036854775808",
  "4611686018427387904",
];
/** INCRBYFLOAT/HINCRBYFLOAT increments, valid and not. */
export const FLOATS = [
  "1",
  "-1",
  "0.1",
  "1.5",
  "-0",
  "1e3",
  "3.0e-2",
  "0x10",
  "inf",
  "-inf",
  "abc",
  "",
  " 1",
  "1e5000",
  "5.0e3",
  "1.7976931348623157e308",
  "-10.5",
];
/** List and range indexes. */
export const INDEXES = [-100, -5, -2, -1, 0, 1, 2, 3, 5, 100];
/** Glob patterns for KEYS/SCAN MATCH and the collection scans. */
export const PATTERNS = [
  "*",
  "k*",
  "k[12]",
  "?2",
  "*[^1]",
  "[a-c]",
  "[c-a]",
  "?",
  "1*",
  "\\a",
  "[a-]",
  "[]",
  "*\xff",
];

/** Fixed instants: 2100-01-01 and 2101-01-01 in s and ms, the epoch's first second, int64 edges. */
export const EPOCH_2100_S = 4102444800;
export const EPOCH_2101_S = 4133980800;

export function pick<T>(g: Gen, items: readonly T[]): T {
  return g.r.pick(items);
}

/** 1..max distinct-or-not draws. */
export function some<T>(g: Gen, items: readonly T[], max: number): T[] {
  return Array.from({ length: 1 + g.r.int(max) }, () => pick(g, items));
}
