/**
 * Runtime faults, two ways: {@link RuntimeFaultPlanner} lets the simulated disk inject them itself (on the
 * medium, persistent, with a failed fsync dropping the pages it covered), and {@link FaultyFileSystem} is a
 * composable wrapper over any `FileSystem` (Pebble's vfs/errorfs; "Can Applications Recover from fsync
 * Failures?", ATC'20). Each operation kind is declared once and classified as a read or a write; a seeded
 * plan decides, per call, whether it fails:
 * - `write` returns EIO or ENOSPC, possibly after a short write (a prefix of the data lands);
 * - `sync` returns EIO (on a `SimFileSystem`, pair it with dropping the unsynced pages at the next crash);
 * - `read` returns EIO;
 * - a read of data returns one flipped bit, at a position that stays flipped across retries (a latent sector
 *   error that persists);
 * - a write lands at the wrong offset (misdirected).
 */

import type { IoCallInfo, IoFaultPlanner, ReadFault, WriteFault } from "../sim/disk/io-fault-planner.js";
import type { Prng } from "../sim/disk/prng.js";
import type { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { File, FileSystem } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";
import { mark } from "../src/util/coverage.js";

/** Probabilities per call, each in [0, 1]. */
export interface RuntimeFaultPlan {
  writeEio: number;
  writeEnospc: number;
  syncEio: number;
  readEio: number;
  readBitFlip: number;
  misdirectedWrite: number;
  /**
   * Simulated disk only: per crash, the probability that the disk comes back with one latent sector error
   * (a flipped bit) somewhere in its durable data ({@link injectLatentError}). Default 0.
   */
  bitRotPerCrash?: number;
  /** Only paths for which this returns true are faulted (default: all). */
  target?: (path: string) => boolean;
}

/** The plan that injects nothing. */
export const RUNTIME_FAULTS_NONE: RuntimeFaultPlan = {
  writeEio: 0,
  writeEnospc: 0,
  syncEio: 0,
  readEio: 0,
  readBitFlip: 0,
  misdirectedWrite: 0,
  bitRotPerCrash: 0,
};

/**
 * Draws a plan for one seed (swarm testing, Groce et al. ISSTA'12): each fault class is on or off by a coin,
 * and if on, gets a per-call probability from a small menu, from rare to frequent.
 */
export function drawRuntimeFaultPlan(prng: Prng): RuntimeFaultPlan {
  const some = (menu: readonly number[]): number => (prng.bool() ? prng.pick(menu) : 0);
  return {
    writeEio: some([0.002, 0.01, 0.05]),
    writeEnospc: some([0.002, 0.01, 0.05]),
    syncEio: some([0.002, 0.01, 0.05]),
    readEio: some([0.005, 0.02, 0.1]),
    readBitFlip: some([0.002, 0.01, 0.05]),
    misdirectedWrite: some([0.001, 0.005, 0.02]),
    bitRotPerCrash: some([0.05, 0.2, 0.5]),
  };
}

/** Counts of injected faults, for coverage marks. */
export interface RuntimeFaultCounts {
  writeEio: number;
  writeEnospc: number;
  shortWrites: number;
  syncEio: number;
  readEio: number;
  readBitFlip: number;
  misdirectedWrite: number;
  /** Latent sector errors left by crashes ({@link injectLatentError}); simulated disk only. */
  bitRot: number;
}

function zeroCounts(): RuntimeFaultCounts {
  return {
    writeEio: 0,
    writeEnospc: 0,
    shortWrites: 0,
    syncEio: 0,
    readEio: 0,
    readBitFlip: 0,
    misdirectedWrite: 0,
    bitRot: 0,
  };
}

/** Shifts a misdirected write may suffer, in bytes: a sector or a page either way. */
const MISDIRECT_SHIFTS_BYTES = [-4096, -512, 512, 4096] as const;

/**
 * The simulated disk's runtime faults (an {@link IoFaultPlanner}), drawn from `prng` with the per-call
 * probabilities of `plan`. Counts what it injects and sets a coverage mark per fault class (`fault.*`).
 * `enabled` switches it off without touching the stream.
 */
export class RuntimeFaultPlanner implements IoFaultPlanner {
  readonly counts: RuntimeFaultCounts = zeroCounts();
  enabled = true;

  constructor(
    readonly plan: RuntimeFaultPlan,
    private readonly prng: Prng,
  ) {}

  /** Faults injected so far, all classes. */
  get total(): number {
    const c = this.counts;
    return c.writeEio + c.writeEnospc + c.syncEio + c.readEio + c.readBitFlip + c.misdirectedWrite + c.bitRot;
  }

  planWrite(call: IoCallInfo): WriteFault {
    for (const code of ["EIO", "ENOSPC"] as const) {
      if (!this.hit(call.path, code === "EIO" ? this.plan.writeEio : this.plan.writeEnospc)) continue;
      if (code === "EIO") this.count("writeEio", "fault.write-eio");
      else this.count("writeEnospc", "fault.write-enospc");
      let landedBytes = 0;
      if (call.length > 1 && this.prng.bool()) {
        landedBytes = this.prng.range(1, call.length - 1);
        this.count("shortWrites", "fault.short-write");
      }
      return { kind: "fail", code, landedBytes };
    }
    if (this.hit(call.path, this.plan.misdirectedWrite)) {
      this.count("misdirectedWrite", "fault.misdirected-write");
      const shift = this.prng.pick(MISDIRECT_SHIFTS_BYTES);
      return {
        kind: "misdirect",
        offset: call.offset + shift >= 0 ? call.offset + shift : call.offset - shift,
      };
    }
    return { kind: "none" };
  }

  planRead(call: IoCallInfo, durable: boolean): ReadFault {
    if (this.hit(call.path, this.plan.readEio)) {
      this.count("readEio", "fault.read-eio");
      return { kind: "eio" };
    }
    if (durable && call.length > 0 && this.hit(call.path, this.plan.readBitFlip)) {
      this.count("readBitFlip", "fault.bit-flip");
      return { kind: "flip", offset: call.offset + this.prng.int(call.length), mask: 1 << this.prng.int(8) };
    }
    return { kind: "none" };
  }

  planSync(call: IoCallInfo): boolean {
    if (!this.hit(call.path, this.plan.syncEio)) return false;
    this.count("syncEio", "fault.fsync-eio");
    return true;
  }

  planSyncDir(path: string): boolean {
    if (!this.hit(path, this.plan.syncEio)) return false;
    this.count("syncEio", "fault.dir-fsync-eio");
    return true;
  }

  /**
   * A crash's latent sector error: with probability `plan.bitRotPerCrash`, flips one bit of one non-empty
   * file under `dir` of the crashed `disk` (durably; the disk lists the file as damaged). `beforeFlip` hears
   * of the byte while it is still intact (so a checker can classify the damage). Returns the path and offset
   * damaged, or undefined.
   */
  injectLatentError(
    disk: SimFileSystem,
    dir: string,
    beforeFlip?: (path: string, offset: number) => void,
  ): { path: string; offset: number } | undefined {
    const p = this.plan.bitRotPerCrash ?? 0;
    if (!this.enabled || p <= 0 || !this.prng.bool(p)) return undefined;
    const files = disk
      .listLive(dir)
      .map((name) => `${dir}/${name}`)
      .filter((path) => (this.plan.target?.(path) ?? true) && (disk.readLive(path)?.length ?? 0) > 0);
    if (files.length === 0) return undefined;
    const path = this.prng.pick(files);
    const offset = this.prng.int(disk.readLive(path)?.length ?? 1);
    beforeFlip?.(path, offset);
    disk.flipBit(path, offset, 1 << this.prng.int(8));
    this.count("bitRot", "fault.bit-rot");
    return { path, offset };
  }

  private hit(path: string, p: number): boolean {
    if (!this.enabled || p <= 0) return false;
    if (this.plan.target && !this.plan.target(path)) return false;
    return this.prng.bool(p);
  }

  private count(what: keyof RuntimeFaultCounts, markName: string): void {
    this.counts[what]++;
    mark(markName);
  }
}

/** An I/O error as the OS reports it: `code` is "EIO" or "ENOSPC". */
export class InjectedIoError extends Error {
  constructor(
    readonly code: "EIO" | "ENOSPC",
    what: string,
  ) {
    super(`${code} (injected) on ${what}`);
    this.name = "InjectedIoError";
  }
}

/** Wraps `inner`, injecting the faults of `plan` with draws from `prng`. Faults can be switched off. */
export class FaultyFileSystem extends ForwardingFileSystem {
  readonly counts: RuntimeFaultCounts = zeroCounts();
  /** Latent bit flips: path → byte offsets whose bit 0 reads flipped, for ever. */
  readonly flipped = new Map<string, Set<number>>();
  enabled = true;

  constructor(
    inner: FileSystem,
    readonly plan: RuntimeFaultPlan,
    readonly prng: Prng,
  ) {
    super(inner);
  }

  /** Whether a fault of probability `p` hits a call on `path` now. */
  hit(path: string, p: number): boolean {
    if (!this.enabled || p <= 0) return false;
    if (this.plan.target && !this.plan.target(path)) return false;
    return this.prng.bool(p);
  }

  protected override wrapFile(file: File): File {
    return new FaultyFile(file, this);
  }

  override syncDir(path: string): Promise<void> {
    if (this.hit(path, this.plan.syncEio)) {
      this.counts.syncEio++;
      return Promise.reject(new InjectedIoError("EIO", `syncDir ${path}`));
    }
    return this.inner.syncDir(path);
  }
}

class FaultyFile extends ForwardingFile {
  constructor(
    inner: File,
    private readonly fs: FaultyFileSystem,
  ) {
    super(inner);
  }

  override async read(offset: number, length: number): Promise<Uint8Array> {
    const { fs } = this;
    if (fs.hit(this.path, fs.plan.readEio)) {
      fs.counts.readEio++;
      throw new InjectedIoError("EIO", `read ${this.path}@${offset}`);
    }
    const data = await this.inner.read(offset, length);
    if (data.length > 0 && fs.hit(this.path, fs.plan.readBitFlip)) {
      fs.counts.readBitFlip++;
      let set = fs.flipped.get(this.path);
      if (!set) {
        set = new Set();
        fs.flipped.set(this.path, set);
      }
      set.add(offset + fs.prng.int(data.length));
    }
    const flips = fs.flipped.get(this.path);
    if (!flips) return data;
    const out = Uint8Array.from(data);
    for (const at of flips) {
      if (at >= offset && at < offset + out.length) out[at - offset] = (out[at - offset] as number) ^ 1;
    }
    return out;
  }

  override async write(offset: number, data: Uint8Array): Promise<void> {
    const { fs } = this;
    for (const code of ["EIO", "ENOSPC"] as const) {
      const p = code === "EIO" ? fs.plan.writeEio : fs.plan.writeEnospc;
      if (!fs.hit(this.path, p)) continue;
      if (code === "EIO") fs.counts.writeEio++;
      else fs.counts.writeEnospc++;
      if (data.length > 1 && fs.prng.bool()) {
        fs.counts.shortWrites++;
        await this.inner.write(offset, data.subarray(0, fs.prng.range(1, data.length - 1)));
      }
      throw new InjectedIoError(code, `write ${this.path}@${offset}`);
    }
    if (fs.hit(this.path, fs.plan.misdirectedWrite)) {
      fs.counts.misdirectedWrite++;
      const shift = fs.prng.pick([-4096, -512, 512, 4096]);
      await this.inner.write(Math.max(0, offset + shift), data);
      return;
    }
    await this.inner.write(offset, data);
  }

  override async sync(): Promise<void> {
    const { fs } = this;
    if (fs.hit(this.path, fs.plan.syncEio)) {
      fs.counts.syncEio++;
      throw new InjectedIoError("EIO", `sync ${this.path}`);
    }
    await this.inner.sync();
  }
}
