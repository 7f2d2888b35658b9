/**
 * One client connection: bytes in through the request parser, commands through the table to their
 * handlers, replies out in request order.
 *
 * Ordering (Redis's per-connection semantics over an engine whose writes resolve after fdatasync):
 * - Replies leave in request order: each command gets a slot when it starts; a slot's reply is written
 *   only once every earlier slot's reply is, so a later command finishing first waits.
 * - Commands take effect in request order. A command starts only when nothing of its connection is
 *   running, except a "blind" one (table flag: its first engine call is a mutation made synchronously when
 *   it starts, with no read before) which may start while earlier blind ones await their fdatasync: the
 *   engine orders mutations by call order, so pipelined writes share group commits and still apply in
 *   order. Any other command — a read, which sees only durable data — waits for all earlier commands, so a
 *   connection always reads its own writes. Invariant: in flight are either one non-blind command or any
 *   number of blind ones, at most {@link PIPELINE_MAX}.
 * - Backpressure: the socket is paused while a parsed command waits to start, while the pipeline is full,
 *   and while the peer does not read its replies; so the bytes held stay within the parser's limits.
 * - A protocol error: the commands before it run and reply, then its error line, then the connection
 *   closes. Nothing else is affected.
 * - Rejections before a command runs, in Redis's order: unknown command or arity, NOAUTH, `no_multi`
 *   inside MULTI, `-BUSY` while a script runs past `busy-reply-threshold` (but for `allow_busy` commands,
 *   which then run outside the gate the script holds), and in RESP2 while subscribed anything but (P)(UN)SUBSCRIBE/PING/QUIT/RESET. Inside MULTI
 *   a rejection fails the transaction; other commands are queued (src/server/transaction.ts).
 * - Pushes (pub/sub messages) are encoded when delivered and written after the replies of the commands
 *   already started. Output limits (`client-output-buffer-limit`, class pubsub while subscribed, normal
 *   otherwise): bytes not yet taken by the peer — the transport's buffer, the reply buffer and held pushes —
 *   past the hard limit, or past the soft limit for longer than its seconds on the Clock, close the
 *   connection at once, as Redis does; a publisher never waits for a subscriber.
 */
import type { Buffer } from "node:buffer";
import type { Clock } from "../index.js";
import type { Transport } from "../io/transport.js";
import { BlockedWait } from "./blocking.js";
import { type CommandTable, NO_REPLY, type Resolved } from "./command-table.js";
import type { ClientClass, OutputLimit } from "./config.js";
import type { ClientState, CommandContext, ServerContext } from "./context.js";
import type { Gate } from "./gate.js";
import { commandStat } from "./info.js";
import { ClientSubscriptions } from "./pubsub.js";
import { ERR, errorReply } from "./reply-errors.js";
import { ProtocolError, type RequestLimits, RequestParser } from "./resp-parser.js";
import { encodeReply, type Protocol, R, type Reply, ReplyBuffer } from "./resp-writer.js";
import { BUSY_ERROR } from "./scripting/scripts.js";
import { RUN_INSIDE_MULTI, Transaction } from "./transaction.js";
import { refusedInBlock, TransactionBlock } from "./transaction-block.js";

