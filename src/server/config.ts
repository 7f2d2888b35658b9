/**
 * The server's settings, by Redis's names (redis.conf, CONFIG GET/SET): one definition per option says its
 * kind, default, bounds and whether CONFIG SET may change it at run time. Sources, later ones winning:
 * defaults, a config file in redis.conf syntax ({@link parseConfigFile}), `--name value` on the command
 * line. Only options that mean something here exist, plus a few Redis names accepted with no effect, each
 * with its reason (src/server/compat-options.ts); any other name is an error, never silently ignored.
 *
 * Users (`user NAME rules...` lines) are all-or-nothing: fusedb has no per-command or per-key permissions,
 * so the only rules accepted are those that grant everything or manage passwords (src/server/users.ts).
 */

import { Buffer } from "node:buffer";
import { COMPAT_OPTIONS, canonicalOption, OPTION_ALIASES, type OptionDef } from "./compat-options.js";
import { DATABASES_MAX } from "./database-map.js";
import { parseInteger } from "./integer-text.js";
import { eventFlagsText, INVALID_EVENT_CLASS, parseEventFlags } from "./notifications.js";
import { splitInlineArgs } from "./resp-parser.js";

const MB = 1024 * 1024;

/** Every option, in the order `fusedb server --help` lists them. */
export const OPTIONS: Readonly<Record<string, OptionDef>> = {
  port: {
    kind: "int",
    defaultText: "6379",
    mutable: false,
    min: 0,
    max: 65535,
    help: "TCP port (0: any free port)",
  },
  bind: {
    kind: "list",
    defaultText: "127.0.0.1",
    mutable: false,
    help: "addresses to listen on (a leading - makes one optional)",
  },
  "protected-mode": {
    kind: "bool",
    defaultText: "yes",
    mutable: true,
    help: "refuse non-loopback clients while the default user has no password",
  },
  requirepass: {
    kind: "string",
    defaultText: "",
    mutable: true,
    help: "password of the default user (empty: none)",
  },
  maxclients: {
    kind: "int",
    defaultText: "10000",
    mutable: true,
    min: 1,
    max: 1_000_000,
    help: "most connected clients",
  },
  timeout: {
    kind: "int",
    defaultText: "0",
    mutable: true,
    min: 0,
    max: 2_147_483_647,
    help: "close clients idle this many seconds (0: never)",
  },
  "proto-max-bulk-len": {
    kind: "bytes",
    defaultText: "8mb",
    mutable: true,
    min: MB,
    max: 512 * MB,
    help: "longest request argument",
  },
  "client-query-buffer-limit": {
    kind: "bytes",
    defaultText: "64mb",
    mutable: true,
    min: MB,
    max: 1024 * MB,
    help: "most request bytes held per client",
  },
  databases: {
    kind: "int",
    defaultText: "16",
    mutable: false,
    min: 1,
    max: DATABASES_MAX,
    help: "number of databases (SELECT 0..n-1)",
  },
  "busy-reply-threshold": {
    kind: "int",
    defaultText: "5000",
    mutable: true,
    min: 0,
    max: 2_147_483_647,
    help: "ms a script runs before other clients get -BUSY and SCRIPT KILL may stop it (alias lua-time-limit)",
  },
  dir: { kind: "string", defaultText: "./fusedb-data", mutable: false, help: "data directory" },
  appendonly: {
    kind: "bool",
    defaultText: "yes",
    mutable: false,
    help: "no: keep data in memory only (durability 'memory')",
  },
  appendfsync: {
    kind: "enum",
    defaultText: "always",
    mutable: false,
    values: ["always", "everysec", "no"],
    help: "always: reply after fdatasync; everysec|no: durability 'relaxed'",
  },
  "notify-keyspace-events": {
    kind: "events",
    defaultText: "",
    mutable: true,
    help: "keyspace notification classes (Redis's letters, e.g. KEA; empty: off)",
  },
  "client-output-buffer-limit": {
    kind: "output-limits",
    defaultText: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    mutable: true,
    help: "<class> <hard> <soft> <soft-seconds> ...: disconnect clients whose unsent replies pass a limit",
  },
  "tls-port": {
    kind: "int",
    defaultText: "0",
    mutable: false,
    min: 0,
    max: 65535,
    help: "TLS port on every bind address (0: no TLS)",
  },
  "tls-cert-file": { kind: "string", defaultText: "", mutable: false, help: "server certificate (PEM)" },
  "tls-key-file": { kind: "string", defaultText: "", mutable: false, help: "server private key (PEM)" },
  "tls-ca-cert-file": {
    kind: "string",
    defaultText: "",
    mutable: false,
    help: "CA certificates (PEM) that client certificates must chain to",
  },
  "tls-auth-clients": {
    kind: "enum",
    defaultText: "yes",
    mutable: false,
    values: ["yes", "no", "optional"],
    help: "yes: clients must present a certificate; optional: checked if presented; no: not asked",
  },
  ...COMPAT_OPTIONS,
};

