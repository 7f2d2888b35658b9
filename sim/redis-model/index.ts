/**
 * The Redis data-type reference model (issue 14): a pure, synchronous restatement of Redis 7.0's semantics
 * for strings, hashes, lists, sets and sorted sets, sharing no code with the engine. Every command is a
 * function `(keyspace, ...arguments, nowMs)`; time is always passed in and randomness comes from a seeded
 * source. Semantics choices are written down in docs/data-types-model.md.
 */

export * from "./errors.js";
export type { ExpiryArg } from "./expiry.js";
export { globMatch } from "./glob.js";
export * as hashes from "./hashes.js";
export type { ExpireFlags } from "./keys.js";
export * as keys from "./keys.js";
export * from "./keyspace.js";
export type { ListEnd, LposOptions } from "./lists.js";
export * as lists from "./lists.js";
export { formatLongDoubleHuman, type LongDouble } from "./long-double.js";
export * from "./numbers.js";
export * as sets from "./sets.js";
export type { SetOptions } from "./strings.js";
export * as strings from "./strings.js";
export * from "./zset-ranges.js";
export * from "./zset-store.js";
export type { ZAddOptions } from "./zsets.js";
export * as zsets from "./zsets.js";
