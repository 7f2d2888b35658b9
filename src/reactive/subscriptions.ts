/**
 * Subscriptions (FluxDB's key-level subscriptions with bounded queues and slow-subscriber eviction).
 *
 * - `FuseDB.subscribe(key | { prefix })` returns a {@link Subscription}: an async iterator of
 *   {@link ChangeEvent}s, one per key per committed call, dispatched when the call becomes visible (after
 *   its fdatasync in mode 'fsync'), in commit order. Recovery replays the log before anyone can subscribe,
 *   so it emits no events.
 * - Dispatch is synchronous and never waits: each subscriber has a queue bounded by `queueMax` events. An
 *   event that would overflow it evicts the subscriber: the iterator still yields every event it had queued
 *   (a gap-free prefix of the stream), then throws `SlowSubscriberError` (FUSEDB_SLOW_SUBSCRIBER). So memory
 *   stays bounded by `queueMax` events per subscriber however slow, or absent, its consumer is.
 * - `return()` (a `break` out of `for await`) or the `signal` aborting ends the subscription at once and
 *   drops its queue; `close()` of the database ends it after the queued events are delivered.
 */

import type { Json } from "../doc/json.js";
import { isInternalKey, type KeyString, userKeyBytes } from "../doc/key.js";
import { InvalidArgumentError, SlowSubscriberError } from "../errors.js";
import type { Effect } from "../wal/batch-codec.js";

/** One committed change of one key, as subscribers see it. Frozen; shared by every subscriber. */
export interface ChangeEvent {
  /** The key as a UTF-8 string. */
  readonly key: string;
  /** The key's bytes. */
  readonly keyBytes: Uint8Array;
  /** "put": the key holds `value` now; "delete": it was deleted (`value` undefined). */
  readonly kind: "put" | "delete";
  /** The new document (deep-frozen), undefined for a delete. */
  readonly value: Json | undefined;
  /** The key's new version. */
  readonly version: number;
  /** LSN of the WAL record that holds the change; events arrive in LSN order. */
  readonly lsn: number;
  /**
   * What the key holds after the change: "json" for a document, else its Redis data type ("string",
   * "hash", "list", "set", "zset"); for a delete, what it held before if the engine knows, else "json".
   */
  readonly type: string;
  /**
   * The operation that made the change, for data-type operations (e.g. "hset", "lpush", "del", "expire");
   * undefined for the document mutations (`set`, `patch`, `incr`, `delete`, `expire`, `batch`).
   */
  readonly op?: string;
  /** Absolute expiry in Clock milliseconds, if the document has one. */
  readonly expiresAtMs?: number;
  /** True on a "put" of a key that was not live before the change (Redis's `new` keyspace event). */
  readonly created?: true;
}

/** What to subscribe to: one key, or every key that starts with `prefix` (bytewise). */
export type SubscribeTarget<K> = K | { prefix: K };

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Most undelivered events held for this subscriber before it is evicted. Default 1024. */
  queueMax?: number;
  /** Aborting it ends the subscription (the iterator finishes; no error). */
  signal?: AbortSignal;
}

/** Default bound of a subscriber's queue, in events. */
export const SUBSCRIBER_QUEUE_MAX_DEFAULT = 1024;

type Waiter = { resolve: (r: IteratorResult<ChangeEvent>) => void; reject: (err: unknown) => void };

/** A live subscription: an async iterator of change events. See the module comment for its lifecycle. */
export class Subscription implements AsyncIterableIterator<ChangeEvent> {
  private queue: ChangeEvent[] = [];
  private waiter: Waiter | undefined;
  private state: "open" | "evicted" | "ended" = "open";
  private errorDelivered = false;
  private readonly onAbort = (): void => this.end(true);

