/**
 * Invariants of recovery (src/wal/wal-reader.ts, src/db.ts open/checkpoint; docs/wal-format.md):
 * - torn tail: invalid bytes at the end of the last WAL file, with no valid record of a later group after
 *   them, are cut off durably: the file ends at the last valid record, `recovery.tornTail` names the file,
 *   offset and dropped bytes, and a second open finds nothing to cut;
 * - a torn group-commit write (a damaged record followed by valid records of the SAME group) is a torn tail;
 * - mid-log corruption (a damaged record followed by a valid record of a LATER group, i.e. damage to a
 *   write that was acknowledged) fails open with CorruptionError (FUSEDB_CORRUPTION) naming file and offset,
 *   and leaves every byte on disk as it was;
 * - any damage in a sealed (non-last) WAL file is corruption, and so is damage in the last file at an LSN at
 *   or below the manifest's checkpoint (the checkpoint proves it was durable): nothing is cut;
 * - checkpoint writes a segment and MANIFEST, deletes the WAL files wholly below it, and recovery from
 *   segment + WAL suffix gives the state the database had; open removes orphans (temp files, unreferenced
 *   segments, obsolete WAL files);
 * - recovery is deterministic: the same bytes give the same state and the same files;
 * - a damaged segment block makes reads of it fail with CorruptionError, never return a wrong value; a
 *   damaged index block or footer (any bit) fails open with CorruptionError naming the segment;
 * - open makes every directory it creates durable, each in its parent: a power loss right after open keeps a
 *   data directory created several levels deep, with its acknowledged writes (issue 12 item 14).
 * - WAL file headers (format 2): one damaged durable-LSN slot is a torn rewrite and loses nothing; both
 *   damaged, a header of another first LSN, or a file without a header (format 1) fail open naming the file,
 *   never read as a torn tail.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { faultPlannerOf, RandomCrashPlanner } from "../sim/disk/crash-planner.js";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";
import { entryFromStored } from "../src/doc/entry.js";
import { floorBucket } from "../src/doc/version-floor.js";
import { CorruptionError } from "../src/errors.js";
import { readManifest } from "../src/tree/manifest.js";
import { FOOTER_BYTES } from "../src/tree/segment-format.js";
import { encodeBatch } from "../src/wal/batch-codec.js";
import {
  decodeRecord,
  encodeFileHeader,
  encodeRecord,
  encodeWalHead,
  FILE_HEADER_BYTES,
  RecordType,
  slotOffset,
  WAL_HEAD_FILE,
  walFileName,
} from "../src/wal/format.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const WAL1 = walFileName(1);
const WAL1_PATH = `${DIR}/${WAL1}`;

/** Offsets and sizes of the valid records at the start of WAL file `data` (after its header). */
function recordSpans(data: Uint8Array): { offset: number; bytes: number; lsn: number; groupLsn: number }[] {
  const out: { offset: number; bytes: number; lsn: number; groupLsn: number }[] = [];
  let offset = FILE_HEADER_BYTES;
  // Bounded: each step advances by a whole record or stops.
  for (;;) {
    const got = decodeRecord(data, offset);
    if (got.kind !== "record") return out;
    const { lsn, groupLsn, bytes } = got.record;
    out.push({ offset, bytes, lsn, groupLsn });
    offset += bytes;
  }
}

function walPaths(fs: TestDisk): string[] {
  return fs.paths().filter((p) => /\/wal-\d{16}\.log$/.test(p));
}

async function flipByte(fs: TestDisk, path: string, offset: number): Promise<void> {
  const data = fs.bytes(path);
  data[offset] = (data[offset] as number) ^ 0x5a;
  await fs.setBytes(path, data);
}

/** A batch record for `key` = `value` (version 1) with the given LSN and group, encoded by hand. */
function handRecord(lsn: number, groupLsn: number, key: string, value: unknown): Buffer {
  const entry = entryFromStored(1, Buffer.from(JSON.stringify(value)), lsn);
  return encodeRecord(RecordType.Batch, lsn, groupLsn, encodeBatch([{ key, entry }]));
}

