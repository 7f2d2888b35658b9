/**
 * The web server's JSON API: the page's form, and any other process on this machine, write through it
 * (the server's process owns the data directory, so nobody else may open it). Every call maps to one
 * public engine call; a rejected call answers `{ ok: false, code, message }` with the engine's stable code
 * and changes nothing.
 *
 * - `POST /api/set {key, value, ttlMs?, ifVersion?}`, `/api/patch {key, patch, ifVersion?}`,
 *   `/api/incr {key, delta?, ifVersion?}`, `/api/expire {key, ms, ifVersion?}`, `/api/delete {key,
 *   ifVersion?}` → `{ok, version, lsn, value?}`; `/api/batch {mutations}` → `{ok, lsn, results}`.
 * - `GET /api/get?key=K` → `{ok, found, value?, version?, ttlMs?}`; `GET /api/stats` → `{ok, subscribers,
 *   durableLsn, checkpointLsn, wal}` (a part of `db.stats()`).
 * - `POST /api/crash` → one crash round's summary (crash-runner.ts); `POST /api/load {seconds}` starts
 *   (1..60) or stops (0) the load generator.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock, FuseDB, Json, Mutation } from "../../src/index.js";
import { FuseError, InvalidArgumentError } from "../../src/index.js";
import { CrashBusyError, type CrashRunner } from "./crash-runner.js";
import type { LoadGenerator } from "./load-generator.js";
import type { WriteMetrics } from "./write-metrics.js";

/** Largest request body: a 1 MiB document as JSON text, escaped, with room for the envelope. */
export const BODY_BYTES_MAX = 4 * 1024 * 1024;
/** Most mutations in one `/api/batch`. */
export const BATCH_MUTATIONS_MAX = 1000;

/** What the API handlers use of the server. */
export interface ApiContext {
  db: FuseDB;
  clock: Clock;
  metrics: WriteMetrics;
  crash: CrashRunner;
  load: LoadGenerator;
  /** Sends a message to every connected tab. */
  broadcast(message: object): void;
}

type Body = Record<string, unknown>;
type Handler = (body: Body, ctx: ApiContext) => Promise<object>;

