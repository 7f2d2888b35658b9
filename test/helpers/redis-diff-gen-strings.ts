/**
 * String and generic-key commands for the Redis differential test: each generator draws one command's
 * arguments (with edge cases) and returns the step that runs it on the model (sim/redis-model/strings.ts,
 * keys.ts). Expiries use fixed far-future instants, or relative times far apart, so replies do not depend on
 * the few ms between Redis's clock and the harness's; GT/LT only ever compare absolute instants.
 */
import {
  type ExpireFlags,
  type ExpiryArg,
  keys,
  type RedisType,
  type SetOptions,
  strings,
} from "../../sim/redis-model/index.js";
import {
  DELTAS,
  EPOCH_2100_S,
  EPOCH_2101_S,
  FLOATS,
  type Gen,
  INDEXES,
  KEYS,
  PATTERNS,
  pick,
  some,
  VALUES,
} from "./redis-diff-alphabet.js";
import { bulk, exact, int, loose, type Step, scan, show, unordered } from "./redis-diff-steps.js";

/** A generator of one command on key `k`. */
export type StepGen = (g: Gen, k: string) => Step;

const bytes = strings.asciiBytes;

/** Expiry arguments: relative ones far apart (11.6 and 23 days), absolute ones years ahead, invalid ones. */
const EXPIRIES: Record<ExpiryArg["unit"], string[]> = {
  ex: ["1000000", "0", "-1", "9223372036854775", "9223372036854775807"],
  px: ["2000000000", "-5", "0", "9223372036854775807"],
  exat: [String(EPOCH_2100_S), String(EPOCH_2101_S), "1", "9223372036854775", "9223372036854776"],
  pxat: [`${EPOCH_2100_S}123`, `${EPOCH_2101_S}000`, "1", "9223372036854775807"],
};

function expiry(g: Gen, absoluteOnly = false): ExpiryArg {
  const unit = pick(g, absoluteOnly ? (["exat", "pxat"] as const) : (["ex", "px", "exat", "pxat"] as const));
  return { unit, amount: BigInt(pick(g, EXPIRIES[unit])) };
}

const expiryArgv = (e: ExpiryArg) => [e.unit.toUpperCase(), String(e.amount)];

function setStep(g: Gen, k: string): Step {
  const v = pick(g, VALUES);
  const opts: SetOptions = {};
  const argv = ["SET", k, v];
  if (g.r.bool(0.25)) opts.nx = true;
  if (g.r.bool(0.25)) opts.xx = true;
  if (g.r.bool(0.3)) opts.get = true;
  if (g.r.bool(0.15)) opts.keepTtl = true;
  if (g.r.bool(0.4)) opts.expiry = expiry(g);
  if (opts.nx) argv.push("NX");
  if (opts.xx) argv.push("XX");
  if (opts.get) argv.push("GET");
  if (opts.keepTtl) argv.push("KEEPTTL");
  if (opts.expiry) argv.push(...expiryArgv(opts.expiry));
  if (opts.expiry?.amount === 1n && opts.expiry.unit.endsWith("at")) g.setExpired.add(k);
  return exact(argv, (ks, now) => bulk(strings.set(ks, k, bytes(v), opts, now)));
}

function getexStep(g: Gen, k: string): Step {
  const opts: { expiry?: ExpiryArg; persist?: boolean } = {};
  const argv = ["GETEX", k];
  if (g.r.bool(0.5)) opts.expiry = expiry(g);
  if (g.r.bool(0.3)) opts.persist = true;
  if (opts.expiry) argv.push(...expiryArgv(opts.expiry));
  if (opts.persist) argv.push("PERSIST");
  return exact(argv, (ks, now) => bulk(strings.getex(ks, k, opts, now)));
}

function expireStep(g: Gen, k: string): Step {
  const flags: ExpireFlags = {};
  for (const f of ["nx", "xx", "gt", "lt"] as const) if (g.r.bool(0.2)) flags[f] = true;
  const when = expiry(g, flags.gt === true || flags.lt === true);
  const name = { ex: "EXPIRE", px: "PEXPIRE", exat: "EXPIREAT", pxat: "PEXPIREAT" }[when.unit];
  const argv = [name, k, String(when.amount), ...Object.keys(flags).map((f) => f.toUpperCase())];
  return exact(argv, (ks, now) => int(keys.expire(ks, k, when, flags, now)));
}

function pairsOf(g: Gen): [string, Uint8Array][] {
  return some(g, KEYS, 3).map((key) => [key, bytes(pick(g, VALUES))]);
}

const TYPES: RedisType[] = ["string", "hash", "list", "set", "zset"];

