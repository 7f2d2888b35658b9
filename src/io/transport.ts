/**
 * The network seam of the RESP server: a listener hands out byte-stream connections. The server above it
 * never touches `node:net` or `node:tls`; `src/io/node-listener.ts` adapts TCP, and tests plug in
 * connections made in memory (test/helpers/mem-transport.ts), so protected mode and malformed streams are
 * tested without a network.
 */

/** What a transport reports to its connection. Called one at a time, never after `close`. */
export interface TransportHandlers {
  /** Bytes arrived. The chunk is the caller's to keep: the transport never writes into it again. */
  data(chunk: Buffer): void;
  /** The output buffer drained after a `write` returned false. */
  drain(): void;
  /** The connection is gone (the peer closed it, an error, or `end`/`destroy` finished). Called once. */
  close(): void;
}

/** One client connection. */
export interface Transport {
  /** The peer as `ip:port` (`[::1]:port` style is not used: `::1:port`, as Redis's CLIENT LIST). */
  readonly remoteAddress: string;
  /** This side as `ip:port`. */
  readonly localAddress: string;
  /** Whether the peer is on a loopback address (127.0.0.0/8, ::1, or those mapped into IPv6). */
  readonly loopback: boolean;
  /** Installs the handlers; data flows only after this. */
  start(handlers: TransportHandlers): void;
  /** Bytes queued by `write` and not yet handed to the OS (Redis's output buffer, for its limits). */
  readonly bufferedBytes: number;
  /** Queues bytes for the peer. False when the output buffer is past its mark: wait for `drain`. */
  write(bytes: Buffer): boolean;
  /** Stops delivering data (TCP backpressure) until `resume`. */
  pause(): void;
  resume(): void;
  /** Closes once queued output is written; bytes the peer sends afterwards are not read (TCP: a reset). */
  end(): void;
  /** Closes now; queued output is dropped. */
  destroy(): void;
}

/** A source of connections: a TCP or TLS port, or an in-memory pair in tests. */
export interface Listener {
  /** `host:port` actually bound (the port is chosen by the OS when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Starts handing connections to `accept`. */
  start(accept: (transport: Transport) => void): void;
  /** Stops accepting; open connections stay. Resolves once the listener is closed. */
  close(): Promise<void>;
}

/** Whether `ip` (as Node reports it, IPv4, IPv6 or IPv4-mapped IPv6) is a loopback address. */
export function isLoopbackAddress(ip: string): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.startsWith("127.") || ip === "::1";
}
