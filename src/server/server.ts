/**
 * The RESP server: accepts connections from its listeners (src/io/transport.ts: TCP in production, memory
 * in tests), runs their commands against one engine through the public API, and stops cleanly.
 *
 * - Admission: past `maxclients`, or from a non-loopback address in protected mode while the default user
 *   has no password, a connection gets Redis's error line and is closed before any command runs.
 * - Durability: handlers await the engine, whose promises resolve after the fdatasync (mode 'fsync'), so
 *   every write's reply leaves after its record is durable, and the engine's group commit batches the
 *   writes of every connection that arrived meanwhile.
 * - Pub/sub: one hub for every client (src/server/pubsub.ts); keyspace notifications from the engine's
 *   change stream while `notify-keyspace-events` asks for them (src/server/notifications.ts).
 * - Idle `timeout`: a loop on the Clock (once a second) closes clients idle longer, none with commands
 *   running.
 * - Stop (SHUTDOWN, or `close` from the command line on SIGTERM/SIGINT): listeners close, no command
 *   starts any more, running ones finish and their replies are written, connections close, then the
 *   engine closes (settling and syncing everything). `closed` resolves after that.
 */
import { assert, type Clock, type FuseDB } from "../index.js";
import type { Listener, Transport } from "../io/transport.js";
import type { CommandTable } from "./command-table.js";
import type { ClientClass, OutputLimit, ServerConfig } from "./config.js";
import { Connection, type ConnectionHost } from "./connection.js";
import type { ClientState, ProcessInfo, ServerContext, ServerStats } from "./context.js";
import { DatabaseMap } from "./database-map.js";
import { Gate } from "./gate.js";
import { KeyspaceNotifier } from "./notifications.js";
import { PubSubHub } from "./pubsub.js";
import { REQUEST_LIMITS_DEFAULT, type RequestLimits } from "./resp-parser.js";
import { R } from "./resp-writer.js";
import { ScanCursors } from "./scan-cursors.js";
import { Scripts } from "./scripting/scripts.js";
import { Users } from "./users.js";

/** How the composition root builds a server. */
export interface RespServerOptions {
  db: FuseDB;
  clock: Clock;
  config: ServerConfig;
  table: CommandTable;
  listeners: Listener[];
  process: ProcessInfo;
  /** The fusedb package version. */
  version: string;
  /** Where to say what happened (closed clients, failed checkpoints). Default: nowhere. */
  log?: (line: string) => void;
}

const PROTECTED_MODE_DENIED =
  "DENIED fusedb is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. To accept clients from elsewhere, set a password (requirepass or a user line in the config file), or turn protected mode off (--protected-mode no), after making sure the port is not reachable from the Internet.";

function zeroStats(): ServerStats {
  return {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    errorReplies: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    commands: new Map(),
  };
}

/** See the module comment. */
export class RespServer implements ServerContext, ConnectionHost {
  readonly db: FuseDB;
  readonly clock: Clock;
  readonly config: ServerConfig;
  readonly table: CommandTable;
  readonly process: ProcessInfo;
  readonly version: string;
  readonly stats: ServerStats = zeroStats();
  readonly gate = new Gate();
  readonly pubsub = new PubSubHub();
  readonly scanCursors: ScanCursors;
  readonly databases: DatabaseMap;
  readonly scripts: Scripts;
  readonly limits: RequestLimits = { ...REQUEST_LIMITS_DEFAULT };
  readonly startedMs: number;
  lastSaveMs: number;
  bgsaveInProgress = false;
  stopping = false;
  users: Users;
  /** Resolves once the server has stopped and the engine is closed. */
  readonly closed: Promise<void>;

