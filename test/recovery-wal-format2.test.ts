/**
 * A database the previous build (WAL format 2, manifest format 2) left with live WAL files opens
 * (docs/wal-format.md, "Compatibility"). The format 2 files are encoded byte by byte from the old layout
 * (test/helpers/wal-format2.ts). Invariants:
 * - a format 2 header (44 bytes) decodes with its slots and clock floor 0; a flipped bit of its fixed part
 *   or any proper prefix is invalid, one in a slot loses that slot (src/wal/format.ts `decodeFileHeader`);
 * - recovery replays format 2 files (sealed and last) with clock floor 0: every acknowledged record is there;
 * - a writer never appends to a format 2 file: the first write goes to a new format 3 file that WALHEAD
 *   names, the format 2 files keep their bytes, and a reopen recovers both; an empty format 2 tail is
 *   replaced whole by a format 3 file of its name (a temp file a crash left is no obstacle);
 * - `fusedb check` and `inspect` read format 2 files; a read-only open works and changes nothing;
 * - a power loss after any sync of such an open (the sync failing, then a crash keeping a seeded share of
 *   what was pending) leaves a database that opens with every acknowledged record;
 * - a torn format 2 tail is cut like a torn format 3 one (reported read-only, cut by a writer); damage its
 *   slots claim durable, or in a sealed file, is corruption; a magic of no known format is a typed
 *   FUSEDB_CORRUPTION naming the file.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { FuseDB } from "../src/db.js";
import { entryFromStored } from "../src/doc/entry.js";
import { CorruptionError } from "../src/errors.js";
import { checkDatabase } from "../src/tools/check.js";
import { formatInspection, inspectDatabase } from "../src/tools/inspect.js";
import { readManifest } from "../src/tree/manifest.js";
import { checksum } from "../src/util/bytes.js";
import type { Effect } from "../src/wal/batch-codec.js";
import { encodeBatch } from "../src/wal/batch-codec.js";
import {
  decodeFileHeader,
  decodeWalHead,
  encodeRecord,
  encodeWalHead,
  RecordType,
  slotOffset,
  walFileName,
} from "../src/wal/format.js";
import { formatTwoManifestFile } from "./helpers/manifest-file.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { testSeed } from "./helpers/seed.js";
import { TestDisk } from "./helpers/sim-disk.js";
import { V2_HEADER_BYTES, v2Header, v2WalFile } from "./helpers/wal-format2.js";

const WAL1 = walFileName(1);
const WAL3 = walFileName(3);
const WAL5 = walFileName(5);
const path = (name: string): string => `${DIR}/${name}`;

/** A put of `key` to `{ n }` at `version`, logged at `lsn`. */
function put(key: string, n: number, version: number, lsn: number): Effect[] {
  return [{ key, entry: entryFromStored(version, Buffer.from(JSON.stringify({ n })), lsn) }];
}

/**
 * A disk as the format 2 build left it: a format 2 manifest (checkpoint 0), WAL files wal-1 (sealed, LSNs
 * 1-2, a = 1 then b = 2) and wal-3 (the newest, LSNs 3-4: a = 3 at version 2, c = 4), one group-commit write
 * per record, so each file's slots claim the LSN before its last record; WALHEAD names wal-3. With
 * `emptyTail`, wal-3 holds its header only (no record was written to it).
 */
async function formatTwoDisk(emptyTail = false): Promise<TestDisk> {
  const fs = new TestDisk();
  await (await openMem(fs)).close(); // the directory, its leaves and lock file as this build lays them out
  const m = (await readManifest(fs, DIR))?.manifest;
  if (m === undefined) throw new Error("no manifest");
  await fs.setBytes(path("MANIFEST"), formatTwoManifestFile(m, 0));
  await fs.setBytes(path(WAL1), v2WalFile(1, [1, 0], [put("a", 1, 1, 1), put("b", 2, 1, 2)]));
  const tail = emptyTail ? v2Header(3, [2, 2]) : v2WalFile(3, [3, 2], [put("a", 3, 2, 3), put("c", 4, 1, 4)]);
  await fs.setBytes(path(WAL3), tail);
  await fs.setBytes(path("WALHEAD"), encodeWalHead(3));
  return fs;
}

