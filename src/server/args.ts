/**
 * Reading command arguments the way Redis does, with its error lines on failure (thrown as CommandError).
 */
import type { Buffer } from "node:buffer";
import { parseInt64, parseInteger } from "./integer-text.js";
import { CommandError, ERR } from "./reply-errors.js";

/** The argument as an integer with Redis's rules. @throws CommandError "value is not an integer or out of range". */
export function intArg(arg: Buffer): number {
  const n = parseInteger(arg);
  if (n === undefined) throw new CommandError(ERR.notInteger);
  return n;
}

/**
 * The argument as a signed 64-bit integer (bigint), for replies that depend on 64-bit arithmetic.
 * @throws CommandError "value is not an integer or out of range".
 */
export function int64Arg(arg: Buffer): bigint {
  const n = parseInt64(arg);
  if (n === undefined) throw new CommandError(ERR.notInteger);
  return n;
}

/** The argument as a double (`inf`, `-inf` and `+inf` too, as Redis's strtod). @throws CommandError. */
export function floatArg(arg: Buffer): number {
  const text = arg.toString("latin1");
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new CommandError(ERR.notFloat);
  return Number(text);
}

/** The argument uppercased as ASCII, for keywords (NX, XX, WITHSCORES). */
export function keyword(arg: Buffer | undefined): string {
  return arg === undefined ? "" : arg.toString("latin1").toUpperCase();
}

/** The argument as text (UTF-8). */
export function text(arg: Buffer): string {
  return arg.toString("utf8");
}
