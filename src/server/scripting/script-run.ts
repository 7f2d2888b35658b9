/**
 * Running a script (EVAL and friends; Redis 7.0 semantics) atomically and durably on the engine.
 *
 * Atomicity to clients: EVAL holds the server's gate exclusively (src/server/gate.ts), so no other client's
 * command runs while a script does. Durability and crash atomicity: the script runs inside one engine write
 * call (`db.types.write`, src/types/runner.ts), and each `redis.call` of a data-type command (`spec.typed`)
 * runs synchronously on that call's transaction; a write that fails is rolled back to a savepoint (that
 * command only, as in EXEC) — taken only once it has failed, by rerunning the slice, since a savepoint
 * copies the writes so far. So every write of the script is one WAL record, committed once the script returns;
 * its reply is sent after that record is durable; reads inside the script see its own writes.
 *
 * The engine call is restartable (its operation is rerun when it needs a read from disk, and thrown away
 * when it throws); the script is not. So the script runs in a Lua coroutine, and the engine call is a
 * *slice* of it: each slice first replays, on the fresh transaction, the write commands the script ran in
 * earlier slices (their prepared operations, deterministic on the same state), then resumes the coroutine.
 * A slice ends when
 * - the script returns: the slice returns and the engine commits every write as one record;
 * - a command needs a read (NeedRead): `redis.call` yields the coroutine with the command pending and the
 *   slice rethrows; the engine reads, reruns the slice, and the pending command runs again on the replay;
 * - a command is not a data-type operation (PING, DBSIZE, JSON.*, PUBLISH, ...): the slice returns,
 *   committing the writes so far (one record), the command's own handler runs, then a new slice resumes.
 *   Such a script is still atomic to clients but, across a crash, may keep the writes before that command;
 * - the script has run past `lua-time-limit` ms (the server's clock) and for another
 *   {@link SLICE_MS} in this slice (or ten times the slice's replay, if longer: replays cost O(writes so
 *   far), so they stay about a tenth of the time): the count hook yields the coroutine, the slice throws (nothing
 *   committed), the event loop runs (other clients get `-BUSY`, SCRIPT KILL may arrive), and the next slice
 *   replays and resumes.
 * SCRIPT KILL of a script that ran no write command makes the next hook yield and the slice loop end the
 * script with `Script killed by user with SCRIPT KILL...` (a pcall inside the script cannot catch it; where
 * the coroutine cannot yield, the hook raises that error on every line instead); one that wrote is
 * `-UNKILLABLE`. When the server stops, the running script is ended the same way and commits nothing (as
 * SHUTDOWN NOSAVE would lose it).
 */
import { Buffer } from "node:buffer";
import { lauxlib, lua, to_luastring } from "fengari";
import type { Txn } from "../../types/txn.js";
import { NeedRead } from "../../types/view.js";
import { type CommandSpec, NO_REPLY } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { commandStat } from "../info.js";
import { CommandError, errorReply } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";
import { type CompiledScript, LuaEngine } from "./lua-engine.js";
import { bytesAt, pushFieldTable, pushReply, replyOf, stringField } from "./lua-values.js";

type LuaState = lua.LuaState;

/** How long a slice runs once the script is past `lua-time-limit`, clock ms. */
export const SLICE_MS = 50;
/** Lua instructions between two runs of the count hook. */
const HOOK_COUNT = 10_000;

const KILLED = "ERR Script killed by user with SCRIPT KILL...";

/** Commands that touch no key and answer synchronously: run in place, not outside the slice. */
const SYNC_COMMANDS: ReadonlySet<string> = new Set(["ping", "echo", "time"]);

/** A typed command's prepared operation, run on a transaction. */
type Op = (tx: Txn) => Reply;

/**
 * A typed command of the script. `careful`: it failed once, so it runs behind a savepoint (which copies
 * the transaction's writes so far, too dear for every command: see {@link ScriptRun.runStep}).
 */
interface Step {
  readonly op: Op;
  readonly write: boolean;
  careful: boolean;
}

/** A command the coroutine waits on: a typed operation to (re)run, or another command to run outside. */
type Pending =
  | { readonly step: Step; readonly raise: boolean }
  | {
      readonly spec: CommandSpec;
      readonly fullName: string;
      readonly args: Buffer[];
      readonly raise: boolean;
    };