/** Three sets, each awaited, so each is its own group commit (LSNs 1, 2, 3). */
async function threeGroups(): Promise<TestDisk> {
  const fs = new TestDisk();
  const db = await openMem(fs);
  await db.set("a", 1);
  await db.set("b", 2);
  await db.set("c", 3);
  await db.close();
  const spans = recordSpans(fs.bytes(WAL1_PATH));
  expect(spans.map((s) => [s.lsn, s.groupLsn])).toEqual([
    [1, 1],
    [2, 2],
    [3, 3],
  ]);
  return fs;
}

/** Everything a reader can observe about `keys`: live documents (via scan) and every key's version. */
async function observe(db: FuseDB, keys: string[]): Promise<unknown> {
  const scan = (await db.scan({ limit: 100_000 })).map((e) => [e.key, e.value, e.version]);
  const versions: [string, number][] = [];
  for (const k of keys) versions.push([k, await db.versionOf(k)]);
  return { scan, versions };
}

async function expectCorruption(p: Promise<unknown>, file: string, offset: number): Promise<CorruptionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptionError);
  const c = err as CorruptionError;
  expect(c.code).toBe("FUSEDB_CORRUPTION");
  expect({ file: c.file, offset: c.offset }).toEqual({ file, offset });
  return c;
}

describe("torn tail", () => {
  it("a last record cut at every byte is dropped durably and reported, and a second open finds nothing", async () => {
    const image = await threeGroups();
    const data = image.bytes(WAL1_PATH);
    const last = recordSpans(data)[2];
    if (!last) throw new Error("three records expected");
    for (let cut = last.offset + 1; cut < last.offset + last.bytes; cut++) {
      const fs = image.copy();
      await fs.setBytes(WAL1_PATH, data.subarray(0, cut));
      const db = await openMem(fs);
      expect(db.recovery.tornTail).toMatchObject({
        file: WAL1,
        offset: last.offset,
        droppedBytes: cut - last.offset,
      });
      expect(fs.bytes(WAL1_PATH).length).toBe(last.offset);
      expect(fs.syncCalls).toContain(WAL1_PATH); // the cut was made durable
      expect(db.recovery.lastLsn).toBe(2);
      expect(await db.get("b")).toEqual({ value: 2, version: 1 });
      expect(await db.get("c")).toBeUndefined();
      await db.close();
      const again = await openMem(fs);
      expect(again.recovery.tornTail).toBeUndefined();
      expect(again.recovery.lastLsn).toBe(2);
      await again.close();
    }
  });

  it("garbage or zeros after the last record are cut; writing resumes at the cut", async () => {
    const image = await threeGroups();
    const data = image.bytes(WAL1_PATH);
    const end = data.length;
    const garbage = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (const tail of [Buffer.alloc(1), Buffer.alloc(4096), garbage, Buffer.alloc(21, 0xff)]) {
      const fs = image.copy();
      await fs.setBytes(WAL1_PATH, Buffer.concat([data, tail]));
      const db = await openMem(fs);
      expect(db.recovery.tornTail).toMatchObject({ file: WAL1, offset: end, droppedBytes: tail.length });
      expect(fs.bytes(WAL1_PATH).length).toBe(end);
      expect(await db.get("c")).toEqual({ value: 3, version: 1 });
      expect(await db.set("d", 4)).toMatchObject({ lsn: 4 });
      await db.close();
      const again = await openMem(fs);
      expect(again.recovery.tornTail).toBeUndefined();
      expect(again.recovery.lastLsn).toBe(4);
      expect(await again.get("d")).toEqual({ value: 4, version: 1 });
      await again.close();
    }
  });

  it("a torn group-commit write whose later record of the SAME group survived is a torn tail", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    await db.close();
    const head = fs.bytes(WAL1_PATH);
    // Group 2 holds LSNs 2, 3, 4, written with one write; the write tore inside record 2.
    const rec2 = handRecord(2, 2, "b", 2);
    rec2[rec2.length - 2] = (rec2[rec2.length - 2] as number) ^ 0xff;
    const group = Buffer.concat([rec2, handRecord(3, 2, "c", 3), handRecord(4, 2, "d", 4)]);
    await fs.setBytes(WAL1_PATH, Buffer.concat([head, group]));
    const before = fs.copy();

    const reopened = await openMem(fs);
    expect(reopened.recovery.tornTail).toMatchObject({
      file: WAL1,
      offset: head.length,
      droppedBytes: group.length,
    });
    expect(fs.bytes(WAL1_PATH)).toEqual(head);
    expect(await observe(reopened, ["a", "b", "c", "d"])).toEqual({
      scan: [["a", 1, 1]],
      versions: [
        ["a", 1],
        ["b", 0],
        ["c", 0],
        ["d", 0],
      ],
    });
    await reopened.close();

    // The same damage followed by a record of a LATER group proves group 2 was durable: corruption.
    const later = Buffer.concat([rec2, handRecord(3, 3, "c", 3)]);
    await before.setBytes(WAL1_PATH, Buffer.concat([head, later]));
    const bytes = before.bytes(WAL1_PATH);
    await expectCorruption(openMem(before), WAL1, head.length);
    expect(before.bytes(WAL1_PATH)).toEqual(bytes);
  });
});

