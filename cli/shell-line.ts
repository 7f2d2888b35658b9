/**
 * One line of the `fusedb shell` language (FluxDB's commands): parses it, runs it against the database and
 * returns the text to print. Errors become `ERR <code> <message>` lines; the line then changed nothing.
 * Nothing typed is altered silently: a line that is not valid UTF-8 is refused (FUSEDB_INVALID_ARGUMENT;
 * keys would otherwise alias through U+FFFD), and so is a JSON number the engine cannot store exactly
 * (FUSEDB_OUT_OF_RANGE; values are IEEE-754 doubles, so `12345678901234567890` would become
 * `12345678901234567000`): quote it to store it as a string.
 */
import type { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";
import { FuseError, InvalidArgumentError } from "../src/errors.js";
import { firstInexactNumber } from "./exact-numbers.js";
import { firstNonUtf8 } from "./utf8-escape.js";

/** What one line did: the text to print (possibly empty) and whether the session should end. */
export interface LineOutcome {
  output: string;
  exit: boolean;
}

/** The commands, each spelled one way; matched case-insensitively. */
const COMMANDS = ["SET", "GET", "DELETE", "PATCH", "INCR", "CHECKPOINT", "EXIT"] as const;
type CommandName = (typeof COMMANDS)[number];

/** Longest stretch of the user's input quoted back in an error message, in characters. */
const ECHO_CHARS_MAX = 80;

/**
 * Runs one shell line. Commands (any case): SET key json, GET key, DELETE key, PATCH key json,
 * INCR key [delta], CHECKPOINT, EXIT. The key is the token after the command; the JSON is the rest of the
 * line, so it may contain spaces. A blank line prints nothing. Non-fusedb errors (bugs, assertion
 * failures) propagate.
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
  const bad = firstNonUtf8(line);
  if (bad !== undefined) {
    const what = bad.byte === undefined ? "a lone surrogate" : `byte 0x${bad.byte.toString(16)}`;
    throw usage(`the line is not valid UTF-8 (${what} at character ${bad.index + 1}); it was not run`);
  }
  const [command, rest] = splitToken(line);
  const name = commandName(command);
  if (name === "EXIT" || name === "CHECKPOINT") {
    if (rest !== "") throw usage(`${name} takes no arguments`);
    if (name === "EXIT") return { output: "", exit: true };
    const { lsn } = await db.checkpoint();
    return done(`OK checkpoint lsn=${lsn}`);
  }
  const [key, argument] = splitToken(rest);
  if (key === "") throw usage(`${name} needs a key`);
  switch (name) {
    case "GET": {
      noArgument(name, argument);
      const found = await db.get(key);
      return done(
        found === undefined ? "(nil)" : `${JSON.stringify(found.value)} (version ${found.version})`,
      );
    }
    case "DELETE": {
      noArgument(name, argument);
      const { version } = await db.delete(key);
      return done(`OK version=${version}`);
    }
    case "SET": {
      const { version } = await db.set(key, parseJson(argument));
      return done(`OK version=${version}`);
    }
    case "PATCH": {
      const { version, value } = await db.patch(key, parseJson(argument));
      return done(`OK version=${version} value=${JSON.stringify(value)}`);
    }
    case "INCR": {
      const { version, value } = await db.incr(key, parseDelta(argument));
      return done(`OK version=${version} value=${JSON.stringify(value)}`);
    }
  }
}

function done(output: string): LineOutcome {
  return { output, exit: false };
}

/** The command `token` names, in upper case. @throws InvalidArgumentError for an unknown command. */
function commandName(token: string): CommandName {
  const upper = token.toUpperCase();
  const found = COMMANDS.find((c) => c === upper);
  if (found === undefined) {
    throw usage(`unknown command ${quote(token)}; try ${COMMANDS.join(" ")}`);
  }
  return found;
}

/** Splits off the first whitespace-delimited token; the rest is trimmed. */
function splitToken(text: string): [string, string] {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text);
  return [match?.[1] ?? "", (match?.[2] ?? "").trim()];
}

function noArgument(name: CommandName, argument: string): void {
  if (argument !== "") throw usage(`${name} takes only a key; unexpected ${quote(argument)}`);
}

/** INCR's optional delta: decimal digits with an optional sign (the engine bounds it to a safe integer). */
function parseDelta(text: string): number {
  if (text === "") return 1;
  if (!/^[+-]?\d+$/.test(text)) throw usage(`INCR delta must be a decimal integer, got ${quote(text)}`);
  return Number(text);
}

/**
 * The JSON argument of SET and PATCH. @throws InvalidArgumentError FUSEDB_INVALID_JSON for bad text,
 * FUSEDB_OUT_OF_RANGE for a number that would not be stored exactly.
 */
function parseJson(text: string): Json {
  if (text === "") throw new InvalidArgumentError("FUSEDB_INVALID_JSON", "missing JSON value");
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError("FUSEDB_INVALID_JSON", `invalid JSON ${quote(text)}: ${reason}`);
  }
  const inexact = firstInexactNumber(text);
  if (inexact !== undefined) {
    throw new InvalidArgumentError(
      "FUSEDB_OUT_OF_RANGE",
      `the number ${shorten(inexact.literal)} cannot be stored exactly (it would become ${inexact.stored}); ` +
        "quote it to store a string",
    );
  }
  return value;
}

/** `text` quoted for an error message, shortened to ECHO_CHARS_MAX characters. */
function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

function shorten(text: string): string {
  return text.length > ECHO_CHARS_MAX ? `${text.slice(0, ECHO_CHARS_MAX)}...` : text;
}

function usage(message: string): InvalidArgumentError {
  return new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", message);
}
