/**
 * What a command handler sees: its client's state and the server's. Interfaces only, so handlers depend on
 * no concrete class and tests can build small contexts.
 */

import type { Clock, FuseDB } from "../index.js";
import type { CommandTable } from "./command-table.js";
import type { ServerConfig } from "./config.js";
import type { DatabaseMap } from "./database-map.js";
import type { ClientSubscriptions, PubSubHub } from "./pubsub.js";
import type { Protocol, Reply } from "./resp-writer.js";
import type { ScanCursors } from "./scan-cursors.js";
import type { Scripts } from "./scripting/scripts.js";
import type { Transaction } from "./transaction.js";
import type { TransactionBlock } from "./transaction-block.js";
import type { Users } from "./users.js";

/** One client connection's state (CLIENT LIST fields by Redis's names). */
export interface ClientState {
  readonly id: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** Clock ms when the connection was accepted. */
  readonly createdMs: number;
  /** Clock ms of the last command started. */
  readonly lastCommandMs: number;
  /** The database number SELECTed (CLIENT LIST `db`). */
  selectedDb: number;
  /**
   * The stored database of `selectedDb` (src/server/database-map.ts): the prefix byte of every key this
   * client names (src/server/keyspace.ts dbKey). Equal to `selectedDb` until a SWAPDB.
   */
  db: number;
  protocol: Protocol;
  name: string;
  /** The user this connection is authenticated as ("default" until AUTH). */
  user: string;
  authenticated: boolean;
  /** CLIENT REPLY: "skip" suppresses the next command's reply only. */
  replyMode: "on" | "off" | "skip";
  noEvict: boolean;
  /** CLIENT SETINFO. */
  libName: string;
  libVersion: string;
  /** Set by QUIT (and by errors that end the connection): close once the replies so far are written. */
  closeAfterReply: boolean;
  /** The full name of the command running or last run (`client|list`). */
  readonly lastCommand: string;
  /** Bytes of requests held and of replies waiting, for CLIENT LIST. */
  readonly queryBufferBytes: number;
  readonly outputBytes: number;
  /** Commands started and not yet replied to. */
  readonly pipelined: number;
  /** Pub/sub channels and patterns this client is subscribed to. */
  readonly subscriptions: ClientSubscriptions;
  /** MULTI/EXEC/WATCH state. */
  readonly transaction: Transaction;
  /** BEGIN/COMMIT/ROLLBACK state: the transaction its data commands run inside, if one is open. */
  readonly transactionBlock: TransactionBlock;
  /** Queues a push (a pub/sub message or confirmation) after the replies of commands already started. */
  deliver(reply: Reply): void;
  /** Closes the connection now (CLIENT KILL, idle timeout); its running commands still finish. */
  kill(): void;
  /** Whether a blocking command (BLPOP, BLMOVE, ...) of this client is waiting (INFO `blocked_clients`). */
  readonly blocked: boolean;
  /**
   * Runs a blocking command's wait: the client counts as blocked meanwhile, lets go of the server's gate
   * (other clients' commands, EXEC and FLUSHALL included, run while it waits), and `signal` aborts with
   * reason "timeout" or "error" on CLIENT UNBLOCK, or "closed" when the connection goes. Only for a command
   * run directly by its connection (not inside EXEC), at most one at a time.
   */
  block<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** CLIENT UNBLOCK: ends the wait of {@link block} with `how`; whether one was running. */
  unblock(how: "timeout" | "error"): boolean;
}

/** One command's counters (INFO commandstats), by Redis's names. */
export interface CommandStat {
  /** Runs that reached the handler (failed ones included). */
  calls: number;
  /** Clock time spent in those runs, microseconds (the clock's resolution: whole ms on a real clock). */
  usec: number;
  /** Refused before running: wrong arity, NOAUTH, not allowed in MULTI or in subscribe mode. */
  rejectedCalls: number;
  /** Runs that replied with an error. */
  failedCalls: number;
}

/** Counters for INFO stats; CONFIG RESETSTAT zeroes them. */
export interface ServerStats {
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  errorReplies: number;
  netInputBytes: number;
  netOutputBytes: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  /** Per command, by full name (`get`, `client|list`), created on first use (INFO commandstats). */
  commands: Map<string, CommandStat>;
}

/** CPU time used, microseconds, as Node's `process.cpuUsage()` gives it. */
export interface CpuUsage {
  readonly userMicros: number;
  readonly systemMicros: number;
}

/** About the process, for INFO server and memory; supplied by the composition root (cli/). */
export interface ProcessInfo {
  readonly pid: number;
  /** 40 hex characters, random per start (the composition root draws it). */
  readonly runId: string;
  readonly executable: string;
  readonly os: string;
  readonly archBits: number;
  readonly nodeVersion: string;
  /** Resident set size and JavaScript heap in use, bytes. */
  memory(): { rssBytes: number; heapUsedBytes: number };
  /** CPU time of this process (INFO cpu); absent means zeros are reported. */
  cpuUsage?(): CpuUsage;
}

/** The server as handlers see it. */
export interface ServerContext {
  readonly db: FuseDB;
  readonly clock: Clock;
  readonly config: ServerConfig;
  readonly users: Users;
  readonly table: CommandTable;
  readonly stats: ServerStats;
  /** Pub/sub channels and patterns of every client. */
  readonly pubsub: PubSubHub;
  /** Wire cursors of SCAN-like commands, and the seeded random numbers of RANDOMKEY. */
  readonly scanCursors: ScanCursors;
  /** Database numbers to stored databases (SWAPDB). */
  readonly databases: DatabaseMap;
  /** Lua scripting: the interpreter, the script cache and the running script (EVAL, SCRIPT). */
  readonly scripts: Scripts;
  readonly process: ProcessInfo;
  /** The fusedb package version (INFO server, HELLO). */
  readonly version: string;
  /** TCP port served (INFO server tcp_port). */
  readonly port: number;
  /** Clock ms when the server started. */
  readonly startedMs: number;
  /** Clock ms of the last successful SAVE/BGSAVE checkpoint, or of the start. */
  readonly lastSaveMs: number;
  readonly bgsaveInProgress: boolean;
  /** Every connected client, in connection order. */
  clients(): readonly ClientState[];
  /** Runs a checkpoint (SAVE waits for it; BGSAVE does not) and records its time. */
  save(): Promise<void>;
  /** Starts a checkpoint in the background; false if one is running. */
  bgsave(): boolean;
  /** Stops the server: no new commands, in-flight ones finish, the engine is closed. */
  shutdown(): void;
  /** Call after CONFIG SET: rebuilds users and limits from the config. @throws ConfigError. */
  configChanged(): void;
  /** Zeroes the stats (CONFIG RESETSTAT). */
  resetStats(): void;
}

/** Everything a handler receives besides its arguments. */
export interface CommandContext {
  readonly server: ServerContext;
  readonly client: ClientState;
}
