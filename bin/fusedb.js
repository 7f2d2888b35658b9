#!/usr/bin/env node
// The `fusedb` command: a thin launcher for the compiled CLI (built by `npm install` via `prepare`).
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 2;
  },
);
