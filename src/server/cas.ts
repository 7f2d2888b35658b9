/**
 * Read-check-write commands (DEL counting what existed, PERSIST, EXPIRE with NX/XX/GT/LT, JSON.NUMINCRBY
 * on a float) read a key, decide, and write with `ifVersion` set to the version read: the engine rejects the
 * write if any other client changed the key in between (optimistic concurrency), and the command starts
 * over. So each such command takes effect as if alone, on the state it read.
 */
import { VersionConflictError } from "../index.js";
import { CommandError } from "./reply-errors.js";

/** Attempts before a command gives up under contention (each lost attempt means another client won). */
export const CAS_ATTEMPTS_MAX = 64;

/** Runs `attempt` until it does not hit a version conflict, at most {@link CAS_ATTEMPTS_MAX} times. */
export async function casLoop<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      if (i >= CAS_ATTEMPTS_MAX) {
        throw new CommandError(`ERR the key changed under this command ${i} times in a row; try again`);
      }
    }
  }
}