async function values(db: FuseDB, keys: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (await db.get(k))?.value;
  return out;
}

function flipBit(data: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(data);
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

const magic = (fs: TestDisk, name: string): string => fs.bytes(path(name)).subarray(0, 8).toString("latin1");
const head = (fs: TestDisk): unknown => decodeWalHead(fs.bytes(path("WALHEAD")));

describe("WAL format 2 files", () => {
  it("are replayed; new writes go to a new format 3 file WALHEAD names; a reopen recovers both", async () => {
    const fs = await formatTwoDisk();
    const before = { w1: fs.bytes(path(WAL1)), w3: fs.bytes(path(WAL3)) };
    let db = await openMem(fs);
    expect(db.recovery).toMatchObject({ replayedRecords: 4, lastLsn: 4, clockFloorMs: 0 });
    expect(await values(db, ["a", "b", "c"])).toEqual({ a: { n: 3 }, b: { n: 2 }, c: { n: 4 } });
    expect((await db.get("a"))?.version).toBe(2);
    expect(magic(fs, WAL5)).toBe("FUSEWAL3"); // started at open, before any write
    expect(head(fs)).toEqual({ kind: "head", newestFirstLsn: 5 });
    expect((await db.set("d", { n: 5 })).version).toBe(1);
    expect((await db.set("a", { n: 6 })).version).toBe(3);
    await db.close();
    expect(fs.bytes(path(WAL1))).toEqual(before.w1);
    expect(fs.bytes(path(WAL3))).toEqual(before.w3);
    db = await openMem(fs);
    expect(db.recovery).toMatchObject({ lastLsn: 6 });
    expect(await values(db, ["a", "b", "c", "d"])).toEqual({
      a: { n: 6 },
      b: { n: 2 },
      c: { n: 4 },
      d: { n: 5 },
    });
    // A checkpoint retires the format 2 files like any other.
    await db.checkpoint();
    await db.set("e", 7);
    await db.close();
    db = await openMem(fs);
    expect(await values(db, ["a", "d", "e"])).toEqual({ a: { n: 6 }, d: { n: 5 }, e: 7 });
    await db.close();
    const wal = fs.paths().filter((p) => p.startsWith(path("wal-")));
    expect(wal).not.toContain(path(WAL1));
    expect(wal).not.toContain(path(WAL3));
    for (const p of wal) expect(magic(fs, p.slice(DIR.length + 1))).toBe("FUSEWAL3");
  });

  it("are read by check, inspect and a read-only open, which change nothing", async () => {
    const fs = await formatTwoDisk();
    const report = await checkDatabase(fs, DIR);
    expect(report).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    expect(report.checked).toMatchObject({ walFiles: 2, walLastLsn: 4, walRecordsAboveCheckpoint: 4 });
    const i = await inspectDatabase(fs, DIR);
    expect(i.wal.map((w) => [w.name, w.format])).toEqual([
      [WAL1, 2],
      [WAL3, 2],
    ]);
    expect(formatInspection(i)).toContain(
      `${WAL3}  first LSN 3, ${fs.bytes(path(WAL3)).length} bytes, format 2`,
    );
    const snapshot = fs.snapshot();
    const db = await FuseDB.open({ dir: DIR, fs, clock: new SimClock(0), readOnly: true });
    expect(db.recovery).toMatchObject({ replayedRecords: 4, lastLsn: 4 });
    expect(await values(db, ["a", "b", "c"])).toEqual({ a: { n: 3 }, b: { n: 2 }, c: { n: 4 } });
    await db.close();
    expect(fs.snapshot()).toEqual(snapshot);
  });

  it("an empty format 2 tail is replaced whole by a format 3 file of its name", async () => {
    const fs = await formatTwoDisk(true);
    await fs.setBytes(path(`${WAL3}.tmp`), Buffer.from("left by a crash"));
    let db = await openMem(fs);
    expect(db.recovery).toMatchObject({ lastLsn: 2 });
    expect(magic(fs, WAL3)).toBe("FUSEWAL3");
    expect(fs.paths()).not.toContain(path(`${WAL3}.tmp`));
    expect(head(fs)).toEqual({ kind: "head", newestFirstLsn: 3 });
    await db.set("c", 3);
    await db.close();
    db = await openMem(fs);
    expect(await values(db, ["a", "b", "c"])).toEqual({ a: { n: 1 }, b: { n: 2 }, c: 3 });
    await db.close();
    expect((await checkDatabase(fs, DIR)).ok).toBe(true);
  });

  it("a crash at any sync of the open that leaves format 2 behind loses nothing acknowledged", async () => {
    const seed = testSeed("format 2 open crash");
    for (const emptyTail of [false, true]) {
      const clean = await formatTwoDisk(emptyTail);
      const before = clean.syncCalls.length;
      await (await openMem(clean)).close();
      const syncs = clean.syncCalls.length - before;
      // The new file's header (or the replacement's, written as a temp file) is among them.
      expect(clean.syncCalls.slice(before)).toContain(path(emptyTail ? `${WAL3}.tmp` : WAL5));
      const want = emptyTail ? { a: { n: 1 }, b: { n: 2 } } : { a: { n: 3 }, b: { n: 2 }, c: { n: 4 } };
      for (let k = 0; k < syncs; k++) {
        const fs = await formatTwoDisk(emptyTail);
        let n = 0;
        fs.faults.failSync = () => n++ === k;
        await openMem(fs).catch(() => undefined); // fails at sync k (or, at close's syncs, opens)
        const image = new TestDisk(fs.sim.crash(new Prng(`${seed}/${emptyTail}/${k}`)));
        const db = await openMem(image);
        expect(await values(db, Object.keys(want)), `sync ${k}`).toEqual(want);
        await db.set("z", 1);
        await db.close();
        expect((await checkDatabase(image, DIR)).ok, `sync ${k}`).toBe(true);
      }
    }
  });

  it("a torn format 2 tail is cut like a torn format 3 tail", async () => {
    const fs = await formatTwoDisk();
    const whole = fs.bytes(path(WAL3));
    const next = encodeRecord(RecordType.Batch, 5, 5, encodeBatch(put("d", 5, 1, 5)));
    await fs.setBytes(path(WAL3), Buffer.concat([whole, next.subarray(0, 10)]));
    const torn = { file: WAL3, offset: whole.length, droppedBytes: 10 };
    expect((await checkDatabase(fs, DIR)).problems).toMatchObject([
      { severity: "warning", file: WAL3, offset: whole.length },
    ]);
    const ro = await FuseDB.open({ dir: DIR, fs, clock: new SimClock(0), readOnly: true });
    expect(ro.recovery.tornTail).toMatchObject(torn);
    await ro.close();
    expect(fs.bytes(path(WAL3)).length).toBe(whole.length + 10);
    const db = await openMem(fs);
    expect(db.recovery).toMatchObject({ lastLsn: 4, tornTail: torn });
    expect(fs.bytes(path(WAL3))).toEqual(whole);
    expect((await db.set("d", 5)).version).toBe(1);
    await db.close();
    expect(magic(fs, WAL5)).toBe("FUSEWAL3");
    expect((await checkDatabase(fs, DIR)).ok).toBe(true);
  });

  it("damage its slots claim durable, in a sealed file, or an unknown magic is corruption naming the file", async () => {
    // wal-3's slots claim LSN 3: a cut inside record 3 lost an acknowledged record.
    const cut = await formatTwoDisk();
    await cut.setBytes(path(WAL3), cut.bytes(path(WAL3)).subarray(0, V2_HEADER_BYTES + 10));
    await expect(openMem(cut)).rejects.toMatchObject({ code: "FUSEDB_CORRUPTION", file: WAL3 });
    const sealed = await formatTwoDisk();
    const w1 = sealed.bytes(path(WAL1));
    w1[V2_HEADER_BYTES + 25] = (w1[V2_HEADER_BYTES + 25] as number) ^ 1;
    await sealed.setBytes(path(WAL1), w1);
    await expect(openMem(sealed)).rejects.toMatchObject({ code: "FUSEDB_CORRUPTION", file: WAL1 });
    const unknown = await formatTwoDisk();
    const w3 = unknown.bytes(path(WAL3));
    Buffer.from("FUSEWAL9", "latin1").copy(w3, 0);
    w3.writeUInt32LE(checksum(w3.subarray(0, 16)), 16);
    await unknown.setBytes(path(WAL3), w3);
    const err = await openMem(unknown).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(err).toMatchObject({ code: "FUSEDB_CORRUPTION", file: WAL3, offset: 0 });
    expect((err as Error).message).toMatch(/bad magic/);
    expect((await checkDatabase(unknown, DIR)).problems).toMatchObject([
      { severity: "error", file: WAL3, offset: 0 },
    ]);
  });
});

describe("file header (format 2, read only)", () => {
  it("decodes a header the previous build wrote: 44 bytes, its slots, clock floor 0", () => {
    expect(V2_HEADER_BYTES).toBe(44);
    expect([slotOffset(0, 2), slotOffset(1, 2)]).toEqual([20, 32]);
    expect(decodeFileHeader(v2Header(1))).toEqual({
      kind: "header",
      header: { format: 2, bytes: 44, firstLsn: 1, slots: [0, 0], floors: [0, 0] },
    });
    // Handed the 60 bytes a format 3 header takes: the records after the 44 header bytes are not read.
    const withRecord = Buffer.concat([
      v2Header(2 ** 40 + 7, [2 ** 40 + 9, 2 ** 40 + 6]),
      Buffer.alloc(16, 0xab),
    ]);
    expect(decodeFileHeader(withRecord)).toEqual({
      kind: "header",
      header: {
        format: 2,
        bytes: 44,
        firstLsn: 2 ** 40 + 7,
        slots: [2 ** 40 + 9, 2 ** 40 + 6],
        floors: [0, 0],
      },
    });
  });

  it("is invalid after any flipped bit of its fixed part, and as any proper prefix", () => {
    const h = v2Header(77, [80, 90]);
    for (let bit = 0; bit < slotOffset(0, 2) * 8; bit++) {
      expect(decodeFileHeader(flipBit(h, bit)).kind, `bit ${bit}`).toBe("invalid");
    }
    for (let n = 0; n < h.length; n++) expect(decodeFileHeader(h.subarray(0, n)).kind).toBe("invalid");
  });

  it("loses only the slot a flipped bit hits; both slots damaged make the header invalid", () => {
    const h = v2Header(77, [80, 90]);
    for (const index of [0, 1] as const) {
      for (let bit = slotOffset(index, 2) * 8; bit < (slotOffset(index, 2) + 12) * 8; bit++) {
        const got = decodeFileHeader(flipBit(h, bit));
        if (got.kind !== "header") throw new Error(`bit ${bit}: header expected`);
        expect(got.header.slots[index]).toBeUndefined();
        expect(got.header.floors[index]).toBeUndefined();
        expect(got.header.slots[1 - index]).toBe(index === 0 ? 90 : 80);
      }
    }
    const both = flipBit(flipBit(h, slotOffset(0, 2) * 8 + 40), slotOffset(1, 2) * 8 + 3);
    expect(decodeFileHeader(both)).toMatchObject({ kind: "invalid", offset: slotOffset(0) });
  });
});
