/**
 * String commands (Redis 7.0, redis.io/commands/?group=string) on the engine's strings
 * (src/types/string-ops.ts): each a pure operation run as one engine call, and one step of EXEC's single
 * atomic call. Arguments are parsed in Redis's order: option syntax in `prepare` (CommandError), integers
 * and expiry times inside the operation where Redis checks them after the key (GETEX answers null for an
 * absent key whatever its expiry argument says).
 */
import type { Buffer } from "node:buffer";
import { string2ll } from "../../types/numbers.js";
import * as ops from "../../types/string-ops.js";
import type { Txn } from "../../types/txn.js";
import { keyword } from "../args.js";
import { type CommandFlag, type CommandSpec, type TypedOp, typedCommand } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { bin, bulkOf, int64Arg, keyArg } from "./typed-args.js";

/** SET/GETEX options after Redis's parseExtendedStringArgumentsOrReply. */
interface ParsedOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expiry?: ops.Expiry;
}

const EXPIRY_UNITS: Record<string, ops.Expiry["unit"]> = { EX: "ex", PX: "px", EXAT: "exat", PXAT: "pxat" };

/**
 * Parses SET's (`set`) or GETEX's options from `args[from]` on, with Redis 7.0's rules: NX/XX exclude each
 * other, GET and KEEPTTL are SET's, PERSIST is GETEX's, one expiry unit (repeating the same unit is allowed,
 * the last wins), KEEPTTL and PERSIST exclude expiries. @throws CommandError "ERR syntax error".
 */
function parseOptions(args: readonly Buffer[], from: number, set: boolean): ParsedOptions {
  const o: ParsedOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false };
  for (let j = from; j < args.length; j++) {
    const opt = keyword(args[j]);
    const next = args[j + 1];
    const unit = EXPIRY_UNITS[opt];
    if (opt === "NX" && set && !o.xx) o.nx = true;
    else if (opt === "XX" && set && !o.nx) o.xx = true;
    else if (opt === "GET" && set) o.get = true;
    else if (opt === "KEEPTTL" && set && o.expiry === undefined) o.keepTtl = true;
    else if (opt === "PERSIST" && !set && o.expiry === undefined) o.persist = true;
    else if (
      unit !== undefined &&
      next !== undefined &&
      !o.keepTtl &&
      !o.persist &&
      (o.expiry === undefined || o.expiry.unit === unit)
    ) {
      o.expiry = { unit, amount: bin(next) };
      j++;
    } else throw new CommandError(ERR.syntax);
  }
  return o;
}

const KEY1 = [1, 1, 1] as const;

/** One string command's spec (Redis 7.0's COMMAND INFO metadata) running `prepare`'s operation. */
function stringCommand(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  since: string,
  summary: string,
  write: boolean,
  prepare: TypedOp["prepare"],
  keys: readonly [number, number, number] = KEY1,
): CommandSpec {
  return typedCommand({
    name,
    arity,
    flags,
    keys,
    group: "string",
    since,
    summary,
    typed: { write, prepare },
  });
}

const READ = ["readonly", "fast"] as const;
const WRITE_FAST = ["write", "denyoom", "fast"] as const;
const WRITE = ["write", "denyoom"] as const;

/** A key command's operation on one key: `op(tx, key)` → reply. */
function onKey(op: (tx: Txn, k: string, args: readonly Buffer[]) => Reply): TypedOp["prepare"] {
  return (ctx: CommandContext, args: readonly Buffer[]) => {
    const k = keyArg(ctx, args);
    return (tx) => op(tx, k, args);
  };
}

/** INCR/DECR/INCRBY/DECRBY: the delta parsed before the key is looked at, as Redis. */
function counter(sign: 1n | -1n, fixed?: bigint): TypedOp["prepare"] {
  return (ctx, args) => {
    const k = keyArg(ctx, args);
    const delta = fixed ?? int64Arg(args[2]);
    return (tx) => R.integer(sign === 1n ? ops.incrby(tx, k, delta) : ops.decrby(tx, k, delta));
  };
}

