/**
 * `fusedb sim`: reproducible crash-test campaigns on the virtual disk (issue 3).
 *
 *   fusedb sim --seed S            one campaign: verdict, counts, virtual time, trace hash, wall time
 *   fusedb sim --seeds N           N campaigns (seeds S-0 .. S-N-1) with a progress bar and a summary
 *   fusedb sim --budget SECONDS    as many campaigns as fit in the time budget
 *   --exhaustive                   crash after every I/O step of small workloads, check every outcome
 *   --rot                          damage one durable byte per seed: typed halt or right answers, never wrong
 *   --broken NAME                  run on a deliberately broken disk or engine (sim/broken-variants.ts)
 *   --types                        data-type operations in every campaign (default: three seeds in four)
 *   --tx                           transactions, snapshots and secondary indexes in every campaign (issue 16)
 *   --json                         one JSON object on stdout, for machines
 *
 * Both print the coverage marks (src/util/coverage.ts): how often each injected fault class and each
 * engine reaction to a fault was hit, and which required marks were never hit.
 * A failing campaign prints the exact command that replays it, is minimized, and is saved as a reproducer
 * under corpus/ (replayed by CI forever after).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { BROKEN_VARIANTS, type BrokenVariant } from "../sim/broken-variants.js";
import { runCampaign } from "../sim/campaign.js";
import type { CampaignOptions, CampaignResult } from "../sim/campaign-options.js";
import { EXHAUSTIVE_DEVICE_DEFAULT, type ExhaustiveResult, runExhaustive } from "../sim/exhaustive.js";
import { minimizeCampaign } from "../sim/minimize.js";
import { REQUIRED_MARKS } from "../sim/required-marks.js";
import { runRotCheck } from "../sim/rot-check.js";

/** The `--broken` variant named in `flags`, or undefined (none asked). */
function brokenOf(flags: SimFlags): BrokenVariant | undefined {
  return flags.broken === undefined ? undefined : BROKEN_VARIANTS[flags.broken];
}