  /** @internal created by `FuseDB.subscribe`. */
  constructor(
    private readonly hub: SubscriptionHub,
    /** The exact key, or the prefix (KeyString form). */
    readonly match: { key: KeyString } | { prefix: KeyString },
    readonly queueMax: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) {
      this.state = "ended";
      return;
    }
    signal?.addEventListener("abort", this.onAbort, { once: true });
    hub.add(this);
  }

  /** Whether this subscriber was evicted for falling more than `queueMax` events behind. */
  get evicted(): boolean {
    return this.state === "evicted";
  }

  /** Events queued and not yet taken, at most `queueMax`. */
  get queued(): number {
    return this.queue.length;
  }

  /** The next event; after eviction, the queued events and then a rejection with SlowSubscriberError. */
  next(): Promise<IteratorResult<ChangeEvent>> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.state === "evicted" && !this.errorDelivered) {
      this.errorDelivered = true;
      return Promise.reject(new SlowSubscriberError(this.queueMax));
    }
    if (this.state !== "open") return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== undefined) {
      return Promise.reject(
        new InvalidArgumentError(
          "FUSEDB_INVALID_ARGUMENT",
          "next() called again before the last one resolved",
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Unsubscribes at once, dropping undelivered events. */
  return(): Promise<IteratorResult<ChangeEvent>> {
    this.end(true);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): Subscription {
    return this;
  }

  /** @internal Offers one event; never blocks. Evicts on overflow. */
  push(event: ChangeEvent): void {
    if (this.state !== "open") return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.queue.length >= this.queueMax) {
      this.state = "evicted";
      this.detach();
      return;
    }
    this.queue.push(event);
  }

  /** @internal Ends the subscription; `drop` discards undelivered events (else they are still yielded). */
  end(drop: boolean): void {
    if (drop) this.queue = [];
    if (this.state === "open") this.state = "ended";
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  private detach(): void {
    this.hub.remove(this);
    this.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** The database's set of live subscriptions, indexed for dispatch. */
export class SubscriptionHub {
  private readonly byKey = new Map<KeyString, Set<Subscription>>();
  private readonly byPrefix = new Set<Subscription>();
  private count = 0;
  /** Engine-internal listeners of every visible record (the blocking list pops), called before subscribers. */
  private readonly watchers = new Set<(effects: readonly Effect[]) => void>();

  /**
   * @internal Calls `fn` with the effects of every record as it becomes visible, synchronously, before the
   * subscribers' events; `fn` must not throw. Returns the function that stops it.
   */
  watch(fn: (effects: readonly Effect[]) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Live (not ended, not evicted) subscriptions. */
  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    const m = sub.match;
    if ("prefix" in m) {
      if (!this.byPrefix.has(sub)) this.count++;
      this.byPrefix.add(sub);
      return;
    }
    let set = this.byKey.get(m.key);
    if (!set) {
      set = new Set();
      this.byKey.set(m.key, set);
    }
    if (!set.has(sub)) this.count++;
    set.add(sub);
  }

  remove(sub: Subscription): void {
    const m = sub.match;
    if ("prefix" in m) {
      if (this.byPrefix.delete(sub)) this.count--;
      return;
    }
    const set = this.byKey.get(m.key);
    if (set?.delete(sub)) this.count--;
    if (set && set.size === 0) this.byKey.delete(m.key);
  }

  /** Dispatches the effects of the record at `lsn`, in effect order, to every matching subscriber. */
  dispatch(lsn: number, effects: readonly Effect[]): void {
    for (const w of this.watchers) w(effects);
    if (this.count === 0) return;
    for (const { key, entry, op, was, created } of effects) {
      // A collection's elements are internal: its subscribers see one event for its key per call.
      if (isInternalKey(key)) continue;
      const exact = this.byKey.get(key);
      let event: ChangeEvent | undefined;
      const make = (): ChangeEvent => {
        if (event) return event;
        const bytes = userKeyBytes(key);
        const e: ChangeEvent = {
          key: bytes.toString("utf8"),
          keyBytes: bytes,
          kind: entry.value === undefined ? "delete" : "put",
          // A data type's metadata is not its value: subscribers of collections get no value.
          value: entry.type === undefined ? entry.value : undefined,
          version: entry.version,
          lsn,
          type: entry.type ?? was ?? "json",
          ...(op === undefined ? {} : { op }),
          ...(created === true ? { created } : {}),
          ...(entry.expiresAtMs === undefined ? {} : { expiresAtMs: entry.expiresAtMs }),
        };
        event = Object.freeze(e);
        return event;
      };
      // Copies: a push may evict, which removes the subscriber from the set being walked.
      if (exact) for (const sub of [...exact]) sub.push(make());
      for (const sub of [...this.byPrefix]) {
        const m = sub.match as { prefix: KeyString };
        if (key.startsWith(m.prefix)) sub.push(make());
      }
    }
  }

  /** Ends every subscription; each still yields its queued events first. */
  closeAll(): void {
    const all = [...this.byPrefix];
    for (const set of this.byKey.values()) all.push(...set);
    for (const sub of all) sub.end(false);
  }
}
