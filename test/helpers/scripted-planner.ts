/**
 * An I/O fault planner that injects exactly the faults a test queues, in order (no randomness): each queue
 * answers its kind of operation until it runs dry, then nothing is injected.
 */
import type { IoFaultPlanner, ReadFault, WriteFault } from "../../sim/disk/io-fault-planner.js";

export class ScriptedPlanner implements IoFaultPlanner {
  writes: WriteFault[] = [];
  reads: ReadFault[] = [];
  syncs: boolean[] = [];
  dirSyncs: boolean[] = [];
  planWrite(): WriteFault {
    return this.writes.shift() ?? { kind: "none" };
  }
  planRead(): ReadFault {
    return this.reads.shift() ?? { kind: "none" };
  }
  planSync(): boolean {
    return this.syncs.shift() ?? false;
  }
  planSyncDir(): boolean {
    return this.dirSyncs.shift() ?? false;
  }
}
