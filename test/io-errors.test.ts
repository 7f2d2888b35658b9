/**
 * Every file system failure a caller can see is typed (issue 12 item 10): FUSEDB_IO, with the operating
 * system's error as its `cause` (and its code as `osCode`). Invariants:
 * - open: the data directory path names a file (ENOTDIR), or so does one of its parents (ENOTDIR), a
 *   directory sits where `LOCK` should be (EISDIR) — on the real disk; no permission (EACCES) and a full
 *   disk (ENOSPC) on the simulated one; read-only opens too; a refused open leaves the path as it was;
 * - foreground reads: a failed segment read makes get, ttl, inspect, versionOf and scan reject with
 *   FUSEDB_IO (cause EIO), never a value; the database stays usable: once the disk reads again, so do they;
 * - a write whose base read fails rejects with FUSEDB_IO and changes nothing; the database is poisoned, so
 *   every later write rejects with FUSEDB_POISONED, whose cause is the same EIO; reads go on;
 * - typed errors are not re-wrapped: damage stays FUSEDB_CORRUPTION, a held lock FUSEDB_LOCKED.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import { open } from "../src/index.js";
import type { DirLock, File, FileSystem, LockOptions, OpenOptions } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem, openOp } from "../src/io/forwarding-file-system.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

function osError(code: string, what: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

class FlakyFile extends ForwardingFile {
  constructor(
    inner: File,
    private readonly disk: FlakyDisk,
  ) {
    super(inner);
  }
  override read(offset: number, length: number): Promise<Uint8Array> {
    if (this.disk.failSegmentReads && this.path.endsWith(".sst")) {
      return Promise.reject(osError("EIO", `read ${this.path}`));
    }
    return super.read(offset, length);
  }
}

/** Segment reads fail with EIO while `failSegmentReads` is set. */
class FlakyDisk extends ForwardingFileSystem {
  failSegmentReads = false;
  protected override wrapFile(file: File): File {
    return new FlakyFile(file, this);
  }
}

/** A directory this user may not write: creating a file or taking the lock fails with EACCES. */
class NoPermissionDisk extends ForwardingFileSystem {
  override open(path: string, options?: OpenOptions): Promise<File> {
    if (openOp(options) === "create") return Promise.reject(osError("EACCES", `create ${path}`));
    return super.open(path, options);
  }
  override lock(dir: string, _options?: LockOptions): Promise<DirLock> {
    return Promise.reject(osError("EACCES", `lock ${dir}`));
  }
  override mkdir(path: string): Promise<void> {
    return Promise.reject(osError("EACCES", `mkdir ${path}`));
  }
}

function openAt(fs: FileSystem, options: FuseDBOptions = {}): Promise<FuseDB> {
  return FuseDB.open({ ...options, dir: DIR, fs, clock: new SimClock(0) });
}

async function expectIo(p: Promise<unknown>, osCode: string, what: string): Promise<void> {
  await expect(p, what).rejects.toMatchObject({ code: "FUSEDB_IO", osCode, cause: { code: osCode } });
}

describe("FUSEDB_IO at open, on the real disk", () => {
  let base = "";
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), "fusedb-io-"));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("a data directory path that names a file, or runs through one: ENOTDIR", async () => {
    const file = join(base, "a-file");
    await writeFile(file, "not a directory");
    for (const readOnly of [false, true]) {
      await expectIo(open(file, { readOnly }), "ENOTDIR", `dir is a file, readOnly ${readOnly}`);
      await expectIo(
        open(join(file, "db"), { readOnly }),
        "ENOTDIR",
        `parent is a file, readOnly ${readOnly}`,
      );
    }
    expect(await readdir(base)).toEqual(["a-file"]);
  });

  it("a directory where LOCK should be: EISDIR", async () => {
    const dir = join(base, "db");
    await mkdir(join(dir, "LOCK"), { recursive: true });
    for (const readOnly of [false, true]) {
      await expectIo(open(dir, { readOnly }), "EISDIR", `readOnly ${readOnly}`);
    }
    expect(await readdir(dir)).toEqual(["LOCK"]);
  });

  it("leaves typed errors as they are: a held lock is FUSEDB_LOCKED", async () => {
    const dir = join(base, "db");
    const db = await open(dir);
    await expect(open(dir)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await db.close();
  });
});

