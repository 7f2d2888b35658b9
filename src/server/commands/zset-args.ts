/**
 * Arguments and replies of the sorted-set commands (zset-commands.ts, zset-range-commands.ts), read in
 * Redis 7.0's order so that the same bad command gets the same first complaint (t_zset.c's parsing order,
 * restated from redis.io/commands and checked by the differential test against sim/redis-model/).
 * RESP3: scores are doubles, and WITHSCORES replies (ZRANGE family, ZUNION/ZINTER/ZDIFF, ZRANDMEMBER, ZPOP
 * with a count) are arrays of [member, score] pairs, as Redis 7.0 sends them; RESP2 flattens them.
 */
import { Buffer } from "node:buffer";
import { parseLexBound, parseScoreBound } from "../../types/score.js";
import type { Txn } from "../../types/txn.js";
import type { ZEntry } from "../../types/zset-index.js";
import type { RangeQuery, RangeSpec } from "../../types/zset-ops.js";
import { checkRangeOptions } from "../../types/zset-ops.js";
import { keyword } from "../args.js";
import { type CommandFlag, type CommandSpec, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dbKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** The engine key of argument `i`. */
export function keyArg(ctx: CommandContext, args: readonly Buffer[], i = 1): string {
  return ctx.server.db.types.key(dbKey(ctx.client.db, args[i] as Buffer));
}

/** An argument as a binary string. */
export function bin(arg: Buffer | undefined): string {
  return (arg as Buffer).toString("latin1");
}

const INT64 = /^(?:0|-?[1-9]\d*)$/;

/**
 * An argument as Redis's getLongFromObject reads it: a strict integer within int64 ("ERR value is not an
 * integer or out of range" otherwise), clamped to ±2^53 (ranks and counts beyond any collection mean the
 * same there). `min` is the smallest accepted value (ZRANDMEMBER refuses -2^63 with its own text).
 */
export function int64Arg(arg: Buffer | undefined): number {
  const text = bin(arg);
  if (!INT64.test(text)) throw new CommandError(ERR.notInteger);
  const v = BigInt(text);
  if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw new CommandError(ERR.notInteger);
  const cap = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > cap ? cap : v < -cap ? -cap : v);
}

/** Whether the argument is exactly -2^63 (LONG_MIN). */
export function isInt64Min(arg: Buffer | undefined): boolean {
  return bin(arg) === "-9223372036854775808";
}

/** A bulk reply of a binary string. */
export function bulk(s: string): Reply {
  return R.bulk(Buffer.from(s, "latin1"));
}

/** A score reply (a double in RESP3, its `%.17g` text in RESP2), or null. */
export function scoreReply(s: number | undefined | null): Reply {
  return s === undefined || s === null ? R.null : R.double(s);
}

/** Whether the client speaks RESP3. */
export function resp3(ctx: CommandContext): boolean {
  return ctx.client.protocol === 3;
}

/** Members, or with scores [member, score] pairs (RESP3) / a flat member, score, ... array (RESP2). */
export function entriesReply(entries: readonly ZEntry[], withScores: boolean, nested: boolean): Reply {
  if (!withScores) return R.array(entries.map(([m]) => bulk(m)));
  if (nested) return R.array(entries.map(([m, s]) => R.array([bulk(m), R.double(s)])));
  return R.array(entries.flatMap(([m, s]) => [bulk(m), R.double(s)]));
}

/** How a ZRANGE-family command fixes its range: ZRANGE/ZRANGESTORE choose; the legacy forms preset. */
export interface RangeForm {
  /** Index of the source key; the range's two bounds follow it. */
  readonly src: number;
  readonly by?: RangeSpec["by"];
  readonly rev?: boolean;
  /** ZRANGESTORE: no WITHSCORES. */
  readonly store?: boolean;
}

/**
 * Parses a ZRANGE-family command as Redis 7.0 does: the options first (LIMIT's integers as met), then
 * the conflicts (LIMIT by rank, WITHSCORES with BYLEX), then the bounds (max first with REV).
 * @throws CommandError / DataTypeError with Redis's text.
 */
export function parseRange(
  args: readonly Buffer[],
  form: RangeForm,
): { query: RangeQuery; withScores: boolean } {
  let by = form.by;
  let rev = form.rev;
  let withScores = false;
  let limit: { offset: number; count: number } | undefined;
  for (let j = form.src + 3; j < args.length; j++) {
    const kw = keyword(args[j]);
    if (kw === "WITHSCORES" && !form.store) withScores = true;
    else if (kw === "LIMIT" && args.length - j - 1 >= 2) {
      limit = { offset: int64Arg(args[j + 1]), count: int64Arg(args[j + 2]) };
      j += 2;
    } else if (kw === "REV" && rev === undefined) rev = true;
    else if (kw === "BYLEX" && by === undefined) by = "lex";
    else if (kw === "BYSCORE" && by === undefined) by = "score";
    else throw new CommandError(ERR.syntax);
  }
  const kind = by ?? "rank";
  checkRangeOptions(kind, limit, withScores);
  const [a, b] = [args[form.src + 1], args[form.src + 2]];
  const [lo, hi] = rev && kind !== "rank" ? [b, a] : [a, b];
  let spec: RangeSpec;
  if (kind === "rank") spec = { by: kind, start: int64Arg(lo), stop: int64Arg(hi) };
  else if (kind === "score")
    spec = { by: kind, min: parseScoreBound(bin(lo)), max: parseScoreBound(bin(hi)) };
  else spec = { by: kind, min: parseLexBound(bin(lo)), max: parseLexBound(bin(hi)) };
  const query: RangeQuery = {
    spec,
    ...(rev ? { rev: true } : {}),
    ...(limit !== undefined && kind !== "rank" ? { limit } : {}),
  };
  return { query, withScores };
}

export type Prepare = (ctx: CommandContext, args: readonly Buffer[]) => (tx: Txn) => Reply;

/** A sorted-set command spec (group sorted_set). */
export function zsetCommand(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keys: readonly [number, number, number],
  since: string,
  summary: string,
  prepare: Prepare,
): CommandSpec {
  const write = flags.includes("write");
  return typedCommand({
    name,
    arity,
    flags,
    keys,
    group: "sorted_set",
    since,
    summary,
    typed: { write, prepare },
  });
}