interface SimFlags {
  seed: string;
  seeds?: number;
  budget?: number;
  cycles?: number;
  ops?: number;
  keys?: number;
  inflight?: number;
  types?: boolean;
  tx?: boolean;
  json?: boolean;
  corpus: string;
  minimize: boolean;
  broken?: string;
  exhaustive?: boolean;
  rot?: boolean;
  outcomesMax?: number;
  sector?: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** Builds the `sim` subcommand; `setExit` receives the process exit code (0 pass, 1 violation). */
export function simCommand(setExit: (code: number) => void): Command {
  return new Command("sim")
    .description("run seeded crash/recover campaigns on the virtual disk and check the oracle")
    .option("--seed <seed>", "root seed (any string)", "1")
    .option("--seeds <n>", "run n campaigns: seeds <seed>-0 .. <seed>-(n-1)", positiveInt)
    .option("--budget <seconds>", "run campaigns until this many wall seconds have passed", positiveInt)
    .option("--cycles <n>", "crash/recover cycles per campaign (default 4)", positiveInt)
    .option("--ops <n>", "operations per cycle (default 120)", positiveInt)
    .option("--keys <n>", "key universe (default 24)", positiveInt)
    .option("--inflight <n>", "most operations in flight (default: drawn from the seed)", positiveInt)
    .option("--types", "mix data-type operations into every campaign (default: three seeds in four)")
    .option("--tx", "mix transactions, snapshots and secondary indexes into every campaign")
    .option("--json", "print one JSON object")
    .option("--corpus <dir>", "where reproducers of failures are written", "corpus")
    .option("--no-minimize", "do not minimize failures")
    .option(
      "--broken <variant>",
      `run on a deliberately broken disk or engine: ${Object.keys(BROKEN_VARIANTS).join(", ")}`,
    )
    .option(
      "--exhaustive",
      "crash after every I/O step of small workloads and check every allowed outcome; --seeds sets the " +
        "number of seeded workloads (default 4)",
    )
    .option(
      "--outcomes-max <n>",
      "exhaustive: most outcomes checked per crash point (default 512)",
      positiveInt,
    )
    .option(
      "--rot",
      "rot checks: flip one bit of durable WAL or segment data per seed (--seeds, default 100); the engine " +
        "must halt with a typed error or answer right",
    )
    .option("--sector <bytes>", "exhaustive: sector size, 512 or 4096 (default 512)", positiveInt)
    .action(async (flags: SimFlags) => {
      setExit(await runSim(flags));
    });
}

async function runSim(flags: SimFlags): Promise<number> {
  const many = flags.seeds !== undefined || flags.budget !== undefined;
  if (flags.broken !== undefined && BROKEN_VARIANTS[flags.broken] === undefined) {
    console.error(
      `unknown --broken variant ${flags.broken}; one of ${Object.keys(BROKEN_VARIANTS).join(", ")}`,
    );
    return 2;
  }
  if (flags.exhaustive) return runExhaustiveCommand(flags);
  if (flags.rot) return runRotCommand(flags);
  const broken = brokenOf(flags);
  const base: Omit<CampaignOptions, "seed"> = {
    wrapFs: broken?.wrapFs,
    recoveryMode: broken?.recoveryMode,
    cycles: flags.cycles,
    opsPerCycle: flags.ops,
    keys: flags.keys,
    inflightMax: flags.inflight,
    types: flags.types === true ? true : undefined,
    tx: flags.tx === true ? true : undefined,
  };
  const started = performance.now();
  if (!many) {
    const result = await runCampaign({ ...base, seed: flags.seed });
    const wallMs = performance.now() - started;
    if (flags.json) {
      const failure = result.verdict === "fail" ? await handleFailure(result, flags, true) : undefined;
      console.log(JSON.stringify({ ...summaryOf([result], wallMs), ...result, wallMs, failure }));
    } else {
      printOne(result, wallMs);
      if (result.verdict === "fail") await handleFailure(result, flags, false);
    }
    return result.verdict === "pass" ? 0 : 1;
  }

  const total = flags.seeds ?? Number.POSITIVE_INFINITY;
  const deadline = flags.budget !== undefined ? started + flags.budget * 1000 : Number.POSITIVE_INFINITY;
  const bar = flags.json
    ? undefined
    : new SingleBar({
        format: "sim [{bar}] {value}/{total} seeds | {failed} failed | {ops} ops | {eta_formatted} left",
        stream: process.stderr,
      });
  bar?.start(Number.isFinite(total) ? total : 0, 0, { failed: 0, ops: 0 });
  const results: CampaignResult[] = [];
  const failures: Awaited<ReturnType<typeof handleFailure>>[] = [];
  let ops = 0;
  for (let i = 0; i < total && performance.now() < deadline; i++) {
    const result = await runCampaign({ ...base, seed: `${flags.seed}-${i}` });
    results.push(result);
    ops += result.ops;
    if (!Number.isFinite(total)) bar?.setTotal(i + 1);
    bar?.update(i + 1, { failed: results.filter((r) => r.verdict === "fail").length, ops });
    if (result.verdict === "fail") {
      bar?.stop();
      failures.push(await handleFailure(result, flags, flags.json === true));
      bar?.start(Number.isFinite(total) ? total : i + 1, i + 1, { failed: failures.length, ops });
    }
  }
  bar?.stop();
  const wallMs = performance.now() - started;
  const summary = summaryOf(results, wallMs);
  if (flags.json) console.log(JSON.stringify({ ...summary, failures }));
  else printSummary(summary);
  return summary.failed === 0 ? 0 : 1;
}

interface Summary {
  verdict: "pass" | "fail";
  seeds: number;
  passed: number;
  failed: number;
  ops: number;
  acks: number;
  crashes: number;
  recoveries: number;
  faults: number;
  /** Runtime faults injected (I/O errors, bit flips, misdirected writes). */
  runtimeFaults: number;
  /** Seeds whose run ended because the engine detected injected damage (a pass). */
  detected: number;
  /** Coverage marks summed over every seed, by name. */
  marks: Record<string, number>;
  /** Required marks (REQUIRED_MARKS) no seed hit. */
  marksMissing: string[];
  virtualMs: number;
  wallMs: number;
  opsPerWallSecond: number;
  cyclesPerWallSecond: number;
  traceHash: string;
}

function summaryOf(results: CampaignResult[], wallMs: number): Summary {
  const sum = (f: (r: CampaignResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const failed = results.filter((r) => r.verdict === "fail").length;
  const seconds = Math.max(wallMs, 1) / 1000;
  const marks: Record<string, number> = {};
  for (const r of results)
    for (const [name, n] of Object.entries(r.marks)) marks[name] = (marks[name] ?? 0) + n;
  const sortedMarks = Object.fromEntries(Object.entries(marks).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    verdict: failed === 0 ? "pass" : "fail",
    seeds: results.length,
    passed: results.length - failed,
    failed,
    ops: sum((r) => r.ops),
    acks: sum((r) => r.acks),
    crashes: sum((r) => r.crashes),
    recoveries: sum((r) => r.recoveries),
    faults: sum((r) => r.faults),
    runtimeFaults: sum((r) => r.runtimeFaults),
    detected: results.filter((r) => r.detected !== undefined).length,
    marks: sortedMarks,
    marksMissing: REQUIRED_MARKS.filter((name) => marks[name] === undefined),
    virtualMs: sum((r) => r.virtualMs),
    wallMs: Math.round(wallMs),
    opsPerWallSecond: Math.round(sum((r) => r.ops) / seconds),
    cyclesPerWallSecond: Math.round((sum((r) => r.crashes) / seconds) * 10) / 10,
    traceHash: results.length === 1 ? (results[0] as CampaignResult).traceHash : combinedHash(results),
  };
}

function combinedHash(results: CampaignResult[]): string {
  // Order-sensitive fold of the per-seed hashes (FNV-1a over their text).
  let h = 0x811c9dc5;
  for (const ch of results.map((r) => r.traceHash).join(",")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function printOne(r: CampaignResult, wallMs: number): void {
  console.log(`seed        ${r.seed}`);
  console.log(`verdict     ${r.verdict.toUpperCase()}`);
  console.log(
    `operations  ${r.ops} issued, ${r.acks} acknowledged, ${r.reads} reads; ${r.crashes} crashes, ` +
      `${r.recoveries} recoveries, ${r.faults} crash faults, ${r.runtimeFaults} runtime faults`,
  );
  console.log(`knobs       ${JSON.stringify(r.knobs)} inflight=${r.options.inflightMax}`);
  console.log(`runtime     ${JSON.stringify(r.options.runtimeFaults)}`);
  if (r.detected !== undefined) console.log(`detected    ${r.detected}`);
  printMarks(r.marks);
  console.log(`virtual     ${r.virtualMs} ms`);
  console.log(`trace hash  ${r.traceHash}`);
  console.log(`wall        ${Math.round(wallMs)} ms`);
  for (const v of r.violations.slice(0, 10)) console.log(`violation   ${v}`);
}

/** Coverage marks, a few per line, required ones first. */
function printMarks(marks: Record<string, number>): void {
  const names = [
    ...REQUIRED_MARKS.filter((n) => marks[n] !== undefined),
    ...Object.keys(marks).filter((n) => !REQUIRED_MARKS.includes(n)),
  ];
  const cells = names.map((n) => `${n}=${marks[n]}`);
  for (let i = 0; i < cells.length; i += 4) {
    console.log(`${i === 0 ? "marks      " : "           "} ${cells.slice(i, i + 4).join("  ")}`);
  }
}

function printSummary(s: Summary): void {
  console.log(
    `verdict     ${s.verdict.toUpperCase()}: ${s.passed} passed, ${s.failed} failed of ${s.seeds} seeds`,
  );
  console.log(
    `totals      ${s.ops} operations, ${s.acks} acknowledged, ${s.crashes} crashes, ${s.recoveries} recoveries, ` +
      `${s.faults} crash faults, ${s.runtimeFaults} runtime faults; ${s.detected} seeds ended on detected damage`,
  );
  printMarks(s.marks);
  if (s.marksMissing.length > 0) console.log(`not hit     ${s.marksMissing.join(", ")}`);
  console.log(`virtual     ${s.virtualMs} ms; trace hash ${s.traceHash}`);
  console.log(
    `speed       ${s.opsPerWallSecond} simulated ops/s, ${s.cyclesPerWallSecond} crash/recover cycles/s ` +
      `(${s.wallMs} ms wall)`,
  );
}

/** Replay command, minimization and the corpus reproducer of one failing campaign. */
async function handleFailure(
  result: CampaignResult,
  flags: SimFlags,
  quiet: boolean,
): Promise<{ seed: string; replay: string; reproducer: string; violation: string }> {
  const broken = brokenOf(flags);
  const variant = { wrapFs: broken?.wrapFs, recoveryMode: broken?.recoveryMode };
  let options: CampaignOptions = { ...result.options, knobs: result.knobs, ...variant };
  let shown = result;
  if (flags.minimize) {
    const m = await minimizeCampaign(result, variant);
    options = m.options;
    shown = m.result;
  }
  const replay =
    `npx fusedb sim --seed ${shell(options.seed)} --cycles ${options.cycles} --ops ${options.opsPerCycle} ` +
    `--keys ${options.keys} --inflight ${options.inflightMax}` +
    (flags.types === true ? " --types" : "") +
    (flags.tx === true ? " --tx" : "") +
    (flags.broken === undefined ? "" : ` --broken ${flags.broken}`);
  const violation = shown.violations[0] ?? "(failure did not reproduce after minimization)";
  if (flags.broken !== undefined) {
    // A broken variant is meant to fail: no reproducer for CI to replay.
    if (!quiet) {
      console.log(`CAUGHT      seed ${result.seed} (broken: ${flags.broken}): ${violation}`);
      console.log(`replay      ${replay}`);
    }
    return { seed: options.seed, replay, reproducer: "", violation };
  }
  mkdirSync(flags.corpus, { recursive: true });
  const reproducer = join(flags.corpus, `sim-${options.seed.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`);
  writeFileSync(
    reproducer,
    `${JSON.stringify(
      {
        kind: "sim-campaign",
        seed: options.seed,
        options: {
          cycles: options.cycles,
          opsPerCycle: options.opsPerCycle,
          keys: options.keys,
          inflightMax: options.inflightMax,
          ...(flags.types === true ? { types: true } : {}),
          ...(flags.tx === true ? { tx: true } : {}),
        },
        knobs: options.knobs,
        faultPlan: options.runtimeFaults ?? null,
        broken: flags.broken ?? null,
        expectedFailure: violation,
        traceHash: shown.traceHash,
        replay,
      },
      null,
      2,
    )}\n`,
  );
  if (!quiet) {
    console.log(`FAIL        seed ${result.seed}: ${violation}`);
    console.log(`replay      ${replay}`);
    console.log(`reproducer  ${reproducer}`);
  }
  return { seed: options.seed, replay, reproducer, violation };
}

function shell(s: string): string {
  return /^[A-Za-z0-9_.:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** `fusedb sim --exhaustive`: prints what was checked; exit code 1 if any state failed the oracle. */
async function runExhaustiveCommand(flags: SimFlags): Promise<number> {
  if (flags.sector !== undefined && flags.sector !== 512 && flags.sector !== 4096) {
    console.error(`--sector must be 512 or 4096, not ${flags.sector}`);
    return 2;
  }
  const broken = brokenOf(flags);
  const started = performance.now();
  const result = await runExhaustive({
    seed: flags.seed,
    seededWorkloads: flags.seeds,
    outcomesPerPointMax: flags.outcomesMax,
    device: { ...EXHAUSTIVE_DEVICE_DEFAULT, sectorBytes: flags.sector === 4096 ? 4096 : 512 },
    wrapFs: broken?.wrapFs,
    recoveryMode: broken?.recoveryMode,
  });
  const wallMs = Math.round(performance.now() - started);
  if (flags.json) console.log(JSON.stringify({ ...result, wallMs }));
  else printExhaustive(result, flags, wallMs);
  return result.verdict === "pass" ? 0 : 1;
}

function printExhaustive(r: ExhaustiveResult, flags: SimFlags, wallMs: number): void {
  const d = r.device;
  console.log(`exhaustive   ${r.verdict.toUpperCase()}${flags.broken ? ` (broken: ${flags.broken})` : ""}`);
  console.log(
    `workloads    ${r.workloads} (fixed, and seeded from seed ${flags.seed}), ${r.mutations} mutations`,
  );
  console.log(
    `device       ${d.sectorBytes}-byte sectors, atomic sectors ${d.atomicSectorWrites ? "yes" : "no"}, ` +
      `safe append ${d.safeAppend ? "yes" : "no"}`,
  );
  console.log(
    `crash points ${r.crashPoints} (after every write, truncate, sync, create, rename, remove, syncDir)`,
  );
  console.log(
    `states       ${r.states} checked (each recovered, written to, crashed and recovered again), ` +
      `${r.recoveryStates} more crashed inside their recovery` +
      (r.cappedPoints > 0 ? ` (${r.cappedPoints} crash points sampled, not enumerated)` : ""),
  );
  console.log(`failures     ${r.failures.length}`);
  console.log(`wall         ${wallMs} ms`);
  for (const f of r.failures.slice(0, 5)) {
    console.log(`FAIL         ${f.workload}, crash after step ${f.step} (${f.event})`);
    console.log(`  outcome    ${f.outcome}`);
    console.log(`  violation  ${f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message}`);
  }
}

/** `fusedb sim --rot`: rot checks over seeds `<seed>-0 ..`; exit code 1 if any gave a wrong answer. */
async function runRotCommand(flags: SimFlags): Promise<number> {
  const broken = brokenOf(flags);
  const seeds = flags.seeds ?? 100;
  const outcomes = { detected: 0, harmless: 0, wrong: 0 };
  const failures: { seed: string; damage: unknown; violation: string }[] = [];
  const started = performance.now();
  for (let i = 0; i < seeds; i++) {
    const r = await runRotCheck({
      seed: `${flags.seed}-${i}`,
      wrapFs: broken?.wrapFs,
      recoveryMode: broken?.recoveryMode,
    });
    outcomes[r.outcome]++;
    if (r.verdict === "fail")
      failures.push({ seed: r.seed, damage: r.damage, violation: r.violations[0] ?? "" });
  }
  const wallMs = Math.round(performance.now() - started);
  if (flags.json) {
    console.log(
      JSON.stringify({ verdict: failures.length === 0 ? "pass" : "fail", seeds, outcomes, failures, wallMs }),
    );
  } else {
    console.log(
      `rot          ${failures.length === 0 ? "PASS" : "FAIL"}${flags.broken ? ` (broken: ${flags.broken})` : ""}`,
    );
    console.log(
      `seeds        ${seeds} (${flags.seed}-0 .. ${flags.seed}-${seeds - 1}): ${outcomes.detected} detected, ` +
        `${outcomes.harmless} harmless, ${outcomes.wrong} wrong`,
    );
    console.log(`wall         ${wallMs} ms`);
    for (const f of failures.slice(0, 5)) {
      console.log(`FAIL         seed ${f.seed}, damage ${JSON.stringify(f.damage)}`);
      console.log(`  violation  ${f.violation.length > 400 ? `${f.violation.slice(0, 400)}…` : f.violation}`);
    }
  }
  return failures.length === 0 ? 0 : 1;
}