/** One class's `client-output-buffer-limit`: bytes, and how long the soft limit may be exceeded. */
export interface OutputLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

/** The classes of `client-output-buffer-limit`, in CONFIG GET's order ("replica" is read as "slave"). */
export type ClientClass = "normal" | "slave" | "pubsub";
const CLIENT_CLASSES: readonly ClientClass[] = ["normal", "slave", "pubsub"];

/** Reads `<class> <hard> <soft> <seconds>` groups over `current`, Redis's updateClientOutputBufferLimit. */
function mergeOutputLimits(current: string, args: readonly string[]): string {
  const words = args.flatMap((a) => a.split(/\s+/).filter(Boolean));
  if (words.length % 4 !== 0) {
    throw new ConfigError("Wrong number of arguments in buffer limit configuration.");
  }
  const limits = outputLimitsOf(current);
  for (let i = 0; i < words.length; i += 4) {
    const name = (words[i] as string).toLowerCase();
    const cls = name === "replica" ? "slave" : name;
    if (!CLIENT_CLASSES.includes(cls as ClientClass)) {
      throw new ConfigError("Invalid client class specified in buffer limit configuration.");
    }
    const hard = parseBytes(words[i + 1] as string);
    const soft = parseBytes(words[i + 2] as string);
    const seconds = parseInteger(Buffer.from(words[i + 3] as string));
    if (
      hard === undefined ||
      soft === undefined ||
      seconds === undefined ||
      hard < 0 ||
      soft < 0 ||
      seconds < 0
    ) {
      throw new ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    limits.set(cls as ClientClass, { hardBytes: hard, softBytes: soft, softSeconds: seconds });
  }
  return CLIENT_CLASSES.map((c) => {
    const l = limits.get(c) as OutputLimit;
    return `${c} ${l.hardBytes} ${l.softBytes} ${l.softSeconds}`;
  }).join(" ");
}

/** The limits in a canonical `client-output-buffer-limit` text (as {@link mergeOutputLimits} writes it). */
function outputLimitsOf(text: string): Map<ClientClass, OutputLimit> {
  const words = text.split(" ").filter(Boolean);
  const out = new Map<ClientClass, OutputLimit>();
  for (let i = 0; i + 3 < words.length; i += 4) {
    out.set(words[i] as ClientClass, {
      hardBytes: Number(words[i + 1]),
      softBytes: Number(words[i + 2]),
      softSeconds: Number(words[i + 3]),
    });
  }
  return out;
}

/** A config value as stored. */
type Value = number | boolean | string | readonly string[];

/** Bad config text or a bad CONFIG SET: `message` is what Redis would say after "ERR ". */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Redis's memtoll: `123`, `1k` (1000), `1kb` (1024), `m`/`mb`, `g`/`gb`, case-insensitive. */
export function parseBytes(text: string): number | undefined {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb)?$/i.exec(text);
  if (m === null) return undefined;
  const units: Record<string, number> = { k: 1e3, kb: 1024, m: 1e6, mb: MB, g: 1e9, gb: 1024 * MB };
  const n = Number(m[1]) * (m[2] === undefined ? 1 : (units[m[2].toLowerCase()] as number));
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseValue(name: string, def: OptionDef, args: readonly string[], current?: Value): Value {
  if (def.kind === "output-limits") {
    return mergeOutputLimits(typeof current === "string" ? current : "", args);
  }
  if (def.kind === "list")
    return args.length === 0 ? [] : args.flatMap((a) => a.split(/\s+/).filter(Boolean));
  if (args.length !== 1) throw new ConfigError(`wrong number of arguments for '${name}'`);
  const text = args[0] as string;
  switch (def.kind) {
    case "string":
      return text;
    case "events": {
      const flags = parseEventFlags(text);
      if (flags === undefined) throw new ConfigError(INVALID_EVENT_CLASS);
      return eventFlagsText(flags);
    }
    case "bool": {
      const t = text.toLowerCase();
      if (t !== "yes" && t !== "no") throw new ConfigError(`argument must be 'yes' or 'no'`);
      return t === "yes";
    }
    case "enum": {
      const t = text.toLowerCase();
      if (!def.values?.includes(t))
        throw new ConfigError(
          `argument(s) must be one of the following: ${def.values?.map((v) => (v === "" ? '""' : v)).join(", ")}`,
        );
      return t;
    }
    case "int":
    case "bytes": {
      const n = def.kind === "int" ? parseInteger(Buffer.from(text)) : parseBytes(text);
      if (n === undefined) {
        // Redis's texts: its memory options and its integer options word the error differently.
        throw new ConfigError(
          def.kind === "int"
            ? "argument couldn't be parsed into an integer"
            : "argument must be a memory value",
        );
      }
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        throw new ConfigError(`argument must be between ${def.min} and ${def.max} inclusive`);
      }
      return n;
    }
  }
}

function showValue(v: Value): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  return v.join(" ");
}

