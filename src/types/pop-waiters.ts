/**
 * Blocking pops (BLPOP, BRPOP, BLMOVE, BLMPOP on lists; BZPOPMIN, BZPOPMAX, BZMPOP on sorted sets): callers
 * waiting for an element of one of their keys, served in FIFO order (per key, the oldest waiter first) when
 * a write that leaves the key a non-empty collection of the waiter's type becomes visible (durable in mode
 * 'fsync'). Each served pop is its own atomic write (one WAL record), as Redis propagates a served BLPOP
 * as an LPOP. Idea: Redis's blocked.c (clients blocked per key in arrival order, a key made "ready" by a
 * push, served after the command that pushed; a key of another type then is skipped, not an error).
 *
 * How it stays correct without a lock:
 * - Every attempt (a pop that may find nothing) is a write through the commit pipeline, resolved on the
 *   newest state in submission order, so attempts never race each other on one key.
 * - One drain loop issues attempts in rounds: a round takes the pending tasks (a new waiter's first try; a
 *   key made ready with a budget = the list's length then), issues every attempt they call for at once
 *   (group commit), and awaits them all before the next round. A waiter has at most one attempt in flight
 *   ("busy"); a ready key that had to skip a busy waiter is made ready again for the next round, so no
 *   element waits while a waiter of its key does (liveness), and a waiter is never served twice.
 * - A waiter registers in its keys' queues before its first try, so a push that becomes visible while the
 *   try is in flight makes the key ready and is served in the next round (no lost wake-up).
 * - The timeout runs on the engine's {@link Clock} (`timer`): no real timer in src/, and the simulator (or a
 *   test's manual clock) decides when it fires. A timeout or abort while an attempt is in flight waits for
 *   that attempt: if it popped an element, the waiter gets it (nothing is ever popped and lost).
 */
import type { KeyString } from "../doc/key.js";
import { ClosedError } from "../errors.js";
import type { Clock } from "../io/clock.js";
import type { Effect } from "../wal/batch-codec.js";
import type { TypesRunner } from "./runner.js";
import type { CollectionMeta, Txn } from "./txn.js";

/** Most drain rounds a {@link PopWaiters.settled} caller waits (a BLMOVE chain longer than this goes on after). */
export const SETTLE_ROUNDS_MAX = 16;

/** The collection types a pop can wait on. */
export type PopType = "list" | "zset";

/** What one try took from a non-empty key: the caller's value, and how many elements the key has left. */
export interface Taken<T> {
  readonly value: T;
  readonly left: number;
}

/** A blocking pop's request; `T` is what a served pop returns (an element, elements, entries). */
export interface BlockingPop<T> {
  /** The keys, in the order they are tried (at least one). */
  readonly keys: readonly KeyString[];
  /** The type waited for: only writes leaving a key of this type wake the waiter. */
  readonly type: PopType;
  /**
   * One try on `keys[index]`, inside a write: undefined when the key holds no such collection (absent),
   * else pops (or moves) and says what it took. @throws WrongTypeError for a key of another type.
   */
  readonly take: (tx: Txn, index: number) => Taken<T> | undefined;
  /** Milliseconds of the engine's clock to wait; 0 waits until served (or aborted, or closed). */
  readonly timeoutMs: number;
  /** Aborting it ends the wait as a timeout does. */
  readonly signal?: AbortSignal;
}

/** What a served waiter gets: the index (in `keys`) of the key popped and what `take` returned. */
export interface Served<T> {
  readonly index: number;
  readonly value: T;
}

interface Waiter {
  readonly req: BlockingPop<unknown>;
  state: "waiting" | "busy" | "done";
  /** The timeout or the signal ended the wait while an attempt was in flight. */
  ended: boolean;
  cancelTimer: () => void;
  onAbort: () => void;
  resolve: (served: Served<unknown> | undefined) => void;
  reject: (err: unknown) => void;
}

type Task = { readonly waiter: Waiter } | { readonly key: KeyString; readonly type: PopType; budget: number };

/** One attempt's outcome: the index of the key popped, what was taken, and what the key has left. */
interface Attempt extends Taken<unknown> {
  readonly index: number;
}

