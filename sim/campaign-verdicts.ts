/**
 * The campaign's verdicts on what the engine answered under faults (sim/campaign.ts): which errors a fault
 * explains and which are violations. It decides four things:
 *
 * - damage detected: FUSEDB_CORRUPTION naming a file that injected damage touched ends the run as
 *   `detected`, a pass; naming an undamaged file, it is a violation;
 * - a mutation rejected: FUSEDB_POISONED stops the issuing until a crash or restart; EIO while runtime
 *   faults are on means the call was never committed ({@link Oracle.retract}); anything else goes to the
 *   oracle, which knows the model's reason;
 * - a read or checkpoint failed: explained by a crash, a poisoned or closed engine, an injected I/O error or
 *   detected damage, else a violation (never a wrong value);
 * - a recovered state checked: the oracle's prefix check, where a loss of acknowledged commits is excused
 *   only by damage that, when injected, lay inside the last WAL file's final group-commit write (the known
 *   limit of docs/fault-model.md, classified by sim/wal-damage.ts); that ends the run as `detected` too.
 */
import { mark } from "../src/util/coverage.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";
import type { TraceHash } from "./disk/trace-hash.js";
import type { ModelState } from "./model.js";
import type { CallTicket, Oracle } from "./oracle.js";
import type { WalDamageLedger } from "./wal-damage.js";

/** The verdicts of one campaign; see the module comment. */
export class Verdicts {
  /** The engine rejected a call with FUSEDB_POISONED: stop issuing, then crash or restart and recover. */
  poisoned = false;
  /** What injected damage the engine detected; set once, and the run ends. */
  detected: string | undefined;

  /**
   * @param dir the engine's directory on the virtual disk (damaged files are named relative to it)
   * @param runtimeFaults whether this campaign injects runtime faults (only then is EIO or ENOSPC explained)
   */
  constructor(
    private readonly oracle: Oracle,
    private readonly trace: TraceHash,
    private readonly walDamage: WalDamageLedger,
    private readonly dir: string,
    private readonly runtimeFaults: boolean,
  ) {}

  /** Neither poisoned nor stopped by detected damage: worth issuing more work. */
  get healthy(): boolean {
    return !this.poisoned && this.detected === undefined;
  }

  /**
   * Whether `err` is FUSEDB_CORRUPTION naming a file of `disk` that injected damage touched; if so, the run
   * ends as detected. Any other error: false (the caller decides whether it is a violation).
   */
  detectedDamage(err: unknown, disk: SimFileSystem, what: string): boolean {
    if (errorCode(err) !== "FUSEDB_CORRUPTION") return false;
    const file = (err as { file?: unknown }).file;
    if (typeof file !== "string") return false;
    if (!disk.damagedFiles().has(`${this.dir}/${file}`)) return false;
    this.detect(`${what}: ${describeError(err)}`);
    return true;
  }

  /** Ends the run as detected (the first detection wins). */
  detect(what: string): void {
    if (this.detected !== undefined) return;
    this.detected = what;
    mark("campaign.detected");
    this.trace.update(`detected ${what}`);
  }

  /** The engine rejected the mutation of `ticket` with `err`, while running on `disk`. */
  rejected(ticket: CallTicket, err: unknown, what: string, disk: SimFileSystem): void {
    const code = failureCode(err);
    if (code === undefined) {
      this.oracle.violations.push(`${what}: rejected with an untyped error: ${describeError(err)}`);
      return;
    }
    // A handle on a disk that has since crashed may still reject calls late: that poisons no later epoch.
    if (code === "FUSEDB_POISONED" && errorCode((err as { cause?: unknown }).cause) !== "ESIMCRASHED") {
      this.poisoned = true;
    }
    // Read errors while resolving the call: it was never committed.
    if (code === "EIO" && this.runtimeFaults) {
      mark("oracle.retracted");
      this.oracle.retract(ticket, what);
      return;
    }
    if (code === "FUSEDB_CORRUPTION") {
      if (this.detectedDamage(err, disk, what)) this.oracle.retract(ticket, what);
      else this.oracle.violations.push(`${what}: rejected without injected damage: ${describeError(err)}`);
      return;
    }
    this.oracle.rejected(ticket, code, what);
  }

  /** A read or checkpoint failed with `err`, while running on `disk`. */
  readFailed(err: unknown, what: string, disk: SimFileSystem): void {
    const code = failureCode(err);
    // A read or checkpoint may fail because the disk under it crashed or the engine is poisoned/closed,
    if (code === "ESIMCRASHED" || code === "FUSEDB_CLOSED") return;
    if (code === "FUSEDB_POISONED") {
      this.poisoned = true;
      return;
    }
    // because of an injected I/O error,
    if ((code === "EIO" || code === "ENOSPC") && this.runtimeFaults) return;
    // or because it found damage that was injected.
    if (this.detectedDamage(err, disk, what)) return;
    this.oracle.violations.push(`${what}: failed without an injected fault: ${describeError(err)}`);
  }

  /**
   * Checks a `state` recovered from `disk` at virtual time `nowMs` with the oracle; under the known limit
   * (injected damage cut as a torn tail) a loss of acknowledged commits ends the run as detected instead.
   * Returns the prefix kept, if any.
   */
  recovered(
    disk: SimFileSystem,
    state: Map<string, ModelState>,
    what: string,
    nowMs: number,
  ): number | undefined {
    const cut = this.walDamage.excusedCut(disk);
    const floor = this.oracle.floorPos;
    const prefix = this.oracle.recovered(state, what, nowMs, cut !== undefined);
    if (cut !== undefined && prefix !== undefined && prefix < floor) {
      mark("campaign.known-limit");
      this.detect(
        `${what}: known limit: damage at ${cut} was cut as a torn tail, losing ` +
          `commits ${prefix + 1}..${floor}, acknowledged or recovered before`,
      );
    }
    return prefix;
  }
}

/** Why a call failed: the disk's code under an engine FUSEDB_IO (its `cause`), else the error's own code. */
function failureCode(err: unknown): string | undefined {
  const code = errorCode(err);
  return code === "FUSEDB_IO" ? errorCode((err as { cause?: unknown }).cause) : code;
}
