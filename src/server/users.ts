/**
 * Users and passwords: the `default` user (its password is `requirepass`) and named users from `user` lines
 * in redis.conf syntax. Permissions are all-or-nothing: fusedb has no per-command or per-key ACLs, so a
 * `user` line may only grant everything and manage passwords. A line that would restrict a user in Redis
 * (`~cache:*`, `+get`, `-@dangerous`) is refused at startup rather than silently granting more than asked.
 *
 * Accepted rules: `on`, `off`, `>password`, `<password` (remove), `nopass`, `resetpass`, `~*`/`allkeys`,
 * `&*`/`allchannels`, `+@all`/`allcommands`. A named user must be granted `~*` and `+@all`.
 */
import { Buffer } from "node:buffer";
import { ConfigError } from "./config.js";

/** One user. */
export interface User {
  readonly name: string;
  enabled: boolean;
  /** Any password (or none) is accepted. */
  nopass: boolean;
  passwords: Buffer[];
}

const GRANTS_KEYS = new Set(["~*", "allkeys"]);
const GRANTS_COMMANDS = new Set(["+@all", "allcommands"]);
const GRANTS_OTHER = new Set(["&*", "allchannels"]);

/** Compares two byte strings in time that depends on the longer length only, not on where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function applyRule(user: User, rule: string, grants: { keys: boolean; commands: boolean }): void {
  if (rule === "on") user.enabled = true;
  else if (rule === "off") user.enabled = false;
  else if (rule === "nopass") {
    user.nopass = true;
    user.passwords = [];
  } else if (rule === "resetpass") {
    user.nopass = false;
    user.passwords = [];
  } else if (rule.startsWith(">")) {
    user.nopass = false;
    user.passwords.push(Buffer.from(rule.slice(1), "utf8"));
  } else if (rule.startsWith("<")) {
    const gone = Buffer.from(rule.slice(1), "utf8");
    user.passwords = user.passwords.filter((p) => !sameBytes(p, gone));
  } else if (GRANTS_KEYS.has(rule)) grants.keys = true;
  else if (GRANTS_COMMANDS.has(rule)) grants.commands = true;
  else if (!GRANTS_OTHER.has(rule)) {
    throw new ConfigError(
      `user '${user.name}': rule '${rule}' is not supported (fusedb users are all-or-nothing: on, off, >pass, <pass, nopass, resetpass, ~*, &*, +@all)`,
    );
  }
}

/** The users of a server, rebuilt whenever `requirepass` changes. */
export class Users {
  private readonly byName = new Map<string, User>();

  /**
   * @param rules the `user` lines (name first); `requirepass` replaces the default user's passwords when
   *   not empty, as in Redis.
   * @throws ConfigError for an unsupported rule or a named user not granted everything.
   */
  constructor(rules: readonly (readonly string[])[], requirepass: string) {
    this.byName.set("default", { name: "default", enabled: true, nopass: true, passwords: [] });
    for (const [name, ...list] of rules) {
      if (name === undefined) continue;
      const existing = this.byName.get(name);
      const user = existing ?? { name, enabled: false, nopass: false, passwords: [] };
      const grants = { keys: existing !== undefined, commands: existing !== undefined };
      for (const rule of list) applyRule(user, rule, grants);
      if (!grants.keys || !grants.commands) {
        throw new ConfigError(
          `user '${name}' must be granted every key and command (~* +@all): fusedb has no partial permissions`,
        );
      }
      this.byName.set(name, user);
    }
    if (requirepass !== "") {
      const d = this.byName.get("default") as User;
      d.nopass = false;
      d.passwords = [Buffer.from(requirepass, "utf8")];
    }
  }

  /** Whether a new connection must authenticate (the default user is off or has a password). */
  get authRequired(): boolean {
    const d = this.byName.get("default") as User;
    return !d.enabled || !d.nopass;
  }

  /** Whether the default user accepts connections without a password (protected mode's condition). */
  get defaultHasNoPassword(): boolean {
    return (this.byName.get("default") as User).nopass;
  }

  /** Whether `password` opens user `name` (which must exist and be on). */
  check(name: string, password: Uint8Array): boolean {
    const user = this.byName.get(name);
    if (user === undefined || !user.enabled) return false;
    if (user.nopass) return true;
    let ok = false;
    for (const p of user.passwords) ok = sameBytes(p, password) || ok;
    return ok;
  }
}
