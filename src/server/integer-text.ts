/**
 * Decimal integers as Redis reads them (its `string2ll`): an optional `-`, then either the single digit `0`
 * or a digit 1-9 followed by digits. No `+`, no leading zeros, no spaces, no `-0`, nothing empty. Shared by
 * the request parser (multibulk and bulk lengths) and the commands' integer arguments, so both accept
 * exactly the same texts.
 *
 * Redis accepts the whole signed 64-bit range; here {@link parseInteger}'s result is a JavaScript number, so
 * texts outside the safe-integer range (|n| > 2^53 - 1) are rejected like malformed ones: every limit they
 * could be compared with is far smaller. Where Redis's reply depends on 64-bit arithmetic (the EXPIRE
 * family's overflow checks), {@link parseInt64} reads the whole range as a bigint.
 */

import { Buffer } from "node:buffer";

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;

/** Most characters a safe integer takes: 16 digits and a sign. */
const SAFE_INTEGER_CHARS_MAX = 17;

/**
 * Reads `bytes[start..end)` as a decimal integer with Redis's rules (module comment).
 * @returns the integer, or undefined if the text is not one or lies outside the safe-integer range.
 */
export function parseInteger(bytes: Uint8Array, start = 0, end = bytes.length): number | undefined {
  const length = end - start;
  if (length <= 0 || length > SAFE_INTEGER_CHARS_MAX) return undefined;
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  if (i === end) return undefined;
  const first = bytes[i] as number;
  if (first === DIGIT_0) return i + 1 === end && !negative ? 0 : undefined;
  if (first < DIGIT_0 || first > DIGIT_9) return undefined;
  let value = 0;
  for (; i < end; i++) {
    const c = bytes[i] as number;
    if (c < DIGIT_0 || c > DIGIT_9) return undefined;
    value = value * 10 + (c - DIGIT_0);
  }
  if (!Number.isSafeInteger(value)) return undefined;
  return negative ? -value : value;
}

/** Most characters a signed 64-bit integer takes: 19 digits and a sign. */
const INT64_CHARS_MAX = 20;
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

/**
 * Reads `bytes` as a decimal integer with Redis's rules (module comment) over the whole signed 64-bit range.
 * @returns the integer as a bigint, or undefined if the text is not one or lies outside [-2^63, 2^63 - 1].
 */
export function parseInt64(bytes: Uint8Array): bigint | undefined {
  if (bytes.length > INT64_CHARS_MAX) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}