/** SET-style writes: SETNX, SETEX, PSETEX. */
function setVariant(flags: ops.SetFlags, unit?: ops.Expiry["unit"]): TypedOp["prepare"] {
  const command = unit === "ex" ? "setex" : "psetex";
  return (ctx, args) => {
    const k = keyArg(ctx, args);
    if (unit === undefined) {
      const v = bin(args[2]);
      return (tx) => R.integer(ops.set(tx, k, v, flags).written ? 1 : 0);
    }
    const expiry: ops.Expiry = { unit, amount: bin(args[2]) };
    const v = bin(args[3]);
    return (tx) => {
      ops.set(tx, k, v, { expiry }, command);
      return R.ok;
    };
  };
}

/** MSET/MSETNX's pairs. @throws CommandError on an odd count, as Redis's arity error. */
function pairsOf(ctx: CommandContext, args: readonly Buffer[], name: string): [string, string][] {
  if (args.length % 2 === 0) throw new CommandError(`ERR wrong number of arguments for '${name}' command`);
  const pairs: [string, string][] = [];
  for (let i = 1; i < args.length; i += 2) pairs.push([keyArg(ctx, args, i), bin(args[i + 1])]);
  return pairs;
}

function getrange(ctx: CommandContext, args: readonly Buffer[]): (tx: Txn) => Reply {
  const k = keyArg(ctx, args);
  const start = int64Arg(args[2]);
  const end = int64Arg(args[3]);
  return (tx) => bulkOf(ops.getrange(tx, k, start, end));
}

/** Redis's default proto-max-bulk-len: GETBIT's offset bound, and SETBIT's before the value limit. */
const GETBIT_BYTES_MAX = 512 * 1024 * 1024;

/** A SETBIT/GETBIT offset argument as an int64. @throws CommandError with Redis's offset error. */
function bitOffsetArg(arg: Buffer | undefined): bigint {
  const v = string2ll(bin(arg));
  if (v === undefined) throw new CommandError(ops.BIT_OFFSET_ERROR);
  return v;
}

