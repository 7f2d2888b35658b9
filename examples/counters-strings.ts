/**
 * Counters and small values on the string type (`db.strings`, Redis's string commands): a page-view
 * counter (INCR), a per-window counter that expires with its window (SET NX EX, then INCR keeps the TTL),
 * a balance in decimal text (INCRBYFLOAT: "10.6", not 10.600000000000001), and a lock with an owner token
 * (SET NX PX; released only by its owner).
 */

import type { FuseDB } from "../src/db.js";

/** Counts one view of `page`; resolves with the total. */
export async function countView(db: FuseDB, page: string): Promise<number> {
  return Number(await db.strings.incr(`views:${page}`));
}

/** Counts a hit of `client` in the current window of `windowS` seconds; resolves with the window's count. */
export async function countInWindow(db: FuseDB, client: string, windowS: number): Promise<number> {
  const key = `hits:${client}`;
  await db.strings.set(key, "0", { nx: true, ex: windowS }); // starts a window only if none is running
  return Number(await db.strings.incr(key)); // INCR keeps the window's TTL
}

/** Adds `amount` (decimal text or a number) to `account`'s balance; resolves with the new balance text. */
export function credit(db: FuseDB, account: string, amount: string | number): Promise<string> {
  return db.strings.incrbyfloat(`balance:${account}`, amount);
}

/** Takes the lock `name` for `ttlMs` as `owner`; whether it was free. */
export function lock(db: FuseDB, name: string, owner: string, ttlMs: number): Promise<boolean> {
  return db.strings.set(`lock:${name}`, owner, { nx: true, px: ttlMs });
}

/** Releases the lock if `owner` still holds it; whether it did. */
export async function unlock(db: FuseDB, name: string, owner: string): Promise<boolean> {
  const held = await db.strings.get(`lock:${name}`);
  if (held?.toString() !== owner) return false;
  // A check then a delete: another owner may take the lock in between only after this one's TTL ran out.
  return (await db.strings.getdel(`lock:${name}`))?.toString() === owner;
}