describe("FUSEDB_IO at open, on the simulated disk", () => {
  it("no permission: EACCES, for a new directory and an existing one, and a hint at readOnly", async () => {
    await expectIo(openAt(new NoPermissionDisk(new TestDisk())), "EACCES", "new directory");
    const disk = new TestDisk();
    const db = await openMem(disk);
    await db.set("k", 1);
    await db.close();
    const before = disk.snapshot();
    const refused = openAt(new NoPermissionDisk(disk));
    await expectIo(refused, "EACCES", "existing directory");
    await expect(refused).rejects.toThrow("readOnly: true");
    expect(disk.snapshot()).toEqual(before);
    // Read-only, the refused lock means no lock (see FuseDBOptions.readOnly): it reads.
    const reader = await openAt(new NoPermissionDisk(disk), { readOnly: true });
    expect(await reader.get("k")).toEqual({ value: 1, version: 1 });
    await reader.close();
  });

  it("damage stays FUSEDB_CORRUPTION", async () => {
    const disk = new TestDisk();
    await (await openMem(disk)).close();
    const manifest = disk.bytes(`${DIR}/MANIFEST`);
    manifest[9] = (manifest[9] ?? 0) ^ 1;
    await disk.setBytes(`${DIR}/MANIFEST`, manifest);
    await expect(openAt(disk)).rejects.toMatchObject({ code: "FUSEDB_CORRUPTION" });
  });
});

describe("FUSEDB_IO in foreground calls", () => {
  /** A database whose keys k0..k9 and counter "n" are in a segment only, reopened with a cold cache. */
  async function segmentOnly(): Promise<{ disk: FlakyDisk; db: FuseDB }> {
    const sim = new TestDisk();
    const writer = await openMem(sim);
    for (let i = 0; i < 10; i++) await writer.set(`k${i}`, { i });
    await writer.incr("n", 3);
    await writer.checkpoint();
    await writer.close();
    const disk = new FlakyDisk(sim);
    return { disk, db: await openAt(disk) };
  }

  it("a failed read rejects get, ttl, inspect, versionOf and scan with FUSEDB_IO (EIO); they work again after", async () => {
    const { disk, db } = await segmentOnly();
    disk.failSegmentReads = true;
    await expectIo(db.get("k1"), "EIO", "get");
    await expectIo(db.ttl("k2"), "EIO", "ttl");
    await expectIo(db.inspect("k3"), "EIO", "inspect");
    await expectIo(db.versionOf("k4"), "EIO", "versionOf");
    await expectIo(db.scan({ limit: 3 }), "EIO", "scan");
    disk.failSegmentReads = false;
    expect(await db.get("k1")).toEqual({ value: { i: 1 }, version: 1 });
    expect((await db.scan({ limit: 3 })).map((e) => e.key)).toEqual(["k0", "k1", "k2"]);
    await db.close();
  });

  it("a write whose base read fails rejects with FUSEDB_IO, changes nothing, and poisons later writes", async () => {
    const { disk, db } = await segmentOnly();
    disk.failSegmentReads = true;
    await expectIo(db.incr("n"), "EIO", "incr");
    disk.failSegmentReads = false;
    await expect(db.set("other", 1)).rejects.toMatchObject({
      code: "FUSEDB_POISONED",
      cause: { code: "EIO" },
    });
    await expect(db.checkpoint()).rejects.toMatchObject({ code: "FUSEDB_POISONED" });
    expect(await db.get("n")).toEqual({ value: 3, version: 1 });
    expect(await db.get("other")).toBeUndefined();
    await db.close();
  });
});