/** An API error that is not the engine's: bad JSON body, unknown route, body too large. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const WRITES: Record<string, (b: Body, db: FuseDB) => Promise<object>> = {
  set: (b, db) => db.set(str(b, "key"), json(b, "value"), { ttlMs: int(b, "ttlMs"), ifVersion: ver(b) }),
  patch: (b, db) => db.patch(str(b, "key"), json(b, "patch"), { ifVersion: ver(b) }),
  incr: (b, db) => db.incr(str(b, "key"), int(b, "delta") ?? 1, { ifVersion: ver(b) }),
  expire: (b, db) => db.expire(str(b, "key"), need(int(b, "ms"), "ms"), { ifVersion: ver(b) }),
  delete: (b, db) => db.delete(str(b, "key"), { ifVersion: ver(b) }),
  batch: (b, db) => db.batch(mutations(b)),
};

const ROUTES: Record<string, Handler> = {
  "POST /api/crash": crashRound,
  "POST /api/load": async (b, ctx) => {
    const seconds = need(int(b, "seconds"), "seconds");
    if (seconds === 0) await ctx.load.stop();
    else
      try {
        ctx.load.start(seconds);
      } catch (err) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", (err as Error).message);
      }
    return { running: ctx.load.running };
  },
};
for (const [name, write] of Object.entries(WRITES)) {
  ROUTES[`POST /api/${name}`] = async (b, ctx) => {
    const started = performance.now();
    const result = await write(b, ctx.db);
    ctx.metrics.record(performance.now() - started);
    return result;
  };
}

/** Answers one `/api/...` request. Never throws: failures become JSON error replies. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/api/get") {
      reply(res, 200, { ok: true, ...(await getKey(url.searchParams.get("key"), ctx)) });
      return;
    }
    if (req.method === "GET" && url.pathname === "/api/stats") {
      const { subscribers, durableLsn, checkpointLsn, wal } = ctx.db.stats();
      reply(res, 200, { ok: true, subscribers, durableLsn, checkpointLsn, wal });
      return;
    }
    const handler = ROUTES[`${req.method} ${url.pathname}`];
    if (handler === undefined) throw new ApiError(404, "NOT_FOUND", `no route ${req.method} ${url.pathname}`);
    // A JSON content type cannot be sent cross-site without a CORS preflight, which is never granted.
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send Content-Type: application/json");
    }
    const body = await readJsonBody(req);
    reply(res, 200, { ok: true, ...(await handler(body, ctx)) });
  } catch (err) {
    const [status, code, message] = describeError(err);
    reply(res, status, { ok: false, code, message });
  }
}

async function getKey(key: string | null, ctx: ApiContext): Promise<object> {
  if (key === null) throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "missing ?key=");
  const got = await ctx.db.get(key);
  if (got === undefined) return { found: false };
  const ttlMs = got.expiresAtMs === undefined ? null : got.expiresAtMs - ctx.clock.now();
  return { found: true, value: got.value, version: got.version, ttlMs };
}

async function crashRound(_body: Body, ctx: ApiContext): Promise<object> {
  let running: Promise<object>;
  try {
    running = ctx.crash.run();
  } catch (err) {
    if (err instanceof CrashBusyError) throw new ApiError(409, err.code, err.message);
    throw err;
  }
  ctx.broadcast({ type: "crash", state: "running" });
  try {
    const summary = await running;
    ctx.broadcast({ type: "crash", state: "done", summary });
    return { summary };
  } catch (err) {
    ctx.broadcast({ type: "crash", state: "failed", message: String(err) });
    throw err;
  }
}

function describeError(err: unknown): [number, string, string] {
  if (err instanceof ApiError) return [err.status, err.code, err.message];
  if (err instanceof FuseError) return [statusOf(err.code), err.code, err.message];
  return [500, "INTERNAL", err instanceof Error ? err.message : String(err)];
}

function statusOf(code: string): number {
  switch (code) {
    case "FUSEDB_VERSION_CONFLICT":
      return 409;
    case "FUSEDB_NOT_FOUND":
      return 404;
    case "FUSEDB_POISONED":
    case "FUSEDB_CLOSED":
    case "FUSEDB_CORRUPTION":
      return 503;
    default:
      return 400;
  }
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads and parses a JSON object body of at most {@link BODY_BYTES_MAX} bytes. */
async function readJsonBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > BODY_BYTES_MAX)
      throw new ApiError(413, "BODY_TOO_LARGE", `body over ${BODY_BYTES_MAX} bytes`);
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new InvalidArgumentError("FUSEDB_INVALID_JSON", "request body is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "request body must be a JSON object");
  }
  return parsed as Body;
}

function bad(message: string): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", message);
}

function str(b: Body, field: string): string {
  const v = b[field];
  if (typeof v !== "string") throw bad(`${field} must be a string`);
  return v;
}

function json(b: Body, field: string): Json {
  if (!(field in b)) throw bad(`${field} is missing`);
  return b[field] as Json;
}

/** An optional integer field (the engine checks its range); null counts as absent. */
function int(b: Body, field: string): number | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad(`${field} must be an integer`);
  return v;
}

function need<T>(v: T | undefined, field: string): T {
  if (v === undefined) throw bad(`${field} is missing`);
  return v;
}

function ver(b: Body): number | undefined {
  return int(b, "ifVersion");
}

function mutations(b: Body): Mutation[] {
  const list = b.mutations;
  if (!Array.isArray(list) || list.length === 0 || list.length > BATCH_MUTATIONS_MAX) {
    throw bad(`mutations must be an array of 1..${BATCH_MUTATIONS_MAX}`);
  }
  return list.map((raw): Mutation => {
    if (typeof raw !== "object" || raw === null) throw bad("each mutation must be an object");
    const m = raw as Body;
    const key = str(m, "key");
    const ifVersion = ver(m);
    switch (m.op) {
      case "set":
        return { op: "set", key, value: json(m, "value"), ttlMs: int(m, "ttlMs"), ifVersion };
      case "patch":
        return { op: "patch", key, patch: json(m, "patch"), ifVersion };
      case "incr":
        return { op: "incr", key, delta: int(m, "delta"), ifVersion };
      case "expire":
        return { op: "expire", key, ms: need(int(m, "ms"), "ms"), ifVersion };
      case "delete":
        return { op: "delete", key, ifVersion };
      default:
        throw bad(`unknown op ${JSON.stringify(m.op)}`);
    }
  });
}
