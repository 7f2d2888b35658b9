/**
 * `fusedb crash-child <dir>` (hidden): the victim of the demo's process-crash test. Opens the database,
 * prints `ready`, then runs concurrent loops of durable `incr(key, 1)` over a few counter keys until it is
 * killed. Before each call it prints `issue <key>`; after each acknowledgement `ack <key> <value> <version>`.
 * Each line is written with a blocking write(2) on fd 1 (not process.stdout, which queues in memory when
 * the pipe is full, and SIGKILL would drop the queue), so it is out of the process before the next step.
 */
import { writeSync } from "node:fs";
import { Command } from "commander";
import { open } from "../src/index.js";

/** Counter keys of the crash test: `counter:00` .. `counter:15`. */
export const CRASH_KEYS: readonly string[] = Array.from(
  { length: 16 },
  (_, i) => `counter:${String(i).padStart(2, "0")}`,
);

/** Concurrent increment loops in the child. */
const LOOPS = 32;
/** Bound on retries of one report line while the pipe is full (EAGAIN on a non-blocking fd). */
const REPORT_RETRIES_MAX = 1_000_000;
/** Bound on increments per loop; the parent kills the child long before. */
const INCREMENTS_PER_LOOP_MAX = 10_000_000;

/** Builds the hidden `crash-child` subcommand (it only ends by being killed or by an error). */
export function crashChildCommand(setExit: (code: number) => void): Command {
  return new Command("crash-child")
    .description("(internal) increment counters durably until killed; used by demo")
    .argument("<dir>", "data directory")
    .action(async (dir: string) => {
      await runCrashChild(dir);
      setExit(0);
    });
}

async function runCrashChild(dir: string): Promise<void> {
  const db = await open(dir);
  report("ready\n");
  const loop = async (loopIndex: number): Promise<void> => {
    for (let i = 0; i < INCREMENTS_PER_LOOP_MAX; i++) {
      const key = CRASH_KEYS[(loopIndex + i) % CRASH_KEYS.length] as string;
      report(`issue ${key}\n`);
      const { value, version } = await db.incr(key, 1);
      report(`ack ${key} ${JSON.stringify(value)} ${version}\n`);
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
  await db.close();
}

/** Writes `line` to fd 1 synchronously and completely before returning. */
function report(line: string): void {
  const bytes = Buffer.from(line, "utf8");
  let done = 0;
  for (let attempt = 0; done < bytes.length; attempt++) {
    if (attempt >= REPORT_RETRIES_MAX) throw new Error("crash-child: stdout stayed full");
    try {
      done += writeSync(1, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}
