/**
 * Regression tests for issue 12 items 4, 6 and 8 (src/wal/wal-head.ts, src/wal/wal-reader.ts,
 * src/wal/wal-window.ts, option bounds in src/db.ts). Invariants checked:
 * - the set of live WAL files is verifiable: deleting the newest WAL file, every WAL file, or WALHEAD of a
 *   database holding data fails open (and `fusedb check`) with FUSEDB_CORRUPTION naming what is missing, and
 *   changes no byte; a file past the newest that holds records is corruption; one that holds no record (a
 *   rotation a crash interrupted) is removed at open and loses nothing;
 * - damage at the end of the last WAL file wider than the final group-commit write (cut or zeroed from inside
 *   any earlier group) is corruption naming the file and the first damaged record, not a torn tail; damage
 *   inside the final group alone is still cut as a torn tail (the known limit), keeping every earlier group;
 * - WAL files are read with bounded memory: no single read is larger than 1 MiB or one record, and a file
 *   over 4 GiB gives a typed error, never an untyped RangeError; every size option has an upper bound
 *   enforced at open (FUSEDB_INVALID_ARGUMENT, nothing created).
 * The tests use only names that existed before the fix (file names, record decoding), so they run against the
 * old engine too, where each of them fails.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import type { File, FileSystem } from "../src/io/file-system.js";
import { ForwardingFileSystem } from "../src/io/forwarding-file-system.js";
import { checkDatabase } from "../src/tools/check.js";
import { decodeRecord, parseWalFileName, type WalRecord, walFileName } from "../src/wal/format.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const fixedClock = new SimClock(0);

const path = (name: string): string => `${DIR}/${name}`;

function walNames(fs: TestDisk): string[] {
  return fs
    .paths()
    .map((p) => p.slice(DIR.length + 1))
    .filter((n) => parseWalFileName(n) !== undefined);
}

/** The valid records of a WAL file from its first one on (whatever header precedes it). */
function recordsOf(data: Uint8Array): WalRecord[] {
  let at = 0;
  // Bounded: a file header is well under 256 bytes.
  while (at < Math.min(256, data.length) && decodeRecord(data, at).kind !== "record") at++;
  const out: WalRecord[] = [];
  // Bounded: each record advances by its size.
  for (;;) {
    const got = decodeRecord(data, at);
    if (got.kind !== "record") return out;
    out.push(got.record);
    at += got.record.bytes;
  }
}

async function openError(
  fs: FileSystem,
  options = {},
): Promise<{ code?: string; file?: string; offset?: number }> {
  const err = await FuseDB.open({ ...options, dir: DIR, fs, clock: fixedClock }).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err, "open must fail").toBeInstanceOf(Error);
  return err as { code?: string; file?: string; offset?: number };
}

/** A closed database with several WAL files (tiny rotation bound) and no checkpoint. */
async function rotated(): Promise<TestDisk> {
  const fs = new TestDisk();
  const db = await openMem(fs, { walFileBytesMax: 64 });
  for (let i = 0; i < 6; i++) await db.set(`k${i}`, i);
  await db.close();
  expect(walNames(fs).length).toBeGreaterThan(2);
  return fs;
}