/** See the module comment. One per open database. */
export class PopWaiters {
  /** Waiters per key, oldest first. Bounded by the waiters (each in at most its keys' queues). */
  private readonly byKey = new Map<KeyString, Waiter[]>();
  /** Pending tasks of the next round, in arrival order. */
  private tasks: Task[] = [];
  private draining = false;
  /** Rounds run so far, and the callers of {@link settled} waiting for a round (or for the drain's end). */
  private rounds = 0;
  private settling: { readonly until: number; readonly resolve: () => void }[] = [];
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly run: TypesRunner,
    private readonly clock: Clock,
  ) {}

  /** Callers blocked now (INFO's `blocked_clients`). */
  get blocked(): number {
    return this.waiting;
  }

  /**
   * Waits until one of `req.keys` holds an element and pops it for this caller (FIFO among waiters of a
   * key). Resolves with the key's index and the element, or undefined on timeout or abort.
   * @throws ClosedError when the database closes first; WrongTypeError (a key, or BLMOVE's destination,
   *   of another type when an element is there to pop); what every write throws.
   */
  wait<T>(req: BlockingPop<T>): Promise<Served<T> | undefined> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (req.signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        req: req as BlockingPop<unknown>,
        state: "busy",
        ended: false,
        cancelTimer: () => {},
        onAbort: () => this.end(w),
        resolve: resolve as (served: Served<unknown> | undefined) => void,
        reject,
      };
      this.waiting++;
      for (const k of new Set(req.keys)) {
        let q = this.byKey.get(k);
        if (q === undefined) {
          q = [];
          this.byKey.set(k, q);
        }
        q.push(w);
      }
      if (req.timeoutMs > 0) w.cancelTimer = this.clock.timer(req.timeoutMs, () => this.end(w));
      req.signal?.addEventListener("abort", w.onAbort, { once: true });
      this.tasks.push({ waiter: w });
      void this.drain();
    });
  }

  /** The effects of a record that became visible: a list or sorted set with waiters is ready. Never throws. */
  readonly onEffects = (effects: readonly Effect[]): void => {
    let any = false;
    for (const { key, entry } of effects) {
      const type = entry.type;
      if ((type !== "list" && type !== "zset") || entry.value === undefined || !this.byKey.has(key)) continue;
      this.markReady(key, type, (entry.value as unknown as CollectionMeta).n);
      any = true;
    }
    // Not from inside the pipeline's apply step: the attempts start once it has returned (a microtask).
    if (any) void Promise.resolve().then(() => this.drain());
  };

  /**
   * Undefined when no pop is pending; else a promise that resolves once the waiters made ready so far, and
   * those their pops make ready in turn (BLMOVE chains), are served, or after {@link SETTLE_ROUNDS_MAX}
   * rounds, whichever comes first (so steady traffic cannot hold a caller forever). The server awaits it
   * before replying to a write, as Redis serves blocked clients before the next command runs. Never rejects.
   */
  settled(): Promise<void> | undefined {
    if (!this.draining && this.tasks.length === 0) return undefined;
    return new Promise((resolve) => this.settling.push({ until: this.rounds + SETTLE_ROUNDS_MAX, resolve }));
  }

  /** Ends every wait not in flight with ClosedError (those in flight end with their attempt). */
  close(): void {
    this.closed = true;
    const all = new Set<Waiter>();
    for (const q of this.byKey.values()) for (const w of q) all.add(w);
    for (const w of all) if (w.state === "waiting") this.finish(w, undefined, new ClosedError());
  }

  private markReady(key: KeyString, type: PopType, budget: number): void {
    for (const t of this.tasks) {
      if ("key" in t && t.key === key && t.type === type) {
        t.budget = Math.max(t.budget, budget);
        return;
      }
    }
    this.tasks.push({ key, type, budget });
  }

  /** Runs rounds until no task is pending. Never rejects. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Bounded: each round awaits real writes, and tasks come only from waiters, pushes and skips.
      while (this.tasks.length > 0) {
        const round = this.tasks;
        this.tasks = [];
        const jobs: Promise<void>[] = [];
        const again: Task[] = [];
        for (const t of round) {
          if ("waiter" in t) jobs.push(this.firstTry(t.waiter));
          else this.serveKey(t.key, t.type, t.budget, jobs, again);
        }
        await Promise.all(jobs);
        for (const t of again) if ("key" in t) this.markReady(t.key, t.type, t.budget);
        this.rounds++;
        this.wakeSettled(false);
      }
    } finally {
      this.draining = false;
      this.wakeSettled(true);
    }
  }

  private wakeSettled(all: boolean): void {
    const keep = all ? [] : this.settling.filter((s) => s.until > this.rounds);
    for (const s of this.settling) if (all || s.until <= this.rounds) s.resolve();
    this.settling = keep;
  }

  /** A new waiter's first try: its keys in order, except those with an older waiter (theirs first). */
  private firstTry(w: Waiter): Promise<void> {
    const indexes: number[] = [];
    w.req.keys.forEach((k, i) => {
      if (this.byKey.get(k)?.find((o) => o.state !== "done") === w) indexes.push(i);
    });
    return this.attempt(w, indexes, false);
  }

  /** Issues attempts for up to `budget` waiting waiters of `key` waiting for `type`, oldest first. */
  private serveKey(
    key: KeyString,
    type: PopType,
    budget: number,
    jobs: Promise<void>[],
    again: Task[],
  ): void {
    const q = this.byKey.get(key);
    if (q === undefined) return;
    let left = budget;
    for (const w of q) {
      if (left <= 0) break;
      if (w.req.type !== type) continue;
      if (w.state === "busy") {
        again.push({ key, type, budget: left });
        continue;
      }
      if (w.state !== "waiting") continue;
      w.state = "busy";
      left--;
      jobs.push(this.attempt(w, [w.req.keys.indexOf(key)], true));
    }
  }

  /**
   * One attempt for `w` over its keys at `indexes` (first non-empty wins), and its outcome; `serving`: keys
   * of another type are passed over (Redis serves a ready key only to clients blocked for its type). Never
   * rejects.
   */
  private async attempt(w: Waiter, indexes: readonly number[], serving: boolean): Promise<void> {
    w.state = "busy";
    let got: Attempt | undefined;
    try {
      got =
        indexes.length === 0
          ? undefined
          : await this.run.write((tx) => popFirst(tx, w.req, indexes, serving));
    } catch (err) {
      this.finish(w, undefined, err);
      // A failed serve (BLMOVE onto a key of another type) took nothing: the next waiter gets the element.
      const key = w.req.keys[indexes[0] as number] as KeyString;
      if (serving && this.byKey.has(key)) this.markReady(key, w.req.type, 1);
      return;
    }
    if (got !== undefined) {
      this.finish(w, { index: got.index, value: got.value });
      const key = w.req.keys[got.index] as KeyString;
      if (got.left > 0 && this.byKey.has(key)) this.markReady(key, w.req.type, got.left);
    } else if (w.ended || this.closed) {
      this.finish(w, undefined, this.closed && !w.ended ? new ClosedError() : undefined);
    } else w.state = "waiting";
  }

  /** Timeout or abort: ends the wait now, or when its attempt in flight returns. */
  private end(w: Waiter): void {
    if (w.state === "waiting") this.finish(w, undefined);
    else if (w.state === "busy") w.ended = true;
  }

  private finish(w: Waiter, served: Served<unknown> | undefined, err?: unknown): void {
    if (w.state === "done") return;
    w.state = "done";
    this.waiting--;
    w.cancelTimer();
    w.req.signal?.removeEventListener("abort", w.onAbort);
    for (const k of new Set(w.req.keys)) {
      const q = this.byKey.get(k)?.filter((o) => o !== w);
      if (q === undefined || q.length === 0) this.byKey.delete(k);
      else this.byKey.set(k, q);
    }
    if (err !== undefined) w.reject(err);
    else w.resolve(served);
  }
}

/**
 * One attempt as a pure operation: pops from the first key among `indexes` holding a collection of the
 * request's type (`serving`: keys of another type are passed over; otherwise they throw); also the
 * non-blocking form of a blocking pop (inside MULTI). @throws WrongTypeError.
 */
export function popFirst<T>(
  tx: Txn,
  req: Pick<BlockingPop<T>, "keys" | "type" | "take">,
  indexes: readonly number[],
  serving = false,
): (Taken<T> & { readonly index: number }) | undefined {
  for (const i of indexes) {
    if (serving && tx.typeOf(req.keys[i] as KeyString) !== req.type) continue;
    const got = req.take(tx, i);
    if (got !== undefined) return { index: i, value: got.value, left: got.left };
  }
  return undefined;
}
