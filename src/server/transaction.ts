/**
 * MULTI/EXEC/WATCH state of one connection, and EXEC's execution (Redis 7.0 multi.c semantics):
 *
 * - Between MULTI and EXEC a command is queued (`+QUEUED`) instead of run; a command rejected while
 *   queueing (unknown, wrong arity, NOAUTH, `no_multi`, not allowed in pub/sub context) marks the
 *   transaction failed, and EXEC then discards it with `EXECABORT`; an EXEC that is itself rejected (wrong
 *   arity) discards it at once (`EXECABORT Transaction discarded because of: <why>`). Errors a command
 *   raises when it runs inside EXEC are just that command's reply in EXEC's array.
 * - WATCH remembers each key's version (the engine's per-key version, counting deletes) and whether it was
 *   live. EXEC answers a null array, running nothing, if any watched key's version changed since — by any
 *   client, this one included, FLUSHDB/FLUSHALL included — or if a key live at WATCH has expired since.
 *   EXEC, DISCARD and RESET forget the watched keys. SWAPDB touches a watched key of either database that
 *   exists in either (Redis's touchAllWatchedKeysInDb), and the others follow their database number.
 * - EXEC is an exclusive command (src/server/gate.ts): every command of every client already started
 *   finishes first, and none starts until EXEC is done. So the watch check and the queued commands run
 *   with no other client's command in between: serializable, as Redis's single thread gives.
 * - Durability: when every queued command is a data-type operation (`spec.typed`: the key commands, the
 *   hash commands, JSON path writes, ...), EXEC runs them as one typed call of one `db.begin()` transaction,
 *   the machinery of BEGIN ... COMMIT (src/server/transaction-block.ts): one WAL record, all or nothing
 *   across a crash; a command that fails inside it is rolled back to a savepoint and answers its error, the
 *   others apply (Redis's semantics). The watch check is the call's first step, so the commit, which
 *   replays the call on the newest state inside its commitOp, checks the watched versions again in the same
 *   step that writes. WATCH's versions are the typed entries' versions. Running alone, EXEC's transaction
 *   cannot conflict but by a key's expiry between its snapshot and its commit: then it runs again (at most
 *   3 attempts).
 * - Otherwise the watched keys are checked in one read before the commands run (EXEC still runs alone).
 * - Else, when every queued command is a blind write that can be expressed as one engine mutation
 *   (JSON.SET at the root, JSON.MERGE, plain EXPIRE/PEXPIRE, FUSEDB.SETIFVERSION/DELIFVERSION), EXEC
 *   commits them as one engine batch: one WAL record, all or nothing across a crash. If that batch is
 *   refused (a conditional write that does not hold, a missing key for EXPIRE: the batch changed nothing),
 *   or any queued command is of another kind (a mixed EXEC: typed commands with JSON ones or PING), the
 *   commands run one after the other, each durable before the next starts; a crash in the middle of such
 *   an EXEC can keep a prefix of it.
 * - Queued commands are bounded: their argument bytes together by `client-query-buffer-limit`; past it
 *   the command is refused and the transaction failed.
 */
import { Buffer } from "node:buffer";
import { TxConflictError } from "../index.js";
import type { Txn } from "../types/txn.js";
import { NeedRead } from "../types/view.js";
import type { CommandSpec } from "./command-table.js";
import { NO_REPLY } from "./command-table.js";
import type { CommandContext } from "./context.js";
import { commandStat } from "./info.js";
import { dbKey } from "./keyspace.js";
import { errorReply } from "./reply-errors.js";
import { R, type Reply } from "./resp-writer.js";

/** A command queued between MULTI and EXEC. */
export interface QueuedCommand {
  readonly spec: CommandSpec;
  /** `get`, `client|list`: the name INFO commandstats counts its run under. */
  readonly fullName: string;
  readonly args: readonly Buffer[];
}

interface WatchedKey {
  readonly key: Buffer;
  readonly version: number;
  readonly live: boolean;
}

/** Commands that run at once inside MULTI instead of being queued (Redis's processCommand list). */
export const RUN_INSIDE_MULTI: ReadonlySet<string> = new Set([
  "exec",
  "discard",
  "multi",
  "watch",
  "quit",
  "reset",
]);

/** One connection's transaction state; see the module comment. */
export class Transaction {
  /** The queued commands; undefined outside MULTI. */
  queued: QueuedCommand[] | undefined;
  /** A command was rejected while queueing: EXEC will answer EXECABORT. */
  failed = false;
  /** EXEC is running the queued commands: a blocking command acts as if its timeout expired (Redis). */
  executing = false;
  private queuedBytes = 0;
  /** Watched keys by stored key (latin1). */
  private readonly watched = new Map<string, WatchedKey>();
  /** A watched key was touched by something other than a write of it (SWAPDB): EXEC fails. */
  private dirty = false;

  get active(): boolean {
    return this.queued !== undefined;
  }

  /** Keys watched now (CLIENT LIST `watch`). */
  get watchedCount(): number {
    return this.watched.size;
  }

  begin(): void {
    this.queued = [];
    this.failed = false;
    this.queuedBytes = 0;
  }