/** String commands, each on key `k` (multi-key ones draw the others). */
export const STRING_STEPS: StepGen[] = [
  setStep,
  getexStep,
  (_g, k) => exact(["GET", k], (ks, now) => bulk(strings.get(ks, k, now))),
  (_g, k) => exact(["GETDEL", k], (ks, now) => bulk(strings.getdel(ks, k, now))),
  (_g, k) => exact(["STRLEN", k], (ks, now) => int(strings.strlen(ks, k, now))),
  (g, k) => {
    const v = pick(g, VALUES);
    return exact(["APPEND", k, v], (ks, now) => int(strings.append(ks, k, bytes(v), now)));
  },
  (g, k) => {
    const [s, e] = [pick(g, INDEXES), pick(g, INDEXES)];
    return exact(["GETRANGE", k, String(s), String(e)], (ks, now) =>
      bulk(strings.getrange(ks, k, s, e, now)),
    );
  },
  (g, k) => {
    const offset = pick(g, [0, 1, 3, 10, -1, 536870912]);
    const v = pick(g, VALUES);
    return exact(["SETRANGE", k, String(offset), v], (ks, now) =>
      int(strings.setrange(ks, k, offset, bytes(v), now)),
    );
  },
  (g, k) => {
    const d = pick(g, DELTAS);
    const name = pick(g, ["INCR", "DECR", "INCRBY", "DECRBY"]);
    const delta = name === "INCR" ? 1n : name === "DECR" ? -1n : name === "INCRBY" ? BigInt(d) : undefined;
    const argv = name.endsWith("BY") ? [name, k, d] : [name, k];
    return exact(argv, (ks, now) =>
      int(delta === undefined ? strings.decrBy(ks, k, BigInt(d), now) : strings.incrBy(ks, k, delta, now)),
    );
  },
  (g, k) => {
    const f = pick(g, FLOATS);
    return exact(["INCRBYFLOAT", k, f], (ks, now) => bulk(strings.incrByFloat(ks, k, f, now)));
  },
  (g, k) => {
    const ks2 = [k, ...some(g, KEYS, 2)];
    return exact(["MGET", ...ks2], (ks, now) => strings.mget(ks, ks2, now).map(bulk));
  },
  (g) => {
    const pairs = pairsOf(g);
    const argv = ["MSET", ...pairs.flatMap(([key, v]) => [key, strings.latin1(v)])];
    return exact(argv, (ks, now) => strings.mset(ks, pairs, now));
  },
  (g) => {
    const pairs = pairsOf(g);
    const argv = ["MSETNX", ...pairs.flatMap(([key, v]) => [key, strings.latin1(v)])];
    return exact(argv, (ks, now) => int(strings.msetnx(ks, pairs, now)));
  },
];

/** Generic key commands. */
export const KEY_STEPS: StepGen[] = [
  expireStep,
  expireStep,
  (g, k) => {
    const all = [k, ...some(g, KEYS, 2)];
    const name = pick(g, ["DEL", "UNLINK"]);
    return exact([name, ...all], (ks, now) => int(keys.del(ks, all, now)));
  },
  (g, k) => {
    const all = [k, ...some(g, KEYS, 3)];
    return exact(["EXISTS", ...all], (ks, now) => int(keys.exists(ks, all, now)));
  },
  (_g, k) => exact(["TYPE", k], (ks, now) => keys.type(ks, k, now)),
  (g, k) => {
    const dst = pick(g, KEYS);
    const nx = g.r.bool();
    return exact([nx ? "RENAMENX" : "RENAME", k, dst], (ks, now) => String(keys.rename(ks, k, dst, nx, now)));
  },
  (g, k) => {
    const dst = pick(g, KEYS);
    const replace = g.r.bool();
    const argv = ["COPY", k, dst, ...(replace ? ["REPLACE"] : [])];
    return exact(argv, (ks, now) => int(keys.copy(ks, k, dst, replace, now)));
  },
  (_g, k) => loose(["TTL", k], 10, (ks, now) => int(keys.ttl(ks, k, false, now))),
  (_g, k) => loose(["PTTL", k], 10_000, (ks, now) => int(keys.ttl(ks, k, true, now))),
  (_g, k) => loose(["EXPIRETIME", k], 10, (ks, now) => int(keys.expiretime(ks, k, false, now))),
  (_g, k) => loose(["PEXPIRETIME", k], 10_000, (ks, now) => int(keys.expiretime(ks, k, true, now))),
  (_g, k) => exact(["PERSIST", k], (ks, now) => int(keys.persist(ks, k, now))),
  (g) => ({
    argv: ["DBSIZE"],
    // Exact, except that Redis may still count keys SET with a past expiry that nothing has touched since.
    check: (ks, real, now) => {
      const live = keys.dbsize(ks, now);
      const ok = real === int(live) || (Number(real) > live && Number(real) <= live + g.setExpired.size);
      return ok
        ? undefined
        : `model ${live} (up to ${g.setExpired.size} more unreaped) but redis ${show(real)}`;
    },
  }),
  (g) => {
    const match = pick(g, PATTERNS);
    return unordered(["KEYS", match], 1, (ks, now) => keys.scanKeys(ks, { match }, now));
  },
  (g) => {
    const match = g.r.bool() ? pick(g, PATTERNS) : undefined;
    const type = g.r.bool() ? pick(g, TYPES) : undefined;
    const argv = ["SCAN", "0", ...(match === undefined ? [] : ["MATCH", match]), "COUNT", "1000"];
    if (type !== undefined) argv.push("TYPE", type);
    return scan(argv, 1, (ks, now) => keys.scanKeys(ks, { match, type }, now));
  },
];
