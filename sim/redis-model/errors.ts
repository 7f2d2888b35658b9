/**
 * Errors of the Redis reference model. Every failure carries a stable `code` (what callers branch on) and
 * Redis 7.0's exact reply text as `message` (what the RESP server will put on the wire), restated from the
 * command pages at https://redis.io/commands.
 */

/** Stable codes: WRONGTYPE, a missing key where one is required, and every other Redis `ERR` reply. */
export type RedisModelErrorCode = "FUSEDB_WRONG_TYPE" | "FUSEDB_NOT_FOUND" | "FUSEDB_REDIS_ERROR";

/** A failed reference-model call; the keyspace is unchanged when one is thrown. */
export class RedisModelError extends Error {
  readonly code: RedisModelErrorCode;
  constructor(code: RedisModelErrorCode, message: string) {
    super(message);
    this.name = "RedisModelError";
    this.code = code;
  }
}

/** Redis's exact reply texts, by meaning. */
export const MSG = {
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  notInteger: "ERR value is not an integer or out of range",
  overflow: "ERR increment or decrement would overflow",
  decrOverflow: "ERR decrement would overflow",
  notFloat: "ERR value is not a valid float",
  nanOrInf: "ERR increment would produce NaN or Infinity",
  /** HINCRBYFLOAT's reply to an infinite increment, before the key is even looked at. */
  valueNanOrInf: "ERR value is NaN or Infinity",
  hashNotInteger: "ERR hash value is not an integer",
  hashNotFloat: "ERR hash value is not a float",
  syntax: "ERR syntax error",
  noSuchKey: "ERR no such key",
  indexOutOfRange: "ERR index out of range",
  offsetOutOfRange: "ERR offset is out of range",
  tooBig: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  mustBePositive: "ERR value is out of range, must be positive",
  minMaxNotFloat: "ERR min or max is not a float",
  minMaxNotLex: "ERR min or max not valid string range item",
  zaddXxNx: "ERR XX and NX options at the same time are not compatible",
  zaddGtLtNx: "ERR GT, LT, and/or NX options at the same time are not compatible",
  zaddIncrPair: "ERR INCR option supports a single increment-element pair",
  scoreNan: "ERR resulting score is not a number (NaN)",
  weightNotFloat: "ERR weight value is not a float",
  limitNeedsBy: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
  withScoresLex: "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
  rankZero:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  countNegative: "ERR COUNT can't be negative",
  maxlenNegative: "ERR MAXLEN can't be negative",
  limitNegative: "ERR LIMIT can't be negative",
  sameObject: "ERR source and destination objects are the same",
  /** SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a count of -2^63 (Redis 7.0 takes [-(2^63-1), 2^63-1]). */
  randomCountRange:
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
  expireNxXx: "ERR NX and XX, GT or LT options at the same time are not compatible",
  expireGtLt: "ERR GT and LT options at the same time are not compatible",
} as const;

/** Throws the `ERR ...` reply `message` with code FUSEDB_REDIS_ERROR. */
export function fail(message: string): never {
  throw new RedisModelError("FUSEDB_REDIS_ERROR", message);
}

/** Throws WRONGTYPE (code FUSEDB_WRONG_TYPE). */
export function wrongType(): never {
  throw new RedisModelError("FUSEDB_WRONG_TYPE", MSG.wrongType);
}

/** `ERR invalid expire time in '<command>' command`, as SET/GETEX/EXPIRE reply it. */
export function invalidExpire(command: string): never {
  return fail(`ERR invalid expire time in '${command}' command`);
}
