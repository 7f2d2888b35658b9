/**
 * A disk wrapper that reports every state-changing call once it has completed (write, truncate, sync,
 * create, rename, remove, mkdir, directory sync), so exhaustive mode can copy the disk after each step of a
 * recovery and crash there too (CrashMonkey crashes inside recovery the same way).
 *
 * Exact only for a caller that runs one call at a time (recovery is one chain of awaits) on a disk without
 * latency: the report runs right after the call's promise settles, before the caller's next call.
 */

import { ForwardingFileSystem } from "../faults/canary.js";
import type { File, FileSystem, OpenOptions } from "../src/io/file-system.js";

/** Receives a description of each completed state-changing call. */
export type StepListener = (step: string) => void;

/** Forwards everything to `inner`, reporting each completed state-changing call to `onStep`. */
export class StepRecorder extends ForwardingFileSystem {
  constructor(
    inner: FileSystem,
    private readonly onStep: StepListener,
  ) {
    super(inner);
  }

  override async open(path: string, options?: OpenOptions): Promise<File> {
    const file = await this.inner.open(path, options);
    if (options?.create === true) this.onStep(`open ${path} create`);
    return new RecordingFile(file, this.onStep);
  }

  override async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.onStep(`rename ${from} to=${to}`);
  }

  override async remove(path: string): Promise<void> {
    await this.inner.remove(path);
    this.onStep(`remove ${path}`);
  }

  override async mkdir(path: string): Promise<void> {
    await this.inner.mkdir(path);
    this.onStep(`mkdir ${path}`);
  }

  override async syncDir(path: string): Promise<void> {
    await this.inner.syncDir(path);
    this.onStep(`syncdir ${path}`);
  }
}

class RecordingFile implements File {
  constructor(
    private readonly inner: File,
    private readonly onStep: StepListener,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.inner.read(offset, length);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    await this.inner.write(offset, data);
    this.onStep(`write ${this.path} off=${offset} len=${data.length}`);
  }
  async truncate(size: number): Promise<void> {
    await this.inner.truncate(size);
    this.onStep(`truncate ${this.path} size=${size}`);
  }
  async sync(): Promise<void> {
    await this.inner.sync();
    this.onStep(`sync ${this.path}`);
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