  private readonly listeners: Listener[];
  private readonly connections = new Map<number, Connection>();
  private nextId = 1;
  private readonly logLine: (line: string) => void;
  private resolveClosed: () => void = () => undefined;
  private readonly notifier: KeyspaceNotifier;
  private outputLimits: Record<ClientClass, OutputLimit> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws ConfigError if the config's users are invalid. */
  constructor(options: RespServerOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.config = options.config;
    this.table = options.table;
    this.process = options.process;
    this.version = options.version;
    this.listeners = options.listeners;
    this.logLine = options.log ?? (() => undefined);
    this.startedMs = this.clock.now();
    this.scanCursors = new ScanCursors(this.startedMs);
    this.databases = new DatabaseMap(this.config.int("databases"));
    this.scripts = new Scripts(
      () => this.config.int("busy-reply-threshold"),
      (line) => this.logLine(line),
    );
    this.lastSaveMs = this.startedMs;
    this.config.validate();
    this.users = new Users(this.config.userRules, this.config.text("requirepass"));
    this.notifier = new KeyspaceNotifier(this.db, this.pubsub, this.logLine, this.clock, (s) =>
      this.databases.numberOf(s),
    );
    this.applyLimits();
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get context(): ServerContext {
    return this;
  }

  /** The port of the first listener (INFO tcp_port). */
  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  /** Starts accepting connections and the idle-timeout loop. */
  start(): void {
    // No command runs before the database map (SWAPDB) is read: the gate is held until then.
    const entered = this.gate.enter(true);
    assert(entered === undefined, "nothing holds the gate before the server starts");
    this.databases.load(this.db).then(
      () => this.gate.leave(true),
      (err: unknown) => {
        this.logLine(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
        this.gate.leave(true);
        void this.close();
      },
    );
    this.notifier.configure(this.config.eventFlags());
    for (const l of this.listeners) l.start((t) => this.accept(t));
    void this.idleLoop();
  }

  /** Stops the server (see the module comment); the same promise for every call. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  shutdown(): void {
    void this.close();
  }

  clients(): readonly ClientState[] {
    return [...this.connections.values()];
  }

  authRequired(): boolean {
    return this.users.authRequired;
  }

  released(connection: Connection): void {
    this.connections.delete(connection.id);
  }

  log(line: string): void {
    this.logLine(line);
  }

  async save(): Promise<void> {
    await this.db.checkpoint();
    this.lastSaveMs = this.clock.now();
  }

  bgsave(): boolean {
    if (this.bgsaveInProgress) return false;
    this.bgsaveInProgress = true;
    this.save().then(
      () => {
        this.bgsaveInProgress = false;
      },
      (err: unknown) => {
        this.bgsaveInProgress = false;
        this.log(`background checkpoint failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    return true;
  }

  configChanged(): void {
    this.users = new Users(this.config.userRules, this.config.text("requirepass"));
    this.applyLimits();
    if (!this.stopping) this.notifier.configure(this.config.eventFlags());
  }

  outputLimit(cls: ClientClass): OutputLimit {
    this.outputLimits ??= {
      normal: this.config.outputLimit("normal"),
      slave: this.config.outputLimit("slave"),
      pubsub: this.config.outputLimit("pubsub"),
    };
    return this.outputLimits[cls];
  }

  resetStats(): void {
    Object.assign(this.stats, zeroStats());
  }

  private applyLimits(): void {
    this.limits.bulkBytesMax = this.config.int("proto-max-bulk-len");
    this.limits.queryBufferBytesMax = this.config.int("client-query-buffer-limit");
    this.outputLimits = undefined;
  }

  private accept(transport: Transport): void {
    this.stats.connectionsReceived++;
    const connection = new Connection(this, transport, this.nextId++);
    if (this.stopping) {
      connection.refuse(R.error("ERR server is shutting down"));
      return;
    }
    if (this.connections.size >= this.config.int("maxclients")) {
      this.stats.rejectedConnections++;
      connection.refuse(R.error("ERR max number of clients reached"));
      return;
    }
    if (this.config.bool("protected-mode") && this.users.defaultHasNoPassword && !transport.loopback) {
      this.stats.rejectedConnections++;
      connection.refuse(R.error(PROTECTED_MODE_DENIED));
      return;
    }
    this.connections.set(connection.id, connection);
    connection.open();
  }

  /** Closes clients idle past `timeout` seconds; ends when the server stops. */
  private async idleLoop(): Promise<void> {
    // Bounded by the server's life: one pass a second until it stops.
    while (!this.stopping) {
      await this.clock.sleep(1000);
      const timeoutMs = this.config.int("timeout") * 1000;
      if (timeoutMs === 0 || this.stopping) continue;
      const now = this.clock.now();
      for (const c of this.connections.values()) {
        if (c.pipelined === 0 && now - c.lastInteractionMs > timeoutMs) {
          this.log(`closing idle client ${c.remoteAddress} (id ${c.id})`);
          c.kill();
        }
      }
    }
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    // A running script ends at its next hook, committing nothing (as SHUTDOWN NOSAVE during a script).
    this.scripts.abort();
    this.notifier.stop();
    await Promise.all(this.listeners.map((l) => l.close()));
    for (const c of this.connections.values()) c.stop();
    // Exclusive: every command already started (running or waiting at the gate) has finished.
    const entered = this.gate.enter(true);
    if (entered !== undefined) await entered;
    for (const c of this.connections.values()) c.stop();
    try {
      await this.db.close();
    } finally {
      this.gate.leave(true);
      this.resolveClosed();
    }
  }
}
