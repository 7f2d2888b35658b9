/**
 * Where a campaign's crashes land among the data types' work (issue 14), proven by coverage marks
 * (src/util/coverage.ts), as `crash.during.<job>` proves crashes inside each background job:
 *
 * - `crash.during.multi-element-write` and `crash.during.multi-element-write.<type>`: a data-type write
 *   naming many elements (one WAL record of many entries) was in flight, of that type.
 * - `crash.during.dead-element-drop`: a background rewrite was running and had dropped elements of dead
 *   generations without having finished its output: the crash lands inside a merge that collects a deleted
 *   collection. Seen through the marks the engine leaves: `types.<type>.dead-elements-dropped` as each
 *   element is dropped, `types.dead-elements-dropped` when a rewrite has written its output. Their difference
 *   grows only while a rewrite runs (or when one failed: the epoch's start resets the baseline, and a job
 *   must be running at the crash).
 */
import { mark, snapshot } from "../src/util/coverage.js";
import { typeOfCommand } from "./typed-ops.js";
import type { WorkloadStep } from "./workload.js";

/** Elements a data-type write names to count as big (sim/typed-spec.ts draws 20..60 now and then). */
const BIG_WRITE_ELEMENTS = 20;

/** The types whose elements merges drop (a string has none). */
const COLLECTIONS = ["hash", "list", "set", "zset"] as const;

/** Elements dropped by rewrites that have not written their output yet, process-wide. */
function elementsDropping(): number {
  const m = snapshot();
  let n = -(m["types.dead-elements-dropped"] ?? 0);
  for (const t of COLLECTIONS) n += m[`types.${t}.dead-elements-dropped`] ?? 0;
  return n;
}

/** One campaign's watch over its data-type work; see the module comment. */
export class TypedCrashMarks {
  /** Big writes in flight, by type. */
  private readonly big = new Map<string, number>();
  private droppingBase = elementsDropping();

  /** The type of `step` if it is a big data-type write, else undefined. */
  private bigType(step: WorkloadStep): string | undefined {
    if (step.kind !== "typed" || step.call.args.length < BIG_WRITE_ELEMENTS) return undefined;
    return typeOfCommand(step.call.cmd);
  }

  /** `step` was issued. */
  started(step: WorkloadStep): void {
    const t = this.bigType(step);
    if (t !== undefined) this.big.set(t, (this.big.get(t) ?? 0) + 1);
  }

  /** `step` settled. */
  settled(step: WorkloadStep): void {
    const t = this.bigType(step);
    if (t !== undefined) this.big.set(t, (this.big.get(t) ?? 1) - 1);
  }

  /** An epoch starts on a recovered (or first) engine: the rewrites of earlier handles are over. */
  epochStarted(): void {
    this.droppingBase = elementsDropping();
  }

  /** The power is about to fail, with background job `job` running (undefined: none). */
  crashing(job: string | undefined): void {
    let any = false;
    for (const [t, n] of this.big) {
      if (n <= 0) continue;
      any = true;
      mark(`crash.during.multi-element-write.${t}`);
    }
    if (any) mark("crash.during.multi-element-write");
    if (job !== undefined && elementsDropping() > this.droppingBase) mark("crash.during.dead-element-drop");
  }
}
