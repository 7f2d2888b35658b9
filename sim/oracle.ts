/**
 * The crash-aware oracle (DESIGN.md "Oracle"; issue 3 checks a-e). It watches every call the workload makes
 * and every answer the engine gives, against the {@link ReferenceModel}:
 *
 * - An acknowledged call must carry exactly the versions and values the model computed for it, and a
 *   rejected call must be rejected for the model's reason (or for a non-semantic reason: poison, crash).
 * - (d) A read must return the key's state after some prefix of the commit order that contains every call
 *   acknowledged before the read started and no call issued after it ended. What it saw must survive any
 *   later crash: a crash can never take back a value somebody has read.
 * - (a, b) After a crash and recovery, the state must equal the model after some single prefix P of the
 *   commit order with P at or past every acknowledged call and every read observation: no lost writes, no
 *   holes, no phantoms, batches all or nothing. (c) follows: versions are the model's, which only grow.
 *
 * - TTL: a read at virtual times [start, end] may see a document only if it was live at some moment of that
 *   window, with the model's exact expiry, and may see it absent only if it was absent or expired then;
 *   after a crash the recovered expiries equal the model's (expiry is logged, never recomputed).
 * - Durability mode 'relaxed' (`relaxedUnsyncedMax` set): a crash may lose at most that many acknowledged
 *   calls, and only the newest ones: the recovered state is still one prefix of the commit order, but the
 *   prefix may stop before the last `relaxedUnsyncedMax` acknowledged positions; reads may have seen them.
 *
 * - Runtime faults: a call rejected with an I/O error before it was committed (a read of its base failed)
 *   never happened: {@link Oracle.retract} takes it out of the commit order and re-resolves every later
 *   call, which the engine also resolved without it. A call rejected because the log failed
 *   (FUSEDB_POISONED) may or may not be durable, like one in flight at a crash.
 *
 * Violations are collected as strings, never thrown, so a campaign reports all it found.
 */

import { ExpiryWitness } from "./engine-time.js";
import type { CallOutcome, ModelJson, ModelMutation, ModelState } from "./model.js";
import { canonical, describeState, liveAt, ReferenceModel } from "./model.js";
import { unreadMatches } from "./typed-dump.js";

/** Error codes that say nothing about the mutation's semantics (it may or may not be durable). */
const NON_SEMANTIC = new Set([
  "FUSEDB_POISONED",
  "FUSEDB_CLOSED",
  "ESIMCRASHED",
  "FUSEDB_IO",
  "EIO",
  "ENOSPC",
]);

/** A read's answer: a document with its version (and expiry), or absent. */
export type ReadAnswer = { value: ModelJson; version: number; expiresAtMs?: number } | undefined;

/** Oracle settings. */
export interface OracleOptions {
  /** Mode 'relaxed': most acknowledged calls a crash may lose (the engine's `relaxedUnsyncedMax`). */
  relaxedUnsyncedMax?: number;
}

/** Handle for one issued call. `outcome` may change if an earlier call is retracted. */
export interface CallTicket {
  id: number;
  outcome: CallOutcome;
}

/**
 * A call as issued, so it can be resolved again after a retraction. `settleFrom`: for a call whose effect
 * is a random choice (SPOP), the resolution a recovered state shows it made, if it shows one.
 */
interface IssuedCall {
  ticket: CallTicket;
  resolve: () => CallOutcome;
  acked?: boolean;
  settleFrom?: (state: ReadonlyMap<string, ModelState>) => (() => CallOutcome) | undefined;
}

/** Handle for one read in flight. */
export interface ReadTicket {
  key: string;
  floorPos: number;
  /** Virtual time the read started. */
  startMs: number;
  /**
   * Reads answered before this one started (the oracle's count): only what they saw expired binds it. A
   * read that overlaps the one that saw a version expired may still linearize before it. Undefined: 0.
   */
  seq?: number;
}

/** A scan's bounds and shape, as the workload issued it: `[gte, lt)`, at most `limit` entries. */
export interface ScanBounds {
  gte?: string;
  lt?: string;
  limit: number;
  reverse: boolean;
}

