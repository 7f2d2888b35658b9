/**
 * Inventory reservation with `db.transaction` under 'serializable' isolation: an order reserves several
 * items at once, only if every one is in stock, and records the reservation; concurrent orders for the
 * same stock never oversell. A savepoint lets an order take its optional extras only if they are in
 * stock too, without giving up the main items.
 */
import type { FuseDB } from "../src/db.js";

/** Sets the stock of each item (`stock:<item>`). */
export async function restock(db: FuseDB, stock: Record<string, number>): Promise<void> {
  await db.batch(
    Object.entries(stock).map(([item, n]) => ({ op: "set" as const, key: `stock:${item}`, value: n })),
  );
}

/** What an order asks for: required items and counts, and optional extras. */
export interface Order {
  id: string;
  items: Record<string, number>;
  extras?: Record<string, number>;
}

/**
 * Reserves `order`: resolves with the items reserved (extras included when in stock), or undefined if a
 * required item is short (nothing written).
 */
export function reserve(db: FuseDB, order: Order): Promise<Record<string, number> | undefined> {
  return db.transaction(
    async (tx) => {
      // The main items: all checked before any is taken (a callback that returns normally commits what
      // it wrote).
      for (const [item, n] of Object.entries(order.items)) {
        const left = ((await tx.get(`stock:${item}`))?.value as number | undefined) ?? 0;
        if (left < n) return undefined;
      }
      for (const [item, n] of Object.entries(order.items)) await tx.incr(`stock:${item}`, -n);
      const reserved = { ...order.items };
      // Extras are all or nothing too, taken one by one: a savepoint gives back those already taken
      // when a later one is short, keeping the main items.
      tx.savepoint("extras");
      let extrasTaken = order.extras !== undefined;
      for (const [item, n] of Object.entries(order.extras ?? {})) {
        const left = ((await tx.get(`stock:${item}`))?.value as number | undefined) ?? 0;
        if (left < n) {
          tx.rollbackTo("extras");
          extrasTaken = false;
          break;
        }
        await tx.incr(`stock:${item}`, -n);
      }
      tx.release("extras");
      if (extrasTaken) Object.assign(reserved, order.extras);
      await tx.set(`reservation:${order.id}`, reserved);
      return reserved;
    },
    { isolation: "serializable", retries: 50 },
  );
}

/** Units reserved across every reservation, by item. */
export async function reservedUnits(db: FuseDB): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await db.scan({ gte: "reservation:", lt: "reservation;" })) {
    for (const [item, n] of Object.entries(e.value as Record<string, number>))
      out[item] = (out[item] ?? 0) + n;
  }
  return out;
}
