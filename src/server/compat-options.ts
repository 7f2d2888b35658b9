/**
 * Redis options that fusedb accepts and shows but that change nothing here, each for a stated reason:
 * Redis's compact-encoding thresholds (fusedb stores every value one way, so there is no listpack, intset or
 * quicklist to tune) and `save` (RDB snapshot points: fusedb has no snapshots; every acknowledged write is
 * already in the WAL). They exist because programs written for Redis set them: Redis's own test suite sets
 * `save ""`, `list-max-ziplist-size`, `set-max-intset-entries`, `hash-max-ziplist-value` and
 * `zset-max-ziplist-entries` before whole groups of tests (and an error there stops the group). CONFIG GET
 * answers what was set; the defaults are Redis 7.0's, except `save`, empty because fusedb never snapshots.
 * `maxmemory` and `maxmemory-policy` take only the values that describe fusedb (0: no limit; noeviction), so
 * a program that asks for eviction learns at once that there is none (Redis's own error texts for bad values).
 * Bounds follow Redis's (sizes 0..2^53-1 here, where Redis allows LONG_MAX).
 */

/** A setting's kind: how its text is read and shown. */
export type OptionKind = "int" | "bytes" | "bool" | "string" | "list" | "enum" | "events" | "output-limits";

/** One option's definition (src/server/config.ts reads these). */
export interface OptionDef {
  readonly kind: OptionKind;
  readonly defaultText: string;
  /** CONFIG SET may change it while the server runs. */
  readonly mutable: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly help: string;
}

const NO_ENCODINGS = "accepted, no effect: fusedb has no compact encodings";
const INT_MAX = 2_147_483_647;

function size(defaultText: string, what: string): OptionDef {
  return {
    kind: "int",
    defaultText,
    mutable: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    help: `${NO_ENCODINGS} (Redis: ${what})`,
  };
}

/** The accepted-but-inert options, by their Redis 7.0 names. */
export const COMPAT_OPTIONS: Readonly<Record<string, OptionDef>> = {
  save: {
    kind: "string",
    defaultText: "",
    mutable: true,
    help: "accepted, no effect: fusedb keeps no RDB snapshots (every acknowledged write is in the WAL)",
  },
  maxmemory: {
    kind: "bytes",
    defaultText: "0",
    mutable: true,
    min: 0,
    max: 0,
    help: "only 0 (no limit): fusedb keeps its data on disk and evicts nothing (INFO memory says so too)",
  },
  "maxmemory-policy": {
    kind: "enum",
    defaultText: "noeviction",
    mutable: true,
    values: ["noeviction"],
    help: "only noeviction: fusedb evicts nothing",
  },
  "hash-max-listpack-entries": size("128", "most fields of a listpack hash"),
  "hash-max-listpack-value": size("64", "longest field of a listpack hash"),
  "zset-max-listpack-entries": size("128", "most members of a listpack sorted set"),
  "zset-max-listpack-value": size("64", "longest member of a listpack sorted set"),
  "set-max-intset-entries": size("512", "most members of an intset"),
  "list-max-listpack-size": {
    kind: "int",
    defaultText: "-2",
    mutable: true,
    min: -INT_MAX - 1,
    max: INT_MAX,
    help: `${NO_ENCODINGS} (Redis: quicklist node size, entries or -1..-5 for 4..64 KB)`,
  },
  "list-compress-depth": {
    kind: "int",
    defaultText: "0",
    mutable: true,
    min: 0,
    max: INT_MAX,
    help: `${NO_ENCODINGS} (Redis: quicklist nodes left uncompressed at each end)`,
  },
};

/** Redis 7.0's older names of options, each read and written as the option it names. */
export const OPTION_ALIASES: Readonly<Record<string, string>> = {
  "hash-max-ziplist-entries": "hash-max-listpack-entries",
  "hash-max-ziplist-value": "hash-max-listpack-value",
  "zset-max-ziplist-entries": "zset-max-listpack-entries",
  "zset-max-ziplist-value": "zset-max-listpack-value",
  "list-max-ziplist-size": "list-max-listpack-size",
  "lua-time-limit": "busy-reply-threshold",
};

/** The option `name` (lower case) stands for: itself, or the option it is an alias of. */
export function canonicalOption(name: string): string {
  return OPTION_ALIASES[name] ?? name;
}
