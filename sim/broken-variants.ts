/**
 * The deliberately broken variants the simulator must catch (issue 4, "Sensitivity"; TigerBeetle's canary
 * habit: a checker that cannot fail proves nothing). Each is a disk wrapper (faults/canary.ts) or a test-only
 * engine knob (`FuseDBConfig.unsafeForTesting`). `fusedb sim --broken <name>` runs campaigns or exhaustive
 * mode on one; test/sim-sensitivity.test.ts proves each is caught within a bounded number of seeds.
 */

import { LyingSyncFileSystem, NoDirSyncFileSystem } from "../faults/canary.js";
import type { UnsafeForTesting } from "../src/db.js";
import type { FileSystem } from "../src/io/file-system.js";

/** One broken variant: what it breaks, and how. */
export interface BrokenVariant {
  /** One line: the promise it breaks. */
  what: string;
  /** Wraps the disk the engine sees. */
  wrapFs?: (fs: FileSystem) => FileSystem;
  /** Breaks the engine itself. */
  unsafeForTesting?: UnsafeForTesting;
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
    what: "the WAL writer acknowledges a group commit before its fdatasync",
    unsafeForTesting: { ackBeforeSync: true },
    seenWith: "crash",
  },
  "ignore-checksums": {
    what: "WAL recovery and segment reads accept data whose crc32 does not match",
    unsafeForTesting: { ignoreChecksums: true },
    seenWith: "rot",
  },
  "truncate-at-first-bad-record": {
    what: "WAL recovery cuts the log at the first bad record, as if all damage were a torn tail",
    unsafeForTesting: { truncateAtFirstBadRecord: true },
    seenWith: "rot",
  },
};
