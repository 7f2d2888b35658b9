/**
 * The server's scripting state: its Lua interpreter (made on first use), the script cache of SCRIPT LOAD /
 * EVAL, and the script running now, if any — which makes the server "busy" once it has run
 * `busy-reply-threshold` (alias `lua-time-limit`) ms: other clients then get `-BUSY` for every command but
 * those flagged `allow_busy` (src/server/connection.ts), and SCRIPT KILL may stop it.
 */
import type { Buffer } from "node:buffer";
import type { CommandContext } from "../context.js";
import { CommandError } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import type { CompiledScript } from "./lua-engine.js";
import { LuaEngine, ScriptRun } from "./script-run.js";

/** Redis 7.0's reply to commands refused while a script is busy. */
export const BUSY_ERROR =
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/** See the module comment. */
export class Scripts {
  private lua: LuaEngine | undefined;
  private running: ScriptRun | undefined;

  constructor(
    private readonly limit: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** The interpreter, made on first use. */
  get engine(): LuaEngine {
    this.lua ??= new LuaEngine((level, line) => {
      if (level >= 2) this.log(`script: ${line}`);
    });
    return this.lua;
  }

  /** Scripts in the cache. */
  get cached(): number {
    return this.lua?.size ?? 0;
  }

  /** Whether a script has been running for `busy-reply-threshold` ms or more at clock time `nowMs`. */
  busy(nowMs: number): boolean {
    const run = this.running;
    const limit = this.limitMs();
    return run !== undefined && nowMs - run.startedMs >= limit;
  }

  /**
   * Runs `script` with `keys` and `argv` for `ctx`'s client (the caller holds the gate exclusively): its
   * reply, once its writes are durable. `readOnly`: EVAL_RO / EVALSHA_RO.
   */
  async run(
    ctx: CommandContext,
    script: CompiledScript,
    keys: readonly Buffer[],
    argv: readonly Buffer[],
    readOnly: boolean,
  ): Promise<Reply> {
    const engine = this.engine;
    engine.setArrays(keys, argv);
    // The script's own client state: SELECT inside it changes its database only (Redis 7.0).
    const client = Object.create(ctx.client) as typeof ctx.client;
    client.db = ctx.client.db;
    client.selectedDb = ctx.client.selectedDb;
    const run = new ScriptRun(engine, { server: ctx.server, client }, script, readOnly, () => this.limitMs());
    this.running = run;
    try {
      return await run.run();
    } finally {
      this.running = undefined;
    }
  }

  /** SCRIPT KILL (Redis 7.0 scriptKill). */
  kill(): Reply {
    const run = this.running;
    if (run === undefined) throw new CommandError("NOTBUSY No scripts in execution right now.");
    if (run.wrote) {
      throw new CommandError(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either " +
          "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
      );
    }
    run.killed = true;
    return R.ok;
  }

  /** The server stops: the running script, if any, ends at its next hook and commits nothing. */
  abort(): void {
    if (this.running !== undefined) this.running.aborted = true;
  }

  /** SCRIPT FLUSH. */
  flush(): void {
    this.lua?.flush();
  }

  private limitMs(): number {
    const ms = this.limit();
    return ms <= 0 ? Number.POSITIVE_INFINITY : ms;
  }
}
