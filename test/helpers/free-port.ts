/** A TCP port of 127.0.0.1 for a server that cannot be told `--port 0` (redis-server, `--tls-port`). */
import { createServer } from "node:net";

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