/** Checks engine answers against the model; see the module comment. */
export class Oracle {
  readonly model = new ReferenceModel();
  readonly violations: string[] = [];
  /** Highest position acknowledged so far (this epoch and before). */
  private ackedPos = 0;
  /** Highest position some read has observed as visible. */
  private observedPos = 0;
  private nextId = 1;
  /** Acknowledged calls, counted over the whole campaign. */
  acks = 0;
  /** Mode 'relaxed': positions acknowledged since the last recovery, ascending. */
  private ackedSinceRecovery: number[] = [];
  /** Position the last recovery kept. */
  private recoveredPos = 0;
  /** Calls issued since the last recovery, in commit order (bounded by the calls of one epoch). */
  private issued: IssuedCall[] = [];
  /** Calls retracted, over the whole campaign. */
  retractions = 0;
  /**
   * The position each retraction took out, in order (every later position moved down by one): lets a
   * checker holding positions from before (sim/tx-oracle.ts) move them too.
   */
  readonly retractedLog: number[] = [];
  /** Versions seen expired: never live again for a read started later (sim/engine-time.ts). */
  readonly expired = new ExpiryWitness();
  /** Reads (and keys checked of a scan) answered so far. */
  private readsAnswered = 0;

  constructor(private readonly options: OracleOptions = {}) {}

  /** Position acknowledged last (the highest), this epoch and before. */
  get ackedMax(): number {
    return this.ackedPos;
  }

  /**
   * Registers a call made at virtual time `nowMs`, in commit order; must be called in the same order as the
   * engine calls, at the same virtual time.
   */
  issue(mutations: readonly ModelMutation[], nowMs = 0): CallTicket {
    return this.register(() => this.model.apply(mutations, nowMs));
  }

  /** Registers a call resolved by `resolve` as the next in commit order (see {@link issue}). */
  register(resolve: () => CallOutcome, settleFrom?: IssuedCall["settleFrom"]): CallTicket {
    const ticket = { id: this.nextId++, outcome: resolve() };
    this.issued.push({ ticket, resolve, settleFrom });
    return ticket;
  }

  /**
   * `ticket`'s call resolves as `resolve` says from now on (the engine's answer to a random choice): the
   * model forgets it and every later call, then resolves them again, in order. Returns false (reporting a
   * violation) if a later call was already acknowledged or read, which the campaign's order rules out.
   */
  rechoose(ticket: CallTicket, resolve: () => CallOutcome, what: string): boolean {
    const at = this.issued.findIndex((c) => c.ticket === ticket);
    const o = ticket.outcome;
    if (at < 0 || !o.ok || o.noop) return false;
    if (this.ackedPos > o.pos || this.observedPos > o.pos) {
      this.fail(`${what}: its random choice became known after a later call was acknowledged or read`);
      return false;
    }
    (this.issued[at] as IssuedCall).resolve = resolve;
    this.model.truncate(o.pos - 1);
    for (const c of this.issued.slice(at)) c.ticket.outcome = c.resolve();
    return true;
  }

  /**
   * The engine rejected `ticket` before committing it (an I/O error while reading its base): it never
   * happened. Takes it out of the commit order and resolves every later call again, in order, updating
   * their tickets' outcomes. No later call can have been acknowledged yet: the engine prepares calls in
   * call order, so each later call is resolved after this one failed.
   */
  retract(ticket: CallTicket, what: string): void {
    const o = ticket.outcome;
    const at = this.issued.findIndex((c) => c.ticket === ticket);
    if (!o.ok || at < 0) return;
    if (o.noop) {
      this.issued.splice(at, 1);
      return;
    }
    if (this.ackedPos >= o.pos || this.observedPos >= o.pos) {
      this.fail(`${what}: rejected before commit, but a later call was already acknowledged or read`);
      return;
    }
    this.retractions++;
    this.retractedLog.push(o.pos);
    const later = this.issued.splice(at);
    later.shift();
    this.model.truncate(o.pos - 1);
    // Bounded by the calls issued this epoch.
    for (const c of later) {
      c.ticket.outcome = c.resolve();
      this.issued.push(c);
    }
  }

