/**
 * A stream of acknowledged writes through one client, for crash tests behind a proxy: workers issue
 * `SET k:<i> v:<i>` and `INCR c:<i mod 16>` with fresh ids until told to stop, and the ledger keeps what
 * each acknowledgement promises: an acknowledged SET's value is readable afterwards (each key is written
 * once); a counter is at least its largest acknowledged INCR reply and at most the INCRs sent to it (an
 * unacknowledged INCR may or may not have happened). Failed writes (errors, closed connections) promise
 * nothing and are only counted.
 */

/** What the stream needs of a client: one command, its reply or a rejection. */
export type SendCommand = (args: string[]) => Promise<unknown>;

/** The phase of the test in which a write was issued (the controller moves it on). */
export type Phase = "before-kill" | "down" | "restarting" | "after-restart";

/** One acknowledged SET: the key, its value and the phase in which it was issued. */
export interface AckedSet {
  key: string;
  value: string;
  phase: Phase;
}

/** Everything the stream's acknowledgements promise, and how many writes failed. */
export interface Ledger {
  sets: AckedSet[];
  /** Counter key → largest acknowledged INCR reply. */
  counterAckedMax: Map<string, number>;
  /** Counter key → INCRs sent (acknowledged or not). */
  counterSent: Map<string, number>;
  acked: number;
  failed: number;
  /** The first few failure messages, for the test log. */
  failureSamples: string[];
}

/** Number of counters the INCRs spread over. */
const COUNTERS = 16;
/** A worker pauses this long after a failed write, so a dead backend is not hammered in a tight loop. */
const FAILURE_PAUSE_MS = 5;
/**
 * While a backend restarts (which may take tens of seconds), each worker pauses this long between writes,
 * so the ledger stays small enough to read back quickly.
 */
const RESTARTING_PAUSE_MS = 20;
/** Bound on the ids one stream issues (a runaway loop ends here). */
const OPS_MAX = 1_000_000;

/** A running stream: its ledger (live), the phase new writes are tagged with, and how to stop it. */
export interface WriteStream {
  ledger: Ledger;
  phase: Phase;
  /** Stops issuing writes and resolves when every write in flight has settled. */
  stop(): Promise<void>;
}

/** Starts `workers` sequential writers on `send`; each issues one write at a time until stopped. */
export function startWriteStream(send: SendCommand, workers: number): WriteStream {
  const ledger: Ledger = {
    sets: [],
    counterAckedMax: new Map(),
    counterSent: new Map(),
    acked: 0,
    failed: 0,
    failureSamples: [],
  };
  let next = 0;
  let stopping = false;
  const stream: WriteStream = { ledger, phase: "before-kill", stop: async () => undefined };
  const one = async (i: number): Promise<void> => {
    const phase = stream.phase;
    try {
      if (i % 3 === 2) {
        const key = `c:${i % COUNTERS}`;
        ledger.counterSent.set(key, (ledger.counterSent.get(key) ?? 0) + 1);
        const n = Number(await send(["INCR", key]));
        ledger.counterAckedMax.set(key, Math.max(n, ledger.counterAckedMax.get(key) ?? 0));
      } else {
        const key = `k:${i}`;
        const value = `v:${i}`;
        if ((await send(["SET", key, value])) !== "OK") throw new Error(`SET ${key}: not OK`);
        ledger.sets.push({ key, value, phase });
      }
      ledger.acked++;
    } catch (e) {
      ledger.failed++;
      if (ledger.failureSamples.length < 5) ledger.failureSamples.push(String(e));
      await new Promise((r) => setTimeout(r, FAILURE_PAUSE_MS));
    }
  };
  const worker = async () => {
    while (!stopping && next < OPS_MAX) {
      await one(next++);
      if (stream.phase === "restarting") await new Promise((r) => setTimeout(r, RESTARTING_PAUSE_MS));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  stream.stop = async () => {
    stopping = true;
    await running;
  };
  return stream;
}

/** Resolves once `condition()` holds, checking every 20 ms; rejects after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  // Bounded by timeoutMs (the throw below).
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
