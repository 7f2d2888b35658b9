/**
 * Expiry arguments shared by SET, GETEX and the EXPIRE family: a relative (EX seconds, PX ms) or absolute
 * (EXAT unix seconds, PXAT unix ms) time turned into an absolute virtual ms, with Redis 7.0's overflow
 * checks (redis.io/commands/set, redis.io/commands/expire).
 */

import { invalidExpire } from "./errors.js";
import { INT64_MAX } from "./numbers.js";

/** An expiry as SET/GETEX take it; `amount` is an integer in the unit's scale. */
export interface ExpiryArg {
  unit: "ex" | "px" | "exat" | "pxat";
  amount: number | bigint;
}

/**
 * Absolute expiry in ms for `arg` at `nowMs`. SET and GETEX reject amounts ≤ 0 (`positiveOnly`); every
 * command rejects seconds that overflow when scaled to ms and sums that overflow int64, with
 * "ERR invalid expire time in '<command>' command".
 */
export function absoluteExpiryMs(
  arg: ExpiryArg,
  nowMs: number,
  command: string,
  positiveOnly: boolean,
): number {
  const amount = BigInt(arg.amount);
  if (positiveOnly && amount <= 0n) invalidExpire(command);
  const seconds = arg.unit === "ex" || arg.unit === "exat";
  if (seconds && (amount > INT64_MAX / 1000n || amount < -INT64_MAX / 1000n)) invalidExpire(command);
  let ms = seconds ? amount * 1000n : amount;
  if (arg.unit === "ex" || arg.unit === "px") {
    ms += BigInt(nowMs);
    if (ms > INT64_MAX || ms < -INT64_MAX) invalidExpire(command);
  }
  return Number(ms);
}