/** Thrown out of a slice that must commit nothing (time slice over). */
class SliceOver {}
const SLICE_OVER = new SliceOver();
/** Thrown out of a slice to rerun it at once: a write failed with partial effects possible. */
class Redo {}
const REDO = new Redo();

/** How a slice ended, when it did not throw. */
type SliceEnd = { readonly done: Reply } | { readonly outside: true };

/** One script run; see the module comment. */
export class ScriptRun {
  readonly startedMs: number;
  /** The script ran a write command (SCRIPT KILL answers UNKILLABLE). */
  wrote = false;
  killed = false;
  /** The server is stopping: end at the next hook, commit nothing. */
  aborted = false;
  private readonly co: LuaState;
  private readonly ref: number;
  private started = false;
  private tx: Txn | undefined;
  private pending: Pending | undefined;
  /** The answer to push before the next resume (a pending command's reply). */
  private answer: { reply: Reply; raise: boolean } | undefined;
  /** Write operations run in earlier slices, replayed at the start of each slice. */
  private readonly writes: Step[] = [];
  /** A write failed in this slice: rerun the slice, that write behind a savepoint. */
  private redo = false;
  private needRead: NeedRead | undefined;
  private sliceStartMs: number;
  /** How long the current slice may run once past the limit (grows with the replay's cost). */
  private sliceMs = SLICE_MS;
  /** `source:line` where the hook stopped a killed script. */
  private killedAt: string | undefined;

  constructor(
    private readonly engine: LuaEngine,
    private readonly ctx: CommandContext,
    private readonly script: CompiledScript,
    private readonly readOnly: boolean,
    private readonly limitMs: () => number,
  ) {
    const L = engine.L;
    this.startedMs = ctx.server.clock.now();
    this.sliceStartMs = this.startedMs;
    this.co = lua.lua_newthread(L);
    this.ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_getglobal(this.co, to_luastring("xpcall"));
    engine.pushFunction(this.co, script.sha);
    lua.lua_getglobal(this.co, to_luastring("__redis__err__handler"));
    lua.lua_sethook(this.co, (T, ar) => this.hook(T, ar), lua.LUA_MASKCOUNT, HOOK_COUNT);
    engine.bind((T, raiseError) => this.call(T, raiseError));
  }

  /** Runs the script to its end; its reply, once its writes are durable. */
  async run(): Promise<Reply> {
    const types = this.ctx.server.db.types;
    try {
      for (;;) {
        let end: SliceEnd | undefined;
        try {
          end = await types.write((tx) => this.slice(tx));
        } catch (err) {
          if (err instanceof Redo) continue;
          if (!(err instanceof SliceOver)) throw err;
        }
        if (end === undefined) {
          if (this.aborted) throw new CommandError("ERR server is shutting down");
          await this.ctx.server.clock.yield();
          this.sliceStartMs = this.ctx.server.clock.now();
        } else if ("done" in end) return end.done;
        else await this.runOutside();
      }
    } finally {
      lua.lua_sethook(this.co, null, 0, 0);
      lauxlib.luaL_unref(this.engine.L, lua.LUA_REGISTRYINDEX, this.ref);
      this.engine.bind(undefined);
    }
  }

  /** One slice on `tx` (see the module comment). @throws NeedRead; SliceOver. */
  private slice(tx: Txn): SliceEnd {
    this.tx = tx;
    try {
      if (this.writes.length > 0) {
        const clock = this.ctx.server.clock;
        const replayStart = clock.now();
        for (const step of this.writes) runStep(tx, step);
        // Replays cost O(writes so far): slices grow with them, keeping replays to about a tenth of the time.
        this.sliceMs = Math.max(SLICE_MS, (clock.now() - replayStart) * 10);
      }
      for (;;) {
        const p = this.pending;
        if (p !== undefined) {
          if (!("step" in p)) return { outside: true };
          const reply = runStep(tx, p.step); // NeedRead: the engine reads and reruns this slice
          if (p.step.write) this.writes.push(p.step);
          this.pending = undefined;
          this.answer = { reply, raise: p.raise };
        }
        const status = this.resume();
        if (status === lua.LUA_YIELD) {
          const need = this.needRead;
          if (need !== undefined) {
            this.needRead = undefined;
            throw need;
          }
          if (this.redo) {
            this.redo = false;
            throw REDO;
          }
          if (this.pending !== undefined) continue;
          if (this.aborted) throw new CommandError("ERR server is shutting down");
          if (this.killedAt !== undefined) {
            return { done: R.error(`${KILLED} script: f_${this.script.sha}, on ${this.killedAt}.`) };
          }
          throw SLICE_OVER;
        }
        if (this.aborted) throw new CommandError("ERR server is shutting down");
        return { done: this.finish(status) };
      }
    } finally {
      this.tx = undefined;
    }
  }