describe("the set of live WAL files (issue 12 item 4)", () => {
  it("deleting the newest WAL file fails open and check, naming it, and changes nothing", async () => {
    const fs = await rotated();
    const newest = walNames(fs).at(-1) as string;
    await fs.remove(path(newest));
    const before = fs.snapshot();
    expect(await openError(fs)).toMatchObject({ code: "FUSEDB_CORRUPTION", file: newest });
    expect(fs.snapshot()).toEqual(before);
    const report = await checkDatabase(fs, DIR);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ severity: "error", file: newest }));
  });

  it("deleting every WAL file fails open naming the newest", async () => {
    const fs = await rotated();
    const names = walNames(fs);
    for (const n of names) await fs.remove(path(n));
    expect(await openError(fs)).toMatchObject({ code: "FUSEDB_CORRUPTION", file: names.at(-1) });
  });

  it("deleting the only WAL file after a checkpoint fails open naming it", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    await db.checkpoint();
    await db.set("b", 2); // acknowledged, only in the WAL
    await db.close();
    const names = walNames(fs);
    expect(names).toHaveLength(1);
    await fs.remove(path(names[0] as string));
    expect(await openError(fs)).toMatchObject({ code: "FUSEDB_CORRUPTION", file: names[0] });
  });

  it("deleting WALHEAD of a database holding data fails open naming it", async () => {
    const fs = await rotated();
    await fs.remove(path("WALHEAD"));
    expect(await openError(fs)).toMatchObject({ code: "FUSEDB_CORRUPTION", file: "WALHEAD" });
  });

  it("a file past the newest that holds records is corruption naming it", async () => {
    const fs = await rotated();
    const next = walFileName(7);
    expect(walNames(fs)).not.toContain(next);
    await fs.setBytes(path(next), Buffer.alloc(100));
    expect(await openError(fs)).toMatchObject({ code: "FUSEDB_CORRUPTION", file: next });
  });

  it("a rotation a crash interrupted (a newer file with at most a header, WALHEAD.tmp) is tidied, nothing lost", async () => {
    for (const leftover of [Buffer.alloc(0), Buffer.alloc(20, 0xab), Buffer.alloc(44)]) {
      const fs = await rotated();
      const next = walFileName(7);
      await fs.setBytes(path(next), leftover);
      await fs.setBytes(path("WALHEAD.tmp"), Buffer.from("half"));
      const db = await openMem(fs, { walFileBytesMax: 64 });
      expect([...db.recovery.removedFiles].sort()).toEqual(["WALHEAD.tmp", next].sort());
      for (let i = 0; i < 6; i++) expect(await db.get(`k${i}`)).toEqual({ value: i, version: 1 });
      await db.set("k6", 6); // rotates into a fresh wal-7
      await db.close();
      const again = await openMem(fs);
      expect(await again.get("k6")).toEqual({ value: 6, version: 1 });
      expect(again.recovery.removedFiles).toEqual([]);
      await again.close();
    }
  });
});

/** A closed database whose only WAL file holds `groups` group commits of one record each. */
async function groupsOfOne(groups: number): Promise<{ fs: TestDisk; wal: string; records: WalRecord[] }> {
  const fs = new TestDisk();
  const db = await openMem(fs);
  for (let i = 1; i <= groups; i++) await db.set(`k${i}`, { i, pad: "p".repeat(i * 7) });
  await db.close();
  const [wal] = walNames(fs);
  const records = recordsOf(fs.bytes(path(wal as string)));
  expect(records.map((r) => [r.lsn, r.groupLsn])).toEqual(
    Array.from({ length: groups }, (_, i) => [i + 1, i + 1]),
  );
  return { fs, wal: wal as string, records };
}

describe("damage wider than the final group (issue 12 item 6)", () => {
  it("a cut or zeroed tail reaching into any earlier group is corruption naming the record, not a torn tail", async () => {
    const { fs: pristine, wal, records } = await groupsOfOne(6);
    for (const victim of records.slice(0, 5)) {
      for (const at of [0, 3, victim.bytes - 1]) {
        const from = victim.offset + at;
        for (const how of ["cut", "zero"] as const) {
          const fs = pristine.copy();
          const data = fs.bytes(path(wal));
          await fs.setBytes(
            path(wal),
            how === "cut"
              ? data.subarray(0, from)
              : Buffer.concat([data.subarray(0, from), Buffer.alloc(data.length - from)]),
          );
          const before = fs.snapshot();
          const what = `${how} from LSN ${victim.lsn} + ${at}`;
          expect(await openError(fs), what).toMatchObject({
            code: "FUSEDB_CORRUPTION",
            file: wal,
            offset: victim.offset,
          });
          expect(fs.snapshot(), what).toEqual(before);
          const report = await checkDatabase(fs, DIR);
          expect(report.ok, what).toBe(false);
          expect(report.problems, what).toContainEqual(
            expect.objectContaining({ severity: "error", file: wal, offset: victim.offset }),
          );
        }
      }
    }
  });

  it("damage inside the final group alone is a torn tail: the known limit, every earlier group kept", async () => {
    const { fs: pristine, wal, records } = await groupsOfOne(6);
    const last = records[5] as WalRecord;
    for (const at of [1, 5, last.bytes - 1]) {
      const fs = pristine.copy();
      const data = fs.bytes(path(wal));
      await fs.setBytes(path(wal), data.subarray(0, last.offset + at));
      const db = await openMem(fs);
      expect(db.recovery.tornTail).toMatchObject({ file: wal, offset: last.offset });
      for (let i = 1; i <= 5; i++) expect((await db.get(`k${i}`))?.version).toBe(1);
      expect(await db.get("k6")).toBeUndefined();
      await db.close();
    }
  });
});

/** Records the largest single read of WAL files; optionally presents one file larger than it is. */
class ReadWatchFs extends ForwardingFileSystem {
  largestWalRead = 0;
  /** Path -> extra zero bytes appended (virtually) to that file. */
  readonly padding = new Map<string, number>();

