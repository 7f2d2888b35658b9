/** A TCP port of 127.0.0.1 for a server that cannot be told `--port 0` (redis-server, `--tls-port`). */
import { connect, createServer } from "node:net";

/** A TCP port that was free a moment ago (bound to 0 by the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once something accepts connections on 127.0.0.1:`port`, trying every 20 ms for at most
 * `attempts`. @throws Error when `exited()` says the process that should listen has ended, or at the end.
 */
export async function waitForPort(port: number, exited: () => boolean, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (exited()) throw new Error(`the process for port ${port} exited`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on port ${port}`);
}
