/**
 * One round of the demo's real process-crash test: spawn `fusedb crash-child <dir>`, SIGKILL it at a random
 * moment 300-1500 ms after it reports ready, reopen the directory here and verify every counter against
 * what the child reported (crash-verify.ts).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RecoveryInfo } from "../src/index.js";
import { open } from "../src/index.js";
import { CRASH_KEYS } from "./crash-child.js";
import type { CrashVerdict } from "./crash-verify.js";
import { verifyCrashRound } from "./crash-verify.js";

/** bin/fusedb.js, found from this compiled file (dist/cli/crash-round.js). */
const BIN_PATH = fileURLToPath(new URL("../../bin/fusedb.js", import.meta.url));
const KILL_DELAY_MS_MIN = 300;
const KILL_DELAY_MS_MAX = 1500;
/** A child that never reports ready is killed after this long and the round fails. */
const READY_TIMEOUT_MS = 20_000;

/** What one round saw and concluded. */
export interface CrashRoundReport {
  killDelayMs: number;
  issued: number;
  acked: number;
  /** Wall ms of `open` in the parent, and the engine's own recovery figures. */
  openWallMs: number;
  recoveryMs: number;
  replayedRecords: number;
  /** The torn WAL tail recovery dropped, described, or "none". */
  tornTail: string;
  /** Counter values after recovery: the next round's baseline. */
  recovered: Map<string, number>;
  /** Acknowledged increments missing after recovery, summed over the counters (max(0, acked max - value)). */
  lostAcknowledged: number;
  verdict: CrashVerdict;
}

interface ChildRun {
  killDelayMs: number;
  ready: boolean;
  signal: NodeJS.Signals | null;
  exitCode: number | null;
  issued: Map<string, number>;
  ackedMax: Map<string, number>;
  acked: Map<string, number>;
  ackedMismatched: Map<string, number>;
}

/** Runs one crash round on `dir`; `baseline` holds each counter's value before the round. */
export async function runCrashRound(dir: string, baseline: Map<string, number>): Promise<CrashRoundReport> {
  const child = await runChildUntilKilled(dir);
  const openStarted = performance.now();
  const db = await open(dir);
  const openWallMs = performance.now() - openStarted;
  const recovered = new Map<string, number>();
  const observations = [];
  let lostAcknowledged = 0;
  try {
    for (const key of CRASH_KEYS) {
      const got = await db.get(key);
      const version = await db.versionOf(key);
      const prior = baseline.get(key) ?? 0;
      observations.push({
        key,
        baseline: prior,
        issued: child.issued.get(key) ?? 0,
        ackedMax: child.ackedMax.get(key) ?? 0,
        acked: child.acked.get(key) ?? 0,
        ackedMismatched: child.ackedMismatched.get(key) ?? 0,
        recoveredValue: got?.value,
        recoveredVersion: version,
      });
      const value = typeof got?.value === "number" ? got.value : 0;
      recovered.set(key, value);
      lostAcknowledged += Math.max(0, (child.ackedMax.get(key) ?? 0) - value);
    }
  } finally {
    await db.close();
  }
  const verdict = verifyCrashRound(observations);
  if (!child.ready) verdict.violations.unshift("child never reported ready");
  if (child.signal !== "SIGKILL") {
    verdict.violations.unshift(`child ended on its own (code ${child.exitCode}, signal ${child.signal})`);
  }
  verdict.pass = verdict.violations.length === 0;
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    killDelayMs: child.killDelayMs,
    issued: sum(child.issued),
    acked: sum(child.acked),
    openWallMs,
    recoveryMs: db.recovery.durationMs,
    replayedRecords: db.recovery.replayedRecords,
    tornTail: describeTornTail(db.recovery.tornTail),
    recovered,
    lostAcknowledged,
    verdict,
  };
}

function describeTornTail(torn: RecoveryInfo["tornTail"]): string {
  if (torn === undefined) return "none";
  return `${torn.droppedBytes} bytes dropped at ${torn.file}:${torn.offset} (${torn.reason})`;
}

function runChildUntilKilled(dir: string): Promise<ChildRun> {
  const run: ChildRun = {
    killDelayMs: KILL_DELAY_MS_MIN + Math.floor(Math.random() * (KILL_DELAY_MS_MAX - KILL_DELAY_MS_MIN + 1)),
    ready: false,
    signal: null,
    exitCode: null,
    issued: new Map(),
    ackedMax: new Map(),
    acked: new Map(),
    ackedMismatched: new Map(),
  };
  const bump = (m: Map<string, number>, key: string): void => {
    m.set(key, (m.get(key) ?? 0) + 1);
  };
  const child = spawn(process.execPath, [BIN_PATH, "crash-child", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const kill = (): void => {
    child.kill("SIGKILL");
  };
  const readyTimer = setTimeout(kill, READY_TIMEOUT_MS);
  let killTimer: NodeJS.Timeout | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const [kind, key, value, version] = line.split(" ");
    if (kind === "issue" && key !== undefined) {
      bump(run.issued, key);
    } else if (kind === "ack" && key !== undefined) {
      const acked = Number(value);
      bump(run.acked, key);
      if (!Number.isSafeInteger(acked) || acked !== Number(version)) bump(run.ackedMismatched, key);
      run.ackedMax.set(key, Math.max(run.ackedMax.get(key) ?? 0, Number.isSafeInteger(acked) ? acked : 0));
    } else if (kind === "ready" && !run.ready) {
      run.ready = true;
      clearTimeout(readyTimer);
      killTimer = setTimeout(kill, run.killDelayMs);
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(readyTimer);
      clearTimeout(killTimer);
      run.exitCode = code;
      run.signal = signal;
      resolve(run);
    });
  });
}