describe("corruption", () => {
  it("a damaged group is corruption when ANY later group follows, even behind a record of its own group", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    await db.close();
    const head = fs.bytes(WAL1_PATH);
    // Group 2 (LSNs 2, 3) was durable: group 4 was only written after its fdatasync. Then record 2 rotted.
    const rec2 = handRecord(2, 2, "b", 2);
    rec2[rec2.length - 2] = (rec2[rec2.length - 2] as number) ^ 0xff;
    await fs.setBytes(
      WAL1_PATH,
      Buffer.concat([head, rec2, handRecord(3, 2, "c", 3), handRecord(4, 4, "d", 4)]),
    );
    const damaged = fs.snapshot();
    await expectCorruption(openMem(fs), WAL1, head.length);
    expect(fs.snapshot()).toEqual(damaged);
  });

  it("a damaged early record followed by valid later groups fails open, names file and offset, cuts nothing", async () => {
    const image = await threeGroups();
    const spans = recordSpans(image.bytes(WAL1_PATH));
    for (const victim of [0, 1]) {
      const span = spans[victim];
      if (!span) throw new Error("span expected");
      // Damage the crc, the length, the type, the LSN, the group delta and the payload in turn.
      for (const at of [0, 5, 8, 10, 17, span.bytes - 1]) {
        const fs = image.copy();
        await flipByte(fs, WAL1_PATH, span.offset + at);
        const damaged = fs.snapshot();
        await expectCorruption(openMem(fs), WAL1, span.offset);
        expect(fs.snapshot()).toEqual(damaged);
        // The failed open released the lock and still refuses.
        await expectCorruption(openMem(fs), WAL1, span.offset);
      }
    }
  });

  it("a valid record with an unexpected LSN is corruption", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    await db.close();
    const head = fs.bytes(WAL1_PATH);
    await fs.setBytes(WAL1_PATH, Buffer.concat([head, handRecord(3, 3, "b", 2)]));
    await expectCorruption(openMem(fs), WAL1, head.length);
  });

  it("damage at the end of the last WAL file at or below the checkpoint is corruption, and nothing is cut", async () => {
    // The state a checkpoint leaves when records up to its LSN landed in the file its rotation opened:
    // MANIFEST says checkpointLsn 4, and the last (only) WAL file holds LSNs 3 and 4. The checkpoint proves
    // record 4 was durable, so damage to it is corruption even though nothing valid follows it.
    const fs = new TestDisk();
    const db = await openMem(fs);
    for (let i = 1; i <= 4; i++) await db.set(`k${i}`, i);
    expect(await db.checkpoint()).toEqual({ lsn: 4 });
    await db.close();
    // The rotation to wal-5 had not happened: WALHEAD names wal-3, whose header claims nothing durable yet.
    await fs.remove(`${DIR}/${walFileName(5)}`);
    await fs.setBytes(`${DIR}/${WAL_HEAD_FILE}`, encodeWalHead(3));
    const wal3 = walFileName(3);
    const wal3Path = `${DIR}/${wal3}`;
    const header = encodeFileHeader(3);
    const rec3 = handRecord(3, 3, "k3", 3);
    const rec4 = handRecord(4, 4, "k4", 4);
    const flipped = Buffer.from(rec4);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x01;
    for (const damaged of [flipped, rec4.subarray(0, rec4.length - 3)]) {
      const copy = fs.copy();
      await copy.setBytes(wal3Path, Buffer.concat([header, rec3, damaged]));
      const before = copy.snapshot();
      await expectCorruption(openMem(copy), wal3, header.length + rec3.length);
      expect(copy.snapshot()).toEqual(before);
    }
    // Control: the same damage one LSN above the checkpoint is an ordinary torn tail.
    const rec5 = handRecord(5, 5, "k5", 5);
    const torn = fs.copy();
    await torn.setBytes(wal3Path, Buffer.concat([header, rec3, rec4, rec5.subarray(0, rec5.length - 3)]));
    const reopened = await openMem(torn);
    expect(reopened.recovery.tornTail).toMatchObject({
      file: wal3,
      offset: header.length + rec3.length + rec4.length,
    });
    expect(reopened.recovery).toMatchObject({ checkpointLsn: 4, replayedRecords: 0, lastLsn: 4 });
    expect(await reopened.get("k4")).toEqual({ value: 4, version: 1 });
    await reopened.close();
  });

  it("damage anywhere in a sealed (non-last) WAL file is corruption, even at its end", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { walFileBytesMax: 64 });
    for (let i = 0; i < 6; i++) await db.set(`k${i}`, i);
    await db.close();
    const paths = walPaths(fs);
    expect(paths.length).toBeGreaterThan(2);
    const sealed = paths[0] as string;
    const sealedName = sealed.slice(DIR.length + 1);
    const data = fs.bytes(sealed);
    const spans = recordSpans(data);
    const lastSpan = spans[spans.length - 1];
    if (!lastSpan) throw new Error("records expected");

    const flipped = fs.copy();
    await flipByte(flipped, sealed, lastSpan.offset + lastSpan.bytes - 1);
    await expectCorruption(openMem(flipped), sealedName, lastSpan.offset);

    const truncated = fs.copy();
    await truncated.setBytes(sealed, data.subarray(0, data.length - 1));
    await expectCorruption(openMem(truncated), sealedName, lastSpan.offset);
    expect(truncated.bytes(sealed).length).toBe(data.length - 1);

    const zeros = fs.copy();
    await zeros.setBytes(sealed, Buffer.concat([data, Buffer.alloc(8)]));
    await expectCorruption(openMem(zeros), sealedName, data.length);

    // A missing middle file leaves an LSN gap.
    const gap = fs.copy();
    await gap.remove(paths[1] as string);
    const err = await openMem(gap).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "FUSEDB_CORRUPTION" });
  });
});

