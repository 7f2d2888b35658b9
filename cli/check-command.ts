/**
 * `fusedb check <dir> [--json]`: verifies every checksum and invariant of a data directory
 * (src/tools/check.ts) and prints each problem and a summary line. Read-only and lock-free.
 * Exit code 0 if there is no error (warnings allowed), 1 on damage.
 */
import { Command } from "commander";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import { checkDatabase, formatCheckReport } from "../src/tools/check.js";

/** Builds the `check` subcommand; `setExit` receives 0 (ok) or 1 (damage found). */
export function checkCommand(setExit: (code: number) => void): Command {
  return new Command("check")
    .description("verify every checksum and invariant of a data directory; exit 1 on damage (read-only)")
    .argument("<dir>", "data directory")
    .option("--json", "one JSON object on stdout")
    .action(async (dir: string, flags: { json?: boolean }) => {
      const report = await checkDatabase(new NodeFileSystem(), dir);
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report),
      );
      setExit(report.ok ? 0 : 1);
    });
}
