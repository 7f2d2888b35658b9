/**
 * File handles of the tree's jobs and of WAL rotation (issue 12 item 11). Invariants: a job whose manifest
 * edit fails (its fdatasync reports EIO) poisons the database and leaks nothing — the segment it wrote and
 * opened is released; a WAL rotation whose directory fsync fails poisons it and closes the new WAL file; so
 * once the database is closed no file handle is left open. Checked for a flush (an explicit checkpoint), a
 * merge (background work) and a rotation (an explicit checkpoint), by counting the handles a wrapper file
 * system opened and closed over the simulated disk.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { FuseDB, FuseDBOptions } from "../src/db.js";
import { FuseDB as Engine } from "../src/db.js";
import type { File } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

/** Counts open file handles, and fails a MANIFEST sync (EIO) whenever `failManifestSync` says so. */
class HandleCountingFileSystem extends ForwardingFileSystem {
  /** Paths of the handles open now (one entry per handle). */
  readonly openPaths: string[] = [];
  failManifestSync: () => boolean = () => false;
  failedSyncs = 0;
  /** Fails directory fsyncs (EIO) while true. */
  failSyncDir = false;

  protected override wrapFile(file: File): File {
    this.openPaths.push(file.path);
    return new CountedFile(file, this);
  }

  override syncDir(path: string): Promise<void> {
    if (this.failSyncDir) {
      return Promise.reject(Object.assign(new Error(`EIO: fsync ${path}`), { code: "EIO" }));
    }
    return this.inner.syncDir(path);
  }
}

/** One counted handle: its close is counted once; a MANIFEST sync may fail. */
class CountedFile extends ForwardingFile {
  private closed = false;
  constructor(
    inner: File,
    private readonly fs: HandleCountingFileSystem,
  ) {
    super(inner);
  }

  override sync(): Promise<void> {
    if (this.path.includes("MANIFEST") && this.fs.failManifestSync()) {
      this.fs.failedSyncs++;
      return Promise.reject(Object.assign(new Error(`EIO: fdatasync ${this.path}`), { code: "EIO" }));
    }
    return this.inner.sync();
  }

  override async close(): Promise<void> {
    await this.inner.close();
    if (this.closed) return;
    this.closed = true;
    this.fs.openPaths.splice(this.fs.openPaths.indexOf(this.path), 1);
  }
}

async function openCounted(options: FuseDBOptions): Promise<{ fs: HandleCountingFileSystem; db: FuseDB }> {
  const fs = new HandleCountingFileSystem(new SimFileSystem({ latency: false }));
  const db = await Engine.open({ ...options, dir: "/db", fs, clock: new SimClock() });
  return { fs, db };
}

describe("tree job file handles", () => {
  it("a flush whose manifest sync fails releases the segment it opened", async () => {
    const { fs, db } = await openCounted({});
    for (let i = 0; i < 20; i++) await db.set(`k${i}`, { i });
    fs.failManifestSync = () => true;
    await expect(db.checkpoint()).rejects.toThrow(/EIO/);
    expect(fs.failedSyncs).toBe(1);
    await expect(db.set("after", 1)).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    await db.close();
    expect(fs.openPaths).toEqual([]);
  });

  it("a merge whose manifest sync fails releases the segment it opened", async () => {
    const { fs, db } = await openCounted({ leafBufferBytes: 256, segmentsMax: 1, bufferBytesMax: 1 << 20 });
    fs.failManifestSync = () => db.stats().tree.running === "merge";
    let poisoned = false;
    // Bounded: small buffers flush every few writes and a second segment calls for a merge at once.
    for (let i = 0; i < 2000 && !poisoned; i++) {
      try {
        await db.set(`k${i % 50}`, { i, pad: "x".repeat(40) });
      } catch (err) {
        expect(err).toMatchObject({ code: "FUSEDB_POISONED" });
        poisoned = true;
      }
    }
    expect(poisoned).toBe(true);
    expect(fs.failedSyncs).toBe(1);
    expect(db.stats().tree.flushes).toBeGreaterThan(0);
    await db.close();
    expect(fs.openPaths).toEqual([]);
  });

  it("a WAL rotation whose directory fsync fails closes the new WAL file", async () => {
    const { fs, db } = await openCounted({});
    for (let i = 0; i < 20; i++) await db.set(`k${i}`, { i });
    fs.failSyncDir = true;
    // A checkpoint rotates the WAL first: the new file is created, and the directory fsync fails.
    await expect(db.checkpoint()).rejects.toMatchObject({ code: "FUSEDB_POISONED", cause: { code: "EIO" } });
    expect(fs.openPaths.filter((p) => p.endsWith(".log"))).toHaveLength(1);
    await expect(db.set("after", 1)).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    await db.close();
    expect(fs.openPaths).toEqual([]);
  });
});
