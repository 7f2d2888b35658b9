/**
 * Reading the output of Redis's Tcl test harness (tests/test_helper.tcl) into per-unit counts, and the
 * summary as Markdown. The harness prints one status line per test: `[ok]: NAME (N ms)`, `[err]: NAME in
 * tests/unit/X.tcl` followed by the failure's text, `[skip]: NAME` (named by the skip file), `[ignore]: NAME:
 * REASON` (a denied tag, or `external:skip`), `[exception]: ...` (the run stopped), and after a unit that
 * ran to its end `[K/N done]: unit/X (S seconds)`. Colours are stripped first.
 */

/** One unit's result. */
export interface UnitResult {
  /** The unit's name as `--single` takes it without `unit/`, e.g. `type/string`. */
  unit: string;
  passed: number;
  /** `[err]` lines: failed tests, and errors raised between tests (they stop the rest of their block). */
  failed: number;
  /** Tests named by the skip file. */
  skipped: number;
  /** Tests the harness left out by tag (`--tags` denials, `external:skip`, `large-memory`). */
  ignored: number;
  /** The harness reached the unit's end (`done`) without an `[exception]`. */
  completed: boolean;
  /** Each failure's name and the first line of its message, at most {@link FAILURES_KEPT_MAX}. */
  failures: string[];
  /** Wall time of the unit, server start and stop included, in seconds (one decimal). */
  seconds: number;
}

/** Failures kept per unit for the report (the count is always exact). */
export const FAILURES_KEPT_MAX = 40;

/** Longest failure message kept, in characters. */
const MESSAGE_CHARS_MAX = 160;

/** The text without ANSI colour escapes. */
export function stripColours(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * Counts one unit's harness output (colours allowed). An `[err]`'s message is the next line that is not
 * another status line. Lines of the closing "The following tests failed" list start with `***` and are not
 * counted twice.
 */
export function parseUnitOutput(unit: string, output: string, seconds: number): UnitResult {
  const result: UnitResult = {
    unit,
    passed: 0,
    failed: 0,
    skipped: 0,
    ignored: 0,
    completed: false,
    failures: [],
    seconds,
  };
  let exception = false;
  let done = false;
  const lines = stripColours(output).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("[ok]: ")) result.passed++;
    else if (line.startsWith("[skip]: ")) result.skipped++;
    else if (line.startsWith("[ignore]: ")) result.ignored++;
    else if (line.startsWith("[exception]: ")) {
      exception = true;
      result.failures.push(clip(`exception: ${line.slice("[exception]: ".length)}`));
    } else if (line.startsWith("[err]: ")) {
      result.failed++;
      const name = line.slice("[err]: ".length).replace(/ in tests\/unit\/\S+\.tcl$/, "");
      const message = errMessage(lines[i + 1] ?? "", lines[i + 2] ?? "");
      if (result.failures.length < FAILURES_KEPT_MAX) result.failures.push(clip(`${name}: ${message}`));
    } else if (/^\[\d+\/\d+ done\]: unit\//.test(line)) done = true;
  }
  result.completed = done && !exception;
  return result;
}

/**
 * An `[err]`'s message from the two lines after it. Under `--durable` the harness prints a raised error
 * twice, first with its first ten characters cut (`n command 'set'...` then `ERR unknown command 'set'...`):
 * the whole one is kept.
 */
function errMessage(next: string, after: string): string {
  if (next.startsWith("[")) return "";
  const first = next.trim();
  const second = after.trim();
  return second.length > first.length && second.endsWith(first) ? second : first;
}

function clip(text: string): string {
  return text.length <= MESSAGE_CHARS_MAX ? text : `${text.slice(0, MESSAGE_CHARS_MAX - 1)}…`;
}

/** A unit passes when it ran to its end with no failed test. */
export function unitPassed(r: UnitResult): boolean {
  return r.completed && r.failed === 0;
}

/** Every test the harness reported for a unit, whatever the outcome. */
function reported(r: UnitResult): number {
  return r.passed + r.failed + r.skipped + r.ignored;
}

/**
 * The per-unit table in Markdown: passed, failed, skipped (skip list), ignored (tags), whether the unit ran
 * to its end, and whether the vitest test asserts on it (`enabled`). With `control` (the same units against
 * Debian's redis-server) two more columns: the control's passed count, and how many tests the target never
 * reached (an error between tests stops the rest of its block; counted as the control's reported tests less
 * the target's, at least 0).
 */
export function markdownTable(
  results: readonly UnitResult[],
  enabled: ReadonlySet<string>,
  control?: readonly UnitResult[],
): string {
  const byUnit = new Map((control ?? []).map((r) => [r.unit, r]));
  const withControl = control !== undefined;
  const head = withControl ? "| unit | redis-server passed | passed |" : "| unit | passed |";
  const rows = [
    `${head} failed | skipped (skip list) | ignored (tags) |${withControl ? " not reached |" : ""} ran to end | in CI test |`,
    `|---|${withControl ? "---:|" : ""}---:|---:|---:|---:|${withControl ? "---:|" : ""}:---:|:---:|`,
  ];
  const cells = (r: UnitResult, c: UnitResult | undefined, name: string, ci: string): string => {
    const lead = withControl
      ? `| ${name} | ${c?.passed ?? "?"} | ${r.passed} |`
      : `| ${name} | ${r.passed} |`;
    const notReached = c === undefined ? "?" : String(Math.max(0, reported(c) - reported(r)));
    return `${lead} ${r.failed} | ${r.skipped} | ${r.ignored} |${withControl ? ` ${notReached} |` : ""} ${
      r.completed ? "yes" : "no"
    } | ${ci} |`;
  };
  for (const r of results)
    rows.push(cells(r, byUnit.get(r.unit), r.unit, enabled.has(r.unit) ? "yes" : "not yet"));
  const total = (rs: readonly UnitResult[], done: number): UnitResult => ({
    unit: "total",
    passed: rs.reduce((n, r) => n + r.passed, 0),
    failed: rs.reduce((n, r) => n + r.failed, 0),
    skipped: rs.reduce((n, r) => n + r.skipped, 0),
    ignored: rs.reduce((n, r) => n + r.ignored, 0),
    completed: done === rs.length,
    failures: [],
    seconds: 0,
  });
  const done = results.filter((r) => r.completed).length;
  const sum = total(results, done);
  const row = cells(sum, withControl ? total(control ?? [], 0) : undefined, "**total**", `${enabled.size}`);
  rows.push(row.replace(/\| (yes|no) \| (\d+) \|$/, `| ${done}/${results.length} | $2 |`));
  return rows.join("\n");
}

/** The units' failures, a few per unit, for a log: `unit: test: message`. */
export function failureLines(results: readonly UnitResult[], perUnitMax: number): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const f of r.failures.slice(0, perUnitMax)) out.push(`${r.unit}: ${f}`);
    if (r.failed > perUnitMax) out.push(`${r.unit}: ... ${r.failed - perUnitMax} more failed`);
  }
  return out;
}
