/**
 * A campaign's index work around recoveries (issue 16, check c; sim/campaign.ts calls these in campaigns
 * with transactions and indexes): finishing the builds a crash interrupted (they resume at open, in the
 * background), and comparing every index with the one recomputed from the recovered documents
 * (sim/index-check.ts). Engine internals are read here for the simulator only.
 */
import type { FuseDB } from "../src/db.js";
import { mark } from "../src/util/coverage.js";
import { errorCode } from "./disk/sim-error.js";
import type { Driver } from "./driver.js";
import { compareStoredIndex } from "./index-check.js";
import type { ModelState } from "./model.js";
import type { Oracle } from "./oracle.js";
import { INDEX_DEFINITIONS } from "./tx-workload.js";

/**
 * Waits until no index of `db` is building (a unique build may end failed), the builds' records are
 * visible (`indexes()` tells the state as of the last record appended) and the background jobs they made
 * due are done. Engine internals: the pipeline's `appendedVisible`.
 * @throws HangError, and what a build throws besides FUSEDB_UNIQUE_VIOLATION.
 */
export async function finishBuilds(driver: Driver, db: FuseDB, what: string): Promise<void> {
  for (const info of db.indexes()) {
    if (info.state !== "building") continue;
    mark("txsim.index-build-resumed");
    try {
      await driver.run(db.waitForIndex(info.name), `${what}: index ${info.name} build`);
    } catch (err) {
      if (errorCode(err) !== "FUSEDB_UNIQUE_VIOLATION") throw err;
    }
  }
  const pipeline = (db as unknown as { pipeline: { appendedVisible(): Promise<void> } }).pipeline;
  await driver.run(pipeline.appendedVisible(), `${what}: index builds visible`);
  // The flushes their records made due, too.
  await driver.until(() => db.stats().tree.idle, `${what}: background work after index builds`);
}

/**
 * After a recovery (or restart) the oracle accepted: each index of `db`, its build finished, must equal the
 * index recomputed from the recovered documents `state` (read at the engine time `nowMs()` gives), and be
 * one the campaign created. Violations go to `oracle`.
 */
export async function checkIndexesAfterRecovery(
  driver: Driver,
  oracle: Oracle,
  db: FuseDB,
  state: ReadonlyMap<string, ModelState>,
  nowMs: () => number,
  what: string,
): Promise<void> {
  await finishBuilds(driver, db, what);
  for (const info of db.indexes()) {
    const def = INDEX_DEFINITIONS.find((d) => d.name === info.name);
    if (def === undefined) {
      oracle.report(`${what}: an index nobody created: ${info.name}`);
      continue;
    }
    if (info.state !== "ready") {
      mark("txsim.index-build-failed");
      continue;
    }
    const found = await driver.run(
      compareStoredIndex(db, def, state, oracle.model, nowMs()),
      `${what}: index ${def.name} check`,
    );
    mark("txsim.index-checked-after-recovery");
    for (const v of found) oracle.report(`${what}: ${v}`);
  }
}

/** Whether `db` appended a record since it opened (a build resumed at open). Engine internals. */
export function appendedSinceOpen(db: FuseDB): boolean {
  const wal = (db as unknown as { pipeline: { wal: { nextLsnPreview: number } } }).pipeline.wal;
  return wal.nextLsnPreview > db.recovery.lastLsn + 1;
}