  /** Queues a command; false (and the transaction failed) past the byte bound `bytesMax`. */
  enqueue(command: QueuedCommand, bytesMax: number): boolean {
    let bytes = 0;
    for (const a of command.args) bytes += a.length;
    if (this.queued === undefined || this.queuedBytes + bytes > bytesMax) {
      this.failed = true;
      return false;
    }
    this.queuedBytes += bytes;
    this.queued.push(command);
    return true;
  }

  /** Leaves MULTI and forgets the watched keys (EXEC, DISCARD, RESET). */
  end(): void {
    this.queued = undefined;
    this.failed = false;
    this.queuedBytes = 0;
    this.unwatch();
  }

  unwatch(): void {
    this.watched.clear();
    this.dirty = false;
  }

  /**
   * SWAPDB of stored databases `a` and `b` (see the module comment): a watched key of either that is live
   * in either makes EXEC fail; the others now name the same key in the other stored database (the one
   * their database number maps to), with its state there.
   */
  async swapped(ctx: CommandContext, a: number, b: number): Promise<void> {
    const kept: WatchedKey[] = [];
    for (const w of [...this.watched.values()]) {
      const from = w.key[0];
      if (from !== a && from !== b) continue;
      const other = Buffer.from(w.key);
      other[0] = from === a ? b : a;
      const [here, there] = [await keyState(ctx, w.key), await keyState(ctx, other)];
      this.watched.delete(w.key.toString("latin1"));
      if (here.live || there.live) this.dirty = true;
      else kept.push({ key: other, ...there });
    }
    for (const w of kept) this.watched.set(w.key.toString("latin1"), w);
  }

  /** WATCH: records the version and liveness of each key not watched yet, in database `db`. */
  async watch(ctx: CommandContext, keys: readonly Buffer[]): Promise<void> {
    for (const k of keys) {
      const key = dbKey(ctx.client.db, k);
      const id = key.toString("latin1");
      if (this.watched.has(id)) continue;
      const state = await keyState(ctx, key);
      this.watched.set(id, { key, ...state });
    }
  }

  /**
   * What EXEC checks of the watched keys (taken before {@link end} forgets them): undefined if none is
   * watched; `dirty` if one was touched by SWAPDB already.
   */
  watchCheck(): WatchCheck | undefined {
    if (this.watched.size === 0 && !this.dirty) return undefined;
    return { dirty: this.dirty, keys: [...this.watched.values()] };
  }
}

/** The watched keys as EXEC checks them (see {@link Transaction.watchCheck}). */
export interface WatchCheck {
  readonly dirty: boolean;
  readonly keys: readonly WatchedKey[];
}

/** Whether a watched key changed since WATCH, on the state `t` reads (see the module comment). */
function watchFails(ctx: CommandContext, check: WatchCheck, t: Txn): boolean {
  if (check.dirty) return true;
  const types = ctx.server.db.types;
  for (const w of check.keys) {
    const k = types.key(w.key);
    if (t.versionOf(k) !== w.version || (w.live && t.live(k) === undefined)) return true;
  }
  return false;
}

/** Thrown inside EXEC's transaction when a watched key changed: nothing is written, EXEC answers nil. */
class WatchFailed extends Error {}

const WATCH_FAILED = Symbol("watch failed");

/** A key's version (its typed entry's or document's; for a key not live, its dead version) and liveness. */
function keyState(ctx: CommandContext, key: Buffer): Promise<{ version: number; live: boolean }> {
  const types = ctx.server.db.types;
  const k = types.key(key);
  return types.read((tx) => ({ version: tx.versionOf(k), live: tx.live(k) !== undefined }));
}

/**
 * Runs the queued commands of an EXEC (the caller holds the gate exclusively) after checking `watch`, and
 * returns their replies in order, or undefined (EXEC's nil) if a watched key changed: all typed, in one
 * transaction whose commit checks the watched keys again in its commitOp; else as one engine batch when
 * all are blind mutations, or one by one (see the module comment).
 */
export async function runQueued(
  ctx: CommandContext,
  queued: readonly QueuedCommand[],
  watch: WatchCheck | undefined,
): Promise<Reply[] | undefined> {
  const typed = await tryTyped(ctx, queued, watch);
  if (typed !== undefined) return typed === WATCH_FAILED ? undefined : typed;
  if (watch !== undefined) {
    const changed = await ctx.server.db.types.read((t) => watchFails(ctx, watch, t));
    if (changed) return undefined;
  }
  const batched = await tryBatch(ctx, queued);
  if (batched !== undefined) return batched;
  ctx.client.transaction.executing = true;
  try {
    return await runOneByOne(ctx, queued);
  } finally {
    ctx.client.transaction.executing = false;
  }
}

async function runOneByOne(ctx: CommandContext, queued: readonly QueuedCommand[]): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const q of queued) {
    const handler = q.spec.handler as NonNullable<CommandSpec["handler"]>;
    const started = ctx.server.clock.now();
    let reply: Reply;
    try {
      const r = await handler(ctx, q.args);
      reply = r === NO_REPLY ? R.ok : r;
    } catch (err) {
      reply = errorReply(err);
    }
    replies.push(reply);
    count(ctx, q, reply, Math.max(0, Math.round((ctx.server.clock.now() - started) * 1000)));
  }
  return replies;
}

