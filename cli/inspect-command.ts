/**
 * `fusedb inspect <dir> [--json]`: the leaves, segments, WAL files and manifest of a data directory, with
 * sizes and LSNs (src/tools/inspect.ts). Read-only and lock-free: safe on a database another process has open.
 * Exit code 0, or 1 if `dir` cannot be listed.
 */
import { Command } from "commander";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import { reasonOf } from "../src/tools/db-files.js";
import { formatInspection, inspectDatabase } from "../src/tools/inspect.js";

/** Builds the `inspect` subcommand; `setExit` receives the exit code. */
export function inspectCommand(setExit: (code: number) => void): Command {
  return new Command("inspect")
    .description("show leaves, segments, WAL files and manifest of a data directory (read-only)")
    .argument("<dir>", "data directory")
    .option("--json", "one JSON object on stdout")
    .action(async (dir: string, flags: { json?: boolean }) => {
      try {
        const inspection = await inspectDatabase(new NodeFileSystem(), dir);
        process.stdout.write(
          flags.json === true ? `${JSON.stringify(inspection, null, 2)}\n` : formatInspection(inspection),
        );
        setExit(0);
      } catch (err) {
        console.error(`fusedb inspect: ${reasonOf(err)}`);
        setExit(1);
      }
    });
}
