/**
 * The deliberately broken variants the simulator must catch (issue 4, "Sensitivity"; TigerBeetle's canary
 * habit: a checker that cannot fail proves nothing). Each is a disk wrapper (faults/canary.ts) or a broken
 * recovery mode, which the harness passes through the engine's internal open path (`openWithRecoveryMode`,
 * src/db.ts; not part of the public API). `fusedb sim --broken <name>` runs campaigns or exhaustive mode on
 * one; test/sim-sensitivity.test.ts proves each is caught within a bounded number of seeds.
 */

import { AckBeforeSyncFileSystem, LyingSyncFileSystem, NoDirSyncFileSystem } from "../faults/canary.js";
import type { FuseDB, FuseDBConfig, RecoveryMode } from "../src/db.js";
import { openWithRecoveryMode } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";
import { parseWalFileName } from "../src/wal/format.js";

/** One broken variant: what it breaks, and how. */
export interface BrokenVariant {
  /** One line: the promise it breaks. */
  what: string;
  /** Wraps the disk the engine sees. */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Breaks the engine's recovery itself (default 'strict': not broken). */
  recoveryMode?: RecoveryMode;
  /**
   * Faults needed to see it: "crash" (power loss alone shows it) or "rot" (only damage to durable data
   * shows it: sim/rot-check.ts, and campaigns through their rot probes and runtime bit flips).
   */
  seenWith: "crash" | "rot";
}

/** Every broken variant, by its `--broken` name. */
export const BROKEN_VARIANTS: Readonly<Record<string, BrokenVariant>> = {
  "lying-fsync": {
    what: "fsync returns success and makes nothing durable",
    wrapFs: (fs) => new LyingSyncFileSystem(fs),
    seenWith: "crash",
  },
  "no-dir-sync": {
    what: "directory fsync does nothing: new files and renames are never durable",
    wrapFs: (fs) => new NoDirSyncFileSystem(fs),
    seenWith: "crash",
  },
  "ack-before-sync": {
    what: "a WAL file's fsync reports success before its data is durable: group commits are acknowledged early",
    wrapFs: (fs) => new AckBeforeSyncFileSystem(fs, isWalFile),
    seenWith: "crash",
  },
  "ignore-checksums": {
    what: "WAL recovery and segment reads accept data whose crc32 does not match",
    recoveryMode: "ignore-checksums",
    seenWith: "rot",
  },
  "truncate-at-first-bad-record": {
    what: "WAL recovery cuts the log at the first bad record, as if all damage were a torn tail",
    recoveryMode: "truncate-at-first-bad-record",
    seenWith: "rot",
  },
  "forget-dead-version-floor": {
    what: "recovery ignores the manifest's dead-version floor: a key whose tombstone was collected restarts its versions",
    recoveryMode: "forget-dead-version-floor",
    seenWith: "crash",
  },
  "forget-clock-floor": {
    what: "recovery ignores the durable clock floor: after a restart under a clock set back, expired documents return",
    recoveryMode: "forget-clock-floor",
    seenWith: "crash",
  },
  "drop-live-elements": {
    what: "background merges drop the elements of live collections as if their generation were dead",
    recoveryMode: "drop-live-elements",
    seenWith: "crash",
  },
  "reuse-generations": {
    what: "every new collection takes generation 0: a collection recreated under a key sees its deleted elements",
    recoveryMode: "reuse-generations",
    seenWith: "crash",
  },
  "stale-zset-index": {
    what: "a sorted-set member whose score changes keeps its old score-index entry: ranges show it twice",
    recoveryMode: "stale-zset-index",
    seenWith: "crash",
  },
  "skip-tx-conflicts": {
    what: "transactions commit without their conflict check: lost updates and write skew get through",
    recoveryMode: "skip-tx-conflicts",
    seenWith: "crash",
  },
  "skip-index-deletes": {
    what: "a document's delete leaves its secondary-index entries (one write path without index maintenance)",
    recoveryMode: "skip-index-deletes",
    seenWith: "crash",
  },
};

/** Whether `path` names a WAL file (`<dir>/wal-<16 digits>.log`). */
function isWalFile(path: string): boolean {
  return parseWalFileName(path.slice(path.lastIndexOf("/") + 1)) !== undefined;
}

/**
 * Opens the engine under test as a harness does: like `FuseDB.open`, but recovering in `recoveryMode`
 * (a broken variant's; 'strict' if undefined).
 */
export function openEngineUnderTest(
  config: FuseDBConfig,
  recoveryMode: RecoveryMode | undefined,
): Promise<FuseDB> {
  return openWithRecoveryMode(config, recoveryMode ?? "strict");
}
