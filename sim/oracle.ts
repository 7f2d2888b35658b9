/**
 * The crash-aware oracle (DESIGN.md "Oracle"; issue 3 checks a-e). It watches every call the workload makes
 * and every answer the engine gives, against the {@link ReferenceModel}:
 *
 * - An acknowledged call must carry exactly the versions and values the model computed for it, and a
 *   rejected call must be rejected for the model's reason (or for a non-semantic reason: poison, crash).
 * - (d) A read must return the key's state after some prefix of the commit order that contains every call
 *   acknowledged before the read started and no call issued after it ended. What it saw must survive any
 *   later crash: a crash can never take back a value somebody has read.
 * - (a, b) After a crash and recovery, the state must equal the model after some single prefix P of the
 *   commit order with P at or past every acknowledged call and every read observation: no lost writes, no
 *   holes, no phantoms, batches all or nothing. (c) follows: versions are the model's, which only grow.
 *
 * Violations are collected as strings, never thrown, so a campaign reports all it found.
 */
import type { ModelJson, ModelMutation, ModelOutcome, ModelState } from "./model.js";
import { canonical, ReferenceModel } from "./model.js";

/** Error codes that say nothing about the mutation's semantics (it may or may not be durable). */
const NON_SEMANTIC = new Set([
  "FUSEDB_POISONED",
  "FUSEDB_CLOSED",
  "ESIMCRASHED",
  "FUSEDB_IO",
  "EIO",
  "ENOSPC",
]);

/** A read's answer: a document with its version, or absent. */
export type ReadAnswer = { value: ModelJson; version: number } | undefined;

/** Handle for one issued call. */
export interface CallTicket {
  id: number;
  outcome: ModelOutcome;
}

/** Handle for one read in flight. */
export interface ReadTicket {
  key: string;
  floorPos: number;
}

/** Checks engine answers against the model; see the module comment. */
export class Oracle {
  readonly model = new ReferenceModel();
  readonly violations: string[] = [];
  /** Highest position acknowledged so far (this epoch and before). */
  private ackedPos = 0;
  /** Highest position some read has observed as visible. */
  private observedPos = 0;
  private nextId = 1;
  /** Positions issued in the current epoch whose fate is unknown yet. */
  acks = 0;

  /** Registers a call in commit order; must be called in the same order as the engine calls. */
  issue(mutations: readonly ModelMutation[]): CallTicket {
    return { id: this.nextId++, outcome: this.model.apply(mutations) };
  }

  /** The engine acknowledged `ticket` with these per-mutation results. */
  acked(ticket: CallTicket, results: readonly { version: number; value?: unknown }[], what: string): void {
    this.acks++;
    const o = ticket.outcome;
    if (!o.ok) {
      this.fail(`${what}: acknowledged, but the model rejects it with ${o.code}`);
      return;
    }
    if (o.pos > this.ackedPos) this.ackedPos = o.pos;
    o.results.forEach((expected, i) => {
      const got = results[i];
      if (!got || got.version !== expected.version) {
        this.fail(`${what}: result ${i} has version ${got?.version}, model says ${expected.version}`);
      } else if (got.value !== undefined && canonical(got.value as ModelJson) !== canonical(expected.value)) {
        this.fail(
          `${what}: result ${i} value ${canonical(got.value as ModelJson)}, model ${canonical(expected.value)}`,
        );
      }
    });
  }

  /** The engine rejected `ticket` with error code `code`. */
  rejected(ticket: CallTicket, code: string | undefined, what: string): void {
    const o = ticket.outcome;
    if (code !== undefined && NON_SEMANTIC.has(code)) return;
    if (o.ok) this.fail(`${what}: rejected with ${code}, but the model accepts it`);
    else if (o.code !== code) this.fail(`${what}: rejected with ${code}, model says ${o.code}`);
  }

  /** A read of `key` starts now. */
  readStart(key: string): ReadTicket {
    return { key, floorPos: this.ackedPos };
  }

