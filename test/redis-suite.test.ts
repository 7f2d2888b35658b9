/**
 * Issue 15, judge 1: Redis 7.0.15's own Tcl test suite, in external mode, against `fusedb server`. The
 * suite is fetched when the test runs (Debian's `redis` source package, cached in the git-ignored
 * .cache/redis-src; scripts/redis-suite/fetch-suite.sh), never kept in git. Each unit listed in
 * test/redis-suite/enabled.txt runs against a fresh server (from the TypeScript sources) with the skip list
 * test/redis-suite/skip.txt; invariants checked per unit:
 * - the harness reached the unit's end (no exception, no error that stopped a block of tests);
 * - no test failed;
 * - at most one test in ten was skipped by the skip list.
 * A canary unit (one passing and one failing test, written into the cached suite) proves the harness and
 * the output parser see both. Units not yet enabled are listed in the log; with FUSEDB_REDIS_SUITE_ALL=1
 * they run too and their counts are printed without being asserted on. The whole table, and the control
 * run against Debian's redis-server, come from `npx tsx scripts/redis-suite.ts` (README).
 * Needs tclsh (Debian's `tcl`) and apt access for the first fetch; .ci/run installs tcl.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { markdownTable, parseUnitOutput, type UnitResult } from "../scripts/redis-suite/report.js";
import {
  ALL_UNITS,
  enabledUnits,
  fetchSuite,
  fusedbTarget,
  hasTclsh,
  runUnits,
  type TargetKind,
} from "../scripts/redis-suite/run.js";

const HELPERS = join(import.meta.dirname, "helpers");
const SKIP_LIST = join(import.meta.dirname, "redis-suite", "skip.txt");
/** Per-unit budget in ms: today's units take seconds; list-3's fuzzing takes ~45 s against Redis. */
const UNIT_MS_MAX = 240_000;

/** `fusedb server` from the TypeScript sources (no build needed), as the other server tests run it. */
function fusedbFromSources(): TargetKind {
  return fusedbTarget([
    process.execPath,
    "--import",
    join(HELPERS, "register-ts-loader.mjs"),
    join(HELPERS, "fusedb-from-sources.mjs"),
  ]);
}

/** A unit of one passing and one failing test, in the harness's own terms. */
const CANARY_UNIT = `start_server {tags {"canary"}} {
    test {canary: PING answers PONG} {
        r ping
    } {PONG}
    test {canary: this test must fail} {
        r ping
    } {NOT-PONG}
}
`;

const enabled = enabledUnits();
const notYet = ALL_UNITS.filter((u) => !enabled.has(u));

describe("Redis 7.0.15's test suite against fusedb server (issue 15, judge 1)", () => {
  let suite = "";
  beforeAll(() => {
    if (!hasTclsh()) throw new Error("tclsh is missing: apt-get install tcl (.ci/run installs it)");
    suite = fetchSuite();
    console.log(`Redis suite: ${suite}; not yet enabled: ${notYet.join(" ")}`);
  }, 300_000);

  for (const unit of enabled) {
    it(
      `unit/${unit}: every test passes, the unit runs to its end, at most 1 in 10 skipped`,
      async () => {
        const [r] = await runUnits({
          suite,
          units: [unit],
          target: fusedbFromSources(),
          skipList: SKIP_LIST,
        });
        const result = r as UnitResult;
        console.log(
          `unit/${unit}: passed ${result.passed}, failed ${result.failed}, skipped ${result.skipped}, ` +
            `ignored ${result.ignored} (${result.seconds} s)`,
        );
        expect(result.failures).toEqual([]);
        expect(result.failed).toBe(0);
        expect(result.completed).toBe(true);
        expect(result.passed).toBeGreaterThan(0);
        expect(result.skipped * 10).toBeLessThanOrEqual(result.passed + result.skipped);
      },
      UNIT_MS_MAX,
    );
  }

  it("canary: the harness reports a failing test as failed and a passing one as passed", async () => {
    mkdirSync(join(suite, "tests", "unit"), { recursive: true });
    writeFileSync(join(suite, "tests", "unit", "fusedb-canary.tcl"), CANARY_UNIT);
    const [r] = await runUnits({
      suite,
      units: ["fusedb-canary"],
      target: fusedbFromSources(),
      skipList: SKIP_LIST,
    });
    expect(r?.passed).toBe(1);
    expect(r?.failed).toBe(1);
    expect(r?.completed).toBe(true);
    expect(r?.failures[0]).toMatch(/^canary: this test must fail: Expected 'NOT-PONG'/);
  }, 120_000);

  it.runIf(process.env.FUSEDB_REDIS_SUITE_ALL === "1")(
    "the units not yet enabled (counts printed, not asserted)",
    async () => {
      const results = await runUnits({
        suite,
        units: notYet,
        target: fusedbFromSources(),
        skipList: SKIP_LIST,
      });
      console.log(markdownTable(results, enabled));
    },
    1_800_000,
  );
});

describe("the suite's skip list and the harness output parser", () => {
  it("every skip-list entry has a reason: a `#` line just above it or above the entry before it", () => {
    const lines = readFileSync(SKIP_LIST, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "" || line.startsWith("#")) return;
      let j = i - 1;
      while (j >= 0 && !(lines[j] as string).startsWith("#") && (lines[j] as string).trim() !== "") j--;
      expect(j >= 0 && (lines[j] as string).startsWith("#"), `no reason above skip entry '${line}'`).toBe(
        true,
      );
    });
  });

  it("counts ok, err (with its whole message), skip, ignore, done and exception lines; tabulates them", () => {
    const output = [
      "[ready]: 123",
      "[\x1b[0;32;49mok\x1b[0m]: SET and GET (1 ms)",
      "[err]: KEYS to get all keys in tests/unit/keyspace.tcl",
      "n command 'keys', with args beginning with: '*'",
      "ERR unknown command 'keys', with args beginning with: '*'",
      "    while executing",
      "[err]: DBSIZE in tests/unit/keyspace.tcl",
      "Expected '6' to equal or match '0'",
      "[skip]: Some skipped test",
      "[ignore]: INCR can modify objects in-place: Tag: needs:debug denied",
      "[1/1 \x1b[0;33;49mdone\x1b[0m]: unit/keyspace (0 seconds)",
      "*** [err]: DBSIZE in tests/unit/keyspace.tcl",
    ].join("\n");
    const r = parseUnitOutput("keyspace", output, 1.5);
    expect(r).toMatchObject({ passed: 1, failed: 2, skipped: 1, ignored: 1, completed: true });
    expect(r.failures).toEqual([
      "KEYS to get all keys: ERR unknown command 'keys', with args beginning with: '*'",
      "DBSIZE: Expected '6' to equal or match '0'",
    ]);
    const control = { ...r, passed: 9, failed: 0 };
    expect(markdownTable([r], new Set(["keyspace"]), [control]).split("\n")).toEqual([
      "| unit | redis-server passed | passed | failed | skipped (skip list) | ignored (tags) | not reached | ran to end | in CI test |",
      "|---|---:|---:|---:|---:|---:|---:|:---:|:---:|",
      "| keyspace | 9 | 1 | 2 | 1 | 1 | 6 | yes | yes |",
      "| **total** | 9 | 1 | 2 | 1 | 1 | 6 | 1/1 | 1 |",
    ]);
    const stopped = parseUnitOutput("type/list", "[exception]: Executing test client: ERR x\n", 0.2);
    expect(stopped.completed).toBe(false);
    expect(stopped.failures).toEqual(["exception: Executing test client: ERR x"]);
  });
});
