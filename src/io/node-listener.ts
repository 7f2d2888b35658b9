/**
 * TCP behind the network seam (src/io/transport.ts): `node:net` servers and sockets as `Listener` and
 * `Transport`. Only the composition root (cli/) creates these.
 */
import { createServer, type Server, type Socket } from "node:net";
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

  write(bytes: Buffer): boolean {
    if (this.socket.destroyed) return true;
    return this.socket.write(bytes);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A listening `node:net` server as a {@link Listener}. */
class TcpListener implements Listener {
  constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
  ) {}

  start(accept: (transport: Transport) => void): void {
    this.server.on("connection", (socket) => accept(new SocketTransport(socket)));
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
  const server = createServer({ pauseOnConnect: false });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      const bound = server.address();
      const actual = typeof bound === "object" && bound !== null ? bound.port : port;
      resolve(new TcpListener(server, `${host}:${actual}`, actual));
    });
  });
}