  /** The read answered; `issuedPos` is the model's last position when the answer arrived. */
  readDone(t: ReadTicket, answer: ReadAnswer, what: string): void {
    const ceiling = this.model.lastPos;
    if (answer !== undefined) {
      const pos = this.model.posOfVersion(t.key, answer.version);
      const expected = pos === undefined ? undefined : this.model.stateAt(t.key, pos);
      if (pos === undefined || expected === undefined || pos > ceiling) {
        this.fail(`${what}: saw version ${answer.version}, which no issued call produced`);
        return;
      }
      if (canonical(expected.value) !== canonical(answer.value)) {
        this.fail(
          `${what}: version ${answer.version} = ${canonical(answer.value)}, model ${canonical(expected.value)}`,
        );
      }
      if (this.model.nextChangeAfter(t.key, pos) <= t.floorPos) {
        this.fail(`${what}: saw version ${answer.version}, older than a write acknowledged before the read`);
      }
      if (pos > this.observedPos) this.observedPos = pos;
      return;
    }
    // Absent: some position in [floorPos, ceiling] must have the key absent.
    for (let p = t.floorPos; p <= ceiling; p++) {
      if (this.model.stateAt(t.key, p).value === undefined) return;
      const next = this.model.nextChangeAfter(t.key, p);
      if (next > ceiling) break;
      p = next - 1;
    }
    this.fail(`${what}: saw the key absent, but it exists at every allowed prefix`);
  }

  /** Scan answers are checked like reads of every key they return, and for missing keys in range. */
  scanDone(
    floorPos: number,
    keysInRange: readonly string[],
    answer: readonly { key: string; value: ModelJson; version: number }[],
    truncated: boolean,
    what: string,
  ): void {
    const got = new Map(answer.map((a) => [a.key, a]));
    for (const a of answer)
      this.readDone({ key: a.key, floorPos }, { value: a.value, version: a.version }, what);
    if (truncated) return;
    for (const key of keysInRange) {
      if (!got.has(key)) this.readDone({ key, floorPos }, undefined, `${what} (missing ${key})`);
    }
  }

  /**
   * Checks a recovered state (every model key read back with `get` and `versionOf`, so tombstones count)
   * against the prefixes of the commit order and, on success, forgets the commits the crash lost. Returns
   * the prefix found, or undefined.
   */
  recovered(state: ReadonlyMap<string, ModelState>, what: string): number | undefined {
    const floor = Math.max(this.ackedPos, this.observedPos);
    const keys = this.model.keys();
    for (let p = this.model.lastPos; p >= floor; p--) {
      if (keys.every((k) => matches(this.model.stateAt(k, p), state.get(k)))) {
        this.model.truncate(p);
        return p;
      }
    }
    const diffs = keys
      .filter((k) => !matches(this.model.stateAt(k, floor), state.get(k)))
      .slice(0, 5)
      .map(
        (k) =>
          `${k}: got ${describe(state.get(k))}, model at ${floor} ${describeState(this.model.stateAt(k, floor))}`,
      );
    this.fail(
      `${what}: recovered state matches no prefix in [${floor}, ${this.model.lastPos}] ` +
        `(acked ${this.ackedPos}, read ${this.observedPos}); e.g. ${diffs.join("; ")}`,
    );
    return undefined;
  }

  private fail(message: string): void {
    if (this.violations.length < 100) this.violations.push(message);
  }
}

function matches(expected: ModelState, got: ModelState | undefined): boolean {
  const g = got ?? { version: 0, value: undefined };
  return g.version === expected.version && canonical(g.value) === canonical(expected.value);
}

function describe(a: ModelState | undefined): string {
  return a === undefined ? "absent (v0)" : describeState(a);
}

function describeState(s: ModelState): string {
  return s.value === undefined ? `absent (v${s.version})` : `v${s.version} ${canonical(s.value)}`;
}
