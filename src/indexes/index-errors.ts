/** The index errors of lookups by name (shared by db.query and the snapshot and transaction queries). */
import { IndexError } from "../errors.js";

/** FUSEDB_INDEX_NOT_FOUND for index `name`. */
export function notFound(name: string): IndexError {
  return new IndexError("FUSEDB_INDEX_NOT_FOUND", `no index ${name}`, name);
}

/** FUSEDB_INDEX_NOT_READY for index `name` (building, or failed). */
export function notReady(name: string): IndexError {
  return new IndexError("FUSEDB_INDEX_NOT_READY", `index ${name} is not ready`, name);
}