describe("file header", () => {
  it("one damaged slot loses nothing; both damaged fail open naming the file", async () => {
    const image = await threeGroups();
    for (const at of [slotOffset(0), slotOffset(1), slotOffset(1) + 11]) {
      const fs = image.copy();
      await flipByte(fs, WAL1_PATH, at);
      const db = await openMem(fs);
      expect(await observe(db, ["a", "b", "c"])).toEqual({
        scan: [
          ["a", 1, 1],
          ["b", 2, 1],
          ["c", 3, 1],
        ],
        versions: [
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ],
      });
      await db.set("d", 4); // rewrites the damaged slot
      await db.close();
      const again = await openMem(fs);
      expect(await again.get("d")).toEqual({ value: 4, version: 1 });
      await again.close();
    }
    const both = image.copy();
    await flipByte(both, WAL1_PATH, slotOffset(0) + 5);
    await flipByte(both, WAL1_PATH, slotOffset(1) + 5);
    await expectCorruption(openMem(both), WAL1, slotOffset(0));
  });

  it("a header of another first LSN, or none (a format-1 file), fails open naming the file", async () => {
    const image = await threeGroups();
    const data = image.bytes(WAL1_PATH);
    const renamed = image.copy();
    await renamed.setBytes(WAL1_PATH, Buffer.concat([encodeFileHeader(2), data.subarray(FILE_HEADER_BYTES)]));
    await expectCorruption(openMem(renamed), WAL1, 8);
    const headerless = image.copy();
    await headerless.setBytes(WAL1_PATH, data.subarray(FILE_HEADER_BYTES));
    const before = headerless.snapshot();
    const err = await expectCorruption(openMem(headerless), WAL1, 0);
    expect(err.message).toContain("magic");
    expect(headerless.snapshot()).toEqual(before);
  });
});

