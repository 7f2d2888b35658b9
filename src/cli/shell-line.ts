/**
 * One line of the `fusedb shell` language (FluxDB's commands): parses it, runs it against the database and
 * returns the text to print. Errors become `ERR <code> <message>` lines; the line then changed nothing.
 */
import type { FuseDB } from "../db.js";
import type { Json } from "../doc/json.js";
import { FuseError, InvalidArgumentError } from "../errors.js";

/** What one line did: the text to print (possibly empty) and whether the session should end. */
export interface LineOutcome {
  output: string;
  exit: boolean;
}

/**
 * Runs one shell line. Commands (any case): SET key json, GET key, DELETE key, PATCH key json,
 * INCR key [delta], CHECKPOINT, EXIT. The key is the token after the command; the JSON is the rest of the
 * line, so it may contain spaces. Non-fusedb errors (bugs, assertion failures) propagate.
 */
export async function runShellLine(db: FuseDB, line: string): Promise<LineOutcome> {
  try {
    return await dispatch(db, line.trim());
  } catch (err) {
    if (err instanceof FuseError) return { output: `ERR ${err.code} ${err.message}`, exit: false };
    throw err;
  }
}

async function dispatch(db: FuseDB, line: string): Promise<LineOutcome> {
  if (line === "") return { output: "", exit: false };
  const [command, rest] = splitToken(line);
  const name = command.toUpperCase();
  switch (name) {
    case "EXIT":
    case "QUIT":
      return { output: "", exit: true };
    case "CHECKPOINT": {
      const { lsn } = await db.checkpoint();
      return done(`OK checkpoint lsn=${lsn}`);
    }
  }
  const [key, argument] = splitToken(rest);
  if (key === "") throw usage(`${name} needs a key`);
  switch (name) {
    case "GET": {
      const found = await db.get(key);
      return done(
        found === undefined ? "(nil)" : `${JSON.stringify(found.value)} (version ${found.version})`,
      );
    }
    case "SET": {
      const { version } = await db.set(key, parseJson(argument));
      return done(`OK version=${version}`);
    }
    case "DELETE":
    case "DEL": {
      const { version } = await db.delete(key);
      return done(`OK version=${version}`);
    }
    case "PATCH": {
      const { version, value } = await db.patch(key, parseJson(argument));
      return done(`OK version=${version} value=${JSON.stringify(value)}`);
    }
    case "INCR": {
      const delta = argument === "" ? 1 : Number(argument);
      const { version, value } = await db.incr(key, delta);
      return done(`OK version=${version} value=${JSON.stringify(value)}`);
    }
    default:
      throw usage(
        `unknown command ${JSON.stringify(command)}; try SET GET DELETE PATCH INCR CHECKPOINT EXIT`,
      );
  }
}

function done(output: string): LineOutcome {
  return { output, exit: false };
}

/** Splits off the first whitespace-delimited token; the rest is trimmed. */
function splitToken(text: string): [string, string] {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text);
  return [match?.[1] ?? "", (match?.[2] ?? "").trim()];
}

function parseJson(text: string): Json {
  if (text === "") throw new InvalidArgumentError("FUSEDB_INVALID_JSON", "missing JSON value");
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new InvalidArgumentError("FUSEDB_INVALID_JSON", `invalid JSON ${text}: ${(err as Error).message}`);
  }
}

function usage(message: string): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", message);
}
