/**
 * An operation log for metamorphic tests (Pebble's metamorphic/ package): `generateOpLog` draws one log from
 * a seed, `runOpLog` plays it against a fresh database on the simulated disk (latency off) with a virtual clock and
 * records every answer as JSON text, so runs under different knobs can be compared answer by answer.
 *
 * Determinism: the log and the clock depend on the seed alone. Reads and sequential mutations are awaited
 * one by one; a `group` issues its mutations (and maybe a checkpoint) without awaiting in between, which is
 * deterministic because calls take effect in call order (src/db.ts, write path point 1).
 */

import type { Prng } from "../../sim/disk/prng.js";
import { Zipf } from "../../sim/disk/prng.js";
import { SimFileSystem } from "../../sim/disk/sim-file-system.js";
import { applyMutations, openEngine } from "../../sim/engine-under-test.js";
import type { ModelJson, ModelMutation } from "../../sim/model.js";
import type { Durability, FuseDB, FuseDBOptions, ScanOptions } from "../../src/db.js";
import type { Clock } from "../../src/io/clock.js";
import { DIR } from "./open-mem.js";

/** One step of the log. Every step first moves the clock by `advanceMs`. */
export type Op =
  | { kind: "mutate"; m: ModelMutation; advanceMs: number }
  | { kind: "batch"; mutations: ModelMutation[]; advanceMs: number }
  | { kind: "get" | "ttl" | "versionOf" | "inspect"; key: string; advanceMs: number }
  | { kind: "scan"; options: ScanOptions; advanceMs: number }
  | { kind: "checkpoint"; advanceMs: number }
  /** Close and open again (recovery). Skipped in durability 'memory', with the same answer. */
  | { kind: "reopen"; advanceMs: number }
  /** Calls issued back to back without awaiting; each call first moves the clock by its `advanceMs`. */
  | { kind: "group"; calls: GroupCall[]; advanceMs: number };

/** A call inside a group: a mutation, a batch, or a checkpoint whose LSN is not recorded (it races). */
export type GroupCall =
  | { kind: "mutate"; m: ModelMutation; advanceMs: number }
  | { kind: "batch"; mutations: ModelMutation[]; advanceMs: number }
  | { kind: "checkpoint"; advanceMs: number };

/** Shape of a generated log. */
export interface OpLogShape {
  keys: number;
  /** Steps of the sequential phase. */
  sequentialOps: number;
  /** Groups of the concurrent phase; each is followed by a few sequential reads. */
  groups: number;
  /** Most calls in one group. */
  groupCallsMax: number;
  /** Sequential-phase indexes at which the database is closed and reopened. */
  reopenAt: number[];
}

const KEY_PAD = 4;
const keyName = (i: number): string => `k${String(i).padStart(KEY_PAD, "0")}`;

/** Draws a log from `prng`: skewed (scrambled Zipf) keys, every kind of call, every scan bound combination. */
export function generateOpLog(prng: Prng, shape: OpLogShape): Op[] {
  const zipf = new Zipf(prng.fork("keys"), shape.keys, 0.99, true);
  const key = (): string => (prng.bool(0.97) ? keyName(zipf.next()) : keyName(prng.int(shape.keys)));
  const advance = (): number => (prng.bool(0.01) ? prng.range(200, 600) : prng.int(4));
  const log: Op[] = [];
  let scans = 0;
  const scan = (): Op => ({
    kind: "scan",
    options: scanOptions(prng, scans++, shape.keys),
    advanceMs: advance(),
  });
  const fullScan = (): Op => ({ kind: "scan", options: { limit: 100_000 }, advanceMs: 0 });

  for (let i = 0; i < shape.sequentialOps; i++) {
    if (shape.reopenAt.includes(i)) {
      log.push({ kind: "reopen", advanceMs: advance() }, fullScan());
      continue;
    }
    const r = prng.int(100);
    const advanceMs = advance();
    if (r < 42) log.push({ kind: "mutate", m: mutation(prng, key), advanceMs });
    else if (r < 47) log.push({ kind: "batch", mutations: batch(prng, key), advanceMs });
    else if (r < 62) log.push({ kind: "get", key: key(), advanceMs });
    else if (r < 66) log.push({ kind: "ttl", key: key(), advanceMs });
    else if (r < 71) log.push({ kind: "versionOf", key: key(), advanceMs });
    else if (r < 76) log.push({ kind: "inspect", key: key(), advanceMs });
    else if (r < 99) log.push(scan());
    else log.push({ kind: "checkpoint", advanceMs });
  }
  for (let g = 0; g < shape.groups; g++) {
    const calls: GroupCall[] = [];
    const n = prng.range(1, shape.groupCallsMax);
    for (let c = 0; c < n; c++) {
      const r = prng.int(100);
      const advanceMs = prng.int(3);
      if (r < 85) calls.push({ kind: "mutate", m: mutation(prng, key), advanceMs });
      else if (r < 97) calls.push({ kind: "batch", mutations: batch(prng, key), advanceMs });
      else calls.push({ kind: "checkpoint", advanceMs });
    }
    log.push({ kind: "group", calls, advanceMs: advance() });
    for (let j = prng.range(1, 3); j > 0; j--) log.push({ kind: "get", key: key(), advanceMs: advance() });
    log.push(scan());
    if (g % 25 === 24) log.push({ kind: "reopen", advanceMs: advance() }, fullScan());
  }
  log.push(fullScan());
  return log;
}