describe("checkpoint", () => {
  it("writes a segment and MANIFEST, deletes WAL files below it, and recovers segment + WAL suffix", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { walFileBytesMax: 128 });
    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    for (let i = 0; i < 20; i++) await db.set(keys[i % 12] as string, { i });
    await db.delete("key-3");
    expect(walPaths(fs).length).toBeGreaterThan(3);
    const { lsn } = await db.checkpoint();
    expect(lsn).toBe(21);
    expect(fs.paths()).toEqual([
      `${DIR}/MANIFEST`,
      `${DIR}/${WAL_HEAD_FILE}`,
      `${DIR}/seg-00000001.sst`,
      `${DIR}/${walFileName(22)}`,
    ]);
    expect((await readManifest(fs, DIR))?.manifest).toEqual({
      formatVersion: 3,
      checkpointLsn: 21,
      nextFileNumber: 2,
      leaves: [{ low: "", flushedLsn: 21, segments: ["seg-00000001.sst"] }],
      // The delete of key-3 (its version 3) raised its bucket's dead-version floor; no format 2 history.
      deadVersionFloor: [[floorBucket("key-3"), 3]],
      legacyLsn: 0,
    });
    // A WAL suffix above the checkpoint, rotating again.
    await db.incr("counter");
    await db.patch("key-0", { extra: true });
    await db.delete("key-5");
    await db.set("key-3", "back");
    await db.batch([
      { op: "incr", key: "counter", delta: 4 },
      { op: "delete", key: "never" },
    ]);
    const all = [...keys, "counter", "never"];
    const live = await observe(db, all);
    await db.close();

    const reopened = await openMem(fs, { walFileBytesMax: 128 });
    expect(reopened.recovery).toMatchObject({ checkpointLsn: 21, replayedRecords: 5, lastLsn: 26 });
    expect(reopened.recovery.tornTail).toBeUndefined();
    expect(await observe(reopened, all)).toEqual(live);

    // A second checkpoint adds the leaf's newest segment (merged once there are more than segmentsMax).
    expect(await reopened.checkpoint()).toEqual({ lsn: 26 });
    expect(fs.paths().filter((p) => p.endsWith(".sst"))).toEqual([
      `${DIR}/seg-00000001.sst`,
      `${DIR}/seg-00000002.sst`,
    ]);
    expect(walPaths(fs)).toEqual([`${DIR}/${walFileName(27)}`]);
    // With nothing new, a checkpoint changes nothing.
    expect(await reopened.checkpoint()).toEqual({ lsn: 26 });
    await reopened.close();
    const third = await openMem(fs);
    expect(third.recovery).toMatchObject({ checkpointLsn: 26, replayedRecords: 0, lastLsn: 26 });
    expect(await observe(third, all)).toEqual(live);
    await third.close();
  });

  it("open removes temp files, unreferenced segments and WAL files wholly below the checkpoint", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { walFileBytesMax: 64 });
    for (let i = 0; i < 5; i++) await db.set(`k${i}`, i);
    const oldWal = walPaths(fs).map((p) => [p, fs.bytes(p)] as const);
    await db.checkpoint();
    await db.set("after", 1);
    const live = await observe(db, ["k0", "k4", "after"]);
    await db.close();
    // As if a crash hit between MANIFEST and the WAL removal, and during a later segment and manifest write.
    for (const [p, bytes] of oldWal) await fs.setBytes(p, bytes);
    await fs.setBytes(`${DIR}/seg-00000007.sst`, Buffer.from("orphan"));
    await fs.setBytes(`${DIR}/seg-00000002.sst.tmp`, Buffer.from("half"));
    await fs.setBytes(`${DIR}/MANIFEST.tmp`, Buffer.from("half"));

    const reopened = await openMem(fs);
    expect([...reopened.recovery.removedFiles].sort()).toEqual(
      [
        "MANIFEST.tmp",
        "seg-00000002.sst.tmp",
        "seg-00000007.sst",
        ...oldWal.map(([p]) => p.slice(DIR.length + 1)),
      ].sort(),
    );
    expect(fs.paths()).toEqual([
      `${DIR}/MANIFEST`,
      `${DIR}/${WAL_HEAD_FILE}`,
      `${DIR}/seg-00000001.sst`,
      `${DIR}/${walFileName(6)}`,
    ]);
    expect(await observe(reopened, ["k0", "k4", "after"])).toEqual(live);
    await reopened.close();
  });

  it("a WAL that stops short of the checkpoint, or a missing MANIFEST, is corruption", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    await db.checkpoint();
    await db.close();
    const noManifest = fs.copy();
    await noManifest.remove(`${DIR}/MANIFEST`);
    await expect(openMem(noManifest)).rejects.toMatchObject({ code: "FUSEDB_CORRUPTION", file: "MANIFEST" });

    const damagedManifest = fs.copy();
    await flipByte(damagedManifest, `${DIR}/MANIFEST`, 20);
    await expect(openMem(damagedManifest)).rejects.toMatchObject({
      code: "FUSEDB_CORRUPTION",
      file: "MANIFEST",
    });
  });
});

