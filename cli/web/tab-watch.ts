/**
 * One browser tab's live view of a key prefix, over its WebSocket (FluxDB's subscription bridge, rebuilt on
 * fusedb's subscriptions). Order of a watch: subscribe first, then scan, then send the scan as a snapshot,
 * then every change event in commit order. A change committed between the subscribe and the scan arrives
 * both in the snapshot and as an event; the page keeps the highest version per key, so it never goes back
 * and never misses a change (the same order as examples/dashboard.ts).
 *
 * A slow tab is evicted like any slow subscriber: while the socket holds more than `bufferedBytesMax`
 * unsent bytes the pump stops taking events, so they pile up in the engine's bounded subscriber queue
 * (`queueMax` events); one more evicts the subscription (FUSEDB_SLOW_SUBSCRIBER) and the socket is closed
 * with code {@link CLOSE_SLOW_SUBSCRIBER}. The page then reconnects and takes a fresh snapshot. Memory per
 * tab stays bounded by `queueMax` events plus `bufferedBytesMax` bytes plus one message.
 */
import { Buffer } from "node:buffer";
import type { ChangeEvent, Clock, FuseDB, Json, ScanOptions, Subscription } from "../../src/index.js";
import { FuseError, SlowSubscriberError } from "../../src/index.js";

/** Most keys in a snapshot; the page says when a prefix holds more. */
export const SNAPSHOT_KEYS_MAX = 1000;
/** Most characters of keys and JSON values in a snapshot (documents may be 1 MiB each). */
export const SNAPSHOT_BYTES_MAX = 8 * 1024 * 1024;
/** WebSocket close code: the tab fell behind and was evicted (application range 4000-4999). */
export const CLOSE_SLOW_SUBSCRIBER = 4001;
/** WebSocket close code: the server or the database is shutting down. */
export const CLOSE_GOING_AWAY = 1001;
/** WebSocket close code: an unexpected server error ended the watch. */
export const CLOSE_INTERNAL_ERROR = 1011;
/** `readyState` of an open WebSocket (the WHATWG value, which `ws` uses too). */
export const SOCKET_OPEN = 1;
/** While a tab's socket is over its bound, how often to look whether the engine evicted it, in ms. */
const EVICTION_POLL_MS = 50;
/** Close reasons are at most 123 bytes (RFC 6455 5.5: control frame payload 125, minus the code). */
const CLOSE_REASON_BYTES_MAX = 123;

/** The part of a `ws` WebSocket a watch uses; tests pass a double. */
export interface WatchSocket {
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Queues `data`; `done` runs once it is written out (or with an error when the socket died). */
  send(data: string, done: (err?: Error) => void): void;
  close(code: number, reason: string): void;
}

/** Bounds of one tab. */
export interface WatchLimits {
  /** Engine subscriber queue bound, in events (FUSEDB_SLOW_SUBSCRIBER past it). */
  queueMax: number;
  /** Unsent bytes on the socket above which the pump stops taking events. */
  bufferedBytesMax: number;
}

/** One row as the page shows it: `ttlMs` is the remaining time to live when sent, null if none. */
export interface RowMessage {
  key: string;
  value: Json | undefined;
  version: number;
  ttlMs: number | null;
}

/** Scan bounds holding exactly the keys that start with `prefix` (its UTF-8 bytes, compared bytewise). */
export function prefixRange(prefix: string): Pick<ScanOptions, "gte" | "lt"> {
  const bytes = Buffer.from(prefix, "utf8");
  if (bytes.length === 0) return {};
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  if (end === 0) return { gte: bytes };
  const upper = Uint8Array.from(bytes.subarray(0, end));
  upper[end - 1] = (upper[end - 1] ?? 0) + 1;
  return { gte: bytes, lt: upper };
}

/** `reason` cut to the close frame's limit, on a character boundary. */
export function closeReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out, "utf8") > CLOSE_REASON_BYTES_MAX) out = out.slice(0, -1);
  return out;
}

interface ActiveWatch {
  readonly id: number;
  readonly abort: AbortController;
}

/** The live view of one tab: at most one watched prefix at a time. */
export class TabWatch {
  private current: ActiveWatch | undefined;

  constructor(
    private readonly db: FuseDB,
    private readonly clock: Clock,
    private readonly socket: WatchSocket,
    private readonly limits: WatchLimits,
  ) {}

