/**
 * The order of `npm run bench:server`'s measurements: for each pipeline depth, each test, fusedb then
 * Redis back to back (so a drift in the machine's load touches both sides of a ratio alike). A test whose
 * command a server does not know (its probe gets an unknown-command error) is n/a for that server and not
 * run. The processes are behind {@link MatrixOps}, so the order and the n/a rule are tested with fakes.
 */
import { type CellOutcome, type PairedCell, SERVERS, type ServerName } from "./server-report.js";

/** What the matrix needs of the outside world. */
export interface MatrixOps {
  /** Undefined when `server` knows `test`'s command; otherwise the n/a (or error) outcome to record. */
  probe(server: ServerName, test: string): Promise<CellOutcome | undefined>;
  /** Runs redis-benchmark's `test` against `server` at `pipeline` requests per round trip. */
  run(server: ServerName, test: string, pipeline: number): Promise<CellOutcome>;
  /** Told before each measurement (progress on the console). */
  progress?(server: ServerName, test: string, pipeline: number): void;
}

/**
 * Measures every (pipeline, test) on both servers, probing each (server, test) once.
 * @returns one cell per (pipeline, test), pipelines outermost, in the given orders.
 */
export async function measureMatrix(
  tests: readonly string[],
  pipelines: readonly number[],
  ops: MatrixOps,
): Promise<PairedCell[]> {
  const probed = new Map<string, CellOutcome | undefined>();
  const cells: PairedCell[] = [];
  for (const pipeline of pipelines)
    for (const test of tests) {
      const outcomes: Partial<Record<ServerName, CellOutcome>> = {};
      for (const server of SERVERS) {
        const key = `${server} ${test}`;
        if (!probed.has(key)) probed.set(key, await ops.probe(server, test));
        const missing = probed.get(key);
        if (missing !== undefined) {
          outcomes[server] = missing;
          continue;
        }
        ops.progress?.(server, test, pipeline);
        outcomes[server] = await ops.run(server, test, pipeline);
      }
      const { fusedb, redis } = outcomes;
      if (fusedb === undefined || redis === undefined) throw new Error("both servers measured");
      cells.push({ test, pipeline, outcomes: { fusedb, redis } });
    }
  return cells;
}

/**
 * The command that shows whether a server knows redis-benchmark's test `test` (its `-t` name, lower case),
 * on keys of its own; undefined for a test with no probe (it is then simply run).
 */
export function probeCommand(test: string): string[] | undefined {
  const k = "fusedb-bench:probe";
  const probes: Record<string, string[]> = {
    ping_inline: ["PING"],
    ping_mbulk: ["PING"],
    set: ["SET", `${k}:str`, "x"],
    get: ["GET", `${k}:str`],
    incr: ["INCR", `${k}:n`],
    mset: ["MSET", `${k}:str`, "x"],
    lpush: ["LPUSH", `${k}:list`, "x"],
    rpush: ["RPUSH", `${k}:list`, "x"],
    lpop: ["LPOP", `${k}:list`],
    rpop: ["RPOP", `${k}:list`],
    lrange_100: ["LRANGE", `${k}:list`, "0", "99"],
    sadd: ["SADD", `${k}:set`, "x"],
    spop: ["SPOP", `${k}:set`],
    hset: ["HSET", `${k}:hash`, "f", "x"],
    zadd: ["ZADD", `${k}:zset`, "0", "x"],
    zpopmin: ["ZPOPMIN", `${k}:zset`],
  };
  return probes[test.toLowerCase()];
}