/**
 * Bounds for the `n`th scan: cycles through every combination of lower bound (none, gt, gte), upper bound
 * (none, lt, lte), direction and limit (none, small), with bound keys drawn from in, between and outside the
 * key universe; some ranges are empty or inverted, some span every leaf.
 */
function scanOptions(prng: Prng, n: number, keys: number): ScanOptions {
  const combo = n % 36;
  const lower = combo % 3;
  const upper = Math.floor(combo / 3) % 3;
  const reverse = Math.floor(combo / 9) % 2 === 1;
  const limited = Math.floor(combo / 18) === 1;
  const boundKey = (): string => {
    const i = prng.range(-5, keys + 5);
    const name = keyName(Math.max(0, i));
    return i < 0 ? "k" : prng.bool(0.3) ? `${name}~` : name;
  };
  let lo = boundKey();
  let hi = boundKey();
  if (lo > hi && prng.bool(0.8)) [lo, hi] = [hi, lo];
  const options: ScanOptions = {};
  if (lower === 1) options.gt = lo;
  if (lower === 2) options.gte = lo;
  if (upper === 1) options.lt = hi;
  if (upper === 2) options.lte = hi;
  if (reverse) options.reverse = true;
  if (limited) options.limit = prng.pick([1, 2, 7, 30]);
  return options;
}

function batch(prng: Prng, key: () => string): ModelMutation[] {
  const out: ModelMutation[] = [];
  for (let n = prng.range(2, 6); n > 0; n--) out.push(mutation(prng, key));
  return out;
}

function mutation(prng: Prng, key: () => string): ModelMutation {
  const k = key();
  const r = prng.int(100);
  // A small ifVersion guess: some succeed, some conflict (FUSEDB_VERSION_CONFLICT), 0 means "absent".
  const cond = prng.bool(0.08) ? { ifVersion: prng.int(5) } : {};
  if (r < 45) {
    const ttl = prng.bool(0.2) ? { ttlMs: prng.range(1, 400) } : {};
    return { op: "set", key: k, value: value(prng), ...ttl, ...cond };
  }
  if (r < 65) return { op: "incr", key: k, delta: prng.range(-5, 20), ...cond };
  if (r < 80) return { op: "patch", key: k, patch: patchOf(prng), ...cond };
  if (r < 92) return { op: "delete", key: k, ...cond };
  return { op: "expire", key: k, ms: prng.range(1, 300), ...cond };
}

function value(prng: Prng): ModelJson {
  const r = prng.int(100);
  if (r < 30) return prng.range(-100, 1000);
  if (r < 60)
    return { a: prng.int(1000), b: text(prng, prng.range(0, 40)), tags: [prng.int(9), prng.bool()] };
  if (r < 72) return text(prng, prng.range(0, 100));
  if (r < 92) return text(prng, prng.range(1024, 4096));
  return prng.pick<ModelJson>([null, true, false, [], {}, [1, "two", { three: 3 }]]);
}

function patchOf(prng: Prng): ModelJson {
  if (prng.bool(0.1)) return prng.range(0, 50);
  const patch: Record<string, ModelJson> = {};
  for (let n = prng.range(1, 3); n > 0; n--) {
    const field = prng.pick(["a", "b", "c", "tags"]);
    patch[field] = prng.bool(0.25)
      ? null
      : prng.bool(0.5)
        ? prng.int(100)
        : { x: text(prng, prng.range(0, 30)) };
  }
  return patch;
}

/** `length` characters: a short seeded chunk repeated, so large values stay cheap to draw. */
function text(prng: Prng, length: number): string {
  const chunk = prng.next().toString(36).slice(2, 10).padEnd(8, "z");
  return chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length);
}

/** A clock that moves only when the log moves it; `sleep` and `yield` never wait. */
class ManualClock implements Clock {
  ms = 1_000_000;
  now(): number {
    return this.ms;
  }
  sleep(_ms: number): Promise<void> {
    return Promise.resolve();
  }
  timer(_ms: number, _fire: () => void): () => void {
    return () => {}; // time never passes for the log's timers
  }
  yield(): Promise<void> {
    return Promise.resolve();
  }
}