/** What RESP2 clients may run while subscribed (Redis 7.0 processCommand). */
const PUBSUB_CONTEXT: ReadonlySet<string> = new Set([
  "ping",
  "subscribe",
  "unsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/** Most commands of one connection started and not yet replied to. */
export const PIPELINE_MAX = 1024;

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly context: ServerContext;
  readonly table: CommandTable;
  readonly gate: Gate;
  readonly clock: Clock;
  /** Shared and live: CONFIG SET changes apply to requests parsed afterwards. */
  readonly limits: RequestLimits;
  /** True once the server stops: no command starts any more. */
  readonly stopping: boolean;
  /** Whether a new or reset connection must authenticate. */
  authRequired(): boolean;
  /** The connection is closed and none of its commands is running any more. Called once. */
  released(connection: Connection): void;
  /** The `client-output-buffer-limit` of a client class, current. */
  outputLimit(cls: ClientClass): OutputLimit;
  log(line: string): void;
}

interface Slot {
  /** The reply to write; undefined while running, and when suppressed (NO_REPLY, CLIENT REPLY). */
  reply: Reply | undefined;
  /** A push encoded when delivered (then `reply` is undefined). */
  raw?: Buffer;
  /** The connection's protocol when the command finished (HELLO and RESET change it for later ones). */
  protocol: Protocol;
  done: boolean;
  /** CLIENT REPLY SKIP was in force when it started. */
  skip: boolean;
  blind: boolean;
}

type Pending = { args: Buffer[]; resolved: Resolved };

const QUEUED = R.simple("QUEUED");
const TRANSACTION_TOO_LARGE =
  "ERR Transaction discarded: its queued commands passed client-query-buffer-limit";

/** See the module comment. */
export class Connection implements ClientState, CommandContext {
  selectedDb = 0;
  db: number;
  protocol: Protocol = 2;
  name = "";
  user = "default";
  authenticated: boolean;
  replyMode: "on" | "off" | "skip" = "on";
  noEvict = false;
  libName = "";
  libVersion = "";
  closeAfterReply = false;
  lastCommand = "NULL";
  lastCommandMs: number;
  /** Clock ms of the last byte read or command finished (idle `timeout`). */
  lastInteractionMs: number;
  readonly createdMs: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly subscriptions = new ClientSubscriptions();
  readonly transaction = new Transaction();
  readonly transactionBlock = new TransactionBlock();

  private readonly parser: RequestParser;
  /** Bytes of pushes waiting in slots behind a running command. */
  private heldPushBytes = 0;
  /** Clock ms since the output has been over its soft limit; undefined while under it. */
  private softLimitSinceMs: number | undefined;
  private readonly out = new ReplyBuffer();
  /** Slots from `slotHead` on are not yet written, in request order. */
  private readonly slots: Slot[] = [];
  private slotHead = 0;
  private inflight = 0;
  private nonBlindRunning = false;
  /** A parsed command that may not start yet (see the module comment). */
  private waiting: Pending | undefined;
  /** No more commands: QUIT, a protocol error, a kill, or the peer gone. */
  private ending = false;
  private closed = false;
  private writable = true;
  private paused = false;
  private pumping = false;
  private readonly wait = new BlockedWait();
  /** The running command left the gate when it blocked: its end must not leave it again. */
  private gateLeft = false;

  constructor(
    private readonly host: ConnectionHost,
    private readonly transport: Transport,
    readonly id: number,
  ) {
    const now = host.clock.now();
    this.createdMs = now;
    this.lastCommandMs = now;
    this.lastInteractionMs = now;
    this.remoteAddress = transport.remoteAddress;
    this.localAddress = transport.localAddress;
    this.authenticated = !host.authRequired();
    this.db = host.context.databases.storedOf(0);
    this.parser = new RequestParser(host.limits);
  }

  get server(): ServerContext {
    return this.host.context;
  }

  get client(): ClientState {
    return this;
  }

  get queryBufferBytes(): number {
    return this.parser.heldBytes;
  }

  get outputBytes(): number {
    return this.out.length + this.heldPushBytes + this.transport.bufferedBytes;
  }

  get pipelined(): number {
    return this.inflight;
  }

  /** Starts reading. */
  open(): void {
    this.transport.start({
      data: (chunk) => this.onData(chunk),
      drain: () => {
        this.writable = true;
        this.pump();
      },
      close: () => this.onClose(),
    });
  }

  /** Writes `reply` and closes (used before any command runs: maxclients, protected mode). */
  refuse(reply: Reply): void {
    this.ending = true;
    this.transport.write(encodeOne(reply, this.protocol));
    this.transport.end();
  }

  kill(): void {
    this.ending = true;
    this.transport.destroy();
  }

  get blocked(): boolean {
    return this.wait.active;
  }
  /** A blocking command is not blind nor exclusive: its connection's only one running, holding the gate shared. */
  block<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.host.gate.leave(false);
    this.gateLeft = true;
    return this.wait.run(wait);
  }
  unblock(how: "timeout" | "error"): boolean {
    return this.wait.unblock(how);
  }

  deliver(reply: Reply): void {
    if (this.closed || this.ending) return;
    const raw = encodeReply(reply, this.protocol);
    this.heldPushBytes += raw.length;
    this.slots.push({ reply: undefined, raw, protocol: this.protocol, done: true, skip: false, blind: true });
    this.flush();
  }

  /** Called by the server when it stops: finish what runs, reply, then close. */
  stop(): void {
    this.ending = true;
    this.waiting = undefined;
    this.flush();
  }

  private onData(chunk: Buffer): void {
    this.host.context.stats.netInputBytes += chunk.length;
    this.lastInteractionMs = this.host.clock.now();
    this.parser.feed(chunk);
    this.pump();
  }

  private onClose(): void {
    this.closed = true;
    this.ending = true;
    this.wait.close();
    this.waiting = undefined;
    this.host.context.pubsub.forget(this);
    if (this.inflight === 0) this.release();
  }

  /** Starts every command that may start now (see the module comment), then adjusts the flow. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Bounded: each pass starts a command, or breaks.
      while (!this.ending && !this.host.stopping && this.inflight < PIPELINE_MAX && !this.nonBlindRunning) {
        let next = this.waiting;
        if (next === undefined) {
          this.parser.requireAuth = !this.authenticated && this.host.authRequired();
          const parsed = this.parser.next();
          if (parsed === undefined) break;
          if (parsed instanceof ProtocolError) {
            this.protocolFailure(parsed);
            break;
          }
          next = { args: parsed, resolved: this.host.table.resolve(parsed) };
        }
        const blind = this.isBlind(next);
        if (this.inflight > 0 && !blind) {
          this.waiting = next;
          break;
        }
        this.waiting = undefined;
        this.startCommand(next, blind);
      }
    } finally {
      this.pumping = false;
    }
    this.flush();
    this.updateFlow();
  }

  private isBlind(p: Pending): boolean {
    if (!("spec" in p.resolved) || this.transaction.active || this.transactionBlock.open !== undefined)
      return false;
    const { spec } = p.resolved;
    return spec.exclusive !== true && this.authenticated && spec.blind?.(p.args) === true;
  }

  private startCommand(p: Pending, blind: boolean): void {
    const slot: Slot = { reply: undefined, protocol: 2, done: false, skip: this.replyMode === "skip", blind };
    if (slot.skip) this.replyMode = "on";
    this.slots.push(slot);
    this.inflight++;
    if (!blind) this.nonBlindRunning = true;
    const startMs = this.host.clock.now();
    this.lastCommandMs = startMs;
    const { resolved } = p;
    const rejection = this.rejection(resolved);
    if (rejection !== undefined) {
      if (resolved.fullName !== undefined)
        commandStat(this.host.context.stats, resolved.fullName).rejectedCalls++;
      this.finish(slot, R.error(this.rejectInTransaction(resolved.fullName, rejection)));
      return;
    }
    const { spec, fullName } = resolved as Exclude<Resolved, { error: string }>;
    this.lastCommand = fullName;
    if (this.transaction.active && !RUN_INSIDE_MULTI.has(spec.name)) {
      const queued = this.transaction.enqueue(
        { spec, fullName, args: p.args },
        this.host.context.config.int("client-query-buffer-limit"),
      );
      this.finish(slot, queued ? QUEUED : R.error(TRANSACTION_TOO_LARGE));
      return;
    }
    const exclusive = spec.exclusive === true;
    // While a script is busy the allowed commands (SCRIPT KILL, MULTI, ...) run beside it, outside the gate.
    const gateless = spec.flags.includes("allow_busy") && this.host.context.scripts.busy(startMs);
    const handler = spec.handler as NonNullable<typeof spec.handler>;
    // Counted when done, as Redis does (so CONFIG RESETSTAT counts itself).
    let started = startMs;
    const done = (reply: Reply | typeof NO_REPLY): void => {
      if (this.gateLeft) this.gateLeft = false;
      else if (!gateless) this.host.gate.leave(exclusive);
      this.host.context.stats.commandsProcessed++;
      const stat = commandStat(this.host.context.stats, fullName);
      stat.calls++;
      const endMs = this.host.clock.now();
      stat.usec += Math.max(0, Math.round((endMs - started) * 1000));
      if (reply !== NO_REPLY && reply.kind === "error") stat.failedCalls++;
      this.finish(slot, reply, endMs);
    };
    // A write may make blocked pops ready: Redis serves them before the next command, so the reply waits.
    const serves = spec.flags.includes("write") || spec.name === "exec" || spec.name === "commit";
    const served = (reply: Reply | typeof NO_REPLY): void => {
      const settling = serves ? this.server.db.popWaiters.settled() : undefined;
      if (settling === undefined) done(reply);
      else void settling.then(() => done(reply));
    };
    const run = (): void => {
      let result: ReturnType<typeof handler>;
      try {
        result = handler(this, p.args);
      } catch (err) {
        done(errorReply(err));
        return;
      }
      if (result instanceof Promise) result.then(served, (err: unknown) => done(errorReply(err)));
      else served(result);
    };
    const entered = gateless ? undefined : this.host.gate.enter(exclusive);
    if (entered === undefined) run();
    else
      void entered.then(() => {
        started = this.host.clock.now();
        run();
      });
  }

  /**
   * Inside MULTI a rejected command fails the transaction; a rejected EXEC (wrong arity, say) ends it at
   * once, answering `EXECABORT Transaction discarded because of: <why>` (Redis 7.0's execCommandAbort).
   * Returns the error line to send.
   */
  private rejectInTransaction(fullName: string | undefined, rejection: string): string {
    if (!this.transaction.active) return rejection;
    if (fullName !== "exec") {
      this.transaction.failed = true;
      return rejection;
    }
    this.transaction.end();
    const why = rejection.startsWith("ERR ") ? rejection.slice("ERR ".length) : rejection;
    return `EXECABORT Transaction discarded because of: ${why}`;
  }

  /** Why `resolved` may not run now (see the module comment), or undefined. */
  private rejection(resolved: Resolved): string | undefined {
    if ("error" in resolved) return resolved.error;
    const { spec, fullName } = resolved;
    if (!this.authenticated && !spec.flags.includes("no_auth") && this.host.authRequired()) return ERR.noAuth;
    if (this.transaction.active && spec.flags.includes("no_multi")) {
      return "ERR Command not allowed inside a transaction";
    }
    if (!spec.flags.includes("allow_busy") && this.host.context.scripts.busy(this.host.clock.now())) {
      return BUSY_ERROR;
    }
    if (this.transactionBlock.open !== undefined) {
      const refused = refusedInBlock(spec);
      if (refused !== undefined) return refused;
    }
    if (
      this.protocol === 2 &&
      this.subscriptions.count > 0 &&
      !PUBSUB_CONTEXT.has(fullName.split("|")[0] as string)
    ) {
      return `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    }
    return undefined;
  }

  /** `nowMs`: the clock now, if the caller has just read it. */
  private finish(slot: Slot, reply: Reply | typeof NO_REPLY, nowMs = this.host.clock.now()): void {
    slot.done = true;
    // Decided now, not when written: later commands in the same pass may change the reply mode or protocol.
    const suppressed = reply === NO_REPLY || slot.skip || this.replyMode === "off";
    slot.reply = suppressed ? undefined : reply;
    slot.protocol = this.protocol;
    this.inflight--;
    if (!slot.blind) this.nonBlindRunning = false;
    if (reply !== NO_REPLY && reply.kind === "error") this.host.context.stats.errorReplies++;
    if (this.closeAfterReply) this.ending = true;
    this.lastInteractionMs = nowMs;
    if (this.closed) {
      if (this.inflight === 0) this.release();
      return;
    }
    this.pump();
  }

  /**
   * The connection is closed and nothing of it runs: an open transaction block is rolled back (its pin
   * released) only now, never under a command still using it.
   */
  private release(): void {
    this.transactionBlock.close();
    this.host.released(this);
  }

  private protocolFailure(err: ProtocolError): void {
    this.ending = true;
    if (err.reply === undefined) {
      this.host.log(`closing client ${this.remoteAddress} (id ${this.id}): ${err.message}`);
      return;
    }
    this.host.context.stats.errorReplies++;
    this.slots.push({
      reply: R.error(err.reply),
      protocol: this.protocol,
      done: true,
      skip: false,
      blind: true,
    });
  }

  /** Writes the finished replies at the head of the slots, in order; closes when everything is said. */
  private flush(): void {
    if (this.closed) return;
    while (this.slotHead < this.slots.length) {
      const slot = this.slots[this.slotHead] as Slot;
      if (!slot.done) break;
      this.slots[this.slotHead++] = undefined as unknown as Slot;
      if (slot.reply !== undefined) this.out.append(slot.reply, slot.protocol);
      if (slot.raw !== undefined) {
        this.heldPushBytes -= slot.raw.length;
        this.out.appendRaw(slot.raw);
      }
    }
    if (this.slotHead > 1024 && this.slotHead * 2 > this.slots.length) {
      this.slots.splice(0, this.slotHead);
      this.slotHead = 0;
    }
    if (this.out.length > 0) {
      const bytes = this.out.take();
      this.host.context.stats.netOutputBytes += bytes.length;
      this.writable = this.transport.write(bytes);
    }
    if (this.overOutputLimit()) return;
    if (this.ending && this.inflight === 0 && this.slotHead === this.slots.length) this.transport.end();
  }

  /** Checks `client-output-buffer-limit` (see the module comment); closes the connection if passed. */
  private overOutputLimit(): boolean {
    const limit = this.host.outputLimit(this.subscriptions.count > 0 ? "pubsub" : "normal");
    const bytes = this.outputBytes;
    let over = limit.hardBytes > 0 && bytes >= limit.hardBytes;
    if (limit.softBytes > 0 && bytes >= limit.softBytes) {
      const now = this.host.clock.now();
      this.softLimitSinceMs ??= now;
      if (now - this.softLimitSinceMs > limit.softSeconds * 1000) over = true;
    } else this.softLimitSinceMs = undefined;
    if (!over) return false;
    this.host.log(
      `client id=${this.id} addr=${this.remoteAddress} closed for overcoming of output buffer limits (${bytes} bytes)`,
    );
    this.heldPushBytes = 0;
    this.slots.length = this.slotHead;
    this.kill();
    return true;
  }

  private updateFlow(): void {
    const pause =
      this.waiting !== undefined || this.inflight >= PIPELINE_MAX || !this.writable || this.ending;
    if (pause === this.paused || this.closed) return;
    this.paused = pause;
    if (pause) this.transport.pause();
    else this.transport.resume();
  }
}

function encodeOne(reply: Reply, protocol: Protocol): Buffer {
  const out = new ReplyBuffer(64);
  out.append(reply, protocol);
  return out.take();
}
