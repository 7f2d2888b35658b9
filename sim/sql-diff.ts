/**
 * The SQL differential runner (issue 18, "Judges"): one seed's generated workload (sim/sql-gen.ts) runs on
 * PostgreSQL and on fusedb statement by statement; each pair of outcomes is compared (sim/sql-targets.ts).
 * The first mismatch ends the case (a DML mismatch means the states diverged) and is minimized: earlier
 * statements dropped (delta debugging, Zeller's ddmin, greedily), then the failing statement's tree shrunk
 * (sim/sql-ast.ts) while the same kind of mismatch persists. A refusal as "not supported" is counted, not
 * judged; after an unsupported DML statement the case stops, since the two states no longer agree.
 */
import { nodeCount, render, shrinkSteps } from "./sql-ast.js";
import type { SqlFeatures } from "./sql-features.js";
import { type GenStatement, SqlGen } from "./sql-gen.js";
import {
  compareOutcomes,
  mergesEqualValues,
  type SqlOutcome,
  type SqlTarget,
  type Verdict,
} from "./sql-targets.js";

/** A replayable statement: its text and whether its rows compare in order. */
export interface ReplayStatement {
  sql: string;
  ordered: boolean;
}

/** A found mismatch, minimized: replaying `statements` reproduces `verdict` on the last one. */
export interface SqlMismatch {
  seed: string;
  verdict: Verdict;
  statements: ReplayStatement[];
  /** Statements and tree nodes before minimization, for the report. */
  originalStatements: number;
  minimizeAttempts: number;
}

/** What one case did. */
export interface CaseReport {
  seed: string;
  statements: number;
  /** PostgreSQL's errors by SQLSTATE (a generator-validity signal: class 42 means an invalid statement). */
  postgresErrors: Map<string, number>;
  /** Statements fusedb refused as unsupported, with one example each by SQLSTATE and message head. */
  unsupported: Map<string, string>;
  unsupportedCount: number;
  mismatch?: SqlMismatch;
  /** The case stopped early (a mismatch, or an unsupported DML statement). */
  stopped: boolean;
}

/** Options of {@link runSqlCase}. */
export interface SqlCaseOptions {
  seed: string;
  features: SqlFeatures;
  /** Random statements after the schema and seeded inserts. */
  statements: number;
  postgres: SqlTarget;
  /** Absent: run PostgreSQL alone (generator validity). */
  fusedb?: SqlTarget;
  /** Replays the minimizer may spend on a mismatch (0: report it unminimized). Default 150. */
  minimizeAttemptsMax?: number;
}

/** The workload of a seed: schema, seeded inserts, then `count` random statements (a DML adds its read). */
export function generateWorkload(seed: string, features: SqlFeatures, count: number): GenStatement[] {
  const gen = new SqlGen(seed, features);
  const out = gen.setup();
  const setup = out.length;
  while (out.length - setup < count) out.push(...gen.next());
  return out;
}

/** Runs one seed's workload on both targets (or PostgreSQL alone) and minimizes the first mismatch. */
export async function runSqlCase(o: SqlCaseOptions): Promise<CaseReport> {
  const workload = generateWorkload(o.seed, o.features, o.statements);
  const report: CaseReport = {
    seed: o.seed,
    statements: 0,
    postgresErrors: new Map(),
    unsupported: new Map(),
    unsupportedCount: 0,
    stopped: false,
  };
  await o.postgres.reset();
  if (o.fusedb !== undefined) await o.fusedb.reset();
  for (let i = 0; i < workload.length; i++) {
    const s = workload[i];
    if (s === undefined) break;
    const sql = render(s.tree);
    const pg = await o.postgres.exec(sql);
    report.statements++;
    if (!pg.ok) report.postgresErrors.set(pg.sqlState, (report.postgresErrors.get(pg.sqlState) ?? 0) + 1);
    if (o.fusedb === undefined) continue;
    const fz = await o.fusedb.exec(sql);
    const verdict = compareOutcomes(pg, fz, s.ordered, mergesEqualValues(sql));
    if (verdict.kind === "match") continue;
    if (verdict.kind === "unsupported") {
      report.unsupportedCount++;
      const key = verdict.detail.slice(0, 90);
      if (!report.unsupported.has(key)) report.unsupported.set(key, sql);
      if (s.kind === "query") continue;
      report.stopped = true;
      break;
    }
    report.mismatch = await minimizeMismatch(
      o.seed,
      workload.slice(0, i + 1),
      verdict,
      o.postgres,
      o.fusedb,
      o.minimizeAttemptsMax ?? 150,
    );
    report.stopped = true;
    break;
  }
  return report;
}

