/**
 * The clock floor a WAL writer carries in its file header slots (docs/wal-format.md, "The clock floor"):
 * the largest time requested (each record's call time, noted when appended; a read's time, waited for) and
 * the largest known durable, with the reads waiting for a floor. The writer decides when a slot carrying
 * `requestedMs` is written and tells `madeDurable` once its fdatasync returned; no record and no LSN is
 * involved. Idea: a commit-wait on a durable timestamp, as Spanner's commit wait and CockroachDB's
 * persisted clock upper bound (`server.clock.persist_upper_bound_interval`).
 */

/** A wait for a clock floor of at least `ms` to be durable. */
interface FloorWaiter {
  ms: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Requested and durable clock floors (engine clock ms) and the waits on them. */
export class ClockFloor {
  private requested: number;
  private durable: number;
  private waiters: FloorWaiter[] = [];

  /** @param durableMs the floor already durable (recovered at open). */
  constructor(durableMs: number) {
    this.durable = durableMs;
    this.requested = durableMs;
  }

  /** The largest floor requested: the next slot written carries it. */
  get requestedMs(): number {
    return this.requested;
  }

  /** The largest floor known durable. */
  get durableMs(): number {
    return this.durable;
  }

  /** Whether a wait is pending (a floor-only commit is due if no record is queued). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Requests a floor of at least `ms` (no I/O). */
  note(ms: number): void {
    if (ms > this.requested) this.requested = ms;
  }

  /** Requests `ms` and resolves once it is durable (`madeDurable`), or rejects with `rejectAll`'s error. */
  wait(ms: number): Promise<void> {
    this.note(ms);
    if (ms <= this.durable) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ ms, resolve, reject }));
  }

  /** A slot carrying `ms` is durable: the waits it satisfies resolve. */
  madeDurable(ms: number): void {
    if (ms > this.durable) this.durable = ms;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.ms <= this.durable);
    this.waiters = this.waiters.filter((w) => w.ms > this.durable);
    for (const w of ready) w.resolve();
  }

  /** Rejects every pending wait with `err` (the writer is poisoned). */
  rejectAll(err: unknown): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