describe("checkpoint under concurrent writes", () => {
  it("writes issued around a checkpoint, none awaited, all land and survive a reopen", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { walFileBytesMax: 150 });
    const pending: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) pending.push(db.incr(`n${i % 6}`));
      pending.push(db.checkpoint());
      for (let i = 0; i < 7; i++) pending.push(db.patch(`d${i % 2}`, { [`r${round}`]: i }));
      if (round === 2) pending.push(db.delete("n5"));
    }
    await Promise.all(pending);
    const keys = ["n0", "n1", "n2", "n3", "n4", "n5", "d0", "d1"];
    const live = await observe(db, keys);
    // n0 gets 4 incr per round; n5 gets 3 per round and one delete after round 2.
    expect(await db.get("n0")).toEqual({ value: 20, version: 20 });
    expect(await db.get("n5")).toEqual({ value: 6, version: 16 });
    await db.close();
    const reopened = await openMem(fs);
    expect(await observe(reopened, keys)).toEqual(live);
    await reopened.close();
  });

  it("a checkpoint waits for a write whose sync is held, and includes it once durable", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    await db.set("a", 1);
    const hold = fs.holdSync();
    const write = db.set("b", 2);
    await hold.entered;
    const checkpoint = db.checkpoint();
    hold.release();
    await write;
    expect(await checkpoint).toEqual({ lsn: 2 });
    await db.close();
    const reopened = await openMem(fs);
    expect(reopened.recovery).toMatchObject({ checkpointLsn: 2, replayedRecords: 0 });
    expect(await reopened.get("b")).toEqual({ value: 2, version: 1 });
    await reopened.close();
  });
});

