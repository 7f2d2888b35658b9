/**
 * Pub/sub (Redis 7.0 pubsub.c): channels and glob patterns, each a set of subscribed clients, and PUBLISH
 * delivering a message to every client subscribed to its channel or to a pattern matching it. Delivery is
 * synchronous and never waits: a message is encoded into the subscriber's output at once, and a subscriber
 * whose output grows past `client-output-buffer-limit pubsub` is disconnected by its connection
 * (src/server/connection.ts), as Redis does; the publisher never waits on a slow subscriber.
 *
 * Channel and pattern names are byte strings; maps key them by their latin1 reading (one character per
 * byte, so distinct byte strings stay distinct).
 *
 * Messages (RESP3 push frames, RESP2 arrays):
 *   ["message", channel, message]             to a channel subscriber
 *   ["pmessage", pattern, channel, message]   to a pattern subscriber (once per matching pattern)
 */
import { Buffer } from "node:buffer";
import { globMatch } from "../util/glob.js";
import { R, type Reply } from "./resp-writer.js";

/** One client's subscriptions, in the order they were made (UNSUBSCRIBE without arguments walks them). */
export class ClientSubscriptions {
  readonly channels = new Map<string, Buffer>();
  readonly patterns = new Map<string, Buffer>();

  /** Channels plus patterns: the count in (un)subscribe confirmations; > 0 means "in pub/sub mode". */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }
}

/** A client as the hub sees it. */
export interface Subscriber {
  readonly id: number;
  readonly subscriptions: ClientSubscriptions;
  /** Queues `reply` (a push) on the client's output, after the replies of commands already started. */
  deliver(reply: Reply): void;
}

interface Entry {
  readonly name: Buffer;
  readonly clients: Map<number, Subscriber>;
}

const MESSAGE = Buffer.from("message");
const PMESSAGE = Buffer.from("pmessage");

/** The server's channels and patterns; see the module comment. */
export class PubSubHub {
  private readonly channels = new Map<string, Entry>();
  private readonly patterns = new Map<string, Entry>();

  /** Channels with at least one subscriber (INFO pubsub_channels). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Distinct patterns with at least one subscriber (PUBSUB NUMPAT, INFO pubsub_patterns). */
  get patternCount(): number {
    return this.patterns.size;
  }

  /** Subscribes `client` to `channel`; false if it already was. */
  subscribe(client: Subscriber, channel: Buffer): boolean {
    return add(this.channels, client.subscriptions.channels, client, channel);
  }

  /** Unsubscribes `client` from `channel`; false if it was not subscribed. */
  unsubscribe(client: Subscriber, channel: Buffer): boolean {
    return remove(this.channels, client.subscriptions.channels, client, channel);
  }

  psubscribe(client: Subscriber, pattern: Buffer): boolean {
    return add(this.patterns, client.subscriptions.patterns, client, pattern);
  }

  punsubscribe(client: Subscriber, pattern: Buffer): boolean {
    return remove(this.patterns, client.subscriptions.patterns, client, pattern);
  }

  /** Drops every subscription of `client` (its connection closed), without confirmations. */
  forget(client: Subscriber): void {
    for (const name of [...client.subscriptions.channels.values()]) this.unsubscribe(client, name);
    for (const name of [...client.subscriptions.patterns.values()]) this.punsubscribe(client, name);
  }

  /**
   * Delivers `message` to the subscribers of `channel` and of every matching pattern. Returns how many
   * deliveries were made (PUBLISH's reply: a client matching by two patterns counts twice).
   */
  publish(channel: Buffer, message: Uint8Array | string): number {
    let receivers = 0;
    const direct = this.channels.get(channel.toString("latin1"));
    if (direct !== undefined) {
      const push = R.push([R.bulk(MESSAGE), R.bulk(channel), R.bulk(message)]);
      // A copy: a delivery may disconnect a subscriber, which unsubscribes it.
      for (const client of [...direct.clients.values()]) {
        client.deliver(push);
        receivers++;
      }
    }
    for (const entry of [...this.patterns.values()]) {
      if (!globMatch(entry.name, channel)) continue;
      const push = R.push([R.bulk(PMESSAGE), R.bulk(entry.name), R.bulk(channel), R.bulk(message)]);
      for (const client of [...entry.clients.values()]) {
        client.deliver(push);
        receivers++;
      }
    }
    return receivers;
  }

  /** Active channels (with a subscriber) matching `pattern` (all when undefined), PUBSUB CHANNELS. */
  channelNames(pattern: Buffer | undefined): Buffer[] {
    const out: Buffer[] = [];
    for (const entry of this.channels.values()) {
      if (pattern === undefined || globMatch(pattern, entry.name)) out.push(entry.name);
    }
    return out;
  }

  /** Clients subscribed to `channel` itself (patterns not counted), PUBSUB NUMSUB. */
  subscribers(channel: Buffer): number {
    return this.channels.get(channel.toString("latin1"))?.clients.size ?? 0;
  }
}

function add(index: Map<string, Entry>, own: Map<string, Buffer>, client: Subscriber, name: Buffer): boolean {
  const key = name.toString("latin1");
  if (own.has(key)) return false;
  const copy = Buffer.from(name);
  own.set(key, copy);
  let entry = index.get(key);
  if (entry === undefined) {
    entry = { name: copy, clients: new Map() };
    index.set(key, entry);
  }
  entry.clients.set(client.id, client);
  return true;
}

function remove(
  index: Map<string, Entry>,
  own: Map<string, Buffer>,
  client: Subscriber,
  name: Buffer,
): boolean {
  const key = name.toString("latin1");
  if (!own.delete(key)) return false;
  const entry = index.get(key);
  entry?.clients.delete(client.id);
  if (entry?.clients.size === 0) index.delete(key);
  return true;
}
