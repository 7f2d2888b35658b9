/**
 * The engine under test, as every harness opens, drives and reads it (campaigns, exhaustive mode, rot
 * checks, the metamorphic op log): one way to open it on a disk with a clock (a broken disk wrapper or a
 * deliberately broken engine when a sensitivity test asks for one), to apply a model mutation through the
 * public API, to read back the state of a set of keys, and to describe mutations in reports and traces.
 *
 * Nothing here drives the simulation: callers wait on the returned promises through their own `Driver`
 * (or, off the simulated disk, directly).
 */
import type { FuseDB, FuseDBOptions, RecoveryMode } from "../src/db.js";
import { openWithRecoveryMode, SCAN_LIMIT_MAX } from "../src/db.js";
import type { Clock } from "../src/io/clock.js";
import type { FileSystem } from "../src/io/file-system.js";
import type { ModelJson, ModelMutation, ModelState } from "./model.js";
import { canonical } from "./model.js";
import { withContent } from "./typed-dump.js";

/** The engine's directory on a virtual disk, for every harness. */
export const ENGINE_DIR = "/db";

/** How a sensitivity test breaks the engine under test (sim/broken-variants.ts); empty for a sound one. */
export interface EngineBreakage {
  /** Wraps the disk the engine sees (a lying fsync, say). */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Breaks the engine's recovery on purpose (src/options.ts RecoveryMode); default 'strict'. */
  recoveryMode?: RecoveryMode;
}

/** Only the {@link EngineBreakage} fields of `options` (a harness's options extend it). */
export function breakageOf(options: EngineBreakage): EngineBreakage {
  return { wrapFs: options.wrapFs, recoveryMode: options.recoveryMode };
}

/** Where and how to open the engine under test. */
export interface EngineSetup extends EngineBreakage {
  /** The disk, before `wrapFs`. */
  fs: FileSystem;
  clock: Clock;
  /** Engine options (everything but the directory, disk and clock). */
  knobs: FuseDBOptions;
  /** The engine's directory. Default {@link ENGINE_DIR}. */
  dir?: string;
}

/**
 * Opens (and so recovers) the engine as `setup` says. Not driven: on a simulated disk, wait on it with a
 * `Driver`.
 * @throws (as a rejection) whatever `FuseDB.open` throws.
 */
export function openEngine(setup: EngineSetup): Promise<FuseDB> {
  return openWithRecoveryMode(
    {
      ...setup.knobs,
      dir: setup.dir ?? ENGINE_DIR,
      fs: setup.wrapFs ? setup.wrapFs(setup.fs) : setup.fs,
      clock: setup.clock,
    },
    setup.recoveryMode ?? "strict",
  );
}

/** What applying mutations returned: the WAL record's LSN and one result per mutation. */
export interface AppliedMutations {
  lsn: number;
  /** Each mutation's new version, and its new value for patch and incr. */
  results: { version: number; value?: unknown }[];
}

/**
 * Applies `mutations` through the public API: as one `batch` call if `batch`, else the first one through
 * its own call (set, delete, patch, incr, expire), with its `ifVersion` and `ttlMs`. Not driven.
 * @throws (as a rejection) whatever the engine rejects the call with.
 */
export async function applyMutations(
  db: FuseDB,
  mutations: readonly ModelMutation[],
  batch: boolean,
): Promise<AppliedMutations> {
  if (batch) {
    const r = await db.batch(mutations);
    return r;
  }
  const m = mutations[0];
  if (m === undefined) throw new RangeError("applyMutations: no mutation");
  const cond = { ifVersion: m.ifVersion };
  let r: { lsn: number; version: number; value?: unknown };
  switch (m.op) {
    case "set":
      r = await db.set(m.key, m.value, { ttlMs: m.ttlMs, ifVersion: m.ifVersion });
      break;
    case "delete":
      r = await db.delete(m.key, cond);
      break;
    case "patch":
      r = await db.patch(m.key, m.patch, cond);
      break;
    case "incr":
      r = await db.incr(m.key, m.delta, cond);
      break;
    case "expire":
      r = await db.expire(m.key, m.ms, cond);
      break;
  }
  return { lsn: r.lsn, results: [r] };
}

