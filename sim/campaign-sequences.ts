/**
 * Rare fault sequences a campaign reaches, proven by coverage marks (issue 12, "The simulator's blind
 * spots"). Single faults are common in the swarm; these orders of events are not, and recovery code was
 * written for each:
 *
 * - `campaign.poison-restart-power-loss`: a failed write or fdatasync poisoned the engine, the process
 *   restarted without a power loss while the disk still held operations a crash could tear or take back
 *   (unsynced writes and truncates, or pages a failed fsync dropped but reads still see: fsyncgate, ATC'20),
 *   the restarted engine recovered from that and acknowledged more writes, and then the power failed.
 *   Recovery must make what it built on durable first (src/wal/wal-reader.ts; corpus ci-1372).
 * - `campaign.dir-fsync-eio-crash`: a directory fsync failed (its entries stay pending: a new WAL file, a
 *   renamed segment or manifest), maybe a restart followed, and then the power failed; recovery must neither
 *   miss a file the engine relied on nor build on a name that may vanish (the `syncDir` that ends WAL
 *   recovery).
 *
 * The tracker only observes: it wraps the disk's fault planner to see failed writes, fsyncs and directory
 * fsyncs, and the campaign tells it of restarts and power losses. The swarm reaches the second sequence
 * through a directory-fsync focus (sim/campaign-options.ts).
 */
import { mark } from "../src/util/coverage.js";
import type { IoCallInfo, IoFaultPlanner, ReadFault, WriteFault } from "./disk/io-fault-planner.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";

/** Follows one campaign's faults, restarts and power losses; see the module comment. */
export class FaultSequences {
  /** A write or an fdatasync failed since the last power loss (what poisons the engine). */
  private writeOrSyncFailed = false;
  /** A directory fsync failed since the last power loss. */
  private dirSyncFailed = false;
  /**
   * Set when, since the last power loss, the process restarted after a failed write or fsync poisoned it,
   * over data a crash could still tear or take back: the acknowledgement count at that restart.
   */
  private restartedAtAcks: number | undefined;

  /** @param acks acknowledged calls so far, over the whole campaign */
  constructor(private readonly acks: () => number) {}

  /** Wraps `inner` (the faults of one disk) to notice failed writes and fsyncs; draws nothing itself. */
  observe(inner: IoFaultPlanner): IoFaultPlanner {
    return {
      planWrite: (call: IoCallInfo): WriteFault => {
        const fault = inner.planWrite(call);
        if (fault.kind === "fail") this.writeOrSyncFailed = true;
        return fault;
      },
      planRead: (call: IoCallInfo, durable: boolean): ReadFault => inner.planRead(call, durable),
      planSync: (call: IoCallInfo): boolean => {
        const failed = inner.planSync(call);
        if (failed) this.writeOrSyncFailed = true;
        return failed;
      },
      planSyncDir: (path: string): boolean => {
        const failed = inner.planSyncDir(path);
        if (failed) this.dirSyncFailed = true;
        return failed;
      },
    };
  }

  /** A process restart after a poison, on `disk` as the poisoned process left it (before the new open). */
  restartAfterPoison(disk: SimFileSystem): void {
    if (!this.writeOrSyncFailed) return;
    if (disk.pendingFileOps() > 0 || undurableBytes(disk)) this.restartedAtAcks ??= this.acks();
  }

  /** The power fails (call before taking the crash image): marks the sequences that led here. */
  powerLoss(): void {
    // The restarted engine committed on top of what it recovered before the power failed.
    if (this.restartedAtAcks !== undefined && this.acks() > this.restartedAtAcks) {
      mark("campaign.poison-restart-power-loss");
    }
    if (this.dirSyncFailed) mark("campaign.dir-fsync-eio-crash");
    this.restartedAtAcks = undefined;
    this.writeOrSyncFailed = false;
    this.dirSyncFailed = false;
  }
}

/** Whether some file reads differently from what survives a crash that loses every pending operation. */
function undurableBytes(disk: SimFileSystem): boolean {
  const live = disk.snapshot();
  const durable = disk.durableSnapshot();
  if (live.size !== durable.size) return true;
  for (const [path, bytes] of live) {
    const kept = durable.get(path);
    if (kept === undefined || !sameBytes(bytes, kept)) return true;
  }
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
