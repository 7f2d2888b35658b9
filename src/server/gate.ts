/**
 * A shared/exclusive gate over command execution across all connections. Every command holds it shared
 * while it runs; a command marked `exclusive` in the table (FLUSHDB, FLUSHALL) holds it alone, so it sees
 * and changes the keyspace with no other command of any client in between: since every write reaches the
 * engine through this server, that makes a multi-call operation atomic to clients. Waiters are served in
 * arrival order (an exclusive waiter holds back later shared ones, so it cannot starve), which also keeps
 * each connection's commands in request order.
 */

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

/** See the module comment. */
export class Gate {
  private shared = 0;
  private exclusiveHeld = false;
  /** FIFO; bounded by the commands in flight on all connections. */
  private readonly waiters: Waiter[] = [];

  /** Commands holding the gate shared now. */
  get sharedHolders(): number {
    return this.shared;
  }

  /**
   * Takes the gate. Returns undefined when taken at once, or a promise that resolves once it is taken.
   * Every successful enter is paired with one {@link leave} of the same kind.
   */
  enter(exclusive: boolean): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.free(exclusive)) {
      this.take(exclusive);
      return undefined;
    }
    return new Promise((resolve) => {
      this.waiters.push({ exclusive, grant: resolve });
    });
  }

  leave(exclusive: boolean): void {
    if (exclusive) {
      if (!this.exclusiveHeld) throw new Error("gate: exclusive leave without enter");
      this.exclusiveHeld = false;
    } else {
      if (this.shared <= 0) throw new Error("gate: shared leave without enter");
      this.shared--;
    }
    // Grant waiters in order while they fit: a run of shared ones, or one exclusive.
    for (;;) {
      const next = this.waiters[0];
      if (next === undefined || !this.free(next.exclusive)) return;
      this.waiters.shift();
      this.take(next.exclusive);
      next.grant();
    }
  }

  private free(exclusive: boolean): boolean {
    return exclusive ? !this.exclusiveHeld && this.shared === 0 : !this.exclusiveHeld;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusiveHeld = true;
    else this.shared++;
  }
}
