/** Opens an engine by name: the registry the harness and the recovery probe share. */
import { openDiskLimit } from "./disk-limit-engine.js";
import type { Engine, EngineName, EngineOptions } from "./engine.js";
import { openFusedb } from "./fusedb-engine.js";
import { openLevel } from "./level-engine.js";
import { openLmdb } from "./lmdb-engine.js";
import { openSqlite } from "./sqlite-engine.js";

export async function openEngine(name: EngineName, dir: string, options: EngineOptions): Promise<Engine> {
  switch (name) {
    case "fusedb":
      return openFusedb(dir, options, "fsync");
    case "fusedb-relaxed":
      return openFusedb(dir, options, "relaxed");
    case "fusedb-memory":
      return openFusedb(dir, options, "memory");
    case "lmdb":
      return openLmdb(dir);
    case "level":
      return openLevel(dir);
    case "sqlite":
      return openSqlite(dir);
    case "disk-limit":
      return openDiskLimit(dir);
  }
}
