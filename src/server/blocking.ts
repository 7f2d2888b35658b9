/**
 * One connection's wait in a blocking command (BLPOP, BLMOVE, ...): whether one runs (INFO
 * `blocked_clients`), and how CLIENT UNBLOCK or the connection's end cuts it short (an AbortSignal whose
 * reason is "timeout", "error" or "closed"). At most one wait at a time: a connection runs one blocking
 * command at a time (it is not blind).
 */
export class BlockedWait {
  private controller: AbortController | undefined;
  private closed = false;

  /** Whether a wait runs. */
  get active(): boolean {
    return this.controller !== undefined;
  }

  /** Runs `wait` with the signal CLIENT UNBLOCK and the connection's end abort. @throws if one runs already. */
  async run<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.controller !== undefined) throw new Error("one blocking wait at a time per connection");
    const controller = new AbortController();
    this.controller = controller;
    if (this.closed) controller.abort("closed");
    try {
      return await wait(controller.signal);
    } finally {
      this.controller = undefined;
    }
  }

  /** CLIENT UNBLOCK: aborts the running wait with `how`; whether one was running. */
  unblock(how: "timeout" | "error"): boolean {
    const c = this.controller;
    if (c === undefined || c.signal.aborted) return false;
    c.abort(how);
    return true;
  }

  /** The connection is gone: the running wait (and any later one) ends at once. */
  close(): void {
    this.closed = true;
    this.controller?.abort("closed");
  }
}
