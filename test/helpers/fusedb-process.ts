/**
 * `fusedb server ARGS` as a child process, run from the TypeScript sources (fusedb-from-sources.mjs under
 * register-ts-loader.mjs, no build needed), with its stdout and stderr gathered into one text.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Cleanup } from "./cleanups.js";

/** Longest wait for the server's output to show what a test waits for (a cold start compiles the sources). */
const START_MS_MAX = 90_000;

/** A running (or exited) `fusedb server`. */
export interface FusedbServerProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far, in arrival order. */
  output(): string;
  /** The exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Starts `fusedb server ...args`; `cleanups` SIGKILLs it after the test. */
export function spawnFusedbServer(args: string[], cleanups: Cleanup[]): FusedbServerProcess {
  const helpers = import.meta.dirname;
  const child = spawn(
    process.execPath,
    [
      "--import",
      join(helpers, "register-ts-loader.mjs"),
      join(helpers, "fusedb-from-sources.mjs"),
      "server",
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  cleanups.push(async () => child.kill("SIGKILL"));
  return { child, output: () => out, exited };
}

/**
 * Resolves with the first match of `pattern` in the server's output, looking every 50 ms.
 * @throws Error "server did not start" with the output, after {@link START_MS_MAX}.
 */
export async function waitForOutput(server: FusedbServerProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const start = Date.now();
  // Bounded by START_MS_MAX (the throw below).
  for (;;) {
    const match = pattern.exec(server.output());
    if (match !== null) return match;
    if (Date.now() - start > START_MS_MAX) throw new Error(`server did not start: ${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
