/**
 * Live dashboard: subscribe to every `metric:` key and keep the latest value of each, updated as writes
 * become durable. Stops when `signal` aborts or the database closes; a slow dashboard is evicted
 * (FUSEDB_SLOW_SUBSCRIBER) and here simply re-reads a snapshot with `scan` and subscribes again.
 */
import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";

/** Runs the dashboard, calling `render` with the full view after each change. */
export async function runDashboard(
  db: FuseDB,
  render: (view: ReadonlyMap<string, Json>) => void,
  signal: AbortSignal,
): Promise<void> {
  const view = new Map<string, Json>();
  for (;;) {
    // Subscribe first, then snapshot: a change between the two shows up as an event, never as a gap.
    const sub = db.subscribe({ prefix: "metric:" }, { signal, queueMax: 256 });
    for (const e of await db.scan({ gte: "metric:", lt: "metric;" })) view.set(e.key, e.value);
    render(view);
    try {
      for await (const e of sub) {
        if (e.value === undefined) view.delete(e.key);
        else view.set(e.key, e.value);
        render(view);
      }
      return; // aborted or closed
    } catch (err) {
      if ((err as { code?: string }).code !== "FUSEDB_SLOW_SUBSCRIBER") throw err;
    }
  }
}
