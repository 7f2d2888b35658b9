/**
 * Compare-and-set for every data-type write (`db.strings`, `db.hashes`, `db.lists`, `db.sets`, `db.zsets`,
 * `db.keys`): the options {@link TypesWriteOptions} every write method takes as its last argument, turned
 * into a {@link WriteGuard} that the runner (src/types/runner.ts) checks once, before the operation runs, on
 * the same newest state the operation resolves on. The rule is the documents' (src/doc/entry.ts
 * `Conditional`): a key's current version is its live version, 0 if it is not live (never written, deleted
 * or expired), and a mismatch rejects the whole call with `VersionConflictError` (FUSEDB_VERSION_CONFLICT),
 * changing nothing (no WAL record, no event). docs/versions.md has the table of which key `ifVersion` names.
 * Idea: etcd's transaction compares on mod revision, HTTP If-Match.
 */
import type { Buffer } from "node:buffer";
import { optionsOf } from "../arguments.js";
import { liveVersion } from "../doc/entry.js";
import type { KeyInput, KeyString } from "../doc/key.js";
import { userKeyBytes } from "../doc/key.js";
import { InvalidArgumentError, VersionConflictError } from "../errors.js";
import type { Txn } from "./txn.js";

/**
 * The compare-and-set options of a data-type write. Both forms may be given; every condition must hold.
 * - `ifVersion`: the version the method's primary key must have now: the first key the method names (its
 *   `key`; `source` for SMOVE, LMOVE, RENAME, RENAMENX and COPY; `destination` for the *STORE methods; the
 *   first key of DEL's and UNLINK's list and of MSET's and MSETNX's pairs). 0: the key must not be live.
 * - `ifVersions`: versions any keys must have now (an object of UTF-8 keys, or [key, version] pairs for
 *   byte keys), whether the call writes them or only reads them (SINTERSTORE's sources, COPY's destination).
 * - `onCommit`: called once the call is acknowledged (durable in mode 'fsync'), before its promise
 *   resolves, with what it did ({@link TypesWriteInfo}); also when it changed nothing. What it throws
 *   rejects the call's promise, though the write stands.
 * Versions are non-negative safe integers; pass the version read (`db.versionOf`, a `ChangeEvent`, an
 * earlier `onCommit`'s `version`), never a guess (docs/versions.md).
 */
export interface TypesWriteOptions {
  ifVersion?: number;
  ifVersions?: Readonly<Record<string, number>> | readonly (readonly [KeyInput, number])[];
  onCommit?: (info: TypesWriteInfo) => void;
}

/** What a committed data-type write did, as {@link TypesWriteOptions.onCommit} receives it. */
export interface TypesWriteInfo {
  /** LSN of the WAL record holding the change; undefined if the call changed nothing. */
  lsn: number | undefined;
  /**
   * The primary key's version after the call: its live version, 0 if the call left it not live (deleted,
   * never created). What to pass as the next call's `ifVersion`. Undefined for a call with no primary key
   * (`db.zsets.atomic`).
   */
  version: number | undefined;
  /**
   * Every key the call changed, with its new version (a delete's too), in the order first written: what
   * the call's `ChangeEvent`s say. Empty if it changed nothing.
   */
  changed: { key: Buffer; version: number }[];
}

/** A caller's conditions as tree keys: checked by {@link checkGuard}, reported by {@link writeInfo}. */
export interface WriteGuard {
  /** The method's primary key (undefined: a call that names none, `db.zsets.atomic`). */
  readonly primary: KeyString | undefined;
  /** [key, version] conditions, `ifVersion`'s first. */
  readonly checks: readonly (readonly [KeyString, number])[];
  readonly onCommit: ((info: TypesWriteInfo) => void) | undefined;
}

/** A version as a condition. @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT). */
function versionArg(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `${what} must be a non-negative safe integer`);
  }
  return v;
}

/**
 * Validates a write's options into a guard, before anything runs; undefined if they ask for nothing.
 * `key` turns a caller's key into a tree key (its checks).
 * @throws InvalidArgumentError (FUSEDB_INVALID_ARGUMENT) for options that are not an object, a version that
 *   is not a non-negative safe integer, a malformed `ifVersions`, a non-function `onCommit`, or `ifVersion`
 *   on a call without a primary key.
 */
export function writeGuard(
  options: TypesWriteOptions | undefined,
  primary: KeyString | undefined,
  key: (k: unknown) => KeyString,
): WriteGuard | undefined {
  const { ifVersion, ifVersions, onCommit } = optionsOf(options, "write options");
  if (ifVersion === undefined && ifVersions === undefined && onCommit === undefined) return undefined;
  const checks: [KeyString, number][] = [];
  if (ifVersion !== undefined) {
    if (primary === undefined) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "this call names no key: use ifVersions");
    }
    checks.push([primary, versionArg(ifVersion, "ifVersion")]);
  }
  if (ifVersions !== undefined) {
    const pairs: unknown[] = Array.isArray(ifVersions)
      ? ifVersions
      : typeof ifVersions === "object" && ifVersions !== null && !(ifVersions instanceof Uint8Array)
        ? Object.entries(ifVersions)
        : [undefined];
    for (const p of pairs) {
      if (!Array.isArray(p) || p.length !== 2) {
        throw new InvalidArgumentError(
          "FUSEDB_INVALID_ARGUMENT",
          "ifVersions must be an object of versions or [key, version] pairs",
        );
      }
      checks.push([key(p[0]), versionArg(p[1], "an ifVersions version")]);
    }
  }
  if (onCommit !== undefined && typeof onCommit !== "function") {
    throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "onCommit must be a function");
  }
  return { primary, checks, onCommit };
}

/**
 * Checks every condition of `guard` on the call's state, before its operation runs.
 * @throws VersionConflictError (expected: the condition, actual: the key's live version or 0) on the first
 *   that fails; NeedRead (src/types/view.ts) when a key must be read first.
 */
export function checkGuard(tx: Txn, guard: WriteGuard): void {
  for (const [k, expected] of guard.checks) {
    const actual = liveVersion(tx.entry(k), tx.nowMs);
    if (actual !== expected) throw new VersionConflictError(expected, actual);
  }
}

/** The call's {@link TypesWriteInfo} but its LSN, read from its state once the operation ran. */
export function writeInfo(tx: Txn, guard: WriteGuard): Omit<TypesWriteInfo, "lsn"> {
  const version = guard.primary === undefined ? undefined : liveVersion(tx.entry(guard.primary), tx.nowMs);
  const changed = tx.changedKeys().map(([k, v]) => ({ key: userKeyBytes(k), version: v }));
  return { version, changed };
}
