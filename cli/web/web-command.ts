/**
 * `fusedb web [dir] [--port N]`: the live web view. One process holds the engine (database in `<dir>/web`,
 * kept between runs) and serves the page on 127.0.0.1 (web-server.ts); crash rounds run a child process on
 * `<dir>/crash`, recreated at every start. Runs until SIGINT or SIGTERM, then closes the tabs, waits for a
 * running crash round and closes the database.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Command, InvalidArgumentError as CommanderArgumentError } from "commander";
import { FuseError, open, SUBSCRIBER_QUEUE_MAX_DEFAULT, SystemClock } from "../../src/index.js";
import { DATA_DIR_DEFAULT } from "../shell.js";
import { startWebServer } from "./web-server.js";

/** Default TCP port. */
export const WEB_PORT_DEFAULT = 7080;
/** Default bound on a tab's unsent WebSocket bytes before its events are held back. */
export const BUFFERED_BYTES_MAX_DEFAULT = 1024 * 1024;

interface WebFlags {
  port: number;
  queueMax: number;
  bufferedMax: number;
}

function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new CommanderArgumentError(`expected an integer ${min}..${max}`);
    }
    return n;
  };
}

/** Builds the `web` subcommand; `setExit` receives 0 after a clean shutdown, 1 if the db failed to open. */
export function webCommand(setExit: (code: number) => void): Command {
  return new Command("web")
    .description("live web view on 127.0.0.1: watch a prefix, write, crash a writer and see recovery")
    .argument(
      "[dir]",
      "data directory (database in <dir>/web, crash rounds in <dir>/crash)",
      DATA_DIR_DEFAULT,
    )
    .option("--port <n>", "TCP port on 127.0.0.1 (0: any free port)", integerIn(0, 65_535), WEB_PORT_DEFAULT)
    .option(
      "--queue-max <events>",
      "events a tab may fall behind before it is evicted (FUSEDB_SLOW_SUBSCRIBER)",
      integerIn(1, 1_000_000),
      SUBSCRIBER_QUEUE_MAX_DEFAULT,
    )
    .option(
      "--buffered-max <bytes>",
      "unsent WebSocket bytes of a tab before its events are held back",
      integerIn(1, 1 << 30),
      BUFFERED_BYTES_MAX_DEFAULT,
    )
    .action(async (dir: string, flags: WebFlags) => {
      setExit(await runWeb(dir, flags));
    });
}

async function runWeb(dir: string, flags: WebFlags): Promise<number> {
  const dbDir = join(dir, "web");
  const crashDir = join(dir, "crash");
  const clock = new SystemClock();
  let db: Awaited<ReturnType<typeof open>>;
  try {
    db = await open(dbDir, { clock });
  } catch (err) {
    if (!(err instanceof FuseError)) throw err;
    console.error(`ERR ${err.code} ${err.message}`);
    return 1;
  }
  // Only after the lock on <dir>/web is ours: a second `fusedb web` on this dir must not touch <dir>/crash.
  rmSync(crashDir, { recursive: true, force: true });
  mkdirSync(crashDir, { recursive: true });
  let server: Awaited<ReturnType<typeof startWebServer>>;
  try {
    server = await startWebServer({
      db,
      clock,
      crashDir,
      port: flags.port,
      queueMax: flags.queueMax,
      bufferedBytesMax: flags.bufferedMax,
    });
  } catch (err) {
    await db.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EACCES") throw err;
    console.error(`ERR ${code} cannot listen on 127.0.0.1:${flags.port}`);
    return 1;
  }
  console.log(`fusedb web ${server.url}  (database ${dbDir}, crash rounds ${crashDir}; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  await db.close();
  console.log("fusedb web stopped");
  return 0;
}