  /** Lowest commit position the next recovery may keep (see {@link recovered}). */
  get floorPos(): number {
    return this.recoveryFloor();
  }

  /** The engine acknowledged `ticket` with these per-mutation results. */
  acked(ticket: CallTicket, results: readonly { version: number; value?: unknown }[], what: string): void {
    const o = ticket.outcome;
    if (!this.noteAcked(ticket, what) || !o.ok) return;
    o.results.forEach((expected, i) => {
      const got = results[i];
      if (!got || got.version !== expected.version) {
        this.fail(`${what}: result ${i} has version ${got?.version}, model says ${expected.version}`);
      } else if (
        got.value !== undefined &&
        expected.type === undefined &&
        canonical(got.value as ModelJson) !== canonical(expected.value)
      ) {
        this.fail(
          `${what}: result ${i} value ${canonical(got.value as ModelJson)}, model ${canonical(expected.value)}`,
        );
      }
    });
  }

  /**
   * Counts `ticket` acknowledged: its position (unless it changed nothing) is now a floor of every read and
   * recovery. Returns false (reporting it) if the model rejects the call.
   */
  noteAcked(ticket: CallTicket, what: string): boolean {
    this.acks++;
    const o = ticket.outcome;
    if (!o.ok) {
      this.fail(`${what}: acknowledged, but the model rejects it with ${o.code}`);
      return false;
    }
    const issued = this.issued.find((c) => c.ticket === ticket);
    if (issued !== undefined) issued.acked = true;
    if (o.noop) return true;
    if (o.pos > this.ackedPos) this.ackedPos = o.pos;
    if (this.options.relaxedUnsyncedMax !== undefined) insertSorted(this.ackedSinceRecovery, o.pos);
    return true;
  }

  /** A read saw the state after position `pos`: a crash may no longer take it back. Counts the read. */
  noteObserved(pos: number): void {
    this.readsAnswered++;
    if (pos > this.observedPos) this.observedPos = pos;
  }

  /** Reports a violation (at most 100 are kept). */
  report(message: string): void {
    this.fail(message);
  }

  /** The engine rejected `ticket` with error code `code`. */
  rejected(ticket: CallTicket, code: string | undefined, what: string): void {
    const o = ticket.outcome;
    if (code !== undefined && NON_SEMANTIC.has(code)) return;
    if (o.ok) this.fail(`${what}: rejected with ${code}, but the model accepts it`);
    else if (o.code !== code) this.fail(`${what}: rejected with ${code}, model says ${o.code}`);
  }

  /** A read of `key` starts now, at virtual time `nowMs`. */
  readStart(key: string, nowMs = 0): ReadTicket {
    return { key, floorPos: this.ackedPos, startMs: nowMs, seq: this.readsAnswered };
  }

