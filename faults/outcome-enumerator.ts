/**
 * Every allowed outcome of a crash, one at a time (exhaustive mode; CrashMonkey, OSDI'18, and ALICE,
 * OSDI'14, enumerate crash states the same way). At a crash the disk asks a {@link FaultPlanner} about each
 * pending operation in a fixed order (sim/crash-planner.ts); here each question is a decision with a small
 * number of answers, and a crash outcome is one path through the tree of decisions:
 *
 * - a directory change not yet made durable by `syncDir`: kept or lost (2 answers);
 * - a pending truncate: kept or dropped (2);
 * - a pending write: see {@link writeOutcomes}.
 *
 * The tree is walked in odometer order by replaying a prefix of answers ({@link ChoicePlanner}, then
 * {@link nextChoices}); which later questions are asked may depend on earlier answers (a lost directory
 * entry hides its file's writes), and replay handles that. Bytes that were durable before the crash are
 * never changed.
 */

import type {
  ByteRun,
  FaultPlanner,
  PendingDirOp,
  PendingTruncate,
  PendingWrite,
} from "../sim/disk/crash-planner.js";
import { Prng } from "../sim/disk/prng.js";
import type { DeviceProfile } from "./device-profile.js";
import { sectorPieces } from "./torn-write-planner.js";

/** One allowed outcome of a pending write: a label for reports and the byte runs it leaves. */
export interface WriteOutcome {
  readonly label: string;
  readonly runs: readonly ByteRun[];
}

/**
 * The outcomes a crash may leave of `write` on `device`, "keep" first and "drop" second:
 * - kept whole, or dropped whole;
 * - torn at each sector boundary: its first k sectors landed, k = 1..n-1 (n sectors, counted at absolute
 *   sector boundaries, so an unaligned write has a short first piece);
 * - without atomic sector writes: its first k sectors plus the first half of sector k+1, k = 0..n-1;
 * - without safe append: its first k sectors, k = 0..n-1, and the sectors after them that lie past the
 *   file's durable size exposed full of zeros, or full of garbage (ALICE: the file grew before the data
 *   landed).
 * Count: 2 + (n-1) + (atomic ? 0 : n) + (safeAppend ? 0 : up to 2n).
 */
export function writeOutcomes(write: PendingWrite, device: DeviceProfile): WriteOutcome[] {
  const pieces = sectorPieces(write, device.sectorBytes);
  const n = pieces.length;
  const where = `${write.path}@${write.offset}+${write.data.length}`;
  const out: WriteOutcome[] = [
    { label: `write ${where}: kept`, runs: [{ offset: write.offset, data: write.data }] },
    { label: `write ${where}: dropped`, runs: [] },
  ];
  for (let k = 1; k < n; k++) {
    out.push({ label: `write ${where}: first ${k}/${n} sectors`, runs: pieces.slice(0, k) });
  }
  if (!device.atomicSectorWrites) {
    for (let k = 0; k < n; k++) {
      const piece = pieces[k] as ByteRun;
      const half = Math.floor(piece.data.length / 2);
      if (half === 0) continue;
      out.push({
        label: `write ${where}: first ${k}/${n} sectors and half of the next`,
        runs: [...pieces.slice(0, k), { offset: piece.offset, data: piece.data.subarray(0, half) }],
      });
    }
  }
  if (!device.safeAppend) {
    for (let k = 0; k < n; k++) {
      const grown = pieces.slice(k).filter((p) => p.offset >= write.durableSizeBytes);
      if (grown.length === 0) continue;
      for (const fill of ["zeros", "garbage"] as const) {
        out.push({
          label: `write ${where}: first ${k}/${n} sectors, grown region ${fill}`,
          runs: [...pieces.slice(0, k), ...grown.map((p) => filled(p, fill))],
        });
      }
    }
  }
  return out;
}

/** `piece` with its bytes replaced by zeros or by garbage (a function of its offset, so reproducible). */
function filled(piece: ByteRun, fill: "zeros" | "garbage"): ByteRun {
  const data = new Uint8Array(piece.data.length);
  if (fill === "garbage") {
    const prng = new Prng(`garbage@${piece.offset}`);
    for (let i = 0; i < data.length; i++) data[i] = prng.int(256);
  }
  return { offset: piece.offset, data };
}

/**
 * A planner that answers each question from `prefix`, then with `fallback` (answer 0, "keep", unless
 * given), recording every question's number of answers and the answer taken. One planner serves one
 * crash.
 */
export class ChoicePlanner implements FaultPlanner {
  /** Answers taken, in question order. */
  readonly taken: number[] = [];
  /** Number of answers of each question asked. */
  readonly arities: number[] = [];
  /** What each answer did, for reports (only answers other than "keep"). */
  readonly labels: string[] = [];

  constructor(
    private readonly device: DeviceProfile,
    private readonly prefix: readonly number[] = [],
    private readonly fallback: (arity: number) => number = () => 0,
  ) {}

  planWrite(write: PendingWrite): readonly ByteRun[] {
    const outcomes = writeOutcomes(write, this.device);
    const c = this.choose(outcomes.length);
    const outcome = outcomes[c] as WriteOutcome;
    if (c !== 0) this.labels.push(outcome.label);
    return outcome.runs;
  }

  planTruncate(t: PendingTruncate): boolean {
    const keep = this.choose(2) === 0;
    if (!keep) this.labels.push(`truncate ${t.path} to ${t.sizeBytes}: dropped`);
    return keep;
  }

  planDirOp(op: PendingDirOp): boolean {
    const keep = this.choose(2) === 0;
    if (!keep) this.labels.push(`${describeDirOp(op)}: lost`);
    return keep;
  }

  /** Text of the outcome: what differs from "everything kept". */
  describe(): string {
    return this.labels.length === 0 ? "every pending operation kept" : this.labels.join("; ");
  }

  private choose(arity: number): number {
    const i = this.taken.length;
    const c = i < this.prefix.length ? (this.prefix[i] as number) : this.fallback(arity);
    if (!(Number.isSafeInteger(c) && c >= 0 && c < arity)) {
      throw new Error(`outcome enumerator: answer ${c} to question ${i} with ${arity} answers`);
    }
    this.taken.push(c);
    this.arities.push(arity);
    return c;
  }
}

/**
 * The answer prefix of the next outcome in odometer order after the one `planner` took (the last question
 * with an answer left moves on; the questions after it start again), or undefined when every outcome has
 * been visited.
 */
export function nextChoices(planner: ChoicePlanner): number[] | undefined {
  // Bounded by the number of questions asked.
  for (let j = planner.taken.length - 1; j >= 0; j--) {
    const c = planner.taken[j] as number;
    if (c + 1 < (planner.arities[j] as number)) return [...planner.taken.slice(0, j), c + 1];
  }
  return undefined;
}

/** The number of outcomes if every question is always asked: the product of the arities (may overcount). */
export function outcomeCountEstimate(planner: ChoicePlanner): number {
  return planner.arities.reduce((a, b) => a * b, 1);
}

function describeDirOp(op: PendingDirOp): string {
  switch (op.kind) {
    case "link":
      return `create ${op.dir}/${op.name}`;
    case "unlink":
      return `remove ${op.dir}/${op.name}`;
    case "rename":
      return `rename ${op.dir}/${op.from} -> ${op.to}`;
  }
}