/** Counts a queued command's run in INFO stats and commandstats. */
function count(ctx: CommandContext, q: QueuedCommand, reply: Reply, usec: number): void {
  ctx.server.stats.commandsProcessed++;
  const stat = commandStat(ctx.server.stats, q.fullName);
  stat.calls++;
  stat.usec += usec;
  if (reply.kind === "error") stat.failedCalls++;
}

/**
 * The replies if every queued command is a data-type operation (`spec.typed`): all run in one engine call
 * (`db.types.write`, or `read` when none writes), one after the other on the same transaction, so their
 * writes are one WAL record. A command whose arguments are refused, or whose operation throws, answers
 * its error and is rolled back to the savepoint taken before it (nothing of its own applies); the others
 * apply, as in Redis. Undefined when some command is not typed.
 */
async function tryTyped(
  ctx: CommandContext,
  queued: readonly QueuedCommand[],
  watch: WatchCheck | undefined,
): Promise<Reply[] | typeof WATCH_FAILED | undefined> {
  if (queued.length === 0 || queued.some((q) => q.spec.typed === undefined)) return undefined;
  const steps = queued.map((q) => {
    const typed = q.spec.typed as NonNullable<CommandSpec["typed"]>;
    try {
      return { op: typed.prepare(ctx, q.args) };
    } catch (err) {
      return { refused: errorReply(err) };
    }
  });
  const run = (tx: Txn): Reply[] => {
    // First, on the same state the commands run on: at commit too, when the transaction runs this again.
    if (watch !== undefined && watchFails(ctx, watch, tx)) throw new WatchFailed();
    return steps.map((step) => {
      if (step.op === undefined) return step.refused as Reply;
      const sp = tx.savepoint();
      try {
        return step.op(tx);
      } catch (err) {
        if (err instanceof NeedRead) throw err; // the runner reads, then reruns every step
        tx.rollbackTo(sp);
        return errorReply(err);
      }
    });
  };
  const started = ctx.server.clock.now();
  const write = queued.some((q) => q.spec.typed?.write === true);
  // The machinery of BEGIN ... COMMIT: one transaction, each command a step of one typed call, replayed by
  // the commit inside its commitOp (one WAL record) with the watch check first. EXEC runs alone (the gate),
  // so no other client's write can come between: a conflict cannot happen, and the replies computed on the
  // snapshot are the ones the commit's replay makes.
  const replies = await runInTransaction(ctx, run, write);
  if (replies === WATCH_FAILED) return WATCH_FAILED;
  // One call: each command counts a call; the call's time is not split among them (usec 0 but the first).
  const usec = Math.max(0, Math.round((ctx.server.clock.now() - started) * 1000));
  queued.forEach((q, i) => {
    count(ctx, q, replies[i] as Reply, i === 0 ? usec : 0);
  });
  return replies;
}

/** Attempts of EXEC's transaction: only a key's expiry between its snapshot and its commit can conflict. */
const EXEC_ATTEMPTS_MAX = 3;

/** Runs `run` as one typed call of a new transaction and commits it (see {@link tryTyped}). */
async function runInTransaction(
  ctx: CommandContext,
  run: (t: Txn) => Reply[],
  write: boolean,
): Promise<Reply[] | typeof WATCH_FAILED> {
  for (let attempt = 1; ; attempt++) {
    const tx = ctx.server.db.begin();
    try {
      const replies = await tx.typed(run, { write });
      await tx.commit();
      return replies;
    } catch (err) {
      if (err instanceof WatchFailed) return WATCH_FAILED;
      if (!(err instanceof TxConflictError) || attempt >= EXEC_ATTEMPTS_MAX) throw err;
    } finally {
      await tx.rollback(); // no-op once committed
    }
  }
}

/** The replies if every queued command is a blind mutation and the engine took them as one batch. */
async function tryBatch(ctx: CommandContext, queued: readonly QueuedCommand[]): Promise<Reply[] | undefined> {
  if (queued.length < 2) return undefined;
  const steps = [];
  for (const q of queued) {
    if (q.spec.blind?.(q.args) !== true || q.spec.mutation === undefined) return undefined;
    let step: ReturnType<typeof q.spec.mutation>;
    try {
      step = q.spec.mutation(ctx, q.args);
    } catch {
      return undefined; // its own error reply comes from running it alone
    }
    if (step === undefined) return undefined;
    steps.push(step);
  }
  try {
    const result = await ctx.server.db.batch(steps.map((s) => s.mutation));
    ctx.server.stats.commandsProcessed += steps.length;
    // One batch: each command counts a call; the batch's time is not split among them (usec 0).
    for (const q of queued) commandStat(ctx.server.stats, q.fullName).calls++;
    return steps.map((s, i) => s.reply(result.results[i] as (typeof result.results)[number]));
  } catch {
    // All or nothing: the batch changed nothing, so the commands can run one by one for their own replies.
    return undefined;
  }
}
