/**
 * Redis 7.0.15's own Tcl test suite against `fusedb server` (issue 15, judge 1), or against Debian's
 * `redis-server` to prove the harness:
 *
 *   npm run build && npx tsx scripts/redis-suite.ts [--target fusedb|redis-server] [--units a,b,...]
 *       [--json FILE] [--markdown FILE] [--logs DIR] [--cache DIR]
 *
 * Fetches the suite (Debian's `redis` source package, cached in .cache/redis-src), then runs each unit
 * (default: all fifteen that issue 15 names) against a fresh server, with the skip list
 * test/redis-suite/skip.txt, and prints a per-unit table (passed, failed, skipped, ignored by tag) and the
 * first failures of each unit. Needs tclsh (Debian's `tcl`) and, for the control, `redis-server`.
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
} from "./redis-suite/run.js";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: "string", default: "fusedb" },
      units: { type: "string" },
      json: { type: "string" },
      markdown: { type: "string" },
      logs: { type: "string" },
      cache: { type: "string", default: DEFAULT_CACHE },
    },
  });
  if (!hasTclsh()) {
    console.error("tclsh is missing: apt-get install tcl");
    return 2;
  }
  const target = values.target === "redis-server" ? redisServerTarget() : fusedbTarget();
  const units = values.units === undefined ? ALL_UNITS : values.units.split(",").map((u) => u.trim());
  const suite = fetchSuite(values.cache);
  console.log(`Redis suite: ${suite}\ntarget: ${target.name}, ${units.length} units`);
  if (values.logs !== undefined) mkdirSync(values.logs, { recursive: true });
  const results: UnitResult[] = await runUnits({
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
      if (values.logs !== undefined) {
        writeFileSync(join(values.logs, `${r.unit.replace("/", "-")}.log`), output);
      }
    },
  });
  const table = markdownTable(results, enabledUnits());
  console.log(`\n${table}\n`);
  const failures = failureLines(results, 5);
  if (failures.length > 0) console.log(`first failures:\n${failures.join("\n")}`);
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify({ target: target.name, units: results }, null, 2)}\n`);
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
