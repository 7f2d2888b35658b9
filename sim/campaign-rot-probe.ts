/**
 * The campaign's rot probes: after some recoveries, a copy of the disk that was recovered gets one latent
 * sector error in durable WAL or segment data outside the last WAL file's final group-commit write
 * (sim/wal-damage.ts), and is recovered and read on a side branch: the engine must stop with
 * FUSEDB_CORRUPTION naming the damaged file, or answer exactly the recovered state. The run goes on from the
 * undamaged recovery. This is how campaigns catch a reader that ignores checksums or a recovery that cuts
 * the log at the first bad record: crash faults alone never damage durable bytes.
 */
import { applyFileLoss } from "../faults/file-loss.js";
import type { FuseDB } from "../src/db.js";
import { mark } from "../src/util/coverage.js";
import type { Prng } from "./disk/prng.js";
import type { SimClock } from "./disk/sim-clock.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";
import type { TraceHash } from "./disk/trace-hash.js";
import type { Driver } from "./driver.js";
import type { ModelState } from "./model.js";
import type { Oracle } from "./oracle.js";
import { describeProbeDamage, pickProbeDamage } from "./wal-damage.js";

/**
 * Chance of a rot probe after each crash's recovery (campaigns take about 1.1x the time they take without;
 * probes spread over every seed catch the broken readers in more seeds than probes concentrated in a few).
 */
const ROT_PROBE_PER_CRASH = 0.5;

/** What a probe needs from its campaign. */
export interface RotProbeHost {
  readonly oracle: Oracle;
  readonly trace: TraceHash;
  readonly driver: Driver;
  readonly clock: SimClock;
  /** The engine clock of handle `db` now (sim/engine-time.ts). */
  engineNow(db: FuseDB): number;
  /** Opens the engine on `fs` (driven), as the campaign does. */
  open(fs: SimFileSystem, what: string): Promise<FuseDB>;
  /** Reads back every model key (not driven). */
  dump(db: FuseDB): Promise<Map<string, ModelState>>;
}

/** Rot probes of one campaign; see the module comment. */
export class RotProbe {
  /**
   * @param prng the campaign's `rot-probe` stream: whether a probe follows a recovery, and where it damages
   * @param dir the engine's directory on the virtual disk
   */
  constructor(
    private readonly host: RotProbeHost,
    private readonly prng: Prng,
    private readonly dir: string,
  ) {}

  /** Draws whether the coming recovery gets a probe. */
  wanted(): boolean {
    return this.prng.bool(ROT_PROBE_PER_CRASH);
  }

  /**
   * Probes `image`, a copy of the disk a recovery just brought back to commit `prefix`: flips one bit outside
   * the final group, or sometimes loses more (the newest WAL file deleted, the last one cut or zeroed inside
   * an older group: `pickProbeDamage`, sim/wal-damage.ts), recovers and reads every key. The engine must
   * stop with FUSEDB_CORRUPTION naming the damaged (or missing) file, or answer exactly the model at
   * `prefix`. Violations go to the oracle.
   */
  async run(image: SimFileSystem, prefix: number, what: string): Promise<void> {
    const { oracle, trace, driver } = this.host;
    const damage = pickProbeDamage(image, this.dir, this.prng);
    if (damage === undefined) return;
    if (damage.kind === "flip") {
      image.flipBit(`${this.dir}/${damage.site.file}`, damage.site.offset, 1 << this.prng.int(8));
    } else {
      await driver.run(applyFileLoss(image, this.dir, damage.loss), "rot probe loss");
      mark(`fault.rot-probe-${damage.loss.kind}`);
    }
    mark("fault.rot-probe");
    const where = `${what}: rot probe, ${describeProbeDamage(damage)}`;
    trace.update(where);
    let db: FuseDB | undefined;
    try {
      db = await this.host.open(image, where);
      const state = await driver.run(this.host.dump(db), "dump rot probe");
      const diffs = oracle.differences(state, prefix, this.host.engineNow(db));
      if (diffs.length > 0) {
        oracle.violations.push(
          `${where}: recovered state is not the model at ${prefix}: ${diffs.join("; ")}`,
        );
      } else mark("campaign.rot-probe-harmless");
    } catch (err) {
      const file = (err as { file?: unknown }).file;
      if (errorCode(err) === "FUSEDB_CORRUPTION" && file === damage.file) {
        mark("campaign.rot-probe-detected");
        trace.update(`rot probe detected: ${describeError(err)}`);
      } else oracle.violations.push(`${where}: engine error: ${describeError(err)}`);
    }
    if (db !== undefined) {
      // A close after detected damage may fail; the probe's verdict is in.
      await driver.run(
        db.close().catch(() => undefined),
        "close rot probe",
      );
    }
  }
}
