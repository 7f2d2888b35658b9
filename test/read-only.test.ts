/**
 * Invariants of a read-only open (`readOnly: true`, issue 12 item 9) on the simulated disk:
 * - it changes nothing on disk: no write, truncate, sync, directory sync, rename, remove, mkdir or new file,
 *   not at open (a torn WAL tail is reported, not cut; orphans stay; no manifest rewrite, no new WAL file),
 *   not while reading, not at close;
 * - it answers exactly what a writer over the same bytes answers: get, ttl, inspect, versionOf, scan, stats;
 * - every write, checkpoint and subscribe rejects with FUSEDB_READ_ONLY and changes nothing;
 * - it works where a writer cannot open: a read-only file system (every write-kind call fails with EROFS,
 *   the lock too: it then reads unlocked) and a full disk (every write fails with ENOSPC); there a normal
 *   open fails with FUSEDB_IO, the OS error as its cause and a message pointing at `readOnly: true`;
 * - damage is still reported (FUSEDB_CORRUPTION); a missing directory is FUSEDB_IO (ENOENT), not an empty
 *   database; a writer and a read-only handle exclude each other (FUSEDB_LOCKED);
 * - `readOnly` is checked: not a boolean, or with durability 'memory', is FUSEDB_INVALID_ARGUMENT.
 * The real-disk lock (shared against exclusive, across processes) is in test/lock.test.ts.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB, type FuseDBOptions } from "../src/db.js";
import type { File, FileSystem, OpenOptions } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem, openOp } from "../src/io/forwarding-file-system.js";
import { readOnlyFileSystem } from "../src/tools/read-only-file-system.js";
import { parseWalFileName } from "../src/wal/format.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

/** An OS-style error with `code`. */
function osError(code: string, what: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

class FullFile extends ForwardingFile {
  override write(_offset: number, _data: Uint8Array): Promise<void> {
    return Promise.reject(osError("ENOSPC", `write ${this.path}`));
  }
}

/** A full disk: every file write and every new file fails with ENOSPC; the rest works. */
class FullDisk extends ForwardingFileSystem {
  protected override wrapFile(file: File): File {
    return new FullFile(file);
  }
  override open(path: string, options?: OpenOptions): Promise<File> {
    if (openOp(options) === "create") return Promise.reject(osError("ENOSPC", `create ${path}`));
    return super.open(path, options);
  }
}

function openAt(fs: FileSystem, options: FuseDBOptions = {}): Promise<FuseDB> {
  return FuseDB.open({ ...options, dir: DIR, fs, clock: new SimClock(0) });
}

/** The disk's counters of every call that changes it. */
function changes(disk: TestDisk): number[] {
  const s = disk.sim.stats;
  return [s.writes, s.truncates, s.syncs, s.dirSyncs, s.renames, s.removes, s.mkdirs];
}

/**
 * A database with segments (a checkpoint), WAL records above the checkpoint, a tombstone, a TTL, a torn
 * tail on the last WAL file and an orphan temp file; closed.
 */
async function populated(): Promise<TestDisk> {
  const disk = new TestDisk();
  const db = await openMem(disk);
  for (let i = 0; i < 20; i++) await db.set(`k${String(i).padStart(2, "0")}`, { i });
  await db.delete("k03");
  await db.checkpoint();
  await db.incr("n", 5);
  await db.set("k05", { i: 55 });
  await db.set("ttl", "x", { ttlMs: 60_000 });
  await db.delete("k07");
  await db.close();
  const wal = disk.paths().filter((p) => parseWalFileName(p.slice(DIR.length + 1)) !== undefined);
  const last = wal[wal.length - 1];
  if (last === undefined) throw new Error("no WAL file");
  await disk.setBytes(last, Buffer.concat([disk.bytes(last), Buffer.from([1, 2, 3, 4, 5, 6, 7])]));
  await disk.setBytes(`${DIR}/junk.tmp`, Buffer.from("left by a crash"));
  return disk;
}

/** Everything a reader can ask, as one value to compare. */
async function answers(db: FuseDB): Promise<unknown> {
  const keys = ["k00", "k03", "k05", "k07", "k19", "n", "ttl", "never"];
  const out: unknown[] = [];
  for (const k of keys) {
    out.push([k, await db.get(k), await db.ttl(k), await db.inspect(k), await db.versionOf(k)]);
  }
  out.push(await db.scan(), await db.scan({ gte: "k04", limit: 3, reverse: true }));
  const stats = db.stats();
  out.push(stats.durableLsn, stats.checkpointLsn, stats.segmentBytes, stats.walFiles, stats.bufferedEntries);
  return out;
}

async function expectReadOnlyRefusals(db: FuseDB): Promise<void> {
  const refusals: [string, () => Promise<unknown>][] = [
    ["set", () => db.set("k00", 1)],
    ["delete", () => db.delete("k00")],
    ["patch", () => db.patch("k00", { a: 1 })],
    ["incr", () => db.incr("k05")],
    ["expire", () => db.expire("k00", 1000)],
    ["batch", () => db.batch([{ op: "set", key: "n", value: 1 }])],
    ["checkpoint", () => db.checkpoint()],
    ["subscribe", async () => db.subscribe("k00")],
  ];
  for (const [what, call] of refusals) {
    await expect(call(), what).rejects.toMatchObject({ code: "FUSEDB_READ_ONLY" });
  }
}

describe("read-only open", () => {
  it("changes nothing on disk, answers as a writer would, and refuses every write", async () => {
    const disk = await populated();
    const before = disk.snapshot();
    const counted = changes(disk);
    const db = await openAt(disk, { readOnly: true });
    expect(db.readOnly).toBe(true);
    expect(db.recovery.tornTail).toMatchObject({ droppedBytes: 7 });
    expect(db.recovery.removedFiles).toEqual([]);
    const seen = await answers(db);
    await expectReadOnlyRefusals(db);
    expect(await db.get("k00")).toEqual({ value: { i: 0 }, version: 1 });
    await db.close();
    expect(changes(disk), "no call that changes the disk").toEqual(counted);
    expect(disk.snapshot()).toEqual(before);
    expect(disk.paths()).toContain(`${DIR}/junk.tmp`);

    // A writer over a copy of the same bytes cuts the tail, removes the orphan, and answers the same.
    const writer = await openAt(disk.copy());
    expect(writer.readOnly).toBe(false);
    expect(writer.recovery.tornTail).toEqual(db.recovery.tornTail);
    expect(writer.recovery.removedFiles).toEqual(["junk.tmp"]);
    expect(await answers(writer)).toEqual(seen);
    await writer.close();
  });

  it("reads a database on a read-only file system, where a normal open fails with FUSEDB_IO (EROFS)", async () => {
    const disk = await populated();
    const expected = await answers(await openAt(disk.copy(), { readOnly: true }));
    const before = disk.snapshot();
    const ro = readOnlyFileSystem(disk);
    const refused = openAt(ro);
    await expect(refused).rejects.toMatchObject({
      code: "FUSEDB_IO",
      osCode: "EROFS",
      cause: { code: "EROFS" },
    });
    await expect(refused).rejects.toThrow("readOnly: true");
    // The lock is refused too (EROFS): the reader goes on without one.
    const db = await openAt(ro, { readOnly: true });
    expect(await answers(db)).toEqual(expected);
    await expectReadOnlyRefusals(db);
    await db.close();
    expect(disk.snapshot()).toEqual(before);
  });

  it("reads a database on a full disk, where a normal open fails with FUSEDB_IO (ENOSPC)", async () => {
    const disk = await populated();
    const expected = await answers(await openAt(disk.copy(), { readOnly: true }));
    const full = new FullDisk(disk);
    const refused = openAt(full);
    await expect(refused).rejects.toMatchObject({
      code: "FUSEDB_IO",
      osCode: "ENOSPC",
      cause: { code: "ENOSPC" },
    });
    await expect(refused).rejects.toThrow("readOnly: true");
    // (The refused writer got as far as cutting the torn tail and removing the orphan: that needs no space.)
    const before = disk.snapshot();
    const db = await openAt(full, { readOnly: true });
    expect(await answers(db)).toEqual(expected);
    await db.close();
    expect(disk.snapshot()).toEqual(before);
    // The disk was freed: a writer opens and writes again.
    const writer = await openAt(disk);
    await writer.set("after", 1);
    await writer.close();
  });

  it("reports damage as a writer does, and a missing directory as FUSEDB_IO (ENOENT)", async () => {
    const disk = await populated();
    const manifest = disk.bytes(`${DIR}/MANIFEST`);
    manifest[10] = (manifest[10] ?? 0) ^ 0x40;
    await disk.setBytes(`${DIR}/MANIFEST`, manifest);
    await expect(openAt(disk, { readOnly: true })).rejects.toMatchObject({ code: "FUSEDB_CORRUPTION" });

    const empty = new TestDisk();
    const missing = openAt(empty, { readOnly: true });
    await expect(missing).rejects.toMatchObject({ code: "FUSEDB_IO", cause: { code: "ENOENT" } });
    expect(empty.paths()).toEqual([]);
    expect(changes(empty).every((n) => n === 0)).toBe(true);
  });

  it("opens an existing empty directory as an empty database", async () => {
    const disk = new TestDisk();
    await disk.mkdir(DIR);
    const db = await openAt(disk, { readOnly: true });
    expect(await db.get("k")).toBeUndefined();
    expect(await db.scan()).toEqual([]);
    expect(db.stats()).toMatchObject({ durableLsn: 0, checkpointLsn: 0, walFiles: 0 });
    await db.close();
    expect(disk.paths()).toEqual([]);
  });

  it("excludes a writer and is excluded by one (the simulated disk's lock is always exclusive)", async () => {
    const disk = await populated();
    const writer = await openAt(disk);
    await expect(openAt(disk, { readOnly: true })).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await writer.close();
    const reader = await openAt(disk, { readOnly: true });
    await expect(openAt(disk)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await reader.close();
    await (await openAt(disk)).close();
  });

  it("checks the option", async () => {
    const disk = new TestDisk();
    const bad = { readOnly: "yes" } as unknown as FuseDBOptions;
    await expect(openAt(disk, bad)).rejects.toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
    await expect(openAt(disk, { readOnly: true, durability: "memory" })).rejects.toMatchObject({
      code: "FUSEDB_INVALID_ARGUMENT",
    });
    expect(disk.paths()).toEqual([]);
  });
});
