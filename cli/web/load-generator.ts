/**
 * The page's "run load" button: concurrent durable increments of `load:00` .. `load:63` for a few seconds,
 * each timed into {@link WriteMetrics}, so the sparklines and a table watching `load:` have something to
 * show. One run at a time; it ends at its deadline, on `stop`, or on the first failed write.
 */
import type { FuseDB } from "../../src/index.js";
import type { WriteMetrics } from "./write-metrics.js";

/** Keys the load writes: `load:00` .. `load:63`. */
export const LOAD_KEYS: readonly string[] = Array.from(
  { length: 64 },
  (_, i) => `load:${String(i).padStart(2, "0")}`,
);
/** Increments in flight during a run. */
const LOAD_INFLIGHT = 16;
/** Longest run, in seconds. */
export const LOAD_SECONDS_MAX = 60;

/** Runs and stops the load; `onChange` hears every start and end. */
export class LoadGenerator {
  private deadlineMs = 0;
  private run: Promise<void> | undefined;

  constructor(
    private readonly db: FuseDB,
    private readonly metrics: WriteMetrics,
    private readonly onChange: (running: boolean) => void,
  ) {}

  get running(): boolean {
    return this.run !== undefined;
  }

  /**
   * Runs for `seconds` (1..{@link LOAD_SECONDS_MAX}), or extends the running one to end then.
   * @throws RangeError for another duration.
   */
  start(seconds: number): void {
    if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > LOAD_SECONDS_MAX) {
      throw new RangeError(`load seconds must be an integer 1..${LOAD_SECONDS_MAX}`);
    }
    this.deadlineMs = performance.now() + seconds * 1000;
    if (this.run !== undefined) return;
    const loops = Array.from({ length: LOAD_INFLIGHT }, (_, i) => this.loop(i));
    this.run = Promise.all(loops).then(
      () => this.finish(),
      () => this.finish(),
    );
    this.onChange(true);
  }

  /** Ends the run after the writes in flight; resolves when they are done. */
  async stop(): Promise<void> {
    this.deadlineMs = 0;
    await this.run;
  }

  private finish(): void {
    this.run = undefined;
    this.onChange(false);
  }

  private async loop(index: number): Promise<void> {
    for (let i = index; performance.now() < this.deadlineMs; i += LOAD_INFLIGHT) {
      const key = LOAD_KEYS[i % LOAD_KEYS.length] as string;
      const started = performance.now();
      await this.db.incr(key, 1);
      this.metrics.record(performance.now() - started);
    }
  }
}
