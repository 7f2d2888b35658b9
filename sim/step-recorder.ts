/**
 * A disk wrapper that reports every state-changing call once it has completed (write, truncate, sync,
 * create, rename, remove, mkdir, directory sync), so exhaustive mode can copy the disk after each step of a
 * recovery and crash there too (CrashMonkey crashes inside recovery the same way).
 *
 * Exact only for a caller that runs one call at a time (recovery is one chain of awaits) on a disk without
 * latency: the report runs right after the call's promise settles, before the caller's next call.
 */

import type { File, FileSystem, OpenOptions } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

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

  protected override wrapFile(file: File): File {
    return new RecordingFile(file, this.onStep);
  }

  override async open(path: string, options?: OpenOptions): Promise<File> {
    const file = await super.open(path, options);
    if (options?.create === true) this.onStep(`open ${path} create`);
    return file;
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

class RecordingFile extends ForwardingFile {
  constructor(
    inner: File,
    private readonly onStep: StepListener,
  ) {
    super(inner);
  }
  override async write(offset: number, data: Uint8Array): Promise<void> {
    await this.inner.write(offset, data);
    this.onStep(`write ${this.path} off=${offset} len=${data.length}`);
  }
  override async truncate(size: number): Promise<void> {
    await this.inner.truncate(size);
    this.onStep(`truncate ${this.path} size=${size}`);
  }
  override async sync(): Promise<void> {
    await this.inner.sync();
    this.onStep(`sync ${this.path}`);
  }
}
