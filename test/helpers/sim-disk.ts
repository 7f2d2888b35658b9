/**
 * The disk of the engine tests: the simulated disk (sim/disk/sim-file-system.ts) with latency off — every
 * call completes when issued, and nothing is lost without a crash — seen through {@link TestDisk}, a
 * forwarding file system that adds what a test watches and steers:
 * - the bytes of each file, read (`bytes`, `snapshot`, `paths`) and replaced (`setBytes`, durably);
 * - `copy()`, the disk's bytes for a fresh process (no locks, open files, faults or holds);
 * - the `File.write` and `File.sync` calls made through it, failed ones included;
 * - `faults`: make matching writes or syncs fail with EIO, as the simulated disk's own runtime faults do (a
 *   failed write lands nothing; a failed sync drops the writes it covered from what a crash keeps);
 * - `holdSync()`: make every `File.sync` wait until the test releases it.
 * Paths are the simulated disk's: absolute ("/db/MANIFEST").
 */
import { Buffer } from "node:buffer";
import type { IoFaultPlanner, ReadFault, WriteFault } from "../../sim/disk/io-fault-planner.js";
import { SimFileSystem } from "../../sim/disk/sim-file-system.js";
import type { File } from "../../src/io/file-system.js";
import { parentPath } from "../../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../../src/io/forwarding-file-system.js";

/** Fault hooks; each is asked on every matching call with the file's path. */
export interface TestDiskFaults {
  failWrite?: (path: string) => boolean;
  failSync?: (path: string) => boolean;
}

/** A gate that `File.sync` waits on while held. */
export interface SyncHold {
  /** Resolves once some sync call is waiting at the gate. */
  readonly entered: Promise<void>;
  /** Opens the gate: waiting and later syncs proceed. */
  release(): void;
}

const NO_WRITE_FAULT: WriteFault = { kind: "none" };
const NO_READ_FAULT: ReadFault = { kind: "none" };

/** A simulated disk without latency, with test hooks; see the module comment. */
export class TestDisk extends ForwardingFileSystem {
  /** Calls to `File.sync` (failed ones included), in order, by path. */
  readonly syncCalls: string[] = [];
  /** Calls to `File.write` (failed ones included), in order, by path. */
  readonly writeCalls: string[] = [];
  faults: TestDiskFaults = {};
  private gate: Promise<void> | undefined;
  private onEnter: (() => void) | undefined;
  /** While true (inside `setBytes`), `faults` are not applied. */
  private editing = false;

  /** @param sim the disk; a new empty one without latency by default. Its runtime faults become `faults`. */
  constructor(readonly sim: SimFileSystem = new SimFileSystem({ latency: false })) {
    super(sim);
    const planner: IoFaultPlanner = {
      planWrite: (call) =>
        !this.editing && this.faults.failWrite?.(call.path) === true
          ? { kind: "fail", code: "EIO", landedBytes: 0 }
          : NO_WRITE_FAULT,
      planRead: () => NO_READ_FAULT,
      planSync: (call) => !this.editing && this.faults.failSync?.(call.path) === true,
      planSyncDir: () => false,
    };
    sim.setIoFaults(planner);
  }

  /** The same bytes on a new disk: a fresh process over the same disk. Locks, faults and holds stay here. */
  copy(): TestDisk {
    return new TestDisk(this.sim.clone());
  }

  /** Paths of every file, sorted. */
  paths(): string[] {
    return [...this.sim.snapshot().keys()].sort();
  }

  /**
   * A copy of the bytes of `path`.
   * @throws Error if there is no such file.
   */
  bytes(path: string): Buffer {
    const data = this.sim.readLive(path);
    if (data === undefined) throw new Error(`TestDisk.bytes: no file ${path}`);
    return Buffer.from(data);
  }

  /** Replaces the bytes of `path` (creating it), durably, as damage on the medium would; no fault applies. */
  async setBytes(path: string, data: Uint8Array): Promise<void> {
    this.editing = true;
    try {
      const file = await this.sim.open(path, { create: true });
      await file.write(0, data);
      await file.truncate(data.length);
      await file.sync();
      await file.close();
      await this.sim.syncDir(parentPath(path));
    } finally {
      this.editing = false;
    }
  }

  /** Every file's bytes, for comparing two states of the disk. */
  snapshot(): Map<string, Uint8Array> {
    return this.sim.snapshot();
  }

  /** Makes every sync wait until `release` is called on the returned hold. */
  holdSync(): SyncHold {
    let open: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      this.onEnter = resolve;
    });
    return {
      entered,
      release: () => {
        this.gate = undefined;
        open();
      },
    };
  }

  protected override wrapFile(file: File): File {
    return new TestFile(file, this);
  }

  /** @internal Records a sync of `path` and waits while a hold is on. */
  async beforeSync(path: string): Promise<void> {
    this.syncCalls.push(path);
    // Bounded: each pass waits for one gate; a released gate is not re-armed unless the test holds again.
    while (this.gate) {
      const gate = this.gate;
      this.onEnter?.();
      await gate;
    }
  }
}

class TestFile extends ForwardingFile {
  constructor(
    inner: File,
    private readonly disk: TestDisk,
  ) {
    super(inner);
  }

  override write(offset: number, data: Uint8Array): Promise<void> {
    this.disk.writeCalls.push(this.path);
    return this.inner.write(offset, data);
  }

  override async sync(): Promise<void> {
    await this.disk.beforeSync(this.path);
    await this.inner.sync();
  }
}