/** Replays `statements` from empty databases; returns the last statement's verdict, or undefined if an earlier
 * statement did not match (the candidate diverged some other way; an unsupported earlier SELECT is fine). */
export async function replay(
  statements: readonly ReplayStatement[],
  postgres: SqlTarget,
  fusedb: SqlTarget,
): Promise<Verdict | undefined> {
  await postgres.reset();
  await fusedb.reset();
  let last: Verdict | undefined;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    if (s === undefined) break;
    const pg: SqlOutcome = await postgres.exec(s.sql);
    const fz: SqlOutcome = await fusedb.exec(s.sql);
    last = compareOutcomes(pg, fz, s.ordered, mergesEqualValues(s.sql));
    if (i === statements.length - 1 || last.kind === "match") continue;
    // An earlier query fusedb does not support changes no state; anything else is a different divergence.
    if (last.kind !== "unsupported" || !/^\s*SELECT/i.test(s.sql)) return undefined;
  }
  return last;
}

/** Shrinks a failing prefix whose last statement gives `verdict`, keeping that verdict's kind. */
export async function minimizeMismatch(
  seed: string,
  failing: readonly GenStatement[],
  verdict: Verdict,
  postgres: SqlTarget,
  fusedb: SqlTarget,
  attemptsMax: number,
): Promise<SqlMismatch> {
  let best = failing.slice();
  let bestVerdict = verdict;
  let attempts = 0;
  const flat = (list: readonly GenStatement[]): ReplayStatement[] =>
    list.map((s) => ({ sql: render(s.tree), ordered: s.ordered }));
  const attempt = async (candidate: GenStatement[]): Promise<boolean> => {
    if (attempts >= attemptsMax) return false;
    attempts++;
    const v = await replay(flat(candidate), postgres, fusedb);
    if (v === undefined || v.kind !== verdict.kind) return false;
    best = candidate;
    bestVerdict = v;
    return true;
  };
  const dropStatements = async (): Promise<void> => {
    for (
      let chunk = Math.max(1, Math.floor((best.length - 1) / 2));
      chunk >= 1;
      chunk = Math.floor(chunk / 2)
    ) {
      for (let start = best.length - 1 - chunk; start >= 0; start -= chunk) {
        const candidate = [...best.slice(0, start), ...best.slice(start + chunk)];
        await attempt(candidate);
        if (attempts >= attemptsMax) return;
      }
    }
  };
  const shrinkLast = async (): Promise<void> => {
    for (let progress = true; progress && attempts < attemptsMax; ) {
      progress = false;
      const last = best[best.length - 1];
      if (last === undefined) return;
      const steps = shrinkSteps(last.tree).sort((x, y) => nodeCount(x) - nodeCount(y));
      for (const tree of steps) {
        if (await attempt([...best.slice(0, -1), { ...last, tree }])) {
          progress = true;
          break;
        }
        if (attempts >= attemptsMax) return;
      }
    }
  };
  if (attemptsMax > 0) {
    // Queries change no state: first try without every earlier one.
    const last = best[best.length - 1];
    if (last !== undefined) await attempt([...best.slice(0, -1).filter((s) => s.kind !== "query"), last]);
    await dropStatements();
    await shrinkLast();
    await dropStatements();
  }
  return {
    seed,
    verdict: bestVerdict,
    statements: flat(best),
    originalStatements: failing.length,
    minimizeAttempts: attempts,
  };
}

/** A mismatch as a reproduction a person reads: the statements, then what differed. */
export function formatMismatch(m: SqlMismatch): string {
  const lines = m.statements.map((s) => `${s.sql};`);
  return [
    `-- seed ${m.seed}: ${m.verdict.kind} (minimized from ${m.originalStatements} statements in ${m.minimizeAttempts} replays)`,
    ...lines,
    `-- ${m.verdict.detail}`,
  ].join("\n");
}
