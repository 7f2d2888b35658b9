/**
 * Keyspace notifications (`notify-keyspace-events`, Redis 7.0 notify.c) fed by the engine's own change
 * stream (src/reactive/subscriptions.ts): while the setting enables K or E, the server holds one engine
 * subscription over every key, and each change event becomes pub/sub messages on
 *
 *   __keyspace@<db>__:<key>    message: the event name      (flag K)
 *   __keyevent@<db>__:<event>  message: the key              (flag E)
 *
 * The engine dispatches a change when its write becomes visible, that is after its WAL record is fdatasynced
 * in the default mode, in commit order, and recovery dispatches none: so a notification never announces a
 * write a crash could take back, and a restart sends none.
 *
 * A data-type command's change names its operation, so its event is Redis's (`hset` in class h, `sadd` in
 * class s, `del` and `expire` in class g; a collection emptied by its last element's removal sends the
 * operation's event, then `del`). A document's change says what the key holds now, not which command
 * wrote it: a document written (JSON.SET, JSON.MERGE, JSON.NUMINCRBY, EXPIRE, PERSIST, FUSEDB.SETIFVERSION) is
 * `json.set` in class `d` (module: RedisJSON's name for a document write); a key deleted (DEL, UNLINK,
 * JSON.DEL, EXPIRE in the past, FLUSHDB/FLUSHALL, FUSEDB.DELIFVERSION) is `del` in class `g`.
 *
 * `new` (class `n`) goes out before the event of a change that made a key live that was not (the change's
 * `created`), as Redis's dbAdd sends it. `expired` (class `x`) goes out when a key expires: see
 * src/server/expiry-events.ts. Redis's `evicted` (no eviction here) and key-miss events are not produced.
 */
import { Buffer } from "node:buffer";
import type { FuseDB } from "../index.js";
import type { Clock } from "../io/clock.js";
import { ExpiryEvents } from "./expiry-events.js";
import type { PubSubHub } from "./pubsub.js";

/** Notification classes, Redis's bits (server.h NOTIFY_*). */
export const NOTIFY = {
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m (not part of A)
  module: 1 << 13, // d
  newKey: 1 << 14, // n (not part of A)
} as const;

/** The classes `A` stands for. */
const ALL =
  NOTIFY.generic |
  NOTIFY.string |
  NOTIFY.list |
  NOTIFY.set |
  NOTIFY.hash |
  NOTIFY.zset |
  NOTIFY.expired |
  NOTIFY.evicted |
  NOTIFY.stream |
  NOTIFY.module;

const BY_CHAR: Readonly<Record<string, number>> = {
  A: ALL,
  g: NOTIFY.generic,
  $: NOTIFY.string,
  l: NOTIFY.list,
  s: NOTIFY.set,
  h: NOTIFY.hash,
  z: NOTIFY.zset,
  x: NOTIFY.expired,
  e: NOTIFY.evicted,
  K: NOTIFY.keyspace,
  E: NOTIFY.keyevent,
  t: NOTIFY.stream,
  m: NOTIFY.keyMiss,
  d: NOTIFY.module,
  n: NOTIFY.newKey,
};

/** The error after "ERR" for a bad class string, as Redis's CONFIG SET says it. */
export const INVALID_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** Redis's keyspaceEventsStringToFlags: the flags of `text`, or undefined for an unknown character. */
export function parseEventFlags(text: string): number | undefined {
  let flags = 0;
  for (const c of text) {
    const bit = BY_CHAR[c];
    if (bit === undefined) return undefined;
    flags |= bit;
  }
  return flags;
}

/** Redis's keyspaceEventsFlagsToString: the canonical text of `flags` (CONFIG GET). */
export function eventFlagsText(flags: number): string {
  let out = "";
  if ((flags & ALL) === ALL) out += "A";
  else {
    const order: [number, string][] = [
      [NOTIFY.generic, "g"],
      [NOTIFY.string, "$"],
      [NOTIFY.list, "l"],
      [NOTIFY.set, "s"],
      [NOTIFY.hash, "h"],
      [NOTIFY.zset, "z"],
      [NOTIFY.expired, "x"],
      [NOTIFY.evicted, "e"],
      [NOTIFY.stream, "t"],
      [NOTIFY.module, "d"],
      [NOTIFY.newKey, "n"],
    ];
    for (const [bit, c] of order) if (flags & bit) out += c;
  }
  if (flags & NOTIFY.keyspace) out += "K";
  if (flags & NOTIFY.keyevent) out += "E";
  if (flags & NOTIFY.keyMiss) out += "m";
  return out;
}

/** Events held for the notifier by the engine before it is cut off (a FLUSHALL dispatches one per key). */
export const NOTIFIER_QUEUE_MAX = 1 << 20;

const DELETE_EVENT = { name: Buffer.from("del"), flag: NOTIFY.generic };
const PUT_EVENT = { name: Buffer.from("json.set"), flag: NOTIFY.module };
const NEW_EVENT = { name: Buffer.from("new"), flag: NOTIFY.newKey };
const EXPIRED_EVENT = { name: Buffer.from("expired"), flag: NOTIFY.expired };

