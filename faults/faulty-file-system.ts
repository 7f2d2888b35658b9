/**
 * Runtime faults over any `FileSystem`: Pebble's `errorfs.Wrap(fs, injector)`, with an `IoFaultPlanner`
 * (sim/disk/io-fault-planner.ts) as the injector — usually a {@link RuntimeFaultPlanner} (runtime-faults.ts),
 * the one implementation of a seeded fault plan, which the simulated disk consults too. The wrapper asks the
 * planner about the operation of each kind in `IO_OP_KINDS` (src/io/forwarding-file-system.ts) that moves
 * data, exactly as the simulated disk does:
 * - kind read, `File.read`: `planRead`, after reading, with the length read;
 * - kind write, `File.write`: `planWrite`, before writing;
 * - kind sync, `File.sync` and `FileSystem.syncDir`: `planSync` and `planSyncDir`, before syncing;
 * and forwards every other operation (open, size, list, truncate, rename, ...) untouched.
 *
 * What a wrapper can do with the answer differs from the simulated disk in two ways: its bit flips live in
 * the wrapper (reads through it see them, for ever; the bytes below never change), and a failed sync drops
 * nothing below (a wrapper cannot reach the page cache; on a `SimFileSystem`, use `setIoFaults` for that).
 * A wrapper cannot tell durable bytes from pending ones either: it plans every read as durable.
 */
import type { IoFaultPlanner } from "../sim/disk/io-fault-planner.js";
import type { File, FileSystem } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

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

/** Wraps `inner`, injecting the faults `planner` decides, operation by operation; see the module comment. */
export class FaultyFileSystem extends ForwardingFileSystem {
  /** Latent bit flips: path → (byte offset → mask read back flipped). */
  private readonly flips = new Map<string, Map<number, number>>();

  constructor(
    inner: FileSystem,
    readonly planner: IoFaultPlanner,
  ) {
    super(inner);
  }

  /**
   * A latent sector error: from now on, every read through this wrapper of byte `offset` of the file opened
   * as `path` sees `mask` flipped (flips of one byte compose). The bytes below do not change.
   * @throws RangeError if `offset` is not a non-negative integer or `mask` not in 1..255.
   */
  flip(path: string, offset: number, mask = 1): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`flip: bad offset ${offset}`);
    if (!Number.isInteger(mask) || mask < 1 || mask > 255) throw new RangeError(`flip: bad mask ${mask}`);
    let flips = this.flips.get(path);
    if (flips === undefined) {
      flips = new Map();
      this.flips.set(path, flips);
    }
    const next = (flips.get(offset) ?? 0) ^ mask;
    if (next === 0) flips.delete(offset);
    else flips.set(offset, next);
  }

  /** `data`, read at `offset` of `path`, with the latent flips in its range applied (a copy if any). */
  withFlips(path: string, offset: number, data: Uint8Array): Uint8Array {
    const flips = this.flips.get(path);
    if (flips === undefined || flips.size === 0) return data;
    const out = Uint8Array.from(data);
    for (const [at, mask] of flips) {
      const i = at - offset;
      if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) ^ mask;
    }
    return out;
  }

  protected override wrapFile(file: File): File {
    return new FaultyFile(file, this);
  }

  override syncDir(path: string): Promise<void> {
    if (this.planner.planSyncDir(path)) return Promise.reject(new InjectedIoError("EIO", `syncDir ${path}`));
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
    const data = await this.inner.read(offset, length);
    const fault = this.fs.planner.planRead({ path: this.path, offset, length: data.length }, true);
    if (fault.kind === "eio") throw new InjectedIoError("EIO", `read ${this.path}@${offset}`);
    if (fault.kind === "flip") this.fs.flip(this.path, fault.offset, fault.mask);
    return this.fs.withFlips(this.path, offset, data);
  }

  override async write(offset: number, data: Uint8Array): Promise<void> {
    const fault = this.fs.planner.planWrite({ path: this.path, offset, length: data.length });
    if (fault.kind === "fail") {
      if (fault.landedBytes > 0) await this.inner.write(offset, data.subarray(0, fault.landedBytes));
      throw new InjectedIoError(fault.code, `write ${this.path}@${offset}`);
    }
    await this.inner.write(fault.kind === "misdirect" ? fault.offset : offset, data);
  }

  override async sync(): Promise<void> {
    if (this.fs.planner.planSync({ path: this.path, offset: 0, length: 0 })) {
      throw new InjectedIoError("EIO", `sync ${this.path}`);
    }
    await this.inner.sync();
  }
}