/** The settings of one server. Values are checked on every change; `get` shows them as CONFIG GET does. */
export class ServerConfig {
  private readonly values = new Map<string, Value>();
  /** `user` lines, in order (applied by src/server/users.ts). */
  readonly userRules: string[][] = [];
  /** Path of the config file, if one was loaded (INFO server `config_file`). */
  configFile = "";

  constructor() {
    for (const [name, def] of Object.entries(OPTIONS)) {
      this.values.set(
        name,
        parseValue(
          name,
          def,
          def.kind === "list" || def.kind === "output-limits"
            ? def.defaultText.split(" ")
            : [def.defaultText],
          def.defaultText,
        ),
      );
    }
  }

  /**
   * Applies one directive from a config file or the command line (`user` lines are collected). Rules that
   * relate options are checked by {@link validate} once every source is applied.
   * @throws ConfigError for an unknown name or a bad value.
   */
  apply(name: string, args: readonly string[]): void {
    if (name.toLowerCase() === "user") {
      if (args.length < 1) throw new ConfigError("wrong number of arguments for 'user'");
      this.userRules.push([...args]);
      return;
    }
    const key = canonicalOption(name.toLowerCase());
    const def = OPTIONS[key];
    if (def === undefined) throw new ConfigError(`unknown option '${name}'`);
    this.values.set(key, parseValue(key, def, args, this.values.get(key)));
  }

  /**
   * CONFIG SET: all pairs are checked first, then all applied, so a failed call changes nothing.
   * @throws ConfigError with Redis's message for an unknown, immutable or invalid option.
   */
  set(pairs: readonly (readonly [string, string])[]): void {
    const next = new Map(this.values);
    for (const [name, text] of pairs) {
      const key = canonicalOption(name.toLowerCase());
      const def = OPTIONS[key];
      if (def === undefined)
        throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
      if (!def.mutable)
        throw new ConfigError(
          `CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`,
        );
      try {
        next.set(key, parseValue(key, def, [text], next.get(key)));
      } catch (err) {
        throw new ConfigError(
          `CONFIG SET failed (possibly related to argument '${name}') - ${(err as Error).message}`,
        );
      }
    }
    const before = new Map(this.values);
    for (const [k, v] of next) this.values.set(k, v);
    try {
      this.checkInvariants();
    } catch (err) {
      for (const [k, v] of before) this.values.set(k, v);
      throw new ConfigError(`CONFIG SET failed - ${(err as Error).message}`);
    }
  }

  /** Checks the rules between options. @throws ConfigError. */
  validate(): void {
    this.checkInvariants();
  }

  private checkInvariants(): void {
    if (this.int("proto-max-bulk-len") > this.int("client-query-buffer-limit")) {
      throw new ConfigError("proto-max-bulk-len must not exceed client-query-buffer-limit");
    }
    if (this.int("tls-port") === 0) return;
    if (this.text("tls-cert-file") === "" || this.text("tls-key-file") === "") {
      throw new ConfigError("tls-port needs tls-cert-file and tls-key-file");
    }
    if (this.text("tls-auth-clients") !== "no" && this.text("tls-ca-cert-file") === "") {
      throw new ConfigError(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients is enabled!",
      );
    }
  }

  /** CONFIG GET: the options whose names match `matches`, as [name, text] in definition order, aliases last. */
  show(matches: (name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const name of [...Object.keys(OPTIONS), ...Object.keys(OPTION_ALIASES)]) {
      const value = this.values.get(canonicalOption(name)) as Value;
      if (matches(name)) out.push([name, showValue(value)]);
    }
    return out;
  }

  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== "number") throw new Error(`config ${name} is not a number`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (typeof v !== "boolean") throw new Error(`config ${name} is not a boolean`);
    return v;
  }

  text(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== "string") throw new Error(`config ${name} is not text`);
    return v;
  }

  /** `notify-keyspace-events` as Redis's flag bits (src/server/notifications.ts). */
  eventFlags(): number {
    return parseEventFlags(this.text("notify-keyspace-events")) ?? 0;
  }

  /** `client-output-buffer-limit` of one client class. */
  outputLimit(cls: ClientClass): OutputLimit {
    return outputLimitsOf(this.text("client-output-buffer-limit")).get(cls) as OutputLimit;
  }

  list(name: string): readonly string[] {
    const v = this.values.get(name);
    if (!Array.isArray(v)) throw new Error(`config ${name} is not a list`);
    return v;
  }
}

/**
 * Reads redis.conf text: one directive per line, `#` comments, arguments split and unquoted as Redis does
 * (the inline request rules). Applies each to `config`.
 * @throws ConfigError naming the line number and the problem.
 */
export function parseConfigFile(text: string, config: ServerConfig): void {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const args = splitInlineArgs(Buffer.from(line, "utf8"));
    if (args === undefined) throw new ConfigError(`line ${i + 1}: unbalanced quotes`);
    const [name, ...rest] = args.map((a) => a.toString("utf8"));
    if (name === undefined) continue;
    try {
      config.apply(name, rest);
    } catch (err) {
      throw new ConfigError(`line ${i + 1} ('${line}'): ${(err as Error).message}`);
    }
  }
}
