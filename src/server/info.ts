/**
 * INFO's text: `# Section` headers and `field:value` lines joined by CRLF, sections separated by a blank
 * line, as Redis 7.0 prints them. Sections: server, clients, memory, persistence, stats, replication, cpu,
 * commandstats (only when named, or with "all"/"everything", as Redis), keyspace; fields by Redis's names (what clients and Redis's test suite read, such as `redis_version` and
 * `blocked_clients`), plus `fusedb_*` fields for the engine. Fields for machinery fusedb lacks are given
 * their idle values (`role:master`).
 */
import type { CommandStat, ServerContext, ServerStats } from "./context.js";
import { countDatabase } from "./keyspace.js";

type Fields = [string, string | number][];

/** Every section, in the order INFO prints them ("all"/"everything"). */
export const INFO_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "commandstats",
  "keyspace",
];

/** The sections INFO prints with no argument or "default": all but commandstats, as Redis. */
export const INFO_DEFAULT_SECTIONS = INFO_SECTIONS.filter((n) => n !== "commandstats");

/** Section titles that are not just the name capitalized. */
const TITLES: Record<string, string> = { cpu: "CPU" };

function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[u]}`;
}

function server(s: ServerContext, nowMs: number): Fields {
  const uptime = Math.floor((nowMs - s.startedMs) / 1000);
  return [
    ["redis_version", "7.0.15"],
    ["fusedb_version", s.version],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_mode", "standalone"],
    ["os", s.process.os],
    ["arch_bits", s.process.archBits],
    ["multiplexing_api", "node"],
    ["node_version", s.process.nodeVersion],
    ["process_id", s.process.pid],
    ["process_supervised", "no"],
    ["run_id", s.process.runId],
    ["tcp_port", s.port],
    ["server_time_usec", nowMs * 1000],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["executable", s.process.executable],
    ["config_file", s.config.configFile],
    ["io_threads_active", 0],
  ];
}

function clients(s: ServerContext): Fields {
  const all = s.clients();
  return [
    ["connected_clients", all.length],
    ["cluster_connections", 0],
    ["maxclients", s.config.int("maxclients")],
    ["client_recent_max_input_buffer", Math.max(0, ...all.map((c) => c.queryBufferBytes))],
    ["client_recent_max_output_buffer", Math.max(0, ...all.map((c) => c.outputBytes))],
    ["blocked_clients", all.filter((c) => c.blocked).length],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", 0],
  ];
}

function memory(s: ServerContext): Fields {
  const { rssBytes, heapUsedBytes } = s.process.memory();
  const st = s.db.stats();
  return [
    ["used_memory", heapUsedBytes],
    ["used_memory_human", human(heapUsedBytes)],
    ["used_memory_rss", rssBytes],
    ["used_memory_rss_human", human(rssBytes)],
    ["maxmemory", 0],
    ["maxmemory_human", "0B"],
    ["maxmemory_policy", "noeviction"],
    ["number_of_cached_scripts", s.scripts.cached],
    ["fusedb_buffered_bytes", st.bufferedBytes],
    ["fusedb_buffered_entries", st.bufferedEntries],
    ["fusedb_segment_bytes", st.segmentBytes],
    ["fusedb_block_cache_bytes", st.tree.cache.bytes],
  ];
}

function persistence(s: ServerContext): Fields {
  const st = s.db.stats();
  return [
    ["loading", 0],
    ["async_loading", 0],
    ["rdb_changes_since_last_save", Math.max(0, st.durableLsn - st.checkpointLsn)],
    ["rdb_bgsave_in_progress", s.bgsaveInProgress ? 1 : 0],
    ["rdb_last_save_time", Math.floor(s.lastSaveMs / 1000)],
    ["rdb_last_bgsave_status", "ok"],
    ["aof_enabled", s.db.durability === "memory" ? 0 : 1],
    ["aof_rewrite_in_progress", 0],
    ["aof_last_write_status", "ok"],
    ["fusedb_durability", s.db.durability],
    ["fusedb_durable_lsn", st.durableLsn],
    ["fusedb_checkpoint_lsn", st.checkpointLsn],
    ["fusedb_wal_files", st.walFiles],
    ["fusedb_wal_group_commits", st.wal.groups],
    ["fusedb_wal_syncs", st.wal.syncs],
    ["fusedb_wal_bytes_written", st.wal.bytesWritten],
  ];
}

function stats(s: ServerContext): Fields {
  const t = s.stats;
  return [
    ["total_connections_received", t.connectionsReceived],
    ["total_commands_processed", t.commandsProcessed],
    ["instantaneous_ops_per_sec", 0],
    ["total_net_input_bytes", t.netInputBytes],
    ["total_net_output_bytes", t.netOutputBytes],
    ["rejected_connections", t.rejectedConnections],
    ["expired_keys", 0],
    ["evicted_keys", 0],
    ["keyspace_hits", t.keyspaceHits],
    ["keyspace_misses", t.keyspaceMisses],
    ["pubsub_channels", s.pubsub.channelCount],
    ["pubsub_patterns", s.pubsub.patternCount],
    ["total_error_replies", t.errorReplies],
  ];
}

function replication(): Fields {
  return [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_repl_offset", 0],
  ];
}

/** The INFO commandstats counters of `fullName` (`get`, `client|list`), created at zero on first use. */
export function commandStat(stats: ServerStats, fullName: string): CommandStat {
  let stat = stats.commands.get(fullName);
  if (stat === undefined) {
    stat = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
    stats.commands.set(fullName, stat);
  }
  return stat;
}

/** Redis's `seconds.micros` form of a CPU time. */
function cpuSeconds(micros: number): string {
  return (micros / 1e6).toFixed(6);
}

/** CPU time from the process seam; fusedb starts no child processes, so the children's are zero. */
function cpu(s: ServerContext): Fields {
  const used = s.process.cpuUsage?.() ?? { userMicros: 0, systemMicros: 0 };
  return [
    ["used_cpu_sys", cpuSeconds(used.systemMicros)],
    ["used_cpu_user", cpuSeconds(used.userMicros)],
    ["used_cpu_sys_children", cpuSeconds(0)],
    ["used_cpu_user_children", cpuSeconds(0)],
  ];
}

/** One line per command run or rejected since the start or CONFIG RESETSTAT, by name. */
function commandstats(s: ServerContext): Fields {
  const sorted = [...s.stats.commands].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map(([name, c]) => {
    const perCall = c.calls === 0 ? 0 : c.usec / c.calls;
    return [
      `cmdstat_${name}`,
      `calls=${c.calls},usec=${c.usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`,
    ];
  });
}

async function keyspace(s: ServerContext): Promise<Fields> {
  const out: Fields = [];
  const databases = s.config.int("databases");
  for (let db = 0; db < databases; db++) {
    const { keys, expires } = await countDatabase(s.db.types, s.databases.storedOf(db));
    if (keys > 0) out.push([`db${db}`, `keys=${keys},expires=${expires},avg_ttl=0`]);
  }
  return out;
}

/**
 * The INFO text for the requested section names (lowercase; "all", "everything" and "default" expand;
 * unknown names are skipped, as Redis does). Keyspace counts scan each database: O(keys).
 */
export async function infoText(s: ServerContext, requested: readonly string[]): Promise<string> {
  const names = new Set<string>();
  for (const r of requested.length === 0 ? ["default"] : requested) {
    if (r === "all" || r === "everything") for (const n of INFO_SECTIONS) names.add(n);
    else if (r === "default") for (const n of INFO_DEFAULT_SECTIONS) names.add(n);
    else names.add(r);
  }
  const nowMs = s.clock.now();
  const blocks: string[] = [];
  for (const name of INFO_SECTIONS) {
    if (!names.has(name)) continue;
    let fields: Fields;
    if (name === "server") fields = server(s, nowMs);
    else if (name === "clients") fields = clients(s);
    else if (name === "memory") fields = memory(s);
    else if (name === "persistence") fields = persistence(s);
    else if (name === "stats") fields = stats(s);
    else if (name === "replication") fields = replication();
    else if (name === "cpu") fields = cpu(s);
    else if (name === "commandstats") fields = commandstats(s);
    else fields = await keyspace(s);
    const title = TITLES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
    blocks.push([`# ${title}`, ...fields.map(([k, v]) => `${k}:${v}`)].join("\r\n"));
  }
  return blocks.length === 0 ? "" : `${blocks.join("\r\n\r\n")}\r\n`;
}
