/**
 * The `fusedb` command line: the composition root (the only place besides src/io/node-* that touches the
 * OS, wall time and randomness). Each subcommand lives in its own file and is registered here in one line.
 */
import { Command, CommanderError } from "commander";
import { checkCommand } from "./check-command.js";
import { crashChildCommand } from "./crash-child.js";
import { demoCommand } from "./demo.js";
import { inspectCommand } from "./inspect-command.js";
import { serverCommand } from "./server-command.js";
import { shellCommand } from "./shell.js";
import { simCommand } from "./sim-command.js";
import { webCommand } from "./web/web-command.js";

/** Parses `argv` (the arguments after the script path), runs the command, and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command("fusedb")
    .description("fusedb: an embedded durable key-value engine for small, hot, mutable state")
    .exitOverride()
    .addCommand(shellCommand(setExit))
    .addCommand(demoCommand(setExit))
    .addCommand(simCommand(setExit))
    .addCommand(inspectCommand(setExit))
    .addCommand(checkCommand(setExit))
    .addCommand(webCommand(setExit))
    .addCommand(serverCommand(setExit))
    .addCommand(crashChildCommand(setExit), { hidden: true });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}
