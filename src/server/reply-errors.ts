/**
 * Errors on the wire. Handlers throw {@link CommandError} with Redis's text (`ERR syntax error`,
 * `WRONGTYPE ...`), or let engine errors through; {@link errorReply} turns either into the error reply,
 * mapping each stable engine code to a Redis-style error code. The first word is the code clients switch on.
 */
import { FuseError, VersionConflictError } from "../index.js";
import { R, type Reply } from "./resp-writer.js";

/** An error reply a handler raises; `message` is the whole line: code, space, text. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/** Redis's common error lines. */
export const ERR = {
  syntax: "ERR syntax error",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  noAuth: "NOAUTH Authentication required.",
  wrongPass: "WRONGPASS invalid username-password pair or user is disabled.",
  dbIndex: "ERR DB index is out of range",
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
} as const;

/** The error reply for anything a handler threw. Unexpected errors keep their message after "ERR". */
export function errorReply(err: unknown): Reply {
  if (err instanceof CommandError) return R.error(err.message);
  if (err instanceof VersionConflictError) {
    return R.error(`VERSIONCONFLICT expected version ${err.expected}, key is at ${err.actual}`);
  }
  if (err instanceof FuseError) {
    // Data-type errors (WrongTypeError, DataTypeError) carry Redis's exact reply.
    const reply = (err as { reply?: unknown }).reply;
    if (typeof reply === "string") return R.error(reply);
    switch (err.code) {
      case "FUSEDB_POISONED":
      case "FUSEDB_IO":
        return R.error(`MISCONF ${err.message}`);
      case "FUSEDB_CLOSED":
        return R.error("ERR server is shutting down");
      case "FUSEDB_TYPE_MISMATCH":
        return R.error(ERR.wrongType);
      default:
        return R.error(`ERR ${err.message} (${err.code})`);
    }
  }
  return R.error(`ERR ${err instanceof Error ? err.message : String(err)}`);
}
