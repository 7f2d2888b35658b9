/**
 * `fusedb shell [dir]`: the FluxDB-style command shell. Interactive with a `fusedb> ` prompt on a TTY; line
 * by line without a prompt from a pipe. Lines run strictly in order, each awaited before the next; EOF acts
 * as EXIT and closes the database cleanly. Input bytes are decoded without loss (./utf8-escape.ts), so a
 * line that is not valid UTF-8 is refused rather than run with U+FFFD in place of its bytes.
 */
import { createInterface } from "node:readline";
import { Command } from "commander";
import { FuseError } from "../src/errors.js";
import { open } from "../src/index.js";
import { runShellLine } from "./shell-line.js";
import { escapedText } from "./utf8-escape.js";

/** Default data directory of `shell` and `demo`. */
export const DATA_DIR_DEFAULT = "./fusedb-data";

/** Builds the `shell` subcommand; `setExit` receives the exit code (0 clean, 1 if the db failed to open). */
export function shellCommand(setExit: (code: number) => void): Command {
  return new Command("shell")
    .description("interactive shell: SET/GET/DELETE/PATCH/INCR/CHECKPOINT/EXIT (reads a pipe too)")
    .argument("[dir]", "data directory", DATA_DIR_DEFAULT)
    .action(async (dir: string) => {
      setExit(await runShell(dir));
    });
}

async function runShell(dir: string): Promise<number> {
  let db: Awaited<ReturnType<typeof open>>;
  try {
    db = await open(dir);
  } catch (err) {
    if (!(err instanceof FuseError)) throw err;
    console.log(`ERR ${err.code} ${err.message}`);
    return 1;
  }
  const interactive = process.stdin.isTTY === true;
  const input = escapedText(process.stdin);
  const rl = createInterface({ input, output: process.stdout, terminal: interactive });
  rl.setPrompt("fusedb> ");
  try {
    if (interactive) rl.prompt();
    for await (const line of rl) {
      const outcome = await runShellLine(db, line);
      if (outcome.output !== "") console.log(outcome.output);
      if (outcome.exit) break;
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
    // Stop reading: input left unread after EXIT must not keep the process alive.
    process.stdin.unpipe(input);
    process.stdin.pause();
    await db.close();
  }
  return 0;
}
