/**
 * `fusedb server [dir] [--port 6379] [--bind 127.0.0.1] [--config FILE] [--<redis.conf option> value ...]`:
 * the engine over the Redis protocol. The composition root of the server: it reads the config (defaults,
 * then the file, then the command line), opens the engine on the real disk and clock, listens on TCP,
 * draws the run id, and turns SIGTERM/SIGINT into a clean stop (no new commands, running ones finish, the
 * engine closes). Exit code 0 after a clean stop, 1 if it could not start.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { arch, release, type } from "node:os";
import { resolve } from "node:path";
import { Command } from "commander";
import { type Durability, FuseError, open, SystemClock } from "../src/index.js";
import { listenTcp, listenTls, type TlsSettings } from "../src/io/node-listener.js";
import type { Listener } from "../src/io/transport.js";
import { OPTION_MAX } from "../src/options.js";
import { buildCommandTable } from "../src/server/commands/all.js";
import { ConfigError, OPTIONS, parseConfigFile, ServerConfig } from "../src/server/config.js";
import { RespServer } from "../src/server/server.js";
import { Users } from "../src/server/users.js";

const FUSEDB_VERSION = "0.1.0";
/** After a clean stop, how long connections may take to drain before the process exits. */
const EXIT_GRACE_MS = 500;

/** commander's attribute name for `--some-option`. */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Builds the `server` subcommand; `setExit` receives the exit code. */
export function serverCommand(setExit: (code: number) => void): Command {
  const cmd = new Command("server")
    .description("serve the engine over the Redis protocol (RESP2/RESP3) until SIGTERM, SIGINT or SHUTDOWN")
    .argument("[dir]", "data directory (default: the dir option, ./fusedb-data)")
    .option("--config <file>", "config file in redis.conf syntax (command-line options win)");
  for (const [name, def] of Object.entries(OPTIONS)) {
    if (name === "dir") continue;
    cmd.option(
      `--${name} <value>`,
      `${def.help} (default: ${def.defaultText === "" ? '""' : def.defaultText})`,
    );
  }
  return cmd.action(async (dir: string | undefined, flags: Record<string, string | undefined>) => {
    setExit(await runServer(dir, flags));
  });
}

/** The config from the file and the flags. @throws ConfigError. */
function loadConfig(dir: string | undefined, flags: Record<string, string | undefined>): ServerConfig {
  const config = new ServerConfig();
  if (flags.config !== undefined) {
    const path = resolve(flags.config);
    parseConfigFile(readFileSync(path, "utf8"), config);
    config.configFile = path;
  }
  for (const name of Object.keys(OPTIONS)) {
    const value = flags[camel(name)];
    if (value !== undefined) config.apply(name, [value]);
  }
  config.apply("dir", [resolve(dir ?? config.text("dir"))]);
  config.validate();
  new Users(config.userRules, config.text("requirepass")); // checks the user lines before the engine opens
  return config;
}

function durabilityOf(config: ServerConfig): Durability {
  if (!config.bool("appendonly")) return "memory";
  return config.text("appendfsync") === "always" ? "fsync" : "relaxed";
}

/** The TLS files named by the config, read; undefined without `tls-port`. @throws the read error. */
function tlsSettings(config: ServerConfig): TlsSettings | undefined {
  if (config.int("tls-port") === 0) return undefined;
  const ca = config.text("tls-ca-cert-file");
  return {
    cert: readFileSync(config.text("tls-cert-file")),
    key: readFileSync(config.text("tls-key-file")),
    ca: ca === "" ? undefined : readFileSync(ca),
    authClients: config.text("tls-auth-clients") as TlsSettings["authClients"],
  };
}

/**
 * Listens on every `bind` address (a leading `-` marks one that may be unavailable), one port for all, and
 * with `tls-port` also for TLS on each.
 */
async function listenAll(config: ServerConfig, log: (line: string) => void): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const tls = tlsSettings(config);
  let port = config.int("port");
  const tlsPort = config.int("tls-port");
  for (const entry of config.list("bind")) {
    const optional = entry.startsWith("-");
    const host = optional ? entry.slice(1) : entry;
    try {
      const l = await listenTcp(host, port);
      port = l.port;
      listeners.push(l);
      if (tls !== undefined) listeners.push(await listenTls(host, tlsPort, tls, (m) => log(`TLS: ${m}`)));
    } catch (err) {
      if (!optional) {
        for (const l of listeners) await l.close();
        throw err;
      }
    }
  }
  return listeners;
}

async function runServer(
  dir: string | undefined,
  flags: Record<string, string | undefined>,
): Promise<number> {
  let config: ServerConfig;
  try {
    config = loadConfig(dir, flags);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`*** FATAL CONFIG ERROR: ${err.message}`);
    return 1;
  }
  const durability = durabilityOf(config);
  let db: Awaited<ReturnType<typeof open>>;
  try {
    // Strings and elements up to the engine's largest value (32 MiB of JSON text), as near Redis's
    // proto-max-bulk-len as one WAL record allows; the library's default (1 MiB) suits documents.
    db = await open(config.text("dir"), { durability, valueBytesMax: OPTION_MAX.valueBytesMax });
  } catch (err) {
    if (!(err instanceof FuseError)) throw err;
    console.error(`fusedb server: cannot open ${config.text("dir")}: ${err.code} ${err.message}`);
    return 1;
  }
  let listeners: Listener[];
  try {
    listeners = await listenAll(config, (line) => console.log(`fusedb server: ${line}`));
  } catch (err) {
    await db.close();
    console.error(`fusedb server: cannot listen: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const server = new RespServer({
    db,
    clock: new SystemClock(),
    config,
    table: buildCommandTable(),
    listeners,
    version: FUSEDB_VERSION,
    log: (line) => console.log(`fusedb server: ${line}`),
    process: {
      pid: process.pid,
      runId: randomBytes(20).toString("hex"),
      executable: process.argv[1] ?? "",
      os: `${type()} ${release()} ${arch()}`,
      archBits: 64,
      nodeVersion: process.version,
      memory: () => {
        const m = process.memoryUsage();
        return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
      },
      cpuUsage: () => {
        const u = process.cpuUsage();
        return { userMicros: u.user, systemMicros: u.system };
      },
    },
  });
  const stop = (signal: string): void => {
    console.log(`fusedb server: ${signal}: stopping`);
    void server.close();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  server.start();
  const where = listeners.map((l) => l.address).join(", ");
  console.log(`fusedb server ready: ${where}, data in ${config.text("dir")} (durability ${durability})`);
  await server.closed;
  console.log("fusedb server: stopped");
  // Clients that keep their end open would hold the process: give replies a moment to leave, then exit.
  setTimeout(() => process.exit(0), EXIT_GRACE_MS);
  return 0;
}
