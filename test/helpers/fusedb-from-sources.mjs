/**
 * The `fusedb` command run from the TypeScript sources, no build needed (bin/fusedb.js runs dist/):
 * `node --import ./register-ts-loader.mjs fusedb-from-sources.mjs <args>`. Sets the process exit code.
 */
import { main } from "../../cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
