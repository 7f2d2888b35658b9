/**
 * TCP and TLS behind the network seam (src/io/transport.ts): `node:net` and `node:tls` servers and sockets
 * as `Listener` and `Transport`. A TLS connection reaches the server only once its handshake succeeded
 * (and, when client certificates are required, the certificate chained to the configured CA); above the
 * seam it is a byte stream like any other. Only the composition root (cli/) and tests create these.
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { isLoopbackAddress, type Listener, type Transport, type TransportHandlers } from "./transport.js";

function hostPort(ip: string | undefined, port: number | undefined): string {
  const host = ip?.startsWith("::ffff:") ? ip.slice(7) : (ip ?? "?");
  return `${host}:${port ?? 0}`;
}

/** A `node:net` socket as a {@link Transport}. */
class SocketTransport implements Transport {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly loopback: boolean;

  constructor(private readonly socket: Socket) {
    this.remoteAddress = hostPort(socket.remoteAddress, socket.remotePort);
    this.localAddress = hostPort(socket.localAddress, socket.localPort);
    this.loopback = isLoopbackAddress(socket.remoteAddress ?? "");
    socket.setNoDelay(true);
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  start(handlers: TransportHandlers): void {
    this.socket.on("data", (chunk: Buffer) => handlers.data(chunk));
    this.socket.on("drain", () => handlers.drain());
    // Errors (ECONNRESET, EPIPE) end in "close"; the server only needs to know the connection is gone.
    this.socket.on("error", () => undefined);
    this.socket.once("close", () => handlers.close());
  }

  /**
   * Writes made in one turn of the event loop leave together: the first corks the socket and a `nextTick`
   * uncorks it once the turn's microtasks (every reply resolved by one group commit, say) have run, so a
   * pipeline's replies cost one `writev` instead of one syscall each (as Node's http response does).
   */
  write(bytes: Buffer): boolean {
    if (this.socket.destroyed) return true;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    return this.socket.write(bytes);
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    // As Redis closes a client after its last reply: once the output is handed to the kernel, close the
    // socket, so a peer still sending (a desynchronised stream) gets a reset instead of filling a buffer
    // nobody reads any more and blocking forever.
    this.socket.end(() => this.socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A listening `node:net` or `node:tls` server as a {@link Listener}. */
class SocketListener implements Listener {
  constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
    /** "connection" for TCP; "secureConnection" (after the handshake) for TLS. */
    private readonly event: "connection" | "secureConnection",
    /** Whether a connection may reach the server; others are closed here. */
    private readonly admit: (socket: Socket) => boolean = () => true,
  ) {}

  start(accept: (transport: Transport) => void): void {
    this.server.on(this.event, (socket: Socket) => {
      if (this.admit(socket)) accept(new SocketTransport(socket));
      else socket.destroy();
    });
  }

  close(): Promise<void> {
    // Stops accepting at once; node's close callback would wait for every open connection to end.
    this.server.close();
    return Promise.resolve();
  }
}

/**
 * Listens on `host:port` (port 0: the OS picks one).
 * @throws the listen error (EADDRINUSE, EACCES, EADDRNOTAVAIL).
 */
export function listenTcp(host: string, port: number): Promise<Listener> {
  return listen(createServer({ pauseOnConnect: false }), host, port, "connection");
}

/** TLS settings by Redis's names: PEM bytes of the certificate, key and CA, and `tls-auth-clients`. */
export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  /** CA certificates client certificates must chain to (required unless `authClients` is "no"). */
  ca?: Buffer;
  /** "yes": a client must present a valid certificate; "optional": checked if presented; "no": not asked. */
  authClients: "yes" | "no" | "optional";
}

/**
 * Listens for TLS on `host:port` (port 0: the OS picks one). A failed handshake closes that connection
 * only; `onHandshakeError` hears about it.
 * @throws the listen error, or node:tls's error for an unusable certificate or key.
 */
export function listenTls(
  host: string,
  port: number,
  tls: TlsSettings,
  onHandshakeError: (message: string) => void = () => undefined,
): Promise<Listener> {
  const server = createTlsServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    requestCert: tls.authClients !== "no",
    rejectUnauthorized: tls.authClients === "yes",
  });
  server.on("tlsClientError", (err) => onHandshakeError(err.message));
  // "optional", as Redis: no certificate is fine, an invalid one is not.
  const admit = (socket: Socket): boolean => {
    const s = socket as TLSSocket;
    if (tls.authClients !== "optional" || s.authorized) return true;
    const refused = Object.keys(s.getPeerCertificate()).length > 0;
    if (refused) onHandshakeError(`client certificate refused: ${String(s.authorizationError)}`);
    return !refused;
  };
  return listen(server, host, port, "secureConnection", admit);
}

function listen(
  server: Server,
  host: string,
  port: number,
  event: "connection" | "secureConnection",
  admit?: (socket: Socket) => boolean,
): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      const bound = server.address();
      const actual = typeof bound === "object" && bound !== null ? bound.port : port;
      resolve(new SocketListener(server, `${host}:${actual}`, actual, event, admit));
    });
  });
}