export const stringCommands: CommandSpec[] = [
  stringCommand(
    "get",
    2,
    READ,
    "1.0.0",
    "Returns the string value of a key",
    false,
    onKey((tx, k) => bulkOf(ops.get(tx, k))),
  ),
  stringCommand(
    "set",
    -3,
    WRITE,
    "1.0.0",
    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const v = bin(args[2]);
      const o = parseOptions(args, 3, true);
      return (tx) => {
        const r = ops.set(tx, k, v, o);
        if (o.get) return bulkOf(r.old);
        return r.written ? R.ok : R.null;
      };
    },
  ),
  stringCommand(
    "setnx",
    3,
    WRITE_FAST,
    "1.0.0",
    "Set the string value of a key only when the key doesn't exist",
    true,
    setVariant({ nx: true }),
  ),
  stringCommand(
    "setex",
    4,
    WRITE,
    "2.0.0",
    "Sets the string value and expiration time of a key. Creates the key if it doesn't exist",
    true,
    setVariant({}, "ex"),
  ),
  stringCommand(
    "psetex",
    4,
    WRITE,
    "2.6.0",
    "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist",
    true,
    setVariant({}, "px"),
  ),
  stringCommand(
    "getset",
    3,
    WRITE_FAST,
    "1.0.0",
    "Returns the previous string value of a key after setting it to a new value",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const v = bin(args[2]);
      return (tx) => bulkOf(ops.set(tx, k, v, { get: true }).old);
    },
  ),
  stringCommand(
    "getdel",
    2,
    ["write", "fast"],
    "6.2.0",
    "Returns the string value of a key after deleting the key",
    true,
    onKey((tx, k) => bulkOf(ops.getdel(tx, k))),
  ),
  stringCommand(
    "getex",
    -2,
    ["write", "fast"],
    "6.2.0",
    "Returns the string value of a key after setting its expiration time",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const o = parseOptions(args, 2, false);
      return (tx) => bulkOf(ops.getex(tx, k, o));
    },
  ),
  stringCommand(
    "append",
    3,
    WRITE_FAST,
    "2.0.0",
    "Appends a string to the value of a key. Creates the key if it doesn't exist",
    true,
    onKey((tx, k, args) => R.integer(ops.append(tx, k, bin(args[2])))),
  ),
  stringCommand(
    "strlen",
    2,
    READ,
    "2.2.0",
    "Returns the length of a string value",
    false,
    onKey((tx, k) => R.integer(ops.strlen(tx, k))),
  ),
  stringCommand(
    "getrange",
    4,
    ["readonly"],
    "2.4.0",
    "Returns a substring of the string stored at a key",
    false,
    getrange,
  ),
  stringCommand(
    "substr",
    4,
    ["readonly"],
    "1.0.0",
    "Returns a substring from a string value",
    false,
    getrange,
  ),
  stringCommand(
    "setrange",
    4,
    WRITE,
    "2.2.0",
    "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const offset = int64Arg(args[2]);
      const v = bin(args[3]);
      return (tx) => R.integer(ops.setrange(tx, k, offset, v));
    },
  ),
  stringCommand(
    "incr",
    2,
    WRITE_FAST,
    "1.0.0",
    "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist",
    true,
    counter(1n, 1n),
  ),
  stringCommand(
    "decr",
    2,
    WRITE_FAST,
    "1.0.0",
    "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist",
    true,
    counter(1n, -1n),
  ),
  stringCommand(
    "incrby",
    3,
    WRITE_FAST,
    "1.0.0",
    "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist",
    true,
    counter(1n),
  ),
  stringCommand(
    "decrby",
    3,
    WRITE_FAST,
    "1.0.0",
    "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist",
    true,
    counter(-1n),
  ),
  stringCommand(
    "incrbyfloat",
    3,
    WRITE_FAST,
    "2.6.0",
    "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist",
    true,
    onKey((tx, k, args) => R.bulk(ops.incrbyfloat(tx, k, bin(args[2])))),
  ),
  stringCommand(
    "mget",
    -2,
    READ,
    "1.0.0",
    "Atomically returns the string values of one or more keys",
    false,
    (ctx, args) => {
      const keys = args.slice(1).map((_, i) => keyArg(ctx, args, i + 1));
      return (tx) => R.array(ops.mget(tx, keys).map(bulkOf));
    },
    [1, -1, 1],
  ),
  stringCommand(
    "mset",
    -3,
    WRITE,
    "1.0.1",
    "Atomically creates or modifies the string values of one or more keys",
    true,
    (ctx, args) => {
      const pairs = pairsOf(ctx, args, "mset");
      return (tx) => {
        ops.mset(tx, pairs);
        return R.ok;
      };
    },
    [1, -1, 2],
  ),
  stringCommand(
    "msetnx",
    -3,
    WRITE,
    "1.0.1",
    "Atomically modifies the string values of one or more keys only when all keys don't exist",
    true,
    (ctx, args) => {
      const pairs = pairsOf(ctx, args, "msetnx");
      return (tx) => R.integer(ops.msetnx(tx, pairs) ? 1 : 0);
    },
    [1, -1, 2],
  ),
  stringCommand(
    "setbit",
    4,
    WRITE,
    "2.2.0",
    "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist",
    true,
    (ctx, args) => {
      const k = keyArg(ctx, args);
      const offset = bitOffsetArg(args[2]);
      ops.bitOffset(offset, GETBIT_BYTES_MAX); // Redis's own bound first; the value limit in the operation
      const on = string2ll(bin(args[3]));
      if (on !== 0n && on !== 1n) throw new CommandError(ops.BIT_VALUE_ERROR);
      return (tx) => R.integer(ops.setbit(tx, k, offset, on === 1n ? 1 : 0));
    },
  ),
  stringCommand("getbit", 3, READ, "2.2.0", "Returns a bit value by offset", false, (ctx, args) => {
    const k = keyArg(ctx, args);
    const offset = ops.bitOffset(bitOffsetArg(args[2]), GETBIT_BYTES_MAX);
    return (tx) => R.integer(ops.getbit(tx, k, offset));
  }),
];
