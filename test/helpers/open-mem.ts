/** Opens a FuseDB over a {@link MemFileSystem} in directory "db", with a clock that never moves. */
import type { FuseDBOptions } from "../../src/db.js";
import { FuseDB } from "../../src/db.js";
import type { MemFileSystem } from "./mem-fs.js";
import { fixedClock } from "./mem-fs.js";

/** The data directory every in-memory test uses. */
export const DIR = "db";

export function openMem(fs: MemFileSystem, options: FuseDBOptions = {}): Promise<FuseDB> {
  return FuseDB.open({ ...options, dir: DIR, fs, clock: fixedClock });
}