  /**
   * The read answered at virtual time `endMs` (the model's last position is the ceiling). `scanned`: the
   * answer is a scan's, which lists documents only: a live collection counts as absent.
   */
  readDone(t: ReadTicket, answer: ReadAnswer, what: string, endMs = t.startMs, scanned = false): void {
    this.readsAnswered++;
    const ceiling = this.model.lastPos;
    if (answer !== undefined) {
      const pos = this.model.posOfVersion(t.key, answer.version);
      const expected = pos === undefined ? undefined : this.model.stateAt(t.key, pos);
      if (pos === undefined || expected === undefined || pos > ceiling) {
        this.fail(`${what}: saw version ${answer.version}, which no issued call produced`);
        return;
      }
      if (expected.type !== undefined) {
        this.fail(`${what}: saw version ${answer.version} as a document, but it is a ${expected.type}`);
      } else if (canonical(expected.value) !== canonical(answer.value)) {
        this.fail(
          `${what}: version ${answer.version} = ${canonical(answer.value)}, model ${canonical(expected.value)}`,
        );
      }
      if (expected.expiresAtMs !== answer.expiresAtMs) {
        this.fail(
          `${what}: version ${answer.version} expires at ${answer.expiresAtMs}, model ${expected.expiresAtMs}`,
        );
      }
      if (!liveAt(expected, t.startMs)) {
        this.fail(
          `${what}: saw version ${answer.version}, expired at ${expected.expiresAtMs} <= ${t.startMs}`,
        );
      }
      if (this.model.nextChangeAfter(t.key, pos) <= t.floorPos) {
        this.fail(`${what}: saw version ${answer.version}, older than a write acknowledged before the read`);
      }
      if (this.expired.wasExpiredBefore(t.key, answer.version, t.seq ?? 0)) {
        this.fail(
          `${what}: saw ${t.key} version ${answer.version} live after a read saw it expired (clock went back)`,
        );
      }
      if (pos > this.observedPos) this.observedPos = pos;
      return;
    }
    // Absent, with one state in the whole window, expired when the read started: seen expired.
    const only = this.model.stateAt(t.key, t.floorPos);
    if (this.model.nextChangeAfter(t.key, t.floorPos) > ceiling && only.value !== undefined) {
      if (only.expiresAtMs !== undefined && only.expiresAtMs <= t.startMs) {
        this.expired.sawExpired(t.key, only.version, this.readsAnswered);
      }
    }
    // Absent: some position in [floorPos, ceiling] must have the key absent or expired by the end.
    if (this.someAllowed(t, (s) => !liveAt(s, endMs) || (scanned && s.type !== undefined))) return;
    this.fail(`${what}: saw the key absent, but it exists at every allowed prefix`);
  }

  /**
   * A read wanting `wanted` (a data type, or undefined for a document) was refused with FUSEDB_WRONG_TYPE at
   * `endMs`: some allowed position must have the key live, of another type, during the read.
   */
  wrongTypeDone(t: ReadTicket, wanted: ModelState["type"], what: string, endMs: number): void {
    this.readsAnswered++;
    const other = (s: ModelState): boolean => (liveAt(s, t.startMs) || liveAt(s, endMs)) && s.type !== wanted;
    if (!this.someAllowed(t, other)) this.fail(`${what}: WRONGTYPE, but no allowed state holds another type`);
  }

  /**
   * A `ttl(key)` read answered at `endMs`: undefined (absent), null (no expiry) or the remaining ms, which
   * must equal `expiresAtMs - t` for some moment t of the read's window.
   */
  ttlDone(t: ReadTicket, answer: number | null | undefined, what: string, endMs: number): void {
    if (answer === undefined) {
      this.readDone(t, undefined, what, endMs);
      return;
    }
    const ok = this.someAllowed(t, (s) => {
      if (!liveAt(s, t.startMs)) return false;
      if (answer === null) return s.expiresAtMs === undefined;
      return (
        s.expiresAtMs !== undefined && s.expiresAtMs - endMs <= answer && answer <= s.expiresAtMs - t.startMs
      );
    });
    if (!ok) this.fail(`${what}: ttl ${answer} matches no allowed state at times ${t.startMs}..${endMs}`);
  }

  /** Whether some position in [floorPos, model's last position] gives `t.key` a state satisfying `pred`. */
  someAllowed(t: ReadTicket, pred: (s: ModelState) => boolean): boolean {
    const ceiling = this.model.lastPos;
    // Bounded by the key's changes in the window.
    for (let p = t.floorPos; p <= ceiling; p++) {
      if (pred(this.model.stateAt(t.key, p))) return true;
      const next = this.model.nextChangeAfter(t.key, p);
      if (next > ceiling) break;
      p = next - 1;
    }
    return false;
  }

