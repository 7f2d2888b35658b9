/**
 * The HTTP and WebSocket server of `fusedb web`, in the same process as the engine: serves the page (static
 * ES modules from cli/web/static, read once at start), the JSON API (web-api.ts) and one WebSocket per tab
 * at `/ws` (the `ws` package), over which the tab's watch (tab-watch.ts) streams a snapshot and then change
 * events, and the server broadcasts one stats point per second, load and crash-round news.
 *
 * Bound to 127.0.0.1. A web page on another site could still aim requests at it, so: every request's Host
 * must name 127.0.0.1 or localhost (no DNS rebinding), every WebSocket's Origin must be this server, and
 * POSTs must carry a JSON content type (no cross-site form posts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type WebSocket, WebSocketServer } from "ws";
import type { Clock, FuseDB } from "../../src/index.js";
import { CrashRunner } from "./crash-runner.js";
import { LoadGenerator } from "./load-generator.js";
import { type MessageFromTab, parseTabMessage } from "./tab-message.js";
import { CLOSE_GOING_AWAY, SOCKET_OPEN, TabWatch, type WatchLimits } from "./tab-watch.js";
import { type ApiContext, handleApi } from "./web-api.js";
import { WriteMetrics } from "./write-metrics.js";

/** Largest message a tab may send (a watch request), in bytes. */
const TAB_MESSAGE_BYTES_MAX = 16 * 1024;
/** One stats point per this many ms. */
const STATS_INTERVAL_MS = 1000;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** What `startWebServer` needs. */
export interface WebServerOptions extends WatchLimits {
  db: FuseDB;
  clock: Clock;
  /** Directory of the crash rounds; must not be the database's directory. */
  crashDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
}

/** A running server. */
export interface WebServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** Stops the load and any crash round, closes every tab (1001) and the listener. Leaves the db open. */
  close(): Promise<void>;
}

/** The static files' directory: next to this file in the sources, or cli/web/static beside dist/. */
export function staticDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const candidates = [join(here, "static"), join(here, "..", "..", "..", "cli", "web", "static")];
  const found = candidates.find((d) => existsSync(join(d, "index.html")));
  if (found === undefined) throw new Error(`fusedb web: page files not found in ${candidates.join(" or ")}`);
  return found;
}

function loadStaticFiles(dir: string): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}

/** Starts the server and resolves once it listens. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { db, clock } = options;
  const files = loadStaticFiles(staticDir());
  const metrics = new WriteMetrics(db.stats().wal.records, clock.now());
  const wss = new WebSocketServer({ noServer: true, maxPayload: TAB_MESSAGE_BYTES_MAX });
  const broadcast = (message: object): void => {
    const text = JSON.stringify(message);
    for (const client of wss.clients) {
      // A tab already over its bound skips broadcasts; its events decide whether it is evicted.
      if (client.readyState === SOCKET_OPEN && client.bufferedAmount <= options.bufferedBytesMax) {
        client.send(text);
      }
    }
  };
  const ctx: ApiContext = {
    db,
    clock,
    metrics,
    crash: new CrashRunner(options.crashDir),
    load: new LoadGenerator(db, metrics, (running) => broadcast({ type: "load", running })),
    broadcast,
  };
  let port = options.port;
  const hostOk = (req: IncomingMessage): boolean =>
    req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;

  const server: Server = createServer((req, res) => {
    if (!hostOk(req)) {
      res.writeHead(421, { "content-type": "text/plain" }).end("wrong Host\n");
      return;
    }
    if ((req.url ?? "").startsWith("/api/")) {
      void handleApi(req, res, ctx);
      return;
    }
    serveStatic(req, res, files);
  });
  server.on("upgrade", (req, socket, head) => {
    const origin = req.headers.origin;
    const originOk = origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (!hostOk(req) || !originOk || req.url !== "/ws") {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveTab(ws, ctx, options));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const ticker = setInterval(() => {
    broadcast({ type: "stats", point: metrics.tick(db.stats().wal.records, clock.now()) });
  }, STATS_INTERVAL_MS);
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close(): Promise<void> {
      clearInterval(ticker);
      await ctx.load.stop();
      await ctx.crash.settle();
      for (const client of wss.clients) client.close(CLOSE_GOING_AWAY, "server shutting down");
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Greets a new tab (limits, stats history, load and crash state) and runs its watch requests. */
function serveTab(ws: WebSocket, ctx: ApiContext, limits: WatchLimits): void {
  const watch = new TabWatch(ctx.db, ctx.clock, ws, limits);
  ws.send(
    JSON.stringify({
      type: "hello",
      queueMax: limits.queueMax,
      bufferedBytesMax: limits.bufferedBytesMax,
      history: ctx.metrics.history,
      load: ctx.load.running,
      crash: ctx.crash.running ? { state: "running" } : { state: "done", summary: ctx.crash.last },
    }),
  );
  ws.on("message", (data, isBinary) => {
    const message: MessageFromTab | { error: string } = parseTabMessage(data, isBinary);
    if ("error" in message) {
      ws.send(JSON.stringify({ type: "error", code: "BAD_MESSAGE", message: message.error }));
    } else {
      void watch.watch(message.id, message.prefix);
    }
  });
  ws.on("close", () => watch.stop());
  ws.on("error", () => watch.stop());
}

function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  files: Map<string, { type: string; body: Buffer }>,
): void {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const name = path === "/" ? "index.html" : path.startsWith("/static/") ? path.slice("/static/".length) : "";
  const file = files.get(name);
  if ((req.method !== "GET" && req.method !== "HEAD") || file === undefined) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": file.body.length,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy":
      "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}