/** The class of a data type's own events (hset: h, sadd: s, ...). */
const TYPE_FLAGS: Readonly<Record<string, number>> = {
  string: NOTIFY.string,
  hash: NOTIFY.hash,
  list: NOTIFY.list,
  set: NOTIFY.set,
  zset: NOTIFY.zset,
  json: NOTIFY.module,
};

/** Operations whose event is generic (class g) whatever the key holds, as Redis files them. */
const GENERIC_OPS: ReadonlySet<string> = new Set([
  "del",
  "expire",
  "persist",
  "rename_from",
  "rename_to",
  "copy_to",
  "restore",
]);

/**
 * The events one change makes: `new` for a key it created, its operation's, and `del` when a data-type
 * operation emptied the key.
 */
function eventsOf(change: {
  kind: "put" | "delete";
  type: string;
  op?: string;
  created?: true;
}): { name: Buffer; flag: number }[] {
  const op = change.op;
  const created = change.created === true ? [NEW_EVENT] : [];
  if (op === undefined) return [...created, change.kind === "delete" ? DELETE_EVENT : PUT_EVENT];
  const flag = GENERIC_OPS.has(op) ? NOTIFY.generic : (TYPE_FLAGS[change.type] ?? NOTIFY.generic);
  const own = { name: Buffer.from(op), flag };
  // Redis: HDEL of the last field sends hdel, then del.
  return change.kind === "delete" && op !== "del" ? [own, DELETE_EVENT] : [...created, own];
}

/** Turns the engine's change stream into keyspace notifications; see the module comment. */
export class KeyspaceNotifier {
  private flags = 0;
  private subscription: ReturnType<FuseDB["subscribe"]> | undefined;
  private readonly expiries: ExpiryEvents;

  constructor(
    private readonly engine: FuseDB,
    private readonly hub: PubSubHub,
    private readonly log: (line: string) => void,
    clock: Clock,
    /** The database number of a stored database (SWAPDB: src/server/database-map.ts). */
    private readonly numberOf: (stored: number) => number,
  ) {
    this.expiries = new ExpiryEvents(engine, clock, (stored) => this.notify(stored, EXPIRED_EVENT), log);
  }

  /** Applies a (new) `notify-keyspace-events` value: subscribes to the engine or lets go of it. */
  configure(flags: number): void {
    const expiredBefore = this.expiredOn;
    this.flags = flags;
    const wanted =
      (flags & (NOTIFY.keyspace | NOTIFY.keyevent)) !== 0 && (flags & (ALL | NOTIFY.newKey)) !== 0;
    if (wanted && this.subscription === undefined) this.start();
    if (!wanted) this.stop();
    if (!this.expiredOn) this.expiries.clear();
    else if (!expiredBefore) void this.expiries.trackExisting();
  }

  /** Whether `expired` events are sent now (class x, and K or E). */
  private get expiredOn(): boolean {
    return (this.flags & NOTIFY.expired) !== 0 && (this.flags & (NOTIFY.keyspace | NOTIFY.keyevent)) !== 0;
  }

  /** Lets go of the engine subscription (the server stops). */
  stop(): void {
    const sub = this.subscription;
    this.subscription = undefined;
    void sub?.return();
    this.expiries.clear();
  }

  private start(): void {
    const sub = this.engine.subscribe({ prefix: "" }, { queueMax: NOTIFIER_QUEUE_MAX });
    this.subscription = sub;
    void this.run(sub);
  }

  private async run(sub: NonNullable<typeof this.subscription>): Promise<void> {
    try {
      // Bounded by the subscription: it ends on stop, on the engine's close, or on eviction.
      for await (const change of sub) {
        for (const event of eventsOf(change)) this.notify(change.keyBytes, event);
        if ((this.flags & NOTIFY.expired) !== 0 && change.kind === "put") {
          this.expiries.track(change.keyBytes, change.version, change.expiresAtMs);
        }
      }
    } catch (err) {
      // Evicted (more than NOTIFIER_QUEUE_MAX events behind): say so, and listen again from now on.
      this.log(`keyspace notifications lost events: ${err instanceof Error ? err.message : String(err)}`);
      if (this.subscription === sub) {
        this.subscription = undefined;
        this.configure(this.flags);
      }
    }
  }

  private notify(stored: Uint8Array, event: { name: Buffer; flag: number }): void {
    if ((this.flags & event.flag) === 0 || stored.length === 0) return;
    const db = this.numberOf(stored[0] as number);
    const key = Buffer.from(stored.buffer, stored.byteOffset + 1, stored.byteLength - 1);
    if (this.flags & NOTIFY.keyspace) {
      this.hub.publish(Buffer.concat([Buffer.from(`__keyspace@${db}__:`), key]), event.name);
    }
    if (this.flags & NOTIFY.keyevent) {
      this.hub.publish(Buffer.concat([Buffer.from(`__keyevent@${db}__:`), event.name]), key);
    }
  }
}