/** Options of {@link dumpState}. */
export interface DumpOptions {
  /**
   * Also read each key with `get`, and every key with one `scan`, and require both to show exactly what
   * `inspect` says is visible at `nowMs`.
   */
  crossCheck?: boolean;
  /** Virtual time of the reads (what is visible). Required with `crossCheck`. */
  nowMs?: number;
}

/**
 * Reads back the state of `keys` (tombstones count: `versionOf` and `inspect`, so a deleted or expired key
 * keeps its version), in the order given. Not driven.
 * @throws Error naming the key when the engine's views of a key disagree (`versionOf` vs `inspect`, and
 *   with `crossCheck` also `get` and `scan`); whatever the engine's reads reject with.
 */
export async function dumpState(
  db: FuseDB,
  keys: readonly string[],
  options: DumpOptions = {},
): Promise<Map<string, ModelState>> {
  const out = new Map<string, ModelState>();
  const scanned = options.crossCheck ? await scanAll(db) : undefined;
  for (const key of keys) {
    const version = await db.versionOf(key);
    const got = await db.inspect(key);
    if (got !== undefined && got.version !== version) {
      throw new Error(`${key}: inspect says version ${got.version}, versionOf ${version}`);
    }
    if (scanned !== undefined) {
      const now = options.nowMs;
      if (now === undefined) throw new RangeError("dumpState: crossCheck needs nowMs");
      const visible = got?.value !== undefined && (got.expiresAtMs === undefined || now < got.expiresAtMs);
      const want = visible ? view(got) : "absent";
      const live = view(await db.get(key));
      const listed = view(scanned.get(key));
      if (live !== want || listed !== want) {
        throw new Error(`${key}: inspect says ${want}, get ${live}, scan ${listed}`);
      }
    }
    const state: ModelState = { version, value: got?.value as ModelJson | undefined };
    if (got?.expiresAtMs !== undefined) state.expiresAtMs = got.expiresAtMs;
    out.set(key, got?.value === undefined ? state : await withContent(db, key, state));
  }
  return out;
}

/** Every live document, by key. @throws Error if there are too many for one bounded scan. */
async function scanAll(db: FuseDB): Promise<Map<string, { version: number; value: unknown }>> {
  const entries = await db.scan({ limit: SCAN_LIMIT_MAX });
  if (entries.length >= SCAN_LIMIT_MAX) throw new Error(`dumpState: ${SCAN_LIMIT_MAX} or more live keys`);
  return new Map(entries.map((e) => [e.key, e] as const));
}

function view(v: { version: number; value: unknown } | undefined): string {
  return v === undefined ? "absent" : `v${v.version} ${canonical(v.value as ModelJson)}`;
}

/** Longest value text shown whole by {@link describeMutations}; longer ones are abbreviated. */
const SHOWN_VALUE_CHARS_MAX = 64;

/**
 * `mutations` as one line (`set k=1 ttl 5 if v2; incr k 3`), values as JSON text, abbreviated past
 * {@link SHOWN_VALUE_CHARS_MAX} characters; `batch` wraps it as `batch [...]`. Campaign traces hash it:
 * changing it changes trace hashes.
 */
export function describeMutations(mutations: readonly ModelMutation[], batch = false): string {
  const text = mutations
    .map((m) => {
      const cond = m.ifVersion === undefined ? "" : ` if v${m.ifVersion}`;
      return describeMutation(m) + cond;
    })
    .join("; ");
  return batch ? `batch [${text}]` : text;
}

function describeMutation(m: ModelMutation): string {
  switch (m.op) {
    case "set":
      return `set ${m.key}=${shown(m.value)}${m.ttlMs === undefined ? "" : ` ttl ${m.ttlMs}`}`;
    case "patch":
      return `patch ${m.key} ${shown(m.patch)}`;
    case "incr":
      return `incr ${m.key} ${m.delta}`;
    case "expire":
      return `expire ${m.key} ${m.ms}`;
    case "delete":
      return `delete ${m.key}`;
  }
}

function shown(v: ModelJson): string {
  const text = JSON.stringify(v);
  if (text.length <= SHOWN_VALUE_CHARS_MAX) return text;
  return `${text.slice(0, SHOWN_VALUE_CHARS_MAX / 2)}…(${text.length} chars)`;
}
