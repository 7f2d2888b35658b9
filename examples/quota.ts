/**
 * Per-tenant quota counters: each tenant has a limit and a usage counter for the current period. `consume`
 * charges `amount` atomically and refuses (changing nothing) if it would pass the limit: a read, then a
 * conditional write on the version read, retried on conflict.
 */
import type { FuseDB } from "../src/db.js";

/** Sets `tenant`'s limit for the period (units per `periodMs`). */
export async function setQuota(db: FuseDB, tenant: string, limit: number): Promise<void> {
  await db.set(`quota:${tenant}:limit`, limit);
}

/** Charges `amount` to `tenant`; returns the usage after, or undefined if the quota would be exceeded. */
export async function consume(
  db: FuseDB,
  tenant: string,
  amount: number,
  periodMs: number,
): Promise<number | undefined> {
  const limit = (await db.get(`quota:${tenant}:limit`))?.value;
  if (typeof limit !== "number") throw new Error(`no quota for ${tenant}`);
  const key = `quota:${tenant}:used`;
  for (let attempt = 0; attempt < 16; attempt++) {
    const cur = await db.get(key);
    const used = (cur?.value as number | undefined) ?? 0;
    if (used + amount > limit) return undefined;
    try {
      if (cur === undefined) await db.set(key, amount, { ttlMs: periodMs, ifVersion: 0 });
      else await db.incr(key, amount, { ifVersion: cur.version }); // keeps the period's expiry
      return used + amount;
    } catch (err) {
      if ((err as { code?: string }).code !== "FUSEDB_VERSION_CONFLICT") throw err;
    }
  }
  return undefined;
}

/** Usage of every tenant in the current period, by tenant. */
export async function usageReport(db: FuseDB): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await db.scan({ gte: "quota:", lt: "quota;" })) {
    const m = /^quota:(.+):used$/.exec(e.key);
    if (m?.[1] !== undefined) out[m[1]] = e.value as number;
  }
  return out;
}
