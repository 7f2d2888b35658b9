/** Opens an engine by name: the registry the harness and the recovery probe share. */
import { openDiskLimit } from "./disk-limit-engine.js";
import type { Engine, EngineName } from "./engine.js";
import { openFusedb } from "./fusedb-engine.js";
import { openLevel } from "./level-engine.js";
import { openLmdb } from "./lmdb-engine.js";
import { openSqlite } from "./sqlite-engine.js";

/** Opens engine `name` on `dir`, each with its durable settings and otherwise default knobs. */
export async function openEngine(name: EngineName, dir: string): Promise<Engine> {
  switch (name) {
    case "fusedb":
      return openFusedb(dir, "fsync");
    case "fusedb-relaxed":
      return openFusedb(dir, "relaxed");
    case "fusedb-memory":
      return openFusedb(dir, "memory");
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
