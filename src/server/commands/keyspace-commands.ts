/**
 * Keyspace-wide commands over every type (Redis 7.0 replies): KEYS, SCAN (MATCH, COUNT, TYPE), RANDOMKEY.
 * They read the keys of the client's database (src/server/keyspace.ts dbBounds) through the engine's key
 * pages (src/types/key-ops.ts keyPage), which never read the elements of a collection.
 *
 * - KEYS: O(keys of the database), read in pages of COUNT_PAGE_KEYS keys (one engine read each, so a
 *   write between pages may or may not be seen, as with SCAN).
 * - SCAN: the cursor on the wire is an integer standing for the library's cursor (the last key examined)
 *   in the server's bounded table (src/server/scan-cursors.ts). Every key present for the whole scan is
 *   returned exactly once, however leaves split. TYPE takes Redis's names, and `ReJSON-RL` for documents.
 * - RANDOMKEY: a key at or after a pseudo-random point between the database's first and last keys (not
 *   uniform: keys after a wide gap are likelier), from the server's seeded generator.
 */
import type { Buffer } from "node:buffer";
import type { KeyString } from "../../doc/key.js";
import { INTERNAL_KEY_END } from "../../doc/key.js";
import { type KeyBounds, keyPage } from "../../types/key-ops.js";
import { COUNT_PAGE_KEYS, scanKeysPage } from "../../types/keys.js";
import type { Txn } from "../../types/txn.js";
import { globMatch } from "../../util/glob.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { dbBounds, foundUserKey, treeUserKey } from "../keyspace.js";
import { R, type Reply } from "../resp-writer.js";
import { scanArgs } from "../scan-cursors.js";

/** SCAN's default COUNT. */
const SCAN_COUNT_DEFAULT = 10;

async function keys(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const pattern = args[1] as Buffer;
  const bounds = dbBounds(ctx.client.db);
  const out: Reply[] = [];
  let after: KeyString | undefined;
  // Bounded by the database's keys: every page moves `after` forward.
  for (;;) {
    const from = after;
    const page = await dataOf(ctx).read((tx) => keyPage(tx, bounds, from, COUNT_PAGE_KEYS));
    for (const f of page.found) {
      const key = foundUserKey(f);
      if (globMatch(pattern, key)) out.push(R.bulk(key));
    }
    if (page.next === undefined) return R.array(out);
    after = page.next;
  }
}

async function scan(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const cursors = ctx.server.scanCursors;
  const cursor = cursors.fromWire(args[1] as Buffer);
  const { match, count = SCAN_COUNT_DEFAULT, type } = scanArgs(args, 2, true);
  const bounds = dbBounds(ctx.client.db);
  const page = await dataOf(ctx).read((tx) =>
    scanKeysPage(tx, bounds, cursor, count, { match, type }, foundUserKey),
  );
  return R.array([R.bulk(cursors.toWire(page.cursor)), R.array(page.items.map((k) => R.bulk(k)))]);
}

/** The first live key of `bounds` from its start (or its end, `reverse`), among the first 64 examined. */
function edge(tx: Txn, bounds: KeyBounds, reverse: boolean): KeyString | undefined {
  const gte = bounds.gte < INTERNAL_KEY_END ? INTERNAL_KEY_END : bounds.gte;
  for (const [k, e] of tx.scan({ gte, lt: bounds.lt, reverse, limit: 64 })) {
    if (e.expiresAtMs === undefined || e.expiresAtMs > tx.nowMs) return k;
  }
  return undefined;
}

/**
 * A key of `bounds` at or after a point drawn from `draws` (two pseudo-random 32-bit integers, drawn before
 * the operation so its reruns agree) between the first and last keys; undefined for an empty range.
 */
function randomKey(tx: Txn, bounds: KeyBounds, draws: readonly [number, number]): KeyString | undefined {
  const first = edge(tx, bounds, false);
  if (first === undefined) return undefined;
  const last = edge(tx, bounds, true) ?? first;
  let p = 0;
  while (p < first.length && first.charCodeAt(p) === last.charCodeAt(p)) p++;
  const lo = p < first.length ? first.charCodeAt(p) : 0;
  const hi = p < last.length ? last.charCodeAt(p) : 0xff;
  const tail = draws[1];
  const start =
    last.slice(0, p) +
    String.fromCharCode(
      lo + (draws[0] % (hi - lo + 1)),
      tail >>> 24,
      (tail >>> 16) & 0xff,
      (tail >>> 8) & 0xff,
    );
  return keyPage(tx, { gte: start, lt: bounds.lt }, undefined, 64).found[0]?.key ?? first;
}

async function randomkey(ctx: CommandContext): Promise<Reply> {
  const bounds = dbBounds(ctx.client.db);
  const draws = [ctx.server.scanCursors.random(), ctx.server.scanCursors.random()] as const;
  const key = await dataOf(ctx).read((tx) => randomKey(tx, bounds, draws));
  if (key === undefined) return R.null;
  return R.bulk(treeUserKey(key));
}

/** The keyspace commands' table entries. */
export const keyspaceCommands: CommandSpec[] = [
  command({
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    group: "generic",
    since: "1.0.0",
    summary: "Returns all key names that match a pattern.",
    complexity: "O(N) with N the number of keys in the database.",
    handler: keys,
  }),
  command({
    name: "scan",
    arity: -2,
    flags: ["readonly"],
    group: "generic",
    since: "2.8.0",
    summary: "Iterates over the key names in the database.",
    complexity: "O(1) for every call. O(N) for a complete iteration.",
    handler: scan,
  }),
  command({
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    group: "generic",
    since: "1.0.0",
    summary: "Returns a random key name from the database.",
    handler: randomkey,
  }),
];
