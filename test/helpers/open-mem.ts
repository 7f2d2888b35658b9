/**
 * Opens a FuseDB in directory "/db" of a test disk (the simulated disk without latency, test/helpers/
 * sim-disk.ts), with a virtual clock that stays at 0: these tests assert behaviour, never timing.
 */
import { SimClock } from "../../sim/disk/sim-clock.js";
import type { FuseDBOptions } from "../../src/db.js";
import { FuseDB } from "../../src/db.js";
import type { FileSystem } from "../../src/io/file-system.js";

/** The data directory every in-memory test uses. */
export const DIR = "/db";

export function openMem(fs: FileSystem, options: FuseDBOptions = {}): Promise<FuseDB> {
  return FuseDB.open({ ...options, dir: DIR, fs, clock: new SimClock(0) });
}
