/**
 * An in-memory network for the RESP server (src/io/transport.ts): a listener whose connections are byte
 * pipes in this process, with any remote address (protected mode is tested without a network), and a
 * client side that decodes replies with @redis/client's own decoder.
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import type { Listener, Transport, TransportHandlers } from "../../src/io/transport.js";

const require = createRequire(import.meta.url);
/** @redis/client's own RESP decoder (not in its public exports), as the tests drive it. */
export const { Decoder, RESP_TYPES } = require("@redis/client/dist/lib/RESP/decoder.js") as {
  Decoder: new (o: {
    onReply: (r: unknown) => void;
    onErrorReply: (e: unknown) => void;
    onPush: (p: unknown) => void;
    getTypeMapping: () => Record<number, unknown>;
  }) => { write: (b: Buffer) => void };
  RESP_TYPES: Record<string, number>;
};

/** The client end of an in-memory connection. */
export class MemClient {
  /** Every byte the server wrote. */
  received = Buffer.alloc(0);
  /** Replies decoded so far; error replies as `{ error: "ERR ..." }`. */
  readonly replies: unknown[] = [];
  closedByServer = false;
  private readonly decoder = new Decoder({
    onReply: (r) => this.replies.push(r),
    onErrorReply: (e) => this.replies.push({ error: (e as Error).message }),
    onPush: (p) => this.replies.push({ push: p }),
    getTypeMapping: () => this.typeMapping,
  });
  /** The decoder's type mapping (e.g. `{ [RESP_TYPES.BLOB_STRING]: Buffer }` for binary replies); none by default. */
  typeMapping: Record<number, unknown> = {};

  constructor(readonly server: MemServerSide) {}

  /** Sends bytes to the server as one chunk. */
  send(bytes: Buffer | string): void {
    this.server.deliver(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  /** Sends one command in RESP2 multibulk form. */
  command(...args: (string | Buffer)[]): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = typeof a === "string" ? Buffer.from(a) : a;
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
    }
    this.send(Buffer.concat(parts));
  }

  /** Called by the server side. */
  receive(bytes: Buffer): void {
    this.received = Buffer.concat([this.received, bytes]);
    this.decoder.write(bytes);
  }

  /** Resolves once `n` replies have arrived (or rejects after `timeoutMs`). */
  async waitReplies(n: number, timeoutMs = 10_000): Promise<unknown[]> {
    const start = Date.now();
    while (this.replies.length < n) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out: ${this.replies.length} of ${n} replies`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.replies.slice(0, n);
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!this.closedByServer) {
      if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for the server to close");
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** The client goes away. */
  close(): void {
    this.server.peerClosed();
  }
}

/** The server end, as the server sees it. */
export class MemServerSide implements Transport {
  readonly localAddress = "127.0.0.1:6379";
  readonly client: MemClient;
  paused = false;
  /** While true the client reads nothing: writes stay buffered here and `write` answers false. */
  stalled = false;
  private stalledBytes: Buffer[] = [];
  private handlers: TransportHandlers | undefined;
  private pending: Buffer[] = [];
  private gone = false;

  constructor(
    readonly remoteAddress: string,
    readonly loopback: boolean,
  ) {
    this.client = new MemClient(this);
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.flushPending();
  }

  /** Client bytes: queued while paused or before start, as a socket's buffer would. */
  deliver(bytes: Buffer): void {
    if (this.gone) return;
    this.pending.push(bytes);
    this.flushPending();
  }

  private flushPending(): void {
    while (!this.paused && this.handlers !== undefined && this.pending.length > 0 && !this.gone) {
      this.handlers.data(this.pending.shift() as Buffer);
    }
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const b of this.stalledBytes) n += b.length;
    return n;
  }

  write(bytes: Buffer): boolean {
    if (this.gone) return true;
    if (this.stalled) {
      this.stalledBytes.push(bytes);
      return false;
    }
    this.client.receive(bytes);
    return true;
  }

  /** The client starts reading again: what was buffered arrives, then "drain". */
  unstall(): void {
    this.stalled = false;
    const held = this.stalledBytes;
    this.stalledBytes = [];
    if (this.gone) return;
    for (const b of held) this.client.receive(b);
    this.handlers?.drain();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flushPending();
  }

  end(): void {
    this.finish();
  }

  destroy(): void {
    this.finish();
  }

  peerClosed(): void {
    this.finish();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    this.client.closedByServer = true;
    // As a socket: "close" arrives on a later turn.
    queueMicrotask(() => this.handlers?.close());
  }
}

/** A listener whose connections are made with {@link MemListener.connect}. */
export class MemListener implements Listener {
  readonly address = "127.0.0.1:6379";
  readonly port = 6379;
  private accept: ((t: Transport) => void) | undefined;
  private nextPort = 50_000;
  closed = false;

  start(accept: (t: Transport) => void): void {
    this.accept = accept;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** A new connection from `ip` (loopback unless told otherwise). */
  connect(ip = "127.0.0.1", loopback = ip.startsWith("127.")): MemClient {
    if (this.accept === undefined || this.closed) throw new Error("listener not accepting");
    const side = new MemServerSide(`${ip}:${this.nextPort++}`, loopback);
    this.accept(side);
    return side.client;
  }
}
