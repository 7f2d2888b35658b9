/**
 * The page's "crash" button: one round of the demo's real process-crash test (crash-round.ts) on the
 * crash directory, which is not the directory the web server has open (one process owns a directory): a
 * child process increments counters durably, is SIGKILLed at a random moment, and this process reopens the
 * directory, replays the WAL and checks every counter against what the child acknowledged. Rounds run one
 * at a time; each starts from the counters the previous one recovered.
 */
import { runCrashRound } from "../crash-round.js";

/** What the page shows of one round. */
export interface CrashSummary {
  round: number;
  killDelayMs: number;
  /** Increments the child issued and had acknowledged in this round. */
  issued: number;
  acknowledged: number;
  /** Increments found after recovery that this round added (counter sum minus the previous sum). */
  recovered: number;
  /** Acknowledged increments missing after recovery (must be 0). */
  lostAcknowledged: number;
  /** Sum of all counters after recovery. */
  countersTotal: number;
  replayedRecords: number;
  /** Engine's own recovery time and the wall time of `open` in this process, ms. */
  recoveryMs: number;
  openWallMs: number;
  tornTail: string;
  pass: boolean;
  violations: string[];
}

/** Thrown by {@link CrashRunner.run} while a round is running. */
export class CrashBusyError extends Error {
  readonly code = "CRASH_BUSY";
  constructor() {
    super("a crash round is already running");
  }
}

/** Most violation lines kept per round. */
const VIOLATIONS_SHOWN_MAX = 20;

/** Runs crash rounds on one directory, one at a time. */
export class CrashRunner {
  private baseline = new Map<string, number>();
  private rounds = 0;
  private current: Promise<CrashSummary> | undefined;
  private lastSummary: CrashSummary | undefined;

  /** `dir` must be empty or hold only earlier rounds' counters (the server recreates it at start). */
  constructor(private readonly dir: string) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  get last(): CrashSummary | undefined {
    return this.lastSummary;
  }

  /**
   * Runs one round and resolves with its summary (a failed verdict is a summary with `pass` false).
   * @throws CrashBusyError while another round runs; whatever spawning or reopening throws.
   */
  run(): Promise<CrashSummary> {
    if (this.current !== undefined) throw new CrashBusyError();
    const round = this.rounds + 1;
    this.current = this.runRound(round).finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** Resolves when the running round (if any) has ended, however it ended. */
  async settle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  private async runRound(round: number): Promise<CrashSummary> {
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    const before = sum(this.baseline);
    const r = await runCrashRound(this.dir, this.baseline);
    this.rounds = round;
    this.baseline = r.recovered;
    const total = sum(r.recovered);
    const summary: CrashSummary = {
      round,
      killDelayMs: r.killDelayMs,
      issued: r.issued,
      acknowledged: r.acked,
      recovered: total - before,
      lostAcknowledged: r.lostAcknowledged,
      countersTotal: total,
      replayedRecords: r.replayedRecords,
      recoveryMs: r.recoveryMs,
      openWallMs: Math.round(r.openWallMs * 10) / 10,
      tornTail: r.tornTail,
      pass: r.verdict.pass,
      violations: r.verdict.violations.slice(0, VIOLATIONS_SHOWN_MAX),
    };
    this.lastSummary = summary;
    return summary;
  }
}