  /**
   * Checks a recovered state (every model key read back with `get` and `versionOf`, so tombstones count)
   * against the prefixes of the commit order and, on success, forgets the commits the crash lost. Returns
   * the prefix found, or undefined. `lossAllowed`: injected damage explains a loss of acknowledged calls
   * (the known limit of docs/fault-model.md: the final group-commit write, which an earlier recovery may
   * already have kept, is cut), so any prefix will do; the state must still be one prefix of the commit
   * order.
   */
  recovered(
    state: ReadonlyMap<string, ModelState>,
    what: string,
    nowMs = 0,
    lossAllowed = false,
  ): number | undefined {
    // Calls with a random choice left unacknowledged: the recovered state may show the choice they made.
    for (const c of [...this.issued]) {
      const resolve = c.acked ? undefined : c.settleFrom?.(state);
      if (resolve !== undefined) this.rechoose(c.ticket, resolve, `${what}: unacknowledged choice`);
    }
    const floor = lossAllowed ? 0 : this.recoveryFloor();
    const keys = this.model.keys();
    for (let p = this.model.lastPos; p >= floor; p--) {
      if (keys.every((k) => this.matches(k, p, state.get(k), nowMs))) {
        this.model.truncate(p);
        // Mode 'relaxed' may lose acknowledged (and observed) calls: the survivors are the new floor.
        this.ackedPos = Math.min(this.ackedPos, p);
        this.observedPos = Math.min(this.observedPos, p);
        this.ackedSinceRecovery = [];
        this.recoveredPos = p;
        this.issued = [];
        return p;
      }
    }
    const diffs = this.differences(state, floor, nowMs);
    this.fail(
      `${what}: recovered state matches no prefix in [${floor}, ${this.model.lastPos}] ` +
        `(acked ${this.ackedPos}, read ${this.observedPos}); e.g. ${diffs.join("; ")}`,
    );
    return undefined;
  }

  /**
   * How `state` differs from the model after commit `pos` at virtual time `nowMs` (at most 5 keys described);
   * empty if it matches. Changes nothing.
   */
  differences(state: ReadonlyMap<string, ModelState>, pos: number, nowMs: number): string[] {
    return this.model
      .keys()
      .filter((k) => !this.matches(k, pos, state.get(k), nowMs))
      .slice(0, 5)
      .map(
        (k) =>
          `${k}: got ${describeState(state.get(k))}, model ${describeState(this.model.observedAt(k, pos, nowMs))}`,
      );
  }

  /**
   * Whether `got` (read back before virtual time `nowMs`) is what the model says of `key` after commit
   * `pos`: a document read while live is the model's state (version, value, expiry), and is live at
   * `nowMs` exactly when the model's is; a key read while not live has no value, the version the model
   * gives a dead key (its own or its bucket's dead-version floor, {@link ReferenceModel.observedAt}), and is
   * not live in the model at `nowMs` either (a tombstone and an expired document are the same to every
   * reader: background work turns one into the other, or drops it).
   */
  private matches(key: string, pos: number, got: ModelState | undefined, nowMs: number): boolean {
    const g = got ?? { version: 0, value: undefined };
    const expected = this.model.stateAt(key, pos);
    if (g.value === undefined) {
      return !liveAt(expected, nowMs) && g.version === this.model.observedAt(key, pos, nowMs).version;
    }
    if (g.unread) return unreadMatches(g, expected) && liveAt(expected, nowMs) === liveAt(g, nowMs);
    if (g.version !== expected.version || expected.value === undefined || g.type !== expected.type)
      return false;
    if (liveAt(expected, nowMs) !== liveAt(g, nowMs)) return false;
    return canonical(g.value) === canonical(expected.value) && g.expiresAtMs === expected.expiresAtMs;
  }

  /**
   * Lowest prefix a recovery may keep. Mode 'fsync': every acknowledged call, every observation, and
   * everything the last recovery kept (it was durable then, and the checker read it). Mode 'relaxed': all
   * but the newest `relaxedUnsyncedMax` calls acknowledged since the last recovery.
   */
  private recoveryFloor(): number {
    const bound = this.options.relaxedUnsyncedMax;
    if (bound === undefined) return Math.max(this.ackedPos, this.observedPos, this.recoveredPos);
    const acked = this.ackedSinceRecovery;
    return acked.length > bound ? (acked[acked.length - bound - 1] as number) : this.recoveredPos;
  }

  private fail(message: string): void {
    if (this.violations.length < 100) this.violations.push(message);
  }
}

function insertSorted(list: number[], v: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > v) i--;
  list.splice(i, 0, v);
}