describe("determinism", () => {
  it("recovering twice from the same bytes gives identical state and identical files", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, { walFileBytesMax: 200 });
    for (let i = 0; i < 30; i++) await db.incr(`n${i % 7}`, i);
    await db.checkpoint();
    for (let i = 0; i < 10; i++) await db.patch(`d${i % 3}`, { [`f${i}`]: i });
    await db.delete("n2");
    await db.close();
    // End on a torn tail so recovery has something to repair.
    const last = walPaths(fs).at(-1) as string;
    const image = fs.copy();
    await image.setBytes(last, Buffer.concat([fs.bytes(last), Buffer.from("torn!")]));

    const keys = [...Array.from({ length: 7 }, (_, i) => `n${i}`), "d0", "d1", "d2"];
    const runs: { state: unknown; recovery: unknown; files: Map<string, Uint8Array> }[] = [];
    for (let run = 0; run < 2; run++) {
      const copy = image.copy();
      const opened = await openMem(copy, { walFileBytesMax: 200 });
      const state = await observe(opened, keys);
      const recovery = opened.recovery;
      await opened.close();
      runs.push({ state, recovery, files: copy.snapshot() });
    }
    const [a, b] = runs;
    expect(a?.state).toEqual(b?.state);
    expect(a?.recovery).toEqual(b?.recovery);
    expect(a?.files).toEqual(b?.files);
    expect(a?.recovery).toMatchObject({ tornTail: { droppedBytes: 5 } });
  });
});

describe("segment damage", () => {
  it("a damaged block yields CorruptionError on read, never a wrong value; other blocks still serve", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs);
    const key = (i: number): string => `k${String(i).padStart(3, "0")}`;
    for (let i = 0; i < 400; i++) await db.set(key(i), { i, pad: "v".repeat(60) });
    await db.checkpoint();
    await db.close();
    const seg = `${DIR}/seg-00000001.sst`;
    const segName = "seg-00000001.sst";
    const data = fs.bytes(seg);
    const block0Bytes = 8 + data.readUInt32LE(0);
    expect(block0Bytes).toBeLessThan(data.length / 4); // several blocks

    const positions = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let at = 8; at < block0Bytes; at += 13) positions.push(at);
    positions.push(block0Bytes - 1);
    for (const at of positions) {
      const copy = fs.copy();
      await flipByte(copy, seg, at);
      const opened = await openMem(copy);
      await expectCorruption(opened.get(key(0)), segName, 0);
      await expectCorruption(opened.scan({ limit: 5 }), segName, 0);
      // A block that is intact still serves.
      expect(await opened.get(key(399))).toEqual({ value: { i: 399, pad: "v".repeat(60) }, version: 1 });
      // Reads keep failing (no damaged block is cached), and writes to a damaged key's block cannot resolve it.
      await expectCorruption(opened.get(key(0)), segName, 0);
      await expectCorruption(opened.incr(key(1)), segName, 0);
      await opened.close();
    }

    // Any flipped bit in the index block or the footer fails open with CorruptionError naming the segment,
    // including the high words of the footer's u64 fields (which must not escape as a parse error).
    const footerAt = data.length - FOOTER_BYTES;
    const indexAt = data.readUInt32LE(footerAt + 8);
    expect(indexAt).toBeGreaterThan(block0Bytes);
    for (let at = indexAt; at < data.length; at++) {
      for (const mask of [0x01, 0x80]) {
        const copy = fs.copy();
        const bytes = copy.bytes(seg);
        bytes[at] = (bytes[at] as number) ^ mask;
        await copy.setBytes(seg, bytes);
        const err = await openMem(copy).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `byte ${at - footerAt} of the footer, mask ${mask}`).toBeInstanceOf(CorruptionError);
        expect(err).toMatchObject({ code: "FUSEDB_CORRUPTION", file: segName });
      }
    }
  });
});

describe("new data directory", () => {
  it("a power loss right after open keeps a directory created several levels deep, and its writes", async () => {
    const clock = new SimClock();
    const disk = new SimFileSystem({ latency: false });
    await disk.mkdir("/a");
    await disk.syncDir("/");
    const dir = "/a/b/c/db"; // /a exists; b, c and db are new
    const db = await FuseDB.open({ dir, fs: disk, clock });
    await db.set("k", "v");
    // Keep-probability 0: the image holds exactly what was durable when the power went.
    const image = disk.crash(faultPlannerOf(new RandomCrashPlanner(0), new Prng(0)));
    expect([...image.snapshot().keys()].some((path) => path.startsWith(`${dir}/`))).toBe(true);
    const again = await FuseDB.open({ dir, fs: image, clock });
    expect(await again.get("k")).toEqual({ value: "v", version: 1 });
    await again.close();
  });
});
