/**
 * Set commands of the Redis reference model (redis.io/commands/?group=set), Redis 7.0 semantics. Replies
 * that Redis leaves unordered are sorted by bytes here; random choices come from the caller's seeded source.
 */

import { fail, MSG } from "./errors.js";
import { globMatch } from "./glob.js";
import { checkRandomCount, randomPick } from "./hashes.js";
import { type ByteString, compareBytes, type RandomSource, type RedisKeyspace } from "./keyspace.js";

const fresh = () => ({ type: "set" as const, members: new Set<ByteString>() });
const sorted = (s: Iterable<ByteString>) => [...s].sort(compareBytes);

/** SADD: returns how many members were new. */
export function sadd(ks: RedisKeyspace, key: string, members: ByteString[], nowMs: number): number {
  if (members.length === 0) fail("ERR wrong number of arguments for 'sadd' command");
  const s = ks.getOrCreate(key, "set", nowMs, fresh);
  const before = s.members.size;
  for (const m of members) s.members.add(m);
  return s.members.size - before;
}

/** SREM: returns how many members existed; deletes the key when it empties. */
export function srem(ks: RedisKeyspace, key: string, members: ByteString[], nowMs: number): number {
  const s = ks.get(key, "set", nowMs);
  if (!s) return 0;
  let n = 0;
  for (const m of members) if (s.members.delete(m)) n++;
  ks.settle(key);
  return n;
}

/** SMEMBERS (sorted). */
export function smembers(ks: RedisKeyspace, key: string, nowMs: number): ByteString[] {
  return sorted(ks.get(key, "set", nowMs)?.members ?? []);
}

/** SISMEMBER. */
export function sismember(ks: RedisKeyspace, key: string, member: ByteString, nowMs: number): 0 | 1 {
  return ks.get(key, "set", nowMs)?.members.has(member) ? 1 : 0;
}

/** SMISMEMBER. */
export function smismember(ks: RedisKeyspace, key: string, members: ByteString[], nowMs: number): (0 | 1)[] {
  const s = ks.get(key, "set", nowMs);
  return members.map((m) => (s?.members.has(m) ? 1 : 0));
}

/** SCARD. */
export function scard(ks: RedisKeyspace, key: string, nowMs: number): number {
  return ks.get(key, "set", nowMs)?.members.size ?? 0;
}

/**
 * SPOP: without `count`, one random member or null; with `count` (negative: "ERR value is out of range,
 * must be positive"), up to `count` distinct members ([] when absent). Deletes the key when it empties.
 */
export function spop(
  ks: RedisKeyspace,
  key: string,
  count: number | undefined,
  rng: RandomSource,
  nowMs: number,
): ByteString | ByteString[] | null {
  if (count !== undefined && count < 0) fail(MSG.mustBePositive);
  const s = ks.get(key, "set", nowMs);
  if (!s) return count === undefined ? null : [];
  const picked = randomPick(sorted(s.members), count ?? 1, rng);
  for (const m of picked) s.members.delete(m);
  ks.settle(key);
  return count === undefined ? (picked[0] ?? null) : picked;
}

/** SRANDMEMBER: as HRANDFIELD's count rule (negative: repeats allowed). No count: one member or null. */
export function srandmember(
  ks: RedisKeyspace,
  key: string,
  count: number | undefined,
  rng: RandomSource,
  nowMs: number,
): ByteString | ByteString[] | null {
  checkRandomCount(count);
  const members = smembers(ks, key, nowMs);
  if (count === undefined) return members.length === 0 ? null : (members[rng.int(members.length)] ?? null);
  return randomPick(members, count, rng);
}

/**
 * SMOVE: moves `member`; 1 if it was in `source`. Both keys must be sets (or absent), but an absent source
 * replies 0 before the destination's type is looked at (real Redis 7.0.15 answers so).
 */
export function smove(
  ks: RedisKeyspace,
  source: string,
  destination: string,
  member: ByteString,
  nowMs: number,
): 0 | 1 {
  if (ks.entry(source, nowMs) === undefined) return 0;
  const src = ks.get(source, "set", nowMs);
  ks.get(destination, "set", nowMs);
  if (!src?.members.has(member)) return 0;
  if (source === destination) return 1;
  src.members.delete(member);
  ks.settle(source);
  sadd(ks, destination, [member], nowMs);
  return 1;
}

/**
 * The sets named by `keys`, absent keys as empty sets. Every key is type-checked, SINTER's too: Redis 7.0
 * checks them all before it looks for an empty operand (real Redis 7.0.15 answers `SINTER absent string`
 * with WRONGTYPE).
 */
function operands(ks: RedisKeyspace, keys: string[], nowMs: number): Set<ByteString>[] {
  return keys.map((k) => ks.get(k, "set", nowMs)?.members ?? new Set<ByteString>());
}

/** SINTER (sorted); an absent key makes the result empty. */
export function sinter(ks: RedisKeyspace, keys: string[], nowMs: number): ByteString[] {
  const [first, ...rest] = operands(ks, keys, nowMs);
  if (!first) return [];
  return sorted([...first].filter((m) => rest.every((s) => s.has(m))));
}

/** SUNION (sorted). */
export function sunion(ks: RedisKeyspace, keys: string[], nowMs: number): ByteString[] {
  const all = new Set<ByteString>();
  for (const s of operands(ks, keys, nowMs)) for (const m of s) all.add(m);
  return sorted(all);
}

/** SDIFF: members of the first set in none of the others (sorted). */
export function sdiff(ks: RedisKeyspace, keys: string[], nowMs: number): ByteString[] {
  const [first, ...rest] = operands(ks, keys, nowMs);
  return sorted([...(first ?? [])].filter((m) => rest.every((s) => !s.has(m))));
}

/** SINTERSTORE/SUNIONSTORE/SDIFFSTORE: stores the result at `destination` (deleted if empty); its size. */
export function sstore(
  ks: RedisKeyspace,
  op: "inter" | "union" | "diff",
  destination: string,
  keys: string[],
  nowMs: number,
): number {
  const fn = op === "inter" ? sinter : op === "union" ? sunion : sdiff;
  const result = fn(ks, keys, nowMs);
  ks.delete(destination, nowMs);
  if (result.length > 0) ks.put(destination, { type: "set", members: new Set(result) }, nowMs);
  return result.length;
}

/** SINTERCARD: size of the intersection, stopping at `limit` (0: no limit; negative is an error). */
export function sintercard(ks: RedisKeyspace, keys: string[], limit: number, nowMs: number): number {
  if (limit < 0) fail(MSG.limitNegative);
  const n = sinter(ks, keys, nowMs).length;
  return limit === 0 ? n : Math.min(n, limit);
}

/** SSCAN as one full pass (see hscan in hashes.ts). */
export function sscan(
  ks: RedisKeyspace,
  key: string,
  match: string | undefined,
  nowMs: number,
): ByteString[] {
  return smembers(ks, key, nowMs).filter((m) => match === undefined || globMatch(match, m));
}
