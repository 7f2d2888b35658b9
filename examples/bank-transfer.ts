/**
 * Bank transfers between accounts with `db.transaction`: read both balances, refuse an overdraft, write
 * both, all or nothing. Concurrent transfers touching the same account conflict at commit (snapshot
 * isolation: first committer wins) and are rerun on a fresh snapshot, so no update is lost and the total
 * across accounts never changes. `audit` reads every account from one snapshot, so it sees the total
 * preserved even while transfers commit.
 */
import type { FuseDB } from "../src/db.js";

/** Opens `n` accounts `acct:0..n-1` with `balance` each. */
export async function openAccounts(db: FuseDB, n: number, balance: number): Promise<void> {
  await db.batch(
    Array.from({ length: n }, (_, i) => ({ op: "set" as const, key: `acct:${i}`, value: balance })),
  );
}

/**
 * Moves `amount` from account `from` to account `to`. Resolves true if done, false if `from` had too
 * little (nothing written).
 * @throws TxConflictError (FUSEDB_TX_CONFLICT) if it lost the conflict check `retries` + 1 times.
 */
export function transfer(
  db: FuseDB,
  from: number,
  to: number,
  amount: number,
  retries = 20,
): Promise<boolean> {
  return db.transaction(
    async (tx) => {
      const a = (await tx.get(`acct:${from}`))?.value as number;
      if (a < amount) return false;
      const b = (await tx.get(`acct:${to}`))?.value as number;
      await tx.set(`acct:${from}`, a - amount);
      await tx.set(`acct:${to}`, b + amount);
      return true;
    },
    { retries },
  );
}

/** The sum of every account's balance, read from one snapshot. */
export async function audit(db: FuseDB): Promise<number> {
  await using snap = db.snapshot();
  let total = 0;
  for (const e of await snap.scan({ gte: "acct:", lt: "acct;" })) total += e.value as number;
  return total;
}
