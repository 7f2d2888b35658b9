/**
 * Redis's `expired` keyspace event (notify-keyspace-events class `x`) for `fusedb server`.
 *
 * In fusedb a key expires logically: once the clock passes its expiry it reads as missing, and no write
 * happens (background merges drop it later). So the notifier keeps, while class `x` is on, a min-heap of
 * the expiries it saw in the engine's change stream (key, version, time), with one Clock timer armed for
 * the earliest. When it fires, each due key is read back in one engine read: if it still holds the version
 * that set the expiry and is no longer live, it expired, and the event goes out; a key written again,
 * deleted or given another expiry since is left to its newer change. The read makes "now" durable before
 * it answers expired (the engine's clock floor: src/types/runner.ts), so no restart can find a key live
 * that an event called expired — the same promise the other events keep (sent after their write is durable).
 *
 * As in Redis (active expiry plus lazy expiry on access), the event follows the expiry closely but not at
 * an exact instant. When class `x` is turned on (at start too, from the config), the keys that already have
 * an expiry are found by one scan of the keyspace in bounded pages (O(keys), in the background), so a
 * restart does not lose their events. Each key is tracked at its newest version seen (a change arriving
 * during the scan wins over it): one event per expiry. Bounded by {@link EXPIRIES_TRACKED_MAX}; past it
 * new expiries are dropped (and logged once), as the notifier drops events when it falls too far behind.
 */
import { Buffer } from "node:buffer";
import { type KeyString, userKeyBytes } from "../doc/key.js";
import type { FuseDB } from "../index.js";
import type { Clock } from "../io/clock.js";
import { KEYS_END, keyPage } from "../types/key-ops.js";

/** Most expiries tracked at once. */
export const EXPIRIES_TRACKED_MAX = 1 << 20;

/** Keys examined per engine read of the scan for existing expiries. */
const SCAN_PAGE_KEYS = 1000;

interface Tracked {
  readonly atMs: number;
  /** The stored key (database byte first). */
  readonly stored: Buffer;
  readonly version: number;
}

/** See the module comment. `emit` sends the event for a stored key (database byte first). */
export class ExpiryEvents {
  /** Min-heap on `atMs`. */
  private readonly heap: Tracked[] = [];
  /** The newest version tracked per stored key (latin1): an entry for an older one is stale. */
  private readonly newest = new Map<string, number>();
  /** Bumped by {@link clear}: a scan of an earlier generation stops. */
  private generation = 0;
  private cancelTimer: (() => void) | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private checking = false;
  private droppedLogged = false;

  constructor(
    private readonly engine: FuseDB,
    private readonly clock: Clock,
    private readonly emit: (stored: Uint8Array) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** Expiries tracked now (tests). */
  get size(): number {
    return this.heap.length;
  }

  /** Tracks the expiry a change set, if any. */
  track(stored: Uint8Array, version: number, expiresAtMs: number | undefined, fromScan = false): void {
    if (expiresAtMs === undefined) return;
    const id = Buffer.from(stored).toString("latin1");
    const seen = this.newest.get(id);
    // The scan reads what changes may already have tracked; a change is never older than what is tracked.
    if (seen !== undefined && (fromScan || seen > version)) return;
    if (this.heap.length >= EXPIRIES_TRACKED_MAX) {
      if (!this.droppedLogged) this.log(`expired events: more than ${EXPIRIES_TRACKED_MAX} expiries pending`);
      this.droppedLogged = true;
      return;
    }
    this.newest.set(id, version);
    this.push({ atMs: expiresAtMs, stored: Buffer.from(stored), version });
    this.arm();
  }

  /**
   * Tracks every live key that has an expiry now (class `x` turned on), reading the keyspace in pages of
   * {@link SCAN_PAGE_KEYS}; stops early if {@link clear} runs meanwhile.
   */
  async trackExisting(): Promise<void> {
    const generation = this.generation;
    const types = this.engine.types;
    let after: KeyString | undefined;
    try {
      // Bounded by the keys: every page moves `after` forward.
      while (generation === this.generation) {
        const from = after;
        const page = await types.read((tx) => {
          const p = keyPage(tx, { gte: "", lt: KEYS_END }, from, SCAN_PAGE_KEYS);
          const found: [KeyString, number, number | undefined][] = [];
          for (const f of p.found) {
            const e = f.expires ? tx.entry(f.key) : undefined;
            if (e !== undefined) found.push([f.key, e.version, e.expiresAtMs]);
          }
          return { next: p.next, found };
        });
        if (generation !== this.generation) return;
        for (const [k, version, at] of page.found) this.track(userKeyBytes(k), version, at, true);
        if (page.next === undefined) return;
        after = page.next;
      }
    } catch (err) {
      this.log(
        `expired events: scan for existing expiries: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Forgets every tracked expiry (class `x` turned off, the server stops) and stops a running scan. */
  clear(): void {
    this.heap.length = 0;
    this.newest.clear();
    this.generation++;
    this.disarm();
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }

  /** Arms the timer for the earliest expiry, unless a check runs (it re-arms) or it is armed for it. */
  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || this.checking || first.atMs >= this.timerAtMs) return;
    this.disarm();
    this.timerAtMs = first.atMs;
    // +1: the key is expired once the clock is past its expiry (`now >= expiresAtMs` reads it missing).
    this.cancelTimer = this.clock.timer(Math.max(0, first.atMs - this.clock.now()) + 1, () => {
      this.cancelTimer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      void this.checkDue();
    });
  }

  private async checkDue(): Promise<void> {
    this.checking = true;
    try {
      const nowMs = this.clock.now();
      // Bounded by the heap's size: each turn pops one.
      for (let first = this.heap[0]; first !== undefined && first.atMs <= nowMs; first = this.heap[0]) {
        this.pop();
        const id = first.stored.toString("latin1");
        if (this.newest.get(id) !== first.version) continue; // a newer version is tracked, or none now
        this.newest.delete(id);
        if (await this.expired(first)) this.emit(first.stored);
      }
    } catch (err) {
      this.log(`expired events: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.checking = false;
      this.arm();
    }
  }

  /** Whether the key still holds the tracked version, and that version is no longer live. */
  private expired(t: Tracked): Promise<boolean> {
    const types = this.engine.types;
    const k = types.key(t.stored);
    return types.read((tx) => {
      const e = tx.entry(k);
      return e?.value !== undefined && e.version === t.version && tx.live(k) === undefined;
    });
  }

  private push(t: Tracked): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Tracked).atMs <= t.atMs) break;
      h[i] = h[parent] as Tracked;
      i = parent;
    }
    h[i] = t;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && (h[r] as Tracked).atMs < (h[l] as Tracked).atMs ? r : l;
      if ((h[c] as Tracked).atMs >= last.atMs) break;
      h[i] = h[c] as Tracked;
      i = c;
    }
    h[i] = last;
  }
}
