/**
 * Redis 7.0.15's own Tcl test suite against `fusedb server` (issue 15, judge 1), or against Debian's
 * `redis-server` to prove the harness:
 *
 *   npm run redis-suite -- [--target fusedb|redis-server|both] [--units a,b,...] [--json FILE]
 *       [--markdown FILE] [--logs DIR] [--cache DIR] [--fusedb-args="--appendfsync everysec"]
 *
 * (`npm run redis-suite` builds dist/ first, then runs this file with tsx.) `both` runs Debian's
 * redis-server first as the control, then fusedb, and the table shows them side by side.
 *
 * Fetches the suite (Debian's `redis` source package, cached in .cache/redis-src), then runs each unit
 * (default: all fifteen that issue 15 names) against a fresh server, with the skip list
 * test/redis-suite/skip.txt, and prints a per-unit table (passed, failed, skipped, ignored by tag) and the
 * first failures of each unit. `--fusedb-args` adds options to `fusedb server` (space-separated; default
 * none: `appendfsync always`, where the stress units take minutes). Needs tclsh (Debian's `tcl`) and, for the control, `redis-server`.
 * Exit code: 0 every unit ran to its end with no failure, 1 otherwise, 2 the suite could not run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { failureLines, markdownTable, type UnitResult, unitPassed } from "./redis-suite/report.js";
import {
  ALL_UNITS,
  DEFAULT_CACHE,
  enabledUnits,
  fetchSuite,
  fusedbTarget,
  hasTclsh,
  ROOT,
  redisServerTarget,
  runUnits,
  type TargetKind,
} from "./redis-suite/run.js";

/** Runs `units` against one target, printing a line per unit and keeping raw logs under `logs/NAME/`. */
function runTarget(
  suite: string,
  units: readonly string[],
  target: TargetKind,
  logs: string | undefined,
): Promise<UnitResult[]> {
  console.log(`\ntarget: ${target.name}, ${units.length} units`);
  const dir = logs === undefined ? undefined : join(logs, target.name.replace(/\W+/g, "-"));
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  return runUnits({
    suite,
    units,
    target,
    skipList: join(ROOT, "test", "redis-suite", "skip.txt"),
    onUnit: (r, output) => {
      const verdict = unitPassed(r) ? "PASS" : r.completed ? "FAIL" : "FAIL (stopped early)";
      console.log(
        `${r.unit.padEnd(14)} ${verdict.padEnd(20)} passed ${r.passed}, failed ${r.failed}, ` +
          `skipped ${r.skipped}, ignored ${r.ignored} (${r.seconds} s)`,
      );
      if (dir !== undefined) writeFileSync(join(dir, `${r.unit.replace("/", "-")}.log`), output);
    },
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: "string", default: "fusedb" },
      units: { type: "string" },
      json: { type: "string" },
      markdown: { type: "string" },
      logs: { type: "string" },
      cache: { type: "string", default: DEFAULT_CACHE },
      "fusedb-args": { type: "string", default: "" },
    },
  });
  if (!["fusedb", "redis-server", "both"].includes(values.target)) {
    console.error(`--target must be fusedb, redis-server or both, not ${values.target}`);
    return 2;
  }
  if (!hasTclsh()) {
    console.error("tclsh is missing: apt-get install tcl");
    return 2;
  }
  const units = values.units === undefined ? ALL_UNITS : values.units.split(",").map((u) => u.trim());
  const suite = fetchSuite(values.cache);
  console.log(`Redis suite: ${suite}`);
  const control =
    values.target === "fusedb" ? undefined : await runTarget(suite, units, redisServerTarget(), values.logs);
  const extraArgs = values["fusedb-args"].split(" ").filter((a) => a !== "");
  const target = values.target === "redis-server" ? undefined : fusedbTarget(undefined, extraArgs);
  const results =
    target === undefined ? (control as UnitResult[]) : await runTarget(suite, units, target, values.logs);
  const table = markdownTable(results, enabledUnits(), target === undefined ? undefined : control);
  console.log(`\n${table}\n`);
  const failures = failureLines(results, 5);
  if (failures.length > 0) console.log(`first failures:\n${failures.join("\n")}`);
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      `${JSON.stringify({ target: values.target, control, units: results }, null, 2)}\n`,
    );
  }
  if (values.markdown !== undefined) writeFileSync(values.markdown, `${table}\n`);
  return results.every(unitPassed) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
  },
);