  private resume(): number {
    const co = this.co;
    if (!this.started) {
      this.started = true;
      return lua.lua_resume(co, null, 2);
    }
    const answer = this.answer;
    this.answer = undefined;
    if (answer === undefined) return lua.lua_resume(co, null, 0);
    pushReply(co, answer.reply);
    lua.lua_pushboolean(co, answer.raise && answer.reply.kind === "error");
    return lua.lua_resume(co, null, 2);
  }

  /** The script's reply from the coroutine's end (xpcall's results, or an error that escaped it). */
  private finish(status: number): Reply {
    const co = this.co;
    if (status !== lua.LUA_OK || lua.lua_gettop(co) < 1) {
      const msg =
        lua.lua_type(co, -1) === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(co, -1)).toString() : "";
      return R.error(`ERR Error running script f_${this.script.sha}, ${msg.slice(0, 100)}`);
    }
    const ok = lua.lua_toboolean(co, 1);
    lua.lua_settop(co, 2);
    if (ok) return replyOf(co);
    if (lua.lua_type(co, 2) !== lua.LUA_TTABLE) {
      const msg =
        lua.lua_type(co, 2) === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(co, 2)).toString() : "";
      return R.error(`ERR Error running script f_${this.script.sha}, ${msg.slice(0, 100)}`);
    }
    const err = stringField(co, 2, "err") ?? "ERR unknown error";
    const source = stringField(co, 2, "source");
    lua.lua_getfield(co, 2, to_luastring("line"));
    const line = lua.lua_type(co, -1) === lua.LUA_TNUMBER ? String(lua.lua_tointeger(co, -1)) : undefined;
    lua.lua_pop(co, 1);
    const where =
      source !== undefined && line !== undefined
        ? ` script: f_${this.script.sha}, on ${source}:${line}.`
        : "";
    return R.error(`${err}${where}`);
  }

  /** Runs a pending non-typed command through its handler, after the slice committed the writes so far. */
  private async runOutside(): Promise<void> {
    const p = this.pending as Extract<Pending, { spec: CommandSpec }>;
    this.pending = undefined;
    this.writes.length = 0; // committed by the slice that returned
    const handler = p.spec.handler as NonNullable<CommandSpec["handler"]>;
    let reply: Reply;
    try {
      const r = await handler(this.ctx, p.args);
      reply = r === NO_REPLY ? R.ok : r;
    } catch (err) {
      reply = errorReply(err);
    }
    this.answer = { reply, raise: p.raise };
  }

  /** The count hook: SCRIPT KILL, and the end of a time slice (see the module comment). */
  private hook(T: LuaState, ar: unknown): void {
    if (this.killed || this.aborted) {
      if (lua.lua_isyieldable(T)) {
        // Stopped where it stands: the slice loop ends the script (a pcall in the script cannot catch this).
        lua.lua_getinfo(T, to_luastring("Sl"), ar);
        const { source, currentline } = ar as { source: Uint8Array | null; currentline: number };
        this.killedAt = `${source === null ? "?" : Buffer.from(source).toString()}:${currentline}`;
        lua.lua_yield(T, 0);
        return;
      }
      // Not yieldable here (inside a library callback): raise, again on every line until the script ends.
      lua.lua_sethook(T, (T2, ar2) => this.hook(T2, ar2), lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
      pushFieldTable(T, "err", KILLED);
      lua.lua_error(T);
      return;
    }
    const now = this.ctx.server.clock.now();
    if (now - this.startedMs < this.limitMs() || now - this.sliceStartMs < this.sliceMs) return;
    if (lua.lua_isyieldable(T)) lua.lua_yield(T, 0);
  }

  /** redis.call (`raiseError`) and redis.pcall: see the module comment and Redis's luaRedisGenericCommand. */
  private call(T: LuaState, raiseError: boolean): number {
    const n = lua.lua_gettop(T);
    const fail = (msg: string): number => {
      pushFieldTable(T, "err", msg);
      return raiseError ? lua.lua_error(T) : 1;
    };
    if (n === 0) return fail("ERR Please specify at least one argument for this redis lib call");
    const args: Buffer[] = [];
    for (let i = 1; i <= n; i++) {
      const b = bytesAt(T, i);
      if (b === undefined) return fail("ERR Lua redis lib command arguments must be strings or integers");
      args.push(b);
    }
    const resolved = this.ctx.server.table.resolve(args);
    if ("error" in resolved) {
      return fail(
        resolved.error.startsWith("ERR unknown")
          ? "ERR Unknown Redis command called from script"
          : "ERR Wrong number of args calling Redis command from script",
      );
    }
    const { spec, fullName } = resolved;
    if (spec.flags.includes("noscript")) return fail("ERR This Redis command is not allowed from script");
    const write = spec.flags.includes("write");
    if (write && (this.readOnly || this.script.noWrites)) {
      return fail("ERR Write commands are not allowed from read-only scripts.");
    }
    if (write) this.wrote = true;
    count(this.ctx, fullName);
    const tx = this.tx;
    if (SYNC_COMMANDS.has(fullName) && spec.handler !== undefined) {
      let reply: Reply;
      try {
        const r = spec.handler(this.ctx, args) as Reply; // synchronous for these commands
        reply = r;
      } catch (err) {
        reply = errorReply(err);
      }
      return this.answerNow(T, reply, raiseError);
    }
    if (spec.typed === undefined || tx === undefined) {
      return this.wait(T, { spec, fullName, args, raise: raiseError }, raiseError);
    }
    let op: Op;
    try {
      op = spec.typed.prepare(this.ctx, args);
    } catch (err) {
      return this.answerNow(T, errorReply(err), raiseError);
    }
    const typedWrite = spec.typed.write;
    // No savepoint (it copies the writes so far: O(n) a command): a write that fails makes the slice rerun
    // with that write behind one. Where the coroutine cannot yield, a write takes its savepoint at once.
    const step: Step = { op, write: typedWrite, careful: typedWrite && !lua.lua_isyieldable(T) };
    const sp = step.careful ? tx.savepoint() : undefined;
    let reply: Reply;
    try {
      reply = op(tx);
    } catch (err) {
      if (sp !== undefined) tx.rollbackTo(sp);
      if (err instanceof NeedRead) {
        // Partial effects are dropped with the slice, which the engine reruns after its read.
        this.needRead = err;
        return this.wait(T, { step, raise: raiseError }, raiseError);
      }
      if (!typedWrite || step.careful) reply = errorReply(err);
      else {
        step.careful = true;
        this.redo = true;
        return this.wait(T, { step, raise: raiseError }, raiseError);
      }
    }
    if (typedWrite) this.writes.push(step);
    return this.answerNow(T, reply, raiseError);
  }

  private answerNow(T: LuaState, reply: Reply, raiseError: boolean): number {
    pushReply(T, reply);
    return raiseError && reply.kind === "error" ? lua.lua_error(T) : 1;
  }

  /** Yields the coroutine until the slice loop answers `pending` (pushing the reply and a raise flag). */
  private wait(T: LuaState, pending: Pending, raiseError: boolean): number {
    if (!lua.lua_isyieldable(T)) {
      this.needRead = undefined;
      pushFieldTable(T, "err", "ERR redis.call cannot wait here (called from a Lua library callback)");
      return raiseError ? lua.lua_error(T) : 1;
    }
    this.pending = pending;
    return lua.lua_yieldk(T, 0, 0, (T2) => {
      // Stack: reply, raise flag.
      const raiseNow = lua.lua_toboolean(T2, -1);
      lua.lua_pop(T2, 1);
      return raiseNow ? lua.lua_error(T2) : 1;
    });
  }
}

/**
 * Runs a step: a careful one behind a savepoint (its error rolled back and replied), a read as is, another
 * write as is — if that fails, it becomes careful and the slice is rerun (its partial effects dropped).
 * @throws NeedRead; Redo.
 */
function runStep(tx: Txn, step: Step): Reply {
  const sp = step.careful ? tx.savepoint() : undefined;
  try {
    return step.op(tx);
  } catch (err) {
    if (sp !== undefined) tx.rollbackTo(sp);
    if (err instanceof NeedRead) throw err;
    if (!step.write || step.careful) return errorReply(err);
    step.careful = true;
    throw REDO;
  }
}

/** A command run by a script counts in INFO commandstats, as in Redis. */
function count(ctx: CommandContext, fullName: string): void {
  ctx.server.stats.commandsProcessed++;
  commandStat(ctx.server.stats, fullName).calls++;
}

export { LuaEngine };