  /**
   * Ends the previous watch, then watches `prefix` under the page's watch `id`: sends
   * `{type:"snapshot"}` and then `{type:"event"}` messages tagged with `id`, until the next `watch`, `stop`,
   * eviction (socket closed with 4001) or the database closing (socket closed with 1001). A bad prefix
   * sends `{type:"error"}` with the engine's code and changes nothing else. Resolves when the watch ends.
   */
  async watch(id: number, prefix: string): Promise<void> {
    this.stop();
    const active: ActiveWatch = { id, abort: new AbortController() };
    this.current = active;
    let sub: Subscription;
    let entries: Awaited<ReturnType<FuseDB["scan"]>>;
    try {
      // Subscribe before the scan: a change committed in between shows up as an event, never as a gap.
      sub = this.db.subscribe({ prefix }, { queueMax: this.limits.queueMax, signal: active.abort.signal });
      entries = await this.db.scan({ ...prefixRange(prefix), limit: SNAPSHOT_KEYS_MAX + 1 });
    } catch (err) {
      active.abort.abort();
      if (this.current !== active) return;
      if (err instanceof FuseError && err.code !== "FUSEDB_CLOSED") {
        this.current = undefined;
        this.send({ type: "error", watch: id, code: err.code, message: err.message });
        return;
      }
      this.end(active, CLOSE_GOING_AWAY, err instanceof FuseError ? err.code : "scan failed");
      return;
    }
    if (this.current !== active) return; // superseded during the scan; the abort ended `sub`
    const now = this.clock.now();
    const rows: RowMessage[] = [];
    let bytes = 0;
    for (const e of entries) {
      bytes += e.key.length + JSON.stringify(e.value).length;
      if (rows.length === SNAPSHOT_KEYS_MAX || bytes > SNAPSHOT_BYTES_MAX) break;
      rows.push({ key: e.key, value: e.value, version: e.version, ttlMs: ttlOf(e.expiresAtMs, now) });
    }
    this.send({ type: "snapshot", watch: id, prefix, rows, truncated: rows.length < entries.length });
    await this.pump(sub, active);
  }

  /** Ends the current watch, if any; its events stop at once. */
  stop(): void {
    this.current?.abort.abort();
    this.current = undefined;
  }

  /**
   * Forwards events until the watch ends; see the module comment for backpressure and eviction. Loops once
   * per event of the subscription, which ends on abort, eviction or the database closing.
   */
  private async pump(sub: Subscription, active: ActiveWatch): Promise<void> {
    for (;;) {
      let next: IteratorResult<ChangeEvent>;
      try {
        next = await sub.next();
      } catch (err) {
        if (this.current !== active) return;
        if (err instanceof SlowSubscriberError) this.evict(active, err.queueMax);
        else this.end(active, CLOSE_INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
        return;
      }
      if (next.done) {
        // Ended without our abort: the database closed.
        if (this.current === active && !active.abort.signal.aborted) {
          this.end(active, CLOSE_GOING_AWAY, "database closed");
        }
        return;
      }
      if (this.current !== active || this.socket.readyState !== SOCKET_OPEN) {
        void sub.return();
        return;
      }
      const written = this.send(eventMessage(next.value, active.id, this.clock.now()));
      // Backpressure: take no more events while the tab is behind; the engine's bounded queue holds them,
      // and evicts the tab if it overflows before the socket drains.
      if (this.socket.bufferedAmount > this.limits.bufferedBytesMax) {
        await this.drainedOrEvicted(written, sub, active);
        if (sub.evicted && this.current === active) {
          void sub.return();
          this.evict(active, sub.queueMax);
          return;
        }
      }
    }
  }

  /** Resolves once `written` is out, the engine evicted `sub`, or `active` is no longer the watch. */
  private async drainedOrEvicted(
    written: Promise<void>,
    sub: Subscription,
    active: ActiveWatch,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        if (sub.evicted || this.current !== active) resolve();
      }, EVICTION_POLL_MS);
    });
    try {
      await Promise.race([written, stopped]);
    } finally {
      clearInterval(timer);
    }
  }

  private evict(active: ActiveWatch, queueMax: number): void {
    this.end(
      active,
      CLOSE_SLOW_SUBSCRIBER,
      `FUSEDB_SLOW_SUBSCRIBER: more than ${queueMax} events behind; resynchronise`,
    );
  }

  private end(active: ActiveWatch, code: number, reason: string): void {
    if (this.current !== active) return;
    this.current = undefined;
    this.close(code, reason);
  }

  /** Sends one JSON message; resolves once it is written out (or the socket failed). */
  private send(message: object): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState !== SOCKET_OPEN) {
        resolve();
        return;
      }
      this.socket.send(JSON.stringify(message), () => resolve());
    });
  }

  private close(code: number, reason: string): void {
    if (this.socket.readyState === SOCKET_OPEN) this.socket.close(code, closeReason(reason));
  }
}

/** Remaining time to live in ms at `nowMs` (at least 0), or null without an expiry. */
function ttlOf(expiresAtMs: number | undefined, nowMs: number): number | null {
  return expiresAtMs === undefined ? null : Math.max(0, expiresAtMs - nowMs);
}

function eventMessage(e: ChangeEvent, watch: number, nowMs: number): object {
  return {
    type: "event",
    watch,
    kind: e.kind,
    key: e.key,
    value: e.value,
    version: e.version,
    lsn: e.lsn,
    ttlMs: ttlOf(e.expiresAtMs, nowMs),
  };
}
