/**
 * A long SQL differential sweep (issue 18, "Judges"): seeded random workloads on PostgreSQL (PGlite) and
 * fusedb, mismatches minimized and printed; optionally each one written as a corpus case
 * (corpus/sql-<seed>.json, replayed by test/sql-differential.test.ts) and appended to a log.
 *
 *   npx tsx scripts/sql-sweep.ts [--seed s] [--cases n] [--per-case n] [--features all,-avg]
 *     [--tlp n] [--corpus] [--log file.md] [--engine path/to/db.ts]
 *
 * `--engine` loads another build's FuseDB class (a module exporting `FuseDB`), for judging a work in progress.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SimClock } from "../sim/disk/sim-clock.js";
import { formatMismatch, runSqlCase, type SqlMismatch } from "../sim/sql-diff.js";
import { formatSqlFeatures, parseSqlFeatures, SQL_FEATURES_SUPPORTED } from "../sim/sql-features.js";
import { fusedbTarget, pgliteTarget, type SqlDatabase } from "../sim/sql-targets.js";
import { formatTlp, runTlp } from "../sim/sql-tlp.js";
import { TestDisk } from "../test/helpers/sim-disk.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const seed = arg("seed") ?? "sweep";
const cases = Number(arg("cases") ?? 50);
const perCase = Number(arg("per-case") ?? 60);
const tlpCases = Number(arg("tlp") ?? 0);
const features =
  arg("features") === undefined ? SQL_FEATURES_SUPPORTED : parseSqlFeatures(arg("features") ?? "");
const log = arg("log");
const enginePath = resolve(arg("engine") ?? join(import.meta.dirname, "..", "src", "db.ts"));

interface FuseDBClass {
  open(o: object): Promise<SqlDatabase>;
}
const { FuseDB } = (await import(pathToFileURL(enginePath).href)) as { FuseDB: FuseDBClass };
const fz = fusedbTarget(() =>
  FuseDB.open({ dir: "/db", fs: new TestDisk(), clock: new SimClock(0), durability: "memory" }),
);
const pg = await pgliteTarget();

const stamp = (): string => new Date().toISOString();
const kinds = new Map<string, number>();
const unsupported = new Map<string, string>();
let statements = 0;
let unsupportedCount = 0;
const found: SqlMismatch[] = [];
console.log(
  `sweep seed ${seed}, ${cases} cases x ${perCase}, features [${formatSqlFeatures(features)}], engine ${enginePath}`,
);
for (let i = 0; i < cases; i++) {
  const r = await runSqlCase({
    seed: `${seed}-${i}`,
    features,
    statements: perCase,
    postgres: pg,
    fusedb: fz,
  });
  statements += r.statements;
  unsupportedCount += r.unsupportedCount;
  for (const [k, v] of r.unsupported) if (!unsupported.has(k)) unsupported.set(k, v);
  if (r.mismatch === undefined) continue;
  const m = r.mismatch;
  found.push(m);
  kinds.set(m.verdict.kind, (kinds.get(m.verdict.kind) ?? 0) + 1);
  const text = formatMismatch(m);
  console.log(`\n${text}`);
  if (flag("corpus")) {
    const file = join(import.meta.dirname, "..", "corpus", `sql-${m.seed}.json`);
    const body = {
      seed: m.seed,
      features: formatSqlFeatures(features),
      found: `${m.verdict.kind}: ${m.verdict.detail}`.slice(0, 400),
      status: "open",
      statements: m.statements,
    };
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  }
  if (log !== undefined)
    appendFileSync(
      log,
      `\n### ${stamp()} seed ${m.seed} (${m.verdict.kind})\n\n\`\`\`sql\n${text}\n\`\`\`\n`,
    );
}
for (let i = 0; i < tlpCases; i++) {
  const r = await runTlp(fz, `${seed}-tlp-${i}`, features, 20);
  for (const c of r.checks) {
    if (c.status !== "violated") continue;
    const text = formatTlp(r.seed, r.setup, c);
    console.log(`\n${text}`);
    if (log !== undefined)
      appendFileSync(log, `\n### ${stamp()} TLP seed ${r.seed}\n\n\`\`\`sql\n${text}\n\`\`\`\n`);
  }
}
console.log(
  `\n${statements} statements, ${found.length} mismatches ${JSON.stringify([...kinds])}, ${unsupportedCount} unsupported`,
);
for (const [k, v] of unsupported) console.log(`unsupported: ${k}\n    e.g. ${v.slice(0, 300)}`);
await fz.close();
await pg.close();
