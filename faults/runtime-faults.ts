/**
 * Runtime faults as a composable wrapper over any `FileSystem` (Pebble's vfs/errorfs; "Can Applications
 * Recover from fsync Failures?", ATC'20). Each operation kind is declared once and classified as a read or a
 * write; a seeded plan decides, per call, whether it fails:
 * - `write` returns EIO or ENOSPC, possibly after a short write (a prefix of the data lands);
 * - `sync` returns EIO (on a `SimFileSystem`, pair it with dropping the unsynced pages at the next crash);
 * - `read` returns EIO;
 * - a read of data returns one flipped bit, at a position that stays flipped across retries (a latent sector
 *   error that persists);
 * - a write lands at the wrong offset (misdirected).
 */

import { ForwardingFileSystem } from "../sim/canary.js";
import type { Prng } from "../sim/prng.js";
import type { File, FileSystem, OpenOptions } from "../src/io/file-system.js";

/** Probabilities per call, each in [0, 1]. */
export interface RuntimeFaultPlan {
  writeEio: number;
  writeEnospc: number;
  syncEio: number;
  readEio: number;
  readBitFlip: number;
  misdirectedWrite: number;
  /** Only paths for which this returns true are faulted (default: all). */
  target?: (path: string) => boolean;
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
  readonly counts: RuntimeFaultCounts = {
    writeEio: 0,
    writeEnospc: 0,
    shortWrites: 0,
    syncEio: 0,
    readEio: 0,
    readBitFlip: 0,
    misdirectedWrite: 0,
  };
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

  override async open(path: string, options?: OpenOptions): Promise<File> {
    return new FaultyFile(await this.inner.open(path, options), this);
  }

  override syncDir(path: string): Promise<void> {
    if (this.hit(path, this.plan.syncEio)) {
      this.counts.syncEio++;
      return Promise.reject(new InjectedIoError("EIO", `syncDir ${path}`));
    }
    return this.inner.syncDir(path);
  }
}

class FaultyFile implements File {
  constructor(
    private readonly inner: File,
    private readonly fs: FaultyFileSystem,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
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

  async write(offset: number, data: Uint8Array): Promise<void> {
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

  truncate(size: number): Promise<void> {
    return this.inner.truncate(size);
  }

  async sync(): Promise<void> {
    const { fs } = this;
    if (fs.hit(this.path, fs.plan.syncEio)) {
      fs.counts.syncEio++;
      throw new InjectedIoError("EIO", `sync ${this.path}`);
    }
    await this.inner.sync();
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