/** Background work summed over every handle of one run, plus the leaf count at the end. */
export interface TreeTotals {
  flushes: number;
  merges: number;
  splits: number;
  leafMerges: number;
  manifestRewrites: number;
  walFilesDeleted: number;
  cacheEvictions: number;
  cacheHits: number;
  cacheMisses: number;
  leavesAtEnd: number;
}

export interface OpLogRun {
  /** One JSON text per step (a group yields one text holding every call's answer). */
  answers: string[];
  tree: TreeTotals;
}

/** Adds the background work `db` did to `totals`, and takes its leaf count as the one at the end. */
function addTreeStats(totals: TreeTotals, db: FuseDB): void {
  const t = db.stats().tree;
  totals.flushes += t.flushes;
  totals.merges += t.merges;
  totals.splits += t.splits;
  totals.leafMerges += t.leafMerges;
  totals.manifestRewrites += t.manifestRewrites;
  totals.walFilesDeleted += t.walFilesDeleted;
  totals.cacheEvictions += t.cache.evictions;
  totals.cacheHits += t.cache.hits;
  totals.cacheMisses += t.cache.misses;
  totals.leavesAtEnd = t.leaves;
}

/** Plays `log` on a fresh in-memory disk under `options`; never throws for a call's error (it is an answer). */
export async function runOpLog(log: readonly Op[], options: FuseDBOptions): Promise<OpLogRun> {
  const fs = new SimFileSystem({ latency: false });
  const clock = new ManualClock();
  const durability: Durability = options.durability ?? "fsync";
  const open = (): Promise<FuseDB> => openEngine({ fs, clock, knobs: options, dir: DIR });
  const totals: TreeTotals = {
    flushes: 0,
    merges: 0,
    splits: 0,
    leafMerges: 0,
    manifestRewrites: 0,
    walFilesDeleted: 0,
    cacheEvictions: 0,
    cacheHits: 0,
    cacheMisses: 0,
    leavesAtEnd: 0,
  };
  const addStats = (db: FuseDB): void => addTreeStats(totals, db);
  let db = await open();
  const answers: string[] = [];
  for (const op of log) {
    clock.ms += op.advanceMs;
    if (op.kind === "reopen") {
      if (durability !== "memory") {
        addStats(db);
        await db.close();
        db = await open();
      }
      answers.push('"reopened"');
    } else if (op.kind === "group") {
      const handle = db;
      const pending: Promise<unknown>[] = [];
      for (const call of op.calls) {
        clock.ms += call.advanceMs;
        // Issued back to back: the engine must order them by call, whatever its background timing.
        if (call.kind === "checkpoint") pending.push(handle.checkpoint().then(() => "checkpointed"));
        else pending.push(apply(handle, call));
      }
      const settled = await Promise.allSettled(pending);
      answers.push(JSON.stringify(settled.map(outcome)));
    } else {
      const [r] = await Promise.allSettled([apply(db, op)]);
      answers.push(JSON.stringify(outcome(r as PromiseSettledResult<unknown>)));
    }
  }
  addStats(db);
  await db.close();
  return { answers, tree: totals };

  function apply(handle: FuseDB, op: Exclude<Op, { kind: "reopen" | "group" }>): Promise<unknown> {
    switch (op.kind) {
      case "mutate":
        return applyMutations(handle, [op.m], false).then((r) => r.results[0]);
      case "batch":
        return applyMutations(handle, op.mutations, true);
      case "get":
        return handle.get(op.key);
      case "ttl":
        return handle.ttl(op.key);
      case "versionOf":
        return handle.versionOf(op.key);
      case "inspect":
        return handle.inspect(op.key).then((s) => {
          // An expired document may or may not have been turned into a tombstone (same version) by
          // background work yet (StoredState docs): both read as "not live at this version".
          if (s === undefined) return undefined;
          const live = s.value !== undefined && (s.expiresAtMs === undefined || clock.ms < s.expiresAtMs);
          return live ? s : { version: s.version, live: false };
        });
      case "scan":
        return handle
          .scan(op.options)
          .then((entries) =>
            entries.map(({ key, version, value, expiresAtMs }) => ({ key, version, value, expiresAtMs })),
          );
      case "checkpoint":
        return handle.checkpoint();
    }
  }
}

/** A call's answer as plain data: its value, or its error's stable code (an uncoded error is a bug). */
function outcome(r: PromiseSettledResult<unknown>): unknown {
  if (r.status === "fulfilled") return { ok: r.value ?? null };
  const err = r.reason as { code?: unknown; message?: unknown };
  return { error: typeof err?.code === "string" ? err.code : `UNCODED ${String(err?.message ?? err)}` };
}