  protected override wrapFile(inner: File): File {
    const p = inner.path;
    const isWal = parseWalFileName(p.slice(p.lastIndexOf("/") + 1)) !== undefined;
    const pad = this.padding.get(p) ?? 0;
    const fs = this;
    return {
      path: inner.path,
      async read(offset: number, length: number): Promise<Uint8Array> {
        if (isWal) fs.largestWalRead = Math.max(fs.largestWalRead, length);
        const real = await inner.size();
        const end = Math.min(offset + length, real + pad);
        const out = new Uint8Array(Math.max(0, end - offset)); // throws RangeError past 4 GiB, as Buffer does
        if (offset < real) out.set(await inner.read(offset, Math.min(length, real - offset)), 0);
        return out;
      },
      write: (offset, data) => inner.write(offset, data),
      truncate: (size) => inner.truncate(size),
      sync: () => inner.sync(),
      writeAndSync: (writes) => inner.writeAndSync(writes),
      size: async () => (await inner.size()) + pad,
      close: () => inner.close(),
    };
  }
}

describe("oversize WAL files and size options (issue 12 item 8)", () => {
  it("reads WAL files through a bounded window: no read over 1 MiB, or one record when it is larger", async () => {
    const fs = new TestDisk();
    // One file of over 5 MB: above the default rotation bound (8 MiB since issue 13), so it is set here.
    const db = await openMem(fs, { valueBytesMax: 4 * 1024 * 1024, walFileBytesMax: 64 * 1024 * 1024 });
    for (let i = 0; i < 40; i++) await db.set(`k${i}`, "v".repeat(80_000));
    await db.set("big", "w".repeat(2_500_000));
    await db.close();
    const size = fs.bytes(path(walNames(fs)[0] as string)).length;
    expect(size).toBeGreaterThan(5_000_000);
    const watch = new ReadWatchFs(fs);
    const reopened = await FuseDB.open({ dir: DIR, fs: watch, clock: fixedClock });
    expect(reopened.recovery.lastLsn).toBe(41);
    expect((await reopened.get("big"))?.version).toBe(1);
    await reopened.close();
    expect(watch.largestWalRead).toBeLessThanOrEqual(2_600_000);
    expect(watch.largestWalRead).toBeGreaterThan(2_500_000); // the big record, read whole, once
    const checkWatch = new ReadWatchFs(fs);
    expect((await checkDatabase(checkWatch, DIR)).ok).toBe(true);
    expect(checkWatch.largestWalRead).toBeLessThanOrEqual(2_600_000);
  });

  it("a WAL file over 4 GiB gives a typed error naming it, not a RangeError", async () => {
    const fs = await rotated();
    const sealed = walNames(fs)[0] as string;
    const realBytes = fs.bytes(path(sealed)).length;
    const watch = new ReadWatchFs(fs);
    watch.padding.set(path(sealed), 2 ** 32 + 10); // zeros past its last record: damage in a sealed file
    expect(await openError(watch)).toMatchObject({
      code: "FUSEDB_CORRUPTION",
      file: sealed,
      offset: realBytes,
    });
    expect(watch.largestWalRead).toBeLessThanOrEqual(1024 * 1024);
    const report = await checkDatabase(watch, DIR);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ severity: "error", file: sealed, offset: realBytes }),
    );
  });

  it("refuses every size option above its bound at open, creating nothing", async () => {
    const MiB = 1024 * 1024;
    const over: [string, number][] = [
      ["manifestBytesMax", 64 * MiB + 1], // the manifest reader refuses a larger MANIFEST
      ["walFileBytesMax", 2 ** 40 + 1],
      ["checkpointWalBytes", 2 ** 40 + 1],
      ["groupCommitBytesMax", 256 * MiB + 1],
      ["valueBytesMax", 32 * MiB + 1],
      ["keyBytesMax", 65536],
      ["leafBufferBytes", 2 ** 40 + 1],
      ["bufferBytesMax", 2 ** 40 + 1],
      ["leafBytesMax", 2 ** 40 + 1],
      ["blockCacheBytes", 2 ** 40 + 1],
    ];
    for (const [name, value] of over) {
      const fs = new TestDisk();
      expect(await openError(fs, { [name]: value }), name).toMatchObject({ code: "FUSEDB_INVALID_ARGUMENT" });
      expect(fs.paths(), name).toEqual([]);
      // The bound itself is accepted.
      const db = await openMem(fs, { [name]: value - 1 });
      await db.close();
    }
  });
});
